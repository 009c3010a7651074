package replay

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

func resetPlan(w *world, group string, k Kind, arg string) *Plan {
	w.t.Helper()
	return w.plan(Request{Group: group, Scope: orders(), Scenario: scen(w.t, k, arg)})
}

func wantRefused(t testing.TB, err error, guard string, contains ...string) {
	t.Helper()
	r, ok := AsRefusal(err)
	if !ok || !errors.Is(err, ErrRefused) {
		t.Fatalf("want a %s refusal, got %v", guard, err)
	}
	if r.Guard != guard {
		t.Fatalf("want guard %s, got %s: %v", guard, r.Guard, err)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Fatalf("refusal %q does not say %q", err, c)
		}
	}
}

func TestResetIdempotencyAnswerRequired(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.commit("g", map[int32]int64{0: 50, 1: 50, 2: 50})
	before := w.rawOffsets("g")
	p := resetPlan(w, "g", ToOffset, "45")

	// Unknown or missing answers are refused; nothing changes.
	for _, c := range []struct {
		conf  Confirmations
		guard string
		says  string
	}{
		{Confirmations{}, GuardSinkIdempotent, "--sink-idempotent yes|no"},
		{Confirmations{SinkIdempotent: "maybe"}, GuardSinkIdempotent, "unknown is refused"},
		{Confirmations{SinkIdempotent: "no"}, GuardConfirm, "--confirm g"},
		{Confirmations{SinkIdempotent: "no", Confirm: "G"}, GuardConfirm, "does not match"},
	} {
		_, err := ExecuteReset(ctx, w.c, w.env, p, c.conf)
		wantRefused(t, err, c.guard, c.says)
	}
	wantEqual(t, "offsets after refusals", w.rawOffsets("g"), before)

	// "no" with the group name typed: done, and audited.
	e, err := ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "no", Confirm: "g"})
	if err != nil || !e.OK() {
		t.Fatalf("confirmed reset: %v %+v", err, e)
	}
	wantEqual(t, "offsets after reset", w.committed("g"), Offsets{"orders": {0: 45, 1: 45, 2: 45}})

	es := w.audit()
	if len(es) != 5 {
		t.Fatalf("want 5 audit entries (4 refused, 1 ok), got %d", len(es))
	}
	for _, e := range es[:4] {
		if !strings.HasPrefix(e.Result, "refused: ") || e.Kind != AuditReset || e.Group != "g" {
			t.Fatalf("refused attempt entry: %+v", e)
		}
	}
	last := es[4]
	if last.Result != "ok" || last.Actor != "tester@host" || last.Cluster != w.addr || last.Scenario != "to-offset 45" ||
		last.Confirmations != (Confirmations{SinkIdempotent: "no", Confirm: "g"}) || last.Partial || len(last.Partitions) != 3 {
		t.Fatalf("audit entry: %+v", last)
	}
	for _, ap := range last.Partitions {
		if ap.Topic != "orders" || ap.Before == nil || *ap.Before != 50 || ap.After == nil || *ap.After != 45 {
			t.Fatalf("audit partition: %+v", ap)
		}
	}
	if time.Since(last.Time) > time.Minute {
		t.Fatalf("audit time: %v", last.Time)
	}

	// The same plan again is stale: the offsets it was made against moved.
	_, err = ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardStalePlan, "orders/0: committed offset changed from 50 to 45")
}

