package views

import (
	"runtime"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/themes"
)

// A 20 KB value nested 10,000 deep made the record detail allocate 833 MB
// (the indentation of every line grew with the depth). The work is now
// bounded: indentation stops at maxIndent levels, output at maxPretty.
func TestPrettyJSONDeepNestingBounded(t *testing.T) {
	deep := []byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))
	pal := newJSONPalette(themes.Theme{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lines := prettyJSON(deep, renderCap, pal)
	runtime.ReadMemStats(&after)
	total := 0
	for _, l := range lines {
		total += len(l)
		if len(l) > 2*maxIndent+8 {
			t.Fatalf("a line of %d bytes: indentation not bounded", len(l))
		}
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("allocated %d MB for a 20 KB value", alloc>>20)
	}
	if len(lines) != 19999 || !strings.HasPrefix(lines[0], "[") || strings.TrimSpace(lines[len(lines)-1]) != "]" {
		t.Fatalf("%d lines, first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	// A value whose pretty form is larger than maxPretty is cut, saying so.
	wide := []byte("[" + strings.Repeat("[1],", 1000000) + "1]")
	lines = prettyJSON(wide, len(wide), pal)
	if last := lines[len(lines)-1]; !strings.Contains(last, "cut here") {
		t.Fatalf("no cut line: %q", last)
	}
	total = 0
	for _, l := range lines {
		total += len(l)
	}
	if total > maxPretty+1<<20 {
		t.Fatalf("output %d bytes, want about %d at most", total, maxPretty)
	}
}
