package views

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/ui"
)

// refreshEvery is the auto-refresh period of the topics and partitions
// screens; a variable so tests can change it.
var refreshEvery = 5 * time.Second

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

// fmtTime is how record timestamps are shown in tables: local time, ms.
func fmtTime(t time.Time) string { return fmtTimeIn(t, time.Local) }

// fmtTimeIn is fmtTime in the zone loc.
func fmtTimeIn(t time.Time, loc *time.Location) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04:05.000")
}

// fmtAge is "3s ago" style, "-" for an unknown time.
func fmtAge(now, t time.Time) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	return ui.FormatAge(now.Sub(t)) + " ago"
}

// shortTimeWidth is the width of fmtShortTime's longest form.
const shortTimeWidth = 14

// fmtShortTime is a record time for narrow tables, in now's zone: the time
// of day (ms) when the record is from now's day, the date and the time to
// the second when it is from another day of the year, the date alone from
// another year.
func fmtShortTime(t, now time.Time) string {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return "-"
	}
	t = t.In(now.Location())
	y, m, d := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case y == ny && m == nm && d == nd:
		return t.Format("15:04:05.000")
	case y == ny:
		return t.Format("01-02 15:04:05")
	}
	return t.Format("2006-01-02")
}

// zoneName names loc's zone at now for a column title: "UTC", "CET",
// "+0530" where the zone has no abbreviation.
func zoneName(now time.Time) string {
	name, _ := now.Zone()
	if name == "" || strings.ContainsAny(name[:1], "+-0123456789") {
		return now.Format("-0700")
	}
	return name
}

// retryMsg runs a screen's retry inside its own Update, so the retry acts
// on the screen's state when R is pressed, not when the error happened.
type retryMsg struct {
	do func() tea.Cmd
}