func TestResetExpiredWindowRefusedUnlessPartial(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.commit("g", map[int32]int64{0: 50, 1: 50, 2: 50})
	yes := Confirmations{SinkIdempotent: "yes"}

	p := resetPlan(w, "g", ToOffset, "10")
	_, err := ExecuteReset(ctx, w.c, w.env, p, yes)
	wantRefused(t, err, GuardWindow, "orders/2: needs offset 10 but the log starts at 40: 30 records were deleted by retention", "--allow-partial")
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 50, 1: 50, 2: 50}})

	// Replaying what is left is a separate, explicit choice: partial.
	p = w.plan(Request{Group: "g", Scope: orders(), Scenario: scen(t, ToOffset, "10"), AllowPartial: true})
	e, err := ExecuteReset(ctx, w.c, w.env, p, yes)
	if err != nil || !e.Partial {
		t.Fatalf("partial reset: %v %+v", err, e)
	}
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 10, 1: 10, 2: 40}})
	es := w.audit()
	if len(es) != 2 || es[0].Partial || !strings.Contains(es[0].Result, "refused") || !es[1].Partial || es[1].Result != "ok" {
		t.Fatalf("audit: %+v", es)
	}

	// Retention moving past a target between plan and execute refuses.
	p = w.plan(Request{Group: "g", Scope: orders(), Scenario: scen(t, ToOffset, "20"), AllowPartial: true})
	w.deleteBelow("orders", 0, 30)
	_, err = ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "yes", AcceptSkip: true}) // 10 -> 20 skips records
	wantRefused(t, err, GuardStalePlan, "orders/0: the log start moved from 0 to 30, past the target 20")
}

func TestResetRefusedOnActiveGroups(t *testing.T) {
	noGoroutineLeak(t)
	w := newWorld(t)
	ctx := context.Background()
	yes := Confirmations{SinkIdempotent: "yes"}
	for _, c := range []struct {
		name, group, proto string
		opts               []kgo.Opt
	}{
		{"classic", "g-classic", "(classic protocol)", nil},
		{"kip848", "g-848", "(KIP-848 consumer protocol)", []kgo.Opt{kgo.ServerSideBalancer()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := w.consume(c.group, c.opts...)
			defer cl.Close()
			w.waitMembers(c.group, 1)
			before := w.rawOffsets(c.group)
			p := resetPlan(w, c.group, ToEarliest, "")
			if g := p.Guards(&yes); g[1].Name != GuardGroupActive || g[1].State != GuardRefused || !strings.Contains(g[1].Message, "1 member") {
				t.Fatalf("plan guards: %+v", g)
			}
			_, err := ExecuteReset(ctx, w.c, w.env, p, yes)
			wantRefused(t, err, GuardGroupActive, `group "`+c.group+`" is active`, "1 member", c.proto)
			wantEqual(t, "offsets of the active group", w.rawOffsets(c.group), before)
		})
	}
}

// A consumer joining between the plan and the execution refuses it.
func TestResetMemberJoinsBetweenPlanAndExecute(t *testing.T) {
	noGoroutineLeak(t)
	w := newWorld(t)
	ctx := context.Background()
	w.commit("g", map[int32]int64{0: 100, 1: 100, 2: 100})
	p := resetPlan(w, "g", ToEarliest, "")
	if p.GroupMembers != 0 || p.GroupState != "Empty" {
		t.Fatalf("planned on an empty group: %s %d", p.GroupState, p.GroupMembers)
	}
	cl := w.consume("g")
	defer cl.Close()
	w.waitMembers("g", 1)
	_, err := ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardGroupActive, "1 member")
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 100, 1: 100, 2: 100}})
	es := w.audit()
	if len(es) != 1 || !strings.Contains(es[0].Result, "is active") {
		t.Fatalf("audit of the refused attempt: %+v", es)
	}
}

