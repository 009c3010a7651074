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

// Group screen keys.
var (
	keyGroupFocus  = binding([]string{"tab", "shift+tab"}, "tab", "members/partitions")
	keyGroupEnter  = binding([]string{"enter"}, "enter", "record at committed offset; on a member: its partitions")
	keyGroupChart  = binding([]string{"c"}, "c", "show/hide lag chart")
	keyGroupReset  = binding([]string{"x"}, "x", "reprocess: replay group or guarded reset")
	keyGroupLost   = binding([]string{"L"}, "LOST", "committed offset below log start: records deleted before read")
	keyGroupSortBy = binding([]string{"1", "2", "3", "4", "5"}, "1-5", "sort: partition, status, lag, time lag, rate")
)

// Messages of the group screen.
type (
	groupLoadedMsg struct {
		gl           *backend.GroupLag // nil: the group is not listed
		times        map[backend.Position]time.Time
		err, timeErr error
	}
	groupTickMsg struct {
		gen int
	}
	groupRetryMsg struct{}
)

// Sort orders of the partitions table.
const (
	psPartition = iota
	psStatus
	psLag
	psTimeLag
	psRate
	psCount
)

var partSortNames = []string{"partition", "status", "lag", "time lag", "rate"}

// Partition table columns.
const (
	pcStatus = iota
	pcTopic
	pcPart
	pcOwner
	pcCommitted
	pcLogStart
	pcHW
	pcLag
	pcTimeLag
	pcRate
	pcTrend
)

// partRow is a partition with the figures only the group screen computes.
type partRow struct {
	partView
	consume, produce float64
	rateOK           bool
	trend            []float64
}

type groupScreen struct {
	env     *Env
	mon     *lagMonitor
	group   string
	refresh time.Duration

	ctx    context.Context
	cancel context.CancelFunc

	spin    spinner.Model
	prompt  ui.Prompt
	members *ui.Table
	parts   *ui.Table
	visCols []int
	times   map[backend.Position]time.Time // this screen's TimeLags cache

	gv      groupView
	have    bool
	missing bool // the cluster does not know the group
	all     []partRow
	rows    []partRow
	consume float64
	produce float64
	rateOK  bool

	focusMembers bool
	member       string // show only this member's partitions
	filter       string
	sortCol      int
	sortDesc     bool
	chartOff     bool

	loading bool
	paused  bool
	again   bool
	tickGen int
	err     error
	timeErr error
	updated time.Time

	w, h int
	// layout results
	chartH   int
	membersH int
	partsH   int
}

// NewGroup shows one group: state, protocol, assignor and members; every
// partition with its owner, committed offset, log start, high watermark,
// lag in records and in time, consume rate and verdict; and the history
// of its total lag. It shares lag history with the groups screen (per
// env), so verdicts and charts carry over when it is opened and closed.
func NewGroup(env *Env, group string, opts ...LagOption) ui.Screen {
	m := monitorFor(env)
	o := lagOpts(m, opts)
	ctx, cancel := context.WithCancel(context.Background())
	s := &groupScreen{env: env, mon: m, group: group, refresh: o.refresh,
		ctx: ctx, cancel: cancel, spin: newSpinner(env), prompt: ui.NewPrompt(env.Theme), times: m.times}
	s.members = ui.NewTable(env.Theme, nil)
	s.members.SetEmpty("no members: nobody is consuming")
	s.parts = ui.NewTable(env.Theme, nil)
	s.parts.SetEmpty("no partitions: the group has no commits, assignments or subscriptions")
	if gv, ok := m.snapshot(group, env.now()); ok {
		s.setGroup(gv)
	}
	s.layout()
	return s
}

func (s *groupScreen) Title() string { return s.group }

func (s *groupScreen) Help() []key.Binding {
	return []key.Binding{keyGroupFocus, keyGroupEnter, ui.Keys.Filter, keyLagSort, keyLagReverse, keyGroupSortBy,
		keyLagPause, keyGroupChart, keyGroupReset, ui.Keys.Refresh, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown,
		ui.Keys.Top, ui.Keys.Bottom, keyLagEstim, keyGroupLost}
}

func (s *groupScreen) CapturingInput() bool { return s.prompt.Active() }

// Close stops an in-flight refresh when the screen is popped.
func (s *groupScreen) Close() { s.cancel() }

