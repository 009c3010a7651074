package views

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/rewind-log/rewind/replay"
)

// startTestReplay starts replay group name of group beside it, from the
// earliest offsets of orders, as the CLI's replay start would.
func startTestReplay(t *testing.T, env *Env, dir, group, name string) *replay.Replay {
	t.Helper()
	ctx := context.Background()
	sc, err := replay.ParseScenario(replay.ToEarliest, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	scope, err := replay.ParseScope([]string{"orders"}, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := replay.BuildPlan(ctx, env.Cluster, replay.Request{Kind: replay.PlanReplay, Group: group, Target: name,
		Scope: scope, Scenario: sc, AllowPartial: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := replay.StartReplay(ctx, env.Cluster, replay.Env{DataDir: dir}, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The replay lifecycle in the TUI: follow a replay; cutting over before it
// caught up is refused at the preview; once its group committed the
// window's end it cuts over by copy (idempotency asked, the live group's
// name typed for "no"), the live group gets the replay's offsets and the
// replay group is deleted; the state line says written; all audited.
func TestReplayCutoverCopyInTUI(t *testing.T) {
	goroutinesSettle(t)
	fastReplayPoll(t)
	env, cl, dir := resetWorld(t)
	env.DataDir = dir
	startTestReplay(t, env, dir, "g", "g.replay.t")

	h := startApp(t, env, NewReplayStatus(env, dir, "g.replay.t"), 140, 32)
	h.waitText(t, "Replay g.replay.t of group g", "waiting: no consumer")
	h.keys("C")
	h.waitText(t, "Cut over replay g.replay.t", "copy or keep:")
	h.answer(t, "copy", "is the live group's sink idempotent?")
	h.answer(t, "no", `✗ refused: replay "g.replay.t" has not caught up with live group "g"`)
	h.keys("esc")

	// The replay's consumer read the whole window and left.
	commitAt(t, kadm.NewClient(cl), "g.replay.t", "orders", map[int32]int64{0: 30, 1: 30})
	h.waitText(t, "✓ CAUGHT UP", "C: cut over")
	h.keys("C")
	h.waitText(t, "copy or keep:")
	h.typeText("copy")
	h.keys("enter")
	h.typeText("no")
	h.keys("enter")
	h.waitText(t, "copy the offsets of g.replay.t onto live group g on 2 partitions, then delete replay group g.replay.t",
		"processed again by g", "type g to confirm")
	wantCommitted(t, env, "g", replay.Offsets{"orders": {0: 20, 1: 20}}, "live group changed before the confirmation")
	h.answer(t, "g", "✓ written: copied the offsets of g.replay.t onto live group g; deleted replay group g.replay.t")
	wantCommitted(t, env, "g", replay.Offsets{"orders": {0: 30, 1: 30}}, "live group after cut-over")
	wantCommitted(t, env, "g.replay.t", nil, "replay group still has offsets")
	es, _ := replay.ReadAudit(dir)
	kinds := []string{}
	for _, e := range es {
		kinds = append(kinds, e.Kind+" "+e.Group+" "+e.Result)
	}
	want := []string{"replay-create g.replay.t ok", "cutover g ok", "delete g.replay.t ok"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("audit %v, want %v", kinds, want)
	}
	if c := es[1].Confirmations; c.SinkIdempotent != "no" || c.Confirm != "g" {
		t.Fatalf("cut-over confirmations %+v", c)
	}
	h.keys("esc")
	h.waitText(t, "cut over (copied)")
	h.quit(t)
}

// Keep: the replay group stays, the live group is deleted once its name
// is typed; a replay abandoned before cut-over is deleted by name.
func TestReplayCutoverKeepAndDelete(t *testing.T) {
	goroutinesSettle(t)
	env, cl, dir := resetWorld(t)
	env.DataDir = dir
	startTestReplay(t, env, dir, "g", "g.replay.keep")
	commitAt(t, kadm.NewClient(cl), "g.replay.keep", "orders", map[int32]int64{0: 30, 1: 30})

	h := startApp(t, env, NewReplayCutover(env, dir, "g.replay.keep"), 140, 32)
	h.answer(t, "keep", "keep g.replay.keep as the group in use; delete live group g", "group.id=g.replay.keep", "type g to confirm") // no idempotency question for keep
	h.answer(t, "g", "✓ written: kept g.replay.keep as the group in use; deleted the old live group g")
	wantCommitted(t, env, "g", nil, "live group still has offsets")
	wantCommitted(t, env, "g.replay.keep", replay.Offsets{"orders": {0: 30, 1: 30}}, "kept group")
	h.quit(t)

	// A promoted replay cannot be deleted as a replay.
	d := startApp(t, env, NewReplayDelete(env, dir, "g.replay.keep"), 140, 32)
	d.waitText(t, `✗ refused: replay "g.replay.keep" was kept by cut-over`)
	d.quit(t)

	commitAt(t, kadm.NewClient(cl), "g2", "orders", map[int32]int64{0: 10, 1: 10})
	startTestReplay(t, env, dir, "g2", "g2.replay")
	e := startApp(t, env, NewReplayDelete(env, dir, "g2.replay"), 140, 32)
	e.waitText(t, "replay group g2.replay (running, beside live group g2)", "the replay's progress is lost", "type g2.replay to confirm")
	e.answer(t, "g2.replay", "✓ written: deleted replay group g2.replay")
	wantCommitted(t, env, "g2.replay", nil, "replay group still has offsets")
	wantCommitted(t, env, "g2", replay.Offsets{"orders": {0: 10, 1: 10}}, "live group g2 touched")
	e.quit(t)
}