func TestWritesRefusedReadOnly(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.commit("g", map[int32]int64{0: 50, 1: 50, 2: 50})
	ro, err := backend.Connect(ctx, backend.Options{Brokers: []string{w.addr}, ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// Plans are reads: allowed.
	p, err := BuildPlan(ctx, ro, Request{Group: "g", Scope: orders(), Scenario: scen(t, ToEarliest, "")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ExecuteReset(ctx, ro, w.env, p, Confirmations{SinkIdempotent: "yes"}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("reset under --read-only: %v", err)
	}
	rp, err := BuildPlan(ctx, ro, Request{Kind: PlanReplay, Group: "g", Target: "g.replay", Scope: orders(), Scenario: scen(t, ToLatest, "")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := StartReplay(ctx, ro, w.env, rp); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("replay under --read-only: %v", err)
	}
	// A replay made read-write cannot be cut over or deleted read-only.
	if _, _, err := StartReplay(ctx, w.c, w.env, rp); err != nil {
		t.Fatal(err)
	}
	if _, err := Cutover(ctx, ro, w.env, "g.replay", CutoverKeep, Confirmations{}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("cutover under --read-only: %v", err)
	}
	if _, err := DeleteReplay(ctx, ro, w.env, "g.replay"); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("delete under --read-only: %v", err)
	}
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 50, 1: 50, 2: 50}})
	if len(w.committed("g.replay")["orders"]) != 3 {
		t.Fatal("replay group changed under --read-only")
	}
	if es := w.audit(); len(es) != 1 || es[0].Kind != AuditReplayCreate {
		t.Fatalf("read-only refusals are not audited (nothing was attempted): %+v", es)
	}
}

func TestAuditTrail(t *testing.T) {
	dir := t.TempDir()
	if es, err := ReadAudit(dir); err != nil || len(es) != 0 {
		t.Fatalf("missing trail: %v %v", es, err)
	}
	b, a := int64(5), int64(9)
	e1 := &AuditEntry{Time: time.Now().UTC().Truncate(time.Millisecond), Actor: "a@h", Cluster: "x:1", Kind: AuditReset, Group: "g\x1b[2J",
		Partitions: []AuditPartition{{Topic: "t", Partition: 0, Before: &b, After: &a}, {Topic: "t", Partition: 1, After: &a}}, Result: "ok"}
	if err := AppendAudit(dir, e1); err != nil {
		t.Fatal(err)
	}
	if err := AppendAudit(dir, &AuditEntry{Kind: AuditDelete, Group: "h", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, AuditFile))
	if strings.Count(string(raw), "\n") != 2 || strings.Contains(string(raw), "\x1b") {
		t.Fatalf("trail: %q", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, AuditFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	es, err := ReadAudit(dir)
	if err != nil || len(es) != 2 {
		t.Fatalf("read: %v %v", es, err)
	}
	wantEqual(t, "entry", es[0], *e1)
	if es[0].Partitions[1].Before != nil {
		t.Fatal("no commit before must stay null")
	}
	// A torn last line (crash mid-append) is reported, the rest returned.
	f, _ := os.OpenFile(filepath.Join(dir, AuditFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026`)
	f.Close()
	es, err = ReadAudit(dir)
	if len(es) != 2 || err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("torn line: %d %v", len(es), err)
	}
}

// A forward reset skips records: the group never processes them. That is
// its own confirmation, asked apart from idempotency, shown in the plan.
func TestForwardResetNeedsItsOwnConfirmation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.commit("g", map[int32]int64{0: 50, 1: 50, 2: 50})
	p := resetPlan(w, "g", ToLatest, "")
	if thousands(1234567) != "1,234,567" || thousands(999) != "999" {
		t.Fatal("thousands separators")
	}
	if p.Skip != 150 {
		t.Fatalf("skip %d", p.Skip)
	}
	wantWarn := `150 records on 3 partitions will never be processed by group "g"`
	if !strings.Contains(p.SkipWarning(), wantWarn) {
		t.Fatalf("warning: %q", p.SkipWarning())
	}
	var skip *GuardStatus
	for _, g := range p.Guards(&Confirmations{SinkIdempotent: "yes"}) {
		if g.Name == GuardSkip {
			skip = &g
		}
	}
	if skip == nil || skip.State != GuardNeeded || !strings.Contains(skip.Message, wantWarn) {
		t.Fatalf("plan guard: %+v", skip)
	}
	// An idempotent sink does not answer the skip question.
	_, err := ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardSkip, wantWarn, "--accept-skip")
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 50, 1: 50, 2: 50}})
	e, err := ExecuteReset(ctx, w.c, w.env, p, Confirmations{SinkIdempotent: "yes", AcceptSkip: true})
	if err != nil || !e.Confirmations.AcceptSkip {
		t.Fatalf("accepted: %v %+v", err, e)
	}
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 100, 1: 100, 2: 100}})
	// A backward reset has no skip guard.
	back := resetPlan(w, "g", ToOffset, "60")
	for _, g := range back.Guards(nil) {
		if g.Name == GuardSkip {
			t.Fatalf("backward plan shows the skip guard: %+v", g)
		}
	}
}
