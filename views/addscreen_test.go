package views

import (
	"cmp"
	"strconv"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Adding a screen is one file plus one palette line. The first part of
// this file is all a new list screen needs (here :widths, the topics by
// partition count); the test registers it with the line views/commands.go
// would get and drives it through the real shell. Spinner, error and
// retry, refresh, the "/" filter, the sort keys, the table and esc come
// from ui.ListScreen: none of it is written here. (views/brokers.go was
// added the same way: its file, its test, one line in commands.go.)

type widthsScreen struct {
	*ui.ListScreen[backend.Topic]
}

func newWidths(env *Env) ui.Screen {
	s := &widthsScreen{}
	s.ListScreen = ui.NewListScreen(env.Theme, env.Cluster.Topics, ui.ListScreenSpec[backend.Topic]{
		ListSpec: ui.ListSpec[backend.Topic]{
			Columns: func(int) []ui.Column {
				return []ui.Column{{Title: "TOPIC", MinWidth: 10, Flex: 1}, {Title: "PARTITIONS", Width: 12, Right: true}}
			},
			Cells: func(t backend.Topic) []string { return []string{ui.Sanitize(t.Name), strconv.Itoa(t.Partitions)} },
			Key:   func(t backend.Topic) string { return t.Name },
			Match: func(t backend.Topic, f string) bool { return strings.Contains(strings.ToLower(t.Name), f) },
			Sorts: []ui.Sort[backend.Topic]{
				{Name: "partitions", Column: "PARTITIONS", Desc: true, Compare: func(a, b backend.Topic) int { return cmp.Compare(a.Partitions, b.Partitions) }},
				{Name: "name", Column: "TOPIC", Compare: func(a, b backend.Topic) int { return cmp.Compare(a.Name, b.Name) }},
			},
			Empty: func(string) string { return "no topics" },
		},
		Loading: "loading topics…",
		What:    "topics",
	})
	return s
}

func (s *widthsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }
func (s *widthsScreen) Title() string                           { return "widths" }
func (s *widthsScreen) Help() []key.Binding                     { return append(ui.TableKeys(), ui.Keys.Filter) }

func TestAddScreenIsOneFileAndOnePaletteLine(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "alpha", 1, nil)
	createTopic(t, cl, "beta", 3, nil)
	createTopic(t, cl, "gamma", 2, nil)

	cmds := append(Commands(env),
		ui.Command{Name: "widths", Desc: "topics by partition count", Open: func() ui.Screen { return newWidths(env) }}, // the one line
	)
	h := startAppWith(t, env, NewTopics(env), cmds, 100, 16)
	h.waitText(t, "alpha")
	h.keys(":")
	h.typeText("widths")
	h.keys("enter")
	order := func(names ...string) func(string) bool {
		return func(v string) bool {
			at := -1
			for _, n := range names {
				i := strings.Index(v, n)
				if i <= at {
					return false
				}
				at = i
			}
			return strings.Contains(v, "widths")
		}
	}
	h.waitFor(t, "widest first", order("PARTITIONS ▼", "beta", "gamma", "alpha"))
	h.keys("2") // the second sort: by name
	h.waitFor(t, "sorted by name", order("TOPIC ▲", "alpha", "beta", "gamma"))
	h.keys("/")
	h.typeText("gam")
	h.keys("enter")
	h.waitFor(t, "filtered", func(v string) bool { return strings.Contains(v, "gamma") && !strings.Contains(v, "beta") })
	h.keys("esc") // clears the filter
	h.waitFor(t, "filter cleared", order("alpha", "beta", "gamma"))
	h.keys("esc") // leaves the screen
	h.waitFor(t, "back on topics", func(v string) bool { return !strings.Contains(v, "widths") && strings.Contains(v, "topics") })
}
