package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
)

// base is the first record's timestamp; record i of a partition is i
// seconds later.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newCluster(t *testing.T, iso backend.Isolation) (*testkit.Broker, *backend.Cluster) {
	t.Helper()
	b := testkit.NewBroker(t)
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: b.Addrs(), Timeout: 5 * time.Second, Isolation: iso})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return b, c
}

// order is the JSON value of the orders test topic.
type order struct {
	OrderID  string  `json:"order_id"`
	Customer string  `json:"customer_id"`
	Amount   float64 `json:"amount"`
	Status   string  `json:"status"`
}

// ordersTopic writes n orders per partition over parts partitions:
// customer c-(i%50), amount i%300, status cancelled every 7th, a header
// "source" on every 3rd ("web" or "app"), timestamps base + i s.
func ordersTopic(t *testing.T, b *testkit.Broker, topic string, parts int32, n int) []*kgo.Record {
	t.Helper()
	b.CreateTopic(topic, parts, nil)
	var recs []*kgo.Record
	for p := range parts {
		for i := range n {
			o := order{OrderID: fmt.Sprintf("o-%d-%d", p, i), Customer: fmt.Sprintf("c-%04d", i%50), Amount: float64(i % 300), Status: "paid"}
			if i%7 == 0 {
				o.Status = "cancelled"
			}
			v, _ := json.Marshal(o)
			r := &kgo.Record{Topic: topic, Partition: p, Key: []byte(o.OrderID), Value: v, Timestamp: base.Add(time.Duration(i) * time.Second)}
			if i%3 == 0 {
				r.Headers = []kgo.RecordHeader{{Key: "source", Value: []byte([]string{"web", "app"}[i%2])}}
			}
			recs = append(recs, r)
		}
	}
	b.Produce(recs...)
	return recs
}

type found struct {
	P   int32
	Off int64
}

func (f found) String() string { return fmt.Sprintf("%d/%d", f.P, f.Off) }

func run(t *testing.T, c *backend.Cluster, s Spec) ([]found, Progress) {
	t.Helper()
	got, prog, err := runErr(c, s)
	if err != nil {
		t.Fatalf("scan %s: %v", s.Query, err)
	}
	return got, prog
}

func runErr(c *backend.Cluster, s Spec) ([]found, Progress, error) {
	var got []found
	prog, err := Run(context.Background(), c, s, func(m Match) error {
		got = append(got, found{m.Partition, m.Offset})
		return nil
	})
	return got, prog, err
}

// want filters recs with keep, in the order a forward scan delivers them
// per partition.
func want(recs []*kgo.Record, keep func(*kgo.Record, order) bool) []found {
	var out []found
	for _, r := range recs {
		var o order
		_ = json.Unmarshal(r.Value, &o)
		if keep(r, o) {
			out = append(out, found{r.Partition, r.Offset}) // set by the produce
		}
	}
	return sorted(out)
}

// sorted orders found records by partition, then offset: a scan
// interleaves partitions, but each one's matches come in offset order.
func sorted(f []found) []found {
	out := slices.Clone(f)
	slices.SortStableFunc(out, func(a, b found) int {
		if a.P != b.P {
			return int(a.P - b.P)
		}
		return int(a.Off - b.Off)
	})
	return out
}

func inPartitionOrder(t *testing.T, f []found, desc bool) {
	t.Helper()
	last := map[int32]int64{}
	for _, x := range f {
		if l, ok := last[x.P]; ok && ((!desc && x.Off <= l) || (desc && x.Off >= l)) {
			t.Fatalf("partition %d out of order: %d after %d", x.P, x.Off, l)
		}
		last[x.P] = x.Off
	}
}

func header(r *kgo.Record, name string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == name {
			return string(h.Value), true
		}
	}
	return "", false
}

