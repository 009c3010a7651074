package views

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Drawing the reprocess flow: the choices, then the plan with its guards.

func partialNote(partial bool) string {
	if partial {
		return " (PARTIAL: retention had cut the window short)"
	}
	return ""
}

func (s *resetScreen) setRows() {
	p := s.plan
	s.table.SetRows(len(p.Partitions), func(i int) []string {
		pp := p.Partitions[i]
		delta := "-"
		if pp.Delta != nil {
			delta = ui.FormatCount(*pp.Delta)
			if *pp.Delta > 0 {
				delta = "+" + delta
			}
		}
		cur := "-"
		if pp.Current >= 0 {
			cur = ui.FormatCount(pp.Current)
		}
		return []string{ui.Sanitize(pp.Topic), strconv.Itoa(int(pp.Partition)), cur, ui.FormatCount(pp.Target),
			ui.FormatCount(pp.LogStart), ui.FormatCount(pp.HighWatermark), delta, ui.FormatCount(pp.Reread),
			ui.FormatCount(pp.Skip), shortFlags(pp.Flags)}
	})
}

// shortFlags fits the plan flags in a table cell; the notes under the
// table explain them in full.
func shortFlags(flags []string) string {
	short := map[string]string{
		replay.FlagClampedStart:  "clamped-start",
		replay.FlagClampedEnd:    "clamped-end",
		replay.FlagTimestampMiss: "no-record-after-time",
		replay.FlagWindowExpired: "EXPIRED",
		replay.FlagPartial:       "PARTIAL",
	}
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = short[f]
		if out[i] == "" {
			out[i] = f
		}
	}
	return strings.Join(out, ",")
}

func (s *resetScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.form.SetWidth(w)
	s.layout()
}

func (s *resetScreen) layout() {
	cur := "CURRENT"
	if s.mode == modeReplay {
		cur = "LIVE"
	}
	s.table.SetColumns([]ui.Column{
		{Title: "TOPIC", MinWidth: 8, Flex: 1},
		{Title: "P", Width: 3, Right: true},
		{Title: cur, Width: 9, Right: true},
		{Title: "TARGET", Width: 9, Right: true},
		{Title: "LOG START", Width: 9, Right: true},
		{Title: "HIGH WM", Width: 9, Right: true},
		{Title: "DELTA", Width: 8, Right: true},
		{Title: "RE-READ", Width: 8, Right: true},
		{Title: "SKIP", Width: 8, Right: true},
		{Title: "FLAGS", MinWidth: 6, Flex: 3},
	})
	s.table.SetSize(s.w, max(3, s.tableHeight()))
}

// tableHeight leaves room for the header, notes and guards.
func (s *resetScreen) tableHeight() int {
	extra := 3 // header, partial/blank, prompt/message
	if s.plan != nil {
		extra += 1 + len(s.plan.Guards(&s.conf)) + min(len(s.notes()), 4)
	}
	return min(s.h-extra, 1+max(1, s.table.Len()))
}

func (s *resetScreen) notes() []string {
	if s.plan == nil {
		return nil
	}
	var out []string
	for _, pp := range s.plan.Partitions {
		if pp.Note != "" {
			out = append(out, fmt.Sprintf("%s/%d: %s", ui.Sanitize(pp.Topic), pp.Partition, ui.Sanitize(pp.Note)))
		}
	}
	return out
}

func (s *resetScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	if s.step == stepChoose {
		return s.viewChoose()
	}
	return s.viewPlan()
}

