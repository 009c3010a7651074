package views

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Topics screen keys.
var (
	keyTopicsOpen     = binding([]string{"enter"}, "enter", "partitions")
	keyTopicsRecords  = binding([]string{"r"}, "r", "records (all partitions)")
	keyTopicsInternal = binding([]string{"i"}, "i", "internal topics")
	keyTopicsGroups   = binding([]string{"c"}, "c", "consumers of topic")
	keyTopicsCreate   = binding([]string{"n"}, "n", "new topic")
	keyTopicsDelete   = binding([]string{"D"}, "D", "delete topic (type its name)")
	keyTopicsConfig   = binding([]string{"C"}, "C", "configuration (set, remove)")
	keyTopicsAddParts = binding([]string{"P", "+"}, "P/+", "add partitions")
)

// topicCols are the columns, in display order.
var topicCols = []string{"NAME", "PARTS", "REPL", "RECORDS", "CLEANUP", "RETENTION"}

type topicsScreen struct {
	*ui.ListScreen[backend.Topic]
	env      *Env
	internal bool // show internal topics
}

// NewTopics is the root screen: every topic with its partition count,
// replication, record count, cleanup policy and retention.
func NewTopics(env *Env) ui.Screen {
	s := &topicsScreen{env: env}
	byName := func(a, b backend.Topic) int { return cmp.Compare(a.Name, b.Name) }
	desc := func(name string, f func(a, b backend.Topic) int) ui.Sort[backend.Topic] {
		return ui.Sort[backend.Topic]{Name: strings.ToLower(name), Column: name, Compare: f, Desc: true}
	}
	s.ListScreen = ui.NewListScreen(env.Theme, env.Cluster.Topics, ui.ListScreenSpec[backend.Topic]{
		ListSpec: ui.ListSpec[backend.Topic]{
			Columns:    topicColumns,
			Cells:      topicCells,
			Key:        func(t backend.Topic) string { return t.Name },
			Match:      func(t backend.Topic, f string) bool { return strings.Contains(strings.ToLower(t.Name), f) },
			FilterHint: "filter topics",
			Keep:       func(t backend.Topic) bool { return s.internal || !isInternal(t) },
			Sorts: []ui.Sort[backend.Topic]{
				{Name: "name", Column: "NAME", Compare: byName},
				desc("PARTS", func(a, b backend.Topic) int { return cmp.Compare(a.Partitions, b.Partitions) }),
				desc("REPL", func(a, b backend.Topic) int { return cmp.Compare(a.ReplicationFactor, b.ReplicationFactor) }),
				desc("RECORDS", func(a, b backend.Topic) int { return cmp.Compare(a.Records, b.Records) }),
				desc("CLEANUP", func(a, b backend.Topic) int { return cmp.Compare(a.CleanupPolicy, b.CleanupPolicy) }),
				desc("RETENTION", func(a, b backend.Topic) int {
					return cmp.Compare(retentionKey(a.RetentionMs), retentionKey(b.RetentionMs))
				}),
			},
			Tie: byName,
			Empty: func(f string) string {
				if f != "" {
					return "no topic matches " + strconv.Quote(f)
				}
				return "no topics"
			},
		},
		Loading: "loading topics…",
		Every:   refreshEvery,
		Summary: s.summary,
		Keys:    s.keys,
	})
	return s
}

func (s *topicsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *topicsScreen) Title() string { return "topics" }

func (s *topicsScreen) Help() []key.Binding {
	return []key.Binding{keyTopicsOpen, keyTopicsRecords, keyTopicsGroups, keyTopicsConfig, keyTopicsCreate, keyTopicsAddParts,
		keyTopicsDelete, ui.Keys.Filter, keyTopicsInternal,
		ui.Keys.SortNext, ui.Keys.SortReverse, s.SortKeys(), ui.Keys.Up, ui.Keys.Down}
}

func (s *topicsScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	t, ok := s.Selected()
	switch {
	case key.Matches(msg, keyTopicsOpen):
		if ok {
			return ui.Push(NewPartitions(s.env, t.Name)), true
		}
	case key.Matches(msg, keyTopicsRecords):
		if ok {
			return ui.Push(NewRecords(s.env, t.Name, -1)), true
		}
	case key.Matches(msg, keyTopicsGroups):
		if ok {
			return ui.Push(NewGroups(s.env, t.Name)), true
		}
	case key.Matches(msg, keyTopicsCreate):
		return ui.Push(NewTopicCreate(s.env)), true
	case key.Matches(msg, keyTopicsDelete):
		if ok {
			return ui.Push(NewTopicDelete(s.env, t.Name)), true
		}
	case key.Matches(msg, keyTopicsConfig):
		if ok {
			return ui.Push(NewTopicConfig(s.env, t.Name)), true
		}
	case key.Matches(msg, keyTopicsAddParts):
		if ok {
			return ui.Push(NewAddPartitions(s.env, t.Name, t.Partitions)), true
		}
	case key.Matches(msg, keyTopicsInternal):
		s.internal = !s.internal
		s.Apply()
		return ui.Toast(map[bool]string{true: "showing internal topics", false: "internal topics hidden"}[s.internal]), true
	default:
		return nil, false
	}
	return nil, true
}

func isInternal(t backend.Topic) bool { return t.Internal || strings.HasPrefix(t.Name, "__") }

func topicCells(t backend.Topic) []string {
	return []string{t.Name, strconv.Itoa(t.Partitions), strconv.Itoa(t.ReplicationFactor),
		ui.FormatCount(t.Records), t.CleanupPolicy, humanDuration(t.RetentionMs)}
}

// retentionKey sorts infinite retention (-1) after every finite one.
func retentionKey(ms int64) int64 {
	if ms < 0 {
		return 1<<63 - 1
	}
	return ms
}

// topicColumns picks columns for the width: at 80 cells all fit; below
// ~64 the cleanup and retention columns go.
func topicColumns(w int) []ui.Column {
	cols := []ui.Column{
		{Title: topicCols[0], MinWidth: 12, Flex: 1},
		{Title: topicCols[1], Width: 5, Right: true},
		{Title: topicCols[2], Width: 4, Right: true},
		{Title: topicCols[3], Width: 13, Right: true},
		{Title: topicCols[4], Width: 14},
		{Title: topicCols[5], Width: 9, Right: true},
	}
	if w > 0 && w < 64 {
		cols = cols[:4]
		cols[3].Width = 11
	}
	return cols
}

func (s *topicsScreen) summary() string {
	hidden := 0
	for _, t := range s.Items() {
		if isInternal(t) {
			hidden++
		}
	}
	parts := []string{" " + plural(len(s.Rows()), "topic")}
	if f := s.FilterLabel(); f != "" {
		parts = append(parts, f)
	}
	if !s.internal && hidden > 0 {
		parts = append(parts, fmt.Sprintf("%d internal hidden (i)", hidden))
	}
	parts = append(parts, s.SortLabel())
	return s.env.Theme.Muted.Render(strings.Join(parts, " · "))
}
