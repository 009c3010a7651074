package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/project"
)

// The diff table shows sums without float artefacts, right-aligned, with a
// DELTA column; -o json keeps the exact values (TestDiffJSON*).
func TestDiffTableNumbers(t *testing.T) {
	var out bytes.Buffer
	tb := newDiffTable(&out, "v1", "v2")
	rows := []project.DiffRow{
		{Key: "a", Left: json.RawMessage("0.30000000000000004"), Right: json.RawMessage("0.30000000000000004"), Marker: project.MarkSame},
		{Key: "b", Left: json.RawMessage("23696.920000000002"), Right: json.RawMessage("23700.020000000004"), Marker: project.MarkChanged},
		{Key: "c", Right: json.RawMessage("5"), Marker: project.MarkAdded},
	}
	for i := range rows {
		if err := tb.row(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.end(&project.DiffSummary{Left: "v1", Right: "v2"}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "0000000") {
		t.Fatalf("float artefacts:\n%s", s)
	}
	lines := strings.Split(s, "\n")
	head, b := lines[0], lines[2]
	for _, want := range []string{"23696.92", "23700.02", "+3.1", project.MarkChanged} {
		if !strings.Contains(b, want) {
			t.Fatalf("row b lacks %q:\n%s", want, s)
		}
	}
	end := func(l, sub string) int { return strings.Index(l, sub) + len(sub) }
	if end(b, "23696.92") != end(head, "V1") || end(b, "23700.02") != end(head, "V2") || end(b, "+3.1") != end(head, "DELTA") {
		t.Fatalf("numbers not right-aligned under their titles:\n%s", s)
	}
	if c := lines[3]; !strings.Contains(c, "-") || strings.Contains(c, "+5") {
		t.Fatalf("an added key has no delta: %q", c)
	}
}
