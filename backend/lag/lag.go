// Package lag judges consumer-group health from samples of committed offsets
// and watermarks. It is pure: no I/O, no clock (callers pass "now"), so every
// rule can be tested with synthetic sample sequences.
//
// The evaluator follows Burrow's sliding-window rules, adapted to what rewind
// can observe. Burrow sees every offset commit (it reads __consumer_offsets);
// rewind polls OffsetFetch, which returns the committed offset but no commit
// timestamp. A Sample is therefore one poll: when it was taken, the committed
// offset, the partition's log start and high watermark, and whether a live
// member of the group holds the partition (from DescribeGroups /
// ConsumerGroupDescribe).
//
// # Rules
//
// Lag is HighWatermark - Committed, clamped at 0. A partition's samples are
// first cut at the latest reset: a sample whose high watermark or log start
// is lower than the previous sample's (partition truncated, recreated or
// reopened), or whose previous sample had no commit, starts a new history;
// samples before it are ignored, so a reset is never mistaken for a rewind or
// a trend. The window (Config.Window, at least a minute) is the samples taken
// within it of now (the newest sample always counts); the rate horizon
// (Config.RateHorizon, an hour) is the longer history the rates are read
// from. Rules are applied in this order; the first that matches wins:
//
//  1. UNKNOWN: no samples, or the newest sample has no commit (Committed < 0).
//     Burrow ignores such partitions; kafka-consumer-groups prints "-".
//  2. LOST: Committed < LogStart in the newest sample. Records between the
//     committed offset and the log start were deleted (retention,
//     DeleteRecords) before the group read them. Judged from one sample.
//  3. REWIND: the committed offset moved backwards between two consecutive
//     samples inside the window (an offset reset, a replay, a consumer
//     restarting from an older checkpoint). Unlike Burrow, a rewind is
//     reported even if lag touched 0 in the window: it is an event the
//     operator should see. It ages out when the backwards step leaves the
//     window.
//  4. OK: lag is 0 in the newest sample.
//  5. STOP: lag > 0, no live member of the group holds the partition (the
//     group is empty, or the partition is not assigned), and the committed
//     offset has not been seen to change within the window. The consumer is
//     gone. Judged from one sample, so a one-shot `rewind lag` shows it.
//     A consumer that commits without joining the group (manual assignment)
//     shows STOP until its offset is seen moving.
//  6. STALL: lag > 0, a live member holds the partition, and the committed
//     offset has not changed for longer than the window. This is "committing
//     without advancing": the member is alive (it heartbeats and keeps its
//     assignment; kgo and the Java client re-commit the same offset on their
//     auto-commit timer) but the position does not move - a poison record, a
//     stuck handler. OffsetFetch has no commit timestamps, so a live member
//     that stopped committing altogether also shows here.
//     "Has not changed for" is measured from Sample.CommitAt of the newest
//     sample when known, else from the first sample of the trailing run of
//     samples with the same committed offset (a lower bound: rewind has not
//     watched longer than that).
//  7. OK: lag was 0 in any sample of the window (Burrow: a consumer that
//     caught up within the window is not in error).
//  8. BEHIND (falling behind): the group consumes the partition more slowly
//     than it is produced. Rates are read over the history since the latest
//     reset or rewind, up to the rate horizon (the oldest sample in it; when
//     rewind was not running for a while, the newest sample before the
//     gap), and need a span of at least two windows. The consume rate
//     (committed offset per second) is below (1 - RateTolerance) x the
//     produce rate (high watermark per second), and lag grew by more than
//     its swing inside the window (max - min of the window's lags: the
//     sawtooth of a consumer that commits in batches) both over the whole
//     span and over its newer half (so a consumer that fell behind an hour
//     ago and keeps up now is not flagged). This is the rule a windowed
//     "lag grew at every sample" (WARN) misses for batch committers: their
//     lag goes down at every commit while they fall hours behind.
//  9. LATE: the time lag of the newest sample (Sample.TimeLag: the age of
//     the oldest record the group has not consumed) is over
//     Config.TimeLagThreshold (DefaultTimeLagThreshold, 15m; per group in
//     the context config), whatever the trend: a consumer catching up 13
//     hours behind is still 13 hours behind.
//  10. UNKNOWN: fewer than MinSamples samples in the window and no rates
//     (less than half a window of history): not enough data for a trend.
//     With history, this rule never fires: a verdict is always given.
//  11. WARN: lag grew across the window: every sample's lag >= the
//     previous one, the newest > the oldest, and the samples span at least
//     half the window (a few seconds of rising lag is how a healthy consumer
//     that commits in batches looks). Burrow also requires the
//     offset to advance; here a non-advancing offset with growing lag is
//     WARN until the window has passed and rule 5 or 6 takes over.
//  12. OK: otherwise (the offset advances and lag is not growing); with
//     rates, the reason says "keeping up" with both.
//
// Committed > HighWatermark (the log was truncated or recreated under the
// group) clamps lag to 0 and is OK by rule 4.
//
// Every verdict comes with a one-line reason (Verdict.Reason) and the span of
// history it rests on (Verdict.Basis: "based on 6h of samples"). A Window
// keeps two rings: the newest samples at full resolution (the window and
// some slack) and one sample every CoarseStep for CoarseSpan, so the rates
// and the basis reach back hours in bounded memory.
//
// # Group verdict
//
// A group's verdict is the worst of its partitions' verdicts, by Severity:
// UNKNOWN < OK < WARN < LATE < BEHIND < STOP < STALL < REWIND < LOST. This is
// Burrow's order (a stalled consumer is alive but wedged and needs a person;
// a rewind means downstream sees records again) with LOST on top: data the
// group never read is gone for good. UNKNOWN is lowest so that partitions
// without commits do not hide the state of the others. BEHIND is also judged
// on the group's summed rates (rule 8 over all partitions), so a group whose
// every partition is a little behind is flagged with the group's rates
// ("consuming 0.1/s while 0.4/s is produced").
//
// rewind's own groups (replays, projections) are not judged: their verdict
// is REPLAY or PROJECTION with a label ("replay of email-notifier"), never
// an alarm (see Verdict.Own).
package lag

