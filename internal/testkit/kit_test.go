package testkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func readAll(t *testing.T, b *Broker, topic string, iso kgo.IsolationLevel) map[int32][]string {
	t.Helper()
	ends := b.Ends(topic)
	if iso == kgo.ReadCommitted() {
		ends = b.StableEnds(topic)
	}
	offs := map[int32]kgo.Offset{}
	for p := range ends {
		offs[p] = kgo.NewOffset().AtStart()
	}
	// Control records (transaction markers) are kept: they move the
	// position without being data.
	cl := b.NewClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}), kgo.FetchIsolationLevel(iso),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.KeepControlRecords())
	got := map[int32][]string{}
	pos := map[int32]int64{}
	done := func() bool {
		for p, e := range ends {
			if pos[p] < e {
				return false
			}
		}
		return true
	}
	c, cancel := ctx()
	defer cancel()
	for !done() {
		fs := cl.PollFetches(c)
		if c.Err() != nil {
			t.Fatalf("read %s stuck at %v of %v", topic, pos, ends)
		}
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			for _, r := range fp.Records {
				if !r.Attrs.IsControl() {
					got[r.Partition] = append(got[r.Partition], string(r.Value))
				}
			}
			if n := len(fp.Records); n > 0 {
				pos[fp.Partition] = max(pos[fp.Partition], fp.Records[n-1].Offset+1)
			}
		})
	}
	return got
}

func TestTransactions(t *testing.T) {
	b := NewBroker(t)
	b.CreateTopic("tx", 2, nil)
	b.Produce(Seq("tx", 0, 0, 2, time.Now(), time.Millisecond)...)
	b.CommittedTxn("t1", Seq("tx", 0, 2, 2, time.Now(), time.Millisecond)...)
	b.AbortedTxn("t2", Seq("tx", 0, 4, 2, time.Now(), time.Millisecond)...)
	b.CommittedTxn("t3", Seq("tx", 1, 0, 1, time.Now(), time.Millisecond)...)
	open := b.OpenTxn("t4", Seq("tx", 1, 1, 3, time.Now(), time.Millisecond)...)

	if e, s := b.Ends("tx"), b.StableEnds("tx"); s[1] >= e[1] || s[0] != e[0] {
		t.Fatalf("open txn must hold the LSO of partition 1 back: ends %v stable %v", e, s)
	}
	got := readAll(t, b, "tx", kgo.ReadCommitted())
	if want := []string{"v0", "v1", "v2", "v3"}; !equal(got[0], want) {
		t.Fatalf("read-committed p0: %v want %v", got[0], want)
	}
	if want := []string{"v0"}; !equal(got[1], want) {
		t.Fatalf("read-committed p1: %v want %v", got[1], want)
	}
	all := readAll(t, b, "tx", kgo.ReadUncommitted())
	if len(all[0]) != 6 || len(all[1]) != 4 {
		t.Fatalf("read-uncommitted sees everything: %v", all)
	}
	open.Commit()
	if e, s := b.Ends("tx"), b.StableEnds("tx"); s[1] != e[1] {
		t.Fatalf("after commit LSO = HWM: ends %v stable %v", e, s)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStallHoldsUntilRelease(t *testing.T) {
	b := NewBroker(t)
	b.CreateTopic("s", 1, nil)
	b.ProduceSeq("s", 1, 3, time.Now())
	st := b.StallFetches("s")
	cl := b.NewClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"s": {0: kgo.NewOffset().AtStart()}}))
	got := make(chan int, 1)
	go func() {
		fs := cl.PollFetches(context.Background())
		got <- fs.NumRecords()
	}()
	c, cancel := ctx()
	defer cancel()
	if err := st.WaitHeld(c, 1); err != nil {
		t.Fatalf("no fetch was held: %v", err)
	}
	select {
	case n := <-got:
		t.Fatalf("a held fetch answered (%d records) before release", n)
	default:
	}
	st.Release()
	if n := <-got; n != 3 {
		t.Fatalf("after release: %d records, want 3", n)
	}
	// Metadata was never stalled.
	if ends := b.Ends("s"); ends[0] != 3 {
		t.Fatalf("ends %v", ends)
	}
}

func TestDropAndFail(t *testing.T) {
	b := NewBroker(t)
	b.CreateTopic("d", 1, nil)
	dropped := b.Drop(kmsg.ListOffsets, 1, nil)
	// kadm retries after the dropped connection; the answer still comes.
	if ends := b.Ends("d"); ends[0] != 0 || dropped.Load() != 1 {
		t.Fatalf("ends %v dropped %d", ends, dropped.Load())
	}
	h := b.Fail(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "d", Err: kerr.PolicyViolation, Count: -1})
	c, cancel := ctx()
	defer cancel()
	err := b.Client.ProduceSync(c, &kgo.Record{Topic: "d", Value: []byte("x")}).FirstErr()
	if !errors.Is(err, kerr.PolicyViolation) || h.Hits() == 0 {
		t.Fatalf("fault: err %v hits %d", err, h.Hits())
	}
	h.Remove()
	b.Produce(&kgo.Record{Topic: "d", Value: []byte("x")})
}

func TestJoinAndCommit(t *testing.T) {
	b := NewBroker(t)
	b.CreateTopic("j", 2, nil)
	b.ProduceSeq("j", 2, 10, time.Now())
	m := b.JoinAndCommit("g", "j", map[int32]int64{0: 4, 1: 10})
	if got := b.GroupOffsets("g", "j"); got[0] != 4 || got[1] != 10 {
		t.Fatalf("committed %v", got)
	}
	if n := b.Members("g"); n != 1 {
		t.Fatalf("members %d", n)
	}
	m.Close()
	b.WaitMembers("g", 0)

	b.JoinAndCommit("g848", "j", map[int32]int64{0: 1}, kgo.GroupProtocol("consumer"))
	if n := b.Members("g848"); n != 1 {
		t.Fatalf("KIP-848 members %d", n)
	}
}
