package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/internal/testkit"
)

func kitCluster(t *testing.T, o Options, kopts ...kfake.Opt) (*testkit.Broker, *Cluster) {
	t.Helper()
	b := testkit.NewBroker(t, kopts...)
	o.Brokers = b.Addrs()
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	o.readPartBytes = 1 << 10 // many small fetches: faults land mid-read
	c, err := Connect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return b, c
}

type consumed struct {
	mu     sync.Mutex
	values map[int32][]string
	states map[string]TxnState
	n      int
}

func consumeAll(ctx context.Context, c *Cluster, o ConsumeOptions) (*consumed, error) {
	got := &consumed{values: map[int32][]string{}, states: map[string]TxnState{}}
	err := c.Consume(ctx, o, func(r *kgo.Record, st TxnState) error {
		got.mu.Lock()
		defer got.mu.Unlock()
		got.values[r.Partition] = append(got.values[r.Partition], string(r.Value))
		got.states[string(r.Value)] = st
		got.n++
		return nil
	})
	return got, err
}

func (c *consumed) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// A broker that stops answering mid-read is reported and retried; when it
// comes back the read completes with every record. Today's code returned
// nil with a fifth of the records after three idle polls.
func TestConsumeStallRecovers(t *testing.T) {
	b, c := kitCluster(t, Options{Timeout: time.Second, StallTimeout: time.Minute})
	b.CreateTopic("s", 3, nil)
	for p := range int32(3) {
		for i := 0; i < 2000; i += 100 {
			b.Produce(testkit.Seq("s", p, i, 100, time.Now(), time.Millisecond)...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*testkit.WaitTimeout)
	defer cancel()
	var stall *testkit.Stall
	var healths []Health
	var hmu sync.Mutex
	var got int
	errc := make(chan error, 1)
	go func() {
		errc <- c.Consume(ctx, ConsumeOptions{Topic: "s", UntilEnd: true,
			OnHealth: func(h Health) { hmu.Lock(); healths = append(healths, h); hmu.Unlock() }},
			func(r *kgo.Record, _ TxnState) error {
				if got++; got == 100 {
					// Freeze the broker's fetches after the first records.
					stall = b.StallFetches("s")
				}
				return nil
			})
	}()
	testkit.WaitFor(t, "the stall to be reported", func() (bool, string) {
		hmu.Lock()
		defer hmu.Unlock()
		return len(healths) > 0 && healths[len(healths)-1].Down, fmt.Sprint(healths)
	})
	hmu.Lock()
	msg := healths[0].String()
	hmu.Unlock()
	if !strings.Contains(msg, "broker "+b.Addr+" not answering for") || !strings.Contains(msg, "retrying") {
		t.Fatalf("health message %q", msg)
	}
	stall.Release()
	if err := <-errc; err != nil {
		t.Fatalf("read after recovery: %v", err)
	}
	if got != 6000 {
		t.Fatalf("read %d records, want 6000", got)
	}
	hmu.Lock()
	last := healths[len(healths)-1]
	hmu.Unlock()
	if last.Down || !strings.Contains(last.String(), "answering again") {
		t.Fatalf("recovery not reported: %v", healths)
	}
}

// A broker that stays down past the stall timeout fails the read, saying
// how far it got, instead of returning nil with partial output.
func TestConsumeStallGivesUp(t *testing.T) {
	b, c := kitCluster(t, Options{Timeout: 500 * time.Millisecond, StallTimeout: 3 * time.Second})
	b.CreateTopic("s", 2, nil)
	for p := range int32(2) {
		for i := 0; i < 1000; i += 100 {
			b.Produce(testkit.Seq("s", p, i, 100, time.Now(), time.Millisecond)...)
		}
	}
	n := 0
	err := c.Consume(context.Background(), ConsumeOptions{Topic: "s", UntilEnd: true}, func(r *kgo.Record, _ TxnState) error {
		if n++; n == 10 {
			b.StallFetches("s")
		}
		return nil
	})
	var inc *IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("want *IncompleteError, got %v (after %d records)", err, n)
	}
	msg := err.Error()
	for _, want := range []string{"consume s incomplete", "not answering for", "stall timeout 3s", fmt.Sprintf("read %d records", n), "of 2000 offsets", "stopped at s/"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if inc.Records != int64(n) || n >= 2000 {
		t.Fatalf("records %d, callback saw %d", inc.Records, n)
	}
}

// A broker that goes away (killed: connections refused) is named as not
// answering, even when a partition's own no-progress bound trips first;
// it used to say "though the broker answers".
func TestConsumeBrokerGoneNamesBroker(t *testing.T) {
	b, c := kitCluster(t, Options{Timeout: 500 * time.Millisecond, StallTimeout: 3 * time.Second})
	b.CreateTopic("s", 2, nil)
	for p := range int32(2) {
		b.Produce(testkit.Seq("s", p, 0, 500, time.Now(), time.Millisecond)...)
	}
	n := 0
	err := c.Consume(context.Background(), ConsumeOptions{Topic: "s", UntilEnd: true}, func(r *kgo.Record, _ TxnState) error {
		if n++; n == 10 {
			b.Kf.Close()
		}
		return nil
	})
	var inc *IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("want *IncompleteError, got %v (after %d records)", err, n)
	}
	msg := err.Error()
	if !strings.Contains(msg, "broker "+b.Addr+" not answering for") || strings.Contains(msg, "though the broker answers") {
		t.Fatalf("message: %s", msg)
	}
}

// Retention deleting records the read has not reached is an error naming
// them, never a silent skip.
func TestConsumeRecordsDeletedMidRead(t *testing.T) {
	b, c := kitCluster(t, Options{})
	b.CreateTopic("d", 1, nil)
	for i := 0; i < 3000; i += 100 { // many batches: the read needs many fetches
		b.Produce(testkit.Seq("d", 0, i, 100, time.Now(), time.Millisecond)...)
	}
	n := 0
	err := c.Consume(context.Background(), ConsumeOptions{Topic: "d", UntilEnd: true}, func(r *kgo.Record, _ TxnState) error {
		if n++; n == 1 {
			b.DeleteBelow("d", 0, 2990)
		}
		return nil
	})
	if !errors.Is(err, ErrRecordsDeleted) || !strings.Contains(err.Error(), "the log now starts at 2990") {
		t.Fatalf("want records-deleted error, got %v after %d records", err, n)
	}
}

// txnWorld writes, across two partitions, plain records, committed,
// aborted and open transactions, interleaved:
//
//	p0: a0 a1 | T1 c0 c1 commit | T2 x0 x1 abort | b0 | T3 o0 o1 (open)
//	p1: T1 c2 (commit) | T2 x2 (abort) | b1
func txnWorld(t *testing.T, b *testkit.Broker) *testkit.Txn {
	t.Helper()
	b.CreateTopic("tx", 2, nil)
	rec := func(p int32, v string) *kgo.Record { return &kgo.Record{Topic: "tx", Partition: p, Value: []byte(v)} }
	b.Produce(rec(0, "a0"), rec(0, "a1"))
	b.Txn("t1").Begin().Produce(rec(0, "c0"), rec(1, "c2"), rec(0, "c1")).Commit()
	b.Txn("t2").Begin().Produce(rec(0, "x0"), rec(1, "x2"), rec(0, "x1")).Abort()
	b.Produce(rec(0, "b0"), rec(1, "b1"))
	return b.OpenTxn("t3", rec(0, "o0"), rec(0, "o1"))
}

func TestConsumeReadCommitted(t *testing.T) {
	b, c := kitCluster(t, Options{})
	open := txnWorld(t, b)
	ctx := context.Background()
	got, err := consumeAll(ctx, c, ConsumeOptions{Topic: "tx", UntilEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a0 a1 c0 c1 b0"; strings.Join(got.values[0], " ") != want {
		t.Fatalf("p0 read-committed: %v, want %s", got.values[0], want)
	}
	if want := "c2 b1"; strings.Join(got.values[1], " ") != want {
		t.Fatalf("p1 read-committed: %v, want %s", got.values[1], want)
	}
	if got.states["c0"] != TxnCommitted || got.states["a0"] != TxnNone {
		t.Fatalf("states %v", got.states)
	}
	// Commit the open transaction: now it is data.
	open.Commit()
	got, err = consumeAll(ctx, c, ConsumeOptions{Topic: "tx", UntilEnd: true, Partitions: []int32{0}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a0 a1 c0 c1 b0 o0 o1"; strings.Join(got.values[0], " ") != want {
		t.Fatalf("p0 after commit: %v", got.values[0])
	}
}

func TestConsumeReadUncommittedLabels(t *testing.T) {
	b, c := kitCluster(t, Options{Isolation: ReadUncommitted})
	txnWorld(t, b)
	got, err := consumeAll(context.Background(), c, ConsumeOptions{Topic: "tx", UntilEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a0 a1 c0 c1 x0 x1 b0 o0 o1"; strings.Join(got.values[0], " ") != want {
		t.Fatalf("p0 read-uncommitted: %v, want %s", got.values[0], want)
	}
	want := map[string]TxnState{"a0": TxnNone, "c0": TxnCommitted, "c1": TxnCommitted, "c2": TxnCommitted,
		"x0": TxnAborted, "x1": TxnAborted, "x2": TxnAborted, "b0": TxnNone, "b1": TxnNone, "o0": TxnOpen, "o1": TxnOpen}
	for v, st := range want {
		if got.states[v] != st {
			t.Errorf("%s: %v, want %v", v, got.states[v], st)
		}
	}
}

// A bounded read whose last offsets are transaction markers ends by
// position, at once, with a live follower waiting for more.
func TestReadEndsOnMarkers(t *testing.T) {
	b, c := kitCluster(t, Options{})
	b.CreateTopic("m", 1, nil)
	b.Produce(testkit.Seq("m", 0, 0, 3, time.Now(), time.Millisecond)...)
	b.AbortedTxn("ab", testkit.Seq("m", 0, 3, 2, time.Now(), time.Millisecond)...) // offsets 3,4 + marker 5
	var last *Batch
	err := c.Read(context.Background(), ReadSpec{Starts: map[TP]int64{{"m", 0}: 0}, Targets: map[TP]int64{{"m", 0}: 6}},
		func(bt *Batch) error {
			cp := *bt
			last = &cp
			return nil
		})
	if err != nil || last == nil || !last.Done || last.Next != 6 {
		t.Fatalf("err %v last %+v", err, last)
	}
}

// Failing fetches (a partition error that is not retriable) fail the read
// with the partition and offset.
func TestReadFetchErrorIsLoud(t *testing.T) {
	b, c := kitCluster(t, Options{})
	b.CreateTopic("f", 1, nil)
	b.ProduceSeq("f", 1, 10, time.Now())
	b.Fail(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: "f", Err: kerr.TopicAuthorizationFailed, Count: -1})
	_, err := consumeAll(context.Background(), c, ConsumeOptions{Topic: "f", UntilEnd: true})
	if err == nil || !strings.Contains(err.Error(), "f/0 at offset 0") || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
		t.Fatalf("want a loud fetch error, got %v", err)
	}
}

// A live read (follow) reports an outage and its end, and keeps going.
func TestFollowReportsOutageAndRecovery(t *testing.T) {
	b, c := kitCluster(t, Options{Timeout: 500 * time.Millisecond, StallTimeout: time.Second})
	b.CreateTopic("l", 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var hs []Health
	got := &consumed{values: map[int32][]string{}, states: map[string]TxnState{}}
	errc := make(chan error, 1)
	go func() {
		errc <- c.Consume(ctx, ConsumeOptions{Topic: "l", OnHealth: func(h Health) { mu.Lock(); hs = append(hs, h); mu.Unlock() }},
			func(r *kgo.Record, _ TxnState) error { got.mu.Lock(); got.n++; got.mu.Unlock(); return nil })
	}()
	b.Produce(testkit.Seq("l", 0, 0, 5, time.Now(), time.Millisecond)...)
	testkit.Eventually(t, "5 records", func() bool { return got.count() == 5 })
	st := b.StallFetches("l")
	testkit.WaitFor(t, "the outage to be reported past the stall timeout (live reads never give up)", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(hs) > 0 && hs[len(hs)-1].Down && hs[len(hs)-1].For > time.Second, fmt.Sprint(hs)
	})
	st.Release()
	b.Produce(testkit.Seq("l", 0, 5, 5, time.Now(), time.Millisecond)...)
	testkit.Eventually(t, "10 records after recovery", func() bool { return got.count() == 10 })
	testkit.WaitFor(t, "recovery reported", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(hs) > 0 && !hs[len(hs)-1].Down, fmt.Sprint(hs)
	})
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("follow ended with %v", err)
	}
}
