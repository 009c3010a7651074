package ui

import (
	"reflect"
	"testing"
)

// FitColumns takes the widest fit the width allows, applies its width and
// title overrides without touching the others' columns, and falls back to
// the last fit below every From.
func TestFitColumns(t *testing.T) {
	all := map[int]Column{
		0: {Title: "NAME", MinWidth: 8, Flex: 1},
		1: {Title: "MEMBERS", ID: "MEMBERS", Width: 7},
		2: {Title: "LAG", Width: 11},
	}
	fits := []ColumnFit{
		{From: 100, Show: []int{0, 1, 2}},
		{From: 60, Show: []int{0, 1, 2}, Width: map[int]int{1: 4}, Title: map[int]string{1: "MBRS"}},
		{From: 40, Show: []int{0, 2}},
	}
	cols, vis := FitColumns(all, 120, fits)
	if !reflect.DeepEqual(vis, []int{0, 1, 2}) || cols[1] != all[1] {
		t.Fatalf("120 cells: vis %v cols %+v", vis, cols)
	}
	cols, vis = FitColumns(all, 60, fits)
	if want := (Column{Title: "MBRS", ID: "MEMBERS", Width: 4}); !reflect.DeepEqual(vis, []int{0, 1, 2}) || cols[1] != want {
		t.Fatalf("60 cells: vis %v, MEMBERS column %+v, want %+v", vis, cols[1], want)
	}
	if all[1].Title != "MEMBERS" || all[1].Width != 7 {
		t.Fatalf("an override changed the shared column: %+v", all[1])
	}
	if cols, vis = FitColumns(all, 20, fits); !reflect.DeepEqual(vis, []int{0, 2}) || len(cols) != 2 || cols[1].Title != "LAG" {
		t.Fatalf("20 cells (below every From): vis %v cols %+v, want the last fit", vis, cols)
	}
	vis[0] = 9
	if _, again := FitColumns(all, 20, fits); again[0] != 0 {
		t.Fatal("the returned columns alias the fit's Show")
	}
	if got := ShownCells([]int{2, 0}, func(c int) string { return all[c].Title }); !reflect.DeepEqual(got, []string{"LAG", "NAME"}) {
		t.Fatalf("ShownCells = %v", got)
	}
}
