package replay

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// world is an in-process kfake broker (real Kafka protocol over TCP) with
//
//	orders: 3 partitions x 100 records, record i of each partition stamped
//	        base + i s (base = 1h ago); records below 40 of orders/2
//	        deleted (log start 40), as retention would.
type world struct {
	t    testing.TB
	addr string
	c    *backend.Cluster // what the CLI uses
	adm  *kadm.Client
	raw  *kgo.Client
	base time.Time
	env  Env
}

func newWorld(t testing.TB) *world {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	addr := kc.ListenAddrs()[0]
	raw, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.Close)
	w := &world{t: t, addr: addr, raw: raw, adm: kadm.NewClient(raw), base: time.Now().Add(-time.Hour).Truncate(time.Second),
		env: Env{DataDir: t.TempDir(), Actor: "tester@host"}}
	ctx := context.Background()
	if _, err := w.adm.CreateTopic(ctx, 3, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	w.produce(100)
	w.deleteBelow("orders", 2, 40)
	c, err := backend.Connect(ctx, backend.Options{Brokers: []string{addr}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w.c = c
	return w
}

// produce appends n records to each partition of orders, continuing the
// timestamps.
func (w *world) produce(n int) {
	w.t.Helper()
	ends, err := w.adm.ListEndOffsets(context.Background(), "orders")
	if err != nil {
		w.t.Fatal(err)
	}
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		e, _ := ends.Lookup("orders", p)
		for i := range n {
			o := e.Offset + int64(i)
			recs = append(recs, &kgo.Record{Topic: "orders", Partition: p, Value: fmt.Appendf(nil, "v%d", o),
				Timestamp: w.base.Add(time.Duration(o) * time.Second)})
		}
	}
	if err := w.raw.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) deleteBelow(topic string, p int32, at int64) {
	w.t.Helper()
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: p, At: at})
	if resp, err := w.adm.DeleteRecords(context.Background(), del); err != nil || resp.Error() != nil {
		w.t.Fatalf("delete records: %v %v", err, resp.Error())
	}
}

func (w *world) commit(group string, at map[int32]int64) {
	w.t.Helper()
	os := kadm.Offsets{}
	for p, o := range at {
		os.Add(kadm.Offset{Topic: "orders", Partition: p, At: o, LeaderEpoch: -1})
	}
	if err := w.adm.CommitAllOffsets(context.Background(), group, os); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) committed(group string) Offsets {
	w.t.Helper()
	o, err := w.c.CommittedOffsets(context.Background(), group)
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

// rawOffsets is the group's full OffsetFetch answer (offsets, epochs,
// metadata): to prove a group was not touched at all.
func (w *world) rawOffsets(group string) kadm.OffsetResponses {
	w.t.Helper()
	o, err := w.adm.FetchOffsets(context.Background(), group)
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

func (w *world) plan(req Request) *Plan {
	w.t.Helper()
	p, err := BuildPlan(context.Background(), w.c, req, time.Now())
	if err != nil {
		w.t.Fatalf("plan %+v: %v", req, err)
	}
	return p
}

// consume joins group on orders (starting at its commits, else the log
// start), reads until the group's position reaches the end of every
// partition in parts, commits, and stays a member. The caller closes it.
func (w *world) consume(group string, opts ...kgo.Opt) *kgo.Client {
	w.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(w.addr),
		kgo.ClientID("test-" + group),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics("orders"),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	ends, err := w.adm.ListEndOffsets(context.Background(), "orders")
	if err != nil {
		cl.Close()
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pos := map[int32]int64{}
	for p, o := range w.committed(group)["orders"] {
		pos[p] = o
	}
	done := func() bool {
		for p := int32(0); p < 3; p++ {
			e, _ := ends.Lookup("orders", p)
			if pos[p] < e.Offset {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			cl.Close()
			w.t.Fatalf("%s: consumed to %v: %v", group, pos, err)
		}
		fs.EachRecord(func(r *kgo.Record) { pos[r.Partition] = r.Offset + 1 })
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		cl.Close()
		w.t.Fatalf("%s: commit: %v", group, err)
	}
	return cl
}

// waitMembers waits until group has n members (joins settle
// asynchronously).
func (w *world) waitMembers(group string, n int) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, m, _, err := w.c.GroupState(context.Background(), group)
		if err == nil && m == n {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("group %s: want %d members, have %d (%s, %v)", group, n, m, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *world) audit() []AuditEntry {
	w.t.Helper()
	es, err := ReadAudit(w.env.DataDir)
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}

func targets(p *Plan) map[int32]int64 {
	out := map[int32]int64{}
	for _, pp := range p.Partitions {
		out[pp.Partition] = pp.Target
	}
	return out
}

func part(p *Plan, n int32) PartitionPlan {
	for _, pp := range p.Partitions {
		if pp.Partition == n {
			return pp
		}
	}
	return PartitionPlan{Partition: -1}
}

func wantEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func noGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
