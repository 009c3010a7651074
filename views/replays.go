package views

import (
	"context"
	"fmt"
	"slices"
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

type replaysScreen struct {
	*ui.ListScreen[*replay.Replay]
	env *Env
	dir string
}

// NewReplays lists the replays recorded in dataDir.
func NewReplays(env *Env, dataDir string) ui.Screen {
	s := &replaysScreen{env: env, dir: dataDir}
	fetch := func(context.Context) ([]*replay.Replay, error) {
		l, err := replay.ListReplays(dataDir)
		sortReplaysNewestFirst(l) // the replay an operator just started is on top
		return l, err
	}
	s.ListScreen = ui.NewListScreen(env.Theme, fetch, ui.ListScreenSpec[*replay.Replay]{
		ListSpec: ui.ListSpec[*replay.Replay]{
			Columns: func(int) []ui.Column {
				return []ui.Column{
					{Title: "CREATED", Width: 19},
					{Title: "REPLAY", MinWidth: 12, Flex: 3},
					{Title: "LIVE GROUP", MinWidth: 10, Flex: 2},
					{Title: "TOPICS", MinWidth: 8, Flex: 2},
					{Title: "SCENARIO", MinWidth: 8, Flex: 2},
					{Title: "WINDOW", Width: 11, Right: true},
					{Title: "STATE", Width: 9},
					{Title: "PARTIAL", Width: 7},
				}
			},
			Cells: replayCells,
			Key:   func(r *replay.Replay) string { return r.Name },
			Empty: func(string) string { return "no replays yet: press x on a group screen, or rewind replay start" },
		},
		Loading: "loading replays…",
		Summary: func() string {
			return env.Theme.Muted.Render(fmt.Sprintf(" %s in %s · enter: follow one, then C cut over or D delete it",
				plural(len(s.Items()), "replay"), ui.Sanitize(dataDir)))
		},
		Keys: func(msg tea.KeyPressMsg) (tea.Cmd, bool) {
			if !key.Matches(msg, keyReplaysOpen) {
				return nil, false
			}
			if r, ok := s.Selected(); ok {
				return ui.Push(NewReplayStatus(env, dataDir, r.Name)), true
			}
			return nil, true
		},
	})
	return s
}

func (s *replaysScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *replaysScreen) Title() string { return "replays" }

func (s *replaysScreen) Help() []key.Binding {
	return append([]key.Binding{keyReplaysOpen}, append(ui.TableKeys(), ui.Keys.Refresh)...)
}

func replayCells(r *replay.Replay) []string {
	partial := ""
	if r.Partial {
		partial = "PARTIAL"
	}
	return []string{r.CreatedAt.Local().Format("2006-01-02 15:04:05"), ui.Sanitize(r.Name), ui.Sanitize(r.Group),
		ui.Sanitize(strings.Join(r.Topics, ",")), ui.Sanitize(r.Scenario), ui.FormatCount(r.Window()),
		ui.Sanitize(dashIfEmpty(r.State)), partial}
}

func sortReplaysNewestFirst(l []*replay.Replay) {
	slices.SortStableFunc(l, func(a, b *replay.Replay) int { return b.CreatedAt.Compare(a.CreatedAt) })
}
