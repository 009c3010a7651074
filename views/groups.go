package views

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// LagOption configures a groups or group screen.
type LagOption func(*lagOptions)

type lagOptions struct{ refresh time.Duration }

// WithRefresh sets the screen's refresh interval, overriding the one set by
// SetLagRefresh for env (DefaultLagRefresh when neither is set).
func WithRefresh(d time.Duration) LagOption {
	return func(o *lagOptions) {
		if d > 0 {
			o.refresh = d
		}
	}
}

func lagOpts(m *lagMonitor, opts []LagOption) lagOptions {
	o := lagOptions{refresh: m.refresh}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Keys shared by the lag screens.
var (
	keyLagPause = binding([]string{"p"}, "p", "pause/resume auto-refresh")
	keyLagEstim = binding([]string{"~"}, "~3m", "time lag estimated from high-watermark samples (record gone)")
)

// Groups screen keys.
var (
	keyGroupsOpen   = binding([]string{"enter"}, "enter", "group lag")
	keyGroupsDelete = binding([]string{"D"}, "D", "delete the group (only when empty; type its name)")
	keyGroupsOwn    = binding([]string{"o"}, "o", "show/hide rewind's own groups (replays, projections)")
)

// Sortable columns of the groups list, in display order.
const (
	gcStatus = iota
	gcGroup
	gcProtocol
	gcState
	gcMembers
	gcTopics
	gcLag
	gcTimeLag
	gcTrend // not sortable
)

var groupColTitles = []string{"STATUS", "GROUP", "PROTOCOL", "STATE", "MEMBERS", "TOPICS", "LAG", "TIME LAG", "TREND"}

const groupSortCols = gcTimeLag + 1

type groupsScreen struct {
	*ui.ListScreen[groupView]
	env     *Env
	mon     *lagMonitor
	topic   string
	refresh time.Duration
	// showOwn lists rewind's own groups (replays, projections): hidden by
	// default, counted in the summary, so they never sit among the live
	// ones unasked.
	showOwn bool

	visCols []int // logical column of each visible column
	// times is this screen's cache of record timestamps for TimeLags: a
	// screen asks only for its own positions, so sharing one cache
	// between screens would make each evict the other's. Only rows (in
	// Update) replaces it; the fetch reads it (see ui.Loader).
	times   map[backend.Position]time.Time
	timeErr error
	updated time.Time
	// seq and snapRows: the rows of the lag history's sample seq (see
	// fetchHistory), reused until the next sample.
	seq      uint64
	snapRows []groupView
}

// lagResult is one refresh of the lag screens: a poll of the cluster, or
// (snap set) the lag history's newest sample.
type lagResult struct {
	gls     []backend.GroupLag
	times   map[backend.Position]time.Time
	timeErr error
	snap    *laghist.Snapshot
	trends  map[string][]int64
}

// NewGroups lists every consumer group, classic and KIP-848, with its
// protocol, state, members, topics, total lag in records, largest time lag
// and health verdict, refreshed every interval (see SetLagRefresh and
// WithRefresh). A non-empty topic answers "who consumes this topic": only
// groups with commits, assignments or subscriptions on it, their lag and
// verdict counted on that topic alone.
func NewGroups(env *Env, topic string, opts ...LagOption) ui.Screen {
	m := monitorFor(env)
	s := &groupsScreen{env: env, mon: m, topic: topic, refresh: lagOpts(m, opts).refresh}
	sortBy := func(col int, f func(a, b groupView) int) ui.Sort[groupView] {
		t := groupColTitles[col]
		return ui.Sort[groupView]{Name: strings.ToLower(t), Column: t, Compare: f, Desc: defaultDesc(col)}
	}
	s.ListScreen = ui.NewListScreenOf(env.Theme, s.fetch, s.rows, ui.ListScreenSpec[groupView]{
		ListSpec: ui.ListSpec[groupView]{
			Columns:    s.columns,
			Cells:      s.cells,
			Key:        func(g groupView) string { return g.Group },
			Match:      func(g groupView, f string) bool { return g.matches(f) },
			FilterHint: "filter groups, topics, states, verdicts",
			Keep:       func(g groupView) bool { return s.showOwn || g.role == "" },
			Sorts: []ui.Sort[groupView]{
				sortBy(gcStatus, func(a, b groupView) int {
					return cmp.Or(cmp.Compare(a.status.Severity(), b.status.Severity()), cmp.Compare(lagKey(&a), lagKey(&b)))
				}),
				sortBy(gcGroup, func(a, b groupView) int { return cmp.Compare(a.Group, b.Group) }),
				sortBy(gcProtocol, func(a, b groupView) int { return cmp.Compare(a.Protocol, b.Protocol) }),
				sortBy(gcState, func(a, b groupView) int { return cmp.Compare(a.State, b.State) }),
				sortBy(gcMembers, func(a, b groupView) int { return cmp.Compare(a.Members, b.Members) }),
				sortBy(gcTopics, func(a, b groupView) int {
					return cmp.Compare(strings.Join(a.Topics, ","), strings.Join(b.Topics, ","))
				}),
				sortBy(gcLag, func(a, b groupView) int { return cmp.Compare(lagKey(&a), lagKey(&b)) }),
				sortBy(gcTimeLag, func(a, b groupView) int { return cmp.Compare(timeKey(a.maxTime), timeKey(b.maxTime)) }),
			},
			Tie:   func(a, b groupView) int { return cmp.Compare(a.Group, b.Group) },
			Empty: s.empty,
		},
		Loading:      "loading consumer groups…",
		What:         "consumer groups",
		Every:        s.refresh,
		Summary:      s.summary,
		Keys:         s.keys,
		Restyle:      s.restyle,
		Detail:       s.detail,
		DetailHeight: func(int) int { return 1 },
	})
	return s
}

func (s *groupsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *groupsScreen) Title() string {
	if s.topic != "" {
		return "consumers of " + s.topic
	}
	return "groups"
}

func (s *groupsScreen) Help() []key.Binding {
	return []key.Binding{keyGroupsOpen, keyGroupsDelete, ui.Keys.Filter, ui.Keys.SortNext, ui.Keys.SortReverse, s.SortKeys(), keyLagPause, keyGroupsOwn,
		ui.Keys.Refresh, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom, keyLagEstim}
}

func (s *groupsScreen) fetch(ctx context.Context) (lagResult, error) {
	if s.env.Lag != nil {
		return s.fetchHistory(ctx)
	}
	gls, times, err, terr := loadLags(ctx, s.env.Cluster, nil, s.topic, s.times)
	return lagResult{gls: gls, times: times, timeErr: terr}, err
}

// fetchHistory reads the list from the lag history's sampler, which polls
// every group of the cluster at the same refresh anyway: polling again
// here would double the requests and keep a second set of windows. It
// waits for the sampler's first sample, and fails with the sampler's
// error when its newest poll failed (the rows shown stay).
func (s *groupsScreen) fetchHistory(ctx context.Context) (lagResult, error) {
	smp := s.env.Lag
	for {
		changed := smp.Changed()
		sn := smp.Snapshot()
		if p := sn.Poll; p.LastErr != "" && p.Last.After(p.LastOK) {
			return lagResult{}, errors.New(p.LastErr)
		}
		if !sn.At.IsZero() {
			r := lagResult{snap: sn, trends: smp.TotalsTails(trendWidth)}
			if sn.Poll.TimeErr != "" {
				r.timeErr = errors.New(sn.Poll.TimeErr)
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return lagResult{}, ctx.Err()
		case <-changed:
		case <-time.After(s.refresh): // a poll that failed does not close changed
		}
	}
}

// rows adds the refresh to the lag history and makes the rows (in Update:
// the monitor belongs to the event loop).
func (s *groupsScreen) rows(r lagResult) []groupView {
	s.timeErr = r.timeErr
	if r.snap != nil {
		s.updated = r.snap.At // the data's age, not this screen's
		if now := s.env.now(); s.updated.After(now) {
			s.updated = now
		}
		alive := make(map[string]bool, len(r.snap.Groups))
		for i := range r.snap.Groups {
			alive[r.snap.Groups[i].Group] = true
		}
		if s.topic == "" {
			s.mon.prune(s.env.now(), alive)
		}
		if r.snap.Seq != s.seq || s.snapRows == nil {
			// A new sample (the list refreshes at the sampler's pace,
			// and the same sample makes the same rows).
			s.seq, s.snapRows = r.snap.Seq, fromSnapshot(r.snap, r.trends, s.topic)
		}
		return s.snapRows
	}
	if r.times != nil {
		s.times = r.times
		if s.topic == "" {
			s.mon.times = r.times // what a group screen opened from here starts with
		}
	}
	now := s.env.now()
	s.updated = now
	all := s.mon.observe(r.gls, s.times, now, s.topic)
	if s.topic == "" {
		alive := make(map[string]bool, len(r.gls))
		for i := range r.gls {
			alive[r.gls[i].Group] = true
		}
		s.mon.prune(now, alive)
	}
	return all
}

func (s *groupsScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, keyGroupsOpen):
		if g, ok := s.Selected(); ok {
			return ui.Push(NewGroup(s.env, g.Group, WithRefresh(s.refresh))), true
		}
		return nil, true
	case key.Matches(msg, keyGroupsDelete):
		if g, ok := s.Selected(); ok {
			return ui.Push(NewGroupDelete(s.env, g.Group)), true
		}
		return nil, true
	case key.Matches(msg, keyLagPause):
		return s.Loader().TogglePause(), true
	case key.Matches(msg, keyGroupsOwn):
		s.showOwn = !s.showOwn
		s.Apply()
		if s.showOwn {
			return ui.Toast("showing rewind's own groups (o hides them)"), true
		}
		return ui.Toast("rewind's own groups hidden (o shows them)"), true
	}
	return nil, false
}

