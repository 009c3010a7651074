package lag

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of Config (documented in the README).
const (
	// DefaultWindow is the Burrow window when Config.Window is 0.
	DefaultWindow = time.Minute
	// DefaultRateHorizon is how far back the consume and produce rates
	// are read (rule 8).
	DefaultRateHorizon = time.Hour
	// DefaultTimeLagThreshold is the time lag over which a group is LATE
	// (rule 9), unless its context sets another.
	DefaultTimeLagThreshold = 15 * time.Minute
	// RateTolerance: consuming below (1 - RateTolerance) x the produce
	// rate is falling behind; within it, noise.
	RateTolerance = 0.10
)

// Config tunes the evaluator. The zero value is the defaults.
type Config struct {
	// Window is the sliding window of the Burrow rules (DefaultWindow).
	Window time.Duration
	// RateHorizon bounds the history the rates are read from
	// (DefaultRateHorizon).
	RateHorizon time.Duration
	// TimeLagThreshold: a time lag over it is LATE. 0 is
	// DefaultTimeLagThreshold; negative turns the rule off.
	TimeLagThreshold time.Duration
	// OffsetsSetAt is when the group's offsets were last changed by rewind
	// (an audited reset or replay cut-over; zero: never). The offsets jump
	// then, and a jump forward looks like consumption: the rates start
	// after it (see rates).
	OffsetsSetAt time.Time
}

// setSettle is how long after an audited change its write may land: the
// entry is stamped before the offsets are written.
const setSettle = time.Minute

func (c Config) window() time.Duration {
	if c.Window <= 0 {
		return DefaultWindow
	}
	return c.Window
}

func (c Config) horizon() time.Duration {
	if c.RateHorizon <= 0 {
		return DefaultRateHorizon
	}
	return max(c.RateHorizon, 2*c.window())
}

// Threshold is the effective time-lag threshold; ok is false when the rule
// is off.
func (c Config) Threshold() (time.Duration, bool) {
	switch {
	case c.TimeLagThreshold < 0:
		return 0, false
	case c.TimeLagThreshold == 0:
		return DefaultTimeLagThreshold, true
	}
	return c.TimeLagThreshold, true
}

// Verdict is a status with its one-line reason and the history it rests
// on.
type Verdict struct {
	Status Status
	// Reason says why in one line ("consuming 0.1/s while 0.4/s is
	// produced (over 1h)").
	Reason string
	// Basis is the span of samples the verdict rests on: from the oldest
	// sample since the latest reset to the newest. 0 with one sample.
	Basis time.Duration
	// Consume and Produce are records/s over RateSpan when RateSpan > 0.
	Consume, Produce float64
	RateSpan         time.Duration

	// What rule 8 needs, so a group can sum its partitions.
	lagDelta, recentDelta, swing int64
}

// Rates reports whether Consume and Produce are known.
func (v Verdict) Rates() bool { return v.RateSpan > 0 }

// BasisText is "based on 6h of samples", "based on 1 sample" or "no
// samples".
func (v Verdict) BasisText() string {
	if v.Basis <= 0 {
		if v.Status == Unknown && v.Reason == reasonNoSamples {
			return "no samples"
		}
		return "based on 1 sample"
	}
	return "based on " + FormatDuration(v.Basis) + " of samples"
}

// Own relabels the verdict of one of rewind's own groups: status (Replay or
// Projection) and the label ("replay of email-notifier") become the
// verdict, and what it would have been is kept in the reason, so it is seen
// but never alarms.
func (v Verdict) Own(status Status, label string) Verdict {
	o := v
	o.Status = status
	o.Reason = label
	if v.Status != "" && v.Status != OK {
		o.Reason += "; as a live group it would be " + string(v.Status)
		if v.Reason != "" {
			o.Reason += ": " + v.Reason
		}
	} else if v.Reason != "" {
		o.Reason += "; " + v.Reason
	}
	return o
}

const reasonNoSamples = "no samples yet"

// hist is a partition's history: the coarse samples older than the recent
// ring (c[:nc]), then the recent ring f, oldest first.
type hist struct {
	c, f view
	nc   int
}

func (h hist) len() int { return h.nc + h.f.n }

func (h hist) at(i int) Sample {
	if i < h.nc {
		return h.c.at(i)
	}
	return h.f.at(i - h.nc)
}

// resetAt reports a reset between a and b (see the package doc).
func resetAt(a, b Sample) bool {
	return b.HighWatermark < a.HighWatermark || b.LogStart < a.LogStart || a.Committed < 0
}

