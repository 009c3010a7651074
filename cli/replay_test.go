package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/replay"
)

// rpWorld is a kfake broker with events (2 partitions x 50 records;
// events/1 below 20 deleted, as retention would) and a commit-only group
// g-stopped at {0: 45, 1: 30}.
type rpWorld struct {
	t    *testing.T
	b    *testkit.Broker
	addr string
	adm  *kadm.Client
	dir  string
}

func newRPWorld(t *testing.T) *rpWorld {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("events", 2, nil)
	b.ProduceSeq("events", 2, 50, time.Now().Add(-time.Hour))
	b.DeleteBelow("events", 1, 20)
	b.Commit("g-stopped", "events", map[int32]int64{0: 45, 1: 30})
	return &rpWorld{t: t, b: b, addr: b.Addr, adm: b.Adm, dir: t.TempDir()}
}

func (w *rpWorld) run(args ...string) (int, string, string) {
	return runCLI(append([]string{"-b", w.addr, "--data-dir", w.dir}, args...)...)
}

func (w *rpWorld) offsets(group string) map[int32]int64 {
	w.t.Helper()
	return w.b.GroupOffsets(group, "events")
}

// member joins group, reads to the end of events, commits, and stays a
// member until closed.
func (w *rpWorld) member(group string, opts ...kgo.Opt) *kgo.Client {
	w.t.Helper()
	return w.b.JoinAndCommit(group, "events", map[int32]int64{0: 50, 1: 50}, opts...)
}

