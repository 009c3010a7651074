package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Rough edges of issue 15 in the records list, the record detail and the
// side-by-side diff, driven through the shell as an operator would.

// A key holding a newline shows a visible ⏎ in the list (not a space that
// makes it look like another key); a record with many headers lists the
// first ten, says how many more, and H shows them all; one header is "1
// header".
func TestRecordKeysMarkedAndHeadersCollapsed(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "h", 1, nil)
	var hs []kgo.RecordHeader
	for i := range 25 {
		hs = append(hs, kgo.RecordHeader{Key: fmt.Sprintf("hdr-%02d", i), Value: []byte("v")})
	}
	produce(t, cl,
		&kgo.Record{Topic: "h", Key: []byte("line1\nline2"), Value: []byte(`{"a":1}`), Headers: hs},
		&kgo.Record{Topic: "h", Key: []byte("one"), Value: []byte(`{"a":2}`), Headers: hs[:1]},
	)
	h := startApp(t, env, NewRecords(env, "h", 0), 120, 40)
	h.waitLine(t, " 0 ", "line1⏎line2")
	h.keys("enter")
	s := h.waitText(t, "headers (25)", "hdr-09: v", "… 15 more headers (H shows all)")
	if strings.Contains(s, "hdr-10") {
		t.Fatalf("header 11 shown before H:\n%s", s)
	}
	if !strings.Contains(s, "· 25 headers") {
		t.Fatalf("size line:\n%s", s)
	}
	h.keys("H")
	s = h.waitText(t, "hdr-10: v", "hdr-24: v")
	if strings.Contains(s, "more headers") {
		t.Fatalf("still collapsed after H:\n%s", s)
	}
	h.keys("n")
	h.waitText(t, "offset     1", "· 1 header", "hdr-00: v")
}

// The side-by-side of two sum projections: sums without float artefacts,
// right-aligned, and a DELTA column (right minus left).
func TestProjectionDiffNumbers(t *testing.T) {
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 1, nil)
	var recs []*kgo.Record
	// 0.1 + 0.2 is 0.30000000000000004 in float64, 3 x 7898.97 is 23696.909999999996.
	for _, o := range []struct {
		cust   string
		amount float64
		late   bool
	}{{"a", 0.1, false}, {"a", 0.2, false}, {"b", 7898.97, false}, {"b", 7898.97, false}, {"b", 7898.97, false}, {"b", 3.1, true}} {
		v, _ := json.Marshal(map[string]any{"customer": o.cust, "amount": o.amount, "late": o.late})
		recs = append(recs, &kgo.Record{Topic: "orders", Value: v})
	}
	produce(t, cl, recs...)
	startRun(t, env, env.DataDir, "v1", "name: s1\ntopic: orders\nfilter: value.late == false\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	startRun(t, env, env.DataDir, "v2", "name: s2\ntopic: orders\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	h := startApp(t, env, NewProjectionDiff(env, env.DataDir, "v1", "v2"), 120, 20)
	s := h.waitText(t, "DELTA", "~ changed", "= same")
	if strings.Contains(s, "0000000") || strings.Contains(s, "9999999") {
		t.Fatalf("float artefacts on screen:\n%s", s)
	}
	lineHas(t, s, "a ", "0.3", "0.3", "= same")
	lineHas(t, s, "b ", "23696.91", "23700.01", "+3.1", "~ changed")
	// Right-aligned: the two sums of b end where their column titles end.
	var head, rowB string
	for _, l := range strings.Split(s, "\n") {
		switch {
		case strings.Contains(l, "DELTA"):
			head = l
		case strings.HasPrefix(strings.TrimSpace(l), "b "):
			rowB = l
		}
	}
	end := func(l, sub string) int { return strings.Index(l, sub) + len(sub) }
	if end(rowB, "23696.91") != end(head, "LEFT v1") || end(rowB, "23700.01") != end(head, "RIGHT v2") {
		t.Fatalf("sums not right-aligned under their titles:\n%s\n%s", head, rowB)
	}
}
