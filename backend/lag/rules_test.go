package lag

import (
	"strings"
	"testing"
	"time"
)

// sim generates the samples of one partition every step for d: records are
// produced at produce/s; the consumer commits every commitEvery, having
// consumed at consume/s but never past the high watermark.
type sim struct {
	step, commitEvery time.Duration
	produce, consume  float64
	startLag          float64
	timeLag           func(at time.Duration, lag int64) (time.Duration, bool)
}

func (s sim) run(w *Window, from time.Time, d time.Duration) time.Time {
	var at time.Time
	for e := time.Duration(0); e <= d; e += s.step {
		at = from.Add(e)
		hw := 1000 + s.startLag + s.produce*e.Seconds()
		// The committed offset is what was consumed at the last commit.
		ce := e - e%s.commitEvery
		c := min(1000+s.consume*ce.Seconds(), 1000+s.startLag+s.produce*ce.Seconds()-1)
		smp := Sample{At: at, Committed: int64(c), HighWatermark: int64(hw), Active: true}
		if s.timeLag != nil {
			smp.TimeLag, smp.TimeLagKnown = s.timeLag(e, smp.Lag())
		}
		w.Add(smp)
	}
	return at
}

func TestFallingBehindBatchCommitter(t *testing.T) {
	// analytics-etl: produced 0.4/s, consumed 0.1/s, committed every 20s.
	// Its lag drops at every commit, so the windowed WARN rule never fires;
	// the rates over the history do.
	s := sim{step: 2 * time.Second, commitEvery: 20 * time.Second, produce: 0.4, consume: 0.1, startLag: 500}
	w := NewWindow(40)
	now := s.run(w, t0, 10*time.Minute)
	v := w.Verdict(now, Config{})
	if v.Status != Behind {
		t.Fatalf("got %s (%s), want BEHIND", v.Status, v.Reason)
	}
	for _, want := range []string{"falling behind", "consuming 0.1/s", "0.4/s is produced", "over 10m"} {
		if !strings.Contains(v.Reason, want) {
			t.Errorf("reason %q lacks %q", v.Reason, want)
		}
	}
	if v.BasisText() != "based on 10m of samples" {
		t.Errorf("basis %q", v.BasisText())
	}
	// The same consumer seen only for the last minute (no history) is not
	// judged falling behind: the rates need two windows.
	short := NewWindow(40)
	for _, smp := range w.Samples()[len(w.Samples())-30:] {
		short.Add(smp)
	}
	if v := short.Verdict(now, Config{}); v.Status == Behind {
		t.Fatalf("one minute of samples: got BEHIND (%s)", v.Reason)
	}
}

func TestKeepingUpBatchCommitterIsOK(t *testing.T) {
	// Commits every 5s, consumes as fast as produced: a sawtooth between
	// ~0 and 2 records, never 0 at a sample. OK with both rates.
	s := sim{step: 2 * time.Second, commitEvery: 5 * time.Second, produce: 0.4, consume: 5, startLag: 0}
	w := NewWindow(40)
	now := s.run(w, t0.Add(time.Second), 30*time.Minute)
	v := w.Verdict(now, Config{})
	if v.Status != OK || !strings.HasPrefix(v.Reason, "keeping up: consuming 0.4/s, 0.4/s produced") {
		t.Fatalf("got %s (%s), want OK keeping up", v.Status, v.Reason)
	}
}

func TestFellBehindThenKeepsUpIsNotBehind(t *testing.T) {
	// Fell 600 records behind in the first half hour, keeps pace since:
	// the average rate over the hour is below production but the newer
	// half is not, so no BEHIND.
	w := NewWindow(40)
	behind := sim{step: 2 * time.Second, commitEvery: 2 * time.Second, produce: 0.4, consume: 0.1}
	end := behind.run(w, t0, 30*time.Minute)
	last, _ := w.Last()
	for e := 2 * time.Second; e <= 30*time.Minute; e += 2 * time.Second {
		p := int64(0.4 * e.Seconds())
		w.Add(Sample{At: end.Add(e), Committed: last.Committed + p, HighWatermark: last.HighWatermark + p, Active: true})
	}
	now := end.Add(30 * time.Minute)
	if v := w.Verdict(now, Config{}); v.Status != OK {
		t.Fatalf("got %s (%s), want OK", v.Status, v.Reason)
	}
}

