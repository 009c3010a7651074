package views

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/replay"
)

// resetWorld: orders, 2 partitions x 30 records, orders/1 below 10
// deleted (as retention would); group g committed at 20 on both, stopped.
func resetWorld(t *testing.T) (*Env, *kgo.Client, string) {
	t.Helper()
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "orders", 2, nil)
	base := time.Now().Add(-time.Hour)
	for p := int32(0); p < 2; p++ {
		seq(t, cl, "orders", p, 30, base, time.Second)
	}
	adm := kadm.NewClient(cl)
	commitAt(t, adm, "g", "orders", map[int32]int64{0: 20, 1: 20})
	deleteRecords(t, adm, "orders", 1, 10)
	return env, cl, t.TempDir()
}

// startResetMode opens the reprocess flow of group g switched to
// resetting the live group (m).
func startResetMode(t *testing.T, env *Env, dir string, w int) *harness {
	t.Helper()
	h := startApp(t, env, NewReset(env, dir, "g"), w, 32)
	h.waitText(t, "Reprocess group g")
	h.keys("m")
	h.waitText(t, "reset the live group's offsets")
	return h
}

// fastReplayPoll makes replay status screens poll every 100ms for the test.
func fastReplayPoll(t *testing.T) {
	old := replayPollEvery
	replayPollEvery = 100 * time.Millisecond
	t.Cleanup(func() { replayPollEvery = old })
}

// wantCommitted fails unless group's committed offsets are want (none
// at all for an empty want); what says whose offsets they are.
func wantCommitted(t *testing.T, env *Env, group string, want replay.Offsets, what string) {
	t.Helper()
	got := committedOf(t, env, group)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: offsets of %s are %v, want %v", what, group, got, want)
	}
}

