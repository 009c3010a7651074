package cli

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rewind-log/rewind/project"
)

// TestAppendJSONString: the hand-written string encoder of the streamed
// diff writes what encoding/json writes, for keys of any bytes.
func TestAppendJSONString(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	cases := []string{"", "plain", `q"uo\te`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "<a&b>", "é日本", "\u2028\u2029", "bad\xff\xfeutf8", "\xe2\x82"}
	for range 2000 {
		b := make([]byte, r.Intn(12))
		for i := range b {
			b[i] = byte(r.Intn(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, encoding/json %s", s, got, want)
		}
	}
}

func diffRows(n int) []project.DiffRow {
	var rows []project.DiffRow
	for i := range n {
		k := strings.Repeat("k", 1+i%7) + string(rune('a'+i%26))
		switch i % 3 {
		case 0:
			rows = append(rows, project.DiffRow{Key: k, Left: json.RawMessage("{\n \"n\": 1}"), Marker: project.MarkRemoved})
		case 1:
			rows = append(rows, project.DiffRow{Key: k + "\x1b[2J", Right: json.RawMessage("2"), Marker: project.MarkAdded})
		default:
			rows = append(rows, project.DiffRow{Key: k, Left: json.RawMessage("1.5"), Right: json.RawMessage("2.5"), Marker: project.MarkChanged})
		}
	}
	return rows
}

// TestDiffJSONStreamed: the streamed object parses, holds the rows in
// order (values compacted), the truncation flag and the summary.
func TestDiffJSONStreamed(t *testing.T) {
	sum := &project.DiffSummary{Left: "a", Right: "b", Added: 3, Changed: 4, LeftChecksum: "x", RightChecksum: "y"}
	for _, limit := range []int{-1, 0, 5, 1000} {
		var out bytes.Buffer
		d := newDiffJSON(&out, limit)
		rows := diffRows(10)
		for i := range rows {
			if err := d.row(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.end(sum); err != nil {
			t.Fatal(err)
		}
		var got struct {
			*project.DiffSummary
			Rows      []project.DiffRow `json:"rows"`
			Truncated bool              `json:"rows_truncated"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("limit %d: %v\n%s", limit, err, out.String())
		}
		want := len(rows)
		if limit >= 0 && limit < want {
			want = limit
		}
		if len(got.Rows) != want || got.Truncated != (want < len(rows)) || got.Changed != 4 || got.LeftChecksum != "x" {
			t.Fatalf("limit %d: %d rows, truncated %v, summary %+v\n%s", limit, len(got.Rows), got.Truncated, got.DiffSummary, out.String())
		}
		for i, r := range got.Rows {
			if r.Key != rows[i].Key || r.Marker != rows[i].Marker {
				t.Fatalf("row %d: %+v, want %+v", i, r, rows[i])
			}
		}
		if want > 0 && string(got.Rows[0].Left) != `{"n":1}` {
			t.Fatalf("left value not compacted: %s", got.Rows[0].Left)
		}
		if !strings.Contains(out.String(), `"changed": 4`) {
			t.Fatalf("summary not indented as before: %s", out.String())
		}
	}
}

// TestDiffTableStreamed: rows past the first widthRows are written as they
// come (nothing more is held), columns are aligned, record bytes are made
// safe, and the summary closes the output.
func TestDiffTableStreamed(t *testing.T) {
	var out bytes.Buffer
	tb := newDiffTable(&out, "v1", "v2")
	rows := diffRows(widthRows + 50)
	for i := range rows {
		if err := tb.row(&rows[i]); err != nil {
			t.Fatal(err)
		}
		if len(tb.pending) > widthRows {
			t.Fatalf("%d rows held", len(tb.pending))
		}
	}
	if tb.pending != nil {
		t.Fatalf("%d rows still held after the first %d", len(tb.pending), widthRows)
	}
	if err := tb.end(&project.DiffSummary{Left: "v1", Right: "v2", Changed: 1}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0], "KEY") || !strings.Contains(lines[0], "V1") || strings.Contains(out.String(), "\x1b") {
		t.Fatalf("head or escapes: %q", lines[0])
	}
	col := strings.Index(lines[0], "MARKER")
	for _, l := range lines[1 : len(rows)+1] {
		if utf8.RuneCountInString(l) < col || !strings.Contains(l, "  ") {
			t.Fatalf("misaligned %q (marker column at %d)", l, col)
		}
		if m := string([]rune(l)[col:]); m != project.MarkAdded && m != project.MarkRemoved && m != project.MarkChanged {
			t.Fatalf("marker column of %q: %q", l, m)
		}
	}
	if !strings.Contains(out.String(), "1 changed") || !strings.Contains(out.String(), "checksum v1") {
		t.Fatalf("summary missing: %s", out.String()[len(out.String())-200:])
	}
}
