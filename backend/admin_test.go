package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
)

func readOnlyTwin(t *testing.T, c *Cluster) *Cluster {
	t.Helper()
	ro, err := Connect(context.Background(), Options{Brokers: c.Brokers(), Timeout: 3 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ro.Close)
	return ro
}

func strp(s string) *string { return &s }

func TestTopicAdminLifecycle(t *testing.T) {
	_, c := testCluster(t)
	ctx := context.Background()
	ct, err := c.CreateTopicSpec(ctx, TopicSpec{Name: "events", Partitions: 2, Configs: map[string]string{"retention.ms": "3600000"}})
	if err != nil {
		t.Fatal(err)
	}
	if ct.Partitions != 2 || ct.Name != "events" {
		t.Fatalf("created %+v", ct)
	}
	if ok, err := c.TopicExists(ctx, "events"); err != nil || !ok {
		t.Fatalf("exists: %v %v", ok, err)
	}
	if ok, err := c.TopicExists(ctx, "nope"); err != nil || ok {
		t.Fatalf("nope exists: %v %v", ok, err)
	}
	if _, err := c.CreateTopicSpec(ctx, TopicSpec{Name: "events", Partitions: 1}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate create: %v", err)
	}
	for _, bad := range []string{"", "..", "a b", "x\x1b[2J", strings.Repeat("a", 250)} {
		if _, err := c.CreateTopicSpec(ctx, TopicSpec{Name: bad, Partitions: 1}); err == nil {
			t.Fatalf("bad name %q accepted", bad)
		}
	}
	if _, err := c.CreateTopicSpec(ctx, TopicSpec{Name: "zero", Partitions: 0}); err == nil {
		t.Fatal("0 partitions accepted")
	}

	cfg, err := c.TopicConfig(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ConfigEntry{}
	for _, e := range cfg {
		by[e.Name] = e
	}
	ret := by["retention.ms"]
	if ret.Value == nil || *ret.Value != "3600000" || !ret.Override || ret.Source != SourceDynamicTopic {
		t.Fatalf("retention.ms: %+v", ret)
	}
	if cp := by["cleanup.policy"]; cp.Override || cp.Source == SourceDynamicTopic || cp.Value == nil || *cp.Value != "delete" {
		t.Fatalf("cleanup.policy should be an inherited default: %+v", cp)
	}

	// Preview: nothing changes, before/after are right, the broker validated.
	diffs, err := c.PlanTopicConfig(ctx, "events", []ConfigChange{{Name: "retention.ms", Value: strp("60000")}, {Name: "cleanup.policy", Value: strp("compact")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2 || *diffs[0].Before != "3600000" || *diffs[0].After != "60000" || !diffs[0].Changed() ||
		diffs[1].BeforeSource == SourceDynamicTopic || *diffs[1].After != "compact" {
		t.Fatalf("diffs %+v %+v", diffs[0], diffs[1])
	}
	if v := configValue(t, c, "events", "retention.ms"); v != "3600000" {
		t.Fatalf("preview changed the config: %s", v)
	}
	if _, err := c.PlanTopicConfig(ctx, "events", []ConfigChange{{Name: "no.such.config", Value: strp("1")}}); err == nil {
		t.Fatal("unknown config accepted by the preview")
	}
	if _, err := c.PlanTopicConfig(ctx, "events", []ConfigChange{{Name: "cleanup.policy"}}); err == nil || !strings.Contains(err.Error(), "not set on the topic") {
		t.Fatalf("removing a non-override: %v", err)
	}
	if err := c.AlterTopicConfig(ctx, "events", []ConfigChange{{Name: "retention.ms", Value: strp("60000")}}); err != nil {
		t.Fatal(err)
	}
	if v := configValue(t, c, "events", "retention.ms"); v != "60000" {
		t.Fatalf("after alter: %s", v)
	}
	// Removing the override: back to the inherited default.
	diffs, err = c.PlanTopicConfig(ctx, "events", []ConfigChange{{Name: "retention.ms"}})
	if err != nil {
		t.Fatal(err)
	}
	if diffs[0].AfterSource == SourceDynamicTopic || diffs[0].After == nil || *diffs[0].After != "604800000" {
		t.Fatalf("remove override diff: %+v (after %v)", diffs[0], diffs[0].After)
	}
	if err := c.AlterTopicConfig(ctx, "events", []ConfigChange{{Name: "retention.ms"}}); err != nil {
		t.Fatal(err)
	}
	if v := configValue(t, c, "events", "retention.ms"); v != "604800000" {
		t.Fatalf("after removing the override: %s", v)
	}

	// Partitions.
	if _, err := c.PlanAddPartitions(ctx, "events", 2); err == nil || !strings.Contains(err.Error(), "must be larger") {
		t.Fatalf("same count: %v", err)
	}
	cur, err := c.PlanAddPartitions(ctx, "events", 5)
	if err != nil || cur != 2 {
		t.Fatalf("plan add: %d %v", cur, err)
	}
	if ids, _ := c.PartitionIDs(ctx, "events"); len(ids) != 2 {
		t.Fatalf("plan added partitions: %v", ids)
	}
	if err := c.AddPartitions(ctx, "events", 5); err != nil {
		t.Fatal(err)
	}
	if ids, err := c.PartitionIDs(ctx, "events"); err != nil || len(ids) != 5 {
		t.Fatalf("after add: %v %v", ids, err)
	}

	// Read-only: every write refused in the backend, nothing changed.
	ro := readOnlyTwin(t, c)
	if _, err := ro.CreateTopicSpec(ctx, TopicSpec{Name: "ro", Partitions: 1}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro create: %v", err)
	}
	if err := ro.DeleteTopic(ctx, "events"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro delete: %v", err)
	}
	if err := ro.AlterTopicConfig(ctx, "events", []ConfigChange{{Name: "retention.ms", Value: strp("1")}}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro alter: %v", err)
	}
	if err := ro.AddPartitions(ctx, "events", 9); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro add partitions: %v", err)
	}
	if _, err := ro.NewProducer(ProduceOptions{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro producer: %v", err)
	}
	if err := ro.DeleteGroupOffsets(ctx, "g", "events"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("ro delete offsets: %v", err)
	}
	if ok, _ := c.TopicExists(ctx, "ro"); ok {
		t.Fatal("read-only create went through")
	}

	if err := c.DeleteTopic(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "topic events to be gone", func() bool { ok, err := c.TopicExists(ctx, "events"); return err == nil && !ok })
	if err := c.DeleteTopic(ctx, "events"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("delete missing: %v", err)
	}
	if err := c.DeleteTopic(ctx, "__consumer_offsets"); err == nil || !strings.Contains(err.Error(), "internal") {
		t.Fatalf("delete internal: %v", err)
	}
}

func configValue(t *testing.T, c *Cluster, topic, name string) string {
	t.Helper()
	cfg, err := c.TopicConfig(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cfg {
		if e.Name == name && e.Value != nil {
			return *e.Value
		}
	}
	return "<none>"
}

func TestDescribeBrokers(t *testing.T) {
	kc, c := testCluster(t)
	createTopic(t, c, "a", 3, nil)
	createTopic(t, c, "b", 2, nil)
	produceN(t, c, "a", 1, 20, time.Now())
	info, err := c.DescribeBrokers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Brokers) != 1 {
		t.Fatalf("brokers %+v", info.Brokers)
	}
	b := info.Brokers[0]
	if b.Addr != kc.ListenAddrs()[0] || !b.Controller || info.Controller != b.ID {
		t.Fatalf("broker %+v, controller %d, listen %v", b, info.Controller, kc.ListenAddrs())
	}
	if b.Leader < 5 || b.Replicas < 5 {
		t.Fatalf("partitions led %d, replicas %d; want >= 5 (a:3 + b:2)", b.Leader, b.Replicas)
	}
	if b.LogDirErr != "" || len(b.LogDirs) == 0 || b.LogDirBytes <= 0 {
		t.Fatalf("log dirs: %+v err %q", b.LogDirs, b.LogDirErr)
	}
}

func TestDeleteGroupOffsets(t *testing.T) {
	_, c := testCluster(t)
	ctx := context.Background()
	createTopic(t, c, "t1", 2, nil)
	createTopic(t, c, "t2", 1, nil)
	produceN(t, c, "t1", 0, 5, time.Now())
	produceN(t, c, "t2", 0, 5, time.Now())
	if err := c.CommitGroupOffsets(ctx, "g", map[string]map[int32]int64{"t1": {0: 3, 1: 0}, "t2": {0: 4}}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteGroupOffsets(ctx, "g", "t1"); err != nil {
		t.Fatal(err)
	}
	got, err := c.CommittedOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if len(got["t1"]) != 0 || got["t2"][0] != 4 {
		t.Fatalf("after deleting t1 offsets: %v", got)
	}
	if err := c.DeleteGroupOffsets(ctx, "g", "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("missing topic: %v", err)
	}
	if err := c.DeleteGroupOffsets(ctx, "nogroup", "t1"); err == nil {
		t.Fatal("unknown group accepted")
	}
}

func TestProducer(t *testing.T) {
	_, c := testCluster(t)
	ctx := context.Background()
	createTopic(t, c, "p", 3, nil)
	two := int32(2)
	pr, err := c.NewProducer(ProduceOptions{Partition: &two, Compression: "zstd"})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if err := pr.CheckPartition(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if err := pr.CheckPartition(ctx, "missing"); err == nil || !strings.Contains(err.Error(), "topic create") {
		t.Fatalf("missing topic: %v", err)
	}
	seven := int32(7)
	pr7, err := c.NewProducer(ProduceOptions{Partition: &seven})
	if err != nil {
		t.Fatal(err)
	}
	defer pr7.Close()
	if err := pr7.CheckPartition(ctx, "p"); err == nil || !strings.Contains(err.Error(), "no partition 7") {
		t.Fatalf("missing partition: %v", err)
	}
	recs := []ProduceRecord{
		{Topic: "p", Key: []byte("k1"), Value: []byte("one"), Headers: []Header{{Key: "h", Value: []byte("v")}}},
		{Topic: "p", Value: []byte("two")},
		{Topic: "p", Key: []byte("k3")}, // tombstone
	}
	res, err := pr.ProduceBatch(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Partition != 2 || r.Offset != int64(i) || r.Err != nil {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	got, err := c.Fetch(ctx, "p", 2, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0].Key) != "k1" || string(got[0].Value) != "one" || len(got[0].Headers) != 1 ||
		got[0].Headers[0].Key != "h" || got[1].Key != nil || got[2].Value != nil {
		t.Fatalf("read back %+v", got)
	}

	// Default partitioner: the same key always lands on the same partition.
	def, err := c.NewProducer(ProduceOptions{Acks: "1", Compression: "gzip"})
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	var batch []ProduceRecord
	for i := range 6 {
		batch = append(batch, ProduceRecord{Topic: "p", Key: []byte("same"), Value: []byte(fmt.Sprint(i))})
	}
	res, err = def.ProduceBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res[1:] {
		if r.Partition != res[0].Partition {
			t.Fatalf("same key on partitions %d and %d", res[0].Partition, r.Partition)
		}
	}
	zero, err := c.NewProducer(ProduceOptions{Acks: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	res, err = zero.ProduceBatch(ctx, []ProduceRecord{{Topic: "p", Value: []byte("x")}})
	if err != nil || res[0].Offset != -1 {
		t.Fatalf("acks 0: %+v %v", res, err)
	}
	for _, bad := range []ProduceOptions{{Acks: "2"}, {Compression: "brotli"}} {
		if _, err := c.NewProducer(bad); err == nil {
			t.Fatalf("bad options %+v accepted", bad)
		}
	}
}
