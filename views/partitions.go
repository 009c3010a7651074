package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Partitions screen keys.
var (
	keyPartsOpen = binding([]string{"enter"}, "enter", "records of partition")
	keyPartsAll  = binding([]string{"a"}, "a", "records of all partitions")
	keyPartsCons = binding([]string{"c"}, "c", "consumers of topic")
)

type partitionsScreen struct {
	*ui.ListScreen[backend.Partition]
	env   *Env
	topic string
}

// NewPartitions lists a topic's partitions: leader, replicas, ISR,
// watermarks, record count and the age of the newest record.
func NewPartitions(env *Env, topic string) ui.Screen {
	return newPartitions(env, topic, func(ctx context.Context) ([]backend.Partition, error) { return env.Cluster.Partitions(ctx, topic) })
}

// newPartitions takes the fetch as a test seam.
func newPartitions(env *Env, topic string, fetch func(context.Context) ([]backend.Partition, error)) *partitionsScreen {
	s := &partitionsScreen{env: env, topic: topic}
	s.ListScreen = ui.NewListScreen(env.Theme, fetch, ui.ListScreenSpec[backend.Partition]{
		ListSpec: ui.ListSpec[backend.Partition]{
			Columns: partitionColumns,
			Cells:   s.cells,
			Empty:   func(string) string { return "no partitions" },
		},
		Loading: "loading partitions of " + ui.Sanitize(topic) + "…",
		Every:   refreshEvery,
		Summary: s.summary,
		Keys:    s.keys,
	})
	return s
}

func (s *partitionsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	return s, s.ListScreen.Update(msg)
}

func (s *partitionsScreen) Title() string { return s.topic }

func (s *partitionsScreen) Help() []key.Binding {
	return []key.Binding{keyPartsOpen, keyPartsAll, keyPartsCons, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp,
		ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom, ui.Keys.Refresh}
}

func (s *partitionsScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, keyPartsOpen):
		if p, ok := s.Selected(); ok {
			return ui.Push(NewRecords(s.env, s.topic, p.ID)), true
		}
		return nil, true
	case key.Matches(msg, keyPartsAll):
		return ui.Push(NewRecords(s.env, s.topic, -1)), true
	case key.Matches(msg, keyPartsCons):
		return ui.Push(NewGroups(s.env, s.topic)), true
	}
	return nil, false
}

func joinIDs(ids []int32) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(id)))
	}
	return b.String()
}

// underReplicated: fewer in-sync replicas than replicas.
func underReplicated(p backend.Partition) bool { return len(p.ISR) < len(p.Replicas) }

func (s *partitionsScreen) cells(p backend.Partition) []string {
	isr := joinIDs(p.ISR)
	if underReplicated(p) {
		// Cells are plain text (the table styles whole rows), so the
		// warning is a marker; the summary line carries the colour.
		isr = "⚠ " + isr
	}
	leader := strconv.Itoa(int(p.Leader))
	if p.Leader < 0 {
		leader = "none"
	}
	return []string{strconv.Itoa(int(p.ID)), leader, joinIDs(p.Replicas), isr,
		ui.FormatCount(p.LogStart), ui.FormatCount(p.HighWatermark), ui.FormatCount(p.Records),
		fmtAge(s.env.now(), p.NewestTime)}
}

func partitionColumns(w int) []ui.Column {
	cols := []ui.Column{
		{Title: "ID", Width: 4, Right: true},
		{Title: "LEADER", Width: 6, Right: true},
		{Title: "REPLICAS", MinWidth: 8, Flex: 1},
		{Title: "ISR", MinWidth: 8, Flex: 1},
		{Title: "LOG START", Width: 11, Right: true},
		{Title: "HIGH WM", Width: 11, Right: true},
		{Title: "RECORDS", Width: 11, Right: true},
		{Title: "NEWEST", Width: 10, Right: true},
	}
	if w > 0 && w < 84 {
		// At 80 columns the offsets need the room more than replica lists.
		cols[2].MinWidth, cols[3].MinWidth = 5, 6
		cols[4].Width, cols[5].Width, cols[6].Width = 10, 10, 10
	}
	return cols
}

func (s *partitionsScreen) summary() string {
	th := s.env.Theme
	var total int64
	under, errs := 0, 0
	parts := s.Items()
	for _, p := range parts {
		total += p.Records
		if underReplicated(p) {
			under++
		}
		if p.Err != "" {
			errs++
		}
	}
	line := th.Muted.Render(" " + plural(len(parts), "partition") + " · " + plural64(total, "record"))
	if under > 0 {
		line += "  " + th.Warn.Render(fmt.Sprintf("⚠ %d under-replicated", under))
	}
	if errs > 0 {
		line += "  " + th.Error.Render(fmt.Sprintf("%d with errors", errs))
	}
	return line
}