import (
	"math"
	"sort"
	"time"
)

// Status is a health verdict for a partition or a group.
type Status string

// The verdicts, from least to most severe.
const (
	Unknown Status = "UNKNOWN"
	OK      Status = "OK"
	Warn    Status = "WARN"
	Late    Status = "LATE"
	Behind  Status = "BEHIND"
	Stop    Status = "STOP"
	Stall   Status = "STALL"
	Rewind  Status = "REWIND"
	Lost    Status = "LOST"

	// Replay and Projection are rewind's own groups: labelled, never
	// judged (see Verdict.Own). Severity 0, like UNKNOWN.
	Replay     Status = "REPLAY"
	Projection Status = "PROJECTION"
)

// Statuses lists every health verdict in severity order, least severe
// first (Replay and Projection are roles, not verdicts).
var Statuses = []Status{Unknown, OK, Warn, Late, Behind, Stop, Stall, Rewind, Lost}

// Severity orders verdicts: 0 for UNKNOWN, REPLAY, PROJECTION (and anything
// unrecognised) up to 8 for LOST.
func (s Status) Severity() int {
	switch s {
	case OK:
		return 1
	case Warn:
		return 2
	case Late:
		return 3
	case Behind:
		return 4
	case Stop:
		return 5
	case Stall:
		return 6
	case Rewind:
		return 7
	case Lost:
		return 8
	}
	return 0
}

// Alarm reports whether the verdict needs a person: anything but OK,
// UNKNOWN and rewind's own groups.
func (s Status) Alarm() bool { return s.Severity() > 1 }

// Worst returns the most severe of the statuses (UNKNOWN when none are
// given). A group's verdict is Worst of its partitions' verdicts.
func Worst(statuses ...Status) Status {
	w := Unknown
	for _, s := range statuses {
		if s.Severity() > w.Severity() {
			w = s
		}
	}
	return w
}

// MinSamples is the number of samples the window must hold before a trend
// (WARN or OK by trend) is judged; with fewer, a lagging, live partition is
// UNKNOWN.
const MinSamples = 3

