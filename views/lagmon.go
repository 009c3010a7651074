package views

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
)

// Lag monitoring shared by the groups and group screens.
//
// Verdicts that need history (WARN, STALL, REWIND) come from samples kept
// while rewind runs. Those samples live in one lagMonitor per *Env, not in a
// screen, so closing a group screen, or reopening the groups list from the
// palette, keeps the history. Only the Bubble Tea event loop touches a
// monitor (screens Observe results in Update), so it needs no lock; the
// refresh commands read nothing from it but the time cache, which is
// replaced, never mutated.

// DefaultLagRefresh is the lag screens' refresh interval when none is set.
const DefaultLagRefresh = 2 * time.Second

// histCap bounds the total-lag history kept per group: 720 samples is 24
// minutes at the default 2s refresh, 16 bytes each.
const histCap = 720

type lagMonitor struct {
	refresh time.Duration
	window  time.Duration

	// smp is the lag history sampler of the cluster (env.Lag): when set,
	// verdicts, reasons and time lags come from the recorded history, so
	// a screen has them the moment it opens, and charts start with the
	// recorded points. Its Snapshot and Totals are in memory (no I/O).
	smp *laghist.Sampler

	tracker lag.Tracker
	// times is the newest record-timestamp map of the full groups list
	// (timestamps at an offset never change), for snapshots. Maps are
	// replaced, never mutated, so a command may read an old one while
	// Update installs the next.
	times map[backend.Position]time.Time
	// totals is the total-lag history per group.
	totals map[string]*history
	// last is the newest snapshot per group, so a group screen opens
	// with data instead of a spinner.
	last map[string]backend.GroupLag
}

var (
	monitorsMu sync.Mutex
	monitors   = map[*Env]*lagMonitor{}
)

// SetLagRefresh sets the refresh interval of env's groups and group screens
// (main passes --refresh). It also sets the evaluator window (see
// LagWindow). Screens created before the call keep polling at the old rate
// until reopened.
func SetLagRefresh(env *Env, d time.Duration) {
	m := monitorFor(env)
	monitorsMu.Lock()
	defer monitorsMu.Unlock()
	if d <= 0 {
		d = DefaultLagRefresh
	}
	m.refresh = d
	m.window = LagWindow(d)
	m.tracker.Capacity = trackerCap(d, m.window)
}

// monitorFor returns env's monitor, creating it on first use.
func monitorFor(env *Env) *lagMonitor {
	monitorsMu.Lock()
	defer monitorsMu.Unlock()
	m := monitors[env]
	if m == nil {
		m = &lagMonitor{
			refresh: DefaultLagRefresh,
			window:  LagWindow(DefaultLagRefresh),
			totals:  map[string]*history{},
			last:    map[string]backend.GroupLag{},
		}
		m.tracker.Capacity = trackerCap(m.refresh, m.window)
		monitors[env] = m
	}
	m.smp = env.Lag
	return m
}

// LagWindow is the evaluator's sliding window for a refresh interval, used
// by the lag screens and the CLI alike: at least a minute, so a consumer committing on Kafka's usual 5s auto-commit
// timer is never mistaken for a stalled one, and at least 15 samples long
// when refreshing slowly.
func LagWindow(refresh time.Duration) time.Duration {
	return max(time.Minute, 15*refresh)
}

// trackerCap keeps a window's worth of samples per partition (plus slack),
// between lag.DefaultCapacity and 120.
func trackerCap(refresh, window time.Duration) int {
	return min(120, max(lag.DefaultCapacity, int(window/refresh)+2))
}

// history is a bounded series of (time, total lag) points.
type history struct {
	at []time.Time
	v  []int64
	// seeded: the recorded points of the lag history were taken in.
	seeded bool
}

// prepend puts the points older than the oldest one held before them.
func (h *history) prepend(at []time.Time, v []int64) {
	n := len(at)
	if len(h.at) > 0 {
		n = 0
		for n < len(at) && at[n].Before(h.at[0]) {
			n++
		}
	}
	if n == 0 {
		return
	}
	h.at = append(append([]time.Time(nil), at[:n]...), h.at...)
	h.v = append(append([]int64(nil), v[:n]...), h.v...)
	if len(h.at) > 2*histCap {
		h.at = append(h.at[:0], h.at[len(h.at)-histCap:]...)
		h.v = append(h.v[:0], h.v[len(h.v)-histCap:]...)
	}
}

