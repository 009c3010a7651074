package views

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
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
	keyLagPause   = binding([]string{"p"}, "p", "pause/resume auto-refresh")
	keyLagSort    = binding([]string{"s"}, "s", "sort column")
	keyLagReverse = binding([]string{"S"}, "S", "reverse sort")
	keyLagEstim   = binding([]string{"~"}, "~3m", "time lag estimated from high-watermark samples (record gone)")
)

// Groups screen keys.
var (
	keyGroupsOpen = binding([]string{"enter"}, "enter", "group lag")
	keyGroupsCol  = binding([]string{"1", "2", "3", "4", "5", "6", "7", "8"}, "1-8", "sort by column")
)

// Messages of the groups screen (the shell delivers them to the screen
// whose command made them).
type (
	groupsLoadedMsg struct {
		gls          []backend.GroupLag
		times        map[backend.Position]time.Time
		err, timeErr error
	}
	// groupsTickMsg is an auto-refresh tick; gen drops ticks of an older
	// chain (pause, manual refresh) so chains never multiply.
	groupsTickMsg struct {
		gen int
	}
	groupsRetryMsg struct{}
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
	env     *Env
	mon     *lagMonitor
	topic   string
	refresh time.Duration

	ctx    context.Context
	cancel context.CancelFunc

	table   *ui.Table
	visCols []int // logical column of each visible column
	// times is this screen's cache of record timestamps for TimeLags: a
	// screen asks only for its own positions, so sharing one cache
	// between screens would make each evict the other's.
	times  map[backend.Position]time.Time
	spin   spinner.Model
	prompt ui.Prompt

	all  []groupView
	rows []groupView

	loading bool
	loaded  bool
	paused  bool
	again   bool // a manual refresh came while one was in flight
	tickGen int
	err     error
	timeErr error
	updated time.Time

	sortCol  int
	sortDesc bool
	filter   string

	w, h int
}

// NewGroups lists every consumer group, classic and KIP-848, with its
// protocol, state, members, topics, total lag in records, largest time lag
// and health verdict, refreshed every interval (see SetLagRefresh and
// WithRefresh). A non-empty topic answers "who consumes this topic": only
// groups with commits, assignments or subscriptions on it, their lag and
// verdict counted on that topic alone.
func NewGroups(env *Env, topic string, opts ...LagOption) ui.Screen {
	m := monitorFor(env)
	o := lagOpts(m, opts)
	ctx, cancel := context.WithCancel(context.Background())
	s := &groupsScreen{env: env, mon: m, topic: topic, refresh: o.refresh,
		ctx: ctx, cancel: cancel, spin: newSpinner(env), prompt: ui.NewPrompt(env.Theme),
		sortCol: gcStatus, sortDesc: true}
	s.table = ui.NewTable(env.Theme, nil)
	s.layout()
	s.apply()
	return s
}

func (s *groupsScreen) Title() string {
	if s.topic != "" {
		return "consumers of " + s.topic
	}
	return "groups"
}

func (s *groupsScreen) Help() []key.Binding {
	return []key.Binding{keyGroupsOpen, ui.Keys.Filter, keyLagSort, keyLagReverse, keyGroupsCol, keyLagPause,
		ui.Keys.Refresh, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom, keyLagEstim}
}

func (s *groupsScreen) CapturingInput() bool { return s.prompt.Active() }

// Close stops an in-flight refresh when the screen goes away.
func (s *groupsScreen) Close() { s.cancel() }

func (s *groupsScreen) Init() tea.Cmd {
	return tea.Batch(s.load(), s.spin.Tick)
}

// Refresh reloads now; while a refresh is in flight it asks for another
// as soon as that one returns instead of starting a second.
func (s *groupsScreen) Refresh() tea.Cmd {
	if s.loading {
		s.again = true
		return nil
	}
	return s.load()
}

func (s *groupsScreen) load() tea.Cmd {
	s.loading = true
	s.tickGen++ // an armed tick of the previous chain is now stale
	c, ctx, topic, known := s.env.Cluster, s.ctx, s.topic, s.times
	return func() tea.Msg {
		gls, times, err, terr := loadLags(ctx, c, nil, topic, known)
		return groupsLoadedMsg{gls: gls, times: times, err: err, timeErr: terr}
	}
}

