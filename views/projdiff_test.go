package views

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/project"
)

// startRun runs a projection spec to its end in dataDir (the way the CLI
// does, through the project API).
func startRun(t *testing.T, env *Env, dataDir, id, spec string) {
	t.Helper()
	s, err := project.ParseSpec(id+".yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	c, err := project.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	m, err := project.Start(context.Background(), env.Cluster, c, project.Options{DataDir: dataDir, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != project.StatusDone {
		t.Fatalf("run %s: %s %s", id, m.Status, m.Error)
	}
}

func tableChecksum(t *testing.T, dataDir, id string) string {
	t.Helper()
	tb, err := project.OpenTable(dataDir, id)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	sum, _, err := tb.Checksum(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestProjectionDiffScreen(t *testing.T) {
	env, cl := dataEnv(t)
	createTopic(t, cl, "orders", 2, nil)
	orders := []struct {
		cust, status string
		amount       float64
		p            int32
	}{
		{"a", "paid", 10, 0}, {"b", "paid", 5, 1}, {"b", "cancelled", 7, 0},
		{"c", "cancelled", 3, 1}, {"d", "paid", 4, 0}, {"e", "vip", 9, 1},
		{"\x1b[31mevil", "paid", 1, 0}, // an escape in a key must not reach the terminal
	}
	var recs []*kgo.Record
	for _, o := range orders {
		v, _ := json.Marshal(map[string]any{"customer": o.cust, "status": o.status, "amount": o.amount})
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: o.p, Value: v})
	}
	produce(t, cl, recs...)
	// v1 still counts cancelled orders (and hides vip ones); v2 fixes it.
	startRun(t, env, env.DataDir, "v1", "name: rev_v1\ntopic: orders\nfilter: value.status != \"vip\"\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	startRun(t, env, env.DataDir, "v2", "name: rev_v2\ntopic: orders\nfilter: value.status != \"cancelled\"\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	l, r := tableChecksum(t, env.DataDir, "v1"), tableChecksum(t, env.DataDir, "v2")

	h := startApp(t, env, NewProjections(env), 140, 30)
	h.waitText(t, "v1", "v2", "rev_v1", "done", "100%")
	h.keys("space") // v1 is the left side; the cursor moves to v2
	h.waitText(t, "left v1")
	h.keys("d")
	// Counts and the first page arrive separately: wait for both.
	s := h.waitText(t, "+1 added", "-1 removed", "~1 changed", "=3 same", l[:16], r[:16],
		"~ changed", "+ added", "- removed", "= same")
	for _, want := range []string{"~ changed", "+ added", "- removed", "= same"} {
		if !strings.Contains(s, want) {
			t.Fatalf("no %q row:\n%s", want, s)
		}
	}
	lines := strings.Split(s, "\n")
	row := func(key string) string {
		for _, ln := range lines {
			if strings.HasPrefix(strings.TrimSpace(ln), key+" ") {
				return ln
			}
		}
		t.Fatalf("no row %q:\n%s", key, s)
		return ""
	}
	for key, want := range map[string][]string{"b": {"12", "5", "~ changed"}, "c": {"3", "- removed"}, "e": {"9", "+ added"}, "a": {"10", "= same"}} {
		ln := row(key)
		for _, w := range want {
			if !strings.Contains(ln, w) {
				t.Fatalf("row %s: no %q: %q", key, w, ln)
			}
		}
	}
	// The frame the program rendered (calling View here would race with it).
	h.mu.Lock()
	frame := h.frame
	h.mu.Unlock()
	assertNoEscapes(t, "diff", frame)

	h.keys("o") // differences only
	s = h.waitFor(t, "differences only", func(s string) bool {
		return strings.Contains(s, "differences only") && !strings.Contains(s, "= same") && strings.Contains(s, "~ changed")
	})
	if !strings.Contains(s, "+ added") || !strings.Contains(s, "- removed") {
		t.Fatalf("differences only lost rows:\n%s", s)
	}
	h.keys("/")
	h.typeText("b")
	h.keys("enter")
	h.waitFor(t, "filter b", func(s string) bool {
		return strings.Contains(s, `filter "b"`) && strings.Contains(s, "~ changed") && !strings.Contains(s, "+ added")
	})
}

// TestProjectionDiffPaging walks a comparison bigger than the screen's
// window: the cursor reaches the last key, and the window stays bounded.
func TestProjectionDiffPaging(t *testing.T) {
	env, cl := dataEnv(t)
	createTopic(t, cl, "ev", 1, nil)
	var recs []*kgo.Record
	for i := range 3000 {
		v, _ := json.Marshal(map[string]any{"k": i, "n": i % 7})
		recs = append(recs, &kgo.Record{Topic: "ev", Value: v})
	}
	produce(t, cl, recs...)
	startRun(t, env, env.DataDir, "c1", "name: c\ntopic: ev\nkey: string(value.k)\naggregate: count\n")
	startRun(t, env, env.DataDir, "s1", "name: s\ntopic: ev\nkey: string(value.k)\naggregate: sum\nvalue: value.n\n")
	d := newDriver(NewProjectionDiff(env, env.DataDir, "c1", "s1"), 120, 20)
	defer d.s.(*projDiffScreen).Close()
	ps := d.s.(*projDiffScreen)
	if len(ps.rows) == 0 || ps.sum == nil || ps.sum.Same+ps.sum.Changed != 3000 {
		t.Fatalf("rows %d sum %+v err %v", len(ps.rows), ps.sum, ps.err)
	}
	for range 40 {
		d.press("pgdown")
		if len(ps.rows) > diffWindowMax {
			t.Fatalf("window grew to %d rows", len(ps.rows))
		}
	}
	d.press("end")
	if got := ps.rows[ps.table.Cursor()].Key; got != "999" { // keys sort bytewise
		t.Fatalf("last key %q", got)
	}
	d.press("home")
	if got := ps.rows[ps.table.Cursor()].Key; got != "0" {
		t.Fatalf("first key %q", got)
	}
	_ = time.Second
}
