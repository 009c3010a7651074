package ui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui/uitest"
)

func theme(t testing.TB, name string) themes.Theme {
	t.Helper()
	th, err := themes.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// screenLines is what a person sees: the lines without styling.
func screenLines(view string) []string {
	return strings.Split(ansi.Strip(view), "\n")
}

func numberedRows(n int) func(i int) []string {
	return func(i int) []string {
		return []string{"row " + strconv.Itoa(i), strconv.Itoa(i * 10)}
	}
}

func newTestTable(t testing.TB, w, h, n int) *Table {
	tb := NewTable(theme(t, "dark"), []Column{{Title: "NAME"}, {Title: "VALUE", Width: 8, Right: true}})
	tb.SetSize(w, h)
	tb.SetRows(n, numberedRows(n))
	return tb
}

func checkSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := screenLines(view)
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d:\n%s", len(lines), h, ansi.Strip(view))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, l)
		}
	}
}

// selected returns the stripped line the cursor is on (drawn in reverse or
// with a background), found by comparing with the unstyled rendering.
func selectedLine(t *testing.T, tb *Table) string {
	t.Helper()
	raw := strings.Split(tb.View(), "\n")
	pre, _ := styleWrap(theme(t, "dark").SelectedRow)
	for _, l := range raw {
		if strings.HasPrefix(l, pre) {
			return ansi.Strip(l)
		}
	}
	t.Fatalf("no selected line in\n%s", ansi.Strip(tb.View()))
	return ""
}

func TestTableWindowFollowsCursor(t *testing.T) {
	tb := newTestTable(t, 30, 6, 100) // header + 5 rows
	lines := screenLines(tb.View())
	if !strings.HasPrefix(strings.TrimSpace(lines[0]), "NAME") || !strings.Contains(lines[1], "row 0") {
		t.Fatalf("first screen:\n%s", strings.Join(lines, "\n"))
	}

	tb.MoveDown(7)
	lines = screenLines(tb.View())
	if !strings.Contains(lines[1], "row 3 ") || !strings.Contains(lines[5], "row 7 ") {
		t.Errorf("after 7 down, want rows 3..7 visible:\n%s", strings.Join(lines, "\n"))
	}
	if got := selectedLine(t, tb); !strings.Contains(got, "row 7 ") {
		t.Errorf("selected line = %q, want row 7", got)
	}

	tb.MoveUp(5) // row 2: scrolls up by one
	lines = screenLines(tb.View())
	if !strings.Contains(lines[1], "row 2 ") {
		t.Errorf("after moving up to row 2, first row:\n%s", strings.Join(lines, "\n"))
	}

	tb.Bottom()
	lines = screenLines(tb.View())
	if !strings.Contains(lines[5], "row 99 ") || tb.Cursor() != 99 {
		t.Errorf("bottom: cursor %d\n%s", tb.Cursor(), strings.Join(lines, "\n"))
	}
	tb.MoveDown(10) // clamped
	if tb.Cursor() != 99 {
		t.Errorf("cursor past the end: %d", tb.Cursor())
	}

	tb.Top()
	tb.PageDown()
	if first, end := tb.Visible(); first != 5 || end != 10 || tb.Cursor() != 5 {
		t.Errorf("page down: visible [%d,%d) cursor %d, want [5,10) 5", first, end, tb.Cursor())
	}
	tb.PageUp()
	if first, _ := tb.Visible(); first != 0 || tb.Cursor() != 0 {
		t.Errorf("page up: first %d cursor %d", first, tb.Cursor())
	}
	checkSize(t, tb.View(), 30, 6)
}

