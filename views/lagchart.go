package views

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// Lag history charts: a chart of a group's total lag over time and a
// one-line sparkline per partition, from the samples the lag monitor keeps
// while rewind runs.
//
// Two renderers exist. lagchart_ntcharts.go draws with ntcharts
// (timeserieslinechart + sparkline), the renderer the design names; it
// needs go.sum entries for github.com/lrstanley/bubblezone/v2, which
// ntcharts' canvas imports, so it builds only with -tags ntcharts until
// they are added. lagchart_plain.go is a dependency-free fallback with the
// same output contract. Both return exactly the size asked for.

// sparkBlocks are the eight heights of a one-line sparkline.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// plainSparkline renders the newest w values as block characters scaled
// between their least and largest, so the shape (growing, draining) shows
// whatever the magnitude; a flat series sits at the bottom when zero and
// in the middle otherwise. Missing history is blank on the left. Plain
// text, safe in a ui.Table cell.
func plainSparkline(vals []float64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(vals) > w {
		vals = vals[len(vals)-w:]
	}
	lo, hi := 0.0, 0.0
	for i, v := range vals {
		if i == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	top := len(sparkBlocks) - 1
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", w-len(vals)))
	for _, v := range vals {
		i := 0
		switch {
		case hi > lo:
			i = int((v-lo)/(hi-lo)*float64(top) + 0.5)
		case hi > 0:
			i = top / 2
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}

// chartLabels lays out the y-axis labels of a chart with rows plot rows
// spanning lo..hi: the label width and the label of each row (only the top
// and the bottom carry one, exact, since an autoscaled axis may span a
// few records).
func chartLabels(lo, hi int64, rows int) (int, []string) {
	top, bottom := ui.FormatCount(hi), ui.FormatCount(lo)
	lw := max(len(top), len(bottom))
	labels := make([]string, rows)
	for i := range labels {
		switch {
		case i == 0:
			labels[i] = top
		case i == rows-1:
			labels[i] = bottom
		}
		labels[i] = strings.Repeat(" ", lw-len(labels[i])) + labels[i]
	}
	return lw, labels
}

// yRange is the chart's value range: the data's least to largest, so a
// trend of a few records on a lag of thousands shows; a flat series sits
// on a zero baseline.
func yRange(v []int64) (lo, hi int64) {
	for i, x := range v {
		if i == 0 || x < lo {
			lo = x
		}
		hi = max(hi, x)
	}
	if hi == lo {
		lo = 0
		if hi == 0 {
			hi = 1
		}
	}
	return lo, hi
}

// timeAxis is the bottom line of a chart: the age of the oldest point on
// the left, "now" on the right, under a plot of width pw starting at x0.
func timeAxis(span time.Duration, x0, pw int, th themes.Theme) string {
	left := "-" + ui.FormatAge(span)
	right := "now"
	gap := pw - len(left) - len(right)
	if gap < 1 {
		return strings.Repeat(" ", x0) + th.Muted.Render(ansi.Truncate(right, pw, ""))
	}
	return strings.Repeat(" ", x0) + th.Muted.Render(left+strings.Repeat(" ", gap)+right)
}

// lagSparkline is the per-partition sparkline: lag values of the samples
// in the tracker window, newest right.
func lagSparkline(vals []float64, w int) string { return renderSparkline(vals, w) }

// lagChart draws a group's total lag history in exactly w x h cells, or a
// short notice while there are fewer than two samples.
func lagChart(at []time.Time, v []int64, w, h int, th themes.Theme) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(at) < 2 {
		lines := make([]string, h)
		lines[h/2] = th.Muted.Render("  lag history: collecting samples…")
		return joinLines(lines, w, h)
	}
	return renderLagChart(at, v, w, h, th)
}