func (s *groupScreen) Init() tea.Cmd { return tea.Batch(s.load(), s.spin.Tick) }

func (s *groupScreen) Refresh() tea.Cmd {
	if s.loading {
		s.again = true
		return nil
	}
	return s.load()
}

// load fetches this group only: the same batched requests as the list,
// sized for one group.
func (s *groupScreen) load() tea.Cmd {
	s.loading = true
	s.tickGen++
	c, ctx, group, known := s.env.Cluster, s.ctx, s.group, s.times
	return func() tea.Msg {
		gls, times, err, terr := loadLags(ctx, c, []string{group}, "", known)
		msg := groupLoadedMsg{times: times, err: err, timeErr: terr}
		for i := range gls {
			if gls[i].Group == group && !notFound(&gls[i]) {
				msg.gl = &gls[i]
			}
		}
		return msg
	}
}

// notFound reports a group the cluster does not know: kfake answers "no
// such group"; Kafka describes it as Dead with nothing in it.
func notFound(g *backend.GroupLag) bool {
	return g.Err == "no such group" || (g.State == "Dead" && g.Members == 0 && len(g.Partitions) == 0)
}

func (s *groupScreen) next() tea.Cmd {
	if s.again {
		s.again = false
		return s.load()
	}
	if s.paused {
		return nil
	}
	return tickCmd(s.ctx, s.refresh, groupTickMsg{gen: s.tickGen})
}

// Back undoes the member filter, then the text filter, before esc leaves.
func (s *groupScreen) Back() (bool, tea.Cmd) {
	switch {
	case s.member != "":
		s.member = ""
	case s.filter != "":
		s.filter = ""
		s.prompt.SetValue("")
	default:
		return false, nil
	}
	s.apply()
	return true, nil
}

