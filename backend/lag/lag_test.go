package lag

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// pt is one synthetic poll: committed offset, log start, high watermark and
// whether a live member holds the partition.
type pt struct {
	c, ls, hw int64
	active    bool
}

// series builds samples every step from t0, with CommitAt derived the way
// Window.Add derives it.
func series(step time.Duration, pts ...pt) []Sample {
	var w Window
	w.cap = len(pts) + 1
	for i, p := range pts {
		w.Add(Sample{At: t0.Add(time.Duration(i) * step), Committed: p.c, LogStart: p.ls, HighWatermark: p.hw, Active: p.active})
	}
	return w.Samples()
}

// after is "now" d after the newest sample.
func after(s []Sample, d time.Duration) time.Time {
	if len(s) == 0 {
		return t0.Add(d)
	}
	return s[len(s)-1].At.Add(d)
}

func TestEvaluateRules(t *testing.T) {
	const win = time.Minute
	step := 10 * time.Second
	cases := []struct {
		name    string
		samples []Sample
		nowAdd  time.Duration // after the newest sample
		want    Status
	}{
		{"no samples", nil, 0, Unknown},
		{"no commit on the partition", series(step, pt{-1, 0, 100, true}, pt{-1, 0, 120, true}), 0, Unknown},
		{"no commit, group not consuming", series(step, pt{-1, 0, 100, false}), time.Hour, Unknown},
		{"single sample caught up", series(step, pt{100, 0, 100, true}), 0, OK},
		{"single sample lagging, live member: not enough data", series(step, pt{50, 0, 100, true}), 0, Unknown},
		{"single sample lagging, no member: STOP", series(step, pt{50, 0, 100, false}), 0, Stop},
		{"single sample behind log start: LOST", series(step, pt{5, 10, 100, false}), 0, Lost},
		{"empty partition, committed 0", series(step, pt{0, 0, 0, false}, pt{0, 0, 0, false}), time.Hour, OK},
		{"empty partition never committed", series(step, pt{-1, 0, 0, false}), 0, Unknown},
		{"empty group caught up is OK, not STOP", series(step, pt{100, 0, 100, false}, pt{100, 0, 100, false}), time.Hour, OK},

		{"LOST beats REWIND", series(step, pt{50, 0, 100, true}, pt{5, 10, 100, true}), 0, Lost},
		{"LOST after DeleteRecords moved log start", series(step,
			pt{40, 0, 100, false}, pt{40, 0, 100, false}, pt{40, 60, 100, false}), 0, Lost},

		{"REWIND: offset moved backwards", series(step,
			pt{100, 0, 200, true}, pt{150, 0, 220, true}, pt{20, 0, 240, true}), 0, Rewind},
		{"REWIND even if caught up at a point", series(step,
			pt{200, 0, 200, true}, pt{0, 0, 200, true}, pt{200, 0, 200, true}), 0, Rewind},
		{"REWIND ages out of the window", series(step,
			pt{100, 0, 200, true}, pt{20, 0, 200, true}, pt{60, 0, 220, true}, pt{100, 0, 230, true},
			pt{130, 0, 240, true}, pt{160, 0, 250, true}, pt{190, 0, 255, true}, pt{200, 0, 260, true},
			pt{220, 0, 265, true}), 0, OK},
		{"HW reset is not REWIND (topic recreated)", series(step,
			pt{900, 0, 1000, true}, pt{950, 0, 1000, true}, pt{0, 0, 10, true}, pt{5, 0, 12, true}, pt{8, 0, 14, true}), 0, OK},
		{"HW reset, committed beyond new HW: lag 0", series(step,
			pt{900, 0, 1000, false}, pt{1000, 0, 40, false}), 0, OK},
		{"log start reopened at 0 is a reset", series(step,
			pt{500, 500, 500, true}, pt{0, 0, 3, true}, pt{1, 0, 4, true}, pt{2, 0, 5, true}), 0, OK},

		{"STOP: no member, offset idle longer than window", series(step,
			pt{50, 0, 100, false}, pt{50, 0, 110, false}, pt{50, 0, 120, false}), 2 * win, Stop},
		{"STOP: group emptied while lagging", series(step,
			pt{10, 0, 100, true}, pt{30, 0, 110, true}, pt{50, 0, 120, false}, pt{50, 0, 130, false}), 2 * win, Stop},
		{"no member but offset seen moving (manual assignment): not STOP", series(step,
			pt{10, 0, 100, false}, pt{40, 0, 110, false}, pt{80, 0, 120, false}, pt{110, 0, 125, false}), 0, OK},

		{"STALL: member holds it, offset unchanged past the window, lag > 0", series(step,
			pt{50, 0, 100, true}, pt{50, 0, 100, true}, pt{50, 0, 100, true}, pt{50, 0, 100, true},
			pt{50, 0, 100, true}, pt{50, 0, 100, true}, pt{50, 0, 100, true}, pt{50, 0, 100, true}), 0, Stall},
		{"offset unchanged but window not yet passed: WARN while lag grows", series(step,
			pt{50, 0, 100, true}, pt{50, 0, 110, true}, pt{50, 0, 120, true}, pt{50, 0, 130, true}), 0, Warn},
		{"offset unchanged, lag flat, window not passed: OK", series(step,
			pt{50, 0, 100, true}, pt{50, 0, 100, true}, pt{50, 0, 100, true}), 0, OK},

		{"lag 0 in any sample of the window: OK", series(step,
			pt{100, 0, 100, true}, pt{100, 0, 150, true}, pt{120, 0, 200, true}), 0, OK},
		{"lag 0 only before the window does not count", series(step,
			pt{100, 0, 100, true}, pt{100, 0, 150, true}, pt{120, 0, 200, true}, pt{140, 0, 250, true},
			pt{160, 0, 300, true}, pt{180, 0, 350, true}, pt{200, 0, 400, true}, pt{220, 0, 450, true},
			pt{240, 0, 500, true}), 0, Warn},

		{"WARN: lag growing while the offset advances", series(step,
			pt{100, 0, 200, true}, pt{150, 0, 260, true}, pt{200, 0, 330, true}, pt{250, 0, 400, true}), 0, Warn},
		{"WARN allows flat steps if last > first", series(step,
			pt{100, 0, 200, true}, pt{150, 0, 250, true}, pt{200, 0, 320, true}, pt{250, 0, 380, true}), 0, Warn},
		{"lag rising over less than half the window is a batch committer, not WARN", series(2*time.Second,
			pt{100, 0, 105, true}, pt{100, 0, 106, true}, pt{100, 0, 108, true}), 0, OK},
		{"two samples: not enough for a trend", series(step,
			pt{100, 0, 200, true}, pt{150, 0, 300, true}), 0, Unknown},
		{"OK: offset advancing, lag shrinking", series(step,
			pt{100, 0, 400, true}, pt{200, 0, 450, true}, pt{300, 0, 480, true}), 0, OK},
		{"OK: lag flat (keeping pace)", series(step,
			pt{100, 0, 150, true}, pt{150, 0, 200, true}, pt{200, 0, 250, true}), 0, OK},
		{"OK: lag fluctuating", series(step,
			pt{100, 0, 150, true}, pt{150, 0, 210, true}, pt{200, 0, 240, true}, pt{260, 0, 320, true}), 0, OK},
		{"samples older than the window are ignored for the trend", series(step,
			pt{100, 0, 400, true}, pt{100, 0, 600, true}, pt{550, 0, 610, true}, pt{560, 0, 630, true},
			pt{570, 0, 650, true}, pt{580, 0, 670, true}, pt{590, 0, 690, true}, pt{600, 0, 710, true},
			pt{610, 0, 730, true}), 0, Warn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.samples, after(tc.samples, tc.nowAdd), win)
			if got != tc.want {
				t.Fatalf("got %s, want %s; samples %+v", got, tc.want, tc.samples)
			}
			// The ring gives the same answer as the slice.
			w := NewWindow(len(tc.samples) + 2)
			for _, s := range tc.samples {
				w.Add(s)
			}
			if got := w.Status(after(tc.samples, tc.nowAdd), win); got != tc.want {
				t.Fatalf("window: got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEvaluateCommitAt(t *testing.T) {
	// A caller that knows when the offset last changed (CommitAt) gets STALL
	// or STOP from a single sample.
	s := Sample{At: t0, Committed: 10, HighWatermark: 20, CommitAt: t0.Add(-5 * time.Minute), Active: true}
	if got := Evaluate([]Sample{s}, t0, time.Minute); got != Stall {
		t.Fatalf("got %s, want STALL", got)
	}
	s.CommitAt = t0.Add(-10 * time.Second)
	if got := Evaluate([]Sample{s}, t0, time.Minute); got != Unknown {
		t.Fatalf("recent commit, one sample: got %s, want UNKNOWN", got)
	}
	s.Active = false // recent change counts as moving: not STOP yet
	if got := Evaluate([]Sample{s}, t0, time.Minute); got == Stop {
		t.Fatalf("recent commit without member should not be STOP yet")
	}
	if got := Evaluate([]Sample{s}, t0.Add(2*time.Minute), time.Minute); got != Stop {
		t.Fatalf("later: got %s, want STOP", got)
	}
}

func TestWorst(t *testing.T) {
	if got := Worst(); got != Unknown {
		t.Fatalf("empty: %s", got)
	}
	if got := Worst(Unknown, OK, Unknown); got != OK {
		t.Fatalf("UNKNOWN must not hide OK: %s", got)
	}
	for i := 1; i < len(Statuses); i++ {
		lo, hi := Statuses[i-1], Statuses[i]
		if lo.Severity() >= hi.Severity() {
			t.Fatalf("severity order broken at %s/%s", lo, hi)
		}
		if Worst(hi, lo) != hi || Worst(lo, hi) != hi {
			t.Fatalf("Worst(%s,%s) != %s", lo, hi, hi)
		}
	}
	if got := Worst(OK, Warn, Stop, Stall, OK); got != Stall {
		t.Fatalf("got %s", got)
	}
	if got := Worst(OK, Lost, Rewind); got != Lost {
		t.Fatalf("got %s", got)
	}
	if Status("bogus").Severity() != 0 {
		t.Fatal("unknown strings rank lowest")
	}
}

func TestWindowRing(t *testing.T) {
	w := NewWindow(3)
	for i := 0; i < 5; i++ {
		w.Add(Sample{At: t0.Add(time.Duration(i) * time.Second), Committed: int64(i), HighWatermark: 10})
	}
	got := w.Samples()
	if len(got) != 3 || got[0].Committed != 2 || got[2].Committed != 4 {
		t.Fatalf("ring kept %+v", got)
	}
	// Older sample dropped; same instant replaces.
	w.Add(Sample{At: t0, Committed: 99})
	w.Add(Sample{At: t0.Add(4 * time.Second), Committed: 7, HighWatermark: 10})
	got = w.Samples()
	if len(got) != 3 || got[2].Committed != 7 || got[1].Committed != 3 {
		t.Fatalf("after replace %+v", got)
	}
	if !got[2].CommitAt.Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("CommitAt of a changed offset should be its At: %v", got[2].CommitAt)
	}
	// CommitAt carries over while the offset is unchanged.
	w.Add(Sample{At: t0.Add(9 * time.Second), Committed: 7, HighWatermark: 10})
	if s, _ := w.Last(); !s.CommitAt.Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("CommitAt not carried: %v", s.CommitAt)
	}
	// First sample: unknown.
	var z Window
	z.Add(Sample{At: t0, Committed: 1})
	if s, _ := z.Last(); !s.CommitAt.IsZero() || z.Len() != 1 {
		t.Fatalf("first sample CommitAt should be unknown: %+v", s)
	}
	// Zero window keeps DefaultCapacity.
	for i := 0; i < 2*DefaultCapacity; i++ {
		z.Add(Sample{At: t0.Add(time.Duration(i+1) * time.Second)})
	}
	if z.Len() != DefaultCapacity {
		t.Fatalf("zero window len %d", z.Len())
	}
}

func TestEstimateTimeLag(t *testing.T) {
	// HW grows 10 records/s: offsets 100..199 written during t0..t0+10s.
	var s []Sample
	for i := 0; i <= 10; i++ {
		s = append(s, Sample{At: t0.Add(time.Duration(i) * time.Second), HighWatermark: 100 + 10*int64(i)})
	}
	last := s[len(s)-1].At
	near := func(d, want time.Duration) bool {
		return d > want-150*time.Millisecond && d < want+150*time.Millisecond
	}

	// Offset 149 written when HW went 149 -> 150: t0+5s, 5s before the newest sample.
	if d, ok := EstimateTimeLag(s, 149); !ok || !near(d, 5*time.Second) {
		t.Fatalf("interpolated: %v %v", d, ok)
	}
	if d, ok := EstimateTimeLag(s, 200); !ok || d != 0 {
		t.Fatalf("caught up: %v %v", d, ok)
	}
	if d, ok := EstimateTimeLag(s, 500); !ok || d != 0 {
		t.Fatalf("past HW: %v %v", d, ok)
	}
	// Offset 49: 51 records before the history began -> ~5.1s before t0, 15.1s total.
	if d, ok := EstimateTimeLag(s, 49); !ok || !near(d, 15100*time.Millisecond) {
		t.Fatalf("extrapolated: %v %v", d, ok)
	}
	if d, ok := EstimateTimeLag(nil, 10); ok || d != 0 {
		t.Fatalf("no samples: %v %v", d, ok)
	}
	if d, ok := EstimateTimeLag(s[:1], 50); ok || d != 0 {
		t.Fatalf("single sample: %v %v", d, ok)
	}
	// Nothing produced during the history: only a lower bound.
	flat := []Sample{{At: t0, HighWatermark: 100}, {At: t0.Add(30 * time.Second), HighWatermark: 100}}
	if d, ok := EstimateTimeLag(flat, 50); ok || d != 30*time.Second {
		t.Fatalf("flat: %v %v", d, ok)
	}
	// HW reset: only the history after it is used.
	reset := append([]Sample{{At: t0.Add(-time.Hour), HighWatermark: 5000}}, s...)
	if d, ok := EstimateTimeLag(reset, 149); !ok || !near(d, 5*time.Second) {
		t.Fatalf("after reset: %v %v", d, ok)
	}
	// The window method agrees.
	w := NewWindow(20)
	for _, x := range s {
		w.Add(x)
	}
	if d, ok := w.TimeLag(149); !ok || !near(d, 5*time.Second) || last.IsZero() {
		t.Fatalf("window: %v %v", d, ok)
	}
}

func TestTracker(t *testing.T) {
	var tr Tracker
	k := Key{Group: "g", Topic: "t", Partition: 0}
	for i := 0; i < 4; i++ {
		tr.Add(k, Sample{At: t0.Add(time.Duration(i) * time.Second), Committed: 5, HighWatermark: 5})
	}
	tr.Add(Key{Group: "old", Topic: "t"}, Sample{At: t0.Add(-time.Hour), Committed: 1, HighWatermark: 1})
	if tr.Len() != 2 || tr.Window(k).Len() != 4 || tr.Window(k).Status(t0.Add(4*time.Second), time.Minute) != OK {
		t.Fatal("tracker state")
	}
	tr.Prune(t0)
	if tr.Len() != 1 || tr.Window(k) == nil {
		t.Fatalf("prune left %d", tr.Len())
	}
}

func TestSampleLag(t *testing.T) {
	for _, tc := range []struct {
		s    Sample
		want int64
	}{
		{Sample{Committed: -1, HighWatermark: 10}, -1},
		{Sample{Committed: 3, HighWatermark: 10}, 7},
		{Sample{Committed: 30, HighWatermark: 10}, 0},
		{Sample{Committed: 2, LogStart: 5, HighWatermark: 10}, 8},
	} {
		if got := tc.s.Lag(); got != tc.want {
			t.Fatalf("%+v: %d want %d", tc.s, got, tc.want)
		}
	}
}

// BenchmarkTrackerRefresh: one refresh of the evaluator for 1,000 groups x
// 24 partitions with full 30-sample windows (Add + Status per partition).
//
//	go test ./backend/lag -run '^$' -bench TrackerRefresh
func BenchmarkTrackerRefresh(b *testing.B) {
	var tr Tracker
	keys := make([]Key, 0, 24000)
	for g := range 1000 {
		for p := range int32(24) {
			keys = append(keys, Key{Group: string(rune('a'+g%26)) + string(rune(g)), Topic: "t", Partition: p})
		}
	}
	at := t0
	add := func() {
		at = at.Add(2 * time.Second)
		n := int64(at.Sub(t0) / time.Second)
		for i, k := range keys {
			w := tr.Add(k, Sample{At: at, Committed: n*10 + int64(i%7), HighWatermark: n*11 + 50, Active: true})
			_ = w.Status(at, time.Minute)
		}
	}
	for range DefaultCapacity {
		add()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		add()
	}
}