func TestPredicateKinds(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	recs := ordersTopic(t, b, "orders", 3, 400)
	cases := []struct {
		name string
		q    Query
		keep func(*kgo.Record, order) bool
	}{
		{"value field", Query{Expr: `value.customer_id == "c-0042"`}, func(_ *kgo.Record, o order) bool { return o.Customer == "c-0042" }},
		{"value number and string", Query{Expr: `value.amount > 250 && value.status != "cancelled"`}, func(_ *kgo.Record, o order) bool { return o.Amount > 250 && o.Status != "cancelled" }},
		{"key expression", Query{Expr: `key startsWith "o-1-1"`}, func(r *kgo.Record, _ order) bool { return strings.HasPrefix(string(r.Key), "o-1-1") }},
		{"headers expression", Query{Expr: `headers["source"] == "app"`}, func(r *kgo.Record, _ order) bool { v, _ := header(r, "source"); return v == "app" }},
		{"partition and offset", Query{Expr: `partition == 2 && offset >= 390`}, func(r *kgo.Record, _ order) bool { return r.Partition == 2 && r.Offset >= 390 }},
		{"timestamp", Query{Expr: fmt.Sprintf(`timestamp < %d`, base.Add(5*time.Second).UnixMilli())}, func(r *kgo.Record, _ order) bool { return r.Timestamp.Before(base.Add(5 * time.Second)) }},
		{"contains in value", Query{Contains: []byte(`"c-0007"`)}, func(_ *kgo.Record, o order) bool { return o.Customer == "c-0007" }},
		{"contains in key", Query{Contains: []byte("o-2-39")}, func(r *kgo.Record, _ order) bool { return strings.Contains(string(r.Key), "o-2-39") }},
		{"contains in header", Query{Contains: []byte("web")}, func(r *kgo.Record, _ order) bool { v, _ := header(r, "source"); return v == "web" }},
		{"header present", Query{Headers: []HeaderCond{{Name: "source"}}}, func(r *kgo.Record, _ order) bool { _, ok := header(r, "source"); return ok }},
		{"header value", Query{Headers: []HeaderCond{{Name: "source", Value: []byte("web"), HasValue: true}}}, func(r *kgo.Record, _ order) bool { v, _ := header(r, "source"); return v == "web" }},
		{"all at once", Query{Expr: `value.amount >= 100`, Contains: []byte("c-00"), Headers: []HeaderCond{{Name: "source"}}},
			func(r *kgo.Record, o order) bool {
				_, ok := header(r, "source")
				return ok && o.Amount >= 100 && strings.Contains(o.Customer, "c-00")
			}},
		{"every record", Query{}, func(*kgo.Record, order) bool { return true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, prog := run(t, c, Spec{Topic: "orders", Query: tc.q})
			inPartitionOrder(t, got, false)
			exp := want(recs, tc.keep)
			if len(exp) == 0 {
				t.Fatal("test data has no match: the case proves nothing")
			}
			if !slices.Equal(sorted(got), exp) {
				t.Fatalf("got %d matches %v..., want %d %v...", len(got), head(sorted(got)), len(exp), head(exp))
			}
			if prog.Scanned != 1200 || prog.Done != 1200 || prog.Total != 1200 || prog.Matched != int64(len(exp)) || !prog.Finished {
				t.Fatalf("progress %+v", prog)
			}
			if prog.Failed != 0 || prog.Unreadable != 0 {
				t.Fatalf("unexpected errors: %+v", prog)
			}
		})
	}
}

func head(f []found) []found { return f[:min(len(f), 5)] }

