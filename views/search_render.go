// Rendering of the records screen's search: the status line with its
// progress bar and the result list (see search.go).

package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/ui"
)

// fmtElapsed is a scan's duration: ms under a second.
func fmtElapsed(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func countNoun(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return ui.FormatCount(n) + " " + what + "s"
}

// setHitRows points the result table at the hits.
func (s *recordsScreen) setHitRows() {
	p := s.search
	wide := s.w >= 110
	cols := []ui.Column{{Title: "P", Width: 3, Right: true}, {Title: "OFFSET", Width: 10, Right: true}}
	if wide {
		cols = append(cols, ui.Column{Title: "TIMESTAMP", Width: 23})
	} else {
		cols = append(cols, ui.Column{Title: "TIME", Width: shortTimeWidth})
	}
	cols = append(cols, ui.Column{Title: "KEY", MinWidth: 8, Flex: 1}, ui.Column{Title: "VALUE", MinWidth: 10, Flex: 3})
	p.table.SetColumns(cols)
	p.table.SetSize(s.w, max(0, s.panelHeight()-1))
	vw := max(10, (s.w-30)*3/4)
	hits := p.hits
	now := s.env.clock()
	p.table.SetRows(len(hits), func(i int) []string {
		h := &hits[i]
		t := fmtShortTime(h.ts, now)
		if wide {
			t = fmtTimeIn(h.ts, now.Location())
		}
		k, v := "∅", "∅ (tombstone)"
		if !h.keyNil {
			k = ui.PreviewLine(h.key, 40)
		}
		if !h.valNil {
			v = ui.Preview(h.value, vw)
		}
		return []string{strconv.Itoa(int(h.part)), strconv.FormatInt(h.off, 10), t, k, v}
	})
}

// progressText is "62% 12,345/19,987 · 870 matched · 512k/s · ETA 1s".
func progressText(pr scan.Progress, bar int) string {
	var b strings.Builder
	if pr.Total > 0 || pr.Finished {
		fmt.Fprintf(&b, "%s %3.0f%% %s/%s", progressBar(pr.Fraction(), bar), 100*pr.Fraction(), ui.FormatCount(pr.Done), ui.FormatCount(pr.Total))
	} else {
		b.WriteString("starting…")
	}
	if r := pr.Rate(); r > 0 {
		fmt.Fprintf(&b, " · %s/s", rateText(r))
	}
	if eta := pr.ETA(); eta > 0 && !pr.Finished {
		fmt.Fprintf(&b, " · ETA %s", ui.FormatAge(eta))
	}
	if pr.Health != "" {
		fmt.Fprintf(&b, " · %s", pr.Health)
	}
	return b.String()
}

func rateText(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// searchStatus is the line above the result list: what matters first
// (matches, progress), the expression last, so a narrow terminal cuts the
// part the user typed.
func (s *recordsScreen) searchStatus() string {
	p := s.search
	th := s.env.Theme
	dir := "▸"
	if p.backward {
		dir = "◂"
	}
	head := th.Key.Render("search " + dir)
	query := th.Muted.Render(" · ") + ui.Sanitize(ui.PreviewString(p.text, 60))
	pr := p.prog
	var b strings.Builder
	switch {
	case p.err != nil:
		return head + " " + th.Error.Render("✗ "+ui.ErrText(p.err)) + query
	case p.op != nil:
		fmt.Fprintf(&b, "%s matched · %s", ui.FormatCount(pr.Matched), progressText(pr, 10))
	case p.stopped:
		pct := 0.0
		if pr.Total > 0 {
			pct = 100 * float64(pr.Done) / float64(pr.Total)
		}
		fmt.Fprintf(&b, "%s matched · stopped at %.0f%% (%s of %s scanned)", ui.FormatCount(pr.Matched), pct, ui.FormatCount(pr.Done), ui.FormatCount(pr.Total))
	default:
		fmt.Fprintf(&b, "✓ %s matched · %s of %s scanned in %s", ui.FormatCount(pr.Matched), ui.FormatCount(pr.Done), ui.FormatCount(pr.Total), fmtElapsed(pr.Elapsed))
	}
	if int64(len(p.hits)) < pr.Matched {
		fmt.Fprintf(&b, " (first %s listed)", ui.FormatCount(int64(len(p.hits))))
	}
	if i := s.hitAtCursor(); i >= 0 {
		fmt.Fprintf(&b, " · on match %s of %s", ui.FormatCount(int64(i+1)), ui.FormatCount(int64(len(p.hits))))
	}
	if pr.Failed > 0 {
		fmt.Fprintf(&b, " · %s failed (first %s)", ui.FormatCount(pr.Failed), pr.FirstError)
	}
	if pr.Unreadable > 0 {
		fmt.Fprintf(&b, " · %s not JSON", ui.FormatCount(pr.Unreadable))
	}
	if p.op != nil {
		b.WriteString(" · esc stops")
	}
	return head + " " + th.Muted.Render(ui.Sanitize(b.String())) + query
}

// exportStatus is the top line while an export runs.
func (s *recordsScreen) exportStatus() string {
	p := s.search
	th := s.env.Theme
	return th.Key.Render("export") + " " + ui.Sanitize(ui.PreviewString(p.expPath, 40)) + th.Muted.Render(" · "+ui.Sanitize(progressText(p.expProg, 12))+" · esc cancels")
}

// searchPanelView is the status line and the result list.
func (s *recordsScreen) searchPanelView() string {
	p := s.search
	th := s.env.Theme
	status := s.searchStatus()
	if p.focus {
		status = th.OK.Render("●") + " " + status
	} else {
		status = "  " + status
	}
	return ui.FitLine(status, s.w) + "\n" + p.table.View()
}