func (s *groupsScreen) empty(filter string) string {
	switch {
	case filter != "":
		return "no group matches " + strconv.Quote(ui.Sanitize(filter))
	case s.topic != "":
		return "no consumer group has commits, members or subscriptions on " + ui.Sanitize(s.topic)
	}
	return "no consumer groups"
}

// defaultDesc: names read best A-Z, numbers and verdicts worst first.
func defaultDesc(col int) bool {
	switch col {
	case gcGroup, gcProtocol, gcState, gcTopics:
		return false
	}
	return true
}

// matches is the "/" filter: a case-insensitive substring of the group
// name, a topic, the state, the protocol or the verdict.
func (g *groupView) matches(f string) bool {
	if f == "" {
		return true
	}
	if strings.Contains(strings.ToLower(g.Group), f) || strings.Contains(strings.ToLower(g.State), f) ||
		strings.Contains(strings.ToLower(string(g.status)), f) || strings.Contains(strings.ToLower(g.Protocol), f) {
		return true
	}
	for _, t := range g.Topics {
		if strings.Contains(strings.ToLower(t), f) {
			return true
		}
	}
	return false
}

func lagKey(g *groupView) int64 {
	if g.noLag {
		return -1
	}
	return g.TotalLag
}

func timeKey(tl backend.TimeLag) time.Duration {
	if tl.Source == "" {
		return -1
	}
	return tl.Lag
}

