package project

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
)

type world struct {
	t    testing.TB
	addr string
	c    *backend.Cluster
	raw  *kgo.Client
	adm  *kadm.Client
	dir  string
	kit  *testkit.Broker // Kf is nil for a world on a broker of another process
}

func newWorld(t testing.TB) *world {
	t.Helper()
	b := testkit.NewBroker(t)
	w := connectWorld(t, b.Addr)
	w.kit = b
	return w
}

func connectWorld(t testing.TB, addr string) *world {
	b := testkit.Connect(t, addr)
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: []string{addr}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &world{t: t, addr: addr, c: c, raw: b.Client, adm: b.Adm, dir: t.TempDir(), kit: b}
}

func (w *world) topic(name string, parts int32, configs map[string]*string) {
	w.t.Helper()
	cfg := map[string]string{}
	for k, v := range configs {
		cfg[k] = *v
	}
	w.kit.CreateTopic(name, parts, cfg)
}

type rec struct {
	p     int32
	key   string
	value any // nil = tombstone; string = raw bytes; else JSON
}

func (w *world) produce(topic string, recs ...rec) {
	w.t.Helper()
	var out []*kgo.Record
	for _, r := range recs {
		kr := &kgo.Record{Topic: topic, Partition: r.p, Key: []byte(r.key)}
		switch v := r.value.(type) {
		case nil:
		case string:
			kr.Value = []byte(v)
		default:
			b, _ := json.Marshal(v)
			kr.Value = b
		}
		out = append(out, kr)
	}
	// Several produce calls: the log holds many small batches, as a real
	// producer's does, so fetches (and faults) land mid-window.
	for len(out) > 0 {
		n := min(len(out), 150)
		w.kit.Produce(out[:n]...)
		out = out[n:]
	}
}

type order struct {
	OrderID    string  `json:"order_id"`
	CustomerID string  `json:"customer_id"`
	Amount     float64 `json:"amount"`
	Status     string  `json:"status"`
}

var statuses = []string{"created", "paid", "shipped", "cancelled", "refunded"}

// orders produces n orders over 3 partitions, deterministic.
func (w *world) orders(n int) {
	w.t.Helper()
	r := rand.New(rand.NewSource(1))
	var recs []rec
	for i := range n {
		o := order{OrderID: fmt.Sprintf("o-%d", i), CustomerID: fmt.Sprintf("c-%d", r.Intn(17)),
			Amount: float64(r.Intn(100000)) / 100, Status: statuses[r.Intn(len(statuses))]}
		recs = append(recs, rec{p: int32(i % 3), key: o.OrderID, value: o})
	}
	w.produce("orders", recs...)
}

