package views

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
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
	keySortNext       = binding([]string{"s"}, "s", "sort column")
	keySortReverse    = binding([]string{"S"}, "S", "reverse sort")
	keySortCol        = binding([]string{"1", "2", "3", "4", "5", "6"}, "1-6", "sort by column")
)

type topicsLoadedMsg struct {
	topics []backend.Topic
	err    error
}

// topicCols are the sortable columns, in display order.
var topicCols = []string{"NAME", "PARTS", "REPL", "RECORDS", "CLEANUP", "RETENTION"}

type topicsScreen struct {
	env   *Env
	table *ui.Table
	spin  spinner.Model

	all     []backend.Topic // as loaded
	rows    []backend.Topic // filtered and sorted
	loading bool
	loaded  bool
	tickGen int
	err     error

	internal bool
	sortCol  int
	sortDesc bool
	filter   string
	prompt   ui.Prompt

	w, h int
}

// NewTopics is the root screen: every topic with its partition count,
// replication, record count, cleanup policy and retention.
func NewTopics(env *Env) ui.Screen {
	s := &topicsScreen{env: env, spin: newSpinner(env), prompt: ui.NewPrompt(env.Theme)}
	s.table = ui.NewTable(env.Theme, nil)
	s.table.SetEmpty("no topics")
	s.layout()
	return s
}

func (s *topicsScreen) Title() string { return "topics" }

func (s *topicsScreen) Help() []key.Binding {
	return []key.Binding{keyTopicsOpen, keyTopicsRecords, keyTopicsGroups, ui.Keys.Filter, keyTopicsInternal,
		keySortNext, keySortReverse, keySortCol, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp,
		ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom, ui.Keys.Refresh}
}

func (s *topicsScreen) CapturingInput() bool { return s.prompt.Active() }

func (s *topicsScreen) Init() tea.Cmd {
	s.loading = true
	return tea.Batch(s.load(), s.spin.Tick)
}

func (s *topicsScreen) Refresh() tea.Cmd {
	if s.loading {
		return nil
	}
	s.loading = true
	return tea.Batch(s.load(), s.spin.Tick)
}

func (s *topicsScreen) load() tea.Cmd {
	c := s.env.Cluster
	return func() tea.Msg {
		ts, err := c.Topics(context.Background())
		return topicsLoadedMsg{topics: ts, err: err}
	}
}

func (s *topicsScreen) tick() tea.Cmd {
	s.tickGen++
	return refreshTick(s.tickGen)
}

// Back clears an applied filter before esc leaves the screen.
func (s *topicsScreen) Back() (bool, tea.Cmd) {
	if s.filter != "" {
		s.filter = ""
		s.apply()
		return true, nil
	}
	return false, nil
}

func (s *topicsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case topicsLoadedMsg:
		first := !s.loaded
		s.loading = false
		if msg.err != nil {
			// Keep showing the last good list; the status bar has the error
			// (reported once, not again on every failing auto-refresh).
			report := !sameErr(s.err, msg.err)
			s.err = msg.err
			if !report {
				return s, s.tick()
			}
			return s, tea.Batch(s.tick(), func() tea.Msg { return ui.ErrMsg{Err: msg.err, Retry: s.retry} })
		}
		var cmd tea.Cmd
		if s.err != nil {
			cmd = ui.ClearErr()
		}
		s.err, s.loaded, s.all = nil, true, msg.topics
		s.apply()
		if first {
			s.table.Top()
		}
		return s, tea.Batch(cmd, s.tick())

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
		return s, nil

	case tea.PasteMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}

	case tea.KeyPressMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *topicsScreen) updatePrompt(msg tea.Msg) tea.Cmd {
	ev, cmd := s.prompt.Update(msg)
	switch ev {
	case ui.PromptChanged, ui.PromptSubmitted:
		s.filter = strings.TrimSpace(s.prompt.Value())
		s.apply()
	case ui.PromptCancelled:
		s.filter = ""
		s.apply()
	}
	return cmd
}

func (s *topicsScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, ui.Keys.Filter):
		s.prompt.SetWidth(s.w)
		return s.prompt.OpenWith("/", "filter topics", s.filter)
	case key.Matches(msg, keyTopicsOpen):
		if t, ok := s.selected(); ok {
			return ui.Push(NewPartitions(s.env, t.Name))
		}
	case key.Matches(msg, keyTopicsRecords):
		if t, ok := s.selected(); ok {
			return ui.Push(NewRecords(s.env, t.Name, -1))
		}
	case key.Matches(msg, keyTopicsGroups):
		if t, ok := s.selected(); ok {
			return ui.Push(NewGroups(s.env, t.Name))
		}
	case key.Matches(msg, keyTopicsInternal):
		s.internal = !s.internal
		s.apply()
		return ui.Toast(map[bool]string{true: "showing internal topics", false: "internal topics hidden"}[s.internal])
	case key.Matches(msg, keySortNext):
		s.sortCol = (s.sortCol + 1) % len(topicCols)
		s.sortDesc = s.sortCol != 0 // numbers read best largest first
		s.apply()
	case key.Matches(msg, keySortReverse):
		s.sortDesc = !s.sortDesc
		s.apply()
	case key.Matches(msg, keySortCol):
		c, _ := strconv.Atoi(msg.String())
		if c-1 == s.sortCol {
			s.sortDesc = !s.sortDesc
		} else {
			s.sortCol, s.sortDesc = c-1, c-1 != 0
		}
		s.apply()
	default:
		s.table.HandleKey(msg)
	}
	return nil
}

