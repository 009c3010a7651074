package views

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/ui"
)

// refreshEvery is the auto-refresh period of the topics and partitions
// screens; a variable so tests can shorten it.
var refreshEvery = 5 * time.Second

// refreshTickMsg is an auto-refresh tick. gen drops ticks of an older
// chain, so a manual refresh does not start a second chain of ticks.
type refreshTickMsg struct {
	gen int
}

func refreshTick(gen int) tea.Cmd {
	return tea.Tick(refreshEvery, func(time.Time) tea.Msg { return refreshTickMsg{gen: gen} })
}

func newSpinner(env *Env) spinner.Model {
	return spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(env.Theme.Info))
}

func binding(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// humanDuration renders a retention-like duration compactly: 7d, 36h, 15m,
// 1w would read oddly next to 7d so weeks are not used.
func humanDuration(ms int64) string {
	if ms < 0 {
		return "∞"
	}
	if ms == 0 {
		return "0"
	}
	d := time.Duration(ms) * time.Millisecond
	switch {
	case ms%(24*3600*1000) == 0:
		return strconv.FormatInt(ms/(24*3600*1000), 10) + "d"
	case ms%(3600*1000) == 0:
		return strconv.FormatInt(ms/(3600*1000), 10) + "h"
	case ms%(60*1000) == 0:
		return strconv.FormatInt(ms/(60*1000), 10) + "m"
	case ms%1000 == 0:
		return strconv.FormatInt(ms/1000, 10) + "s"
	case d < time.Second:
		return strconv.FormatInt(ms, 10) + "ms"
	}
	return ui.FormatAge(d)
}

// fitLine pads or cuts a (possibly styled) line to exactly w cells, so a
// screen's View fills its area and never pushes the chrome.
func fitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// joinLines stacks lines into exactly h lines of width w.
func joinLines(lines []string, w, h int) string {
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(fitLine(lines[i], w))
		} else {
			b.WriteString(strings.Repeat(" ", max(0, w)))
		}
	}
	return b.String()
}

// centered draws a message (loading, error, empty) in the middle of an area.
func centered(msg string, w, h int) string {
	lines := make([]string, h)
	mid := h / 2
	msgs := strings.Split(msg, "\n")
	for i, m := range msgs {
		if j := mid - len(msgs)/2 + i; j >= 0 && j < h {
			pad := max(0, (w-lipgloss.Width(m))/2)
			lines[j] = strings.Repeat(" ", pad) + m
		}
	}
	return joinLines(lines, w, h)
}

// errText is an error for the screen body: sanitised (errors carry topic
// names and broker messages) and on one line.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return ui.Sanitize(strings.TrimSpace(err.Error()))
}

// fmtTime is how record timestamps are shown in tables: local time, ms.
func fmtTime(t time.Time) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05.000")
}

// fmtAge is "3s ago" style, "-" for an unknown time.
func fmtAge(now, t time.Time) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	return ui.FormatAge(now.Sub(t)) + " ago"
}

// fmtShortTime is the time of day only, for narrow tables.
func fmtShortTime(t time.Time) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	return t.Local().Format("15:04:05.000")
}

func sameErr(a, b error) bool {
	return a != nil && b != nil && a.Error() == b.Error()
}

// retryMsg runs a screen's retry inside its own Update, so the retry acts
// on the screen's state when R is pressed, not when the error happened.
type retryMsg struct {
	do func() tea.Cmd
}
