package backend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// testCluster starts an in-process kfake broker (real Kafka protocol over
// TCP) and connects a Cluster to it.
func testCluster(t testing.TB) (*kfake.Cluster, *Cluster) {
	t.Helper()
	b := testkit.NewBroker(t)
	c, err := Connect(context.Background(), Options{Brokers: b.Addrs(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return b.Kf, c
}

// produceN writes n records to partition p of topic with timestamps base+i
// seconds, keys "k<i>", values "v<i>" and one header h=x.
func produceN(t testing.TB, c *Cluster, topic string, p int32, n int, base time.Time) {
	t.Helper()
	recs := testkit.Seq(topic, p, 0, n, base, time.Second)
	for _, r := range recs {
		r.Headers = []kgo.RecordHeader{{Key: "h", Value: []byte("x")}}
	}
	testkit.ProduceTo(t, c.Brokers(), recs...)
}

func createTopic(t testing.TB, c *Cluster, topic string, parts int32, cfg map[string]*string) {
	t.Helper()
	resp, err := c.adm.CreateTopic(context.Background(), parts, 1, cfg, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
}

func TestConnectUnreachable(t *testing.T) {
	start := time.Now()
	_, err := Connect(context.Background(), Options{Brokers: []string{"127.0.0.1:1"}, Timeout: time.Second})
	if err == nil {
		t.Fatal("want error for dead broker")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error should name the broker on one line: %q", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("connect to a dead broker took %v; must give up in seconds", d)
	}
	if _, err := Connect(context.Background(), Options{Brokers: []string{"nocolon"}}); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("bad address: %v", err)
	}
}

func TestTopicsAndPartitions(t *testing.T) {
	_, c := testCluster(t)
	compact := "compact"
	ret := "3600000"
	createTopic(t, c, "events", 3, map[string]*string{"retention.ms": &ret})
	createTopic(t, c, "table", 1, map[string]*string{"cleanup.policy": &compact})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	produceN(t, c, "events", 0, 10, base)
	produceN(t, c, "events", 2, 5, base)

	ts, err := c.Topics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Topic{}
	for _, tp := range ts {
		by[tp.Name] = tp
	}
	ev, ok := by["events"]
	if !ok {
		t.Fatalf("events missing in %+v", ts)
	}
	if ev.Partitions != 3 || ev.Records != 15 || ev.RetentionMs != 3600000 || ev.CleanupPolicy != "delete" || ev.ReplicationFactor != 1 {
		t.Fatalf("events = %+v", ev)
	}
	if by["table"].CleanupPolicy != "compact" {
		t.Fatalf("table = %+v", by["table"])
	}

	ps, err := c.Partitions(context.Background(), "events")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].HighWatermark != 10 || ps[1].HighWatermark != 0 || ps[2].Records != 5 {
		t.Fatalf("partitions = %+v", ps)
	}
	if !ps[0].NewestTime.Equal(base.Add(9*time.Second)) || !ps[1].NewestTime.IsZero() {
		t.Fatalf("newest times = %v %v", ps[0].NewestTime, ps[1].NewestTime)
	}
	if len(ps[0].Replicas) != 1 || len(ps[0].ISR) != 1 || ps[0].Leader != ps[0].Replicas[0] {
		t.Fatalf("replicas = %+v", ps[0])
	}
	if _, err := c.Partitions(context.Background(), "nope"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
}

func TestFetchWindows(t *testing.T) {
	_, c := testCluster(t)
	createTopic(t, c, "t", 1, nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	produceN(t, c, "t", 0, 1000, base)
	ctx := context.Background()

	recs, err := c.Fetch(ctx, "t", 0, 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 50 || recs[0].Offset != 100 || recs[49].Offset != 149 {
		t.Fatalf("fetch window: n=%d first=%v", len(recs), recs)
	}
	if string(recs[0].Value) != "v100" || string(recs[0].Key) != "k100" || len(recs[0].Headers) != 1 || !recs[0].Timestamp.Equal(base.Add(100*time.Second)) {
		t.Fatalf("record = %+v", recs[0])
	}
	// Near the end: fewer records, no error.
	recs, err = c.Fetch(ctx, "t", 0, 990, 50)
	if err != nil || len(recs) != 10 || recs[9].Offset != 999 {
		t.Fatalf("tail window: %d %v", len(recs), err)
	}
	// At the high watermark: nothing.
	if recs, err = c.Fetch(ctx, "t", 0, 1000, 50); err != nil || len(recs) != 0 {
		t.Fatalf("at HW: %d %v", len(recs), err)
	}
	// Backwards.
	recs, err = c.FetchBefore(ctx, "t", 0, 500, 20)
	if err != nil || len(recs) != 20 || recs[0].Offset != 480 || recs[19].Offset != 499 {
		t.Fatalf("before: %d %v", len(recs), err)
	}
	recs, err = c.FetchBefore(ctx, "t", 0, 5, 20)
	if err != nil || len(recs) != 5 || recs[0].Offset != 0 {
		t.Fatalf("before near start: %d %v", len(recs), err)
	}

	// Below the log start: reads from the log start.
	if _, err := c.adm.DeleteRecords(ctx, kadm.Offsets{"t": {0: {Topic: "t", Partition: 0, At: 300}}}); err != nil {
		t.Fatal(err)
	}
	recs, err = c.Fetch(ctx, "t", 0, 10, 5)
	if err != nil || len(recs) != 5 || recs[0].Offset != 300 {
		t.Fatalf("below log start: %v %v", recs, err)
	}
	recs, err = c.FetchBefore(ctx, "t", 0, 310, 20)
	if err != nil || len(recs) != 10 || recs[0].Offset != 300 {
		t.Fatalf("before near trimmed start: %d %v", len(recs), err)
	}

	// Seek by time.
	offs, err := c.OffsetsForTime(ctx, "t", base.Add(700*time.Second))
	if err != nil || offs[0] != 700 {
		t.Fatalf("offset for time: %v %v", offs, err)
	}
	offs, err = c.OffsetsForTime(ctx, "t", time.Now().Add(time.Hour))
	if err != nil || offs[0] != 1000 {
		t.Fatalf("offset for future time should be HW: %v %v", offs, err)
	}
	wm, err := c.Watermarks(ctx, "t")
	if err != nil || wm[0] != [2]int64{300, 1000} {
		t.Fatalf("watermarks %v %v", wm, err)
	}
	if _, err := c.Watermarks(ctx, "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("missing watermarks: %v", err)
	}
}

func TestLargeRecordFetch(t *testing.T) {
	_, c := testCluster(t)
	createTopic(t, c, "big", 1, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ProducerBatchMaxBytes(16<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	big := make([]byte, 3<<20)
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "big", Value: big}, &kgo.Record{Topic: "big", Value: []byte("small")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background(), "big", 0, 0, 10)
	if err != nil || len(recs) != 2 || len(recs[0].Value) != 3<<20 {
		t.Fatalf("big fetch: %d %v", len(recs), err)
	}
}

func TestStreamTail(t *testing.T) {
	_, c := testCluster(t)
	createTopic(t, c, "live", 2, nil)
	produceN(t, c, "live", 0, 3, time.Now())
	s, err := c.Stream("live", map[int32]int64{0: 3, 1: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		produceN(t, c, "live", 1, 4, time.Now())
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []Record
	for len(got) < 4 {
		recs, err := s.Poll(ctx, 100)
		if err != nil {
			t.Fatalf("poll: %v (got %d)", err, len(got))
		}
		got = append(got, recs...)
	}
	for _, r := range got {
		if r.Partition != 1 {
			t.Fatalf("tail from offset 3 of p0 must not replay old records: %+v", r)
		}
	}
}

func TestCheckWriteReadOnly(t *testing.T) {
	c := &Cluster{opts: Options{ReadOnly: true}}
	if err := c.CheckWrite(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only must refuse writes: %v", err)
	}
}

func TestReadOnlyRefusesCreateTopic(t *testing.T) {
	kc, _ := testCluster(t)
	ro, err := Connect(context.Background(), Options{Brokers: kc.ListenAddrs(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.CreateTopic(context.Background(), "x", 1, nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only create: %v", err)
	}
	if ts, _ := ro.Topics(context.Background()); len(ts) != 0 {
		t.Fatalf("a topic was created in read-only mode: %+v", ts)
	}
}

// A batch larger than the per-partition byte limit comes back only for the
// first partition of a fetch response (KIP-74); the newest-record column
// must still fill in for the others.
func TestNewestTimeWithLargeBatches(t *testing.T) {
	_, c := testCluster(t)
	createTopic(t, c, "wide", 3, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(8<<20), kgo.ProducerLinger(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		for i := 0; i < 300; i++ { // ~300 KB per partition, one batch each
			recs = append(recs, &kgo.Record{Topic: "wide", Partition: p, Value: make([]byte, 1000)})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	ps, err := c.Partitions(context.Background(), "wide")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.NewestTime.IsZero() || p.HighWatermark != 300 {
			t.Fatalf("partition %d: newest=%v hw=%d", p.ID, p.NewestTime, p.HighWatermark)
		}
	}
}
