package views

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// dlqEnv is a kfake cluster with topics orders, manual and orders.DLT
// holding n dead-lettered records (dlq), and a data dir.
func dlqEnv(t *testing.T, n int) (*Env, *kgo.Client, *kfake.Cluster) {
	t.Helper()
	goroutinesSettle(t)
	env, cl, kc := testEnvK(t, "dark")
	env.DataDir = t.TempDir()
	dlq(t, cl, n)
	return env, cl, kc
}

// openDLQ opens the records of orders.DLT's partition 0.
func openDLQ(t *testing.T, env *Env, w, ht int) *harness {
	t.Helper()
	h := startApp(t, env, NewRecords(env, "orders.DLT", 0), w, ht)
	h.waitText(t, "offsets 0–")
	return h
}

// dlq fills orders.DLT (one partition) with n dead-lettered records:
// value {"n":i,"kind":"bad"|"ok"} (every third bad), origin orders, a
// trace id and Spring's exception header.
func dlq(t *testing.T, cl *kgo.Client, n int) {
	t.Helper()
	for _, tp := range []string{"orders", "orders.DLT", "manual"} {
		createTopic(t, cl, tp, 1, nil)
	}
	recs := make([]*kgo.Record, n)
	for i := range recs {
		kind := "ok"
		if i%3 == 0 {
			kind = "bad"
		}
		recs[i] = &kgo.Record{Topic: "orders.DLT", Partition: 0, Key: fmt.Appendf(nil, "k%d", i),
			Value: fmt.Appendf(nil, `{"n":%d,"kind":%q}`, i, kind), Headers: []kgo.RecordHeader{
				{Key: "x-original-topic", Value: []byte("orders")},
				{Key: "traceparent", Value: fmt.Appendf(nil, "00-%032d-01", i)},
				{Key: "kafka_dlt-exception-message", Value: []byte("boom")},
			}}
	}
	produce(t, cl, recs...)
}

