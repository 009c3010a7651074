package views

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
)

// fakeEditor is an $EDITOR that writes text into the file it is given.
func fakeEditor(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "value.txt")
	if err := os.WriteFile(src, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "editor.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncat '"+src+"' > \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return script
}

// Produce a record from the TUI and see it arrive in the tail: P on a
// followed records view, the key typed, the value written in $EDITOR (and
// a clear fallback while none is set), two headers, the partition by key;
// the preview shows exactly what will be written and nothing is written
// before the yes; the state line gives the partition and offset; the tail
// shows the record; the audit trail has it.
func TestProduceFromRecordsView(t *testing.T) {
	goroutinesSettle(t)
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 3, nil)
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "")

	h := startApp(t, env, NewRecords(env, "orders", -1), 120, 40)
	h.waitText(t, "3 partitions by time")
	h.keys("f")
	h.waitText(t, "● following")

	h.keys("P")
	h.waitText(t, "Produce a record to orders on", "key:")
	h.answer(t, "order-42", "value:", "ctrl+e: $EDITOR")
	h.keys("ctrl+e")
	h.waitText(t, "no $EDITOR (or $VISUAL) is set")
	t.Setenv("EDITOR", fakeEditor(t, "{\n  \"amount\": 12.5,\n  \"note\": \"\x1b[31mred\"\n}\n"))
	h.keys("ctrl+e")
	h.waitText(t, "value: { … (4 lines", "header:")
	h.answer(t, "nope", "want NAME=VALUE")
	backspace(h, 4)
	h.answer(t, "source=tui", "header: source=tui")
	h.answer(t, "trace=abc=1", "header: trace=abc=1")
	h.keys("enter") // no more headers
	h.waitText(t, "partition:", "by key")
	h.keys("enter")
	want := scan.KeyPartition([]byte("order-42"), 3)
	s := h.waitText(t, "type yes", "nothing written yet")
	lineHas(t, s, "to", "orders partition", "by key")
	lineHas(t, s, "key", "order-42")
	lineHas(t, s, "value", "{")
	lineHas(t, s, `"amount": 12.5,`)
	lineHas(t, s, "header", "source = tui")
	lineHas(t, s, "header", "trace = abc=1")
	if !strings.Contains(s, "partition "+itoa(want)+" (by key") {
		t.Fatalf("preview does not name partition %d:\n%s", want, s)
	}
	h.mu.Lock()
	raw := h.frame // the styled frame, escapes included
	h.mu.Unlock()
	assertNoEscapes(t, "produce preview", raw)
	if recs, _ := env.Cluster.Fetch(context.Background(), "orders", want, 0, 1); len(recs) != 0 {
		t.Fatalf("written before the confirmation: %+v", recs)
	}
	h.answer(t, "yes", "✓ written: p"+itoa(want)+" offset 0 of orders", "audited in audit.jsonl")

	recs, err := env.Cluster.Fetch(context.Background(), "orders", want, 0, 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("not written: %v %v", recs, err)
	}
	r := recs[0]
	if string(r.Key) != "order-42" || string(r.Value) != "{\n  \"amount\": 12.5,\n  \"note\": \"\x1b[31mred\"\n}" ||
		len(r.Headers) != 2 || r.Headers[1].Key != "trace" || string(r.Headers[1].Value) != "abc=1" {
		t.Fatalf("written: key %q value %q headers %+v", r.Key, r.Value, r.Headers)
	}
	h.keys("esc")
	h.waitLine(t, "order-42", "amount")
	es, err := replay.ReadAudit(env.DataDir)
	if err != nil || len(es) != 1 || es[0].Kind != "produce" || es[0].Produced.To.Partition != want || !es[0].OK() {
		t.Fatalf("audit: %+v %v", es, err)
	}
	h.quit(t)
}