func (w *rpWorld) audit() []replay.AuditEntry {
	w.t.Helper()
	es, err := replay.ReadAudit(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}

func wantRun(t *testing.T, code int, stdout, stderr string, wantCode int, stdoutHas, stderrHas []string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, wantCode, stdout, stderr)
	}
	for _, s := range stdoutHas {
		if !strings.Contains(stdout, s) {
			t.Fatalf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	for _, s := range stderrHas {
		if !strings.Contains(stderr, s) {
			t.Fatalf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Fatalf("stderr must be one line: %q", stderr)
	}
}

func TestCLIResetFlags(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("reset", "g-stopped", "--topic", "events")
	wantRun(t, code, out, errs, 1, nil, []string{"choose a scenario: one of --to-earliest"})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--to-earliest", "--shift-by", "-5")
	wantRun(t, code, out, errs, 1, nil, []string{"exactly one scenario, got --to-earliest and --shift-by"})
	code, out, errs = w.run("reset", "g-stopped", "--to-earliest")
	wantRun(t, code, out, errs, 1, nil, []string{"--topic TOPIC[:P,...] or --all-topics"})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--all-topics", "--to-earliest")
	wantRun(t, code, out, errs, 1, nil, []string{"not both"})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--by-duration", "soon")
	wantRun(t, code, out, errs, 1, nil, []string{"--by-duration \"soon\""})
	// Partition lists are not split by the flag parser; shift-by takes a
	// negative number.
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events:0", "--shift-by", "-5")
	wantRun(t, code, out, errs, 0, []string{"events  0          45       40"}, nil)
	if strings.Contains(out, "events  1") {
		t.Fatalf("partition 1 out of scope:\n%s", out)
	}
}

func TestCLIResetDryRunExecuteAndAudit(t *testing.T) {
	w := newRPWorld(t)
	before := w.offsets("g-stopped")
	export := filepath.Join(w.dir, "plan.csv")

	code, out, errs := w.run("reset", "g-stopped", "--topic", "events", "--shift-by", "-10", "--export", export)
	wantRun(t, code, out, errs, 0, []string{
		"Reset plan for group g-stopped · shift-by -10 · group Empty, 0 members (classic)",
		"TOPIC   PARTITION  CURRENT  TARGET  LOG START  HIGH WM  DELTA  RE-READ  SKIP  TO READ  FLAGS",
		"events  0          45       35      0          50       -10    10       0     15",
		"events  1          30       20      20         50       -10    10       0     30",
		"NEEDED  sink-idempotent", "Dry run: nothing was written", "Exported the targets to",
	}, nil)
	if b, _ := os.ReadFile(export); string(b) != "events,0,35\nevents,1,20\n" {
		t.Fatalf("export: %q", b)
	}
	if !reflect.DeepEqual(w.offsets("g-stopped"), before) {
		t.Fatal("a dry run wrote")
	}

	// The idempotency answer is required; unknown is refused; "no" needs
	// the group name.
	for _, c := range []struct {
		args []string
		says string
	}{
		{nil, "--sink-idempotent yes|no"},
		{[]string{"--sink-idempotent", "perhaps"}, "unknown is refused"},
		{[]string{"--sink-idempotent", "no"}, "--confirm g-stopped"},
		{[]string{"--sink-idempotent", "no", "--confirm", "g-other"}, "does not match the group name"},
	} {
		code, out, errs = w.run(append([]string{"reset", "g-stopped", "--topic", "events", "--shift-by", "-10", "--execute"}, c.args...)...)
		wantRun(t, code, out, errs, 1, nil, []string{"rewind: refused: ", c.says})
	}
	if !reflect.DeepEqual(w.offsets("g-stopped"), before) {
		t.Fatal("a refused reset wrote")
	}

	// From the exported file, confirmed: written and audited.
	code, out, errs = w.run("reset", "g-stopped", "--from-file", export, "--execute", "--sink-idempotent", "no", "--confirm", "g-stopped")
	wantRun(t, code, out, errs, 0, []string{"Done: wrote the offsets of group g-stopped on 2 partitions", "audit.jsonl"}, nil)
	if got := w.offsets("g-stopped"); !reflect.DeepEqual(got, map[int32]int64{0: 35, 1: 20}) {
		t.Fatalf("offsets: %v", got)
	}
	es := w.audit()
	if len(es) != 5 {
		t.Fatalf("audit entries: %d", len(es))
	}
	last := es[4]
	if last.Kind != "reset" || last.Result != "ok" || last.Cluster != w.addr || !strings.Contains(last.Actor, "@") ||
		last.Confirmations.SinkIdempotent != "no" || last.Confirmations.Confirm != "g-stopped" || !strings.HasPrefix(last.Scenario, "from-file ") ||
		len(last.Partitions) != 2 || *last.Partitions[0].Before != 45 || *last.Partitions[0].After != 35 {
		t.Fatalf("audit entry: %+v", last)
	}

	// JSON: one object, with the plan, the guards and the result.
	// A forward reset skips records: refused until that is accepted, apart
	// from the idempotency answer.
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--to-latest", "--execute", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 1, []string{"FORWARD RESET: 45 records on 2 partitions will never be processed by group \"g-stopped\"", "NEEDED  skip-accepted"},
		[]string{"refused: 45 records on 2 partitions will never be processed", "--accept-skip"})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--to-latest", "--execute", "--sink-idempotent", "yes", "--accept-skip", "-o", "json")
	wantRun(t, code, out, errs, 0, nil, nil)
	var got struct {
		Plan struct {
			Partitions []struct{ Target int64 } `json:"partitions"`
		} `json:"plan"`
		Guards   []replay.GuardStatus `json:"guards"`
		Executed bool                 `json:"executed"`
		Result   string               `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("json %q: %v", out, err)
	}
	if !got.Executed || got.Result != "ok" || len(got.Guards) != 4 || got.Guards[2].Name != replay.GuardSkip || got.Plan.Partitions[1].Target != 50 {
		t.Fatalf("json: %+v", got)
	}
}

func TestCLIResetRefusedOnActiveGroups(t *testing.T) {
	w := newRPWorld(t)
	classic := w.member("g-live")
	defer classic.Close()
	k848 := w.member("g-848", kgo.ServerSideBalancer())
	defer k848.Close()
	for group, proto := range map[string]string{"g-live": "classic protocol", "g-848": "KIP-848 consumer protocol"} {
		before := w.offsets(group)
		code, out, errs := w.run("reset", group, "--topic", "events", "--to-earliest", "--execute", "--sink-idempotent", "yes")
		wantRun(t, code, out, errs, 1, []string{"REFUSED  group-inactive"}, []string{`refused: group "` + group + `" is active`, "1 member", proto})
		if !reflect.DeepEqual(w.offsets(group), before) {
			t.Fatalf("%s: offsets changed", group)
		}
	}
}

func TestCLIResetExpiredWindowAndPartial(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("reset", "g-stopped", "--topic", "events", "--to-offset", "5", "--execute", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 1, []string{
		"clamped-to-log-start,window-expired",
		"events/1: needs offset 5 but the log starts at 20: 15 records were deleted by retention",
		"REFUSED  window",
	}, []string{"refused: the requested window no longer exists on 1 partition(s)", "--allow-partial"})
	if got := w.offsets("g-stopped"); !reflect.DeepEqual(got, map[int32]int64{0: 45, 1: 30}) {
		t.Fatalf("offsets: %v", got)
	}
	if len(w.audit()) != 0 {
		t.Fatal("the window refusal of a plan is not an attempted change")
	}

	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--to-offset", "5", "--allow-partial", "--execute", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 0, []string{"PARTIAL: 1 partition(s) replay only what retention left", "window-expired,partial", "(PARTIAL: retention had cut the window short)"}, nil)
	if got := w.offsets("g-stopped"); !reflect.DeepEqual(got, map[int32]int64{0: 5, 1: 20}) {
		t.Fatalf("offsets: %v", got)
	}
	if es := w.audit(); len(es) != 1 || !es[0].Partial {
		t.Fatalf("audit: %+v", es)
	}
	code, out, _ = w.run("reset", "g-stopped", "--topic", "events", "--to-offset", "5", "--allow-partial", "-o", "json")
	if code != 0 || !strings.Contains(out, `"partial":true`) || !strings.Contains(out, `"flags":["clamped-to-log-start","window-expired","partial"]`) {
		t.Fatalf("json partial: %d %s", code, out)
	}
}

func TestCLIReadOnlyRefusesWrites(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("--read-only", "reset", "g-stopped", "--topic", "events", "--to-earliest", "--execute", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 1, nil, []string{"--read-only"})
	code, out, errs = w.run("--read-only", "replay", "start", "g-stopped", "--topic", "events", "--to-earliest", "--name", "r")
	wantRun(t, code, out, errs, 1, nil, []string{"--read-only"})
	if got := w.offsets("g-stopped"); !reflect.DeepEqual(got, map[int32]int64{0: 45, 1: 30}) {
		t.Fatalf("offsets: %v", got)
	}
	if len(w.offsets("r")) != 0 {
		t.Fatal("replay group created read-only")
	}
	// Dry runs still work read-only.
	code, out, errs = w.run("--read-only", "reset", "g-stopped", "--topic", "events", "--to-earliest")
	wantRun(t, code, out, errs, 0, []string{"Dry run"}, nil)
}

func TestCLIReplayLifecycle(t *testing.T) {
	w := newRPWorld(t)
	live := w.member("g-live")
	defer live.Close()
	liveBefore, err := w.adm.FetchOffsets(context.Background(), "g-live")
	if err != nil {
		t.Fatal(err)
	}

	// A window before events/1's log start is refused.
	code, out, errs := w.run("replay", "start", "g-live", "--topic", "events", "--to-offset", "0", "--name", "r0")
	wantRun(t, code, out, errs, 1, []string{"events/1: needs offset 0 but the log starts at 20"}, []string{"refused: the requested window"})

	code, out, errs = w.run("replay", "start", "g-live", "--topic", "events", "--to-earliest")
	wantRun(t, code, out, errs, 0, []string{
		"Replay plan: new group g-live.replay.", "beside live group g-live",
		"TOPIC   PARTITION  LIVE  TARGET", "ok  live-untouched",
		"Created replay group g-live.replay.", "80 records to replay. Live group g-live was not touched.",
	}, nil)
	after, _ := w.adm.FetchOffsets(context.Background(), "g-live")
	if !reflect.DeepEqual(after, liveBefore) {
		t.Fatalf("live group touched:\n%v\n%v", liveBefore, after)
	}
	rs, err := replay.ListReplays(w.dir)
	if err != nil || len(rs) != 1 {
		t.Fatalf("replays: %v %v", rs, err)
	}
	name := rs[0].Name
	if got := w.offsets(name); !reflect.DeepEqual(got, map[int32]int64{0: 0, 1: 20}) {
		t.Fatalf("replay group offsets: %v", got)
	}

	code, out, errs = w.run("replay", "list")
	wantRun(t, code, out, errs, 0, []string{"NAME", name, "g-live", "events", "running", "0.0%", "no"}, nil)

	code, out, errs = w.run("replay", "status", name, "-o", "json")
	wantRun(t, code, out, errs, 0, nil, nil)
	var st replay.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Window != 80 || st.Consumed != 0 || st.CaughtUp || st.LiveMembers != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}

	// A consumer on the replay group works through the window.
	rc := w.member(name)
	code, out, errs = w.run("replay", "status", name)
	wantRun(t, code, out, errs, 0, []string{"progress 80/80 (100.0%)", "CAUGHT UP", "replay group: Stable, 1 member · live group: Stable, 1 member", "50/50", "30/30"}, nil)
	code, out, _ = w.run("replay", "status", name, "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || !st.CaughtUp || st.Progress != 1 || st.ETASeconds == nil || *st.ETASeconds != 0 {
		t.Fatalf("status after: %+v %v", st, err)
	}

	// Delete refused with members; cut-over keep refused while the live
	// group has members.
	code, out, errs = w.run("replay", "delete", name)
	wantRun(t, code, out, errs, 1, nil, []string{"replay group", "is active", "1 member"})
	code, out, errs = w.run("replay", "cutover", name, "--mode", "keep", "--confirm", "g-live")
	wantRun(t, code, out, errs, 1, nil, []string{`live group "g-live" is active`})

	// Stop the live consumer: keep the replay group as the new one.
	live.Close()
	waitEmpty(t, w, "g-live")
	code, out, errs = w.run("replay", "cutover", name, "--mode", "keep")
	wantRun(t, code, out, errs, 1, nil, []string{`deletes live group "g-live"`, "--confirm g-live"})
	code, out, errs = w.run("replay", "cutover", name, "--mode", "keep", "--confirm", "g-live")
	wantRun(t, code, out, errs, 0, []string{"Kept replay group " + name + " as the group in use", "deleted the old live group g-live"}, nil)
	if len(w.offsets("g-live")) != 0 || len(w.offsets(name)) != 2 {
		t.Fatal("keep: wrong groups deleted")
	}
	rc.Close()
	code, out, errs = w.run("replay", "delete", name)
	wantRun(t, code, out, errs, 1, nil, []string{"now the group in use"})

	kinds := []string{}
	for _, e := range w.audit() {
		kinds = append(kinds, e.Kind+":"+strings.SplitN(e.Result, ":", 2)[0])
	}
	if !reflect.DeepEqual(kinds, []string{"replay-create:ok", "delete:refused", "cutover:refused", "cutover:refused", "cutover:ok"}) {
		t.Fatalf("audit: %v", kinds)
	}
}

func TestCLIReplayCutoverCopy(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("replay", "start", "g-stopped", "--topic", "events", "--shift-by", "-5", "--name", "r1")
	wantRun(t, code, out, errs, 0, []string{"Created replay group r1"}, nil)
	code, out, errs = w.run("replay", "cutover", "r1", "--mode", "copy", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 1, nil, []string{"refused: replay \"r1\" has not caught up", "events/0: replay at 40 of window end 50"})
	rc := w.member("r1")
	rc.Close()
	waitEmpty(t, w, "r1")
	code, out, errs = w.run("replay", "cutover", "r1", "--mode", "copy")
	wantRun(t, code, out, errs, 1, nil, []string{"--sink-idempotent yes|no"})
	code, out, errs = w.run("replay", "cutover", "r1", "--mode", "copy", "--sink-idempotent", "no", "--confirm", "g-stopped")
	wantRun(t, code, out, errs, 0, []string{"Copied the offsets of replay group r1 onto live group g-stopped (2 partitions)", "Deleted replay group r1"}, nil)
	if got := w.offsets("g-stopped"); !reflect.DeepEqual(got, map[int32]int64{0: 50, 1: 50}) {
		t.Fatalf("live offsets after copy: %v", got)
	}
	if len(w.offsets("r1")) != 0 {
		t.Fatal("replay group not deleted")
	}
	code, out, errs = w.run("replay", "list")
	wantRun(t, code, out, errs, 0, []string{"r1", "copied"}, nil)
	code, out, errs = w.run("replay", "status", "nope")
	wantRun(t, code, out, errs, 1, nil, []string{`no such replay "nope"`})
}

func waitEmpty(t *testing.T, w *rpWorld, group string) {
	t.Helper()
	w.b.WaitMembers(group, 0)
}

// A typo in the group name must not silently create a new group.
func TestCLIResetMissingGroupRefused(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("reset", "g-stoped", "--topic", "events", "--to-latest", "--execute", "--sink-idempotent", "yes")
	wantRun(t, code, out, errs, 1, []string{"REFUSED  group-exists"}, []string{`group "g-stoped" does not exist`, "--new-group"})
	if got := w.offsets("g-stoped"); len(got) != 0 {
		t.Fatalf("a refused reset created commits: %v", got)
	}
	code, out, errs = w.run("reset", "g-new", "--topic", "events", "--to-latest", "--execute", "--sink-idempotent", "yes", "--new-group")
	wantRun(t, code, out, errs, 0, nil, nil)
	if got := w.offsets("g-new"); got[0] != 50 || got[1] != 50 {
		t.Fatalf("--new-group reset: %v", got)
	}
}
