package views

import (
	"slices"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/v2/canvas"
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

// chartSpec is what lagChart draws besides the points: the time range
// (zero: the points' own), the markers, and the y labels (nil: counts).
type chartSpec struct {
	from, to time.Time
	markers  []chartMarker
	yLabel   func(int64) string
}

// lagChart draws a group's total lag history in exactly w x h cells, or a
// short notice while there are fewer than two samples.
func lagChart(at []time.Time, v []int64, w, h int, th themes.Theme, spec chartSpec) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(at) < 2 {
		lines := make([]string, h)
		lines[h/2] = th.Muted.Render("  lag history: collecting samples…")
		return ui.JoinLines(lines, w, h)
	}
	return renderLagChart(at, v, w, h, th, spec)
}

// resample spreads points over n equal cells of [from, to] (each the
// largest value in it, an empty cell repeating the one before), for a
// sparkline drawn to time; cells before the first point are left out, so
// missing history is blank on the left.
func resample(at []time.Time, v []int64, from, to time.Time, n int) []float64 {
	if n <= 0 || !to.After(from) {
		return nil
	}
	cells := make([]float64, n)
	seen := make([]bool, n)
	width := float64(to.Sub(from)) / float64(n)
	for i := range at {
		c := int(float64(at[i].Sub(from)) / width)
		if c < 0 || at[i].After(to) {
			continue
		}
		c = min(c, n-1)
		if !seen[c] || float64(v[i]) > cells[c] {
			cells[c], seen[c] = float64(v[i]), true
		}
	}
	first := slices.Index(seen, true)
	if first < 0 {
		return nil
	}
	for c := first + 1; c < n; c++ {
		if !seen[c] {
			cells[c] = cells[c-1]
		}
	}
	return cells[first:]
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
func renderLagChart(at []time.Time, v []int64, w, h int, th themes.Theme, spec chartSpec) string {
	lo, hi := yRange(v)
	first, last := at[0], at[len(at)-1]
	if !spec.from.IsZero() && spec.to.After(spec.from) {
		first, last = spec.from, spec.to
	}
	yLabel := spec.yLabel
	if yLabel == nil {
		yLabel = ui.FormatCount
	}
	// The chart's x axis has one-second resolution; an empty range would
	// divide by zero.
	if last.Unix() <= first.Unix() {
		first = last.Add(-time.Second)
	}
	round := axisRound(last.Sub(first))
	c := tslc.New(w, h,
		tslc.WithTimeRange(first, last),
		tslc.WithYRange(float64(lo), float64(hi)),
		// About eight time labels across, whatever the width.
		tslc.WithXYSteps(max(2, w/8), 2),
		tslc.WithXLabelFormatter(func(_ int, x float64) string {
			// From the axis' own (whole-second) ends, so the labels of
			// a span and width are always the same.
			age := time.Duration((float64(last.Unix()) - x) * float64(time.Second)).Round(round)
			if age < round {
				return "now"
			}
			return "-" + ui.FormatAge(age)
		}),
		tslc.WithYLabelFormatter(func(_ int, y float64) string { return yLabel(int64(y + 0.5)) }),
		tslc.WithAxesStyles(th.Muted, th.Muted),
		tslc.WithStyle(th.Info),
	)
	for i := range at {
		c.Push(tslc.TimePoint{Time: at[i], Value: float64(v[i])})
	}
	c.DrawBraille()
	drawMarkers(&c, spec.markers, first, last, th)
	return ui.JoinLines(strings.Split(c.View(), "\n"), w, h)
}

// axisRound is the precision of the time labels of a span: a few labels
// each, rounded (-35m, not -34m52s).
func axisRound(span time.Duration) time.Duration {
	r := time.Second
	for _, u := range []time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
		5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour} {
		if span/30 >= u {
			r = u
		}
	}
	return r
}

// drawMarkers puts each marker's letter on the chart's top row at its
// time, with a dotted line down through the cells the lag line leaves
// empty.
func drawMarkers(c *tslc.Model, ms []chartMarker, first, last time.Time, th themes.Theme) {
	st := th.Warn
	for _, mk := range ms {
		if mk.at.Before(first) || mk.at.After(last) {
			continue
		}
		sf := c.ScaleFloat64Point(canvas.Float64Point{X: float64(mk.at.Unix()), Y: c.ViewMinY()})
		p := canvas.CanvasPointFromFloat64Point(c.Origin(), sf)
		if c.YStep() > 0 {
			p.X++ // the y axis
		}
		for y := 0; y < c.Origin().Y; y++ {
			at := canvas.Point{X: p.X, Y: y}
			switch cell := c.Canvas.Cell(at); {
			case y == 0:
				c.Canvas.SetCell(at, canvas.NewCellWithStyle(mk.mark, st))
			case cell.Rune == 0 || cell.Rune == ' ' || cell.Rune == '\u2800':
				c.Canvas.SetCell(at, canvas.NewCellWithStyle('┊', st))
			}
		}
	}
}