func evaluate(h hist, now time.Time, cfg Config) Verdict {
	window := cfg.window()
	v := h.f
	if v.n == 0 {
		return Verdict{Status: Unknown, Reason: reasonNoSamples}
	}
	last := v.at(v.n - 1)

	// Basis: the whole history since the latest reset.
	hs := 0
	for i := h.len() - 1; i > 0; i-- {
		if resetAt(h.at(i-1), h.at(i)) {
			hs = i
			break
		}
	}
	basis := last.At.Sub(h.at(hs).At)
	out := func(s Status, format string, args ...any) Verdict {
		return Verdict{Status: s, Reason: fmt.Sprintf(format, args...), Basis: basis}
	}

	if last.Committed < 0 {
		return out(Unknown, "no committed offset")
	}
	if last.Committed < last.LogStart {
		return out(Lost, "committed offset %d is below the log start %d: %s records deleted before the group read them",
			last.Committed, last.LogStart, FormatCount(last.LogStart-last.Committed))
	}
	seg := segmentStart(v)
	ws := seg // first sample inside the window
	for ws < v.n-1 && now.Sub(v.at(ws).At) > window {
		ws++
	}

	// 3. REWIND: a backwards step observed inside the window. The step
	// between ws-1 and ws was observed at ws, so it counts.
	for i := max(ws, seg+1); i < v.n; i++ {
		if a, b := v.at(i-1), v.at(i); b.Committed < a.Committed {
			return out(Rewind, "committed offset went back from %d to %d %s ago",
				a.Committed, b.Committed, FormatDuration(now.Sub(b.At)))
		}
	}

	if last.Lag() == 0 {
		return out(OK, "caught up (lag 0)")
	}

	// When did the committed offset last change?
	changed := last.CommitAt
	known := !changed.IsZero()
	if !known {
		r := v.n - 1
		for r > seg && v.at(r-1).Committed == last.Committed {
			r--
		}
		changed = v.at(r).At
		known = r > seg // a change was observed between r-1 and r
	}
	idle := now.Sub(changed)
	moving := known && idle <= window
	// rewind's own write (an audited reset) is not a consumer moving.
	if set := cfg.OffsetsSetAt; moving && !last.Active && !set.IsZero() && !changed.Before(set) && changed.Sub(set) <= setSettle {
		return out(Stop, "no live member; lag %s, offsets set by rewind %s ago", FormatCount(last.Lag()), FormatDuration(now.Sub(set)))
	}

	if !last.Active && !moving {
		switch {
		case known:
			return out(Stop, "no live member; lag %s, offset unchanged for %s", FormatCount(last.Lag()), FormatDuration(idle))
		case idle > 0:
			return out(Stop, "no live member; lag %s, offset not seen moving in %s", FormatCount(last.Lag()), FormatDuration(idle))
		}
		return out(Stop, "no live member; lag %s", FormatCount(last.Lag()))
	}
	if idle > window {
		return out(Stall, "a live member holds it but the offset has not moved for %s; lag %s",
			FormatDuration(idle), FormatCount(last.Lag()))
	}
	for i := ws; i < v.n; i++ {
		if v.at(i).Lag() == 0 {
			return out(OK, "caught up within the last %s", FormatDuration(window))
		}
	}

	r := rates(h, now, cfg, ws)
	r.Basis = basis
	if r.Rates() && r.behind(window) {
		r.Status = Behind
		r.Reason = behindReason(r.Consume, r.Produce, r.RateSpan)
		return r
	}
	if th, on := cfg.Threshold(); on && last.TimeLagKnown && last.TimeLag > th {
		r.Status = Late
		r.Reason = fmt.Sprintf("time lag %s is over the %s threshold", FormatDuration(last.TimeLag), FormatDuration(th))
		return r
	}
	if v.n-ws < MinSamples && !r.Rates() {
		return out(Unknown, "lag %s; %d samples over %s: not enough history for a trend",
			FormatCount(last.Lag()), v.n-ws, FormatDuration(last.At.Sub(v.at(ws).At)))
	}
	if v.n-ws >= MinSamples {
		growing := true
		for i := ws + 1; i < v.n; i++ {
			if v.at(i).Lag() < v.at(i-1).Lag() {
				growing = false
				break
			}
		}
		// A trend needs time as well as samples: a healthy consumer that
		// commits in batches shows lag rising over a few seconds all the
		// time. Burrow waits for a full window; half of it is enough here.
		span := last.At.Sub(v.at(ws).At)
		if growing && last.Lag() > v.at(ws).Lag() && span >= window/2 {
			r.Status = Warn
			r.Reason = fmt.Sprintf("lag grew at every sample over the last %s (%s to %s)",
				FormatDuration(span), FormatCount(v.at(ws).Lag()), FormatCount(last.Lag()))
			return r
		}
	}
	r.Status = OK
	if r.Rates() {
		r.Reason = okReason(r.Consume, r.Produce, r.RateSpan)
	} else {
		r.Reason = fmt.Sprintf("offset advancing, lag %s not growing", FormatCount(last.Lag()))
	}
	return r
}

