package replay

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
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
	kit  *testkit.Broker
}

func newWorld(t testing.TB) *world {
	t.Helper()
	kit := testkit.NewBroker(t)
	w := &world{t: t, addr: kit.Addr, kit: kit, raw: kit.Client, adm: kit.Adm, base: time.Now().Add(-time.Hour).Truncate(time.Second),
		env: Env{DataDir: t.TempDir(), Actor: "tester@host"}}
	kit.CreateTopic("orders", 3, nil)
	w.produce(100)
	w.deleteBelow("orders", 2, 40)
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: []string{kit.Addr}, Timeout: 10 * time.Second})
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
	w.kit.Produce(recs...)
}

func (w *world) deleteBelow(topic string, p int32, at int64) {
	w.t.Helper()
	w.kit.DeleteBelow(topic, p, at)
}

func (w *world) commit(group string, at map[int32]int64) {
	w.t.Helper()
	w.kit.Commit(group, "orders", at)
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
// partition, commits, and stays a member. The caller closes it.
func (w *world) consume(group string, opts ...kgo.Opt) *kgo.Client {
	w.t.Helper()
	return w.kit.JoinAndCommit(group, "orders", w.kit.Ends("orders"), append([]kgo.Opt{kgo.ClientID("test-" + group)}, opts...)...)
}

// waitMembers waits until the backend sees group with n members (joins
// and leaves settle asynchronously).
func (w *world) waitMembers(group string, n int) {
	w.t.Helper()
	testkit.WaitFor(w.t, fmt.Sprintf("group %s with %d members", group, n), func() (bool, string) {
		st, m, _, err := w.c.GroupState(context.Background(), group)
		return err == nil && m == n, fmt.Sprintf("%d members, state %s, err %v", m, st, err)
	})
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

func noGoroutineLeak(t *testing.T) { testkit.NoGoroutineLeak(t) }
