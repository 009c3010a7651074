package ui

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui/uitest"
)

type fruit struct {
	name string
	n    int
}

func fruitSpec() ListSpec[fruit] {
	return ListSpec[fruit]{
		Columns: func(w int) []Column {
			return []Column{{Title: "NAME", MinWidth: 8, Flex: 1}, {Title: "N", ID: "count", Width: 4, Right: true}}
		},
		Cells:      func(f fruit) []string { return []string{f.name, strings.Repeat("x", f.n)} },
		Key:        func(f fruit) string { return f.name },
		Match:      func(f fruit, q string) bool { return strings.Contains(f.name, q) },
		FilterHint: "filter fruit",
		Sorts: []Sort[fruit]{
			{Name: "name", Column: "NAME", Compare: func(a, b fruit) int { return cmp.Compare(a.name, b.name) }},
			{Name: "count", Column: "count", Compare: func(a, b fruit) int { return cmp.Compare(a.n, b.n) }, Desc: true},
		},
		Tie: func(a, b fruit) int { return cmp.Compare(a.name, b.name) },
		Empty: func(f string) string {
			if f != "" {
				return "no fruit matches " + f
			}
			return "no fruit"
		},
	}
}

func press(t *testing.T, l *List[fruit], keys ...string) {
	t.Helper()
	for _, k := range keys {
		l.HandleKey(uitest.Key(k))
	}
}

func names(l *List[fruit]) string {
	var s []string
	for _, f := range l.Rows() {
		s = append(s, f.name)
	}
	return strings.Join(s, ",")
}

// TestListSortFilterCursor: the sort keys order the rows (s: next order at
// its default direction, S: reverse, a digit twice: reverse), ties keep a
// fixed order, the arrow marks the order's column even when it is named by
// ID, the filter narrows as typed, and the cursor stays on its row.
func TestListSortFilterCursor(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	l := NewList(th, fruitSpec())
	l.SetSize(40, 8)
	l.SetItems([]fruit{{"pear", 2}, {"apple", 3}, {"fig", 2}, {"kiwi", 1}})
	if got := names(l); got != "apple,fig,kiwi,pear" || l.SortLabel() != "sort name ▲" {
		t.Fatalf("initial order %s, %q", got, l.SortLabel())
	}
	press(t, l, "down") // fig
	press(t, l, "s")    // count, largest first; fig and pear tie, by name
	if got := names(l); got != "apple,fig,pear,kiwi" || l.SortLabel() != "sort count ▼" {
		t.Fatalf("by count: %s %q", got, l.SortLabel())
	}
	if f, _ := l.Selected(); f.name != "fig" {
		t.Fatalf("the cursor left fig for %s", f.name)
	}
	if v := ansi.Strip(l.View()); !strings.Contains(v, "N ▼") {
		t.Fatalf("the arrow should mark the count column (by ID):\n%s", v)
	}
	press(t, l, "S")
	if got := names(l); got != "kiwi,fig,pear,apple" {
		t.Fatalf("reversed: %s (ties stay by name)", got)
	}
	press(t, l, "1", "1") // name, then name again: reversed
	if got := names(l); got != "pear,kiwi,fig,apple" || l.SortLabel() != "sort name ▼" {
		t.Fatalf("1 twice: %s %q", got, l.SortLabel())
	}
	press(t, l, "/", "i")
	if !l.PromptActive() || names(l) != "kiwi,fig" || l.FilterLabel() != `filter "i"` {
		t.Fatalf("filter as typed: active %v rows %s label %q", l.PromptActive(), names(l), l.FilterLabel())
	}
	if f, _ := l.Selected(); f.name != "fig" {
		t.Fatalf("filtering moved the cursor to %s, want fig", f.name)
	}
	press(t, l, "q") // typed into the prompt, not a key of the list
	if v := ansi.Strip(l.View()); !strings.Contains(v, "no fruit matches iq") {
		t.Fatalf("empty text with the filter:\n%s", v)
	}
	press(t, l, "esc")
	if l.PromptActive() || l.Filter() != "" || names(l) != "pear,kiwi,fig,apple" {
		t.Fatalf("esc cancels the filter: %v %q %s", l.PromptActive(), l.Filter(), names(l))
	}
	press(t, l, "/", "a", "enter")
	if l.PromptActive() || names(l) != "pear,apple" || !l.ClearFilter() || names(l) != "pear,kiwi,fig,apple" {
		t.Fatalf("enter keeps the filter and ClearFilter drops it: %s", names(l))
	}
}

// brokersScreen is the trivial list screen the ListScreen doc shows: its
// own file would hold only this.
type brokersScreen struct{ *ListScreen[fruit] }

