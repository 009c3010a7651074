package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
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

type partitionsLoadedMsg struct {
	parts []backend.Partition
	err   error
}

type partitionsScreen struct {
	env   *Env
	topic string
	table *ui.Table
	spin  spinner.Model

	parts   []backend.Partition
	loading bool
	loaded  bool
	tickGen int
	err     error

	w, h int
}

// NewPartitions lists a topic's partitions: leader, replicas, ISR,
// watermarks, record count and the age of the newest record.
func NewPartitions(env *Env, topic string) ui.Screen {
	s := &partitionsScreen{env: env, topic: topic, spin: newSpinner(env)}
	s.table = ui.NewTable(env.Theme, nil)
	s.table.SetEmpty("no partitions")
	s.layout()
	return s
}

func (s *partitionsScreen) Title() string { return s.topic }

func (s *partitionsScreen) Help() []key.Binding {
	return []key.Binding{keyPartsOpen, keyPartsAll, keyPartsCons, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp,
		ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom, ui.Keys.Refresh}
}

func (s *partitionsScreen) Init() tea.Cmd {
	s.loading = true
	return tea.Batch(s.load(), s.spin.Tick)
}

func (s *partitionsScreen) Refresh() tea.Cmd {
	if s.loading {
		return nil
	}
	s.loading = true
	return tea.Batch(s.load(), s.spin.Tick)
}

func (s *partitionsScreen) load() tea.Cmd {
	c, topic := s.env.Cluster, s.topic
	return func() tea.Msg {
		ps, err := c.Partitions(context.Background(), topic)
		return partitionsLoadedMsg{parts: ps, err: err}
	}
}

func (s *partitionsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case partitionsLoadedMsg:
		s.loading = false
		s.tickGen++
		tick := refreshTick(s.tickGen)
		if msg.err != nil {
			report := !sameErr(s.err, msg.err)
			s.err = msg.err
			if !report {
				return s, tick
			}
			return s, tea.Batch(tick, func() tea.Msg { return ui.ErrMsg{Err: msg.err, Retry: s.retry} })
		}
		var cmd tea.Cmd
		if s.err != nil {
			cmd = ui.ClearErr()
		}
		s.err, s.loaded, s.parts = nil, true, msg.parts
		s.setRows()
		return s, tea.Batch(cmd, tick)

	case retryMsg:
		return s, msg.do()

	case refreshTickMsg:
		if msg.gen != s.tickGen || s.loading {
			return s, nil
		}
		s.loading = true
		return s, s.load()

	case spinner.TickMsg:
		if !s.loading || s.loaded {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd

	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)

	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, keyPartsOpen):
			if len(s.parts) > 0 {
				return s, ui.Push(NewRecords(s.env, s.topic, s.parts[s.table.Cursor()].ID))
			}
		case key.Matches(msg, keyPartsAll):
			return s, ui.Push(NewRecords(s.env, s.topic, -1))
		case key.Matches(msg, keyPartsCons):
			return s, ui.Push(NewGroups(s.env, s.topic))
		default:
			s.table.HandleKey(msg)
		}
	}
	return s, nil
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

func (s *partitionsScreen) setRows() {
	parts := s.parts
	s.table.SetRows(len(parts), func(i int) []string {
		p := parts[i]
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
	})
}

func (s *partitionsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.layout()
}

func (s *partitionsScreen) layout() {
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
	if s.w > 0 && s.w < 84 {
		// At 80 columns the offsets need the room more than replica lists.
		cols[2].MinWidth, cols[3].MinWidth = 5, 6
		cols[4].Width, cols[5].Width, cols[6].Width = 10, 10, 10
	}
	s.table.SetColumns(cols)
	s.table.SetSize(s.w, max(0, s.h-1))
}

func (s *partitionsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		if s.err != nil {
			return centered(th.Error.Render("✗ "+errText(s.err))+"\n"+th.Muted.Render("press R to retry, ctrl+r to reload"), s.w, s.h)
		}
		return centered(s.spin.View()+" loading partitions of "+ui.Sanitize(s.topic)+"…", s.w, s.h)
	}
	var total int64
	under, errs := 0, 0
	for _, p := range s.parts {
		total += p.Records
		if underReplicated(p) {
			under++
		}
		if p.Err != "" {
			errs++
		}
	}
	line := th.Muted.Render(fmt.Sprintf(" %d partitions · %s records", len(s.parts), ui.FormatCount(total)))
	if under > 0 {
		line += "  " + th.Warn.Render(fmt.Sprintf("⚠ %d under-replicated", under))
	}
	if errs > 0 {
		line += "  " + th.Error.Render(fmt.Sprintf("%d with errors", errs))
	}
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+errText(s.err))
	}
	return fitLine(line, s.w) + "\n" + s.table.View()
}

// retry is the ErrMsg's Retry: a message back to this screen.
func (s *partitionsScreen) retry() tea.Msg { return retryMsg{do: s.Refresh} }
