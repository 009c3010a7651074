package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// planTargets runs a reset dry run with -o json and returns the targets.
func planTargets(t *testing.T, w *rpWorld, args ...string) map[int32]int64 {
	t.Helper()
	code, out, errs := w.run(append([]string{"reset", "g-stopped", "--topic", "events", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("reset %v: exit %d: %s", args, code, errs)
	}
	var o struct {
		Plan struct {
			Partitions []struct {
				Partition int32
				Target    int64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := map[int32]int64{}
	for _, p := range o.Plan.Partitions {
		got[p.Partition] = p.Target
	}
	return got
}

// Edge inputs that gave wrong plans: each is now the mathematically right
// plan or a clear error. (events: 2 x 50 records, events/1 starts at 20;
// g-stopped at 45 and 30.)
func TestCLIEdgeInputsPlans(t *testing.T) {
	w := newRPWorld(t)
	// +MaxInt64 overflowed to a rewind to the log start; it is "past the
	// end": the high watermark.
	if got := planTargets(t, w, "--shift-by", "9223372036854775807"); got[0] != 50 || got[1] != 50 {
		t.Errorf("--shift-by +MaxInt64: %v, want the ends", got)
	}
	// MinInt64 back: below the log start, so the expired-window guard
	// speaks for events/1 (records deleted); events/0 goes to its start.
	code, out, errs := w.run("reset", "g-stopped", "--topic", "events", "--shift-by", "-9223372036854775808")
	wantRun(t, code, out, errs, 1, nil, []string{"events/1: needs offset 0 but the log starts at 20"})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events:0", "--shift-by", "-9223372036854775808", "-o", "json")
	wantRun(t, code, out, errs, 0, []string{`"target":0,`}, nil)
	// Before 1970 is before every record: the log start, never "latest"
	// (-1 ms) or a special value.
	// (events/1 lost its first records to retention, so there the
	// expired-window guard refuses: the window started in them.)
	for _, ts := range []string{"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.998Z", "1960-01-01T00:00:00Z", "0001-01-01T00:00:00Z"} {
		code, out, errs = w.run("reset", "g-stopped", "--topic", "events:0", "--to-datetime", ts, "-o", "json")
		wantRun(t, code, out, errs, 0, []string{`"target":0,`}, nil)
		code, out, errs = w.run("reset", "g-stopped", "--topic", "events:1", "--to-datetime", ts)
		wantRun(t, code, out, errs, 1, nil, []string{"events/1: the oldest remaining record (offset 20)"})
	}
	// 213504 days do not fit in a duration: an error, not ~25 minutes.
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--by-duration", "P213504D")
	wantRun(t, code, out, errs, 1, nil, []string{`--by-duration "P213504D": out of range`})
	code, out, errs = w.run("reset", "g-stopped", "--topic", "events", "--to-datetime", "0000-01-01T00:00:00Z")
	wantRun(t, code, out, errs, 1, nil, []string{"out of range"})
}

func TestCLIEdgeGlobalFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "0", "topics"}, "--timeout 0s: want a duration above zero"},
		{[]string{"--timeout", "-5s", "topics"}, "--timeout -5s: want a duration above zero"},
		{[]string{"--timeout", "P213504D", "topics"}, "out of range"},
		{[]string{"--refresh", "0s", "topics"}, "--refresh 0s"},
		{[]string{"--stall-timeout", "-1s", "topics"}, "--stall-timeout -1s"},
		{[]string{"--theme", "bogus", "topics"}, `--theme: unknown theme "bogus" (valid: dark, light, high-contrast, no-color)`},
		{[]string{"--data-dir", "", "topics"}, `--data-dir "": want a directory`},
		{[]string{"--data-dir=", "topics"}, `--data-dir "": want a directory`},
	} {
		code, out, errb := runCLI(append([]string{"-b", "127.0.0.1:1"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errb, c.want) || strings.Count(strings.TrimSpace(errb), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errb, c.want)
		}
	}
	// The grammar is the same for every duration flag: days and ISO work.
	if code, _, errb := runCLI("-b", "127.0.0.1:1", "--timeout", "PT1S", "--refresh", "1d", "topics"); code != 1 || !strings.Contains(errb, "127.0.0.1:1") {
		t.Errorf("PT1S / 1d: exit %d %s", code, errb)
	}
}

// A replay beside a group that does not exist is refused (a typo?) unless
// --new-group, as reset already is.
func TestCLIReplayMissingGroupRefused(t *testing.T) {
	w := newRPWorld(t)
	code, out, errs := w.run("replay", "start", "g-stoped", "--topic", "events", "--to-earliest", "--name", "r1")
	wantRun(t, code, out, errs, 1, nil, []string{`live group "g-stoped" does not exist`, "--new-group"})
	if got := w.offsets("r1"); len(got) != 0 {
		t.Fatalf("a replay group was created: %v", got)
	}
	code, out, errs = w.run("replay", "start", "g-new", "--topic", "events", "--to-earliest", "--name", "r2", "--new-group")
	wantRun(t, code, out, errs, 0, nil, nil)
	if got := w.offsets("r2"); got[0] != 0 || got[1] != 20 {
		t.Fatalf("replay with --new-group: %v", got)
	}
}

func TestCLIConsumeFromExtremes(t *testing.T) {
	addr := remote(t, 5)
	for _, from := range []string{"-9223372036854775808", "-9223372036854775807", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z"} {
		code, out, errb := runCLI("-b", addr, "consume", "orders", "--from", from, "--until", "end")
		if code != 0 || strings.Count(out, "\n") != 11 {
			t.Errorf("--from %s: exit %d, %d lines, %s; want every record", from, code, strings.Count(out, "\n"), errb)
		}
	}
	code, _, errb := runCLI("-b", addr, "consume", "orders", "--from", "99999999999999999999")
	if code != 1 || !strings.Contains(errb, "offset out of range") {
		t.Errorf("--from huge: %d %s", code, errb)
	}
}
