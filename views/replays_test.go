package views

import (
	"context"
	"testing"
	"time"

	"github.com/rewind-log/rewind/replay"
)

// :replays lists the replay groups recorded in the data dir and reopens the
// side-by-side view of one (it was reachable only right after creating it).
func TestReplaysScreenReopensSideBySide(t *testing.T) {
	goroutinesSettle(t)
	env, _, dir := resetWorld(t)
	ctx := context.Background()
	sc, err := replay.ParseScenario(replay.ToEarliest, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	scope, err := replay.ParseScope([]string{"orders"}, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := replay.BuildPlan(ctx, env.Cluster, replay.Request{Kind: replay.PlanReplay, Group: "g", Target: "g.replay.test",
		Scope: scope, Scenario: sc, AllowPartial: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := replay.StartReplay(ctx, env.Cluster, replay.Env{DataDir: dir}, p); err != nil {
		t.Fatal(err)
	}

	h := startApp(t, env, NewReplays(env, dir), 120, 24)
	s := h.waitText(t, "1 replay in", "g.replay.test", "orders", "running")
	lineHas(t, s, "g.replay.test", "g", "orders", "to-earliest", "50", "running")
	h.keys("enter")
	h.waitText(t, "Replay g.replay.test", "LIVE g", "REPLAY g.replay.test", "progress")
	h.quit(t)
}