func TestCatchingUp(t *testing.T) {
	w := NewWindow(40)
	s := sim{step: 2 * time.Second, commitEvery: 2 * time.Second, produce: 0.4, consume: 2, startLag: 5000}
	now := s.run(w, t0, 10*time.Minute)
	v := w.Verdict(now, Config{TimeLagThreshold: -1})
	if v.Status != OK || !strings.HasPrefix(v.Reason, "catching up: consuming 2.0/s, 0.4/s produced") {
		t.Fatalf("got %s (%s)", v.Status, v.Reason)
	}
}

func TestTimeLagThreshold(t *testing.T) {
	// Keeping pace, but 13 hours behind: LATE whatever the trend; a
	// group's own threshold or the rule turned off changes that.
	thirteenH := func(time.Duration, int64) (time.Duration, bool) { return 13 * time.Hour, true }
	s := sim{step: 2 * time.Second, commitEvery: 2 * time.Second, produce: 0.4, consume: 0.4, startLag: 20000, timeLag: thirteenH}
	w := NewWindow(40)
	now := s.run(w, t0, 5*time.Minute)
	v := w.Verdict(now, Config{})
	if v.Status != Late || v.Reason != "time lag 13h is over the 15m threshold" {
		t.Fatalf("default threshold: got %s (%s)", v.Status, v.Reason)
	}
	if v := w.Verdict(now, Config{TimeLagThreshold: 24 * time.Hour}); v.Status != OK {
		t.Fatalf("24h threshold: got %s (%s)", v.Status, v.Reason)
	}
	if v := w.Verdict(now, Config{TimeLagThreshold: -1}); v.Status != OK {
		t.Fatalf("rule off: got %s (%s)", v.Status, v.Reason)
	}
	// Unknown time lag never makes LATE.
	u := NewWindow(40)
	s.timeLag = nil
	if v := u.Verdict(s.run(u, t0, 5*time.Minute), Config{}); v.Status != OK {
		t.Fatalf("unknown time lag: got %s (%s)", v.Status, v.Reason)
	}
	// Falling behind beats LATE (first match, and more severe).
	s = sim{step: 2 * time.Second, commitEvery: 20 * time.Second, produce: 0.4, consume: 0.1, startLag: 500, timeLag: thirteenH}
	b := NewWindow(40)
	if v := b.Verdict(s.run(b, t0, 10*time.Minute), Config{}); v.Status != Behind {
		t.Fatalf("behind and late: got %s (%s)", v.Status, v.Reason)
	}
}

func TestVerdictFromHistoryAfterRestart(t *testing.T) {
	// Six hours of recorded history replayed into a fresh window (what a
	// restarted rewind does from its history store): the first verdict,
	// before any new sample, rests on the six hours.
	s := sim{step: 2 * time.Second, commitEvery: 20 * time.Second, produce: 0.4, consume: 0.1, startLag: 100}
	rec := NewWindow(40)
	now := s.run(rec, t0, 6*time.Hour)
	if rec.cn != int(6*time.Hour/CoarseStep)+1 && rec.cn != coarseCap {
		t.Fatalf("coarse ring holds %d samples", rec.cn)
	}
	if len(rec.coarse) > coarseCap || rec.Len() != 40 {
		t.Fatalf("memory not bounded: %d coarse, %d recent", len(rec.coarse), rec.Len())
	}
	v := rec.Verdict(now.Add(time.Second), Config{})
	if v.Status != Behind || v.BasisText() != "based on 5h50m of samples" && v.BasisText() != "based on 6h of samples" {
		t.Fatalf("got %s, %s (%s)", v.Status, v.BasisText(), v.Reason)
	}
	if v.RateSpan < 50*time.Minute || v.RateSpan > time.Hour {
		t.Fatalf("rates not over the 1h horizon (coarse samples every 10m): %s", v.Reason)
	}
}

