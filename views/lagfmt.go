package views

// Formatting and styling shared by the lag screens (groups, group), kept
// in one place so both read alike.

import (
	"regexp"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// fmtTimeLag renders a time lag: "3m12s" read from the record at the
// committed offset, "~3m12s" estimated from high-watermark samples, "-"
// unknown.
func fmtTimeLag(tl backend.TimeLag) string {
	switch tl.Source {
	case backend.TimeLagRecord:
		return ui.FormatAge(tl.Lag)
	case backend.TimeLagEstimate:
		return "~" + ui.FormatAge(tl.Lag)
	case backend.TimeLagAtLeast:
		return ">" + ui.FormatAge(tl.Lag)
	}
	return "-"
}

func fmtLag(l int64) string {
	if l < 0 {
		return "-"
	}
	return ui.FormatCount(l)
}

func fmtOffset(o int64) string {
	if o < 0 {
		return "-"
	}
	return ui.FormatCount(o)
}

// fmtRate renders records/s compactly ("-" unknown).
func fmtRate(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	if r < 0 {
		r = 0 // a rewind between samples is reported by the verdict
	}
	if r > 0 && r < 0.01 {
		return "<0.01/s"
	}
	if r < 1 {
		// A slow consumer's 0.04/s is not 0/s.
		return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(r, 'f', 2, 64), "0"), ".") + "/s"
	}
	if r < 10 && r != float64(int64(r)) {
		return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(r, 'f', 1, 64), "0"), ".") + "/s"
	}
	return ui.FormatCompact(int64(r+0.5)) + "/s"
}

// statusStyle colours a verdict: OK green, WARN yellow, the rest that need
// a person red and bold; UNKNOWN muted.
func statusStyle(th themes.Theme, s lag.Status) lipgloss.Style {
	switch s {
	case lag.OK:
		return th.OK
	case lag.Warn, lag.Late, lag.Behind:
		return th.Warn
	case lag.Stall, lag.Stop, lag.Rewind, lag.Lost:
		return th.Error.Bold(true)
	}
	return th.Muted // UNKNOWN, and rewind's own groups: never an alarm
}

// statusText is a verdict as the status column shows it: rewind's own
// groups in lower case, so they never read like an alarm.
func statusText(s lag.Status) string {
	switch s {
	case lag.Replay:
		return "replay"
	case lag.Projection:
		return "project"
	}
	return string(s)
}

// restyleCells re-renders cells [start, end) of each visible row line of a
// ui.Table view with a style. ui.Table cells are plain text (it sanitises
// them, so a styled cell would show its escapes), and the verdict must be
// coloured, so the colour goes on after rendering. Rows are the lines after
// the header; style returns false to leave a row alone.
func restyleCells(view string, t *ui.Table, start, end int, style func(row int) (lipgloss.Style, bool)) string {
	if t.Len() == 0 || end <= start {
		return view
	}
	lines := strings.Split(view, "\n")
	first, last := t.Visible()
	for i := first; i < last; i++ {
		li := i - first + 1
		if li >= len(lines) {
			break
		}
		st, ok := style(i)
		if !ok {
			continue
		}
		l := lines[li]
		if ansi.StringWidth(l) < end {
			continue
		}
		mid := ansi.Strip(ansi.Cut(l, start, end))
		// On the selected row the selection's style is opened again
		// under the cell's colour, so the cell keeps the highlight's
		// background (the colour sets only the foreground).
		sel := ""
		if i == t.Cursor() {
			sel = leadingSGR.FindString(l)
		}
		lines[li] = ansi.Truncate(l, start, "") + sel + st.Render(mid) + ansi.TruncateLeft(l, end, "")
	}
	return strings.Join(lines, "\n")
}

var leadingSGR = regexp.MustCompile(`^(\x1b\[[0-9;:]*m)+`)

// restyleRows re-renders whole row lines (the LOST rows) with a style.
func restyleRows(view string, t *ui.Table, style func(row int) (lipgloss.Style, bool)) string {
	return restyleCells(view, t, 0, t.Width(), style)
}