// In a single-partition view the form defaults to that partition; a
// partition that does not exist is refused at the preview, and e changes
// the answers.
func TestProducePartitionDefault(t *testing.T) {
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 2, nil)
	h := startApp(t, env, NewRecords(env, "orders", 1), 120, 30)
	h.waitText(t, "no records")
	h.keys("P")
	h.waitText(t, "key:")
	h.answer(t, "", "value:")
	h.answer(t, "hello", "header:")
	h.keys("enter")
	h.waitText(t, "partition:", "1")
	h.answer(t, "7", "✗ refused: topic orders has no partition 7 (it has 2 partitions)")
	h.keys("e")
	h.waitText(t, "key:")
	for range 3 {
		h.keys("enter") // key, value (kept), headers: none
	}
	h.waitText(t, "partition:")
	backspace(h, 1)
	s := h.answer(t, "", "type yes")
	lineHas(t, s, "to", "orders partition 1")
	lineHas(t, s, "key", "null")
	h.answer(t, "yes", "✓ written: p1 offset 0 of orders", "e: write another")
	// Another with the answers kept: a new value.
	h.keys("e")
	h.waitText(t, "key:")
	h.keys("enter")
	h.waitText(t, "value:")
	backspace(h, len("hello"))
	h.answer(t, "again", "header:")
	h.keys("enter", "enter")
	h.waitText(t, "value      5 B: again", "type yes")
	h.answer(t, "yes", "✓ written: p1 offset 1 of orders")
	h.keys("esc")
	h.waitText(t, "p1 · no records")
	h.keys("ctrl+r") // not following: a refresh shows them
	h.waitLine(t, "1", "1", "again")
	h.waitLine(t, "0", "1", "hello")
	h.quit(t)
}

func itoa(p int32) string { return strconv.Itoa(int(p)) }

// Re-send from the record detail (the DLQ move): r on a dead-lettered
// record offers the origin header's topic, lists the header names to
// choose from, refuses a topic that does not exist at the preview, drops
// headers by name and glob, shows what will be written, and writes it by
// key to the target, audited as a resend.
func TestResendFromRecordDetail(t *testing.T) {
	goroutinesSettle(t)
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders-dlq", 1, nil)
	createTopic(t, cl, "orders", 3, nil)
	produce(t, cl, &kgo.Record{Topic: "orders-dlq", Key: []byte("order-7"), Value: []byte(`{"amount":3}`), Headers: []kgo.RecordHeader{
		{Key: "x-original-topic", Value: []byte("orders")}, {Key: "traceparent", Value: []byte("00-abc")},
		{Key: "kafka_dlt-exception-message", Value: []byte("boom")}}})

	h := startApp(t, env, NewRecords(env, "orders-dlq", 0), 120, 40)
	h.waitLine(t, "order-7")
	h.keys("enter")
	h.waitText(t, "headers (3)", "traceparent")
	h.keys("r")
	h.waitText(t, "Re-send orders-dlq p0 offset 0", "headers: x-original-topic, traceparent, kafka_dlt-exception-message",
		"to topic:", "orders (the origin header's topic)")
	h.answer(t, "nope", "drop headers:")
	// The record's headers to check: trace ids suggested, the origin
	// header named.
	s := h.waitText(t, "space: check/uncheck")
	lineHas(t, s, "[ ] kafka_dlt-exception-message")
	lineHas(t, s, "[x] traceparent", "trace id")
	lineHas(t, s, "[ ] x-original-topic", "origin")
	h.keys("enter")
	h.waitText(t, `topic "nope" does not exist`)
	h.keys("e")
	h.waitText(t, "to topic: nope")
	backspace(h, 4)
	h.answer(t, "", "space: check/uncheck")
	h.keys("space", "enter") // and the exception message
	s = h.waitText(t, "type yes", "nothing written yet")
	want := scan.KeyPartition([]byte("order-7"), 3)
	lineHas(t, s, "from", "orders-dlq p0 offset 0")
	lineHas(t, s, "to", "orders partition "+itoa(want), "by key")
	lineHas(t, s, "key", "order-7")
	lineHas(t, s, "value", `{"amount":3}`)
	lineHas(t, s, "header", "x-original-topic = orders")
	lineHas(t, s, "dropped", "traceparent")
	lineHas(t, s, "dropped", "kafka_dlt-exception-message")
	if strings.Contains(s, "00-abc") || strings.Contains(s, "boom") {
		t.Fatalf("the preview shows a dropped header's value:\n%s", s)
	}
	h.answer(t, "yes", "✓ written: re-sent to orders: p"+itoa(want)+" offset 0", "audited in audit.jsonl")

	recs, err := env.Cluster.Fetch(context.Background(), "orders", want, 0, 1)
	if err != nil || len(recs) != 1 || string(recs[0].Key) != "order-7" || string(recs[0].Value) != `{"amount":3}` ||
		len(recs[0].Headers) != 1 || recs[0].Headers[0].Key != "x-original-topic" {
		t.Fatalf("re-sent: %+v %v", recs, err)
	}
	es, err := replay.ReadAudit(env.DataDir)
	if err != nil || len(es) != 1 || es[0].Kind != "resend" || es[0].Produced.From.Topic != "orders-dlq" || es[0].Produced.To.Topic != "orders" {
		t.Fatalf("audit: %+v %v", es, err)
	}
	h.keys(":")
	h.typeText("audit")
	h.keys("enter")
	h.waitText(t, "1 change in")
	h.keys("enter")
	s = h.waitText(t, "record written")
	lineHas(t, s, "from", "orders-dlq p0 offset 0")
	lineHas(t, s, "to", "orders p"+itoa(want)+" offset 0")
	lineHas(t, s, "drop headers", "kafka_dlt-exception-message, traceparent")
	lineHas(t, s, "headers", "x-original-topic")
	h.quit(t)
}

