package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/replay"
)

func testCluster(t *testing.T, readOnly bool) (*backend.Cluster, *backend.Cluster) {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: kc.ListenAddrs(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ro, err := backend.Connect(context.Background(), backend.Options{Brokers: kc.ListenAddrs(), Timeout: 3 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ro.Close)
	return c, ro
}

func testEnv(t *testing.T) replay.Env {
	return replay.Env{DataDir: t.TempDir(), Actor: "tester@host", Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }}
}

func audit(t *testing.T, env replay.Env) []replay.AuditEntry {
	t.Helper()
	es, err := replay.ReadAudit(env.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func produce(t *testing.T, c *backend.Cluster, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestTopicActionsGuardedAndAudited(t *testing.T) {
	c, ro := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)

	if _, _, err := CreateTopic(ctx, ro, env, backend.TopicSpec{Name: "t", Partitions: 1}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only create: %v", err)
	}
	if _, err := DeleteTopic(ctx, ro, env, "t", "t"); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only delete: %v", err)
	}
	if len(audit(t, env)) != 0 {
		t.Fatal("a read-only refusal was audited as an attempt")
	}

	ct, en, err := CreateTopic(ctx, c, env, backend.TopicSpec{Name: "t", Partitions: 2, Configs: map[string]string{"retention.ms": "60000"}})
	if err != nil || ct.Partitions != 2 || !en.OK() {
		t.Fatalf("create: %+v %+v %v", ct, en, err)
	}
	// A stale preview is refused: someone changed retention.ms since.
	changes := []backend.ConfigChange{{Name: "retention.ms", Value: strp("120000")}}
	preview, err := c.PlanTopicConfig(ctx, "t", changes)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AlterTopicConfig(ctx, "t", []backend.ConfigChange{{Name: "retention.ms", Value: strp("90000")}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := AlterTopicConfig(ctx, c, env, "t", changes, preview); !errors.Is(err, replay.ErrRefused) || !strings.Contains(err.Error(), "changed since the preview") {
		t.Fatalf("stale preview: %v", err)
	}
	preview, _ = c.PlanTopicConfig(ctx, "t", changes)
	diffs, en, err := AlterTopicConfig(ctx, c, env, "t", changes, preview)
	if err != nil || len(diffs) != 1 || *en.Configs[0].Before != "90000" || *en.Configs[0].After != "120000" {
		t.Fatalf("alter: %+v %+v %v", diffs, en, err)
	}
	if _, err := AddPartitions(ctx, c, env, "t", 1, 4); !errors.Is(err, replay.ErrRefused) {
		t.Fatalf("add partitions from a stale count: %v", err)
	}
	if _, err := AddPartitions(ctx, c, env, "t", 2, 4); err != nil {
		t.Fatal(err)
	}
	produce(t, c, &kgo.Record{Topic: "t", Partition: 3, Value: []byte("x")})
	for _, typed := range []string{"", "T", "t "} {
		if _, err := DeleteTopic(ctx, c, env, "t", typed); !errors.Is(err, replay.ErrRefused) {
			t.Fatalf("delete with confirmation %q: %v", typed, err)
		}
	}
	if ok, _ := c.TopicExists(ctx, "t"); !ok {
		t.Fatal("topic deleted without the typed confirmation")
	}
	en, err = DeleteTopic(ctx, c, env, "t", "t")
	if err != nil {
		t.Fatal(err)
	}
	if got := *en.Configs[0].Before + "/" + *en.Configs[1].Before; got != "4/1" {
		t.Fatalf("delete audit keeps partitions/records: %s", got)
	}

	es := audit(t, env)
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind+":"+strings.SplitN(e.Result, ":", 2)[0])
		if e.Actor != "tester@host" || e.Cluster != c.Addr() || e.Topic != "t" {
			t.Fatalf("entry %+v", e)
		}
	}
	want := "topic-create:ok topic-config:refused topic-config:ok topic-partitions:refused topic-partitions:ok topic-delete:refused topic-delete:refused topic-delete:refused topic-delete:ok"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("audit trail:\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
}

func TestDeleteGroupOnlyWhenEmpty(t *testing.T) {
	c, ro := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	if _, _, err := CreateTopic(ctx, c, env, backend.TopicSpec{Name: "in", Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	produce(t, c, &kgo.Record{Topic: "in", Partition: 0, Value: []byte("a")}, &kgo.Record{Topic: "in", Partition: 1, Value: []byte("b")})

	// A live member: the group is Stable with one member.
	cons, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ConsumerGroup("live"), kgo.ConsumeTopics("in"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n := 0; n < 2 && time.Now().Before(deadline); {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		n += cons.PollFetches(pctx).NumRecords()
		cancel()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := DeleteGroup(ctx, c, env, "live", "live"); !errors.Is(err, replay.ErrRefused) || !strings.Contains(err.Error(), "1 member") {
		t.Fatalf("delete of an active group: %v", err)
	}
	if _, err := DeleteGroupOffsets(ctx, c, env, "live", "in", "live"); err == nil || !strings.Contains(err.Error(), "subscribed") {
		t.Fatalf("delete offsets of a subscribed topic: %v", err)
	}
	cons.Close() // leaves the group
	if _, err := DeleteGroup(ctx, ro, env, "live", "live"); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
	if _, err := DeleteGroup(ctx, c, env, "live", "liv"); !errors.Is(err, replay.ErrRefused) {
		t.Fatalf("mistyped: %v", err)
	}
	var en *replay.AuditEntry
	testkit.Eventually(t, "the group to be empty", func() bool {
		st, n, _, err := c.GroupState(ctx, "live")
		return err == nil && n == 0 && st == "Empty"
	})
	en, err = DeleteGroup(ctx, c, env, "live", "live")
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Partitions) != 2 || en.Partitions[0].Before == nil || *en.Partitions[0].Before != 1 || en.Partitions[0].After != nil {
		t.Fatalf("audit keeps the offsets: %+v", en.Partitions)
	}
	if _, err := DeleteGroup(ctx, c, env, "nope", "nope"); !errors.Is(err, backend.ErrUnknownGroup) {
		t.Fatalf("unknown group: %v", err)
	}

	// Offsets of one topic of an empty group.
	if err := c.CommitGroupOffsets(ctx, "old", map[string]map[int32]int64{"in": {0: 1, 1: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := DeleteGroupOffsets(ctx, c, env, "old", "in", ""); !errors.Is(err, replay.ErrRefused) {
		t.Fatalf("no confirmation: %v", err)
	}
	if en, err = DeleteGroupOffsets(ctx, c, env, "old", "in", "old"); err != nil || len(en.Partitions) != 2 {
		t.Fatalf("delete offsets: %+v %v", en, err)
	}
	if got, _ := c.CommittedOffsets(ctx, "old"); len(got["in"]) != 0 {
		t.Fatalf("offsets left: %v", got)
	}
	if _, err := DeleteGroupOffsets(ctx, c, env, "old", "in", "old"); err == nil || !strings.Contains(err.Error(), "nothing to delete") {
		t.Fatalf("second delete: %v", err)
	}
}

func dlqRecord(p int32, origin, originHeader, value string, extra ...kgo.RecordHeader) *kgo.Record {
	r := &kgo.Record{Topic: "orders.DLT", Partition: p, Key: []byte("k-" + value), Value: []byte(value)}
	if originHeader != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: originHeader, Value: []byte(origin)})
	}
	r.Headers = append(r.Headers, extra...)
	return r
}

func TestRedrive(t *testing.T) {
	c, ro := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	for _, tp := range []string{"orders", "payments", "orders.DLT", "manual"} {
		if _, err := c.CreateTopicSpec(ctx, backend.TopicSpec{Name: tp, Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	trace := kgo.RecordHeader{Key: "traceparent", Value: []byte("00-abc")}
	dlt := kgo.RecordHeader{Key: "kafka_dlt-exception-message", Value: []byte("boom")}
	produce(t, c,
		dlqRecord(0, "orders", "x-original-topic", `{"amount":10}`, trace),
		dlqRecord(0, "payments", "kafka_dlt-original-topic", `{"amount":200}`, dlt, trace),
		dlqRecord(1, "orders", "x-original-topic", `{"amount":300}`),
		dlqRecord(1, "", "", `{"amount":400}`),         // no origin
		dlqRecord(1, "gone", "x-original-topic", `{}`), // missing target
		dlqRecord(0, "orders", "x-original-topic", `not json`),
	)

	// Dry run, filtered: the record whose target is missing is left out.
	f, err := project.CompileFilter(`value.amount >= 100`)
	if err != nil {
		t.Fatal(err)
	}
	req := RedriveRequest{Topic: "orders.DLT", Filter: f, FilterText: f.String(), DropHeaders: []string{"traceparent", "kafka_dlt-exception-*"}}
	plan, err := PlanRedrive(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(plan.Scanned, plan.Matched, plan.NoTarget, plan.Targets)
	if want := "6 3 1 [{orders 1 } {payments 1 }]"; got != want {
		t.Fatalf("plan: got %s, want %s", got, want)
	}
	if _, err := ExecuteRedrive(ctx, ro, env, req, plan, nil); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
	// New DLQ records after the plan are not redriven by it.
	produce(t, c, dlqRecord(0, "orders", "x-original-topic", `{"amount":999}`))
	var progress []int64
	en, err := ExecuteRedrive(ctx, c, env, req, plan, func(done, total int64) { progress = append(progress, done, total) })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(en.Redrive.Produced) != "map[orders:1 payments:1]" || en.Redrive.Matched != 3 || en.Redrive.Skipped != 1 || fmt.Sprint(progress) != "[2 2]" {
		t.Fatalf("audit %+v progress %v", en.Redrive, progress)
	}
	var orders, payments []backend.Record
	for p := int32(0); p < 2; p++ {
		o, _ := c.Fetch(ctx, "orders", p, 0, 10)
		orders = append(orders, o...)
		pm, _ := c.Fetch(ctx, "payments", p, 0, 10)
		payments = append(payments, pm...)
	}
	if len(orders) != 1 || string(orders[0].Value) != `{"amount":300}` || string(orders[0].Key) != `k-{"amount":300}` {
		t.Fatalf("orders: %+v", orders)
	}
	if len(payments) != 1 || len(payments[0].Headers) != 1 || payments[0].Headers[0].Key != "kafka_dlt-original-topic" {
		t.Fatalf("payments (trace and kafka_dlt-exception-* dropped, origin kept): %+v", payments)
	}

	// Unfiltered: the missing target blocks execution; --to sends all.
	all := RedriveRequest{Topic: "orders.DLT"}
	plan, err = PlanRedrive(ctx, c, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Problems()) != 1 || !strings.Contains(plan.Problems()[0], `"gone": does not exist`) {
		t.Fatalf("problems: %v", plan.Problems())
	}
	if _, err := ExecuteRedrive(ctx, c, env, all, plan, nil); !errors.Is(err, replay.ErrRefused) {
		t.Fatalf("execute with a missing target: %v", err)
	}
	to := RedriveRequest{Topic: "orders.DLT", To: "manual", Only: []RecordRef{{0, 0}, {1, 1}}}
	plan, err = PlanRedrive(ctx, c, to)
	if err != nil || plan.ToProduce() != 2 {
		t.Fatalf("selection plan: %+v %v", plan, err)
	}
	if _, err := ExecuteRedrive(ctx, c, env, to, plan, nil); err != nil {
		t.Fatal(err)
	}
	self := RedriveRequest{Topic: "orders.DLT", To: "orders.DLT"}
	if plan, _ = PlanRedrive(ctx, c, self); len(plan.Problems()) != 1 {
		t.Fatalf("redrive into itself: %v", plan.Problems())
	}
	es := audit(t, env)
	if len(es) != 3 || es[0].Kind != replay.AuditRedriveKind || es[1].Result == "ok" || !es[2].OK() {
		t.Fatalf("audit: %+v", es)
	}
}