func committedOf(t *testing.T, env *Env, group string) replay.Offsets {
	t.Helper()
	o, err := env.Cluster.CommittedOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The default path in the TUI: choose a scenario, review the plan, name
// the replay group, then follow it beside the live group until it catches
// up. The live group is not touched.
func TestResetScreenReplayFlow(t *testing.T) {
	goroutinesSettle(t)
	fastReplayPoll(t)
	env, _, dir := resetWorld(t)
	before := committedOf(t, env, "g")

	h := startApp(t, env, NewReset(env, dir, "g"), 120, 32)
	h.waitText(t, "Reprocess group g", "replay beside the live group", "> to-earliest")
	h.keys("enter")
	s := h.waitText(t, "Replay plan: new group beside live group g", "to-earliest", "LIVE", "TARGET", "✓ live-untouched", "enter: create the replay group")
	lineHas(t, s, "orders", "0", "20", "0", "0", "30", "-20", "20")
	lineHas(t, s, "orders", "1", "20", "10", "10", "30", "-10", "10")
	h.keys("enter")
	h.waitText(t, "replay group name:", "g.replay.")
	h.keys("enter")
	s = h.waitText(t, "Replay g.replay.", "LIVE g", "REPLAY g.replay.", "progress", "0/50", "waiting: no consumer on the replay group")
	wantCommitted(t, env, "g", before, "the live group was touched")
	rs, err := replay.ListReplays(dir)
	if err != nil || len(rs) != 1 {
		t.Fatalf("replays: %v %v", rs, err)
	}
	wantCommitted(t, env, rs[0].Name, replay.Offsets{"orders": {0: 0, 1: 10}}, "replay group")
	assertNoEscapes(t, "replay status", s)

	// A second instance of the application runs on the replay group.
	joinAndCommit(t, env, rs[0].Name, "orders", 2, 30)
	h.waitText(t, "50/50", "100.0%", "✓ CAUGHT UP", "C: cut over (copy or keep)")
	es, _ := replay.ReadAudit(dir)
	if len(es) != 1 || es[0].Kind != replay.AuditReplayCreate || es[0].Result != "ok" {
		t.Fatalf("audit: %+v", es)
	}
}

// Resetting the live group from the TUI: the window guard, partial, the
// idempotency answer (unknown refused) and the typed group name.
func TestResetScreenGuards(t *testing.T) {
	goroutinesSettle(t)
	env, _, dir := resetWorld(t)
	h := startResetMode(t, env, dir, 120)

	// to-offset 5: orders/1 starts at 10, the window expired.
	h.keys("down", "down", "enter")
	h.waitText(t, "offset:")
	h.answer(t, "5", "Reset plan for group g", "to-offset 5", "clamped-start,EXPIRED", "✗ window", "needs offset 5 but the log starts at 10")
	h.keys("enter")
	h.waitText(t, "press p to replay what is left (PARTIAL)")
	wantCommitted(t, env, "g", replay.Offsets{"orders": {0: 20, 1: 20}}, "offsets changed")

	// p: replay what is left, labelled partial.
	h.keys("p")
	h.waitText(t, "PARTIAL: 1 partition replay only what retention left", "EXPIRED,PARTIAL", "? sink-idempotent")
	h.keys("enter")
	h.waitText(t, "is the sink of group g idempotent? (yes/no)")
	h.answer(t, "maybe", "answer yes or no (unknown is refused)")
	backspace(h, 5)
	h.answer(t, "no", "Type the group name to confirm:")
	h.answer(t, "h", "does not match the group name")
	backspace(h, 1)
	done := h.answer(t, "g", "✓ wrote the offsets of group g on 2 partitions (PARTIAL", "WRITTEN: this plan was applied")
	if strings.Contains(done, "nothing written yet") {
		t.Fatalf("still a dry run after the write:\n%s", done)
	}
	wantCommitted(t, env, "g", replay.Offsets{"orders": {0: 5, 1: 10}}, "offsets")
	es, _ := replay.ReadAudit(dir)
	if len(es) != 1 || !es[0].Partial || es[0].Confirmations != (replay.Confirmations{SinkIdempotent: "no", Confirm: "g"}) {
		t.Fatalf("audit: %+v", es)
	}

	// The audit screen shows it.
	a := startApp(t, env, NewAudit(env, dir), 120, 24)
	a.waitText(t, "1 change in", "reset", "to-offset 5", "PARTIAL", "ok", "orders/0  20 → 5", "orders/1  20 → 10", "idempotent no")
}

// An active group is refused in the TUI with its state and member count.
func TestResetScreenActiveGroupRefused(t *testing.T) {
	goroutinesSettle(t)
	env, _, dir := resetWorld(t)
	joinAndCommit(t, env, "g-live", "orders", 2, 30, kgo.ServerSideBalancer())
	h := startApp(t, env, NewReset(env, dir, "g-live"), 140, 32)
	h.keys("m", "enter")
	h.waitText(t, "Reset plan for group g-live", "KIP-848", "✗ group-inactive", "1 member")
	h.keys("enter")
	h.waitText(t, "✗ refused: group g-live is active: state Stable, 1 member")
	if strings.Contains(h.text(), "idempotent? (yes/no)") {
		t.Fatal("asked the idempotency question of an active group")
	}
}

func backspace(h *harness, n int) {
	for range n {
		h.tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
}

// A forward reset asks its own question, before idempotency: the records
// it skips are never processed by the group.
func TestResetScreenForwardResetAsksToSkip(t *testing.T) {
	goroutinesSettle(t)
	env, _, dir := resetWorld(t)
	h := startResetMode(t, env, dir, 140)
	h.keys("down", "enter") // to-latest
	h.waitText(t, "Reset plan for group g", "to-latest", "skip-accepted")
	h.keys("enter")
	h.waitText(t, "20 records will never be processed by g: type skip:")
	if strings.Contains(h.text(), "idempotent? (yes/no)") {
		t.Fatal("asked idempotency before the skip question")
	}
	h.answer(t, "yes", "type skip to accept that these records are never processed")
	backspace(h, 3)
	h.answer(t, "skip", "is the sink of group g idempotent? (yes/no)")
	h.answer(t, "yes", "✓ wrote the offsets of group g on 2 partitions")
	wantCommitted(t, env, "g", replay.Offsets{"orders": {0: 30, 1: 30}}, "offsets")
	es, _ := replay.ReadAudit(dir)
	if len(es) != 1 || !es[0].Confirmations.AcceptSkip || es[0].Confirmations.SinkIdempotent != "yes" {
		t.Fatalf("audit: %+v", es)
	}
}
