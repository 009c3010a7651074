package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The replays list (:replays): every isolated replay group recorded in the
// data dir, newest first; enter follows one side by side with its live group
// (the view the reprocess flow opens after creating it).

var keyReplaysOpen = binding([]string{"enter"}, "enter", "follow side by side")

type replaysLoadedMsg struct {
	list []*replay.Replay
	err  error
}

type replaysScreen struct {
	env   *Env
	dir   string
	table *ui.Table
	list  []*replay.Replay
	err   error
	w, h  int
}

// NewReplays lists the replays recorded in dataDir.
func NewReplays(env *Env, dataDir string) ui.Screen {
	s := &replaysScreen{env: env, dir: dataDir}
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "CREATED", Width: 19},
		{Title: "REPLAY", MinWidth: 12, Flex: 3},
		{Title: "LIVE GROUP", MinWidth: 10, Flex: 2},
		{Title: "TOPICS", MinWidth: 8, Flex: 2},
		{Title: "SCENARIO", MinWidth: 8, Flex: 2},
		{Title: "WINDOW", Width: 11, Right: true},
		{Title: "STATE", Width: 9},
		{Title: "PARTIAL", Width: 7},
	})
	s.table.SetEmpty("no replays yet: press x on a group screen, or rewind replay start")
	return s
}

func (s *replaysScreen) Title() string { return "replays" }

func (s *replaysScreen) Help() []key.Binding {
	return append([]key.Binding{keyReplaysOpen}, append(ui.TableKeys(), ui.Keys.Refresh)...)
}

func (s *replaysScreen) Init() tea.Cmd { return s.load() }

// Refresh reloads the list.
func (s *replaysScreen) Refresh() tea.Cmd { return s.load() }

func (s *replaysScreen) load() tea.Cmd {
	dir := s.dir
	return func() tea.Msg {
		l, err := replay.ListReplays(dir)
		return replaysLoadedMsg{list: l, err: err}
	}
}

func (s *replaysScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case replaysLoadedMsg:
		s.err = msg.err
		s.list = append([]*replay.Replay(nil), msg.list...)
		// Newest first: the replay an operator just started is on top.
		sortReplaysNewestFirst(s.list)
		l := s.list
		s.table.SetRows(len(l), func(i int) []string {
			r := l[i]
			partial := ""
			if r.Partial {
				partial = "PARTIAL"
			}
			return []string{r.CreatedAt.Local().Format("2006-01-02 15:04:05"), ui.Sanitize(r.Name), ui.Sanitize(r.Group),
				ui.Sanitize(strings.Join(r.Topics, ",")), ui.Sanitize(r.Scenario), ui.FormatCount(r.Window()),
				ui.Sanitize(dashIfEmpty(r.State)), partial}
		})
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		if key.Matches(msg, keyReplaysOpen) {
			if c := s.table.Cursor(); c >= 0 && c < len(s.list) {
				return s, ui.Push(NewReplayStatus(s.env, s.dir, s.list[c].Name))
			}
			return s, nil
		}
		s.table.HandleKey(msg)
	}
	return s, nil
}

func sortReplaysNewestFirst(l []*replay.Replay) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j].CreatedAt.After(l[j-1].CreatedAt); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

func (s *replaysScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(1, h-1))
}

func (s *replaysScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	head := th.Muted.Render(fmt.Sprintf(" %d replay(s) in %s · cut over or delete with rewind replay cutover|delete NAME", len(s.list), ui.Sanitize(s.dir)))
	if s.err != nil {
		head = " " + th.Error.Render("✗ "+errText(s.err))
	}
	lines := append([]string{head}, strings.Split(s.table.View(), "\n")...)
	return joinLines(lines, s.w, s.h)
}
