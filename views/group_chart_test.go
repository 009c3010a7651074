package views

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/replay"
)

// historyStore opens the lag history store env's cluster uses in dir.
func historyStore(t *testing.T, env *Env, dir string) *laghist.Store {
	t.Helper()
	st, err := laghist.OpenStore(context.Background(), env.Cluster, dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// startSampler runs a lag history sampler of env's cluster on dir (the
// background sampler of a rewind process) and sets it as env.Lag.
func startSampler(t *testing.T, env *Env, dir string, refresh time.Duration) (stop func()) {
	t.Helper()
	smp := laghist.NewSampler(env.Cluster, historyStore(t, env, dir), laghist.Config{Refresh: refresh,
		Eval: lag.Config{Window: 2 * time.Second}})
	end := smp.Start(context.Background())
	env.Lag = smp
	done := false
	stop = func() {
		if !done {
			done = true
			end()
			smp.Close()
		}
	}
	t.Cleanup(stop)
	return stop
}

// chartYTop is the largest y label of the chart on a screen.
func chartYTop(t *testing.T, s string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*([0-9][0-9.,kKmMsh]*)│`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no chart y label:\n%s", s)
	}
	return m[1]
}

// TestGroupChartSpans drives the group screen's chart: the spans ([ ])
// read the recorded history (written by an earlier process) of the span,
// the audit trail's resets and cut-overs of this group (and only the
// successful ones) are marked on it, and T charts the lag in time.
func TestGroupChartSpans(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t) // g-live: 3 partitions, lag 10 each now
	dir := t.TempDir()
	env.DataDir = dir
	now := time.Now()

	// An earlier rewind recorded g-live's lag: 40 per partition from 3h to
	// 90 minutes ago, then 20 until 10 minutes ago (a time lag of 2h, then
	// 1h).
	st := historyStore(t, env, dir)
	if ok, err := st.TryLead(); !ok || err != nil {
		t.Fatalf("lead the history: %v %v", ok, err)
	}
	for at := now.Add(-3 * time.Hour); at.Before(now.Add(-10 * time.Minute)); at = at.Add(30 * time.Second) {
		committed, tl := int64(0), 2*time.Hour
		if at.After(now.Add(-90 * time.Minute)) {
			committed, tl = 20, time.Hour
		}
		gt := laghist.GroupTick{Group: "g-live"}
		for p := int32(0); p < 3; p++ {
			gt.Parts = append(gt.Parts, laghist.PartTick{Topic: "orders", Partition: p, Committed: committed, HighWatermark: 40,
				Active: true, TimeLag: tl, TimeLagSource: "record"})
		}
		if err := st.Append(&laghist.Tick{At: at, Interval: 30 * time.Second, Groups: []laghist.GroupTick{gt}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	// The audit trail: a reset 30 minutes ago and a cut-over 2h ago of
	// g-live; a refused reset and another group's reset are not marked.
	audit := func(ago time.Duration, kind, group, scenario, mode, result string) {
		e := &replay.AuditEntry{Time: now.Add(-ago).UTC(), Kind: kind, Group: group, Source: group, Scenario: scenario,
			Mode: mode, Result: result, Cluster: env.Cluster.Addr()}
		if err := replay.AppendAudit(dir, e); err != nil {
			t.Fatal(err)
		}
	}
	audit(30*time.Minute, replay.AuditReset, "g-live", "to-earliest", "", "ok")
	audit(2*time.Hour, replay.AuditCutover, "g-live", "by-duration 1h", "copy", "ok")
	audit(20*time.Minute, replay.AuditReset, "g-live", "to-latest", "", "refused: the group is live")
	audit(25*time.Minute, replay.AuditReset, "g-empty", "to-offset 5", "", "ok")

	startSampler(t, env, dir, 200*time.Millisecond)
	h := startApp(t, env, NewGroup(env, "g-live", WithRefresh(200*time.Millisecond)), 160, 45)

	// 1h by default: the last hour of the history (lag 60), the reset
	// marked on the chart and named above it; not the cut-over (2h ago),
	// nor the refused reset, nor g-empty's.
	s := h.waitText(t, "[1h]", "R ", "reset to-earliest")
	t.Log("\n" + s)
	if got := chartYTop(t, s); got != "60" {
		t.Fatalf("1h chart tops at %s, want 60 (recorded)", got)
	}
	if strings.Contains(s, "cut-over") || strings.Contains(s, "to-latest") || strings.Contains(s, "to-offset") {
		t.Fatalf("a marker that does not belong in 1h of g-live:\n%s", s)
	}
	if !regexp.MustCompile(`(?m)│.*R`).MatchString(s) {
		t.Fatalf("no R marker on the chart:\n%s", s)
	}

	// 24h: the older, larger lag and the cut-over.
	h.keys("]")
	s = h.waitFor(t, "24h with the cut-over", func(s string) bool {
		return strings.Contains(s, "[24h]") && strings.Contains(s, "C ") && strings.Contains(s, "cut-over copy") &&
			strings.Contains(s, "120│")
	})
	t.Log("\n" + s)

	// 5m: only what this process sampled (lag 30), no markers.
	h.keys("[", "[")
	s = h.waitFor(t, "5m of live samples", func(s string) bool {
		return strings.Contains(s, "[5m]") && !strings.Contains(s, "collecting samples") && strings.Contains(s, "30│")
	})
	if strings.Contains(s, "reset to-earliest") {
		t.Fatalf("a 30-minute-old reset on the 5m chart:\n%s", s)
	}
	if got := chartYTop(t, s); got != "30" {
		t.Fatalf("5m chart tops at %s, want 30 (live)", got)
	}

	// T: the lag in time; over 1h the recorded 1h time lag and the live
	// one (the records are an hour old).
	h.keys("]", "T")
	s = h.waitFor(t, "time lag over 1h", func(s string) bool {
		return strings.Contains(s, "[1h]") && strings.Contains(s, "time lag  ([ ]") && regexp.MustCompile(`(?m)^\s*1h\d*m?│`).MatchString(s)
	})
	t.Log("\n" + s)

	// 80x24: the chart is a sparkline over the span, with the newest
	// marker.
	h.keys("T")
	h.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	s = h.waitFor(t, "sparkline over 1h with the reset", func(s string) bool {
		return strings.Contains(s, "lag history 1h") && strings.Contains(s, "R ") && strings.Contains(s, "reset")
	})
	t.Log("\n" + s)
	assertNoEscapes(t, "group chart", h.raw())
	h.quit(t)
}

// TestGroupChartKeptOverRestart: rewind samples in the background, exits,
// and a new rewind's group screen opens with the chart of before the
// restart (from the recorded history), not an empty one.
func TestGroupChartKeptOverRestart(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	dir := t.TempDir()
	env.DataDir = dir
	stop := startSampler(t, env, dir, 100*time.Millisecond)
	began := time.Now()
	testkit.WaitFor(t, "5s of recorded samples", func() (bool, string) {
		at, _ := env.Lag.Totals("g-live")
		if len(at) < 2 {
			return false, "no samples yet"
		}
		return at[len(at)-1].Sub(at[0]) >= 5*time.Second, at[len(at)-1].Sub(at[0]).String()
	})
	stop() // the process exits
	ran := time.Since(began)

	// A new process: a new monitor (env) and sampler on the same data dir.
	env2 := &Env{Cluster: env.Cluster, Theme: env.Theme, DataDir: dir}
	startSampler(t, env2, dir, 100*time.Millisecond)
	h := startApp(t, env2, NewGroup(env2, "g-live", WithRefresh(time.Hour)), 80, 24)
	h.keys("[") // 5m
	s := h.waitText(t, "lag history 5m", "last ")
	m := regexp.MustCompile(`last (\d+)s`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no span covered:\n%s", s)
	}
	if n, _ := strconv.Atoi(m[1]); n < 5 {
		t.Fatalf("after a restart the chart covers %ss, want the %s recorded before it:\n%s", m[1], ran.Round(time.Second), s)
	}
	t.Log("\n" + s)
	h.quit(t)
}
