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
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// Group screen keys.
var (
	keyGroupFocus = binding([]string{"tab", "shift+tab"}, "tab", "members/partitions")
	keyGroupEnter = binding([]string{"enter"}, "enter", "record at committed offset; on a member: its partitions")
	keyGroupChart = binding([]string{"c"}, "c", "show/hide lag chart")
	keyGroupReset = binding([]string{"x"}, "x", "reprocess: replay group or guarded reset")
	keyGroupLost  = binding([]string{"L"}, "LOST", "committed offset below log start: records deleted before read")
)

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

	load    *ui.Loader[groupResult]
	members *ui.Table
	parts   *ui.List[partRow]
	visCols []int
	times   map[backend.Position]time.Time // this screen's TimeLags cache (see groupsScreen.times)

	gv      groupView
	have    bool
	missing bool // the cluster does not know the group
	consume float64
	produce float64
	rateOK  bool

	focusMembers bool
	member       string // show only this member's partitions
	chartOff     bool

	timeErr error
	updated time.Time

	w, h int
	// layout results
	chartH   int
	membersH int
	partsH   int
}

// groupResult is one refresh of the group screen; gl is nil when the
// cluster does not list the group.
type groupResult struct {
	gl      *backend.GroupLag
	times   map[backend.Position]time.Time
	timeErr error
}

// NewGroup shows one group: state, protocol, assignor and members; every
// partition with its owner, committed offset, log start, high watermark,
// lag in records and in time, consume rate and verdict; and the history
// of its total lag. It shares lag history with the groups screen (per
// env), so verdicts and charts carry over when it is opened and closed.
func NewGroup(env *Env, group string, opts ...LagOption) ui.Screen {
	m := monitorFor(env)
	s := &groupScreen{env: env, mon: m, group: group, refresh: lagOpts(m, opts).refresh, times: m.times}
	s.load = ui.NewLoader(env.Theme, ui.LoaderSpec[groupResult]{Fetch: s.fetch, Apply: s.apply,
		What: "group " + group, Every: s.refresh})
	s.members = ui.NewTable(env.Theme, nil)
	s.members.SetEmpty("no members: nobody is consuming")
	sortBy := func(name, col string, f func(a, b partRow) int) ui.Sort[partRow] {
		return ui.Sort[partRow]{Name: name, Column: col, Compare: f, Desc: true}
	}
	byPartition := func(a, b partRow) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	}
	s.parts = ui.NewList(env.Theme, ui.ListSpec[partRow]{
		Columns:    s.partColumns,
		Cells:      s.partCells,
		Key:        func(p partRow) string { return p.Topic + "\x00" + strconv.Itoa(int(p.Partition)) },
		Match:      func(p partRow, f string) bool { return p.matches(f) },
		FilterHint: "filter partitions: topic, owner, verdict",
		Keep:       func(p partRow) bool { return s.member == "" || p.Owner == s.member },
		Sorts: []ui.Sort[partRow]{
			{Name: "partition", Column: "TOPIC", Compare: byPartition},
			sortBy("status", "STATUS", func(a, b partRow) int { return cmp.Compare(a.status.Severity(), b.status.Severity()) }),
			sortBy("lag", "LAG", func(a, b partRow) int { return cmp.Compare(a.Lag, b.Lag) }),
			sortBy("time lag", "TIME LAG", func(a, b partRow) int { return cmp.Compare(timeKey(a.tl), timeKey(b.tl)) }),
			sortBy("rate", "RATE", func(a, b partRow) int { return cmp.Compare(rateKey(a), rateKey(b)) }),
		},
		Tie:      byPartition,
		SortHelp: "sort: partition, status, lag, time lag, rate",
		Empty: func(f string) string {
			if f != "" || s.member != "" {
				return "no partition matches"
			}
			return "no partitions: the group has no commits, assignments or subscriptions"
		},
	})
	if gv, ok := m.snapshot(group, env.now()); ok {
		s.setGroup(gv)
	}
	s.layout()
	return s
}

func (s *groupScreen) Title() string { return s.group }

func (s *groupScreen) Help() []key.Binding {
	return []key.Binding{keyGroupFocus, keyGroupEnter, ui.Keys.Filter, ui.Keys.SortNext, ui.Keys.SortReverse, s.parts.SortKeys(),
		keyLagPause, keyGroupChart, keyGroupReset, ui.Keys.Refresh, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown,
		ui.Keys.Top, ui.Keys.Bottom, keyLagEstim, keyGroupLost}
}

func (s *groupScreen) CapturingInput() bool { return s.parts.PromptActive() }

// Close stops an in-flight refresh when the screen is popped.
func (s *groupScreen) Close() { s.load.Close() }

func (s *groupScreen) Init() tea.Cmd { return s.load.Start() }

func (s *groupScreen) Refresh() tea.Cmd { return s.load.Refresh() }

// fetch reads this group only: the same batched requests as the list,
// sized for one group.
func (s *groupScreen) fetch(ctx context.Context) (groupResult, error) {
	gls, times, err, terr := loadLags(ctx, s.env.Cluster, []string{s.group}, "", s.times)
	r := groupResult{times: times, timeErr: terr}
	for i := range gls {
		if gls[i].Group == s.group && !notFound(&gls[i]) {
			r.gl = &gls[i]
		}
	}
	return r, err
}

// notFound reports a group the cluster does not know: kfake answers "no
// such group"; Kafka describes it as Dead with nothing in it.
func notFound(g *backend.GroupLag) bool {
	return g.Err == "no such group" || (g.State == "Dead" && g.Members == 0 && len(g.Partitions) == 0)
}

