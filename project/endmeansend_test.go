package project

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
)

// worldWith is a world whose backend.Cluster has a short timeout and stall
// timeout, so a frozen broker fails a run within seconds.
func worldWith(t *testing.T, o backend.Options) *world {
	t.Helper()
	b := testkit.NewBroker(t)
	o.Brokers = b.Addrs()
	c, err := backend.Connect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &world{t: t, addr: b.Addr, c: c, raw: b.Client, adm: b.Adm, dir: t.TempDir(), kit: b}
}

// A broker that freezes during `project run --until end` fails the run,
// loudly, checkpointed only as far as it applied; resumed once the broker
// is back it ends with the checksum of an uninterrupted run. Today the
// idle-poll rule marked every partition done and checkpointed a partial
// table as complete.
func TestRunStalledBrokerFailsThenResumesExact(t *testing.T) {
	w := worldWith(t, backend.Options{Timeout: 500 * time.Millisecond, StallTimeout: 2 * time.Second})
	w.topic("orders", 3, nil)
	w.orders(3000)
	want := w.checksum(w.run(revenueV1, "clean", Options{}).ID)

	var stall *testkit.Stall
	var healths []string
	o := Options{DataDir: w.dir, ID: "stalled", MaxPoll: 50, partBytes: 2 << 10, OnHealth: func(h backend.Health) { healths = append(healths, h.String()) }}
	o.hook = func(stage string, n int64) {
		if stage == "committed" && n >= 500 && stall == nil {
			stall = w.kit.StallFetches("orders")
		}
	}
	m, err := Start(context.Background(), w.c, compileText(t, revenueV1), o)
	var inc *backend.IncompleteError
	if !errors.As(err, &inc) || m == nil || m.Status != StatusFailed {
		t.Fatalf("want a failed run with an incomplete read, got %v (meta %+v)", err, m)
	}
	if !strings.Contains(err.Error(), "not answering") || len(healths) == 0 || !strings.Contains(healths[0], "not answering") {
		t.Fatalf("error %v, health reports %v", err, healths)
	}
	got, _ := LoadMeta(w.dir, "stalled")
	if got.Progress == nil || got.Progress.Done >= got.Progress.Total || got.Progress.Done < 500 {
		t.Fatalf("progress after the stall: %+v", got.Progress)
	}
	stall.Release()
	m, err = Resume(context.Background(), w.c, w.dir, "stalled", nil, Options{})
	if err != nil || m.Status != StatusDone {
		t.Fatalf("resume: %v %+v", err, m)
	}
	if got := w.checksum("stalled"); got != want {
		t.Fatalf("resumed run checksum %s, uninterrupted %s", got, want)
	}
}

// Transactions: a projection applies committed records only, never aborted
// ones, and ends at the last stable offset taken at start (an open
// transaction is not waited for). Today aborted amounts were summed (2030
// instead of 30) and the run hung at 100 % on kgo's synthetic partition.
func TestRunTransactionsCommittedOnly(t *testing.T) {
	w := newWorld(t)
	w.topic("pay", 2, nil)
	amt := func(p int32, cust string, a float64) *kgo.Record {
		return &kgo.Record{Topic: "pay", Partition: p, Key: []byte(cust), Value: fmt.Appendf(nil, `{"customer":%q,"amount":%g}`, cust, a)}
	}
	w.kit.Produce(amt(0, "c1", 10))
	w.kit.Txn("ok").Begin().Produce(amt(0, "c1", 5), amt(1, "c2", 15)).Commit()
	w.kit.Txn("bad").Begin().Produce(amt(0, "c1", 1000), amt(1, "c2", 1000)).Abort()
	open := w.kit.OpenTxn("later", amt(1, "c2", 7))
	spec := "name: pay\ntopic: pay\nkey: value.customer\naggregate: sum\nvalue: value.amount\n"
	w.run(spec, "r1", Options{})
	rows := w.rows("r1")
	if rows["c1"] != "15" || rows["c2"] != "15" {
		t.Fatalf("read-committed sums: %v", rows)
	}
	open.Commit()
	w.run(spec, "r2", Options{})
	if rows := w.rows("r2"); rows["c2"] != "22" {
		t.Fatalf("after the open transaction committed: %v", rows)
	}
}

// A broker that stops answering produce requests during `project publish
// --yes` fails the publish after the stall timeout, loudly. kgo retries a
// record forever by default: the publish hung (seen in TestFaultPublish as
// a publish still waiting 14 minutes after its broker was killed).
func TestPublishToFrozenBrokerFails(t *testing.T) {
	w := worldWith(t, backend.Options{Timeout: 500 * time.Millisecond, StallTimeout: 2 * time.Second})
	w.topic("orders", 3, nil)
	w.orders(300)
	w.run(revenueV1, "v1", Options{})
	w.kit.Stall(nil, kmsg.Produce) // publish creates "pub", then its writes hang
	done := make(chan error, 1)
	go func() {
		_, err := Publish(context.Background(), w.c, w.dir, "v1", PublishOptions{Topic: "pub", Execute: true})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "publish to pub: no broker answered a write for 2s") {
			t.Fatalf("publish to a frozen broker: err %v, want a failure naming the topic", err)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("publish to a frozen broker still running: records are retried forever")
	}
}