func (s *groupScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case groupLoadedMsg:
		return s, s.onLoaded(msg)

	case groupTickMsg:
		if msg.gen != s.tickGen || s.loading || s.paused {
			return s, nil
		}
		return s, s.load()

	case groupRetryMsg:
		return s, s.Refresh()

	case spinner.TickMsg:
		if s.have || s.missing || !s.loading {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd

	case tea.MouseWheelMsg:
		s.focused().HandleMouse(msg)
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

func (s *groupScreen) onLoaded(msg groupLoadedMsg) tea.Cmd {
	s.loading = false
	if msg.err != nil {
		first := s.err == nil
		s.err = msg.err
		next := s.next()
		if !first {
			return next
		}
		err := fmt.Errorf("group %s: %w", s.group, msg.err)
		return tea.Batch(next, func() tea.Msg {
			return ui.ErrMsg{Err: err, Retry: func() tea.Msg { return groupRetryMsg{} }}
		})
	}
	var cmd tea.Cmd
	if s.err != nil {
		cmd = ui.ClearErr()
	}
	s.err, s.timeErr = nil, msg.timeErr
	if msg.times != nil {
		s.times = msg.times
	}
	now := s.env.now()
	s.updated = now
	if msg.gl == nil {
		s.missing, s.have = true, false
		return tea.Batch(cmd, s.next())
	}
	s.missing = false
	gvs := s.mon.observe([]backend.GroupLag{*msg.gl}, s.times, now, "")
	s.setGroup(gvs[0])
	return tea.Batch(cmd, s.next())
}

// setGroup installs a new view of the group and derives rates and trends
// from the monitor's samples.
func (s *groupScreen) setGroup(gv groupView) {
	first := !s.have
	s.gv, s.have = gv, true
	horizon := max(30*time.Second, 5*s.refresh)
	s.all = s.all[:0]
	s.consume, s.produce, s.rateOK = 0, 0, false
	for _, p := range gv.parts {
		r := partRow{partView: p}
		w := s.mon.tracker.Window(lag.Key{Group: gv.Group, Topic: p.Topic, Partition: p.Partition})
		r.consume, r.produce, r.rateOK = rates(w, horizon)
		if r.rateOK {
			s.consume += max(r.consume, 0)
			s.produce += max(r.produce, 0)
			s.rateOK = true
		}
		if w != nil {
			ss := w.Samples()
			r.trend = make([]float64, len(ss))
			for i, x := range ss {
				r.trend[i] = float64(max(x.Lag(), 0))
			}
		}
		s.all = append(s.all, r)
	}
	s.setMembers()
	s.apply()
	s.layout()
	if first {
		s.parts.Top()
	}
	if len(gv.MembersInfo) == 0 {
		s.focusMembers = false // the members table is hidden
	}
}

func (s *groupScreen) focused() *ui.Table {
	if s.focusMembers {
		return s.members
	}
	return s.parts
}

func (s *groupScreen) updatePrompt(msg tea.Msg) tea.Cmd {
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

func (s *groupScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyGroupFocus):
		if len(s.gv.MembersInfo) > 0 || s.focusMembers {
			s.focusMembers = !s.focusMembers
		}
	case key.Matches(msg, ui.Keys.Filter):
		s.focusMembers = false
		s.prompt.SetWidth(s.w)
		return s.prompt.OpenWith("/", "filter partitions: topic, owner, verdict", s.filter)
	case key.Matches(msg, keyGroupEnter):
		return s.enter()
	case key.Matches(msg, keyLagPause):
		s.paused = !s.paused
		if s.paused {
			s.tickGen++
			return ui.Toast("auto-refresh paused (p to resume)")
		}
		var cmd tea.Cmd
		if !s.loading {
			cmd = s.load()
		}
		return tea.Batch(cmd, ui.Toast("auto-refresh every "+fmtEvery(s.refresh)))
	case key.Matches(msg, keyGroupChart):
		s.chartOff = !s.chartOff
		s.layout()
	case key.Matches(msg, keyGroupReset):
		// Read-only (flag or context) is refused before any prompt, with
		// the reason; the backend refuses the write again regardless.
		if err := s.env.Cluster.CheckWrite(); err != nil {
			return func() tea.Msg { return ui.ErrMsg{Err: err} }
		}
		return ui.Push(NewReset(s.env, s.env.DataDir, s.group))
	case key.Matches(msg, keyLagSort):
		s.sortCol = (s.sortCol + 1) % psCount
		s.sortDesc = s.sortCol != psPartition
		s.apply()
	case key.Matches(msg, keyLagReverse):
		s.sortDesc = !s.sortDesc
		s.apply()
	case key.Matches(msg, keyGroupSortBy):
		c, _ := strconv.Atoi(msg.String())
		if c-1 == s.sortCol {
			s.sortDesc = !s.sortDesc
		} else {
			s.sortCol, s.sortDesc = c-1, c-1 != psPartition
		}
		s.apply()
	default:
		s.focused().HandleKey(msg)
	}
	return nil
}

// enter on a member shows only its partitions; on a partition it opens the
// record at the committed offset: the next one the group will read, the
// one a stalled consumer is stuck on.
func (s *groupScreen) enter() tea.Cmd {
	if s.focusMembers {
		ms := s.gv.MembersInfo
		if len(ms) == 0 {
			return nil
		}
		s.member = ms[s.members.Cursor()].MemberID
		s.focusMembers = false
		s.apply()
		s.parts.Top()
		return nil
	}
	if len(s.rows) == 0 {
		return nil
	}
	p := s.rows[s.parts.Cursor()]
	switch {
	case p.Committed < 0:
		return ui.Toast("no committed offset on " + ui.Sanitize(p.Topic) + "/" + strconv.Itoa(int(p.Partition)))
	case p.Committed < p.LogStart:
		return ui.Toast(fmt.Sprintf("offset %d was deleted (log start %d): nothing to show", p.Committed, p.LogStart))
	case p.Committed >= p.HighWatermark:
		return ui.Toast(fmt.Sprintf("caught up: no record at offset %d yet", p.Committed))
	}
	return ui.Push(NewRecordAt(s.env, p.Topic, p.Partition, p.Committed))
}

func (s *groupScreen) setMembers() {
	ms := s.gv.MembersInfo
	s.members.SetRows(len(ms), func(i int) []string {
		m := ms[i]
		id := m.MemberID
		if m.InstanceID != "" {
			id += " (" + m.InstanceID + ")"
		}
		return []string{ui.Sanitize(id), ui.Sanitize(m.ClientID), ui.Sanitize(m.Host), fmtAssigned(m.Assigned)}
	})
}

// fmtAssigned renders an assignment compactly: "orders 0-2,5 · payments 1".
func fmtAssigned(a map[string][]int32) string {
	if len(a) == 0 {
		return "-"
	}
	topics := make([]string, 0, len(a))
	for t := range a {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	parts := make([]string, len(topics))
	for i, t := range topics {
		parts[i] = ui.Sanitize(t) + " " + fmtRanges(a[t])
	}
	return strings.Join(parts, " · ")
}

// fmtRanges renders sorted partitions as ranges: 0,1,2,5 -> "0-2,5".
func fmtRanges(ps []int32) string {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(ps[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(ps[j])))
		}
		i = j + 1
	}
	return b.String()
}

