package views

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// Deleting a group from the groups and group screens: refused while it
// has members (nothing asked to type), allowed when empty after its name
// is typed; its offsets on one topic can go on their own. Each write is
// audited with the offsets it removed.
func TestGroupAdminFlows(t *testing.T) {
	goroutinesSettle(t)
	env, cl := dataEnv(t)
	createTopic(t, cl, "orders", 2, nil)
	createTopic(t, cl, "payments", 1, nil)
	seq(t, cl, "orders", 0, 20, time.Now(), time.Millisecond)
	seq(t, cl, "payments", 0, 20, time.Now(), time.Millisecond)
	adm := kadm.NewClient(cl)
	commitAt(t, adm, "g-idle", "orders", map[int32]int64{0: 5, 1: 0})
	commitAt(t, adm, "g-idle", "payments", map[int32]int64{0: 7})
	joinAndCommit(t, env, "g-live", "payments", 1, 10)

	h := startApp(t, env, NewGroups(env, ""), 140, 30)
	h.waitText(t, "g-idle", "g-live")

	// A group with a member is refused at the preview: no confirmation.
	h.keys("/")
	h.answer(t, "g-live", "1 group of")
	h.keys("D")
	s := h.waitText(t, "Delete consumer group g-live", `✗ refused: group "g-live" is active`, "stop its consumers first")
	if strings.Contains(s, "to confirm") {
		t.Fatalf("asked to confirm deleting an active group:\n%s", s)
	}
	h.keys("esc")
	h.waitText(t, "1 group of")
	h.keys("esc") // clear the filter

	// Delete g-idle's offsets on payments from its group screen.
	h.keys("/")
	h.typeText("g-idle")
	h.keys("enter", "enter")
	h.waitText(t, "g-idle · Empty", "PARTITIONS 3")
	h.keys("O")
	h.waitText(t, "Delete the committed offsets of group g-idle on one topic", "topic:")
	backspace(h, 20)
	h.answer(t, "payments", "payments: committed on 1 partition: p0@7", "type g-idle to confirm")
	h.answer(t, "g-idle", "✓ written: deleted the offsets of group g-idle on payments")
	offs, err := env.Cluster.CommittedOffsets(context.Background(), "g-idle")
	if err != nil || len(offs["payments"]) != 0 || offs["orders"][0] != 5 {
		t.Fatalf("offsets after delete-offsets: %v %v", offs, err)
	}
	h.keys("esc")
	h.waitText(t, "g-idle · Empty", "PARTITIONS 2")

	// Delete the (empty) group itself.
	h.keys("D")
	h.waitText(t, "group g-idle: state Empty, 0 members", "orders: committed on 2 partitions: p0@5 p1@0", "type g-idle to confirm")
	h.answer(t, "g-idl", `does not match "g-idle"`)
	h.answer(t, "e", "✓ written: deleted group g-idle", "audited in audit.jsonl")
	if offs, err := env.Cluster.CommittedOffsets(context.Background(), "g-idle"); err != nil || len(offs) != 0 {
		t.Fatalf("g-idle still has offsets: %v %v", offs, err)
	}
	es, err := replay.ReadAudit(env.DataDir)
	if err != nil || len(es) != 2 {
		t.Fatalf("audit: %v %v", es, err)
	}
	if es[0].Kind != replay.AuditDeleteOffsets || es[0].Topic != "payments" || !es[0].OK() || len(es[0].Partitions) != 1 {
		t.Fatalf("delete-offsets entry: %+v", es[0])
	}
	if es[1].Kind != replay.AuditDelete || es[1].Group != "g-idle" || !es[1].OK() || len(es[1].Partitions) != 2 ||
		es[1].Confirmations.Confirm != "g-idle" {
		t.Fatalf("delete entry: %+v", es[1])
	}
	h.quit(t)
}