// received is what topic holds: values in offset order, and the header
// names of its first record.
func received(t *testing.T, env *Env, topic string) ([]string, []string) {
	t.Helper()
	recs, err := env.Cluster.Fetch(context.Background(), topic, 0, 0, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var vals, hdrs []string
	for _, r := range recs {
		vals = append(vals, string(r.Value))
	}
	if len(recs) > 0 {
		for _, h := range recs[0].Headers {
			hdrs = append(hdrs, h.Key)
		}
	}
	return vals, hdrs
}

func dlqValue(i int) string {
	kind := "ok"
	if i%3 == 0 {
		kind = "bad"
	}
	return fmt.Sprintf(`{"n":%d,"kind":%q}`, i, kind)
}

func redriveAudit(t *testing.T, env *Env) []replay.AuditEntry {
	t.Helper()
	es, err := replay.ReadAudit(env.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// R on one record: its origin header names the target; the checklist
// offers its header names with the trace id checked; the dry run counts
// it; after yes the target holds exactly that record, without the trace
// id; one audit entry.
func TestRedriveOneRecord(t *testing.T) {
	env, _, _ := dlqEnv(t, 10)
	h := openDLQ(t, env, 140, 32)
	h.keys("down", "down")
	h.keys("R")
	h.waitText(t, "Redrive from orders.DLT: record p0 offset 2", "target topic:", "each record's origin header")
	h.keys("enter")
	s := h.waitText(t, "headers to drop:", "[x] traceparent  trace id", "[ ] x-original-topic  origin", "[ ] kafka_dlt-exception-message")
	if strings.Contains(s, "writing") {
		t.Fatalf("wrote before the dry run:\n%s", s)
	}
	h.keys("enter")
	h.waitText(t, "headers to drop: traceparent", "dry run: 1 of 1 selected record found in orders.DLT", "→ orders: 1 record", "type yes")
	if vals, _ := received(t, env, "orders"); len(vals) != 0 {
		t.Fatalf("the dry run wrote: %v", vals)
	}
	h.answer(t, "yes", "✓ written: re-produced 1 record: 1 to orders; they stay in orders.DLT", "audited in audit.jsonl")
	vals, hdrs := received(t, env, "orders")
	if strings.Join(vals, " ") != dlqValue(2) || strings.Join(hdrs, ",") != "x-original-topic,kafka_dlt-exception-message" {
		t.Fatalf("orders got %v with headers %v", vals, hdrs)
	}
	es := redriveAudit(t, env)
	if len(es) != 1 || es[0].Kind != replay.AuditRedriveKind || !es[0].OK() || es[0].Redrive.Produced["orders"] != 1 ||
		strings.Join(es[0].Redrive.DropHeaders, ",") != "traceparent" || es[0].Topic != "orders.DLT" {
		t.Fatalf("audit: %+v", es)
	}
	h.quit(t)
}

// m marks records (a marker column, the count in the header); the marks
// survive paging away and back; R redrives exactly the marked records to
// a topic chosen, with the headers the checklist leaves checked.
func TestRedriveMarkedSelection(t *testing.T) {
	env, _, _ := dlqEnv(t, 3000)
	h := openDLQ(t, env, 140, 32)
	h.keys("down", "m", "down", "down", "m")
	s := h.waitText(t, "2 marked (R redrives, M clears)")
	lineHas(t, s, "●", "1", "k1")
	lineHas(t, s, "●", "3", "k3")
	h.keys("G") // the window moves to the end of the log
	h.waitText(t, "–2,999 of 0–3,000")
	h.keys("m")
	h.waitText(t, "3 marked")
	h.keys("g")
	s = h.waitText(t, "offsets 0–", "3 marked")
	lineHas(t, s, "●", "1", "k1")
	h.keys("R")
	h.waitText(t, "Redrive from orders.DLT: 3 marked records", "target topic:")
	h.typeText("manual")
	h.keys("enter")
	// Keep the trace id, drop Spring's exception header (the list is
	// sorted; the cursor starts on the first).
	h.waitText(t, "› [ ] kafka_dlt-exception-message", "[x] traceparent")
	h.keys("space")
	h.waitText(t, "› [x] kafka_dlt-exception-message")
	h.keys("down", "space") // traceparent: unchecked
	h.waitText(t, "› [ ] traceparent")
	h.keys("enter")
	h.waitText(t, "target topic: manual", "headers to drop: kafka_dlt-exception-message", "dry run: 3 of 3 selected records found", "→ manual: 3 records")
	h.answer(t, "yes", "✓ written: re-produced 3 records: 3 to manual")
	vals, hdrs := received(t, env, "manual")
	if want := []string{dlqValue(1), dlqValue(3), dlqValue(2999)}; strings.Join(vals, " ") != strings.Join(want, " ") {
		t.Fatalf("manual got %v, want %v", vals, want)
	}
	if strings.Join(hdrs, ",") != "x-original-topic,traceparent" {
		t.Fatalf("headers: %v", hdrs)
	}
	if vals, _ := received(t, env, "orders"); len(vals) != 0 {
		t.Fatalf("orders got records: %v", vals)
	}
	// Redriven: the marks are cleared (R again would redrive them twice).
	h.keys("esc")
	s = h.waitText(t, "offsets 0–", "marks cleared")
	if strings.Contains(s, "marked (R") || hasLine(s, "●", "1", "k1") {
		t.Fatalf("marks left after the redrive:\n%s", s)
	}
	// M clears marks by hand.
	h.keys("m", "down", "m")
	h.waitText(t, "2 marked")
	h.keys("M")
	s = h.waitText(t, "2 records unmarked")
	if strings.Contains(s, "marked (R") {
		t.Fatalf("marks left after M:\n%s", s)
	}
	h.quit(t)
}

// R in a search's matches redrives every match of that search: the same
// expression over the same range, re-read by the backend; the target
// holds exactly the matching records.
func TestRedriveSearchMatches(t *testing.T) {
	env, cl, _ := dlqEnv(t, 600)
	// Records after the search started are not in its range.
	h := openDLQ(t, env, 140, 40)
	h.keys("s")
	h.typeText(`value.kind == "bad"`)
	h.keys("enter")
	h.waitText(t, "200 matched", "600 of 600 scanned")
	produce(t, cl, &kgo.Record{Topic: "orders.DLT", Value: []byte(`{"n":600,"kind":"bad"}`),
		Headers: []kgo.RecordHeader{{Key: "x-original-topic", Value: []byte("orders")}}})
	h.keys("R")
	h.waitText(t, `Redrive from orders.DLT: every match of search ▸ value.kind == "bad" (600 offsets of the log)`, "target topic:")
	h.keys("enter")
	h.waitText(t, "[x] traceparent", "[ ] kafka_dlt-exception-message")
	h.keys("enter")
	h.waitText(t, "dry run: read 600 records of orders.DLT, 200 matched", "→ orders: 200 records")
	h.answer(t, "yes", "✓ written: re-produced 200 records: 200 to orders")
	vals, hdrs := received(t, env, "orders")
	var want []string
	for i := 0; i < 600; i += 3 {
		want = append(want, dlqValue(i))
	}
	if strings.Join(vals, "\n") != strings.Join(want, "\n") {
		t.Fatalf("orders got %d records, want the %d matches", len(vals), len(want))
	}
	if strings.Join(hdrs, ",") != "x-original-topic,kafka_dlt-exception-message" {
		t.Fatalf("headers: %v", hdrs)
	}
	es := redriveAudit(t, env)
	if len(es) != 1 || es[0].Redrive.Filter != `value.kind == "bad"` || es[0].Redrive.Matched != 200 {
		t.Fatalf("audit: %+v", es)
	}
	h.quit(t)
}

// Under read-only, R refuses at once: nothing asked, nothing audited.
func TestRedriveReadOnlyFirst(t *testing.T) {
	env, _, kc := dlqEnv(t, 5)
	ro, err := backend.Connect(context.Background(), backend.Options{Brokers: kc.ListenAddrs(), Timeout: 5 * time.Second,
		ReadOnly: true, ReadOnlyReason: "rewind is running with --read-only"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ro.Close)
	env.Cluster = ro
	h := openDLQ(t, env, 120, 24)
	h.keys("m", "R")
	s := h.waitText(t, "Redrive from orders.DLT: 1 marked record", "✗ refused: rewind is running with --read-only", "nothing can be written from here")
	for _, bad := range []string{"target topic:", "headers to drop:", "dry run"} {
		if strings.Contains(s, bad) {
			t.Fatalf("read-only redrive shows %q:\n%s", bad, s)
		}
	}
	if es := redriveAudit(t, env); len(es) != 0 {
		t.Fatalf("audited under read-only: %+v", es)
	}
	h.quit(t)
}

// esc while writing stops the redrive after the current batch: the
// screen says how many were written, the target holds exactly those (the
// first of the DLQ, in order), the audit entry says so.
func TestRedriveCancel(t *testing.T) {
	env, _, kc := dlqEnv(t, 1200) // 3 batches of 500
	h := openDLQ(t, env, 140, 32)
	h.keys("s")
	h.typeText(`value.n >= 0`)
	h.keys("enter")
	h.waitText(t, "1,200 matched")
	h.keys("R")
	h.waitText(t, "target topic:")
	h.keys("enter")
	h.waitText(t, "[x] traceparent")
	h.keys("enter")
	h.waitText(t, "→ orders: 1,200 records", "type yes")

	// Hold every produce request to orders after the first until esc was
	// seen: the write is then mid-way, deterministically.
	release, held := make(chan struct{}), make(chan struct{})
	var produces atomic.Int32
	kc.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		if n := produces.Add(1); n > 1 {
			if n == 2 {
				close(held)
			}
			kc.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	h.answer(t, "yes", "writing…", "of 1,200 records", "esc: stop after the current batch")
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the redrive never sent a second produce request")
	}
	h.keys("esc")
	h.waitText(t, "stopping after the current batch")
	close(release)
	s := h.waitText(t, "✗ redrive stopped by the operator after", "of 1200 records", "the rest stay in the DLQ", "audited in audit.jsonl")
	vals, _ := received(t, env, "orders")
	n := len(vals)
	if n == 0 || n >= 1200 || n%500 != 0 {
		t.Fatalf("orders got %d records, want whole batches short of 1,200", n)
	}
	for i, v := range vals {
		if v != dlqValue(i) {
			t.Fatalf("record %d of orders is %s, want %s", i, v, dlqValue(i))
		}
	}
	if !strings.Contains(s, fmt.Sprintf("re-produced %s records: %s to orders before that", fmtCount(n), fmtCount(n))) {
		t.Fatalf("the screen does not say %d were written:\n%s", n, s)
	}
	es := redriveAudit(t, env)
	if len(es) != 1 || es[0].OK() || es[0].Redrive.Produced["orders"] != int64(n) || es[0].Redrive.Range[0] != [2]int64{0, int64(n)} {
		t.Fatalf("audit: %+v", es)
	}
	h.quit(t)
}

func fmtCount(n int) string {
	s := fmt.Sprint(n)
	if len(s) > 3 {
		s = s[:len(s)-3] + "," + s[len(s)-3:]
	}
	return s
}
