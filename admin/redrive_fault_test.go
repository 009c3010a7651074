package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// A target that starts refusing part-way: the command fails, saying how
// many records went where, and the audit entry keeps the DLQ offsets done
// so the next redrive can skip them.
func TestRedriveFailsPartWayLoudly(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ctx := context.Background()
	c, err := backend.Connect(ctx, backend.Options{Brokers: kc.ListenAddrs(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	env := testEnv(t)
	for _, tp := range []string{"orders", "orders.DLT"} {
		if _, err := c.CreateTopicSpec(ctx, backend.TopicSpec{Name: tp, Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, dlqRecord(0, "orders", "x-original-topic", strings.Repeat("v", i+1)))
	}
	produce(t, c, recs...)
	plan, err := PlanRedrive(ctx, c, RedriveRequest{Topic: "orders.DLT"})
	if err != nil || plan.ToProduce() != 5 {
		t.Fatalf("plan %+v %v", plan, err)
	}

	old := redriveBatch
	redriveBatch = 2
	defer func() { redriveBatch = old }()
	produces := 0
	kc.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		req := kreq.(*kmsg.ProduceRequest) // only the redrive produces from here on
		if produces++; produces == 1 {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	en, err := ExecuteRedrive(ctx, c, env, RedriveRequest{Topic: "orders.DLT"}, plan, nil)
	if err == nil || !strings.Contains(err.Error(), "re-produced 2 of 5 records before the failure") {
		t.Fatalf("want a loud partial failure, got %v", err)
	}
	if !strings.HasPrefix(en.Result, "failed: ") || en.Redrive.Produced["orders"] != 2 || en.Redrive.Range[0] != [2]int64{0, 2} {
		t.Fatalf("audit entry: %+v %+v", en, en.Redrive)
	}
	es, _ := replay.ReadAudit(env.DataDir)
	if len(es) != 1 || es[0].Redrive.Range[0] != [2]int64{0, 2} {
		t.Fatalf("trail: %+v", es)
	}
	got, _ := c.Fetch(ctx, "orders", 0, 0, 10)
	if len(got) != 2 {
		t.Fatalf("orders has %d records, want the 2 the audit says", len(got))
	}
}