func TestUnknownOnlyWithoutHistory(t *testing.T) {
	one := []Sample{{At: t0, Committed: 50, HighWatermark: 100, Active: true}}
	v := EvaluateVerdict(one, t0, Config{})
	if v.Status != Unknown || !strings.Contains(v.Reason, "not enough history") || v.BasisText() != "based on 1 sample" {
		t.Fatalf("one sample: %s (%s) %s", v.Status, v.Reason, v.BasisText())
	}
	if v := EvaluateVerdict(nil, t0, Config{}); v.Status != Unknown || v.BasisText() != "no samples" {
		t.Fatalf("no samples: %s %s", v.Status, v.BasisText())
	}
	// A sample from two hours ago (rewind was not running since): the
	// rates between it and now judge the partition.
	gap := []Sample{
		{At: t0.Add(-2 * time.Hour), Committed: 40, HighWatermark: 60, Active: true},
		{At: t0, Committed: 50, HighWatermark: 3000, Active: true},
	}
	v = EvaluateVerdict(gap, t0, Config{TimeLagThreshold: -1})
	if v.Status != Behind || !strings.Contains(v.Reason, "over 2h") {
		t.Fatalf("history with a gap: %s (%s)", v.Status, v.Reason)
	}
}

func TestRewindResetsRates(t *testing.T) {
	// Rates are not read across a rewind: after an offset reset the old
	// history says nothing about the new consumer.
	w := NewWindow(40)
	s := sim{step: 2 * time.Second, commitEvery: 2 * time.Second, produce: 0.4, consume: 0.1, startLag: 100}
	end := s.run(w, t0, 20*time.Minute)
	last, _ := w.Last()
	at := end
	c := last.Committed - 200 // the rewind
	hw := last.HighWatermark
	for e := 0; e < 90; e++ {
		at = at.Add(2 * time.Second)
		hw++
		c += 2
		w.Add(Sample{At: at, Committed: min(c, hw), HighWatermark: hw, Active: true})
	}
	v := w.Verdict(at.Add(2*time.Minute), Config{})
	if v.Status == Behind || v.RateSpan > 4*time.Minute {
		t.Fatalf("rates read across the rewind: %s (%s) span %s", v.Status, v.Reason, v.RateSpan)
	}
}

func TestEvaluateGroupRates(t *testing.T) {
	// Three partitions consumed round robin, one record every 8s in all,
	// while 0.45/s is produced: the group reason carries the group's rates.
	parts := make([]Part, 3)
	for i := range parts {
		w := NewWindow(40)
		s := sim{step: 2 * time.Second, commitEvery: 24 * time.Second, produce: 0.15, consume: 0.125 / 3, startLag: 300}
		s.run(w, t0.Add(time.Duration(i)*8*time.Second), 15*time.Minute)
		parts[i] = Part{Name: "payments/" + string(rune('0'+i)), W: w}
	}
	now := t0.Add(15*time.Minute + 20*time.Second)
	g, per := EvaluateGroup(parts, now, Config{})
	if g.Status != Behind || !strings.Contains(g.Reason, "consuming 0.04/s while 0.4/s is produced") &&
		!strings.Contains(g.Reason, "consuming 0.1/s while 0.5/s is produced") &&
		!strings.Contains(g.Reason, "consuming 0.1/s while 0.4/s is produced") {
		t.Fatalf("group: %s (%s); partitions %+v", g.Status, g.Reason, per)
	}
	if len(per) != 3 {
		t.Fatalf("%d partition verdicts", len(per))
	}
	// A STOP partition dominates and is named.
	stopped := Part{Name: "orders/5", W: NewWindow(4)}
	stopped.W.Add(Sample{At: now, Committed: 10, HighWatermark: 900})
	g, _ = EvaluateGroup(append(parts, stopped), now, Config{})
	if g.Status != Stop || !strings.HasPrefix(g.Reason, "orders/5: no live member; lag 890") {
		t.Fatalf("group with a stopped partition: %s (%s)", g.Status, g.Reason)
	}
	if g, _ := EvaluateGroup(nil, now, Config{}); g.Status != Unknown || g.Reason == "" {
		t.Fatalf("no partitions: %+v", g)
	}
}