// Under read-only (here a read-only context) produce and re-send refuse at
// their first step, before any question; the backend refuses their writes
// too (the flows' own Execute, called past the screen's check).
func TestProduceResendReadOnlyFirst(t *testing.T) {
	goroutinesSettle(t)
	env, cl, kc := testEnvK(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 1, nil)
	produce(t, cl, &kgo.Record{Topic: "orders", Key: []byte("k"), Value: []byte("v1")})
	env.Cluster = readOnlyContext(t, kc)
	h := startApp(t, env, NewRecords(env, "orders", 0), 120, 30)
	h.waitLine(t, "k", "v1")
	h.keys("P")
	s := h.waitText(t, `✗ refused: context "prod" is read-only`, "nothing can be written from here")
	if strings.Contains(s, "key:") || strings.Contains(s, "value:") {
		t.Fatalf("produce under read-only asks:\n%s", s)
	}
	h.keys("esc")
	h.waitLine(t, "k", "v1")
	h.keys("enter")
	h.waitText(t, "@0")
	h.keys("r")
	s = h.waitText(t, `✗ refused: context "prod" is read-only`, "nothing can be written from here")
	if strings.Contains(s, "to topic:") {
		t.Fatalf("re-send under read-only asks:\n%s", s)
	}
	h.quit(t)

	ctx := context.Background()
	p := NewProduce(env, "orders", 0).(*actionScreen)
	plan, err := p.spec.Preview(ctx, []string{"k", "v", "", "0", ""})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.spec.Execute(ctx, nil, plan, "yes"); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("produce's write under read-only: %v", err)
	}
	r := NewResend(env, backend.Record{Topic: "orders", Partition: 0, Offset: 0}).(*actionScreen)
	if plan, err = r.spec.Preview(ctx, []string{"orders", ""}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.spec.Execute(ctx, nil, plan, "yes"); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("re-send's write under read-only: %v", err)
	}
	if got := auditKinds(t, env.DataDir); len(got) != 0 {
		t.Fatalf("audited under read-only: %v", got)
	}
	if recs, _ := env.Cluster.Fetch(ctx, "orders", 0, 0, 10); len(recs) != 1 {
		t.Fatalf("records after read-only attempts: %d", len(recs))
	}
}

// The preview shows a value whole up to its bound, wrapped (not cut at
// the screen's edge), and says how much is not shown.
func TestValuePreview(t *testing.T) {
	long := strings.Repeat("0123456789", 10) // 100 characters on one line
	for _, c := range []struct {
		in    string
		lines []string
		rest  int
	}{
		{"hello", []string{"hello"}, 0},
		{"a\n\nb\n", []string{"a", "", "b"}, 0},
		{long, []string{long[:56], long[56:]}, 0},
		{"é" + strings.Repeat("x", 70), []string{"é" + strings.Repeat("x", 55), strings.Repeat("x", 15)}, 0},
		{strings.Repeat("l\n", 10), []string{"l", "l", "l", "l", "l", "l", "l", "l"}, 4},
		{"\x1b[31mred", []string{"␛[31mred"}, 0},
	} {
		lines, rest := valuePreview([]byte(c.in))
		if strings.Join(lines, "|") != strings.Join(c.lines, "|") || rest != c.rest {
			t.Errorf("valuePreview(%q) = %q, %d; want %q, %d", c.in, lines, rest, c.lines, c.rest)
		}
	}
}