func (s *resetScreen) viewChoose() string {
	th := s.env.Theme
	var lines []string
	lines = append(lines, th.Title.Render("Reprocess group "+ui.Sanitize(s.group)))
	mode := th.OK.Render("replay beside the live group") + th.Muted.Render(" (default; live group untouched)")
	if s.mode == modeReset {
		mode = th.Warn.Render("reset the live group's offsets") + th.Muted.Render(" (guarded)")
	}
	lines = append(lines, "mode   "+mode+th.Muted.Render("   m: switch"))
	scope := "every partition the group has a commit on"
	if !s.scope.AllTopics {
		scope = ui.Sanitize(s.scope.String())
	}
	lines = append(lines, "scope  "+scope+th.Muted.Render("   t: change"))
	partial := "no (a window retention cut short is refused)"
	if s.partial {
		partial = th.Warn.Render("yes: replay what is left, labelled PARTIAL")
	}
	lines = append(lines, "partial "+partial+th.Muted.Render("   p: toggle"), "", th.Header.Render("scenario"))
	for i, k := range replay.Kinds {
		row := fmt.Sprintf("  %-12s %s", k, kindHelp[k])
		if i == s.kindIdx {
			row = th.SelectedRow.Render(ui.FitLine("> "+row[2:], s.w))
		}
		lines = append(lines, row)
	}
	lines = append(lines, "")
	switch {
	case s.form.Active():
		lines = append(lines, s.form.View())
	case s.form.Busy():
		lines = append(lines, s.form.Spinning("planning…"))
	case s.err != nil:
		lines = append(lines, th.Error.Render("✗ "+ui.ErrText(s.err)))
	default:
		lines = append(lines, th.Muted.Render("enter: plan (a dry run; nothing is written before you confirm)"))
	}
	return ui.JoinLines(lines, s.w, s.h)
}

func (s *resetScreen) viewPlan() string {
	th := s.env.Theme
	p := s.plan
	head := fmt.Sprintf("Reset plan for group %s · %s · group %s, %s (%s)", ui.Sanitize(p.Group), ui.Sanitize(p.ScenarioText),
		ui.Sanitize(p.GroupState), plural(p.GroupMembers, "member"), replay.ProtocolName(p.GroupProtocol))
	if p.Kind == replay.PlanReplay {
		head = fmt.Sprintf("Replay plan: new group beside live group %s · %s · live group %s, %s", ui.Sanitize(p.Group),
			ui.Sanitize(p.ScenarioText), ui.Sanitize(p.GroupState), plural(p.GroupMembers, "member"))
	}
	lines := []string{th.Title.Render(ui.FitLine(head, s.w))}
	// The state line: a dry run until the write, then "written".
	state := th.Muted.Render("a dry run: nothing written yet")
	if s.step == stepDone {
		state = th.OK.Render("WRITTEN: this plan was applied (audited)")
	}
	if p.Partial {
		lines = append(lines, th.Warn.Render(fmt.Sprintf("PARTIAL: %s replay only what retention left · ", plural(len(p.Expired()), "partition")))+state)
	} else {
		lines = append(lines, th.Muted.Render(fmt.Sprintf("re-read %s · skip %s · to read %s records · ",
			ui.FormatCount(p.Reread), ui.FormatCount(p.Skip), ui.FormatCount(p.Window)))+state)
	}
	s.table.SetSize(s.w, max(3, s.tableHeight()))
	lines = append(lines, strings.Split(s.table.View(), "\n")...)
	notes := s.notes()
	for i, n := range notes {
		if i == 3 && len(notes) > 4 {
			lines = append(lines, th.Muted.Render(fmt.Sprintf("  … %d more notes", len(notes)-3)))
			break
		}
		lines = append(lines, th.Warn.Render("  "+n))
	}
	for _, g := range p.Guards(&s.conf) {
		mark, st := "✓", th.OK
		switch g.State {
		case replay.GuardRefused:
			mark, st = "✗", th.Error
		case replay.GuardNeeded:
			mark, st = "?", th.Warn
		}
		lines = append(lines, st.Render(mark+" "+g.Name)+"  "+ui.Sanitize(g.Message))
	}
	switch {
	case s.form.Active():
		lines = append(lines, s.form.View())
	case s.form.Busy():
		lines = append(lines, s.form.Spinning("working…"))
	case s.message != "" && s.ok:
		lines = append(lines, th.OK.Render(s.message))
	case s.message != "":
		lines = append(lines, th.Error.Render(s.message))
	case s.err != nil:
		lines = append(lines, th.Error.Render("✗ "+ui.ErrText(s.err)))
	default:
		verb := "create the replay group"
		if p.Kind == replay.PlanReset {
			verb = "answer the guards and write"
		}
		lines = append(lines, th.Muted.Render("enter: "+verb+" · p: toggle partial · esc: back"))
	}
	return ui.JoinLines(lines, s.w, s.h)
}