func TestTableKeysAndWheel(t *testing.T) {
	tb := newTestTable(t, 30, 6, 100)
	press := uitest.Key
	steps := []struct {
		key  string
		want int
	}{{"j", 1}, {"down", 2}, {"k", 1}, {"G", 99}, {"g", 0}, {"pgdown", 5}, {"end", 99}}
	for _, s := range steps {
		if !tb.HandleKey(press(s.key)) {
			t.Fatalf("%s not handled", s.key)
		}
		if tb.Cursor() != s.want {
			t.Errorf("after %s cursor = %d, want %d", s.key, tb.Cursor(), s.want)
		}
	}
	if tb.HandleKey(press("x")) {
		t.Error("x handled as a navigation key")
	}
	tb.Top()
	tb.HandleMouse(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if tb.Cursor() != wheelStep {
		t.Errorf("wheel down: cursor %d, want %d", tb.Cursor(), wheelStep)
	}
	tb.HandleMouse(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if tb.Cursor() != 0 {
		t.Errorf("wheel up: cursor %d, want 0", tb.Cursor())
	}
}

func TestTableTruncation(t *testing.T) {
	tb := NewTable(theme(t, "dark"), []Column{{Title: "K", Width: 8}, {Title: "V", Width: 8}})
	tb.SetSize(18, 4)
	rows := [][]string{
		{"abcdefghijkl", "日本語テキスト"},
		{"short", "😀😀😀😀😀"},
	}
	tb.SetRows(len(rows), func(i int) []string { return rows[i] })
	lines := screenLines(tb.View())
	if want := " abcdefg… 日本語… "; lines[1] != want+strings.Repeat(" ", 18-ansi.StringWidth(want)) {
		t.Errorf("row 0 = %q, want %q", lines[1], want)
	}
	if !strings.Contains(lines[2], "😀😀😀…") {
		t.Errorf("row 1 = %q, want emoji cut at a cell boundary", lines[2])
	}
	checkSize(t, tb.View(), 18, 4)

	// Narrower than the columns: the line is cut at the table width.
	tb.SetSize(12, 4)
	checkSize(t, tb.View(), 12, 4)
}

func TestTableRightAlign(t *testing.T) {
	tb := newTestTable(t, 30, 4, 3)
	lines := screenLines(tb.View())
	if !strings.HasSuffix(lines[0], "   VALUE") {
		t.Errorf("header %q: VALUE not right-aligned", lines[0])
	}
	if !strings.HasSuffix(lines[3], "      20") {
		t.Errorf("row %q: number not right-aligned", lines[3])
	}
}

func TestTableFlexLayout(t *testing.T) {
	tb := NewTable(theme(t, "dark"), []Column{
		{Title: "A", Flex: 2}, {Title: "B", Width: 5}, {Title: "C", Flex: 1}, {Title: "D", MinWidth: 4, Flex: 1},
	})
	tb.SetSize(44, 3) // 40 cells after gaps, 35 after B
	if got := fmt.Sprint(tb.widths); got != "[17 5 9 9]" {
		t.Errorf("widths = %s, want [17 5 9 9]", got)
	}
	tb.SetSize(12, 3) // 8 left after gaps: flex columns fall back to MinWidth
	if tb.widths[3] != 4 {
		t.Errorf("MinWidth not honoured: %v", tb.widths)
	}
	checkSize(t, tb.View(), 12, 3)
}

func TestTableEmptyState(t *testing.T) {
	tb := newTestTable(t, 30, 5, 0)
	tb.SetEmpty("no topics")
	view := tb.View()
	lines := screenLines(view)
	if strings.TrimSpace(lines[1]) != "no topics" {
		t.Errorf("empty state line = %q", lines[1])
	}
	if !strings.Contains(lines[0], "NAME") {
		t.Errorf("header missing in empty state: %q", lines[0])
	}
	checkSize(t, view, 30, 5)
	if tb.Cursor() != 0 {
		t.Errorf("cursor on empty table = %d", tb.Cursor())
	}
}

func TestTableSortIndicator(t *testing.T) {
	tb := newTestTable(t, 30, 3, 3)
	tb.SetSort(1, true)
	if h := screenLines(tb.View())[0]; !strings.Contains(h, "VALUE ▼") {
		t.Errorf("header %q: no ▼ on VALUE", h)
	}
	tb.SetSort(0, false)
	if h := screenLines(tb.View())[0]; !strings.Contains(h, "NAME ▲") || strings.Contains(h, "▼") {
		t.Errorf("header %q: want ▲ on NAME only", h)
	}
	// A cut title keeps its indicator.
	tb.SetColumns([]Column{{Title: "PARTITIONS", Width: 6}, {Title: "X"}})
	tb.SetSort(0, true)
	if h := screenLines(tb.View())[0]; !strings.Contains(h, "PAR… ▼") {
		t.Errorf("header %q: indicator lost when the title is cut", h)
	}
}

func TestTableSanitisesCells(t *testing.T) {
	tb := newTestTable(t, 40, 3, 1)
	tb.SetRows(1, func(int) []string { return []string{"\x1b]52;c;aGk=\x07evil", "\x1b[2J"} })
	v := tb.View()
	if strings.Contains(ansi.Strip(v), "\x1b") || strings.Contains(v, "\x1b]") || strings.Contains(v, "\x07") {
		t.Fatalf("escape sequence from a cell reached the output: %q", v)
	}
	if !strings.Contains(v, "␛]52;c;aGk=␇evil") {
		t.Errorf("sanitised cell not shown: %q", ansi.Strip(v))
	}
}

func TestTableFetchesVisibleRowsOnly(t *testing.T) {
	tb := newTestTable(t, 40, 10, 1_000_000)
	calls := 0
	tb.SetRows(1_000_000, func(i int) []string { calls++; return []string{"r", "1"} })
	tb.SetCursor(500_000)
	_ = tb.View()
	if calls != 9 {
		t.Errorf("View fetched %d rows, want the 9 visible", calls)
	}
}

func TestTableAllocsIndependentOfRows(t *testing.T) {
	allocs := func(n int) float64 {
		tb := NewTable(theme(t, "dark"), []Column{{Title: "A"}, {Title: "B", Width: 10, Right: true}})
		tb.SetSize(160, 45)
		cells := []string{"some row text", "12,345"}
		tb.SetRows(n, func(int) []string { return cells })
		tb.SetCursor(n / 2)
		return testing.AllocsPerRun(50, func() {
			tb.MoveDown(1)
			_ = tb.View()
		})
	}
	small, big := allocs(1000), allocs(1_000_000)
	if small != big {
		t.Errorf("allocations depend on the row count: %v for 1k rows, %v for 1M", small, big)
	}
}

func BenchmarkTableView(b *testing.B) {
	th, _ := themes.Get("dark")
	tb := NewTable(th, []Column{
		{Title: "OFFSET", Width: 10, Right: true},
		{Title: "PARTITION", Width: 9, Right: true},
		{Title: "TIMESTAMP", Width: 24},
		{Title: "KEY", Width: 14},
		{Title: "VALUE", MinWidth: 20},
		{Title: "SIZE", Width: 8, Right: true},
	})
	tb.SetSize(160, 45)
	const n = 1_000_000
	value := []byte(`{"order_id":"o-123456","customer":"c-42","amount":123.45,"status":"paid"}`)
	tb.SetRows(n, func(i int) []string {
		// What a records view does per visible row.
		return []string{
			FormatCount(int64(i)), "3", "2026-09-01T12:00:00.000Z",
			"o-" + strconv.Itoa(i), Preview(value, 200), FormatBytes(int64(len(value))),
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		tb.MoveDown(1)
		if tb.Cursor() == n-1 {
			tb.Top()
		}
		_ = tb.View()
	}
}

func TestTruncateMiddle(t *testing.T) {
	a := truncateMiddle("rewind.projection.revenue_v2.v1", 20)
	b := truncateMiddle("rewind.projection.revenue_v2.v2", 20)
	if a == b || textWidth(a) != 20 || a != "rewind…revenue_v2.v1" {
		t.Fatalf("%q %q", a, b)
	}
	if got := truncateMiddle("short", 20); got != "short" {
		t.Fatal(got)
	}
	if got := truncateMiddle("αβγδεζηθικλμνξοπρστυφχψω", 10); textWidth(got) != 10 || !strings.HasSuffix(got, "υφχψω") {
		t.Fatalf("%q", got)
	}
}