func TestKeyShorthandScansTheKeysPartition(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	b.CreateTopic("keyed", 6, nil)
	// The default partitioner, as an application's producer would.
	cl := b.NewClient(kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	defer cl.Close()
	var recs []*kgo.Record
	for i := range 600 {
		recs = append(recs, &kgo.Record{Topic: "keyed", Key: []byte(fmt.Sprintf("c-%d", i%60)), Value: []byte(fmt.Sprintf(`{"i":%d}`, i))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	wantP := recs[17].Partition // c-17, placed by the client
	if got := KeyPartition([]byte("c-17"), 6); got != wantP {
		t.Fatalf("KeyPartition(c-17, 6) = %d, the producer put it in %d", got, wantP)
	}
	got, prog := run(t, c, Spec{Topic: "keyed", Query: Query{Key: []byte("c-17"), HasKey: true}})
	if len(got) != 10 || prog.Partitions != 1 {
		t.Fatalf("got %d matches over %d partitions, want 10 in one: %+v", len(got), prog.Partitions, prog)
	}
	for _, f := range got {
		if f.P != wantP {
			t.Fatalf("match in partition %d, want %d", f.P, wantP)
		}
	}
	// The partition alone, not the topic, was read.
	ends := b.Ends("keyed")
	if prog.Total != ends[wantP] {
		t.Fatalf("scanned %d offsets, the key's partition has %d", prog.Total, ends[wantP])
	}
	all, prog := run(t, c, Spec{Topic: "keyed", Query: Query{Key: []byte("c-17"), HasKey: true}, AllPartitions: true})
	if len(all) != 10 || prog.Partitions != 6 || prog.Total != 600 {
		t.Fatalf("--all-partitions: %d matches, %+v", len(all), prog)
	}
}

// Kafka's own murmur2 test vectors (clients' UtilsTest.testMurmur2), and
// the Java DefaultPartitioner's placement: toPositive(murmur2(key)) % n.
func TestKeyPartitionMatchesJavaPartitioner(t *testing.T) {
	vectors := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for key, h := range vectors {
		pos := int64(h) & 0x7fffffff
		for _, n := range []int{1, 2, 3, 6, 7, 12, 50, 100, 1 << 30, 1<<31 - 1} {
			if got, want := KeyPartition([]byte(key), n), int32(pos%int64(n)); got != want {
				t.Errorf("KeyPartition(%q, %d) = %d, Java puts it in %d", key, n, got, want)
			}
		}
	}
}

func TestRangesByOffsetAndTime(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	recs := ordersTopic(t, b, "orders", 2, 100)
	every := Query{}
	between := func(lo, hi int64) func(*kgo.Record, order) bool {
		return func(r *kgo.Record, _ order) bool { return r.Offset >= lo && r.Offset < hi }
	}
	cases := []struct {
		name     string
		from     string
		to       string
		keep     func(*kgo.Record, order) bool
		wantDone int64
	}{
		{"offsets", "10", "20", between(10, 20), 20},
		{"from the end", "-5", "", between(95, 100), 10},
		{"earliest to latest", "earliest", "latest", between(0, 100), 200},
		{"times", base.Add(30 * time.Second).Format(time.RFC3339), base.Add(40 * time.Second).Format(time.RFC3339), between(30, 40), 20},
		{"to before from", "50", "10", between(0, 0), 0},
		{"to past the end", "98", "1000", between(98, 100), 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, err := backend.ParseStart(tc.from, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			s := Spec{Topic: "orders", Query: every, From: from}
			if tc.to != "" {
				to, err := backend.ParseStart(tc.to, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				s.To = &to
			}
			got, prog := run(t, c, s)
			exp := want(recs, tc.keep)
			if !slices.Equal(sorted(got), exp) || prog.Done != tc.wantDone || prog.Total != tc.wantDone {
				t.Fatalf("got %v (%d) done %d/%d, want %v (%d) done %d", head(sorted(got)), len(got), prog.Done, prog.Total, head(exp), len(exp), tc.wantDone)
			}
		})
	}
	// A relative time: everything is older than an hour ago in this topic
	// (timestamps are in 2026-03), so "-1h" to the end finds nothing, and
	// a partition picked alone is the only one read.
	from, _ := backend.ParseStart("-1h", time.Now())
	if got, _ := run(t, c, Spec{Topic: "orders", From: from}); len(got) != 0 && time.Now().After(base.Add(2*time.Hour)) {
		t.Fatalf("-1h: %d records", len(got))
	}
	got, prog := run(t, c, Spec{Topic: "orders", Partitions: []int32{1}, Query: Query{Expr: "offset < 3"}})
	if !slices.Equal(got, []found{{1, 0}, {1, 1}, {1, 2}}) || prog.Total != 100 {
		t.Fatalf("partition 1: %v %+v", got, prog)
	}
}

func TestLimitStopsEarly(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	ordersTopic(t, b, "orders", 3, 2000)
	got, prog := run(t, c, Spec{Topic: "orders", Query: Query{Expr: `value.status == "cancelled"`}, Limit: 5})
	if len(got) != 5 || prog.Matched != 5 || !prog.Limited {
		t.Fatalf("limit 5: %d matches, %+v", len(got), prog)
	}
	if prog.Done >= prog.Total || prog.Scanned >= 6000 {
		t.Fatalf("limit reached but the whole topic was read: %+v", prog)
	}
	if prog.Scanned < 5 || prog.Done < prog.Scanned {
		t.Fatalf("inconsistent progress: %+v", prog)
	}
}

func TestCancelEndsTheScanAndItsGoroutines(t *testing.T) {
	testkit.NoGoroutineLeak(t)
	b, c := newCluster(t, backend.ReadCommitted)
	ordersTopic(t, b, "orders", 3, 500)
	// Fetches are held until the scan is cancelled: it cannot finish.
	stall := b.StallFetches("orders")
	defer stall.Release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, c, Spec{Topic: "orders", Query: Query{Expr: `value.amount > 1`}, Workers: 4}, func(Match) error { return nil })
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := stall.WaitHeld(wctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	err := <-done
	var inc *backend.IncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled bounded scan: %v, want an IncompleteError from the cancel", err)
	}
}

func TestBigRecordAndBinaryValues(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	b.CreateTopic("mixed", 1, map[string]string{"max.message.bytes": "20000000"})
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	copy(big[5<<20:], `NEEDLE`)
	bin := []byte{0x00, 0xff, 0xfe, 0x1b, '[', '2', 'J', 0x80}
	cl := b.NewClient(kgo.ProducerBatchMaxBytes(16 << 20))
	defer cl.Close()
	produce := func(recs ...*kgo.Record) {
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(
		&kgo.Record{Topic: "mixed", Key: []byte("k0"), Value: []byte(`{"n":1}`)},
		&kgo.Record{Topic: "mixed", Key: []byte("big"), Value: big},
		&kgo.Record{Topic: "mixed", Key: []byte("bin"), Value: bin},
		&kgo.Record{Topic: "mixed", Key: []byte("k3"), Value: []byte(`{"n":3}`)},
		&kgo.Record{Topic: "mixed", Key: []byte("tomb"), Value: nil},
	)
	got, prog := run(t, c, Spec{Topic: "mixed", Query: Query{Expr: `value.n >= 1`}})
	if !slices.Equal(got, []found{{0, 0}, {0, 3}}) || prog.Scanned != 5 {
		t.Fatalf("value.n >= 1: %v %+v", got, prog)
	}
	// The big text value and the binary one cannot be read as JSON: counted,
	// neither matched nor errors; the tombstone has no fields.
	if prog.Unreadable != 2 || prog.Failed != 0 {
		t.Fatalf("unreadable %d failed %d, want 2 and 0", prog.Unreadable, prog.Failed)
	}
	if got, _ := run(t, c, Spec{Topic: "mixed", Query: Query{Contains: []byte("NEEDLE")}}); !slices.Equal(got, []found{{0, 1}}) {
		t.Fatalf("contains in the 10 MB value: %v", got)
	}
	if got, _ := run(t, c, Spec{Topic: "mixed", Query: Query{Contains: []byte{0xff, 0xfe}}}); !slices.Equal(got, []found{{0, 2}}) {
		t.Fatalf("binary bytes: %v", got)
	}
	if got, _ := run(t, c, Spec{Topic: "mixed", Query: Query{Expr: `value == nil`}}); !slices.Equal(got, []found{{0, 4}}) {
		t.Fatalf("tombstones: %v", got)
	}
	// Backward, through the big record, with previews cut.
	var sizes []int
	var vals []int
	_, err := Run(context.Background(), c, Spec{Topic: "mixed", From: backend.Start{Kind: backend.StartLatest}, Backward: true, Preview: 64},
		func(m Match) error {
			sizes = append(sizes, m.ValueSize)
			vals = append(vals, len(m.Value))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []int{0, 7, len(bin), 10 << 20, 7}) || slices.Max(vals) > 64 {
		t.Fatalf("backward sizes %v, kept %v", sizes, vals)
	}
}

func TestRuntimeErrorsAreCountedAndTheScanGoesOn(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	b.CreateTopic("events", 2, nil)
	var recs []*kgo.Record
	for i := range 300 {
		v := fmt.Sprintf(`{"amount":%d}`, i)
		if i%10 == 3 {
			v = fmt.Sprintf(`{"amount":"%d EUR"}`, i) // a string: > fails
		}
		recs = append(recs, &kgo.Record{Topic: "events", Partition: int32(i % 2), Value: []byte(v)})
	}
	b.Produce(recs...)
	got, prog := run(t, c, Spec{Topic: "events", Query: Query{Expr: `value.amount > 250`}})
	// 251..299 minus the string ones (253, 263, ..., 293).
	if len(got) != 49-5 || prog.Failed != 30 || prog.Scanned != 300 {
		t.Fatalf("got %d matches, %d failed of %d scanned; want 44, 30, 300", len(got), prog.Failed, prog.Scanned)
	}
	fe := prog.FirstError
	if fe == nil || fe.Partition != 1 || fe.Offset != 1 || !strings.Contains(fe.Error(), "string > int") {
		t.Fatalf("first error %v, want p1 offset 1 (record 3): string > int", fe)
	}
}

func TestBackwardNewestFirstAndComplete(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	recs := ordersTopic(t, b, "orders", 2, 6000)
	q := Query{Expr: `value.amount >= 0`} // every record: chunks overflow the held matches
	var got []found
	prog, err := Run(context.Background(), c, Spec{Topic: "orders", Query: q, From: backend.Start{Kind: backend.StartLatest}, Backward: true},
		func(m Match) error {
			got = append(got, found{m.Partition, m.Offset})
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	inPartitionOrder(t, got, true)
	exp := want(recs, func(*kgo.Record, order) bool { return true })
	if !slices.Equal(sorted(got), exp) {
		t.Fatalf("backward: %d matches, want %d", len(got), len(exp))
	}
	if prog.Scanned != 12000 || prog.Done != 12000 || prog.Total != 12000 || prog.Matched != 12000 {
		t.Fatalf("progress %+v", prog)
	}
	// From an offset, with a limit: the newest matches before it.
	got = got[:0]
	_, err = Run(context.Background(), c, Spec{Topic: "orders", Partitions: []int32{0}, Query: Query{Expr: `value.status == "cancelled"`},
		From: backend.Start{Kind: backend.StartOffset, Offset: 100}, Backward: true, Limit: 3}, func(m Match) error {
		got = append(got, found{m.Partition, m.Offset})
		return nil
	})
	if err != nil || !slices.Equal(got, []found{{0, 98}, {0, 91}, {0, 84}}) {
		t.Fatalf("backward from 100, limit 3: %v %v", got, err)
	}
}

func TestWorkersAgree(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	ordersTopic(t, b, "orders", 3, 3000)
	q := Query{Expr: `value.amount > 290 || value.customer_id == "c-0001"`}
	one, p1 := run(t, c, Spec{Topic: "orders", Query: q, Workers: 1})
	four, p4 := run(t, c, Spec{Topic: "orders", Query: q, Workers: 4})
	if len(one) == 0 || !slices.Equal(sorted(one), sorted(four)) || p1.Matched != p4.Matched {
		t.Fatalf("1 worker: %d matches, 4 workers: %d", len(one), len(four))
	}
	inPartitionOrder(t, four, false)
}

func TestTransactionsUnderBothIsolations(t *testing.T) {
	b, committed := newCluster(t, backend.ReadCommitted)
	b.CreateTopic("tx", 1, nil)
	rec := func(v string) *kgo.Record { return &kgo.Record{Topic: "tx", Value: []byte(`{"v":"` + v + `"}`)} }
	b.CommittedTxn("t1", rec("ok-1"), rec("ok-2"))
	b.AbortedTxn("t2", rec("aborted"))
	b.Produce(rec("plain"))
	q := Query{Expr: `value.v != ""`}
	got, prog := run(t, committed, Spec{Topic: "tx", Query: q})
	if len(got) != 3 || prog.Scanned != 3 || prog.Done != prog.Total {
		t.Fatalf("read-committed: %v %+v", got, prog)
	}
	unc, err := backend.Connect(context.Background(), backend.Options{Brokers: b.Addrs(), Timeout: 5 * time.Second, Isolation: backend.ReadUncommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer unc.Close()
	states := map[string]backend.TxnState{}
	_, err = Run(context.Background(), unc, Spec{Topic: "tx", Query: q}, func(m Match) error {
		states[string(m.Value)] = m.Txn
		return nil
	})
	if err != nil || len(states) != 4 || states[`{"v":"aborted"}`] != backend.TxnAborted || states[`{"v":"ok-1"}`] != backend.TxnCommitted {
		t.Fatalf("read-uncommitted: %v %v", states, err)
	}
}

func TestFollowFindsNewRecords(t *testing.T) {
	b, c := newCluster(t, backend.ReadCommitted)
	ordersTopic(t, b, "orders", 2, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	matches := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, c, Spec{Topic: "orders", From: backend.Start{Kind: backend.StartLatest}, Follow: true,
			Query: Query{Contains: []byte("late")}}, func(m Match) error {
			matches <- string(m.Key)
			return nil
		})
		done <- err
	}()
	testkit.Eventually(t, "a late record is found", func() bool {
		b.Produce(&kgo.Record{Topic: "orders", Partition: 1, Key: []byte("late"), Value: []byte(`{}`)})
		select {
		case k := <-matches:
			return k == "late"
		case <-time.After(2 * time.Second):
			return false
		}
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("a followed scan ended by its context: %v", err)
	}
}

func TestBadQueries(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{`value.amount >`, "column"},
		{`1 + 1`, "bool"},
		{`nosuch == 1`, "nosuch"},
	} {
		if _, err := Compile(Query{Expr: tc.q}, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q): %v, want an error mentioning %q", tc.q, err, tc.want)
		}
	}
	if _, err := ParseHeader("=x"); err == nil {
		t.Error("ParseHeader(=x) accepted a header without a name")
	}
	for in, want := range map[string]Query{
		`"c-0042"`:                   {Contains: []byte("c-0042")},
		`'say "hi"'`:                 {Contains: []byte(`say "hi"`)},
		`value.customer_id == "c-1"`: {Expr: `value.customer_id == "c-1"`},
	} {
		got, err := ParsePrompt(in)
		if err != nil || got.Expr != want.Expr || string(got.Contains) != string(want.Contains) {
			t.Errorf("ParsePrompt(%s) = %+v, %v", in, got, err)
		}
	}
	if _, err := ParsePrompt(`value.x ==`); err == nil {
		t.Error("ParsePrompt accepted a broken expression")
	}
}