// Sample is one observation of a group's position on one partition.
type Sample struct {
	At            time.Time
	Committed     int64 // -1: the group has no commit on this partition
	LogStart      int64
	HighWatermark int64
	// CommitAt is when the committed offset was last seen to change, if
	// known. Window.Add fills it in; zero means unknown.
	CommitAt time.Time
	// Active reports that a live member of the group holds the partition
	// when the sample was taken.
	Active bool
	// TimeLag is the age of the oldest record the group has not consumed
	// when the sample was taken, if TimeLagKnown (rule 9, LATE).
	TimeLag      time.Duration
	TimeLagKnown bool
}

// Lag is HighWatermark - Committed clamped at 0; -1 when there is no commit.
func (s Sample) Lag() int64 {
	if s.Committed < 0 {
		return -1
	}
	if l := s.HighWatermark - s.Committed; l > 0 {
		return l
	}
	return 0
}

// DefaultCapacity is the number of samples a zero Window keeps.
const DefaultCapacity = 30

// The long history of a Window: one sample every CoarseStep, for
// CoarseSpan (36 samples, at most about 3.5 KB per partition, grown as
// needed).
const (
	CoarseStep = 10 * time.Minute
	CoarseSpan = 6 * time.Hour
)

const coarseCap = int(CoarseSpan / CoarseStep)

// Window is a bounded ring of the newest samples of one partition, plus a
// ring of one sample every CoarseStep over CoarseSpan for rates and the
// basis of verdicts. The zero value keeps DefaultCapacity samples. Not safe
// for concurrent use.
//
// Memory: the groups screen keeps one window per group partition (24,000
// for 1,000 groups on 24 partitions), so samples are stored packed (56
// bytes instead of Sample's 96) and both rings grow as samples arrive
// instead of being allocated full: a one-shot command holds one sample per
// partition, not a ring of 30.
type Window struct {
	buf   []packed
	start int
	n     int
	cap   int // of buf; 0: DefaultCapacity

	coarse []packed
	cstart int
	cn     int
}

// packed is a Sample as a Window stores it: times as Unix nanoseconds
// (noTime for the zero time), flags in bytes.
type packed struct {
	at, commitAt             int64
	committed, logStart, hwm int64
	timeLag                  int64
	active, timeLagKnown     bool
}

const noTime = math.MinInt64