// rates reads the consume and produce rates of rule 8 from the history
// since the latest reset or rewind, up to the rate horizon, with the lag's
// swing inside the window (from ws in the recent ring). RateSpan is 0 when
// the history is shorter than half a window.
func rates(h hist, now time.Time, cfg Config, ws int) Verdict {
	n := h.len()
	last := h.at(n - 1)
	rs := 0 // first sample after the latest reset or rewind
	for i := n - 1; i > 0; i-- {
		a, b := h.at(i-1), h.at(i)
		if resetAt(a, b) || b.Committed < a.Committed {
			rs = i
			break
		}
	}
	rs = max(rs, afterSet(h, cfg.OffsetsSetAt))
	base := rs
	for base < n-1 && now.Sub(h.at(base).At) > cfg.horizon() {
		base++
	}
	if base == n-1 && base > rs {
		base-- // a gap: the newest sample before it
	}
	b := h.at(base)
	span := last.At.Sub(b.At)
	var out Verdict
	if base == n-1 || span < cfg.window()/2 {
		return out
	}
	sec := span.Seconds()
	out.RateSpan = span
	out.Consume = float64(last.Committed-b.Committed) / sec
	out.Produce = float64(last.HighWatermark-b.HighWatermark) / sec
	out.lagDelta = last.Lag() - b.Lag()
	mid := base
	midAt := b.At.Add(span / 2)
	for mid < n-1 && h.at(mid).At.Before(midAt) {
		mid++
	}
	out.recentDelta = last.Lag() - h.at(mid).Lag()
	if mid == n-1 {
		out.recentDelta = out.lagDelta // no sample in the newer half (a gap)
	}
	lo, hi := last.Lag(), last.Lag()
	for i := ws; i < h.f.n; i++ {
		l := h.f.at(i).Lag()
		lo, hi = min(lo, l), max(hi, l)
	}
	out.swing = hi - lo
	return out
}

// afterSet is the first sample after rewind changed the offsets at set:
// the one where the committed offset moved within setSettle of it (the
// write), else the first one at or after it; 0 when set is zero or older
// than the history.
func afterSet(h hist, set time.Time) int {
	n := h.len()
	if set.IsZero() || n == 0 || h.at(0).At.After(set) {
		return 0
	}
	for i := 1; i < n; i++ {
		if h.at(i).At.Before(set) {
			continue
		}
		for k := i; k < n && h.at(k).At.Sub(set) <= setSettle; k++ {
			if h.at(k).Committed != h.at(k-1).Committed {
				return k
			}
		}
		return i
	}
	return n - 1
}

// behind is rule 8 on rates already read; the span must cover two windows.
func (v Verdict) behind(window time.Duration) bool {
	return v.RateSpan >= 2*window && v.Produce > 0 &&
		v.Consume < (1-RateTolerance)*v.Produce &&
		v.lagDelta > v.swing && v.recentDelta > v.swing
}

func behindReason(consume, produce float64, span time.Duration) string {
	return fmt.Sprintf("falling behind: consuming %s while %s is produced (over %s)",
		FormatRate(consume), FormatRate(produce), FormatDuration(span))
}

func okReason(consume, produce float64, span time.Duration) string {
	what := "keeping up"
	switch {
	case consume > produce*(1+RateTolerance):
		what = "catching up"
	case consume < produce*(1-RateTolerance):
		what = "slower than produced, not yet a trend"
	}
	return fmt.Sprintf("%s: consuming %s, %s produced (over %s)",
		what, FormatRate(consume), FormatRate(produce), FormatDuration(span))
}

// Part is one partition of a group for EvaluateGroup.
type Part struct {
	// Name is how the reason names the partition ("orders/3").
	Name string
	W    *Window
}

