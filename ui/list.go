package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// List is the table part of a list screen: rows of T in a virtual table,
// a "/" filter prompt, sort orders chosen with s, S and the digit keys, and
// the cursor kept on the same row (by Key) when rows are reloaded,
// filtered or sorted. It holds what it shows; where rows come from is the
// caller's (see ListScreen).
type List[T any] struct {
	spec   ListSpec[T]
	table  *Table
	prompt Prompt
	digits key.Binding

	all, rows []T
	filter    string
	sort      int
	desc      bool
	w, h      int
}

// ListSpec is what a list screen says about its rows.
type ListSpec[T any] struct {
	// Columns returns the columns for a width; called on every SetSize.
	Columns func(width int) []Column
	// Cells renders a row, in Columns order, as plain text (sanitise what
	// comes from the cluster; the table styles whole rows).
	Cells func(row T) []string
	// Key identifies a row, to keep the cursor on it; nil keeps the index.
	Key func(row T) string
	// Match is the "/" filter (f is lower case); nil: no filter prompt.
	Match      func(row T, f string) bool
	FilterHint string // the prompt's placeholder
	// Keep hides rows for a screen's own reason (internal topics, another
	// member's partitions); nil keeps all.
	Keep func(row T) bool
	// Sorts are the orders, the first one initially; digit n picks the
	// n-th. Tie orders rows a sort finds equal (ascending, always).
	Sorts    []Sort[T]
	Tie      func(a, b T) int
	SortHelp string // the digit keys' help, "sort by column" by default
	// Empty is the table's text when no row shows; filter is the text
	// filter in force.
	Empty func(filter string) string
}

// Sort is one order of a list.
type Sort[T any] struct {
	Name    string // in the summary: "sort name ▲"
	Column  string // the column (Column.ID, else Title) that shows the arrow
	Compare func(a, b T) int
	Desc    bool // the direction s and the digits start with
}

// NewList returns an empty list.
func NewList[T any](theme themes.Theme, spec ListSpec[T]) *List[T] {
	l := &List[T]{spec: spec, table: NewTable(theme, nil), prompt: NewPrompt(theme)}
	if len(spec.Sorts) > 0 {
		l.desc = spec.Sorts[0].Desc
		ks := make([]string, min(9, len(spec.Sorts)))
		for i := range ks {
			ks[i] = strconv.Itoa(i + 1)
		}
		help := spec.SortHelp
		if help == "" {
			help = "sort by column"
		}
		l.digits = key.NewBinding(key.WithKeys(ks...), key.WithHelp("1-"+ks[len(ks)-1], help))
	}
	l.SetSize(0, 0)
	return l
}

// Table is the list's table, for screens that draw around it.
func (l *List[T]) Table() *Table { return l.table }

// SortKeys are the digit keys' binding, for a screen's Help.
func (l *List[T]) SortKeys() key.Binding { return l.digits }

// SetItems replaces the rows.
func (l *List[T]) SetItems(all []T) {
	l.all = all
	l.Apply()
}

// Items are all rows, as set.
func (l *List[T]) Items() []T { return l.all }

// Rows are the rows shown, filtered and sorted.
func (l *List[T]) Rows() []T { return l.rows }

// Selected is the row under the cursor.
func (l *List[T]) Selected() (T, bool) {
	if len(l.rows) == 0 {
		var zero T
		return zero, false
	}
	return l.rows[l.table.Cursor()], true
}

// SelectWhere moves the cursor to the first row shown that is(row) and
// reports whether there was one.
func (l *List[T]) SelectWhere(is func(row T) bool) bool {
	for i, r := range l.rows {
		if is(r) {
			l.table.SetCursor(i)
			return true
		}
	}
	return false
}

// Filter is the text filter in force.
func (l *List[T]) Filter() string { return l.filter }

// ClearFilter drops the text filter and reports whether there was one.
func (l *List[T]) ClearFilter() bool {
	if l.filter == "" {
		return false
	}
	l.filter = ""
	l.prompt.SetValue("")
	l.Apply()
	return true
}

// SortLabel is the summary's "sort name ▲"; empty without sorts.
func (l *List[T]) SortLabel() string {
	if len(l.spec.Sorts) == 0 {
		return ""
	}
	dir := "▲"
	if l.desc {
		dir = "▼"
	}
	return "sort " + l.spec.Sorts[l.sort].Name + " " + dir
}

// FilterLabel is the summary's `filter "x"`; empty without a filter.
func (l *List[T]) FilterLabel() string {
	if l.filter == "" {
		return ""
	}
	return "filter " + strconv.Quote(Sanitize(l.filter))
}