func (s *brokersScreen) Update(msg tea.Msg) (Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }
func (s *brokersScreen) Title() string                        { return "brokers" }
func (s *brokersScreen) Help() []key.Binding                  { return TableKeys() }

// TestListScreenThroughShell: a list screen in the real shell shows the
// spinner, then its rows under its summary; a failed reload keeps the rows
// with the error beside them; esc clears a filter before leaving.
func TestListScreenThroughShell(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	fail := make(chan error, 1)
	fetch := func(context.Context) ([]fruit, error) {
		select {
		case err := <-fail:
			return nil, err
		default:
			return []fruit{{"b1", 1}, {"b2", 2}}, nil
		}
	}
	spec := ListScreenSpec[fruit]{ListSpec: fruitSpec(), Loading: "loading brokers…",
		Summary: func() string { return " brokers" }}
	s := &brokersScreen{NewListScreen(th, fetch, spec)}
	r := start(t, Options{Theme: th, Root: s}, 60, 12)
	r.waitFor("rows", func(v string) bool { return strings.Contains(v, "b1") && strings.Contains(v, "b2") })
	fail <- errors.New("broker down")
	r.press("ctrl+r")
	r.waitFor("error beside the rows", func(v string) bool {
		return strings.Contains(lines(v)[1], "brokers  ✗ broker down") && strings.Contains(v, "b1")
	})
	r.press("/")
	r.tm.Type("2")
	r.press("enter")
	r.waitFor("filtered", func(v string) bool { return !strings.Contains(v, "b1") && strings.Contains(v, "b2") })
	r.press("esc")
	r.waitFor("filter cleared, still there", func(v string) bool { return strings.Contains(v, "b1") && strings.Contains(v, "b2") })
}

// Start puts the cursor on its row after the first load only: a reload
// keeps the row the operator moved to.
func TestListScreenStartRow(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	fetch := func(context.Context) ([]fruit, error) { return []fruit{{"a", 1}, {"b", 2}, {"c", 3}}, nil }
	spec := ListScreenSpec[fruit]{ListSpec: fruitSpec(), Start: func(f fruit) bool { return f.name == "b" }}
	s := &brokersScreen{NewListScreen(th, fetch, spec)}
	s.SetSize(40, 6)
	s.Update(result2(t, s.Init()))
	if f, _ := s.Selected(); f.name != "b" {
		t.Fatalf("after the first load the cursor is on %q, want b", f.name)
	}
	s.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	s.Update(result2(t, s.Refresh()))
	if f, _ := s.Selected(); f.name != "c" {
		t.Fatalf("after a reload the cursor is on %q, want c (where it was moved)", f.name)
	}
}

// result2 runs a list screen's fetch command and returns its result.
func result2(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	for _, m := range flatten(cmd) {
		if _, ok := m.(loadedMsg[func() []fruit]); ok {
			return m
		}
	}
	t.Fatal("no fetch result in the command")
	return nil
}

// Column budgeting: a flexible column takes no more than its widest cell,
// so an identifier beside a column of short cells is shown whole, and a
// short name column does not take a wide screen.
func TestListColumnsSizedByContent(t *testing.T) {
	spec := ListSpec[fruit]{
		Columns: func(int) []Column {
			return []Column{{Title: "GROUP", MinWidth: 6, Flex: 1}, {Title: "TOPICS", MinWidth: 6, Flex: 3}, {Title: "LAG", Width: 5, Right: true}}
		},
		Cells: func(f fruit) []string { return []string{f.name, "orders", "7"} },
	}
	th, _ := themes.Get(themes.NoColor)
	l := NewList(th, spec)
	l.SetItems([]fruit{{name: "rewind.projection.revenue.v2"}, {name: "g1"}})
	l.SetSize(60, 5)
	v := ansi.Strip(l.View())
	if !strings.Contains(v, "rewind.projection.revenue.v2 orders") {
		t.Fatalf("identifier cut while TOPICS had room:\n%s", v)
	}
	// At 160 columns the table is as wide as its content: LAG right after
	// TOPICS, not pushed to the far right.
	l.SetSize(160, 5)
	v = ansi.Strip(l.View())
	line := strings.Split(v, "\n")[1]
	if i := strings.Index(line, "7"); i < 0 || i > 45 {
		t.Fatalf("LAG at column %d of 160, the flexible columns took the room of nothing:\n%s", i, v)
	}
	// Too narrow for everything: the columns still share, none below its
	// minimum.
	l.SetSize(30, 5)
	v = ansi.Strip(l.View())
	if !strings.Contains(v, "rewind.projec… orders") {
		t.Fatalf("narrow table:\n%s", v)
	}
}