// :audit opens an entry to show every field: result, kind, actor, cluster,
// the typed confirmation, each partition before → after; n/p step.
func TestAuditEntryDetail(t *testing.T) {
	goroutinesSettle(t)
	env, cl := dataEnv(t)
	createTopic(t, cl, "orders", 2, nil)
	seq(t, cl, "orders", 0, 20, time.Now(), time.Millisecond)
	commitAt(t, kadm.NewClient(cl), "g-old", "orders", map[int32]int64{0: 12, 1: 0})
	ctx := context.Background()
	if _, err := admin.DeleteGroup(ctx, env.Cluster, env.auditEnv(), "g-old", "g-old"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.CreateTopic(ctx, env.Cluster, env.auditEnv(), backend.TopicSpec{Name: "audit-t", Partitions: 2,
		Configs: map[string]string{"retention.ms": "60000"}}); err != nil {
		t.Fatal(err)
	}
	h := startApp(t, env, NewAudit(env, env.DataDir), 120, 30)
	h.waitText(t, "2 changes in", "topic-create", "delete")
	h.keys("enter") // the newest: the topic
	s := h.waitText(t, "Audit entry 2 of 2", "result           ok", "kind             topic-create", "topic            audit-t", "2 configs")
	lineHas(t, s, "retention.ms", "(none)", `"60000"`)
	lineHas(t, s, "partitions", "(none)", `"2"`)
	h.keys("n")
	s = h.waitText(t, "Audit entry 1 of 2", "kind             delete", "group            g-old", "typed            g-old", "2 partitions: before → after")
	lineHas(t, s, "orders/0", "12", "none")
	lineHas(t, s, "orders/1", "0", "none")
	lineHas(t, s, "cluster", env.Cluster.Addr())
	h.quit(t)
}

// The selected row of :groups keeps its highlight on the coloured STATUS
// cell: the cell's colour is drawn over the selection's style, not after
// a reset.
func TestGroupsSelectedRowHighlightSurvivesStatus(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	h := startApp(t, env, NewGroups(env, ""), 120, 20)
	h.waitLine(t, "LOST", "g-lost")
	raw := ""
	for _, l := range strings.Split(h.raw(), "\n") {
		if strings.Contains(l, "g-lost") {
			raw = l
			break
		}
	}
	sel := leadingSGR.FindString(raw)
	i := strings.Index(raw, "LOST")
	if sel == "" || i < 0 || strings.LastIndex(raw[:i], sel) < strings.LastIndex(raw[:i], "\x1b[m") {
		t.Fatalf("the STATUS cell of the selected row is not under the selection style %q: %q", sel, raw)
	}
	h.quit(t)
}

// Deleting a group's offsets while it has members: refused with Kafka's
// reason for the topic they consume (nothing asked to type), allowed with a
// warning for a topic none of them consumes.
func TestGroupOffsetsDeleteWithMembers(t *testing.T) {
	goroutinesSettle(t)
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 2, nil)
	createTopic(t, cl, "payments", 1, nil)
	seq(t, cl, "payments", 0, 20, time.Now(), time.Millisecond)
	commitAt(t, kadm.NewClient(cl), "g-live", "orders", map[int32]int64{0: 5, 1: 0}) // before it has members
	liveMember(t, env, "g-live", "payments")                                         // joinAndCommit's settle check would count orders' commits too

	h := startApp(t, env, NewGroupOffsetsDelete(env, "g-live", "payments"), 140, 30)
	h.waitText(t, "topic:")
	h.keys("enter")
	s := h.waitText(t, `✗ refused: group "g-live" has 1 member`, `consuming "payments"`, "GROUP_SUBSCRIBED_TO_TOPIC")
	if strings.Contains(s, "to confirm") {
		t.Fatalf("asked to confirm deleting the offsets of a consumed topic:\n%s", s)
	}
	h.keys("e")
	h.waitText(t, "topic:")
	backspace(h, 20)
	h.answer(t, "orders", "g-live has 1 member (none consuming orders)", "type g-live to confirm")
	h.answer(t, "g-live", "✓ written: deleted the offsets of group g-live on orders")
	offs, err := env.Cluster.CommittedOffsets(context.Background(), "g-live")
	if err != nil || len(offs["orders"]) != 0 {
		t.Fatalf("offsets after delete-offsets: %v %v", offs, err)
	}
	// The backend refuses on its own too, with the same reason.
	_, err = admin.DeleteGroupOffsets(context.Background(), env.Cluster, env.auditEnv(), "g-live", "payments", "g-live")
	if !errors.Is(err, replay.ErrRefused) || !strings.Contains(err.Error(), "GROUP_SUBSCRIBED_TO_TOPIC") {
		t.Fatalf("backend delete of a consumed topic's offsets: %v", err)
	}
	h.quit(t)
}

// waitUntil polls cond (a cluster state, not a screen) for up to 30s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// liveMember joins group consuming topic (auto-commit on) and waits until
// the group is Stable with it and has committed on topic.
func liveMember(t *testing.T, env *Env, group, topic string) {
	t.Helper()
	m, err := kgo.NewClient(kgo.SeedBrokers(env.Cluster.Brokers()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.AutoCommitInterval(100*time.Millisecond), kgo.FetchMaxWait(100*time.Millisecond), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	go func() {
		for ctx := context.Background(); ; {
			if fs := m.PollFetches(ctx); fs.IsClientClosed() {
				return
			}
		}
	}()
	waitUntil(t, group+" stable with 1 member and a commit on "+topic, func() bool {
		st, n, _, err := env.Cluster.GroupState(context.Background(), group)
		offs, oerr := env.Cluster.CommittedOffsets(context.Background(), group)
		return err == nil && oerr == nil && st == "Stable" && n == 1 && len(offs[topic]) > 0
	})
}