func (h *history) add(t time.Time, v int64) {
	if n := len(h.at); n > 0 {
		switch {
		case t.Before(h.at[n-1]):
			return // an older result that arrived late
		case t.Equal(h.at[n-1]):
			h.v[n-1] = v
			return
		}
	}
	h.at = append(h.at, t)
	h.v = append(h.v, v)
	if len(h.at) > 2*histCap {
		h.at = append(h.at[:0], h.at[len(h.at)-histCap:]...)
		h.v = append(h.v[:0], h.v[len(h.v)-histCap:]...)
	}
}

// tail returns the newest n values (all when n <= 0).
func (h *history) tail(n int) []float64 {
	if h == nil {
		return nil
	}
	v := h.v
	if len(v) > histCap {
		v = v[len(v)-histCap:]
	}
	if n > 0 && len(v) > n {
		v = v[len(v)-n:]
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func (h *history) points() ([]time.Time, []int64) {
	if h == nil {
		return nil, nil
	}
	at, v := h.at, h.v
	if len(at) > histCap {
		at, v = at[len(at)-histCap:], v[len(v)-histCap:]
	}
	return at, v
}

// partView is one partition of a group as a screen shows it.
type partView struct {
	backend.PartitionLag
	status lag.Status
	reason string // one line: why this verdict ("" without a history sampler)
	tl     backend.TimeLag
	// hist holds the consume and produce rates the history judged on,
	// when known (hist.Rates()).
	hist lag.Verdict
}

// groupView is one group as a screen shows it: the backend row plus the
// verdicts and time lags computed from the monitor's history.
type groupView struct {
	backend.GroupLag
	status  lag.Status
	parts   []partView
	maxTime backend.TimeLag // the largest time lag; Source "" when none is known
	lost    int64           // records deleted before the group read them
	lostOn  []string        // "topic/partition" of LOST partitions
	noLag   bool            // no partition has a commit: lag unknown
	// From the lag history (env.Lag): why the verdict, how much history
	// it rests on ("based on 6h of samples"), and for rewind's own groups
	// their role and label ("replay of email-notifier").
	reason string
	basis  string
	role   lag.Status
	label  string
	hist   lag.Verdict // the group's verdict from the history, with its rates
	// trend is the newest total-lag points when the list reads the lag
	// history (fromSnapshot); nil: the monitor's totals.
	trend []float64
	// nparts counts the partitions shown (parts, when kept).
	nparts int
}

// observe adds one sample of every group to the history and returns the
// groups with their verdicts. topic, when set, restricts the returned
// partitions (and so lag and verdict) to that topic; the history keeps them
// all.
func (m *lagMonitor) observe(gls []backend.GroupLag, times map[backend.Position]time.Time, now time.Time, topic string) []groupView {
	out := make([]groupView, 0, len(gls))
	var sn *laghist.Snapshot
	if m.smp != nil {
		sn = m.smp.Snapshot()
	}
	for i := range gls {
		g := &gls[i]
		_, sts := g.Observe(&m.tracker, now, m.window)
		m.last[g.Group] = *g
		h := m.totals[g.Group]
		if h == nil {
			h = &history{}
			m.totals[g.Group] = h
		}
		if !h.seeded && m.smp != nil {
			// Start from the recorded points (a restart keeps the
			// chart); until the sampler has loaded them, try again on
			// the next sample.
			at, v := m.smp.Totals(g.Group)
			h.seeded = len(at) > 0
			h.prepend(at, v)
		}
		h.add(g.FetchedAt, g.TotalLag)
		out = append(out, m.view(g, sts, times, now, topic, sn))
	}
	return out
}

// fromSnapshot is the groups list read from the lag history alone: the
// sampler's newest sample of every group, judged on its windows, so the
// screen polls nothing and keeps no windows of its own (one copy of
// 24,000 windows for 1,000 groups on 24 partitions, not two). trends are
// the groups' newest total-lag points (Sampler.TotalsTails). The rows
// carry no per-partition views (the list shows groups): the same numbers
// as assemble and fromHistory, without 24,000 partViews per refresh.
func fromSnapshot(sn *laghist.Snapshot, trends map[string][]int64, topic string) []groupView {
	out := make([]groupView, 0, len(sn.Groups))
	for i := range sn.Groups {
		sg := &sn.Groups[i]
		if topic != "" && !slices.Contains(sg.Topics, topic) {
			continue
		}
		gv := groupView{GroupLag: sg.GroupLag, noLag: true, status: lag.Unknown}
		var total int64
		worstAt := -1
		for j, p := range sg.Partitions {
			if topic != "" && p.Topic != topic {
				continue
			}
			gv.nparts++
			if p.Committed >= 0 && p.Err == "" {
				gv.noLag = false
				total += max(p.Lag, 0)
			}
			if p.BehindLogStart {
				gv.lost += p.LogStart - p.Committed
				gv.lostOn = append(gv.lostOn, p.Topic+"/"+strconv.Itoa(int(p.Partition)))
			}
			if tl := sg.Parts[j].TimeLag; tl.Source != "" && (gv.maxTime.Source == "" || tl.Lag > gv.maxTime.Lag) {
				gv.maxTime = tl
			}
			st := sg.Parts[j].Verdict.Status
			gv.status = lag.Worst(gv.status, st)
			if worstAt < 0 || st.Severity() > sg.Parts[worstAt].Verdict.Status.Severity() {
				worstAt = j
			}
		}
		gv.role, gv.label, gv.hist = sg.Role, sg.Label, sg.Verdict
		gv.basis = sg.Verdict.BasisText()
		switch {
		case topic == "":
			gv.status, gv.reason = sg.Verdict.Status, sg.Verdict.Reason
		case worstAt >= 0:
			if sg.Role != "" {
				gv.status = sg.Role
			}
			gv.reason = sg.Parts[worstAt].Verdict.Reason
		}
		if topic != "" {
			gv.TotalLag = total
			gv.Partitions = nil
		}
		if t := trends[sg.Group]; len(t) > 0 {
			gv.trend = make([]float64, len(t))
			for k, v := range t {
				gv.trend[k] = float64(v)
			}
		}
		out = append(out, gv)
	}
	return out
}

// view builds the groupView of g from its per-partition verdicts, and from
// the lag history's snapshot sn when there is one.
func (m *lagMonitor) view(g *backend.GroupLag, sts []lag.Status, times map[backend.Position]time.Time, now time.Time, topic string, sn *laghist.Snapshot) groupView {
	gv := assemble(g, func(j int) partView {
		p := g.Partitions[j]
		w := m.tracker.Window(lag.Key{Group: g.Group, Topic: p.Topic, Partition: p.Partition})
		return partView{PartitionLag: p, status: sts[j], tl: p.TimeLag(now, times, w)}
	}, topic)
	if sn != nil {
		if sg, ok := sn.Group(gv.Group); ok {
			fromHistory(&gv, sg, topic)
		}
	}
	return gv
}

// assemble builds the groupView of g from its partitions' views (part(j)
// for g.Partitions[j]): lag, lost records and the largest time lag, over
// topic's partitions alone when topic is set.
func assemble(g *backend.GroupLag, part func(j int) partView, topic string) groupView {
	gv := groupView{GroupLag: *g, noLag: true}
	gv.parts = make([]partView, 0, len(g.Partitions))
	var total int64
	var worst []lag.Status
	for j, p := range g.Partitions {
		if topic != "" && p.Topic != topic {
			continue
		}
		pv := part(j)
		if p.Committed >= 0 && p.Err == "" {
			gv.noLag = false
			total += max(p.Lag, 0)
		}
		if p.BehindLogStart {
			gv.lost += p.LogStart - p.Committed
			gv.lostOn = append(gv.lostOn, p.Topic+"/"+strconv.Itoa(int(p.Partition)))
		}
		if pv.tl.Source != "" && (gv.maxTime.Source == "" || pv.tl.Lag > gv.maxTime.Lag) {
			gv.maxTime = pv.tl
		}
		worst = append(worst, pv.status)
		gv.parts = append(gv.parts, pv)
	}
	gv.status = lag.Worst(worst...)
	gv.nparts = len(gv.parts)
	if topic != "" {
		gv.TotalLag = total
		gv.Partitions = nil // parts holds the topic's rows
	}
	return gv
}

// fromHistory takes the verdicts, reasons and time lags of gv from its
// group sg in the lag history's newest snapshot (judged on hours of
// samples, where the monitor's own window holds what this screen has
// seen).
func fromHistory(gv *groupView, sg *laghist.Group, topic string) {
	idx := make(map[backend.Position]int, len(sg.Partitions))
	for k, p := range sg.Partitions {
		idx[backend.Position{Topic: p.Topic, Partition: p.Partition}] = k
	}
	var worst []lag.Status
	worstAt := -1
	for i := range gv.parts {
		pv := &gv.parts[i]
		k, ok := idx[backend.Position{Topic: pv.Topic, Partition: pv.Partition}]
		if !ok {
			continue
		}
		v := sg.Parts[k].Verdict
		pv.status, pv.reason, pv.hist = v.Status, v.Reason, v
		if pv.tl.Source == "" || pv.tl.Source == backend.TimeLagEstimate {
			if tl := sg.Parts[k].TimeLag; tl.Source != "" {
				pv.tl = tl
			}
		}
		if pv.tl.Source != "" && (gv.maxTime.Source == "" || pv.tl.Lag > gv.maxTime.Lag) {
			gv.maxTime = pv.tl
		}
		worst = append(worst, v.Status)
		if worstAt < 0 || v.Status.Severity() > gv.parts[worstAt].status.Severity() {
			worstAt = i
		}
	}
	gv.role, gv.label, gv.hist = sg.Role, sg.Label, sg.Verdict
	gv.basis = sg.Verdict.BasisText()
	if topic == "" {
		gv.status, gv.reason = sg.Verdict.Status, sg.Verdict.Reason
		return
	}
	if worstAt >= 0 {
		gv.status = lag.Worst(worst...)
		if sg.Role != "" {
			gv.status = sg.Role
		}
		gv.reason = gv.parts[worstAt].reason
	}
}

// snapshot rebuilds the newest view of a group from what the monitor
// already holds, without adding a sample, so a group screen opens with
// the numbers the list showed.
func (m *lagMonitor) snapshot(group string, now time.Time) (groupView, bool) {
	g, ok := m.last[group]
	if !ok && m.smp != nil {
		// Not seen by a screen yet: what the history recorded.
		if sg, found := m.smp.Snapshot().Group(group); found {
			g, ok = sg.GroupLag, true
		}
	}
	if !ok {
		return groupView{}, false
	}
	sts := make([]lag.Status, len(g.Partitions))
	for i, p := range g.Partitions {
		sts[i] = lag.Unknown
		if w := m.tracker.Window(lag.Key{Group: group, Topic: p.Topic, Partition: p.Partition}); w != nil {
			sts[i] = w.Status(now, m.window)
		}
	}
	var sn *laghist.Snapshot
	if m.smp != nil {
		sn = m.smp.Snapshot()
	}
	return m.view(&g, sts, m.times, now, "", sn), true
}

// prune forgets groups and partitions not seen for a while, so memory
// follows the cluster rather than everything ever seen.
func (m *lagMonitor) prune(now time.Time, alive map[string]bool) {
	cut := now.Add(-5 * m.window)
	m.tracker.Prune(cut)
	for g, h := range m.totals {
		if !alive[g] && (len(h.at) == 0 || h.at[len(h.at)-1].Before(cut)) {
			delete(m.totals, g)
		}
	}
	for g := range m.last {
		if !alive[g] {
			if _, ok := m.totals[g]; !ok {
				delete(m.last, g)
			}
		}
	}
}

// rates returns the consume (committed offset) and produce (high
// watermark) rates of a partition in records/s over the newest samples
// within horizon, after the latest reset or rewind; ok is false with fewer
// than two usable samples.
func rates(w *lag.Window, horizon time.Duration) (consume, produce float64, ok bool) {
	if w == nil || w.Len() < 2 {
		return 0, 0, false
	}
	ss := w.Samples()
	last := ss[len(ss)-1]
	if last.Committed < 0 {
		return 0, 0, false
	}
	i := len(ss) - 1
	for i > 0 {
		a, b := ss[i-1], ss[i]
		if a.Committed < 0 || b.Committed < a.Committed || b.HighWatermark < a.HighWatermark || last.At.Sub(a.At) > horizon {
			break
		}
		i--
	}
	first := ss[i]
	dt := last.At.Sub(first.At).Seconds()
	if i == len(ss)-1 || dt <= 0 {
		return 0, 0, false
	}
	return float64(last.Committed-first.Committed) / dt, float64(last.HighWatermark-first.HighWatermark) / dt, true
}

// loadLags is the refresh command body shared by both screens: one
// GroupLags (a handful of batched requests) then one TimeLags for the
// partitions that lag, reusing known timestamps. A TimeLags failure is
// reported but does not hide the lag.
func loadLags(ctx context.Context, c *backend.Cluster, groups []string, topic string, known map[backend.Position]time.Time) ([]backend.GroupLag, map[backend.Position]time.Time, error, error) {
	gls, err := c.GroupLags(ctx, groups)
	if err != nil {
		return nil, nil, err, nil
	}
	if topic != "" {
		gls = slices.DeleteFunc(gls, func(g backend.GroupLag) bool { return !slices.Contains(g.Topics, topic) })
	}
	times, terr := c.TimeLags(ctx, gls, known)
	if terr != nil {
		times = known
	}
	return gls, times, nil, terr
}