func TestOwnGroupsNeverAlarm(t *testing.T) {
	stop := EvaluateVerdict([]Sample{{At: t0, Committed: 10, HighWatermark: 900}}, t0, Config{})
	o := stop.Own(Replay, "replay of email-notifier")
	if o.Status != Replay || o.Status.Alarm() || o.Status.Severity() != 0 {
		t.Fatalf("own verdict %+v", o)
	}
	if o.Reason != "replay of email-notifier; as a live group it would be STOP: no live member; lag 890" {
		t.Fatalf("reason %q", o.Reason)
	}
	for _, s := range Statuses {
		if s.Alarm() != (s.Severity() > OK.Severity()) {
			t.Fatalf("%s alarm %v", s, s.Alarm())
		}
	}
}

func TestFormatters(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 252 * time.Second: "4m12s", 13 * time.Hour: "13h",
		6*time.Hour + 5*time.Minute: "6h5m", 51*time.Hour + 10*time.Minute: "2d3h", 500 * time.Millisecond: "500ms",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for r, want := range map[float64]string{0: "0/s", 0.125: "0.1/s", 0.04: "0.04/s", 12.4: "12/s", 1234: "1.2k/s", 45678: "46k/s"} {
		if got := FormatRate(r); got != want {
			t.Errorf("FormatRate(%v) = %q, want %q", r, got, want)
		}
	}
	if FormatCount(4617) != "4,617" || FormatCount(-1234567) != "-1,234,567" || FormatCount(12) != "12" {
		t.Error("FormatCount")
	}
}

func TestAuditedResetIsNotConsumption(t *testing.T) {
	// email-notifier: no member, nothing consumed; rewind resets it to the
	// latest offsets at 10m (audited). The jump forward is not
	// consumption: STOP, and the rates after it say 0/s consumed, not
	// "catching up".
	set := t0.Add(10*time.Minute + time.Second) // stamped before the write
	w := NewWindow(120)
	var now time.Time
	committed := int64(1000)
	for e := time.Duration(0); e <= 10*time.Minute+40*time.Second; e += 2 * time.Second {
		now = t0.Add(e)
		hw := 1000 + int64(0.4*e.Seconds())
		if e >= 10*time.Minute+4*time.Second && committed == 1000 {
			committed = hw - 1 // the reset's write landed a moment ago
		}
		w.Add(Sample{At: now, Committed: committed, HighWatermark: hw})
	}
	cfg := Config{Window: time.Minute}
	if v := w.Verdict(now, cfg); v.Status != OK || !v.Rates() || v.Consume <= 0.1 {
		t.Fatalf("without the audit the jump reads as consumption (the case this guards): %+v", v)
	}
	cfg.OffsetsSetAt = set
	v := w.Verdict(now, cfg)
	if v.Status != Stop || !strings.Contains(v.Reason, "offsets set by rewind 39s ago") {
		t.Fatalf("got %s (%s), want STOP: offsets set by rewind", v.Status, v.Reason)
	}
	// The rates (of a member that joins now) start after the jump.
	samples := w.Samples()
	for i := range samples {
		samples[i].Active = true
	}
	act := NewWindow(120)
	for _, s := range samples {
		act.Add(s)
	}
	v = act.Verdict(now, cfg)
	if !v.Rates() || v.Consume != 0 || v.Produce < 0.3 || v.RateSpan > time.Minute || strings.Contains(v.Reason, "catching up") {
		t.Fatalf("rates after the audited reset: consume %v produce %v over %s (%s %s)", v.Consume, v.Produce, v.RateSpan, v.Status, v.Reason)
	}
	// A change newer than every sample: no rates yet, not stale ones.
	cfg.OffsetsSetAt = now.Add(time.Second)
	if v := w.Verdict(now, cfg); v.Rates() {
		t.Fatalf("rates from before a change no sample has seen: %+v", v)
	}
}
