package views

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// Drawing the group screen: the header, the lag chart, the members and
// partitions tables and the line that explains the selected row.

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
// TREND; from 30 lines the chart gets up to 11 (a title and 10 lines).
func (s *groupScreen) layout() {
	w, h := s.w, s.h
	const (
		titleLines  = 2 // MEMBERS and PARTITIONS titles
		detailLines = 1
	)
	avail := h - s.headerLines() - titleLines - detailLines
	s.chartH = 1 // the sparkline line
	if !s.chartOff && h >= 30 {
		// A title line, then an even number of chart lines, so the
		// top of the y axis is labelled.
		s.chartH = min(11, max(5, h/4))
		s.chartH -= (s.chartH - 1) % 2
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
	narrow := map[int]int{pcCommitted: 9, pcLogStart: 9, pcHW: 9, pcLag: 8, pcRate: 6}
	cols, vis := ui.FitColumns(all, w, []ui.ColumnFit{
		{From: 120, Show: []int{pcStatus, pcTopic, pcPart, pcOwner, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate, pcTrend}},
		{From: 100, Show: []int{pcStatus, pcTopic, pcPart, pcOwner, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate}},
		{From: 76, Show: []int{pcStatus, pcTopic, pcPart, pcCommitted, pcLogStart, pcHW, pcLag, pcTimeLag, pcRate}, Width: narrow},
		{Show: []int{pcStatus, pcTopic, pcPart, pcCommitted, pcHW, pcLag, pcTimeLag}, Width: narrow},
	})
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
		now := s.env.now()
		at, v := s.chartPoints(now)
		if n := len(at); n > 0 && at[n-1].After(now) {
			now = at[n-1] // a sample stamped after the screen's clock
		}
		spec := chartSpec{from: now.Add(-s.chart.spanDur()), to: now, markers: s.spanMarkers()}
		if s.chart.timeMode {
			// Hours and minutes: "14h" on every label would hide a trend.
			spec.yLabel = func(sec int64) string { return lag.FormatDuration(time.Duration(sec) * time.Second) }
		}
		lines = append(lines, s.chartTitle())
		lines = append(lines, strings.Split(lagChart(at, v, s.w, s.chartH-1, th, spec), "\n")...)
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
		sep + th.Muted.Render(plural(g.Members, "member")) + sep + th.Muted.Render("verdict ") + statusStyle(th, g.status).Render(statusText(g.status))
	if g.reason != "" {
		l1 += th.Muted.Render(": " + ui.Sanitize(g.reason) + " (" + g.basis + ")")
	}
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

// sparkLine is the collapsed chart: the span's lag history on one line,
// and the newest marker in it.
func (s *groupScreen) sparkLine() string {
	th := s.env.Theme
	now := s.env.now()
	at, v := s.chartPoints(now)
	if n := len(at); n > 0 && at[n-1].After(now) {
		now = at[n-1] // a sample stamped after the screen's clock
	}
	label := " lag history " + chartSpans[s.chart.span].name + " "
	if s.chart.timeMode {
		label = " time lag history " + chartSpans[s.chart.span].name + " "
	}
	if len(at) < 2 {
		return th.Muted.Render(label + "collecting samples… ([ ] span)")
	}
	span := " last " + ui.FormatAge(at[len(at)-1].Sub(at[0]))
	mark := ""
	if ms := s.spanMarkers(); len(ms) > 0 {
		mk := ms[len(ms)-1]
		mark = "  " + string(mk.mark) + " " + markerTime(mk.at, now) + " " + mk.what
	}
	wid := s.w - len(label) - len(span) - ansi.StringWidth(mark) - 1
	if wid < 8 {
		mark, wid = "", s.w-len(label)-len(span)-1
	}
	wid = max(4, wid)
	// Cells end at the newest sample, not at the clock: samples a moment
	// apart share a cell whenever the screen is drawn.
	end := at[len(at)-1]
	vals := resample(at, v, end.Add(-s.chart.spanDur()), end, wid)
	return th.Muted.Render(label) + th.Info.Render(lagSparkline(vals, wid)) + th.Muted.Render(span) + th.Warn.Render(mark)
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
	if p.reason != "" {
		why = ui.Sanitize(p.reason)
	}
	return th.Muted.Render(" "+where+" · ") + statusStyle(th, p.status).Render(statusText(p.status)) +
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

func (s *groupScreen) partCells(p partRow) []string {
	return ui.ShownCells(s.visCols, func(c int) string { return partCell(&p, c) })
}

func partCell(p *partRow, col int) string {
	switch col {
	case pcStatus:
		return statusText(p.status)
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