func (p *partRow) matches(f string) bool {
	if f == "" {
		return true
	}
	for _, x := range []string{p.Topic, p.Owner, p.Client, p.Host, string(p.status), p.Topic + "/" + strconv.Itoa(int(p.Partition))} {
		if strings.Contains(strings.ToLower(x), f) {
			return true
		}
	}
	return false
}

func (s *groupScreen) apply() {
	type pk struct {
		t string
		p int32
	}
	var keep *pk
	if len(s.rows) > 0 {
		r := s.rows[s.parts.Cursor()]
		keep = &pk{r.Topic, r.Partition}
	}
	f := strings.ToLower(s.filter)
	s.rows = s.rows[:0]
	for i := range s.all {
		if s.member != "" && s.all[i].Owner != s.member {
			continue
		}
		if s.all[i].matches(f) {
			s.rows = append(s.rows, s.all[i])
		}
	}
	slices.SortStableFunc(s.rows, func(a, b partRow) int {
		var c int
		switch s.sortCol {
		case psStatus:
			c = cmp.Compare(a.status.Severity(), b.status.Severity())
		case psLag:
			c = cmp.Compare(a.Lag, b.Lag)
		case psTimeLag:
			c = cmp.Compare(timeKey(a.tl), timeKey(b.tl))
		case psRate:
			c = cmp.Compare(rateKey(a), rateKey(b))
		}
		if s.sortDesc {
			c = -c
		}
		if c == 0 {
			c = cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
			if s.sortDesc && s.sortCol == psPartition {
				c = -c
			}
		}
		return c
	})
	rows, cols := s.rows, s.visCols
	s.parts.SetRows(len(rows), func(i int) []string {
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = partCell(&rows[i], c)
		}
		return cells
	})
	sortVis := map[int]int{psPartition: pcTopic, psStatus: pcStatus, psLag: pcLag, psTimeLag: pcTimeLag, psRate: pcRate}[s.sortCol]
	s.parts.SetSort(slices.Index(cols, sortVis), s.sortDesc)
	if keep != nil {
		for i := range rows {
			if rows[i].Topic == keep.t && rows[i].Partition == keep.p {
				s.parts.SetCursor(i)
				break
			}
		}
	}
	if s.filter != "" || s.member != "" {
		s.parts.SetEmpty("no partition matches")
	} else {
		s.parts.SetEmpty("no partitions: the group has no commits, assignments or subscriptions")
	}
}

func rateKey(p partRow) float64 {
	if !p.rateOK {
		return -1
	}
	return p.consume
}

func partCell(p *partRow, col int) string {
	switch col {
	case pcStatus:
		return string(p.status)
	case pcTopic:
		return ui.Sanitize(p.Topic)
	case pcPart:
		return strconv.Itoa(int(p.Partition))
	case pcOwner:
		if p.Owner == "" {
			return "-"
		}
		if p.Client != "" {
			return ui.Sanitize(p.Client)
		}
		return ui.Sanitize(p.Owner)
	case pcCommitted:
		return fmtOffset(p.Committed)
	case pcLogStart:
		if p.Err != "" {
			return "?"
		}
		return fmtOffset(p.LogStart)
	case pcHW:
		if p.Err != "" {
			return "?"
		}
		return fmtOffset(p.HighWatermark)
	case pcLag:
		return fmtLag(p.Lag)
	case pcTimeLag:
		return fmtTimeLag(p.tl)
	case pcRate:
		return fmtRate(p.consume, p.rateOK)
	case pcTrend:
		return lagSparkline(p.trend, trendWidth)
	}
	return ""
}

func (s *groupScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.prompt.SetWidth(w)
	s.layout()
}

