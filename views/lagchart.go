package views

import (
	"strings"
	"time"

	tslc "github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"
	"github.com/NimbleMarkets/ntcharts/v2/sparkline"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// Lag history charts: a chart of a group's total lag over time and a
// one-line sparkline per partition, from the samples the lag monitor keeps
// while rewind runs.
//
// Both are drawn with ntcharts (sparkline, timeserieslinechart) and return
// exactly the size asked for.

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
		return ui.JoinLines(lines, w, h)
	}
	return renderLagChart(at, v, w, h, th)
}

// renderSparkline draws the newest w of vals with an ntcharts sparkline one
// cell high, scaled between their least and largest value, so the shape
// (growing, draining) shows whatever the magnitude; the lowest value keeps a
// visible floor, a flat non-zero series sits in the middle, and missing
// history is blank on the left. The result is stripped of styling: it goes into a
// ui.Table cell, which takes plain text only.
func renderSparkline(vals []float64, w int) string {
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
	sl := sparkline.New(w, 1, sparkline.WithNoAutoMaxValue(), sparkline.WithMaxValue(1))
	for _, v := range vals {
		switch {
		case hi > lo:
			sl.Push(0.125 + 0.875*(v-lo)/(hi-lo))
		case hi > 0:
			sl.Push(0.5)
		default:
			sl.Push(0.125)
		}
	}
	sl.Draw()
	return ui.FitLine(ansi.Strip(sl.View()), w)
}

// renderLagChart draws the history as a braille time-series line chart
// with the lag on the y axis and the age of the samples on the x axis.
func renderLagChart(at []time.Time, v []int64, w, h int, th themes.Theme) string {
	lo, hi := yRange(v)
	first, last := at[0], at[len(at)-1]
	// The chart's x axis has one-second resolution; an empty range would
	// divide by zero.
	if last.Unix() <= first.Unix() {
		first = last.Add(-time.Second)
	}
	c := tslc.New(w, h,
		tslc.WithTimeRange(first, last),
		tslc.WithYRange(float64(lo), float64(hi)),
		tslc.WithXYSteps(2, 2),
		tslc.WithXLabelFormatter(func(_ int, x float64) string {
			age := last.Sub(time.Unix(int64(x), 0))
			if age < time.Second {
				return "now"
			}
			return "-" + ui.FormatAge(age)
		}),
		tslc.WithYLabelFormatter(func(_ int, y float64) string { return ui.FormatCount(int64(y + 0.5)) }),
		tslc.WithAxesStyles(th.Muted, th.Muted),
		tslc.WithStyle(th.Info),
	)
	for i := range at {
		c.Push(tslc.TimePoint{Time: at[i], Value: float64(v[i])})
	}
	c.DrawBraille()
	return ui.JoinLines(strings.Split(c.View(), "\n"), w, h)
}
