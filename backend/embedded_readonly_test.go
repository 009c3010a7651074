package backend

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// A read-only embedded log refuses every client's writes with the error a
// Kafka ACL denial gives, still serves reads, still runs rewind's own
// retention, reports each refusal, seeds no demo world, and its registry
// refuses changes.
func TestEmbeddedReadOnlyRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	// A first, writable life: a topic with old records and a group.
	e := startEmb(t, dir, false, embeddedTuning{})
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, "t", 2, map[string]string{"retention.ms": "60000"})
	embProduce(t, cl, "t", 2, 10, time.Now().Add(-time.Hour))
	embProduce(t, cl, "t", 2, 10, time.Now())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	var mu sync.Mutex
	var refused []Refusal
	ro, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0", Demo: true, ReadOnly: true,
		Log: newEmbLog(t), tune: embeddedTuning{retentionEvery: 100 * time.Millisecond},
		OnRefused: func(r Refusal) { mu.Lock(); refused = append(refused, r); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ro.Close() })
	if ok, why := ServedReadOnly(dir); !ok || !strings.Contains(why, "served read-only") {
		t.Fatalf("ServedReadOnly = %v %q", ok, why)
	}
	cl, adm = embClient(t, ro.Addr(), kgo.RequestRetries(0))
	ctx := context.Background()

	// rewind's own retention still trims the hour-old records.
	testkit.WaitFor(t, "retention under read-only", func() (bool, string) {
		o := embOffsets(t, adm, "t")
		return o[0].start == 5 && o[1].start == 5, "starts not yet 5"
	})

	isDenied := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: accepted by a read-only log", what)
		}
		for _, want := range []*kerr.Error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed, kerr.TransactionalIDAuthorizationFailed} {
			if errors.Is(err, want) {
				return
			}
		}
		t.Fatalf("%s: %v; want an authorization failure", what, err)
	}
	pctx, cancel := context.WithTimeout(ctx, testkit.WaitTimeout)
	defer cancel()
	isDenied("produce", cl.ProduceSync(pctx, &kgo.Record{Topic: "t", Partition: 0, Value: []byte("x")}).FirstErr())
	plain, _ := embClient(t, ro.Addr(), kgo.DisableIdempotentWrite(), kgo.RequestRetries(0))
	isDenied("produce (not idempotent)", plain.ProduceSync(pctx, &kgo.Record{Topic: "t", Partition: 0, Value: []byte("x")}).FirstErr())
	cr, err := adm.CreateTopic(ctx, 1, 1, nil, "new")
	if err == nil {
		err = cr.Err
	}
	isDenied("create topic", err)
	dr, err := adm.DeleteTopics(ctx, "t")
	if err == nil {
		err = dr.Error()
	}
	isDenied("delete topic", err)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "t", Partition: 0, At: 8})
	rr, err := adm.DeleteRecords(ctx, del)
	if err == nil {
		err = rr.Error()
	}
	isDenied("delete records", err)
	ac, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: kadm.StringPtr("1")}}, "t")
	if err == nil {
		for _, r := range ac {
			err = errors.Join(err, r.Err)
		}
	}
	isDenied("alter config", err)
	co := kadm.Offsets{}
	co.Add(kadm.Offset{Topic: "t", Partition: 0, At: 7})
	cm, err := adm.CommitOffsets(ctx, "g", co)
	if err == nil {
		err = cm.Error()
	}
	isDenied("commit offsets", err)
	_, err = adm.CreatePartitions(ctx, 1, "t")
	if err == nil {
		pr, _ := adm.CreatePartitions(ctx, 1, "t")
		err = pr.Error()
	}
	isDenied("add partitions", err)

	// Reads work: every record still there is read.
	c, err := Connect(ctx, Options{Brokers: []string{ro.Addr()}, Embedded: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 0
	if err := c.Consume(ctx, ConsumeOptions{Topic: "t", UntilEnd: true}, func(*kgo.Record, TxnState) error { n++; return nil }); err != nil || n != 10 {
		t.Fatalf("read: %d records, %v", n, err)
	}
	// Nothing was written: the ends did not move; no demo topics.
	if o := embOffsets(t, adm, "t"); o[0].end != 10 || o[1].end != 10 {
		t.Fatalf("ends moved: %+v", o)
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil || len(topics.Names()) != 1 {
		t.Fatalf("topics %v (%v): the demo world was seeded", topics.Names(), err)
	}
	// The registry refuses changes.
	resp, err := http.Post(ro.RegistryURL()+"/subjects/t-value/versions", "application/vnd.schemaregistry.v1+json", strings.NewReader(`{"schema":"\"string\""}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("registry change: HTTP %d", resp.StatusCode)
	}
	// Each refusal was reported, naming what.
	testkit.WaitFor(t, "refusals reported", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		var all []string
		for _, r := range refused {
			all = append(all, r.String())
		}
		s := strings.Join(all, "\n")
		for _, want := range []string{"Produce of t refused", "CreateTopics of new", "DeleteTopics of t", "DeleteRecords of t", "IncrementalAlterConfigs", "OffsetCommit of t by group g", "CreatePartitions of t"} {
			if !strings.Contains(s, want) {
				return false, "missing " + want + " in:\n" + s
			}
		}
		return true, ""
	})
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ServedReadOnly(dir); ok {
		t.Fatal("still marked read-only after Close")
	}
}