// EvaluateGroup judges every partition of a group and the group: the worst
// partition verdict, or BEHIND on the group's summed rates (rule 8 over all
// partitions) when that is worse. The group's reason names the partition
// it comes from; with rates, an OK group says "keeping up" with the
// group's rates.
func EvaluateGroup(parts []Part, now time.Time, cfg Config) (Verdict, []Verdict) {
	per := make([]Verdict, len(parts))
	worst := -1
	nWorst := 0
	var sum Verdict
	var span time.Duration
	nRates := 0
	for i, p := range parts {
		if p.W == nil {
			per[i] = Verdict{Status: Unknown, Reason: reasonNoSamples}
		} else {
			per[i] = p.W.Verdict(now, cfg)
		}
		v := per[i]
		switch {
		case worst < 0 || v.Status.Severity() > per[worst].Status.Severity():
			worst, nWorst = i, 1
		case v.Status == per[worst].Status:
			nWorst++
		}
		if v.Rates() {
			nRates++
			sum.Consume += v.Consume
			sum.Produce += v.Produce
			sum.lagDelta += v.lagDelta
			sum.recentDelta += v.recentDelta
			sum.swing += v.swing
			span = max(span, v.RateSpan)
		}
		sum.Basis = max(sum.Basis, v.Basis)
	}
	if worst < 0 {
		return Verdict{Status: Unknown, Reason: "no partitions: no commits, assignments or subscriptions"}, per
	}
	g := per[worst]
	g.Basis = sum.Basis
	sum.RateSpan = span
	if nRates > 0 {
		g.Consume, g.Produce, g.RateSpan = sum.Consume, sum.Produce, span
	}
	if nRates > 0 && g.Status.Severity() < Behind.Severity() && sum.behind(cfg.window()) {
		g.Status = Behind
		g.Reason = behindReason(sum.Consume, sum.Produce, span)
		return g, per
	}
	switch {
	case g.Status == OK && nRates > 0 && len(parts) > 1:
		g.Reason = okReason(sum.Consume, sum.Produce, span)
	case g.Status == Behind && len(parts) > 1 && sum.behind(cfg.window()):
		g.Reason = behindReason(sum.Consume, sum.Produce, span)
	case len(parts) > 1 && nWorst == len(parts):
		g.Reason = groupReason(parts, per, g)
	case len(parts) > 1 && g.Reason != "":
		if g.Status == Late {
			worst = latest(parts, per, g.Status, worst)
			g.Reason = per[worst].Reason
		}
		g.Reason = parts[worst].Name + ": " + g.Reason
		if nWorst > 1 {
			g.Reason += fmt.Sprintf(" (and %d more partitions)", nWorst-1)
		}
	}
	return g, per
}

// groupReason words the verdict of a group whose every partition has the
// same one, with the group's numbers rather than one partition's.
func groupReason(parts []Part, per []Verdict, g Verdict) string {
	var lagSum, lost int64
	n := len(parts)
	for _, p := range parts {
		if p.W == nil {
			continue
		}
		if s, ok := p.W.Last(); ok && s.Committed >= 0 {
			lagSum += s.Lag()
			if s.Committed < s.LogStart {
				lost += s.LogStart - s.Committed
			}
		}
	}
	switch g.Status {
	case Stop:
		return fmt.Sprintf("no live member; lag %s on %d partitions", FormatCount(lagSum), n)
	case Lost:
		return fmt.Sprintf("committed offsets below the log start on all %d partitions: %s records deleted before the group read them", n, FormatCount(lost))
	case Late:
		return per[latest(parts, per, Late, 0)].Reason
	case OK, Unknown:
		return per[0].Reason
	}
	return per[0].Reason + fmt.Sprintf(" (all %d partitions)", n)
}

// latest is the partition with status st and the largest time lag.
func latest(parts []Part, per []Verdict, st Status, def int) int {
	best, bestLag := def, time.Duration(-1)
	for i, p := range parts {
		if per[i].Status != st || p.W == nil {
			continue
		}
		if s, ok := p.W.Last(); ok && s.TimeLagKnown && s.TimeLag > bestLag {
			best, bestLag = i, s.TimeLag
		}
	}
	return best
}

// FormatDuration renders a duration compactly, to the largest two units
// for long ones: "45s", "4m12s", "13h", "6h5m", "2d3h".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Second {
		if d == 0 {
			return "0s"
		}
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	s := int64(d / time.Second)
	day, h, m := s/86400, s/3600%24, s/60%60
	s %= 60
	var b strings.Builder
	part := func(v int64, u string) { b.WriteString(strconv.FormatInt(v, 10) + u) }
	switch {
	case day > 0:
		part(day, "d")
		if h > 0 {
			part(h, "h")
		}
	case h > 0:
		part(h, "h")
		if m > 0 {
			part(m, "m")
		}
	case m > 0:
		part(m, "m")
		if s > 0 {
			part(s, "s")
		}
	default:
		part(s, "s")
	}
	return b.String()
}

// FormatRate renders records/s: "0.1/s", "12/s", "1.2k/s".
func FormatRate(r float64) string {
	if r < 0 {
		r = 0
	}
	switch {
	case r >= 1e6:
		return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M/s"
	case r >= 1e4:
		return strconv.FormatFloat(r/1e3, 'f', 0, 64) + "k/s"
	case r >= 1e3:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k/s"
	case r >= 10 || r == 0:
		return strconv.FormatFloat(r, 'f', 0, 64) + "/s"
	case r >= 0.1:
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	case r >= 0.01:
		return strconv.FormatFloat(r, 'f', 2, 64) + "/s"
	}
	return strconv.FormatFloat(r, 'g', 2, 64) + "/s"
}

// FormatCount renders a count with thousands separators: "4,617".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