// next arms the next refresh, only after a result arrived: a slow cluster
// never stacks refreshes.
func (s *groupsScreen) next() tea.Cmd {
	if s.again {
		s.again = false
		return s.load()
	}
	if s.paused {
		return nil
	}
	return tickCmd(s.ctx, s.refresh, groupsTickMsg{gen: s.tickGen})
}

// Back clears an applied filter before esc leaves the screen.
func (s *groupsScreen) Back() (bool, tea.Cmd) {
	if s.filter != "" {
		s.filter = ""
		s.prompt.SetValue("")
		s.apply()
		return true, nil
	}
	return false, nil
}

func (s *groupsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case groupsLoadedMsg:
		return s, s.onLoaded(msg)

	case groupsTickMsg:
		if msg.gen != s.tickGen || s.loading || s.paused {
			return s, nil
		}
		return s, s.load()

	case groupsRetryMsg:
		return s, s.Refresh()

	case spinner.TickMsg:
		if s.loaded || !s.loading {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd

	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
		return s, nil

	case tea.PasteMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}

	case tea.KeyPressMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *groupsScreen) onLoaded(msg groupsLoadedMsg) tea.Cmd {
	s.loading = false
	if msg.err != nil {
		first := s.err == nil
		s.err = msg.err
		next := s.next()
		if !first {
			return next // the status bar already shows it; no toast every refresh
		}
		err := fmt.Errorf("consumer groups: %w", msg.err)
		return tea.Batch(next, func() tea.Msg {
			return ui.ErrMsg{Err: err, Retry: func() tea.Msg { return groupsRetryMsg{} }}
		})
	}
	var cmd tea.Cmd
	if s.err != nil {
		cmd = ui.ClearErr()
	}
	s.err, s.timeErr = nil, msg.timeErr
	if msg.times != nil {
		s.times = msg.times
		if s.topic == "" {
			s.mon.times = msg.times // what a group screen opened from here starts with
		}
	}
	now := s.env.now()
	first := !s.loaded
	s.loaded, s.updated = true, now
	s.all = s.mon.observe(msg.gls, s.times, now, s.topic)
	if s.topic == "" {
		s.mon.prune(now, msg.gls)
	}
	s.apply()
	if first {
		s.table.Top()
	}
	return tea.Batch(cmd, s.next())
}

func (s *groupsScreen) updatePrompt(msg tea.Msg) tea.Cmd {
	ev, cmd := s.prompt.Update(msg)
	switch ev {
	case ui.PromptChanged, ui.PromptSubmitted:
		s.filter = strings.TrimSpace(s.prompt.Value())
		s.apply()
	case ui.PromptCancelled:
		s.filter = ""
		s.apply()
	}
	return cmd
}

func (s *groupsScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, ui.Keys.Filter):
		s.prompt.SetWidth(s.w)
		return s.prompt.OpenWith("/", "filter groups, topics, states, verdicts", s.filter)
	case key.Matches(msg, keyGroupsOpen):
		if g, ok := s.selected(); ok {
			return ui.Push(NewGroup(s.env, g.Group, WithRefresh(s.refresh)))
		}
	case key.Matches(msg, keyLagPause):
		s.paused = !s.paused
		if s.paused {
			s.tickGen++ // drop the armed tick
			return ui.Toast("auto-refresh paused (p to resume)")
		}
		var cmd tea.Cmd
		if !s.loading {
			cmd = s.load()
		}
		return tea.Batch(cmd, ui.Toast("auto-refresh every "+fmtEvery(s.refresh)))
	case key.Matches(msg, keyLagSort):
		s.sortCol = (s.sortCol + 1) % groupSortCols
		s.sortDesc = defaultDesc(s.sortCol)
		s.apply()
	case key.Matches(msg, keyLagReverse):
		s.sortDesc = !s.sortDesc
		s.apply()
	case key.Matches(msg, keyGroupsCol):
		c, _ := strconv.Atoi(msg.String())
		if c-1 == s.sortCol {
			s.sortDesc = !s.sortDesc
		} else {
			s.sortCol, s.sortDesc = c-1, defaultDesc(c-1)
		}
		s.apply()
	default:
		s.table.HandleKey(msg)
	}
	return nil
}