func (s *topicsScreen) selected() (backend.Topic, bool) {
	if len(s.rows) == 0 {
		return backend.Topic{}, false
	}
	return s.rows[s.table.Cursor()], true
}

func isInternal(t backend.Topic) bool { return t.Internal || strings.HasPrefix(t.Name, "__") }

// apply filters and sorts, keeping the cursor on the same topic name.
func (s *topicsScreen) apply() {
	keep := ""
	if t, ok := s.selected(); ok {
		keep = t.Name
	}
	f := strings.ToLower(s.filter)
	s.rows = s.rows[:0]
	for _, t := range s.all {
		if !s.internal && isInternal(t) {
			continue
		}
		if f != "" && !strings.Contains(strings.ToLower(t.Name), f) {
			continue
		}
		s.rows = append(s.rows, t)
	}
	slices.SortStableFunc(s.rows, func(a, b backend.Topic) int {
		var c int
		switch s.sortCol {
		case 1:
			c = cmp.Compare(a.Partitions, b.Partitions)
		case 2:
			c = cmp.Compare(a.ReplicationFactor, b.ReplicationFactor)
		case 3:
			c = cmp.Compare(a.Records, b.Records)
		case 4:
			c = cmp.Compare(a.CleanupPolicy, b.CleanupPolicy)
		case 5:
			c = cmp.Compare(retentionKey(a.RetentionMs), retentionKey(b.RetentionMs))
		}
		if s.sortDesc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.Name, b.Name)
			if s.sortDesc && s.sortCol == 0 {
				c = -c
			}
		}
		return c
	})
	rows := s.rows
	s.table.SetRows(len(rows), func(i int) []string {
		t := rows[i]
		return []string{t.Name, strconv.Itoa(t.Partitions), strconv.Itoa(t.ReplicationFactor),
			ui.FormatCount(t.Records), t.CleanupPolicy, humanDuration(t.RetentionMs)}
	})
	s.table.SetSort(s.sortCol, s.sortDesc)
	if keep != "" {
		for i, t := range rows {
			if t.Name == keep {
				s.table.SetCursor(i)
				break
			}
		}
	}
	if s.filter != "" {
		s.table.SetEmpty("no topic matches " + strconv.Quote(s.filter))
	} else {
		s.table.SetEmpty("no topics")
	}
}

// retentionKey sorts infinite retention (-1) after every finite one.
func retentionKey(ms int64) int64 {
	if ms < 0 {
		return 1<<63 - 1
	}
	return ms
}

func (s *topicsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.prompt.SetWidth(w)
	s.layout()
}

// layout picks columns for the width: at 80 cells all fit; below ~64 the
// cleanup and retention columns go.
func (s *topicsScreen) layout() {
	cols := []ui.Column{
		{Title: topicCols[0], MinWidth: 12, Flex: 1},
		{Title: topicCols[1], Width: 5, Right: true},
		{Title: topicCols[2], Width: 4, Right: true},
		{Title: topicCols[3], Width: 13, Right: true},
		{Title: topicCols[4], Width: 14},
		{Title: topicCols[5], Width: 9, Right: true},
	}
	if s.w > 0 && s.w < 64 {
		cols = cols[:4]
		cols[3].Width = 11
	}
	s.table.SetColumns(cols)
	s.table.SetSize(s.w, max(0, s.h-1))
}

func (s *topicsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		if s.err != nil {
			return centered(th.Error.Render("✗ "+errText(s.err))+"\n"+th.Muted.Render("press R to retry, ctrl+r to reload"), s.w, s.h)
		}
		return centered(s.spin.View()+" loading topics…", s.w, s.h)
	}
	var top string
	if s.prompt.Active() {
		top = s.prompt.View()
	} else {
		top = s.summary()
	}
	return fitLine(top, s.w) + "\n" + s.table.View()
}

func (s *topicsScreen) summary() string {
	th := s.env.Theme
	hidden := 0
	for _, t := range s.all {
		if isInternal(t) {
			hidden++
		}
	}
	parts := []string{fmt.Sprintf(" %d topics", len(s.rows))}
	if s.filter != "" {
		parts = append(parts, "filter "+strconv.Quote(ui.Sanitize(s.filter)))
	}
	if !s.internal && hidden > 0 {
		parts = append(parts, fmt.Sprintf("%d internal hidden (i)", hidden))
	}
	dir := "▲"
	if s.sortDesc {
		dir = "▼"
	}
	parts = append(parts, "sort "+strings.ToLower(topicCols[s.sortCol])+" "+dir)
	line := th.Muted.Render(strings.Join(parts, " · "))
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+errText(s.err))
	}
	return line
}

// retry is the ErrMsg's Retry: a message back to this screen.
func (s *topicsScreen) retry() tea.Msg { return retryMsg{do: s.Refresh} }
