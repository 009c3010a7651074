package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
)

// Column describes one table column.
type Column struct {
	Title string
	// ID names the column for a List's sort orders when the title changes
	// with the width ("MEMBERS", "MBRS"); empty means Title.
	ID string
	// Width is a fixed width in cells; 0 makes the column flexible.
	Width int
	// MinWidth is the least a flexible column shrinks to.
	MinWidth int
	// Flex is a flexible column's share of the width left after fixed
	// columns (0 counts as 1).
	Flex int
	// Right right-aligns the column (numbers).
	Right bool
	// Middle truncates a long cell in the middle, keeping its end, where
	// names differ at the end ("rewind.pr…venue_v2.v2" and "….v1").
	Middle bool
}

// wheelStep is how many rows one mouse wheel notch moves the cursor.
const wheelStep = 3

// Table is a virtual table: it holds no rows, only a row count and a
// function returning the cells of row i, which it calls for the visible rows
// only. Moving the cursor and rendering cost the same for ten rows or ten
// million, which the bubbles table (it re-renders every row on each cursor
// move) does not.
//
// Cells are plain text. Callers sanitise record data; the table checks each
// visible cell again (a cheap scan) and replaces anything unsafe, so one
// forgotten Sanitize cannot reach the terminal. Cells are truncated by
// display width with "…".
//
// View always returns exactly the size set by SetSize: a header line, then
// the rows, padded with blank lines.
type Table struct {
	cols    []Column
	widths  []int // computed per column by layout
	natural []int // per column, from SetNatural; 0 = unknown
	w, h    int

	n   int
	row func(i int) []string

	cursor, offset int
	sortCol        int
	sortDesc       bool
	empty          string

	theme               themes.Theme
	hdrPre, hdrPost     string
	rowPre, rowPost     string
	selPre, selPost     string
	emptyPre, emptyPost string
	buf                 []byte
}

// NewTable returns an empty table with the given columns.
func NewTable(theme themes.Theme, cols []Column) *Table {
	t := &Table{sortCol: -1, empty: "no rows"}
	t.SetTheme(theme)
	t.SetColumns(cols)
	return t
}

// SetTheme changes the styles used by View.
func (t *Table) SetTheme(theme themes.Theme) {
	t.theme = theme
	t.hdrPre, t.hdrPost = styleWrap(theme.Header)
	t.rowPre, t.rowPost = styleWrap(theme.Row)
	t.selPre, t.selPost = styleWrap(theme.SelectedRow)
	t.emptyPre, t.emptyPost = styleWrap(theme.Muted)
}

// styleWrap splits what a style puts around its text into a prefix and a
// suffix, so a pre-sized line can be styled by concatenation instead of a
// full lipgloss Render per row. Theme styles carry only colours and
// attributes (themes_test checks), for which this is exact.
func styleWrap(st lipgloss.Style) (pre, post string) {
	r := st.Render("X")
	i := strings.IndexByte(r, 'X')
	if i < 0 {
		return "", ""
	}
	return r[:i], r[i+1:]
}

// SetColumns replaces the columns. A sort indicator stays on its index.
func (t *Table) SetColumns(cols []Column) {
	t.cols = append(t.cols[:0], cols...)
	t.layout()
}

// Columns returns the current columns.
func (t *Table) Columns() []Column { return t.cols }

// SetSize sets the table's width and height in cells, header included.
func (t *Table) SetSize(w, h int) {
	t.w, t.h = max(0, w), max(0, h)
	t.layout()
	t.clamp()
}

// Width returns the width set by SetSize.
func (t *Table) Width() int { return t.w }

// Height returns the height set by SetSize.
func (t *Table) Height() int { return t.h }

// SetRows sets the row count and the function that returns the cells of
// row i (0 <= i < n). It is called only for visible rows, on View. The
// cursor stays on its index, clamped to the new count.
func (t *Table) SetRows(n int, row func(i int) []string) {
	t.n, t.row = max(0, n), row
	t.clamp()
}

// Len returns the row count.
func (t *Table) Len() int { return t.n }

// SetEmpty sets the text shown when there are no rows, e.g. "no topics".
func (t *Table) SetEmpty(s string) { t.empty = s }

// SetSort draws a ▲ (ascending) or ▼ (descending) after column col's title;
// col < 0 draws none. Sorting the rows is the caller's job.
func (t *Table) SetSort(col int, desc bool) { t.sortCol, t.sortDesc = col, desc }

// Cursor returns the selected row index (0 when the table is empty).
func (t *Table) Cursor() int { return t.cursor }