// defaultDesc: names read best A-Z, numbers and verdicts worst first.
func defaultDesc(col int) bool {
	switch col {
	case gcGroup, gcProtocol, gcState, gcTopics:
		return false
	}
	return true
}

func (s *groupsScreen) selected() (groupView, bool) {
	if len(s.rows) == 0 {
		return groupView{}, false
	}
	return s.rows[s.table.Cursor()], true
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

// apply filters and sorts, keeping the cursor on the same group.
func (s *groupsScreen) apply() {
	keep := ""
	if g, ok := s.selected(); ok {
		keep = g.Group
	}
	f := strings.ToLower(s.filter)
	s.rows = s.rows[:0]
	for i := range s.all {
		if s.all[i].matches(f) {
			s.rows = append(s.rows, s.all[i])
		}
	}
	slices.SortStableFunc(s.rows, func(a, b groupView) int {
		var c int
		switch s.sortCol {
		case gcStatus:
			c = cmp.Compare(a.status.Severity(), b.status.Severity())
			if c == 0 {
				c = cmp.Compare(lagKey(&a), lagKey(&b))
			}
		case gcProtocol:
			c = cmp.Compare(a.Protocol, b.Protocol)
		case gcState:
			c = cmp.Compare(a.State, b.State)
		case gcMembers:
			c = cmp.Compare(a.Members, b.Members)
		case gcTopics:
			c = cmp.Compare(strings.Join(a.Topics, ","), strings.Join(b.Topics, ","))
		case gcLag:
			c = cmp.Compare(lagKey(&a), lagKey(&b))
		case gcTimeLag:
			c = cmp.Compare(timeKey(a.maxTime), timeKey(b.maxTime))
		}
		if s.sortDesc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.Group, b.Group)
			if s.sortDesc && s.sortCol == gcGroup {
				c = -c
			}
		}
		return c
	})
	rows, cols, mon := s.rows, s.visCols, s.mon
	s.table.SetRows(len(rows), func(i int) []string {
		g := &rows[i]
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = groupCell(g, c, mon)
		}
		return cells
	})
	s.table.SetSort(slices.Index(s.visCols, s.sortCol), s.sortDesc)
	if keep != "" {
		for i := range rows {
			if rows[i].Group == keep {
				s.table.SetCursor(i)
				break
			}
		}
	}
	switch {
	case s.filter != "":
		s.table.SetEmpty("no group matches " + strconv.Quote(ui.Sanitize(s.filter)))
	case s.topic != "":
		s.table.SetEmpty("no consumer group has commits, members or subscriptions on " + ui.Sanitize(s.topic))
	default:
		s.table.SetEmpty("no consumer groups")
	}
}

// statusWidth fits every verdict ("UNKNOWN") and "STATUS ▼".
const statusWidth = 8

// trendWidth is the TREND column's width: the newest samples of the
// group's total lag.
const trendWidth = 12

func groupCell(g *groupView, col int, mon *lagMonitor) string {
	switch col {
	case gcStatus:
		if g.Err != "" && len(g.parts) == 0 {
			return "ERROR"
		}
		return string(g.status)
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
		return lagSparkline(mon.totals[g.Group].tail(trendWidth), trendWidth)
	}
	return ""
}

func (s *groupsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.prompt.SetWidth(w)
	s.layout()
	s.apply()
}