func compileText(t testing.TB, text string) *Compiled {
	t.Helper()
	s, err := ParseSpec("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) run(text, id string, o Options) *Meta {
	w.t.Helper()
	o.DataDir, o.ID = w.dir, id
	m, err := Start(context.Background(), w.c, compileText(w.t, text), o)
	if err != nil {
		w.t.Fatal(err)
	}
	if m.Status != StatusDone {
		w.t.Fatalf("status %s %s", m.Status, m.Error)
	}
	return m
}

func (w *world) rows(id string) map[string]string {
	w.t.Helper()
	t, err := OpenTable(w.dir, id)
	if err != nil {
		w.t.Fatal(err)
	}
	defer t.Close()
	it, err := t.Iter()
	if err != nil {
		w.t.Fatal(err)
	}
	defer it.Close()
	out := map[string]string{}
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	return out
}

func (w *world) checksum(id string) string {
	w.t.Helper()
	t, err := OpenTable(w.dir, id)
	if err != nil {
		w.t.Fatal(err)
	}
	defer t.Close()
	s, _, err := t.Checksum(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func wantEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func TestAggregates(t *testing.T) {
	w := newWorld(t)
	w.topic("ev", 2, nil)
	w.produce("ev",
		rec{0, "a", map[string]any{"n": 1, "g": "x", "st": "ok"}},
		rec{1, "b", map[string]any{"n": 2.5, "g": "y", "st": "ok"}},
		rec{0, "c", map[string]any{"n": 4, "g": "x", "st": "bad"}},
		rec{1, "d", map[string]any{"n": -3, "g": "x", "st": "ok"}},
		rec{0, "e", "not json"},
		rec{1, "f", map[string]any{"g": "y"}}, // no n: null, not aggregated
		rec{0, "g", nil},                      // tombstone: skipped
	)
	base := "name: t\ntopic: ev\nkey: value.g\nfilter: value.st == \"ok\" || value.st == nil\n"
	cases := []struct {
		agg  string
		want map[string]string
	}{
		{"count", map[string]string{"x": "2", "y": "2"}},
		{"sum", map[string]string{"x": "-2", "y": "2.5"}},
		{"min", map[string]string{"x": "-3", "y": "2.5"}},
		{"max", map[string]string{"x": "1", "y": "2.5"}},
		{"avg", map[string]string{"x": "-1", "y": "2.5"}},
	}
	for _, tc := range cases {
		spec := base + "aggregate: " + tc.agg + "\n"
		if tc.agg != "count" {
			spec += "value: value.n\n"
		}
		m := w.run(spec, "run-"+tc.agg, Options{})
		wantEqual(t, tc.agg, w.rows(m.ID), tc.want)
	}
	tb, err := OpenTable(w.dir, "run-sum")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := tb.Stats()
	tb.Close()
	wantEqual(t, "stats", st, Stats{Records: 7, Rows: 2, Applied: 3, Filtered: 2, Tombstones: 1, Invalid: 1})
	// latest with a value expression
	m := w.run("name: l\ntopic: ev\naggregate: latest\nkey: key\nvalue: '{\"n\": value.n}'\nfilter: 'value.n != nil'\n", "run-latest", Options{})
	wantEqual(t, "latest", w.rows(m.ID), map[string]string{"a": `{"n":1}`, "b": `{"n":2.5}`, "c": `{"n":4}`, "d": `{"n":-3}`})
}

func TestLatestTombstones(t *testing.T) {
	w := newWorld(t)
	w.topic("customers", 2, map[string]*string{"cleanup.policy": ptr("compact")})
	w.produce("customers",
		rec{0, "c1", map[string]any{"name": "Ada"}},
		rec{1, "c2", map[string]any{"name": "Grace"}},
		rec{0, "c1", map[string]any{"name": "Ada L"}},
		rec{1, "c3", map[string]any{"name": "Alan"}},
		rec{1, "c2", nil},
		rec{0, "c4", map[string]any{"name": "Edsger"}},
		rec{0, "c4", nil},
		rec{0, "c4", map[string]any{"name": "Edsger D"}},
	)
	m := w.run("name: customers_latest\ntopic: customers\naggregate: latest\n", "cl", Options{})
	wantEqual(t, "rows", w.rows(m.ID), map[string]string{"c1": `{"name":"Ada L"}`, "c3": `{"name":"Alan"}`, "c4": `{"name":"Edsger D"}`})
	if m.Progress == nil || m.Progress.Rows != 3 || m.Progress.Done != 8 || m.Progress.Total != 8 {
		t.Fatalf("progress %+v", m.Progress)
	}
}

// TestLatestKeyedByField: latest keyed by a value field, storing the whole
// value (no value expression); a value that is not valid JSON is invalid.
func TestLatestKeyedByField(t *testing.T) {
	w := newWorld(t)
	w.topic("ev", 1, nil)
	w.produce("ev",
		rec{0, "k1", map[string]any{"customer": "c1", "n": 1}},
		rec{0, "k2", map[string]any{"customer": "c2", "n": 2}},
		rec{0, "k3", map[string]any{"customer": "c1", "n": 3}},
		rec{0, "k4", `{"customer":"c2","n":`},
	)
	m := w.run("name: l\ntopic: ev\nkey: value.customer\naggregate: latest\n", "lf", Options{})
	wantEqual(t, "rows", w.rows(m.ID), map[string]string{"c1": `{"customer":"c1","n":3}`, "c2": `{"customer":"c2","n":2}`})
	if m.Progress == nil || m.Progress.Stats.Invalid != 1 || m.Progress.Stats.Applied != 3 {
		t.Fatalf("stats %+v", m.Progress)
	}
}

func TestFieldExtraction(t *testing.T) {
	c := compileText(t, "name: x\ntopic: t\nfilter: value.status not in ['a'] && value?.items[0].sku != 'z'\nkey: value.customer.id\naggregate: sum\nvalue: value.amount\n")
	paths, full := c.Fields()
	wantEqual(t, "paths", paths, []string{"amount", "customer.id", "items", "status"})
	if full {
		t.Fatal("full decode not needed")
	}
	c = compileText(t, "name: x\ntopic: t\nkey: string(len(value))\naggregate: count\n")
	if _, full := c.Fields(); !full {
		t.Fatal("value as a whole needs a full decode")
	}
	out, key, _, _, err := c.eval(&kgo.Record{Value: []byte(`{"a":1,"b":2}`)})
	if err != nil || out != outApply || key != "2" {
		t.Fatal(out, key, err)
	}
}

func TestSpecErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"name: x\ntopic: t\naggregate: count\nfilter: vale.status == 'x'\n", "bad.yaml:4:9: filter: unknown name vale"},
		{"name: x\ntopic: t\naggregate: sum\nvalue: value.amount +\n", "bad.yaml:4:"},
		{"name: x\ntopic: t\naggregate: median\n", "bad.yaml:3:12: aggregate: unknown aggregate \"median\""},
		{"name: x\naggregate: count\n", "bad.yaml:1:1: topic: missing"},
		{"name: x\ntopic: t\naggregate: count\nkey: |\n  value.a +\n    nope\n", "bad.yaml:6:5: key: unknown name nope"},
		{"name: x\ntopic: t\naggregate: count\nfilter: \"key == 1 and value\"\n", "bad.yaml:4:"},
		{"name: x\ntopic: [t\n", "bad.yaml:"},
		{"name: x\ntopic: t\naggregate: sum\n", "value: sum needs a value expression"},
		{"name: x y\ntopic: t\naggregate: count\nbogus: 1\n", "unknown field \"bogus\""},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadSpec(path)
		if err == nil || !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("spec %q:\n got  %v\n want %q", tc.text, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), path) {
			t.Errorf("error does not start with the file: %v", err)
		}
	}
}