// SetCursor selects row i, clamped to the rows, and scrolls to it.
func (t *Table) SetCursor(i int) {
	t.cursor = i
	t.clamp()
}

// Offset returns the index of the first visible row.
func (t *Table) Offset() int { return t.offset }

// Visible returns the half-open range [first, end) of rows on screen, for
// callers that fetch data around what is shown.
func (t *Table) Visible() (first, end int) {
	return t.offset, min(t.n, t.offset+t.page())
}

// page is the number of row lines below the header.
func (t *Table) page() int { return max(1, t.h-1) }

// MoveUp moves the cursor up n rows.
func (t *Table) MoveUp(n int) { t.SetCursor(t.cursor - n) }

// MoveDown moves the cursor down n rows.
func (t *Table) MoveDown(n int) { t.SetCursor(t.cursor + n) }

// PageUp moves the cursor and the view up one page.
func (t *Table) PageUp() {
	t.offset -= t.page()
	t.SetCursor(t.cursor - t.page())
}

// PageDown moves the cursor and the view down one page.
func (t *Table) PageDown() {
	t.offset += t.page()
	t.SetCursor(t.cursor + t.page())
}

// Top selects the first row.
func (t *Table) Top() { t.SetCursor(0) }

// Bottom selects the last row.
func (t *Table) Bottom() { t.SetCursor(t.n - 1) }

// HandleKey applies a navigation key (up/down/k/j, pgup/pgdown, ctrl+b/f/u/d,
// home/end/g/G) and reports whether it was one.
func (t *Table) HandleKey(msg tea.KeyPressMsg) bool {
	switch {
	case key.Matches(msg, Keys.Up):
		t.MoveUp(1)
	case key.Matches(msg, Keys.Down):
		t.MoveDown(1)
	case key.Matches(msg, Keys.PageUp):
		t.PageUp()
	case key.Matches(msg, Keys.PageDown):
		t.PageDown()
	case key.Matches(msg, Keys.Top):
		t.Top()
	case key.Matches(msg, Keys.Bottom):
		t.Bottom()
	default:
		return false
	}
	return true
}

// HandleMouse moves the cursor on wheel up/down and reports whether it did.
func (t *Table) HandleMouse(msg tea.MouseWheelMsg) bool {
	switch msg.Button {
	case tea.MouseWheelUp:
		t.MoveUp(wheelStep)
	case tea.MouseWheelDown:
		t.MoveDown(wheelStep)
	default:
		return false
	}
	return true
}

// clamp keeps the cursor on a row and the cursor's row on screen.
func (t *Table) clamp() {
	t.cursor = max(0, min(t.cursor, t.n-1))
	p := t.page()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+p {
		t.offset = t.cursor - p + 1
	}
	t.offset = max(0, min(t.offset, t.n-p))
}

// SetNatural sets each column's natural width, the widest of its title and
// cells (0: unknown). A flexible column never takes more than its natural
// width, and what it leaves goes to the other flexible columns: a short
// name column does not take a wide screen's room from a column that needs
// it, and an identifier is cut only when the screen is really too narrow.
func (t *Table) SetNatural(nat []int) {
	if slices.Equal(t.natural, nat) {
		return
	}
	t.natural = append(t.natural[:0], nat...)
	t.layout()
}

// Widths are the columns' widths for the current size (the gap before each
// column not included), for callers that size previews to their column.
func (t *Table) Widths() []int { return t.widths }

// layout computes column widths: fixed columns keep theirs; flexible ones
// share what is left by Flex, never below MinWidth, and never above their
// natural width (SetNatural): a column that needs less than its share takes
// what it needs and the others share the rest again. Each column is
// preceded by a one-cell gap. When even that does not fit, View cuts the
// line at the table width.
func (t *Table) layout() {
	t.widths = t.widths[:0]
	rest := t.w - len(t.cols)
	var open []int // flexible columns still sharing
	for i, c := range t.cols {
		t.widths = append(t.widths, c.Width)
		if c.Width > 0 {
			rest -= c.Width
		} else {
			open = append(open, i)
		}
	}
	rest = max(0, rest)
	share := func(i int) int { return max(1, t.cols[i].Flex) }
	for changed := true; changed; {
		changed = false
		shares := 0
		for _, i := range open {
			shares += share(i)
		}
		keep := open[:0]
		for _, i := range open {
			// Needs no more than its share of what is left: settle it.
			if want := t.naturalWidth(i); want > 0 && want*shares <= rest*share(i) {
				t.widths[i] = want
				rest -= want
				changed = true
				continue
			}
			keep = append(keep, i)
		}
		open = keep
	}
	left, leftShares := rest, 0
	for _, i := range open {
		leftShares += share(i)
	}
	for _, i := range open {
		w := left * share(i) / max(1, leftShares) // the last flex column takes the remainder
		left -= w
		leftShares -= share(i)
		t.widths[i] = max(w, t.cols[i].MinWidth)
	}
}