// headerLines is the number of lines above the chart.
func (s *groupScreen) headerLines() int {
	n := 2
	if s.gv.lost > 0 {
		n++
	}
	if s.gv.Err != "" && !notFound(&s.gv.GroupLag) {
		n++
	}
	return n
}

// layout sizes the chart and the two tables for the area and picks the
// partition columns for the width. At 80x24 the chart collapses to a
// one-line sparkline and OWNER and TREND go (the detail line names the
// selected partition's owner); from 100 cells OWNER is back, from 120
// TREND; from 30 lines the chart gets up to 10.
func (s *groupScreen) layout() {
	w, h := s.w, s.h
	const (
		titleLines  = 2 // MEMBERS and PARTITIONS titles
		detailLines = 1
	)
	avail := h - s.headerLines() - titleLines - detailLines
	s.chartH = 1 // the sparkline line
	if !s.chartOff && h >= 30 {
		s.chartH = min(10, max(5, h/4))
	}
	if s.chartOff {
		s.chartH = 0
	}
	avail -= s.chartH
	n := len(s.gv.MembersInfo)
	s.membersH = 0
	if n > 0 {
		s.membersH = min(n+1, max(2, avail/3))
	}
	s.partsH = max(0, avail-s.membersH)

	mcols := []ui.Column{
		{Title: "MEMBER ID", MinWidth: 10, Flex: 3},
		{Title: "CLIENT ID", MinWidth: 8, Flex: 2},
		{Title: "HOST", MinWidth: 8, Flex: 2},
		{Title: "ASSIGNED", MinWidth: 10, Flex: 3},
	}
	s.members.SetColumns(mcols)
	s.members.SetSize(w, s.membersH)

	all := map[int]ui.Column{
		pcStatus:    {Title: "STATUS", Width: statusWidth},
		pcTopic:     {Title: "TOPIC", MinWidth: 8, Flex: 1},
		pcPart:      {Title: "P", Width: 3, Right: true},
		pcOwner:     {Title: "OWNER", MinWidth: 8, Flex: 1},
		pcCommitted: {Title: "COMMITTED", Width: 10, Right: true},
		pcLogStart:  {Title: "LOG START", Width: 10, Right: true},
		pcHW:        {Title: "HIGH WM", Width: 10, Right: true},
		pcLag:       {Title: "LAG", Width: 9, Right: true},
		pcTimeLag:   {Title: "TIME LAG", Width: 8, Right: true},
		pcRate:      {Title: "RATE", Width: 7, Right: true},
		pcTrend:     {Title: "TREND", Width: trendWidth},
	}
	var vis []int
	switch {
	case w >= 120:
		vis = []int{pcStatus, pcTopic, pcPart, pcOwner, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate, pcTrend}
	case w >= 100:
		vis = []int{pcStatus, pcTopic, pcPart, pcOwner, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate}
	case w >= 76:
		vis = []int{pcStatus, pcTopic, pcPart, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate}
		for _, c := range []int{pcCommitted, pcLogStart, pcHW} {
			col := all[c]
			col.Width = 9
			all[c] = col
		}
		col := all[pcLag]
		col.Width = 8
		all[pcLag] = col
		col = all[pcRate]
		col.Width = 6
		all[pcRate] = col
	default:
		vis = []int{pcStatus, pcTopic, pcPart, pcCommitted, pcHW, pcLag, pcTimeLag}
		for _, c := range []int{pcCommitted, pcHW} {
			col := all[c]
			col.Width = 9
			all[c] = col
		}
		col := all[pcLag]
		col.Width = 8
		all[pcLag] = col
	}
	cols := make([]ui.Column, len(vis))
	for i, c := range vis {
		cols[i] = all[c]
	}
	changed := !slices.Equal(vis, s.visCols)
	s.visCols = vis
	s.parts.SetColumns(cols)
	s.parts.SetSize(w, s.partsH)
	if changed {
		s.apply()
	}
}