// PromptActive reports the filter prompt is open (it owns the keyboard).
func (l *List[T]) PromptActive() bool { return l.prompt.Active() }

// PromptView is the open prompt's line.
func (l *List[T]) PromptView() string { return l.prompt.View() }

// SetSize sizes the table (w x h, header included) and picks the columns
// for the width.
func (l *List[T]) SetSize(w, h int) {
	l.w, l.h = w, h
	l.prompt.SetWidth(w)
	if l.spec.Columns != nil {
		l.table.SetColumns(l.spec.Columns(w))
	}
	l.table.SetSize(w, h)
	l.Apply()
}

// Apply filters, sorts and renders the rows again, keeping the cursor on
// the same row; call it when state the spec's functions read has changed.
func (l *List[T]) Apply() {
	var keep string
	if l.spec.Key != nil {
		if r, ok := l.Selected(); ok {
			keep = l.spec.Key(r)
		}
	}
	f := strings.ToLower(l.filter)
	l.rows = l.rows[:0]
	nat := l.titleWidths()
	for _, r := range l.all {
		if l.spec.Keep != nil && !l.spec.Keep(r) {
			continue
		}
		// Every kept row, filtered or not, so typing a filter does not
		// move the columns.
		for j, c := range l.spec.Cells(r) {
			if j < len(nat) {
				nat[j] = max(nat[j], textWidth(c))
			}
		}
		if f != "" && l.spec.Match != nil && !l.spec.Match(r, f) {
			continue
		}
		l.rows = append(l.rows, r)
	}
	if len(l.spec.Sorts) > 0 {
		o := l.spec.Sorts[l.sort]
		slices.SortStableFunc(l.rows, func(a, b T) int {
			c := o.Compare(a, b)
			if l.desc {
				c = -c
			}
			if c == 0 && l.spec.Tie != nil {
				c = l.spec.Tie(a, b)
			}
			return c
		})
		l.table.SetSort(l.sortColumn(o.Column), l.desc)
	}
	l.table.SetNatural(nat)
	rows, cells := l.rows, l.spec.Cells
	l.table.SetRows(len(rows), func(i int) []string { return cells(rows[i]) })
	if keep != "" {
		for i, r := range rows {
			if l.spec.Key(r) == keep {
				l.table.SetCursor(i)
				break
			}
		}
	}
	if l.spec.Empty != nil {
		l.table.SetEmpty(l.spec.Empty(l.filter))
	}
}

// titleWidths starts the columns' natural widths (Table.SetNatural) at
// their titles, with room for the sort arrow.
func (l *List[T]) titleWidths() []int {
	cols := l.table.Columns()
	nat := make([]int, len(cols))
	for j, c := range cols {
		nat[j] = textWidth(c.Title) + 2 // " ▲"
	}
	return nat
}

func (l *List[T]) sortColumn(id string) int {
	for i, c := range l.table.Columns() {
		if c.ID == id || (c.ID == "" && c.Title == id) {
			return i
		}
	}
	return -1
}

// HandleKey applies the list's keys (the prompt's while it is open, "/",
// s, S, the digits, table navigation) and reports whether it used msg.
func (l *List[T]) HandleKey(msg tea.Msg) (tea.Cmd, bool) {
	if l.prompt.Active() {
		return l.updatePrompt(msg), true
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	n := len(l.spec.Sorts)
	switch {
	case l.spec.Match != nil && key.Matches(k, Keys.Filter):
		return l.prompt.OpenWith("/", l.spec.FilterHint, l.filter), true
	case n > 0 && key.Matches(k, Keys.SortNext):
		l.sort = (l.sort + 1) % n
		l.desc = l.spec.Sorts[l.sort].Desc
	case n > 0 && key.Matches(k, Keys.SortReverse):
		l.desc = !l.desc
	case n > 0 && key.Matches(k, l.digits):
		c, _ := strconv.Atoi(k.String())
		if c-1 == l.sort {
			l.desc = !l.desc
		} else {
			l.sort, l.desc = c-1, l.spec.Sorts[c-1].Desc
		}
	default:
		return nil, l.table.HandleKey(k)
	}
	l.Apply()
	return nil, true
}

func (l *List[T]) updatePrompt(msg tea.Msg) tea.Cmd {
	ev, cmd := l.prompt.Update(msg)
	switch ev {
	case PromptChanged, PromptSubmitted:
		l.filter = strings.TrimSpace(l.prompt.Value())
		l.Apply()
	case PromptCancelled:
		l.filter = ""
		l.Apply()
	}
	return cmd
}

// View is the table.
func (l *List[T]) View() string { return l.table.View() }
