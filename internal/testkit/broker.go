// Package testkit is the shared test kit: an in-process kfake broker (the
// real Kafka protocol over TCP) with helpers to create topics, produce,
// write transactions, join groups and inject faults on cue, plus condition
// waits and a clean environment for running the rewind binary.
//
// It imports no rewind package, so every package's own tests (backend's
// included) can use it without an import cycle.
package testkit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// OpTimeout bounds each helper's cluster call. The CI machine is shared and
// loaded: deadlines are generous, and nothing asserts on how long a call took.
const OpTimeout = 30 * time.Second

// Broker is a one-node kfake cluster for one test, closed by t.Cleanup, or
// (from Connect) any cluster reachable over the protocol, such as a
// separate `rewind serve` process.
type Broker struct {
	T testing.TB
	// Kf is the in-process cluster; nil for Connect. The fault helpers
	// (Stall, Drop, Fail) need it.
	Kf   *kfake.Cluster
	Addr string
	// Client produces with the manual partitioner (records go to the
	// partition they name) and no linger.
	Client *kgo.Client
	Adm    *kadm.Client

	addrs []string
}

// NewBroker starts a kfake cluster with one broker plus opts, on a free
// port of 127.0.0.1.
func NewBroker(t testing.TB, opts ...kfake.Opt) *Broker {
	t.Helper()
	kf, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("testkit: start kfake: %v", err)
	}
	t.Cleanup(kf.Close)
	b := &Broker{T: t, Kf: kf, Addr: kf.ListenAddrs()[0], addrs: kf.ListenAddrs()}
	b.init()
	return b
}

// Connect is a Broker for a cluster that is already running at addrs (a
// kfake started elsewhere, a `rewind serve` process). Fault helpers are not
// available on it.
func Connect(t testing.TB, addrs ...string) *Broker {
	t.Helper()
	if len(addrs) == 0 {
		t.Fatal("testkit: Connect needs an address")
	}
	b := &Broker{T: t, Addr: addrs[0], addrs: addrs}
	b.init()
	return b
}

func (b *Broker) init() {
	b.Client = b.NewClient(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	b.Adm = kadm.NewClient(b.Client)
}

// Addrs is the seed list of the cluster.
func (b *Broker) Addrs() []string { return b.addrs }

// NewClient is a kgo client on this broker, closed by t.Cleanup.
func (b *Broker) NewClient(opts ...kgo.Opt) *kgo.Client {
	b.T.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, opts...)...)
	if err != nil {
		b.T.Fatalf("testkit: client: %v", err)
	}
	b.T.Cleanup(cl.Close)
	return cl
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), OpTimeout)
}

// CreateTopic creates topic with parts partitions and the given configs
// (cleanup.policy, retention.ms, ...).
func (b *Broker) CreateTopic(topic string, parts int32, configs map[string]string) {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	var cfg map[string]*string
	for k, v := range configs {
		if cfg == nil {
			cfg = map[string]*string{}
		}
		cfg[k] = &v
	}
	resp, err := b.Adm.CreateTopic(c, parts, 1, cfg, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		b.T.Fatalf("testkit: create topic %s: %v", topic, err)
	}
}

// Produce writes records synchronously; each goes to the partition it names.
func (b *Broker) Produce(recs ...*kgo.Record) {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	if err := b.Client.ProduceSync(c, recs...).FirstErr(); err != nil {
		b.T.Fatalf("testkit: produce %d records: %v", len(recs), err)
	}
}

// Seq builds n records for topic/partition: key "k<i>", value "v<i>",
// timestamp base + i*step, where i continues from `from`.
func Seq(topic string, partition int32, from, n int, base time.Time, step time.Duration) []*kgo.Record {
	out := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, &kgo.Record{Topic: topic, Partition: partition,
			Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i),
			Timestamp: base.Add(time.Duration(i) * step)})
	}
	return out
}

// ProduceSeq writes Seq(topic, p, 0, n, base, time.Second) to every
// partition p < parts.
func (b *Broker) ProduceSeq(topic string, parts int32, n int, base time.Time) {
	b.T.Helper()
	var recs []*kgo.Record
	for p := range parts {
		recs = append(recs, Seq(topic, p, 0, n, base, time.Second)...)
	}
	b.Produce(recs...)
}

// Starts returns each partition's log start offset.
func (b *Broker) Starts(topic string) map[int32]int64 {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	lo, err := b.Adm.ListStartOffsets(c, topic)
	return b.listed(topic, lo, err)
}

// Ends returns each partition's high watermark.
func (b *Broker) Ends(topic string) map[int32]int64 {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	lo, err := b.Adm.ListEndOffsets(c, topic)
	return b.listed(topic, lo, err)
}

// StableEnds returns each partition's last stable offset (the end a
// read-committed consumer reads to).
func (b *Broker) StableEnds(topic string) map[int32]int64 {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	lo, err := b.Adm.ListCommittedOffsets(c, topic)
	return b.listed(topic, lo, err)
}

func (b *Broker) listed(topic string, lo kadm.ListedOffsets, err error) map[int32]int64 {
	b.T.Helper()
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		b.T.Fatalf("testkit: list offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Partition >= 0 {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

// DeleteBelow deletes the records of topic/partition below offset at, as
// retention would.
func (b *Broker) DeleteBelow(topic string, partition int32, at int64) {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: partition, At: at})
	resp, err := b.Adm.DeleteRecords(c, del)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		b.T.Fatalf("testkit: delete records of %s/%d below %d: %v", topic, partition, at, err)
	}
}

// Commit commits offsets of topic for group without joining it (a group
// that only has commits, like a stopped consumer's).
func (b *Broker) Commit(group, topic string, at map[int32]int64) {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	os := kadm.Offsets{}
	for _, p := range slices.Sorted(maps.Keys(at)) {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: at[p], LeaderEpoch: -1})
	}
	if err := b.Adm.CommitAllOffsets(c, group, os); err != nil {
		b.T.Fatalf("testkit: commit %s: %v", group, err)
	}
}

// GroupOffsets returns the group's committed offsets of topic (none: empty).
func (b *Broker) GroupOffsets(group, topic string) map[int32]int64 {
	b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	o, err := b.Adm.FetchOffsets(c, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}
	}
	if err != nil {
		b.T.Fatalf("testkit: fetch offsets of %s: %v", group, err)
	}
	out := map[int32]int64{}
	o.Each(func(r kadm.OffsetResponse) {
		if r.Topic == topic && r.At >= 0 {
			out[r.Partition] = r.At
		}
	})
	return out
}

// ProduceTo writes records synchronously to the cluster at addrs with a
// short-lived producer (manual partitioner: each record goes to the
// partition it names).
func ProduceTo(t testing.TB, addrs []string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatalf("testkit: client: %v", err)
	}
	defer cl.Close()
	c, cancel := ctx()
	defer cancel()
	if err := cl.ProduceSync(c, recs...).FirstErr(); err != nil {
		t.Fatalf("testkit: produce %d records: %v", len(recs), err)
	}
}