func (s *groupScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.have {
		switch {
		case s.missing:
			return centered(th.Error.Render("✗ no consumer group "+strconv.Quote(ui.Sanitize(s.group)))+"\n"+
				th.Muted.Render("it may appear when a consumer joins or commits; still watching"), s.w, s.h)
		case s.err != nil:
			return centered(th.Error.Render("✗ "+errText(s.err))+"\n"+th.Muted.Render("press R to retry, ctrl+r to reload"), s.w, s.h)
		}
		return centered(s.spin.View()+" loading group "+ui.Sanitize(s.group)+"…", s.w, s.h)
	}
	lines := s.header()
	if s.chartH == 1 {
		lines = append(lines, s.sparkLine())
	} else if s.chartH > 1 {
		at, v := s.mon.totals[s.group].points()
		lines = append(lines, strings.Split(lagChart(at, v, s.w, s.chartH, th), "\n")...)
	}
	lines = append(lines, s.tableTitle(true))
	if s.membersH > 0 {
		lines = append(lines, strings.Split(s.members.View(), "\n")...)
	}
	lines = append(lines, s.tableTitle(false))
	if s.partsH > 0 {
		lines = append(lines, strings.Split(s.partsView(), "\n")...)
	}
	if s.prompt.Active() {
		lines = append(lines, s.prompt.View())
	} else {
		lines = append(lines, s.detail())
	}
	return joinLines(lines, s.w, s.h)
}

// partsView is the partitions table with verdicts coloured and LOST rows
// red from end to end (the selected row keeps its highlight).
func (s *groupScreen) partsView() string {
	th := s.env.Theme
	rows := s.rows
	v := s.parts.View()
	cur := s.parts.Cursor()
	v = restyleRows(v, s.parts, func(i int) (lipgloss.Style, bool) {
		return th.Error, rows[i].status == lag.Lost && i != cur
	})
	return restyleCells(v, s.parts, 1, 1+statusWidth, func(i int) (lipgloss.Style, bool) {
		return statusStyle(th, rows[i].status), rows[i].status != lag.Lost || i == cur
	})
}

func (s *groupScreen) header() []string {
	th := s.env.Theme
	g := &s.gv
	sep := th.Muted.Render(" · ")
	proto := g.Protocol
	if g.Assignor != "" {
		proto += " (" + ui.Sanitize(g.Assignor) + ")"
	}
	l1 := " " + th.Title.Render(ui.Sanitize(g.Group)) + sep + stateText(th, g.State) + sep + th.Muted.Render(proto) +
		sep + th.Muted.Render(plural(g.Members, "member")) + sep + th.Muted.Render("verdict ") + statusStyle(th, g.status).Render(string(g.status))
	lagText := "-"
	if !g.noLag {
		lagText = ui.FormatCount(g.TotalLag)
	}
	l2 := " " + th.Muted.Render("lag ") + lagText + th.Muted.Render(" records") + sep +
		th.Muted.Render("max time lag ") + fmtTimeLag(g.maxTime)
	if s.rateOK {
		l2 += sep + th.Muted.Render("consume ") + fmtRate(s.consume, true) + sep + th.Muted.Render("produce ") + fmtRate(s.produce, true)
	}
	l2 += "  " + refreshState(th, s.paused, s.loading, s.refresh, s.updated, s.env.now())
	if s.err != nil {
		l2 += "  " + th.Error.Render("✗ "+errText(s.err))
	} else if s.timeErr != nil {
		l2 += "  " + th.Warn.Render("time lag: "+errText(s.timeErr))
	}
	out := []string{l1, l2}
	if g.lost > 0 {
		where := strings.Join(g.lostOn, ", ")
		if len(g.lostOn) > 3 {
			where = strings.Join(g.lostOn[:3], ", ") + fmt.Sprintf(" and %d more", len(g.lostOn)-3)
		}
		out = append(out, th.Error.Render(fmt.Sprintf(" ✗ LOST %s records deleted before read (%s): committed offset < log start",
			ui.FormatCount(g.lost), ui.Sanitize(where))))
	}
	if g.Err != "" && !notFound(&g.GroupLag) {
		out = append(out, th.Warn.Render(" ! "+ui.Sanitize(g.Err)))
	}
	return out
}