// statusWidth fits every verdict ("UNKNOWN") and "STATUS ▼".
const statusWidth = 8

// trendWidth is the TREND column's width: the newest samples of the
// group's total lag.
const trendWidth = 12

func (s *groupsScreen) cells(g groupView) []string {
	return ui.ShownCells(s.visCols, func(c int) string { return groupCell(&g, c, s.mon) })
}

func groupCell(g *groupView, col int, mon *lagMonitor) string {
	switch col {
	case gcStatus:
		if g.Err != "" && g.nparts == 0 {
			return "ERROR"
		}
		return statusText(g.status)
	case gcGroup:
		return ui.Sanitize(g.Group)
	case gcProtocol:
		return g.Protocol
	case gcState:
		if g.Err != "" {
			return "! " + ui.Sanitize(g.State)
		}
		return ui.Sanitize(g.State)
	case gcMembers:
		return strconv.Itoa(g.Members)
	case gcTopics:
		return ui.Sanitize(strings.Join(g.Topics, ","))
	case gcLag:
		if g.noLag {
			return "-"
		}
		return ui.FormatCount(g.TotalLag)
	case gcTimeLag:
		return fmtTimeLag(g.maxTime)
	case gcTrend:
		if g.trend != nil {
			return lagSparkline(g.trend, trendWidth)
		}
		return lagSparkline(mon.totals[g.Group].tail(trendWidth), trendWidth)
	}
	return ""
}

// columns picks the columns for the width: everything from 110 cells, no
// trend below that, no protocol or topics below 72. STATUS stays first so
// its colour can be applied at a fixed place (see restyle).
func (s *groupsScreen) columns(w int) []ui.Column {
	col := func(c int, base ui.Column) ui.Column {
		base.Title, base.ID = groupColTitles[c], groupColTitles[c]
		return base
	}
	all := map[int]ui.Column{
		gcStatus:   col(gcStatus, ui.Column{Width: statusWidth}),
		gcGroup:    col(gcGroup, ui.Column{MinWidth: 10, Flex: 2, Middle: true}),
		gcProtocol: col(gcProtocol, ui.Column{Width: 8}),
		gcState:    col(gcState, ui.Column{Width: 11}),
		gcMembers:  col(gcMembers, ui.Column{Width: 7, Right: true}),
		gcTopics:   col(gcTopics, ui.Column{MinWidth: 6, Flex: 1}),
		gcLag:      col(gcLag, ui.Column{Width: 11, Right: true}),
		gcTimeLag:  col(gcTimeLag, ui.Column{Width: 10, Right: true}),
		gcTrend:    col(gcTrend, ui.Column{Width: trendWidth}),
	}
	cols, vis := ui.FitColumns(all, w, []ui.ColumnFit{
		{From: 110, Show: []int{gcStatus, gcGroup, gcProtocol, gcState, gcMembers, gcTopics, gcLag, gcTimeLag, gcTrend}},
		{From: 72, Show: []int{gcStatus, gcGroup, gcProtocol, gcState, gcMembers, gcTopics, gcLag, gcTimeLag},
			Width: map[int]int{gcState: 10, gcMembers: 4, gcLag: 9, gcTimeLag: 8}, Title: map[int]string{gcMembers: "MBRS"}},
		{Show: []int{gcStatus, gcGroup, gcState, gcLag, gcTimeLag}, Width: map[int]int{gcLag: 9, gcTimeLag: 8}},
	})
	s.visCols = vis
	return cols
}

