package admin

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
)

// A DLQ written transactionally: aborted records are never redriven, and
// an open transaction's records are beyond the plan's range (read-committed).
func TestRedriveReadsCommittedOnly(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("orders", 1, nil)
	b.CreateTopic("orders.DLT", 1, nil)
	rec := func(v string) *kgo.Record {
		return &kgo.Record{Topic: "orders.DLT", Partition: 0, Value: []byte(v),
			Headers: []kgo.RecordHeader{{Key: "x-original-topic", Value: []byte("orders")}}}
	}
	b.Txn("t1", kgo.RecordPartitioner(kgo.ManualPartitioner())).Begin().Produce(rec("committed-1"), rec("committed-2")).Commit()
	b.Txn("t2", kgo.RecordPartitioner(kgo.ManualPartitioner())).Begin().Produce(rec("aborted")).Abort()
	b.Produce(rec("plain"))
	open := b.Txn("t3", kgo.RecordPartitioner(kgo.ManualPartitioner())).Begin().Produce(rec("open"))
	defer open.Abort()

	ctx := context.Background()
	c, err := backend.Connect(ctx, backend.Options{Brokers: b.Addrs(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	env := testEnv(t)
	plan, err := PlanRedrive(ctx, c, RedriveRequest{Topic: "orders.DLT"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.ToProduce() != 3 || plan.Matched != 3 {
		t.Fatalf("plan: %+v (want the 2 committed and the plain record)", plan)
	}
	if _, err := ExecuteRedrive(ctx, c, env, RedriveRequest{Topic: "orders.DLT"}, plan, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.Fetch(ctx, "orders", 0, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, r := range got {
		vals = append(vals, string(r.Value))
	}
	if len(vals) != 3 || vals[0] != "committed-1" || vals[1] != "committed-2" || vals[2] != "plain" {
		t.Fatalf("redriven: %v", vals)
	}
}