func stateText(th themes.Theme, state string) string {
	switch state {
	case "Stable":
		return th.OK.Render(state)
	case "Empty", "Dead":
		return th.Warn.Render(ui.Sanitize(state))
	}
	return th.Info.Render(ui.Sanitize(state))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// sparkLine is the collapsed chart: the total lag history on one line.
func (s *groupScreen) sparkLine() string {
	th := s.env.Theme
	at, v := s.mon.totals[s.group].points()
	label := " lag history "
	if len(at) < 2 {
		return th.Muted.Render(label + "collecting samples…")
	}
	span := " last " + ui.FormatAge(at[len(at)-1].Sub(at[0]))
	wid := max(4, s.w-len(label)-len(span)-1)
	vals := make([]float64, len(v))
	for i, x := range v {
		vals[i] = float64(x)
	}
	return th.Muted.Render(label) + th.Info.Render(lagSparkline(vals, wid)) + th.Muted.Render(span)
}

func (s *groupScreen) tableTitle(members bool) string {
	th := s.env.Theme
	mark := "  "
	if members == s.focusMembers {
		mark = th.Key.Render("▸ ")
	}
	if members {
		return mark + th.Header.Render("MEMBERS") + th.Muted.Render(" "+strconv.Itoa(len(s.gv.MembersInfo)))
	}
	t := mark + th.Header.Render("PARTITIONS") + th.Muted.Render(" "+strconv.Itoa(len(s.rows)))
	var extra []string
	if s.member != "" {
		extra = append(extra, "member "+ui.Sanitize(s.member)+" (esc: all)")
	}
	if s.filter != "" {
		extra = append(extra, "filter "+strconv.Quote(ui.Sanitize(s.filter)))
	}
	dir := "▲"
	if s.sortDesc {
		dir = "▼"
	}
	extra = append(extra, "sort "+partSortNames[s.sortCol]+" "+dir)
	return t + th.Muted.Render(" · "+strings.Join(extra, " · "))
}

// detail explains the selected row in words: where a number comes from,
// and what a verdict means.
func (s *groupScreen) detail() string {
	th := s.env.Theme
	if s.focusMembers {
		ms := s.gv.MembersInfo
		if len(ms) == 0 {
			return ""
		}
		m := ms[s.members.Cursor()]
		return th.Muted.Render(" " + ui.Sanitize(m.MemberID) + " · enter: show its partitions")
	}
	if len(s.rows) == 0 {
		return ""
	}
	p := s.rows[s.parts.Cursor()]
	where := ui.Sanitize(p.Topic) + "/" + strconv.Itoa(int(p.Partition))
	if p.Err != "" {
		return th.Warn.Render(" " + where + ": " + ui.Sanitize(p.Err))
	}
	var why string
	switch p.status {
	case lag.Lost:
		return th.Error.Render(fmt.Sprintf(" %s LOST %s records deleted before read: committed %d < log start %d", where,
			ui.FormatCount(p.LogStart-p.Committed), p.Committed, p.LogStart)) + th.Muted.Render(timeLagNote(p.tl))
	case lag.Rewind:
		why = "committed offset moved backwards within the window"
	case lag.Stall:
		why = "a live member holds it but its offset has not moved for longer than the window"
	case lag.Stop:
		why = "lagging and no live member holds it: the consumer is gone"
	case lag.Warn:
		why = "lag grew at every sample across the window"
	case lag.Unknown:
		if p.Committed < 0 {
			why = "no committed offset yet"
		} else {
			why = "not enough samples yet for a trend"
		}
	case lag.OK:
		why = "keeping up"
	}
	owner := "no owner"
	if p.Owner != "" {
		owner = "owner " + ui.Sanitize(p.Owner)
		if p.Host != "" {
			owner += " @ " + ui.Sanitize(p.Host)
		}
	}
	return th.Muted.Render(" "+where+" · ") + statusStyle(th, p.status).Render(string(p.status)) +
		th.Muted.Render(": "+why+" · "+owner+timeLagNote(p.tl))
}

func timeLagNote(tl backend.TimeLag) string {
	switch tl.Source {
	case backend.TimeLagEstimate:
		return " · time lag ~" + ui.FormatAge(tl.Lag) + " estimated from high-watermark samples (record at the committed offset is gone)"
	case backend.TimeLagAtLeast:
		return " · time lag >" + ui.FormatAge(tl.Lag) + ": the record at the committed offset was deleted; the oldest record left is this old"
	case backend.TimeLagRecord:
		if tl.Lag > 0 {
			return " · time lag " + ui.FormatAge(tl.Lag) + ": age of the record at the committed offset"
		}
	}
	return ""
}