// restyle colours the STATUS cells by verdict.
func (s *groupsScreen) restyle(view string) string {
	th, rows := s.env.Theme, s.Rows()
	return restyleCells(view, s.Table(), 1, 1+statusWidth, func(i int) (lipgloss.Style, bool) {
		if rows[i].Err != "" && rows[i].nparts == 0 {
			return th.Error, true
		}
		return statusStyle(th, rows[i].status), true
	})
}

// detail is the line under the table: the selected group's verdict and
// why, on how much history ("based on 6h of samples"); for rewind's own
// groups, what they are ("replay of email-notifier").
func (s *groupsScreen) detail(w, _ int) []string {
	g, ok := s.Selected()
	if !ok {
		return nil
	}
	th := s.env.Theme
	why := g.reason
	if why == "" {
		why = verdictHint(g.status)
	}
	if g.basis != "" {
		why += " (" + g.basis + ")"
	}
	line := th.Muted.Render(" "+ui.Sanitize(g.Group)+" · ") + statusStyle(th, g.status).Render(statusText(g.status)) +
		th.Muted.Render(": "+ui.Sanitize(why))
	return []string{ui.FitLine(line, w)}
}

// verdictHint is a verdict's meaning when no lag history gives a reason.
func verdictHint(st lag.Status) string {
	switch st {
	case lag.Lost:
		return "committed offset below the log start: records deleted before read"
	case lag.Rewind:
		return "committed offset moved backwards within the window"
	case lag.Stall:
		return "a live member holds a partition but its offset has not moved for longer than the window"
	case lag.Stop:
		return "lagging and no live member: the consumer is gone"
	case lag.Warn:
		return "lag grew at every sample across the window"
	case lag.OK:
		return "keeping up"
	}
	return "not enough samples yet"
}

// summary is the line above the table: counts by verdict, sort, refresh.
func (s *groupsScreen) summary() string {
	th := s.env.Theme
	rows := s.Rows()
	own := 0
	for _, g := range s.Items() {
		if g.role != "" {
			own++
		}
	}
	hidden := 0
	if !s.showOwn {
		hidden = own
	}
	head := " " + plural(len(rows), "group")
	if s.topic != "" {
		head = " " + plural(len(rows), "group") + " consume " + ui.Sanitize(s.topic)
	}
	if len(rows) != len(s.Items())-hidden {
		head += fmt.Sprintf(" of %d", len(s.Items())-hidden)
	}
	line := th.Muted.Render(head)
	// Verdict counts of what is shown, worst first.
	counts := map[lag.Status]int{}
	for i := range rows {
		counts[rows[i].status]++
	}
	for _, st := range []lag.Status{lag.Lost, lag.Rewind, lag.Stall, lag.Stop, lag.Behind, lag.Late, lag.Warn} {
		if n := counts[st]; n > 0 {
			line += th.Muted.Render(" · ") + statusStyle(th, st).Render(fmt.Sprintf("%d %s", n, st))
		}
	}
	var rest []string
	if hidden > 0 {
		rest = append(rest, plural(hidden, "rewind group")+" hidden (o)")
	}
	if f := s.FilterLabel(); f != "" {
		rest = append(rest, f)
	}
	rest = append(rest, s.SortLabel())
	line += th.Muted.Render(" · " + strings.Join(rest, " · "))
	l := s.Loader()
	line += " " + refreshState(th, l.Paused(), l.Loading(), s.refresh, s.updated, s.env.now())
	if l.Err() == nil && s.timeErr != nil { // an error of the fetch is added by the list
		line += "  " + th.Warn.Render("time lag: "+ui.ErrText(s.timeErr))
	}
	return line
}

// refreshState says whether the data is live: "⟳ every 2s · 1s ago",
// "⏸ paused".
func refreshState(th themes.Theme, paused, loading bool, every time.Duration, updated, now time.Time) string {
	age := ""
	if !updated.IsZero() {
		age = " · " + ui.FormatAge(now.Sub(updated)) + " ago"
	}
	if paused {
		return th.Warn.Render("⏸ paused (p)") + th.Muted.Render(age)
	}
	mark := "⟳"
	if loading {
		mark = "↻"
	}
	return th.Muted.Render(mark + " every " + ui.FormatEvery(every) + age)
}
