package views

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/themes"
)

// TestLagScreensFromHistory: with recorded history, a group consuming more
// slowly than its topic is produced is flagged BEHIND on the first frame
// the groups screen draws (one refresh), with its reason and the history
// it rests on; a restarted rewind (a new sampler on the same data dir)
// gets it from the history, not from what it has seen itself.
func TestLagScreensFromHistory(t *testing.T) {
	goroutinesSettle(t)
	b := testkit.NewBroker(t)
	b.CreateTopic("events", 3, nil)
	b.Traffic("events", 3, 100*time.Millisecond)       // 30/s
	b.Consumer("fast", "events", 0)                    // keeps up
	b.Consumer("slow", "events", 133*time.Millisecond) // 7.5/s
	c := connectTest(t, backend.Options{Brokers: b.Addrs()})
	dir := t.TempDir()
	// rewind's own groups: a replay and two runs of one projection.
	b.Commit("slow.replay.20260901-120000", "events", map[int32]int64{0: 1})
	b.Commit("rewind.projection.revenue_by_customer.v1", "events", map[int32]int64{0: 1})
	b.Commit("rewind.projection.revenue_by_customer.v2", "events", map[int32]int64{0: 1})
	cfg := laghist.Config{Refresh: 100 * time.Millisecond, Eval: lag.Config{Window: 2 * time.Second, RateHorizon: time.Minute},
		Role: func(g string) (lag.Status, string) {
			switch {
			case strings.Contains(g, ".replay."):
				return lag.Replay, "replay of slow"
			case strings.HasPrefix(g, "rewind.projection."):
				return lag.Projection, "projection revenue_by_customer"
			}
			return "", ""
		}}
	newSampler := func() *laghist.Sampler {
		id, err := c.ClusterID(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st, err := laghist.Open(dir, laghist.Key(id, c.Brokers()), laghist.Options{DownStep: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return laghist.NewSampler(c, st, cfg)
	}

	// rewind ran for a while (on other screens): history was recorded.
	first := newSampler()
	stop := first.Start(context.Background())
	testkit.WaitFor(t, "recorded history judging slow BEHIND", func() (bool, string) {
		g, ok := first.Snapshot().Group("slow")
		if !ok {
			return false, "no slow yet"
		}
		return g.Verdict.Status == lag.Behind && g.Verdict.Basis > 8*time.Second, fmt.Sprint(g.Verdict)
	})
	stop()
	first.Close()

	// rewind restarts and the operator opens :groups.
	second := newSampler()
	stop2 := second.Start(context.Background())
	t.Cleanup(func() { stop2(); second.Close() })
	th, _ := themes.Get("no-color")
	env := &Env{Cluster: c, Theme: th, Lag: second}
	h := startApp(t, env, NewGroups(env, "", WithRefresh(time.Second)), 160, 24)
	s := h.waitText(t, "slow", "fast")
	lineHas(t, s, "BEHIND", "slow")
	lineHas(t, s, "OK", "fast")
	// rewind's own groups are set apart: hidden, counted, never STOP.
	if !strings.Contains(s, "3 rewind groups hidden (o)") || strings.Contains(s, "replay.2026") || strings.Contains(s, "STOP") {
		t.Fatalf("own groups not hidden:\n%s", s)
	}
	h.keys("o")
	s = h.waitText(t, "slow.replay.20260901-120000", "rewind.projection.revenue_by_customer.v2")
	lineHas(t, s, "replay", "slow.replay.20260901-120000")
	lineHas(t, s, "project", "rewind.projection.revenue_by_customer.v1")
	if strings.Contains(s, "STOP") || strings.Contains(s, "hidden (o)") {
		t.Fatalf("an own group raised STOP, or still counted hidden:\n%s", s)
	}
	h.keys("o")
	h.waitFor(t, "own groups hidden again", func(s string) bool {
		return !strings.Contains(s, "replay.2026") && strings.Contains(s, "3 rewind groups hidden (o)")
	})

	// The group screen says why, and on how much history.
	h.keys("/")
	h.typeText("slow")
	h.keys("enter")
	h.waitFor(t, "filtered to slow", func(s string) bool { return !strings.Contains(s, "fast") })
	// The list says why under the table, and on how much history.
	h.waitText(t, "slow · BEHIND: falling behind: consuming", "(based on ")
	h.keys("enter")
	s = h.waitText(t, "verdict BEHIND", "falling behind: consuming", "based on ")
	t.Log("\n" + s)
	h.quit(t)

	// At 80 columns the two projection runs stay distinguishable: long
	// names are cut in the middle, keeping the end.
	n := startApp(t, env, NewGroups(env, "", WithRefresh(time.Second)), 80, 24)
	n.waitText(t, "slow", "fast")
	n.keys("o")
	s = n.waitText(t, "ustomer.v1", "ustomer.v2", "rewin…")
	t.Log("\n" + s)
	n.quit(t)
}