// Back undoes the member filter, then the text filter, before esc leaves.
func (s *groupScreen) Back() (bool, tea.Cmd) {
	if s.member != "" {
		s.member = ""
		s.parts.Apply()
		return true, nil
	}
	return s.parts.ClearFilter(), nil
}

func (s *groupScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if cmd, ok := s.load.Update(msg); ok {
		return s, cmd
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		s.focused().HandleMouse(msg)
	case tea.PasteMsg:
		cmd, _ := s.parts.HandleKey(msg)
		return s, cmd
	case tea.KeyPressMsg:
		if s.parts.PromptActive() {
			cmd, _ := s.parts.HandleKey(msg)
			return s, cmd
		}
		return s, s.handleKey(msg)
	}
	return s, nil
}

// apply installs a refresh (in Update: the monitor belongs to the event
// loop).
func (s *groupScreen) apply(r groupResult) {
	s.timeErr = r.timeErr
	if r.times != nil {
		s.times = r.times
	}
	now := s.env.now()
	s.updated = now
	if r.gl == nil {
		s.missing, s.have = true, false
		return
	}
	s.missing = false
	gvs := s.mon.observe([]backend.GroupLag{*r.gl}, s.times, now, "")
	s.setGroup(gvs[0])
}

// setGroup installs a new view of the group and derives rates and trends
// from the monitor's samples.
func (s *groupScreen) setGroup(gv groupView) {
	first := !s.have
	s.gv, s.have = gv, true
	horizon := max(30*time.Second, 5*s.refresh)
	var all []partRow
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
		all = append(all, r)
	}
	s.setMembers()
	s.parts.SetItems(all)
	s.layout()
	if first {
		s.parts.Table().Top()
	}
	if len(gv.MembersInfo) == 0 {
		s.focusMembers = false // the members table is hidden
	}
}

func (s *groupScreen) focused() *ui.Table {
	if s.focusMembers {
		return s.members
	}
	return s.parts.Table()
}

func (s *groupScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyGroupFocus):
		if len(s.gv.MembersInfo) > 0 || s.focusMembers {
			s.focusMembers = !s.focusMembers
		}
	case key.Matches(msg, ui.Keys.Filter):
		s.focusMembers = false
		cmd, _ := s.parts.HandleKey(msg)
		return cmd
	case key.Matches(msg, keyGroupEnter):
		return s.enter()
	case key.Matches(msg, keyLagPause):
		return s.load.TogglePause()
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
	default:
		if s.focusMembers && s.members.HandleKey(msg) {
			return nil
		}
		cmd, _ := s.parts.HandleKey(msg) // sort keys, and navigation of the partitions
		return cmd
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
		s.parts.Apply()
		s.parts.Table().Top()
		return nil
	}
	p, ok := s.parts.Selected()
	if !ok {
		return nil
	}
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

func rateKey(p partRow) float64 {
	if !p.rateOK {
		return -1
	}
	return p.consume
}

func (s *groupScreen) partCells(p partRow) []string {
	cells := make([]string, len(s.visCols))
	for j, c := range s.visCols {
		cells[j] = partCell(&p, c)
	}
	return cells
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
	s.parts.SetSize(w, s.partsH)
}

// partColumns picks the partition columns for the width (see layout).
func (s *groupScreen) partColumns(w int) []ui.Column {
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
	s.visCols = vis
	return cols
}

func (s *groupScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.have {
		switch {
		case s.missing:
			return ui.Centered(th.Error.Render("✗ no consumer group "+strconv.Quote(ui.Sanitize(s.group)))+"\n"+
				th.Muted.Render("it may appear when a consumer joins or commits; still watching"), s.w, s.h)
		}
		return s.load.Placeholder(s.w, s.h, "loading group "+ui.Sanitize(s.group)+"…")
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
	if s.parts.PromptActive() {
		lines = append(lines, s.parts.PromptView())
	} else {
		lines = append(lines, s.detail())
	}
	return ui.JoinLines(lines, s.w, s.h)
}

// partsView is the partitions table with verdicts coloured and LOST rows
// red from end to end (the selected row keeps its highlight).
func (s *groupScreen) partsView() string {
	th := s.env.Theme
	rows, t := s.parts.Rows(), s.parts.Table()
	v := t.View()
	cur := t.Cursor()
	v = restyleRows(v, t, func(i int) (lipgloss.Style, bool) {
		return th.Error, rows[i].status == lag.Lost && i != cur
	})
	return restyleCells(v, t, 1, 1+statusWidth, func(i int) (lipgloss.Style, bool) {
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
	l2 += "  " + refreshState(th, s.load.Paused(), s.load.Loading(), s.refresh, s.updated, s.env.now())
	if err := s.load.Err(); err != nil {
		l2 += "  " + th.Error.Render("✗ "+ui.ErrText(err))
	} else if s.timeErr != nil {
		l2 += "  " + th.Warn.Render("time lag: "+ui.ErrText(s.timeErr))
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
	t := mark + th.Header.Render("PARTITIONS") + th.Muted.Render(" "+strconv.Itoa(len(s.parts.Rows())))
	var extra []string
	if s.member != "" {
		extra = append(extra, "member "+ui.Sanitize(s.member)+" (esc: all)")
	}
	if f := s.parts.FilterLabel(); f != "" {
		extra = append(extra, f)
	}
	extra = append(extra, s.parts.SortLabel())
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
	p, ok := s.parts.Selected()
	if !ok {
		return ""
	}
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
