package admin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
)

func readOne(t *testing.T, c *backend.Cluster, topic string, p int32, off int64) backend.Record {
	t.Helper()
	recs, err := c.Fetch(context.Background(), topic, p, off, 1)
	if err != nil || len(recs) != 1 || recs[0].Offset != off {
		t.Fatalf("read %s/%d@%d: %v %v", topic, p, off, recs, err)
	}
	return recs[0]
}

func headerNames(hs []backend.Header) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Key+"="+string(h.Value))
	}
	return strings.Join(out, ",")
}

// One record from the produce form: written where the broker says, the
// partition asked for honoured, the audit entry says where it went (sizes
// and header names only); refused under read-only before anything, and a
// missing topic or partition fails with the reason, audited.
func TestProduceOneRecord(t *testing.T) {
	c, ro := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	if _, _, err := CreateTopic(ctx, c, env, backend.TopicSpec{Name: "orders", Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	rec := backend.ProduceRecord{Topic: "orders", Key: []byte("k1"), Value: []byte(`{"amount":1}`),
		Headers: []backend.Header{{Key: "source", Value: []byte("tui")}}}

	if _, _, err := Produce(ctx, ro, env, ProduceRequest{Record: rec}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only produce: %v", err)
	}
	p2 := int32(2)
	out, en, err := Produce(ctx, c, env, ProduceRequest{Record: rec, Partition: &p2, ValueSchema: "orders-value"})
	if err != nil || out.Partition != 2 || out.Offset != 0 || !en.OK() {
		t.Fatalf("produce: %+v %+v %v", out, en, err)
	}
	got := readOne(t, c, "orders", 2, 0)
	if string(got.Key) != "k1" || string(got.Value) != `{"amount":1}` || headerNames(got.Headers) != "source=tui" {
		t.Fatalf("written: %+v", got)
	}
	// By key: where murmur2 puts it, as every Java client would.
	out, _, err = Produce(ctx, c, env, ProduceRequest{Record: rec})
	if want := scan.KeyPartition([]byte("k1"), 3); err != nil || out.Partition != want {
		t.Fatalf("by key: %+v %v (want p%d)", out, err, want)
	}
	if _, _, err := Produce(ctx, c, env, ProduceRequest{Record: backend.ProduceRecord{Topic: "nope", Value: []byte("x")}}); err == nil ||
		!strings.Contains(err.Error(), `topic "nope" does not exist`) {
		t.Fatalf("missing topic: %v", err)
	}
	p9 := int32(9)
	if _, _, err := Produce(ctx, c, env, ProduceRequest{Record: rec, Partition: &p9}); err == nil || !strings.Contains(err.Error(), "has no partition 9") {
		t.Fatalf("missing partition: %v", err)
	}

	es := audit(t, env)
	if len(es) != 5 { // create + 2 ok + 2 failed; the read-only refusal is not an attempt
		t.Fatalf("audit entries: %d", len(es))
	}
	e := es[1]
	if e.Kind != "produce" || e.Topic != "orders" || e.Produced == nil || e.Produced.To.Partition != 2 || e.Produced.To.Offset != 0 ||
		e.Produced.KeyBytes != 2 || e.Produced.ValueBytes != 12 || strings.Join(e.Produced.Headers, ",") != "source" || e.Produced.ValueSchema != "orders-value" {
		t.Fatalf("audit entry: %+v %+v", e, e.Produced)
	}
	if es[3].Result == "ok" || es[4].Result == "ok" || !strings.Contains(es[3].Result, "does not exist") {
		t.Fatalf("failed produces audited as: %q, %q", es[3].Result, es[4].Result)
	}
}

// Re-send one record (the DLQ move): the plan re-reads the stored record,
// the copy keeps key, value and the headers not dropped (names and globs),
// goes by key to the target, and the audit entry names the source record.
func TestResendRecord(t *testing.T) {
	c, ro := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	for _, s := range []backend.TopicSpec{{Name: "orders-dlq", Partitions: 2}, {Name: "orders", Partitions: 4}} {
		if _, _, err := CreateTopic(ctx, c, env, s); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("v", 300<<10) // bigger than any display cap
	produce(t, c, &kgo.Record{Topic: "orders-dlq", Partition: 1, Value: []byte("first")},
		&kgo.Record{Topic: "orders-dlq", Partition: 1, Key: []byte("order-7"), Value: []byte(big), Headers: []kgo.RecordHeader{
			{Key: "x-original-topic", Value: []byte("orders")}, {Key: "traceparent", Value: []byte("00-abc")},
			{Key: "kafka_dlt-exception-message", Value: []byte("boom")}, {Key: "tenant", Value: []byte("eu")}}})

	req := ResendRequest{Topic: "orders-dlq", Partition: 1, Offset: 1, To: "orders", DropHeaders: []string{"traceparent", "kafka_dlt-*"}}
	if _, err := PlanResend(ctx, c, ResendRequest{Topic: "orders-dlq", Partition: 1, Offset: 1, To: "missing"}); err == nil ||
		!strings.Contains(err.Error(), `topic "missing" does not exist`) {
		t.Fatalf("missing target: %v", err)
	}
	if _, err := PlanResend(ctx, c, ResendRequest{Topic: "orders-dlq", Partition: 1, Offset: 5}); err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("missing record: %v", err)
	}
	plan, err := PlanResend(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(plan.Dropped, ",") != "traceparent,kafka_dlt-exception-message" || plan.Partitions != 4 ||
		plan.KeyPartition != scan.KeyPartition([]byte("order-7"), 4) || len(plan.Record.Value) != len(big) {
		t.Fatalf("plan: dropped %v, %d partitions, key p%d, value %d bytes", plan.Dropped, plan.Partitions, plan.KeyPartition, len(plan.Record.Value))
	}
	if _, _, err := ExecuteResend(ctx, ro, env, req, plan); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only resend: %v", err)
	}
	if _, _, err := ExecuteResend(ctx, c, env, ResendRequest{Topic: "orders-dlq", Partition: 1, Offset: 0, To: "orders"}, plan); err == nil {
		t.Fatal("a plan of another record was executed")
	}
	out, en, err := ExecuteResend(ctx, c, env, req, plan)
	if err != nil || !en.OK() || out.Topic != "orders" || out.Partition != plan.KeyPartition {
		t.Fatalf("resend: %+v %+v %v", out, en, err)
	}
	first := out
	got := readOne(t, c, "orders", out.Partition, out.Offset)
	if string(got.Key) != "order-7" || string(got.Value) != big || headerNames(got.Headers) != "x-original-topic=orders,tenant=eu" {
		t.Fatalf("re-sent: key %q, %d value bytes, headers %s", got.Key, len(got.Value), headerNames(got.Headers))
	}
	// To the same topic ("" = its own): a keyless record is spread.
	out, _, err = func() (backend.Produced, any, error) {
		req := ResendRequest{Topic: "orders-dlq", Partition: 1, Offset: 0}
		plan, err := PlanResend(ctx, c, req)
		if err != nil {
			return backend.Produced{}, nil, err
		}
		if plan.KeyPartition != -1 {
			t.Fatalf("keyless record hashed to p%d", plan.KeyPartition)
		}
		return ExecuteResend(ctx, c, env, req, plan)
	}()
	if err != nil || out.Topic != "orders-dlq" || string(readOne(t, c, "orders-dlq", out.Partition, out.Offset).Value) != "first" {
		t.Fatalf("same-topic resend: %+v %v", out, err)
	}

	es := audit(t, env)
	e := es[len(es)-2]
	if e.Kind != "resend" || e.Topic != "orders-dlq" || e.Produced.From == nil ||
		*e.Produced.From != (replay.AuditRecord{Topic: "orders-dlq", Partition: 1, Offset: 1}) ||
		e.Produced.To != (replay.AuditRecord{Topic: "orders", Partition: first.Partition, Offset: first.Offset}) ||
		strings.Join(e.Produced.DropHeaders, ",") != "traceparent,kafka_dlt-*" || strings.Join(e.Produced.Headers, ",") != "x-original-topic,tenant" {
		t.Fatalf("audit entry: %+v %+v", e, e.Produced)
	}
}