func TestShippedSpecs(t *testing.T) {
	files, _ := filepath.Glob("../testdata/projections/*.yaml")
	if len(files) < 4 {
		t.Fatalf("want the shipped specs, got %v", files)
	}
	for _, f := range files {
		_, _, err := LoadSpec(f)
		if strings.HasPrefix(filepath.Base(f), "bad") {
			if err == nil {
				t.Errorf("%s: want an error", f)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

const revenueV1 = "name: revenue_v1\ntopic: orders\nkey: value.customer_id\naggregate: sum\nvalue: value.amount\n"
const revenueV2 = "name: revenue_v2\ntopic: orders\nkey: value.customer_id\nfilter: value.status not in ['cancelled', 'refunded']\naggregate: sum\nvalue: value.amount\n"

func TestDeterminismAndDiff(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(3000)
	a := w.run(revenueV1, "a", Options{MaxPoll: 97})
	b := w.run(revenueV1, "b", Options{})
	if ca, cb := w.checksum(a.ID), w.checksum(b.ID); ca != cb {
		t.Fatalf("same spec, same window: checksums differ %s %s", ca, cb)
	}
	w.run(revenueV2, "v2", Options{})
	ta, _ := OpenTable(w.dir, "a")
	tv, _ := OpenTable(w.dir, "v2")
	defer ta.Close()
	defer tv.Close()
	var changed int
	s, err := Diff(context.Background(), ta, tv, func(r *DiffRow) error {
		if r.Marker == MarkChanged {
			changed++
			l, _ := strconv.ParseFloat(string(r.Left), 64)
			rr, _ := strconv.ParseFloat(string(r.Right), 64)
			if rr >= l {
				t.Errorf("%s: v2 %v should be below v1 %v", r.Key, rr, l)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Changed == 0 || int64(changed) != s.Changed || s.LeftChecksum != w.checksum("a") || s.RightChecksum != w.checksum("v2") {
		t.Fatalf("summary %+v", s)
	}
}

func TestDiffDifferentSizes(t *testing.T) {
	w := newWorld(t)
	w.topic("ev", 1, nil)
	var recs []rec
	for i := range 50 {
		recs = append(recs, rec{0, fmt.Sprintf("k%03d", i), map[string]any{"v": i}})
	}
	w.produce("ev", recs...)
	w.run("name: all\ntopic: ev\naggregate: count\n", "all", Options{})
	w.run("name: some\ntopic: ev\naggregate: sum\nvalue: '1'\nfilter: int(value.v) % 3 != 0 || value.v > 40\n", "some", Options{})
	w.run("name: none\ntopic: ev\naggregate: count\nfilter: 'false'\n", "none", Options{})
	w.run("name: x\ntopic: ev\naggregate: count\nkey: key + 'x'\nfilter: value.v < 5\n", "other", Options{})
	open := func(id string) *Table {
		tb, err := OpenTable(w.dir, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tb.Close() })
		return tb
	}
	type counts struct{ A, R, C, S int64 }
	check := func(l, r string, want counts) {
		t.Helper()
		s, err := Diff(context.Background(), open(l), open(r), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, l+" vs "+r, counts{s.Added, s.Removed, s.Changed, s.Same}, want)
	}
	check("all", "some", counts{0, 14, 0, 36}) // values 1 == 1 where kept
	check("some", "all", counts{14, 0, 0, 36})
	check("all", "none", counts{0, 50, 0, 0})
	check("none", "none", counts{0, 0, 0, 0})
	check("all", "other", counts{5, 50, 0, 0})
	check("all", "all", counts{0, 0, 0, 50})
}

func TestExpiredWindowRefused(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(300)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "orders", Partition: 1, At: 40})
	if _, err := w.adm.DeleteRecords(context.Background(), del); err != nil {
		t.Fatal(err)
	}
	c := compileText(t, revenueV1)
	_, err := Start(context.Background(), w.c, c, Options{DataDir: w.dir, ID: "x", From: "10"})
	if !errors.Is(err, ErrWindowExpired) || !strings.Contains(err.Error(), "orders/1") || !strings.Contains(err.Error(), "log starts at 40") {
		t.Fatalf("want refusal, got %v", err)
	}
	if _, err := os.Stat(RunDir(w.dir, "x")); !os.IsNotExist(err) {
		t.Fatal("a refused run must not leave a run dir")
	}
	// earliest is what is left: not refused.
	w.run(revenueV1, "earliest", Options{})
	m, err := Start(context.Background(), w.c, c, Options{DataDir: w.dir, ID: "partial", From: "10", AllowPartial: true})
	if err != nil || !m.Partial || m.Status != StatusDone {
		t.Fatalf("partial: %v %+v", err, m)
	}
	// Retention moves past a stopped run's checkpoint: resume is refused.
	ctx, cancel := context.WithCancel(context.Background())
	o := Options{DataDir: w.dir, ID: "stopped", MaxPoll: 10}
	o.hook = func(stage string, n int64) {
		if stage == "committed" && n >= 20 {
			cancel()
		}
	}
	m, err = Start(ctx, w.c, c, o)
	if err != nil || m.Status != StatusStopped {
		t.Fatalf("stop: %v %+v", err, m)
	}
	del = kadm.Offsets{}
	for p := int32(0); p < 3; p++ {
		del.Add(kadm.Offset{Topic: "orders", Partition: p, At: 90})
	}
	if _, err := w.adm.DeleteRecords(context.Background(), del); err != nil {
		t.Fatal(err)
	}
	_, err = Resume(context.Background(), w.c, w.dir, "stopped", nil, Options{})
	if !errors.Is(err, ErrWindowExpired) {
		t.Fatalf("resume after retention: %v", err)
	}
}

// TestResumeAfterCancel kills runs (ctx cancel: no more writes, like kill
// -9) at random points, mid-batch and around checkpoints, and resumes them.
func TestResumeAfterCancel(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(2000)
	for _, spec := range []string{revenueV2, "name: latest\ntopic: orders\nkey: value.customer_id\naggregate: latest\n", "name: avg\ntopic: orders\nkey: value.status\naggregate: avg\nvalue: value.amount\n"} {
		clean := w.run(spec, "clean", Options{})
		want := w.checksum(clean.ID)
		r := rand.New(rand.NewSource(7))
		stages := []string{"record", "commit", "committed"}
		id := "killed"
		var err error
		for i := 0; ; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			stage, at := stages[r.Intn(3)], int64(r.Intn(2500))
			o := Options{MaxPoll: 50 + r.Intn(300)}
			o.hook = func(s string, n int64) {
				if s == stage && n >= at {
					cancel()
				}
			}
			var m *Meta
			if i == 0 {
				o.DataDir, o.ID = w.dir, id
				m, err = Start(ctx, w.c, compileText(t, spec), o)
			} else {
				m, err = Resume(ctx, w.c, w.dir, id, nil, o)
			}
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if m.Status == StatusDone {
				break
			}
			if i > 50 {
				t.Fatal("never finished")
			}
		}
		if got := w.checksum(id); got != want {
			t.Fatalf("%s: resumed checksum %s, clean %s", spec, got, want)
		}
		for _, d := range []string{"clean", id} {
			if err := Delete(w.dir, d); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestResumeAfterSIGKILL re-executes the test binary as a child that runs a
// projection slowly, SIGKILLs it mid-run, then resumes in this process.
func TestResumeAfterSIGKILL(t *testing.T) {
	if addr := os.Getenv("REWIND_PROJ_CHILD"); addr != "" {
		childRun(t, addr)
		return
	}
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(3000)
	want := w.checksum(w.run(revenueV2, "clean", Options{}).ID)
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestResumeAfterSIGKILL$")
		// The child is SIGKILLed before its testing cleanup runs: its own
		// temp dirs go under ours, which this test removes.
		cmd.Env = append(os.Environ(), "REWIND_PROJ_CHILD="+w.addr, "REWIND_PROJ_DIR="+w.dir, "TMPDIR="+t.TempDir())
		out, _ := testkit.Start(t, cmd)
		// Kill after the child reported a number of checkpoints (a
		// condition, not a time): mid-run, wherever the next batch is.
		sc := bufio.NewScanner(out)
		for n := 0; n < 3+round*4 && sc.Scan(); {
			if strings.HasPrefix(sc.Text(), "committed ") {
				n++
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}
	m, err := LoadMeta(w.dir, "killed")
	if err != nil {
		t.Fatal(err)
	}
	// run.json still says running; nobody holds the store: interrupted,
	// with the way on. list and show (LoadMeta both) agree.
	if m.Status != StatusDone {
		if m.Status != StatusInterrupted || !strings.Contains(m.Error, "rewind project resume killed") || m.PID != 0 {
			t.Fatalf("a killed run reads as %s (pid %d): %s", m.Status, m.PID, m.Error)
		}
		runs, err := ListRuns(w.dir)
		if err != nil || len(runs) != 2 || runs[1].Status != StatusInterrupted {
			t.Fatalf("list: %v %v", err, runs)
		}
	}
	if m.Status != StatusDone {
		if m, err = Resume(context.Background(), w.c, w.dir, "killed", nil, Options{}); err != nil || m.Status != StatusDone {
			t.Fatal(err, m)
		}
	}
	if got := w.checksum("killed"); got != want {
		t.Fatalf("resumed after SIGKILL: %s, clean %s", got, want)
	}
}

func childRun(t *testing.T, addr string) {
	w := connectWorld(t, addr)
	w.dir = os.Getenv("REWIND_PROJ_DIR")
	o := Options{MaxPoll: 20}
	o.hook = func(stage string, n int64) {
		if stage == "committed" {
			fmt.Println("committed", n) // the parent kills after some of these
		}
		time.Sleep(50 * time.Microsecond)
	}
	if _, err := LoadMeta(w.dir, "killed"); err == nil {
		_, _ = Resume(context.Background(), w.c, w.dir, "killed", nil, o)
		return
	}
	o.DataDir, o.ID = w.dir, "killed"
	_, _ = Start(context.Background(), w.c, compileText(t, revenueV2), o)
}

func TestPublishReadBack(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(500)
	w.run(revenueV1, "v1", Options{})
	w.run(revenueV2, "v2", Options{})
	ctx := context.Background()
	plan, err := Publish(ctx, w.c, w.dir, "v1", PublishOptions{Topic: "revenue"})
	if err != nil || plan.Written || !plan.CreateTopic || plan.Upserts != int64(len(w.rows("v1"))) {
		t.Fatalf("dry run: %v %+v", err, plan)
	}
	if _, err := Publish(ctx, w.c, w.dir, "v1", PublishOptions{Topic: "revenue", Execute: true}); err != nil {
		t.Fatal(err)
	}
	readBack := func() map[string]string {
		got := map[string]string{}
		if err := ReadTopicTable(ctx, w.c, "revenue", filepath.Join(t.TempDir(), "rb"), func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	wantEqual(t, "v1 published", readBack(), w.rows("v1"))
	// v2 over v1: changed keys upserted; a key only v1 had is tombstoned.
	w.produce("revenue", rec{0, "zz-stale", map[string]any{"x": 1}})
	plan, err = Publish(ctx, w.c, w.dir, "v2", PublishOptions{Topic: "revenue", Execute: true})
	if err != nil || plan.Tombstones < 1 {
		t.Fatalf("%v %+v", err, plan)
	}
	wantEqual(t, "v2 published", readBack(), w.rows("v2"))
	plan, err = Publish(ctx, w.c, w.dir, "v2", PublishOptions{Topic: "revenue"})
	if err != nil || plan.Upserts != 0 || plan.Tombstones != 0 {
		t.Fatalf("republish should write nothing: %v %+v", err, plan)
	}
	ro, err := backend.Connect(ctx, backend.Options{Brokers: []string{w.addr}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := Publish(ctx, ro, w.dir, "v2", PublishOptions{Topic: "revenue", Execute: true}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only publish: %v", err)
	}
	// Not a compacted topic: refused.
	if _, err := Publish(ctx, w.c, w.dir, "v2", PublishOptions{Topic: "orders", Execute: true}); err == nil || !strings.Contains(err.Error(), "compact") {
		t.Fatalf("publish to a delete topic: %v", err)
	}
}

func TestLiveRunAndDiffWhileRunning(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(300)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := make(chan Progress, 100)
	done := make(chan error, 1)
	go func() {
		_, err := Start(ctx, w.c, compileText(t, revenueV1), Options{DataDir: w.dir, ID: "live", Live: true,
			ProgressEvery: 10 * time.Millisecond, Progress: func(p Progress) {
				select {
				case progress <- p:
				default:
				}
			}})
		done <- err
	}()
	caughtUp := func(n int64) {
		t.Helper()
		deadline := time.After(testkit.WaitTimeout)
		for {
			select {
			case p := <-progress:
				// Progress is emitted after the checkpoint that holds
				// it. Done is capped at the window; live runs go past.
				var next int64
				for _, pp := range p.Partitions {
					next += pp.Next
				}
				if next >= n {
					return
				}
			case <-deadline:
				t.Fatalf("live run did not reach %d", n)
			}
		}
	}
	caughtUp(300)
	w.orders(30) // more arrives while it runs
	caughtUp(330)
	w.run(revenueV1, "bounded", Options{})
	// Diff in the same process while the live run holds its store.
	tl, err := OpenTable(w.dir, "live")
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := OpenTable(w.dir, "bounded")
	s, err := Diff(context.Background(), tl, tb, nil)
	tl.Close()
	tb.Close()
	if err != nil || s.LeftChecksum != s.RightChecksum {
		t.Fatalf("live vs bounded: %v %+v", err, s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	m, _ := LoadMeta(w.dir, "live")
	if m.Status != StatusStopped {
		t.Fatalf("status %s", m.Status)
	}
	// The isolated group carries the run's offsets.
	offs, err := w.c.CommittedOffsets(context.Background(), m.Group)
	if err != nil || len(offs["orders"]) != 3 {
		t.Fatalf("group offsets: %v %v", offs, err)
	}
}
