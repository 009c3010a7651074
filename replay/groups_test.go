package replay

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func replayPlan(w *world, live, name string, k Kind, arg string, partial bool) *Plan {
	w.t.Helper()
	return w.plan(Request{Kind: PlanReplay, Group: live, Target: name, Scope: orders(), Scenario: scen(w.t, k, arg), AllowPartial: partial})
}

// The default path: a replay group beside a running live group, which is
// not touched; status follows the replay as a consumer works through the
// window; cut-over copy once caught up.
func TestReplayCreateStatusCutoverCopy(t *testing.T) {
	noGoroutineLeak(t)
	w := newWorld(t)
	ctx := context.Background()

	// The live group is running (a member) and has read everything.
	live := w.consume("live")
	defer live.Close()
	w.waitMembers("live", 1)
	liveBefore := w.rawOffsets("live")

	name := DefaultReplayName("live", time.Now())
	if !regexp.MustCompile(`^live\.replay\.\d{8}-\d{6}$`).MatchString(name) {
		t.Fatalf("default name %q", name)
	}
	// The window reaches before orders/2's log start: refused ...
	p := replayPlan(w, "live", name, ToEarliest, "", false)
	if p.WindowRefusal() != nil {
		t.Fatal("to-earliest never expires")
	}
	_, _, err := StartReplay(ctx, w.c, w.env, replayPlan(w, "live", name, ToOffset, "0", false))
	wantRefused(t, err, GuardWindow, "orders/2")
	if _, err := os.Stat(filepath.Join(w.env.DataDir, ReplaysDir)); err == nil {
		if rs, _ := ListReplays(w.env.DataDir); len(rs) != 0 {
			t.Fatalf("refused replay left metadata: %v", rs)
		}
	}

	r, entry, err := StartReplay(ctx, w.c, w.env, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != name || r.Group != "live" || r.State != StateRunning || r.Window() != 100+100+60 || r.Partial {
		t.Fatalf("replay: %+v", r)
	}
	if entry.Kind != AuditReplayCreate || entry.Group != name || entry.Source != "live" || entry.Result != "ok" || *entry.Partitions[2].After != 40 {
		t.Fatalf("audit: %+v", entry)
	}
	wantEqual(t, "replay group offsets", w.committed(name), Offsets{"orders": {0: 0, 1: 0, 2: 40}})
	wantEqual(t, "live group untouched", w.rawOffsets("live"), liveBefore)
	got, err := LoadReplay(w.env.DataDir, name)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "metadata", got.Starts(), r.Starts())
	if got.Partitions[0].WindowEnd != 100 || got.Partitions[0].LiveAtStart != 100 {
		t.Fatalf("metadata partitions: %+v", got.Partitions)
	}

	// The name is taken now; an existing group with commits is refused.
	_, _, err = StartReplay(ctx, w.c, w.env, p)
	wantRefused(t, err, GuardGroupExists, "already exists")
	w.commit("taken", map[int32]int64{0: 1})
	_, _, err = StartReplay(ctx, w.c, w.env, replayPlan(w, "live", "taken", ToEarliest, "", false))
	wantRefused(t, err, GuardGroupExists, `group "taken" already exists with committed offsets on 1 partition`)
	_, _, err = StartReplay(ctx, w.c, w.env, replayPlan(w, "live", "live", ToEarliest, "", false))
	wantRefused(t, err, GuardGroupExists, "not the live group")

	// Status before the replay consumer runs: nothing consumed.
	st, err := ReplayStatus(ctx, w.c, r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Consumed != 0 || st.Window != 260 || st.Progress != 0 || st.CaughtUp || st.ReplayLag != 260 || st.LiveLag != 0 || st.LiveMembers != 1 {
		t.Fatalf("status before: %+v", st)
	}
	prev := Sample{At: st.At, Consumed: st.Consumed}

	// More traffic arrives; the live consumer keeps up. The replay's
	// window stays what it was at creation.
	w.produce(10)
	live.Close()
	live = w.consume("live")
	defer live.Close()

	// A consumer runs on the replay group and works through the window.
	rc := w.consume(name)
	w.waitMembers(name, 1)
	st, err = ReplayStatus(ctx, w.c, r, prev.At.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	st.Estimate(&prev)
	if st.Consumed != 260 || st.Progress != 1 || !st.CaughtUp || st.ReplayLag != 0 || st.ReplayMembers != 1 {
		t.Fatalf("status after: %+v", st)
	}
	if st.Rate != 130 {
		t.Fatalf("rate: %v", st.Rate)
	}
	if eta, ok := st.ETA(); !ok || eta != 0 {
		t.Fatalf("eta at the end of the window: %v %v", eta, ok)
	}

	// Delete is refused while the replay consumer is a member.
	_, err = DeleteReplay(ctx, w.c, w.env, name)
	wantRefused(t, err, GuardGroupActive, "replay group", "1 member")

	// Cut-over copy: the replay group must be stopped (its position is
	// final), then the live group, and the idempotency answer given.
	_, err = Cutover(ctx, w.c, w.env, name, CutoverCopy, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardGroupActive, "replay group")
	rc.Close()
	w.waitMembers(name, 0)
	_, err = Cutover(ctx, w.c, w.env, name, CutoverCopy, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardGroupActive, `live group "live" is active`)
	live.Close()
	w.waitMembers("live", 0)
	_, err = Cutover(ctx, w.c, w.env, name, CutoverCopy, Confirmations{})
	wantRefused(t, err, GuardSinkIdempotent)

	replayOffsets := w.committed(name)
	es, err := Cutover(ctx, w.c, w.env, name, CutoverCopy, Confirmations{SinkIdempotent: "no", Confirm: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Kind != AuditCutover || es[0].Mode != CutoverCopy || es[1].Kind != AuditDelete || es[1].Group != name || !es[1].OK() {
		t.Fatalf("cut-over entries: %+v", es)
	}
	wantEqual(t, "live offsets after copy", w.committed("live"), replayOffsets)
	if st, n, _, _ := w.c.GroupState(ctx, name); st != "Dead" || n != 0 {
		t.Fatalf("replay group after cut-over copy: %s %d", st, n)
	}
	got, _ = LoadReplay(w.env.DataDir, name)
	if got.State != StateCopied || got.CutoverAt.IsZero() {
		t.Fatalf("state after copy: %+v", got)
	}
	_, err = Cutover(ctx, w.c, w.env, name, CutoverCopy, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardState, "already cut over")

	// Deleting a copied replay only removes its metadata.
	if _, err := DeleteReplay(ctx, w.c, w.env, name); err != nil {
		t.Fatal(err)
	}
	if rs, _ := ListReplays(w.env.DataDir); len(rs) != 0 {
		t.Fatalf("replays after delete: %v", rs)
	}

	kinds := []string{}
	for _, e := range w.audit() {
		kinds = append(kinds, e.Kind+":"+strings.SplitN(e.Result, ":", 2)[0])
	}
	wantEqual(t, "audit trail", kinds, []string{
		"replay-create:refused", "replay-create:ok", "replay-create:refused", "replay-create:refused",
		"delete:refused", "cutover:refused", "cutover:refused", "cutover:refused",
		"cutover:ok", "delete:ok", "delete:ok",
	})
}

// Cut-over keep: the replay group becomes the group in use; the live
// group is deleted only when it has no members.
func TestReplayCutoverKeepAndPartial(t *testing.T) {
	noGoroutineLeak(t)
	w := newWorld(t)
	ctx := context.Background()
	w.commit("live", map[int32]int64{0: 90, 1: 90, 2: 90})

	// A window before orders/2's log start, accepted as partial.
	_, _, err := StartReplay(ctx, w.c, w.env, replayPlan(w, "live", "rp", ShiftBy, "-80", false))
	wantRefused(t, err, GuardWindow, "orders/2: needs offset 10 but the log starts at 40")
	r, entry, err := StartReplay(ctx, w.c, w.env, replayPlan(w, "live", "rp", ShiftBy, "-80", true))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Partial || !entry.Partial || r.Scenario != "shift-by -80" {
		t.Fatalf("partial replay: %+v %+v", r, entry)
	}
	wantEqual(t, "replay targets", w.committed("rp"), Offsets{"orders": {0: 10, 1: 10, 2: 40}})
	st, err := ReplayStatus(ctx, w.c, r, time.Now())
	if err != nil || !st.Partial || st.CaughtUp {
		t.Fatalf("status: %+v %v", st, err)
	}

	// Not caught up: cut-over refused, per partition.
	_, err = Cutover(ctx, w.c, w.env, "rp", CutoverKeep, Confirmations{Confirm: "live"})
	wantRefused(t, err, GuardCaughtUp, "orders/0: replay at 10 of window end 100, replay lag 90, live lag 10")

	rc := w.consume("rp")
	defer rc.Close()
	w.waitMembers("rp", 1)
	// The replay consumer keeps running: keep mode does not need it
	// stopped. The live group has none: it is deleted, once its name is
	// typed.
	_, err = Cutover(ctx, w.c, w.env, "rp", CutoverKeep, Confirmations{})
	wantRefused(t, err, GuardConfirm, `deletes live group "live"`, "--confirm live")
	_, err = Cutover(ctx, w.c, w.env, "rp", CutoverKeep, Confirmations{Confirm: "liv"})
	wantRefused(t, err, GuardConfirm, `"liv" does not match live group "live"`)
	if len(w.committed("live")) == 0 {
		t.Fatal("a refused keep deleted the live group")
	}
	es, err := Cutover(ctx, w.c, w.env, "rp", CutoverKeep, Confirmations{Confirm: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Mode != CutoverKeep || es[0].Group != "live" || *es[0].Partitions[0].Before != 90 || es[0].Partitions[0].After != nil || !es[0].Partial {
		t.Fatalf("keep entry: %+v", es[0])
	}
	if got := w.committed("live"); len(got) != 0 {
		t.Fatalf("live group after keep: %v", got)
	}
	if len(w.committed("rp")["orders"]) != 3 {
		t.Fatal("replay group lost its offsets")
	}
	got, _ := LoadReplay(w.env.DataDir, "rp")
	if got.State != StatePromoted {
		t.Fatalf("state: %s", got.State)
	}
	// It is the group in use now, not a replay.
	rc.Close()
	_, err = DeleteReplay(ctx, w.c, w.env, "rp")
	wantRefused(t, err, GuardState, "group in use")
}

func TestReplayKeepRefusedWhileLiveActive(t *testing.T) {
	noGoroutineLeak(t)
	w := newWorld(t)
	ctx := context.Background()
	live := w.consume("live")
	defer live.Close()
	w.waitMembers("live", 1)
	if _, _, err := StartReplay(ctx, w.c, w.env, replayPlan(w, "live", "rp", ToLatest, "", false)); err != nil {
		t.Fatal(err)
	}
	_, err := Cutover(ctx, w.c, w.env, "rp", CutoverKeep, Confirmations{Confirm: "live"})
	wantRefused(t, err, GuardGroupActive, `live group "live" is active`, "1 member")
	if len(w.committed("live")["orders"]) != 3 {
		t.Fatal("live group changed")
	}
	if _, err := Cutover(ctx, w.c, w.env, "rp", "swap", Confirmations{}); err == nil {
		t.Fatal("bad mode accepted")
	}
}

func TestReplayNamesAndTracker(t *testing.T) {
	for _, n := range []string{"a/b", "..", ".hidden", "g\x1b", "x y"} {
		stem := fileStem(n)
		if strings.ContainsAny(stem, "/ ") || strings.HasPrefix(stem, ".") {
			t.Errorf("fileStem(%q) = %q", n, stem)
		}
	}
	if fileStem("a.b") == fileStem("a%2Eb") {
		t.Fatal("file names must map one to one")
	}
	if checkName("g\x1b") == nil || checkName("") == nil || checkName("ok.replay.20260101-000000") != nil {
		t.Fatal("checkName")
	}

	var tr Tracker
	t0 := time.Now()
	s := &Status{At: t0, Window: 1000, Consumed: 0}
	tr.Observe(s)
	if _, ok := s.ETA(); ok || s.Rate != 0 {
		t.Fatal("one sample has no rate")
	}
	s = &Status{At: t0.Add(10 * time.Second), Window: 1000, Consumed: 100}
	tr.Observe(s)
	if eta, ok := s.ETA(); s.Rate != 10 || !ok || eta != 90*time.Second {
		t.Fatalf("rate %v eta %v", s.Rate, eta)
	}
	s = &Status{At: t0.Add(20 * time.Second), Window: 1000, Consumed: 100}
	tr.Observe(s)
	if s.Rate != 5 {
		t.Fatalf("averaged rate %v", s.Rate)
	}
}

// A replay that starts ahead of a lagging live group is not "caught up"
// before it has read its window, even though its lag is already smaller.
func TestReplayAheadOfLaggingLiveNotCaughtUpUntilWindowRead(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.commit("slow", map[int32]int64{0: 10, 1: 10, 2: 45})
	r, _, err := StartReplay(ctx, w.c, w.env, replayPlan(w, "slow", "fast", ToOffset, "80", false))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReplayStatus(ctx, w.c, r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.ReplayLag >= st.LiveLag || st.CaughtUp || st.Window != 60 {
		t.Fatalf("replay ahead, window unread: %+v", st)
	}
	rc := w.consume("fast")
	rc.Close()
	if st, _ = ReplayStatus(ctx, w.c, r, time.Now()); !st.CaughtUp || st.Progress != 1 {
		t.Fatalf("window read: %+v", st)
	}
}
