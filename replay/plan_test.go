package replay

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func scen(t testing.TB, k Kind, arg string) Scenario {
	t.Helper()
	s, err := ParseScenario(k, arg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func orders() Scope { return Scope{Topics: []TopicScope{{Topic: "orders"}}} }

func TestPlanArithmetic(t *testing.T) {
	w := newWorld(t)
	w.commit("g", map[int32]int64{0: 50, 1: 10, 2: 60})
	req := func(k Kind, arg string) Request {
		return Request{Group: "g", Scope: orders(), Scenario: scen(t, k, arg)}
	}

	p := w.plan(req(ToEarliest, ""))
	wantEqual(t, "to-earliest", targets(p), map[int32]int64{0: 0, 1: 0, 2: 40})
	if pp := part(p, 0); *pp.Delta != -50 || pp.Reread != 50 || pp.Skip != 0 || pp.Window != 100 || len(pp.Flags) != 0 {
		t.Fatalf("to-earliest p0: %+v", pp)
	}
	if p.Reread != 50+10+20 || p.WindowRefusal() != nil || p.GroupState != "Empty" {
		t.Fatalf("to-earliest totals: reread %d refusal %v state %s", p.Reread, p.WindowRefusal(), p.GroupState)
	}

	p = w.plan(req(ToLatest, ""))
	wantEqual(t, "to-latest", targets(p), map[int32]int64{0: 100, 1: 100, 2: 100})
	if pp := part(p, 1); *pp.Delta != 90 || pp.Skip != 90 || pp.Window != 0 {
		t.Fatalf("to-latest p1: %+v", pp)
	}

	// to-offset clamps to [log start, HW]; below the log start the
	// window expired (records deleted by retention).
	p = w.plan(req(ToOffset, "20"))
	wantEqual(t, "to-offset 20", targets(p), map[int32]int64{0: 20, 1: 20, 2: 40})
	if pp := part(p, 2); pp.Requested != 20 || !pp.Has(FlagClampedStart) || !pp.Has(FlagWindowExpired) || pp.Has(FlagPartial) {
		t.Fatalf("to-offset p2 flags: %+v", pp)
	}
	r := p.WindowRefusal()
	if r == nil || len(r.Details) != 1 || !strings.Contains(r.Details[0], "orders/2") || !strings.Contains(r.Details[0], "20 records were deleted") {
		t.Fatalf("window refusal: %v", r)
	}
	p = w.plan(req(ToOffset, "500"))
	wantEqual(t, "to-offset 500", targets(p), map[int32]int64{0: 100, 1: 100, 2: 100})
	if pp := part(p, 0); !pp.Has(FlagClampedEnd) || pp.Has(FlagWindowExpired) {
		t.Fatalf("to-offset 500 flags: %+v", pp)
	}

	// shift-by: relative to the commit, clamped both ends.
	p = w.plan(req(ShiftBy, "-30"))
	wantEqual(t, "shift-by -30", targets(p), map[int32]int64{0: 20, 1: 0, 2: 40})
	if pp := part(p, 1); !pp.Has(FlagClampedStart) || pp.Has(FlagWindowExpired) {
		t.Fatalf("shift below offset 0 of an intact log is a clamp, not an expiry: %+v", pp)
	}
	if pp := part(p, 2); !pp.Has(FlagWindowExpired) || pp.Requested != 30 {
		t.Fatalf("shift into deleted records: %+v", pp)
	}
	p = w.plan(req(ShiftBy, "+1000"))
	wantEqual(t, "shift-by +1000", targets(p), map[int32]int64{0: 100, 1: 100, 2: 100})

	// shift-by without a commit on a partition is an error naming it.
	w.commit("g-half", map[int32]int64{0: 5})
	_, err := BuildPlan(context.Background(), w.c, Request{Group: "g-half", Scope: orders(), Scenario: scen(t, ShiftBy, "1")}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "orders/1, orders/2") || !strings.Contains(err.Error(), "shift-by needs a committed offset") {
		t.Fatalf("shift without commit: %v", err)
	}

	// to-datetime: first record at or after; no zone means UTC.
	at := w.base.Add(25 * time.Second).UTC()
	p = w.plan(req(ToDatetime, at.Format("2006-01-02T15:04:05")))
	wantEqual(t, "to-datetime +25s", targets(p), map[int32]int64{0: 25, 1: 25, 2: 40})
	if pp := part(p, 2); !pp.Has(FlagWindowExpired) || !strings.Contains(pp.Note, "oldest remaining record") {
		t.Fatalf("time before the oldest remaining record: %+v", pp)
	}
	p = w.plan(req(ToDatetime, w.base.Add(70*time.Second).Format(time.RFC3339)))
	wantEqual(t, "to-datetime +70s", targets(p), map[int32]int64{0: 70, 1: 70, 2: 70})
	if p.WindowRefusal() != nil {
		t.Fatal("window intact but refused")
	}
	// A time after every record: timestamp miss, to the end.
	p = w.plan(req(ToDatetime, time.Now().Add(time.Hour).Format(time.RFC3339)))
	wantEqual(t, "to-datetime future", targets(p), map[int32]int64{0: 100, 1: 100, 2: 100})
	for _, pp := range p.Partitions {
		if !pp.Has(FlagTimestampMiss) || pp.Has(FlagWindowExpired) {
			t.Fatalf("timestamp miss: %+v", pp)
		}
	}

	// by-duration: now - d. Records are 1h old: 30m finds none, a day
	// finds the oldest (and p2's window expired).
	p = w.plan(req(ByDuration, "PT30M"))
	wantEqual(t, "by-duration PT30M", targets(p), map[int32]int64{0: 100, 1: 100, 2: 100})
	p = w.plan(req(ByDuration, "-24h"))
	wantEqual(t, "by-duration -24h", targets(p), map[int32]int64{0: 0, 1: 0, 2: 40})
	if !part(p, 2).Has(FlagWindowExpired) || part(p, 0).Has(FlagWindowExpired) {
		t.Fatalf("by-duration flags: %+v", p.Partitions)
	}

	// to-group: copy another group's commits; a partition it lacks is an
	// error naming it.
	w.commit("other", map[int32]int64{0: 5, 1: 70})
	_, err = BuildPlan(context.Background(), w.c, req(ToGroup, "other"), time.Now())
	if err == nil || !strings.Contains(err.Error(), `"other" has no committed offset on orders/2`) {
		t.Fatalf("to-group missing partition: %v", err)
	}
	p = w.plan(Request{Group: "g", Scope: Scope{Topics: []TopicScope{{Topic: "orders", Partitions: []int32{0, 1}}}}, Scenario: scen(t, ToGroup, "other")})
	wantEqual(t, "to-group", targets(p), map[int32]int64{0: 5, 1: 70})
	p = w.plan(Request{Group: "g", Scope: Scope{AllTopics: true}, Scenario: scen(t, ToGroup, "other")})
	wantEqual(t, "to-group --all-topics", targets(p), map[int32]int64{0: 5, 1: 70})

	// Scope: --all-topics is the partitions with commits; a partition that
	// does not exist is an error.
	w.commit("g-two", map[int32]int64{0: 5, 2: 50})
	p = w.plan(Request{Group: "g-two", Scope: Scope{AllTopics: true}, Scenario: scen(t, ToLatest, "")})
	wantEqual(t, "all-topics", targets(p), map[int32]int64{0: 100, 2: 100})
	sc, _ := ParseScope([]string{"orders:0,9"}, false)
	if _, err := BuildPlan(context.Background(), w.c, Request{Group: "g", Scope: sc, Scenario: scen(t, ToLatest, "")}, time.Now()); err == nil || !strings.Contains(err.Error(), "no partition 9") {
		t.Fatalf("unknown partition: %v", err)
	}
	if _, err := BuildPlan(context.Background(), w.c, Request{Group: "g", Scenario: scen(t, ToLatest, "")}, time.Now()); err == nil || !strings.Contains(err.Error(), "--topic") {
		t.Fatalf("no scope: %v", err)
	}

	// --allow-partial: the expired partition starts at the log start,
	// labelled partial; the plan is partial and not refused.
	rq := req(ToOffset, "20")
	rq.AllowPartial = true
	p = w.plan(rq)
	if !p.Partial || p.WindowRefusal() != nil || !part(p, 2).Has(FlagPartial) || part(p, 0).Has(FlagPartial) || !strings.Contains(part(p, 2).Note, "PARTIAL") {
		t.Fatalf("partial plan: %+v", p)
	}
	if g := p.Guards(nil); g[0].Name != GuardWindow || g[0].State != GuardOK || !strings.Contains(g[0].Message, "PARTIAL") {
		t.Fatalf("partial guard line: %+v", g)
	}
}

func TestPlanCSVRoundTrip(t *testing.T) {
	w := newWorld(t)
	w.commit("g", map[int32]int64{0: 50, 1: 10, 2: 60})
	p := w.plan(Request{Group: "g", Scope: orders(), Scenario: scen(t, ShiftBy, "-5")})
	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "orders,0,45\norders,1,5\norders,2,55\n" {
		t.Fatalf("export: %q", buf.String())
	}
	back, err := ParseCSV(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "round trip", back, p.Targets())

	// The exported file drives a from-file plan to the same targets; a
	// --topic scope narrows it.
	file := filepath.Join(t.TempDir(), "plan.csv")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	q := w.plan(Request{Group: "g", Scenario: scen(t, FromFile, file)})
	wantEqual(t, "from-file", q.Targets(), p.Targets())
	q = w.plan(Request{Group: "g", Scope: Scope{Topics: []TopicScope{{Topic: "orders", Partitions: []int32{1}}}}, Scenario: scen(t, FromFile, file)})
	wantEqual(t, "from-file narrowed", targets(q), map[int32]int64{1: 5})

	// Parsing: a header and CRLF are accepted; junk is refused with the line.
	got, err := ParseCSV(strings.NewReader("topic,partition,offset\r\norders,1,7\r\n\r\n"))
	if err != nil || got["orders"][1] != 7 {
		t.Fatalf("header/CRLF: %v %v", got, err)
	}
	for in, want := range map[string]string{
		"orders,1\n":             "line 1",
		"orders,0,1\norders,0,2": "given twice",
		"orders,x,1":             "bad partition",
		"orders,0,-4":            "bad offset",
		"":                       "no offsets",
	} {
		if _, err := ParseCSV(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCSV(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestParseScenarioAndScope(t *testing.T) {
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"PT1H": time.Hour, "-1h": time.Hour, "P1DT2H": 26 * time.Hour, "PT1M30.5S": 90*time.Second + 500*time.Millisecond,
		"90m": 90 * time.Minute, "2d": 48 * time.Hour, "-PT15M": 15 * time.Minute,
	} {
		s, err := ParseScenario(ByDuration, in, now)
		if err != nil || !s.Time.Equal(now.Add(-want)) {
			t.Errorf("by-duration %q: %v %v", in, s.Time, err)
		}
	}
	for _, bad := range []string{"P", "PT", "1x", "0s", "PT0S", ""} {
		if _, err := ParseScenario(ByDuration, bad, now); err == nil {
			t.Errorf("by-duration %q accepted", bad)
		}
	}
	s, err := ParseScenario(ToDatetime, "2026-09-01T10:30:00", now)
	if err != nil || !s.Time.Equal(time.Date(2026, 9, 1, 10, 30, 0, 0, time.UTC)) {
		t.Fatalf("no zone is UTC: %v %v", s.Time, err)
	}
	s, err = ParseScenario(ToDatetime, "2026-09-01T10:30:00+02:00", now)
	if err != nil || !s.Time.Equal(time.Date(2026, 9, 1, 8, 30, 0, 0, time.UTC)) {
		t.Fatalf("zone: %v %v", s.Time, err)
	}
	if _, err := ParseScenario(ToDatetime, "yesterday", now); err == nil || !strings.Contains(err.Error(), "RFC3339") {
		t.Fatalf("bad datetime: %v", err)
	}
	if _, err := ParseScenario(ToOffset, "-3", now); err == nil {
		t.Fatal("negative to-offset accepted")
	}
	if s, err := ParseScenario(ShiftBy, "+12", now); err != nil || s.Offset != 12 || s.String() != "shift-by 12" {
		t.Fatalf("shift +12: %+v %v", s, err)
	}
	sc, err := ParseScope([]string{"orders:2,0,2", "payments"}, false)
	if err != nil || sc.String() != "orders:0,2 payments" {
		t.Fatalf("scope: %v %v", sc, err)
	}
	for _, bad := range []string{":1", "orders:", "orders:a", "orders:-1"} {
		if _, err := ParseTopicScope(bad); err == nil {
			t.Errorf("scope %q accepted", bad)
		}
	}
	if _, err := ParseScope([]string{"orders"}, true); err == nil {
		t.Fatal("--topic with --all-topics accepted")
	}
	if !slices.Equal(Kinds[:2], []Kind{ToEarliest, ToLatest}) {
		t.Fatal("kinds order")
	}
}
