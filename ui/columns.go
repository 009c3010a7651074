package ui

// ColumnFit is one column set of a table whose columns depend on the
// screen's width: from From cells up, the logical columns Show in that
// order, with Width and Title overriding a column's fixed width and its
// title there (MEMBERS shown as MBRS on a narrow screen).
type ColumnFit struct {
	From  int
	Show  []int
	Width map[int]int
	Title map[int]string
}

// FitColumns picks the first fit whose From is at most w (fits go widest
// first; the last one is the fallback whatever its From) and returns its
// columns, taken from all by logical column, and the logical column of
// each, for the screen's cells.
func FitColumns(all map[int]Column, w int, fits []ColumnFit) ([]Column, []int) {
	if len(fits) == 0 {
		return nil, nil
	}
	f := fits[len(fits)-1]
	for _, c := range fits {
		if w >= c.From {
			f = c
			break
		}
	}
	cols := make([]Column, len(f.Show))
	for i, c := range f.Show {
		col := all[c]
		if wd, ok := f.Width[c]; ok {
			col.Width = wd
		}
		if t, ok := f.Title[c]; ok {
			col.Title = t
		}
		cols[i] = col
	}
	return cols, append([]int(nil), f.Show...)
}

// ShownCells is a row's cells for the visible logical columns vis (as
// FitColumns returned them), cell giving the text of one.
func ShownCells(vis []int, cell func(col int) string) []string {
	cells := make([]string, len(vis))
	for i, c := range vis {
		cells[i] = cell(c)
	}
	return cells
}
