package views

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/ui"
)

// Group screen keys.
var (
	keyGroupFocus = binding([]string{"tab", "shift+tab"}, "tab", "members/partitions")
	keyGroupEnter = binding([]string{"enter"}, "enter", "record at committed offset; on a member: its partitions")
	keyGroupChart = binding([]string{"c"}, "c", "show/hide lag chart")
	keyGroupReset = binding([]string{"x"}, "x", "reprocess: replay group or guarded reset")
	keyGroupLost  = binding([]string{"L"}, "LOST", "committed offset below log start: records deleted before read")
	keyGroupDel   = binding([]string{"D"}, "D", "delete the group (only when empty; type its name)")
	keyGroupDelOf = binding([]string{"O"}, "O", "delete its offsets on the selected topic")
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
	chart        chartState
	applied      bool // a refresh was applied since the last Update

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
	s.chart.span = defaultChartSpan
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
		keyLagPause, keyGroupChart, keyChartShorter, keyChartLonger, keyChartTime, keyGroupReset, keyGroupDel, keyGroupDelOf, ui.Keys.Refresh, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown,
		ui.Keys.Top, ui.Keys.Bottom, keyLagEstim, keyGroupLost}
}

func (s *groupScreen) CapturingInput() bool { return s.parts.PromptActive() }

// Close stops an in-flight refresh when the screen is popped.
func (s *groupScreen) Close() { s.load.Close() }

func (s *groupScreen) Init() tea.Cmd { return tea.Batch(s.load.Start(), s.chartFetch(true)) }

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
		if s.applied {
			// A refresh came in: the chart's recorded history may be due.
			s.applied = false
			cmd = tea.Batch(cmd, s.chartFetch(false))
		}
		return s, cmd
	}
	switch msg := msg.(type) {
	case chartMsg:
		s.chartResult(msg)
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
	s.applied = true
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
	s.pickSpan()
	horizon := max(30*time.Second, 5*s.refresh)
	var all []partRow
	s.consume, s.produce, s.rateOK = 0, 0, false
	for _, p := range gv.parts {
		r := partRow{partView: p}
		w := s.mon.tracker.Window(lag.Key{Group: gv.Group, Topic: p.Topic, Partition: p.Partition})
		r.consume, r.produce, r.rateOK = rates(w, horizon)
		if p.hist.Rates() {
			// The rates the history judged on (up to an hour), not the
			// last few samples this screen saw.
			r.consume, r.produce, r.rateOK = p.hist.Consume, p.hist.Produce, true
		}
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
	case key.Matches(msg, keyChartShorter, keyChartLonger, keyChartTime):
		cmd, _ := s.chartKeyMsg(msg)
		return cmd
	case key.Matches(msg, keyGroupReset):
		// Read-only (flag or context) is refused before any prompt, with
		// the reason; the backend refuses the write again regardless.
		if err := s.env.Cluster.CheckWrite(); err != nil {
			return func() tea.Msg { return ui.ErrMsg{Err: err} }
		}
		return ui.Push(NewReset(s.env, s.env.DataDir, s.group))
	case key.Matches(msg, keyGroupDel):
		return ui.Push(NewGroupDelete(s.env, s.group))
	case key.Matches(msg, keyGroupDelOf):
		topic := ""
		if p, ok := s.parts.Selected(); ok {
			topic = p.Topic
		}
		return ui.Push(NewGroupOffsetsDelete(s.env, s.group, topic))
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