// naturalWidth is column i's natural width, at least its MinWidth; 0 when
// unknown.
func (t *Table) naturalWidth(i int) int {
	if i >= len(t.natural) || t.natural[i] <= 0 {
		return 0
	}
	return max(t.natural[i], t.cols[i].MinWidth)
}

// View renders the header and the visible rows.
func (t *Table) View() string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	b := t.buf[:0]
	b = t.appendHeader(b)
	lines := 1
	if t.n == 0 {
		if t.h > 1 {
			b = append(b, '\n')
			b = append(b, t.emptyPre...)
			b = appendCell(b, " "+t.empty, t.w, false)
			b = append(b, t.emptyPost...)
			lines++
		}
	} else {
		first, end := t.Visible()
		for i := first; i < end; i++ {
			b = append(b, '\n')
			pre, post := t.rowPre, t.rowPost
			if i == t.cursor {
				pre, post = t.selPre, t.selPost
			}
			b = append(b, pre...)
			b = t.appendRow(b, t.row(i))
			b = append(b, post...)
			lines++
		}
	}
	for ; lines < t.h; lines++ {
		b = append(b, '\n')
		b = appendSpaces(b, t.w)
	}
	t.buf = b
	return string(b)
}

func (t *Table) appendHeader(b []byte) []byte {
	b = append(b, t.hdrPre...)
	b = t.appendLine(b, true, nil)
	return append(b, t.hdrPost...)
}

func (t *Table) appendRow(b []byte, cells []string) []byte { return t.appendLine(b, false, cells) }

// appendLine lays one line out across the columns, each cell fitted to
// its width after a space: the titles (header) or a row's cells.
func (t *Table) appendLine(b []byte, header bool, cells []string) []byte {
	used := 0
	for j, c := range t.cols {
		avail := min(t.widths[j], t.w-used-1)
		if avail <= 0 {
			break
		}
		var cell string
		if header {
			cell = t.title(j, c, avail)
		} else {
			cell = rowCell(cells, j, c, avail)
		}
		b = append(b, ' ')
		b = appendCell(b, cell, avail, c.Right)
		used += 1 + avail
	}
	return appendSpaces(b, t.w-used)
}

// title is column j's header: its title, with the sort indicator kept
// visible when the title is cut.
func (t *Table) title(j int, c Column, avail int) string {
	if j != t.sortCol {
		return c.Title
	}
	mark := " ▲"
	if t.sortDesc {
		mark = " ▼"
	}
	return ansi.Truncate(c.Title, max(0, avail-2), "…") + mark
}

// rowCell is a row's cell j, sanitised (record data never reaches the
// terminal raw), cut in the middle for Middle columns.
func rowCell(cells []string, j int, c Column, avail int) string {
	var cell string
	if j < len(cells) {
		cell = cells[j]
		if !clean(cell, false) {
			cell = Sanitize(cell)
		}
	}
	if c.Middle {
		cell = truncateMiddle(cell, avail)
	}
	return cell
}

// appendCell appends s fitted to exactly width cells: truncated with "…" or
// padded with spaces on the left (right-aligned) or right.
func appendCell(b []byte, s string, width int, right bool) []byte {
	if width <= 0 {
		return b
	}
	sw := textWidth(s)
	if sw > width {
		if isASCII(s) {
			s = s[:width-1] + "…"
		} else {
			s = ansi.Truncate(s, width, "…")
		}
		sw = textWidth(s)
	}
	if right {
		b = appendSpaces(b, width-sw)
		return append(b, s...)
	}
	b = append(b, s...)
	return appendSpaces(b, width-sw)
}

// truncateMiddle fits s into width cells by cutting its middle: a third of
// the room for the start, the rest for the end.
func truncateMiddle(s string, width int) string {
	sw := textWidth(s)
	if sw <= width || width < 5 {
		return s
	}
	head := (width - 1) / 3
	tail := width - 1 - head
	if isASCII(s) {
		return s[:head] + "…" + s[len(s)-tail:]
	}
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, sw-tail, "")
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// textWidth is the display width of plain text, with a fast path for ASCII.
func textWidth(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}
