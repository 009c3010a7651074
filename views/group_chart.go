package views

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The group screen's lag chart: the group's recorded history over a
// selectable span ([ and ] pick 5m, 1h, 24h or 7d), in records or in time
// (T), with the moments its offsets were reset or a replay cut over
// (from the audit trail) marked on it.
//
// Spans longer than the in-memory history read the recorded history from
// the store (laghist.Sampler.Series) in a command, never in Update, and
// re-read it every span/120 (at least every refresh, at most every 5
// minutes); between reads the newest in-memory samples extend it.

// chartSpans are the spans [ and ] step through.
var chartSpans = []struct {
	name string
	d    time.Duration
}{
	{"5m", 5 * time.Minute},
	{"1h", time.Hour},
	{"24h", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
}

// defaultChartSpan is 1h: the last hour shows a restart's "last ten
// minutes" and the trend before them. A group with less than 5 minutes of
// history opens on 5m instead (see pickSpan), so a new one is not a dot at
// the right edge.
const defaultChartSpan = 1

var (
	keyChartShorter = binding([]string{"["}, "[", "chart span shorter (5m 1h 24h 7d)")
	keyChartLonger  = binding([]string{"]"}, "]", "chart span longer (5m 1h 24h 7d)")
	keyChartTime    = binding([]string{"T"}, "T", "chart lag in records / in time")
)

// Marker letters on the chart.
const (
	markReset   = 'R'
	markCutover = 'C'
	markDelete  = 'D'
)

// chartMarker is one audited change of the group's offsets.
type chartMarker struct {
	at   time.Time
	mark rune
	what string // "reset to-earliest", "cut-over copy"
}

// chartKey is what a fetched series is of.
type chartKey struct {
	span     int
	timeMode bool
}

// chartState is the chart's span, mode and the recorded points of both.
type chartState struct {
	chartKey
	chosen   bool // the operator picked the span: keep it
	series   []laghist.Point
	seriesOf chartKey
	haveSer  bool
	fetched  time.Time // when the last fetch started (zero: never)
	inflight bool
	markers  []chartMarker
	err      error
}

// chartMsg is one fetch of the recorded history and the audit markers.
type chartMsg struct {
	key     chartKey
	pts     []laghist.Point
	stored  bool // pts come from the store
	markers []chartMarker
	err     error
}

func (c *chartState) spanDur() time.Duration { return chartSpans[c.span].d }

// needsStore: the span reaches past what the monitor keeps in memory, or
// the chart is in time (the monitor keeps records only).
func (c *chartState) needsStore(refresh time.Duration) bool {
	return c.timeMode || c.spanDur() > time.Duration(histCap)*refresh
}

// every is how often the recorded history of the span is read again.
func (c *chartState) every(refresh time.Duration) time.Duration {
	return min(5*time.Minute, max(refresh, c.spanDur()/120))
}

// chartKeyMsg handles [, ] and T; ok is false for other keys.
func (s *groupScreen) chartKeyMsg(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	c := &s.chart
	c.chosen = true
	switch {
	case key.Matches(msg, keyChartShorter):
		c.span = max(0, c.span-1)
	case key.Matches(msg, keyChartLonger):
		c.span = min(len(chartSpans)-1, c.span+1)
	case key.Matches(msg, keyChartTime):
		c.timeMode = !c.timeMode
	default:
		return nil, false
	}
	return s.chartFetch(true), true
}

// pickSpan opens the chart on 5m while the group has less than 5 minutes
// of history, else on the default, until the operator picks one.
func (s *groupScreen) pickSpan() {
	if s.chart.chosen {
		return
	}
	s.chart.span = defaultChartSpan
	if at, _ := s.mon.totals[s.group].points(); len(at) == 0 || at[len(at)-1].Sub(at[0]) < chartSpans[0].d {
		s.chart.span = 0
	}
}

// chartFetch reads the span's recorded history (when the span needs the
// store) and the audit markers, if due (force: now).
func (s *groupScreen) chartFetch(force bool) tea.Cmd {
	c := &s.chart
	now := s.env.now()
	if c.inflight || (!force && !c.fetched.IsZero() && now.Sub(c.fetched) < c.every(s.refresh)) {
		return nil
	}
	c.inflight, c.fetched = true, now
	key := c.chartKey
	from := now.Add(-c.spanDur())
	smp := s.env.Lag
	useStore := smp != nil && c.needsStore(s.refresh)
	dir, group := s.env.DataDir, s.group
	addr, embedded := "", false
	if cl := s.env.Cluster; cl != nil {
		addr, embedded = cl.Addr(), cl.Embedded()
	}
	// Two points per cell of a wide screen at most.
	n := max(60, 2*s.w)
	return func() tea.Msg {
		m := chartMsg{key: key}
		if useStore {
			m.pts, m.err = smp.Series(group, from, now, n)
			m.stored = m.err == nil
		}
		if dir != "" {
			// The longest span's: a span change shows them at once.
			ms, err := auditMarkers(dir, group, addr, embedded, now.Add(-chartSpans[len(chartSpans)-1].d))
			m.markers = ms
			if m.err == nil {
				m.err = err
			}
		}
		return m
	}
}

// chartResult installs a fetch (in Update).
func (s *groupScreen) chartResult(m chartMsg) {
	c := &s.chart
	c.inflight = false
	c.err = m.err
	c.markers = m.markers
	if m.stored {
		c.series, c.seriesOf, c.haveSer = m.pts, m.key, true
	}
	if m.key != c.chartKey {
		c.fetched = time.Time{} // the span changed meanwhile: fetch it next
	}
}

// auditMarkers are the audited, successful changes of group's offsets
// since from: resets, replay cut-overs, deleted offsets, oldest first.
// Entries of other clusters sharing the data dir are left out (the
// embedded log's data dir holds one cluster, whatever its port).
func auditMarkers(dir, group, addr string, embedded bool, from time.Time) ([]chartMarker, error) {
	es, err := replay.ReadAudit(dir)
	var out []chartMarker
	for i := range es {
		e := &es[i]
		if !e.OK() || e.Time.Before(from) || (e.Group != group && e.Source != group) ||
			(!embedded && e.Cluster != "" && e.Cluster != addr) {
			continue
		}
		var mk chartMarker
		switch e.Kind {
		case replay.AuditReset:
			mk = chartMarker{mark: markReset, what: "reset " + firstWord(e.Scenario)}
		case replay.AuditCutover:
			mk = chartMarker{mark: markCutover, what: "cut-over " + e.Mode}
		case replay.AuditDeleteOffsets:
			mk = chartMarker{mark: markDelete, what: "offsets deleted"}
		default:
			continue
		}
		mk.at, mk.what = e.Time, strings.TrimSpace(ui.Sanitize(mk.what))
		out = append(out, mk)
	}
	slices.SortStableFunc(out, func(a, b chartMarker) int { return a.at.Compare(b.at) })
	return out, err
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// chartPoints is what the chart draws for the span ending at now: the
// recorded history (when the span needs it) extended by the in-memory
// samples newer than it; in time mode the values are seconds.
func (s *groupScreen) chartPoints(now time.Time) ([]time.Time, []int64) {
	c := &s.chart
	from := now.Add(-c.spanDur())
	var at []time.Time
	var v []int64
	var last time.Time
	if c.haveSer && c.seriesOf == c.chartKey {
		for _, p := range c.series {
			if p.At.Before(from) {
				continue
			}
			switch {
			case !c.timeMode:
				at, v = append(at, p.At), append(v, p.Lag)
			case p.TimeLagKnown:
				at, v = append(at, p.At), append(v, int64(p.MaxTimeLag/time.Second))
			}
			last = p.At
		}
	}
	if c.timeMode {
		// The newest time lag this screen has, after the recorded ones.
		if tl := s.gv.maxTime; s.have && tl.Source != "" && s.updated.After(last) {
			at, v = append(at, s.updated), append(v, int64(tl.Lag/time.Second))
		}
		return at, v
	}
	mat, mv := s.mon.totals[s.group].points()
	for i := range mat {
		if mat[i].After(last) && !mat[i].Before(from) {
			at, v = append(at, mat[i]), append(v, mv[i])
		}
	}
	return at, v
}

// chartTitle is the line above the chart: the spans with the chosen one
// marked, the unit, and the markers' legend (newest first, as many as fit).
func (s *groupScreen) chartTitle() string {
	th := s.env.Theme
	c := &s.chart
	out := " " + th.Muted.Render("lag history ")
	for i, sp := range chartSpans {
		if i == c.span {
			out += th.Key.Render("[" + sp.name + "]")
		} else {
			out += th.Muted.Render(" " + sp.name + " ")
		}
	}
	unit := "records"
	if c.timeMode {
		unit = "time lag"
	}
	out += th.Muted.Render("  " + unit + "  ([ ] span, T records/time)")
	if c.err != nil {
		out += "  " + th.Warn.Render("history: "+ui.ErrText(c.err))
	}
	used := ansi.StringWidth(out)
	ms := s.spanMarkers()
	for i := len(ms) - 1; i >= 0; i-- {
		mk := ms[i]
		part := "  " + string(mk.mark) + " " + markerTime(mk.at, s.env.now()) + " " + mk.what
		if used+ansi.StringWidth(part) > s.w {
			break
		}
		out += th.Warn.Render(part)
		used += ansi.StringWidth(part)
	}
	return out
}

// spanMarkers are the markers within the chosen span.
func (s *groupScreen) spanMarkers() []chartMarker {
	from := s.env.now().Add(-s.chart.spanDur())
	i := 0
	for i < len(s.chart.markers) && s.chart.markers[i].at.Before(from) {
		i++
	}
	return s.chart.markers[i:]
}

// markerTime is a marker's time: the clock time within a day, else the
// date too.
func markerTime(t, now time.Time) string {
	t = t.Local()
	if now.Sub(t) < 24*time.Hour {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}