func packTime(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func unpackTime(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func pack(s Sample) packed {
	return packed{at: packTime(s.At), commitAt: packTime(s.CommitAt), committed: s.Committed, logStart: s.LogStart,
		hwm: s.HighWatermark, timeLag: int64(s.TimeLag), active: s.Active, timeLagKnown: s.TimeLagKnown}
}

func (p *packed) sample() Sample {
	return Sample{At: unpackTime(p.at), CommitAt: unpackTime(p.commitAt), Committed: p.committed, LogStart: p.logStart,
		HighWatermark: p.hwm, TimeLag: time.Duration(p.timeLag), Active: p.active, TimeLagKnown: p.timeLagKnown}
}

// NewWindow returns a window keeping at most capacity samples (at least 2).
func NewWindow(capacity int) *Window {
	if capacity < 2 {
		capacity = 2
	}
	return &Window{cap: capacity}
}

// Add appends a sample, evicting the oldest when full. A sample not newer
// than the newest one replaces it when taken at the same instant and is
// dropped when older. When s.CommitAt is zero it is derived: carried over
// from the previous sample if the committed offset is unchanged, s.At if it
// changed, unknown (zero) for the first sample.
func (w *Window) Add(s Sample) {
	if w.cap == 0 {
		w.cap = DefaultCapacity
	}
	// Stored as it will be read back (nanoseconds, no monotonic reading),
	// so comparisons with stored samples are exact.
	ps := pack(s)
	s = ps.sample()
	if w.n > 0 {
		last := w.at(w.n - 1)
		if s.At.Before(last.At) {
			return
		}
		if s.At.Equal(last.At) {
			w.n-- // replace the newest sample
		}
	}
	if w.n > 0 && s.CommitAt.IsZero() {
		if prev := w.at(w.n - 1); s.Committed == prev.Committed {
			s.CommitAt = prev.CommitAt
		} else {
			s.CommitAt = s.At
		}
		ps.commitAt = packTime(s.CommitAt)
	}
	var prev *Sample
	if w.n > 0 {
		p := w.at(w.n - 1)
		prev = &p
	}
	w.addCoarse(ps, s, prev)
	if w.n < len(w.buf) || len(w.buf) < w.cap {
		// Not full: the ring is a growing slice until it reaches cap
		// (start is 0 while it grows).
		if w.n < len(w.buf) {
			w.buf[(w.start+w.n)%len(w.buf)] = ps
		} else {
			w.buf = append(w.buf, ps)
		}
		w.n++
		return
	}
	w.buf[w.start] = ps
	w.start = (w.start + 1) % len(w.buf)
}

// addCoarse keeps s in the coarse ring when it is CoarseStep after the
// newest coarse sample (or replaces it when taken at the same instant). A
// reset starts the ring afresh at s (what came before is ignored anyway),
// and a rewind is always kept: the first sample after either is where the
// basis and the rates start, and must not wait for the next CoarseStep.
func (w *Window) addCoarse(ps packed, s Sample, prev *Sample) {
	if prev != nil && resetAt(*prev, s) {
		w.coarse, w.cstart, w.cn = w.coarse[:0], 0, 0
	}
	cv := view{w.coarse, w.cstart, w.cn}
	rewound := prev != nil && s.Committed < prev.Committed
	if w.cn > 0 && !rewound {
		last := cv.at(w.cn - 1)
		if s.At.Equal(last.At) {
			w.coarse[cv.index(w.cn-1)] = ps
			return
		}
		if s.At.Sub(last.At) < CoarseStep {
			return
		}
	}
	if w.cn < coarseCap {
		// Not full yet: cstart is 0 and the ring is a growing slice.
		w.coarse = append(w.coarse, ps)
		w.cn++
		return
	}
	w.coarse[w.cstart] = ps
	w.cstart = (w.cstart + 1) % len(w.coarse)
}

// history is the coarse samples older than the oldest recent one, then the
// recent ones, oldest first.
func (w *Window) history() hist {
	f := view{w.buf, w.start, w.n}
	c := view{w.coarse, w.cstart, w.cn}
	nc := 0
	if f.n > 0 {
		first := f.at(0).At
		for nc < c.n && c.at(nc).At.Before(first) {
			nc++
		}
	}
	return hist{c: c, f: f, nc: nc}
}

// Len is the number of samples held.
func (w *Window) Len() int { return w.n }

// Last returns the newest sample.
func (w *Window) Last() (Sample, bool) {
	if w.n == 0 {
		return Sample{}, false
	}
	return w.at(w.n - 1), true
}

// Samples returns a copy of the samples, oldest first.
func (w *Window) Samples() []Sample {
	out := make([]Sample, w.n)
	for i := range out {
		out[i] = w.at(i)
	}
	return out
}

// Status evaluates the window (see the package rules) without copying it,
// with the given window and the default rate horizon and threshold.
func (w *Window) Status(now time.Time, window time.Duration) Status {
	return w.Verdict(now, Config{Window: window}).Status
}

// Verdict evaluates the window (see the package rules) without copying it.
func (w *Window) Verdict(now time.Time, cfg Config) Verdict {
	return evaluate(w.history(), now, cfg)
}

// TimeLag estimates how far behind, in time, the committed offset is, from
// this window's high-watermark history (see EstimateTimeLag).
func (w *Window) TimeLag(committed int64) (time.Duration, bool) {
	return estimateTimeLag(view{w.buf, w.start, w.n}, committed)
}

func (w *Window) at(i int) Sample { return view{w.buf, w.start, w.n}.at(i) }

// view is a read-only ring view, so Evaluate works on a plain slice and
// Window.Status on the ring without copying.
type view struct {
	buf   []packed
	start int
	n     int
}

func (v view) index(i int) int {
	if i += v.start; i >= len(v.buf) {
		i -= len(v.buf)
	}
	return i
}

func (v view) at(i int) Sample { return v.buf[v.index(i)].sample() }

// sliceView packs samples for evaluation.
func sliceView(samples []Sample) view {
	buf := make([]packed, len(samples))
	for i, s := range samples {
		buf[i] = pack(s)
	}
	return view{buf, 0, len(buf)}
}

// Evaluate judges one partition from its samples (oldest first) at time now
// with the given window. The rules are in the package documentation.
func Evaluate(samples []Sample, now time.Time, window time.Duration) Status {
	return EvaluateVerdict(samples, now, Config{Window: window}).Status
}

// EvaluateVerdict judges one partition from its samples (oldest first) at
// time now: the verdict, its reason and its basis.
func EvaluateVerdict(samples []Sample, now time.Time, cfg Config) Verdict {
	return evaluate(hist{f: sliceView(samples)}, now, cfg)
}

// segmentStart returns the index of the first sample after the latest reset
// (high watermark or log start going down, or a sample without a commit).
func segmentStart(v view) int {
	for i := v.n - 1; i > 0; i-- {
		a, b := v.at(i-1), v.at(i)
		if b.HighWatermark < a.HighWatermark || b.LogStart < a.LogStart || a.Committed < 0 {
			return i
		}
	}
	return 0
}

// EstimateTimeLag estimates how far behind the newest sample, in wall-clock
// time, the record at offset committed was written, from the high-watermark
// history in samples (oldest first). It is the fallback for time lag when
// the record at the committed offset can no longer be read.
//
// The record at offset o was appended when the high watermark went from o to
// o+1; between two samples the high watermark is interpolated linearly. When
// the record predates the history, the average produce rate over the history
// extrapolates backwards. Only samples after the latest reset (high
// watermark going down) are used. It returns 0, true when committed is at or
// past the newest high watermark. ok is false when no estimate can be made
// (no samples, or the record predates the history and nothing was produced
// during it); the duration is then a lower bound: the span of the history.
func EstimateTimeLag(samples []Sample, committed int64) (time.Duration, bool) {
	return estimateTimeLag(sliceView(samples), committed)
}

func estimateTimeLag(v view, committed int64) (time.Duration, bool) {
	if v.n == 0 {
		return 0, false
	}
	last := v.at(v.n - 1)
	if committed >= last.HighWatermark {
		return 0, true
	}
	seg := 0
	for i := v.n - 1; i > 0; i-- {
		if v.at(i).HighWatermark < v.at(i-1).HighWatermark {
			seg = i
			break
		}
	}
	// First sample (in the segment) whose high watermark is past committed:
	// the high watermark is non-decreasing within a segment.
	i := seg + sort.Search(v.n-seg, func(k int) bool { return v.at(seg+k).HighWatermark > committed })
	if i > seg {
		a, b := v.at(i-1), v.at(i)
		frac := float64(committed+1-a.HighWatermark) / float64(b.HighWatermark-a.HighWatermark)
		frac = min(max(frac, 0), 1)
		t := a.At.Add(time.Duration(frac * float64(b.At.Sub(a.At))))
		return nonNeg(last.At.Sub(t)), true
	}
	first := v.at(seg)
	span := last.At.Sub(first.At)
	produced := last.HighWatermark - first.HighWatermark
	if produced <= 0 || span <= 0 {
		return nonNeg(span), false
	}
	perRecord := float64(span) / float64(produced)
	before := time.Duration(float64(first.HighWatermark-committed-1) * perRecord)
	return nonNeg(span + before), true
}

func nonNeg(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// Key names one partition of one group.
type Key struct {
	Group     string
	Topic     string
	Partition int32
}

// Tracker keeps a Window per group partition. Not safe for concurrent use;
// the lag poller owns it.
type Tracker struct {
	// Capacity is the number of samples kept per partition
	// (DefaultCapacity when 0).
	Capacity int
	windows  map[Key]*Window
}

// Add records a sample for key and returns its window.
func (t *Tracker) Add(k Key, s Sample) *Window {
	if t.windows == nil {
		t.windows = make(map[Key]*Window)
	}
	w := t.windows[k]
	if w == nil {
		c := t.Capacity
		if c == 0 {
			c = DefaultCapacity
		}
		w = NewWindow(c)
		t.windows[k] = w
	}
	w.Add(s)
	return w
}

// Window returns the window of key, or nil.
func (t *Tracker) Window(k Key) *Window { return t.windows[k] }

// Len is the number of partitions tracked.
func (t *Tracker) Len() int { return len(t.windows) }

// Prune forgets partitions whose newest sample is older than before (groups
// or partitions that disappeared), so memory follows the cluster.
func (t *Tracker) Prune(before time.Time) {
	for k, w := range t.windows {
		if s, ok := w.Last(); !ok || s.At.Before(before) {
			delete(t.windows, k)
		}
	}
}