// layout picks the columns for the width: everything from 110 cells, no
// trend below that, no protocol or topics below 72. STATUS stays first so
// its colour can be applied at a fixed place (see View).
func (s *groupsScreen) layout() {
	all := map[int]ui.Column{
		gcStatus:   {Title: groupColTitles[gcStatus], Width: statusWidth},
		gcGroup:    {Title: groupColTitles[gcGroup], MinWidth: 10, Flex: 2},
		gcProtocol: {Title: groupColTitles[gcProtocol], Width: 8},
		gcState:    {Title: groupColTitles[gcState], Width: 11},
		gcMembers:  {Title: groupColTitles[gcMembers], Width: 7, Right: true},
		gcTopics:   {Title: groupColTitles[gcTopics], MinWidth: 6, Flex: 1},
		gcLag:      {Title: groupColTitles[gcLag], Width: 11, Right: true},
		gcTimeLag:  {Title: groupColTitles[gcTimeLag], Width: 10, Right: true},
		gcTrend:    {Title: groupColTitles[gcTrend], Width: trendWidth},
	}
	var vis []int
	switch {
	case s.w >= 110:
		vis = []int{gcStatus, gcGroup, gcProtocol, gcState, gcMembers, gcTopics, gcLag, gcTimeLag, gcTrend}
	case s.w >= 72:
		vis = []int{gcStatus, gcGroup, gcProtocol, gcState, gcMembers, gcTopics, gcLag, gcTimeLag}
		c := all[gcState]
		c.Width = 10
		all[gcState] = c
		c = all[gcMembers]
		c.Title, c.Width = "MBRS", 4
		all[gcMembers] = c
		c = all[gcLag]
		c.Width = 9
		all[gcLag] = c
		c = all[gcTimeLag]
		c.Width = 8
		all[gcTimeLag] = c
	default:
		vis = []int{gcStatus, gcGroup, gcState, gcLag, gcTimeLag}
		c := all[gcLag]
		c.Width = 9
		all[gcLag] = c
		c = all[gcTimeLag]
		c.Width = 8
		all[gcTimeLag] = c
	}
	cols := make([]ui.Column, len(vis))
	for i, c := range vis {
		cols[i] = all[c]
	}
	s.visCols = vis
	s.table.SetColumns(cols)
	s.table.SetSize(s.w, max(0, s.h-1))
}

func (s *groupsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		if s.err != nil {
			return centered(th.Error.Render("✗ "+errText(s.err))+"\n"+th.Muted.Render("press R to retry, ctrl+r to reload"), s.w, s.h)
		}
		return centered(s.spin.View()+" loading consumer groups…", s.w, s.h)
	}
	top := s.summary()
	if s.prompt.Active() {
		top = s.prompt.View()
	}
	rows := s.rows
	body := restyleCells(s.table.View(), s.table, 1, 1+statusWidth, func(i int) (lipgloss.Style, bool) {
		if rows[i].Err != "" && len(rows[i].parts) == 0 {
			return th.Error, true
		}
		return statusStyle(th, rows[i].status), true
	})
	return fitLine(top, s.w) + "\n" + body
}

// summary is the line above the table: counts by verdict, sort, refresh.
func (s *groupsScreen) summary() string {
	th := s.env.Theme
	head := " " + plural(len(s.rows), "group")
	if s.topic != "" {
		head = " " + plural(len(s.rows), "group") + " consume " + ui.Sanitize(s.topic)
	}
	if len(s.rows) != len(s.all) {
		head += fmt.Sprintf(" of %d", len(s.all))
	}
	line := th.Muted.Render(head)
	// Verdict counts of what is shown, worst first.
	counts := map[lag.Status]int{}
	for i := range s.rows {
		counts[s.rows[i].status]++
	}
	for _, st := range []lag.Status{lag.Lost, lag.Rewind, lag.Stall, lag.Stop, lag.Warn} {
		if n := counts[st]; n > 0 {
			line += th.Muted.Render(" · ") + statusStyle(th, st).Render(fmt.Sprintf("%d %s", n, st))
		}
	}
	var rest []string
	if s.filter != "" {
		rest = append(rest, "filter "+strconv.Quote(ui.Sanitize(s.filter)))
	}
	dir := "▲"
	if s.sortDesc {
		dir = "▼"
	}
	rest = append(rest, "sort "+strings.ToLower(groupColTitles[s.sortCol])+" "+dir)
	line += th.Muted.Render(" · " + strings.Join(rest, " · "))
	line += " " + refreshState(th, s.paused, s.loading, s.refresh, s.updated, s.env.now())
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+errText(s.err))
	} else if s.timeErr != nil {
		line += "  " + th.Warn.Render("time lag: "+errText(s.timeErr))
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
	return th.Muted.Render(mark + " every " + fmtEvery(every) + age)
}
