package views

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Drawing the records table: columns for the width, cells built for the
// visible rows only, the "/" filter over loaded records, the position line.

// Columns of the records table; which are shown depends on the width.
type recCol int

func (s *recordsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	if s.pkind == promptFilter {
		s.prompt.SetWidth(max(10, w-filterCountWidth))
	} else {
		s.prompt.SetWidth(w)
	}
	s.layout()
}

func (s *recordsScreen) layout() {
	var cols []ui.Column
	s.cols = s.cols[:0]
	add := func(k recCol, c ui.Column) {
		s.cols = append(s.cols, k)
		cols = append(cols, c)
	}
	wide := s.w >= 110
	add(colOffset, ui.Column{Title: "OFFSET", Width: 10, Right: true})
	if s.partition < 0 || wide {
		add(colPartition, ui.Column{Title: "P", Width: 3, Right: true})
	}
	if wide {
		add(colTime, ui.Column{Title: "TIMESTAMP", Width: 23})
	} else {
		add(colTimeShort, ui.Column{Title: "TIME", Width: 12})
	}
	// Keys are usually ids ("ord-000123"): wide enough to read them whole.
	add(colKey, ui.Column{Title: "KEY", MinWidth: map[bool]int{true: 14, false: 8}[wide], Flex: 1})
	add(colValue, ui.Column{Title: "VALUE", MinWidth: 10, Flex: 3})
	add(colSize, ui.Column{Title: "SIZE", Width: 9, Right: true})
	if s.w >= 90 {
		add(colHeaders, ui.Column{Title: "HDRS", Width: 4, Right: true})
	}
	s.table.SetColumns(cols)
	s.table.SetSize(s.w, max(0, s.h-1-s.panelHeight()))
	if s.win != nil {
		s.setRows()
	}
	s.setHitRows()
}

// setRows points the table at the window. Cells are built for visible rows
// only, on View; previews read a bounded prefix of each value.
func (s *recordsScreen) setRows() {
	recs := s.win.recs
	cols := s.cols
	widths := s.valueWidth()
	n, match := len(recs), []int(nil)
	if s.filter != "" {
		match = filterRecs(recs, s.filter)
		n = len(match)
		s.table.SetEmpty("no loaded record matches " + strconv.Quote(s.filter) + " (esc clears, g/G/o/t load others, s searches the log)")
	} else {
		s.table.SetEmpty("no records")
	}
	s.match = match
	s.table.SetRows(n, func(i int) []string {
		if match != nil {
			i = match[i]
		}
		r := &recs[i]
		cells := make([]string, len(cols))
		for j, c := range cols {
			switch c {
			case colOffset:
				cells[j] = strconv.FormatInt(r.Offset, 10)
			case colPartition:
				cells[j] = strconv.Itoa(int(r.Partition))
			case colTime:
				cells[j] = fmtTime(r.Timestamp)
			case colTimeShort:
				cells[j] = fmtShortTime(r.Timestamp)
			case colKey:
				if r.Key == nil {
					cells[j] = "∅"
				} else {
					cells[j] = ui.Preview(r.ShownKey(), max(1, widths[0]-1))
				}
			case colValue:
				lab := txnLabel(r.Txn)
				if r.Value == nil {
					cells[j] = lab + "∅ (tombstone)"
				} else {
					cells[j] = lab + ui.Preview(r.ShownValue(), max(1, widths[1]-1-len(lab)))
				}
			case colSize:
				cells[j] = ui.FormatBytes(int64(r.size))
			case colHeaders:
				cells[j] = strconv.Itoa(len(r.Headers))
			}
		}
		return cells
	})
}

// txnLabel prefixes the value of a record of an aborted or still-open
// transaction (set only under read-uncommitted).
func txnLabel(st backend.TxnState) string {
	switch st {
	case backend.TxnAborted:
		return "[aborted] "
	case backend.TxnOpen:
		return "[open] "
	}
	return ""
}

// filterRecs returns the indexes of records whose key or value (their
// first filterScan bytes) contain f, ignoring ASCII case. Never nil.
func filterRecs(recs []winRec, f string) []int {
	needle := []byte(strings.ToLower(f))
	out := make([]int, 0, 64)
	var buf []byte
	has := func(b []byte) bool {
		if len(b) > filterScan {
			b = b[:filterScan]
		}
		buf = append(buf[:0], b...)
		for i, c := range buf {
			if 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		return bytes.Contains(buf, needle)
	}
	for i := range recs {
		if has(recs[i].ShownKey()) || has(recs[i].ShownValue()) {
			out = append(out, i)
		}
	}
	return out
}

// valueWidth returns the key and value column widths (the table's own
// layout rule: fixed columns first, the rest shared by Flex, the last
// flexible column taking the remainder), so a preview reads no more of a
// value than fits and usually needs no further truncation by the table.
func (s *recordsScreen) valueWidth() [2]int {
	cols := s.table.Columns()
	rest, shares := s.w-len(cols), 0
	for _, c := range cols {
		if c.Width > 0 {
			rest -= c.Width
		} else {
			shares += max(1, c.Flex)
		}
	}
	rest = max(0, rest)
	var out [2]int
	k := 0
	for _, c := range cols {
		if c.Width > 0 {
			continue
		}
		share := max(1, c.Flex)
		w := rest * share / max(1, shares)
		rest -= w
		shares -= share
		if k < 2 {
			out[k] = max(w, c.MinWidth)
		}
		k++
	}
	return out
}

func (s *recordsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		return s.spin.Waiting(s.err, "loading records of "+ui.Sanitize(s.topic)+"…", s.w, s.h)
	}
	var top string
	switch {
	case s.search.prompt.Active():
		top = s.search.prompt.View()
	case s.search.exp != nil:
		top = s.exportStatus()
	case s.prompt.Active() && s.pkind == promptFilter:
		top = ui.FitLine(s.prompt.View(), max(10, s.w-filterCountWidth)) +
			th.Muted.Render(fmt.Sprintf(" %d match", len(s.match)))
	case s.prompt.Active():
		top = s.prompt.View()
	default:
		top = s.header()
	}
	out := ui.FitLine(top, s.w) + "\n" + s.table.View()
	if s.search.visible {
		out += "\n" + s.searchPanelView()
	}
	return out
}

// header is the position line: what part of the log the window covers and
// whether it is following.
func (s *recordsScreen) header() string {
	th := s.env.Theme
	var b strings.Builder
	b.WriteByte(' ')
	recs := s.win.recs
	lo, hi := s.win.bounds()
	if s.partition >= 0 {
		b.WriteString("p" + strconv.Itoa(int(s.partition)) + " · ")
		if len(recs) > 0 {
			fmt.Fprintf(&b, "offsets %s–%s of %s–%s", ui.FormatCount(recs[0].Offset),
				ui.FormatCount(recs[len(recs)-1].Offset), ui.FormatCount(lo), ui.FormatCount(hi))
		} else {
			fmt.Fprintf(&b, "no records in %s–%s", ui.FormatCount(lo), ui.FormatCount(hi))
		}
	} else {
		fmt.Fprintf(&b, "%d partitions by time · ", len(s.ids))
		if len(recs) > 0 {
			from, to := fmtTime(recs[0].Timestamp), fmtTime(recs[len(recs)-1].Timestamp)
			if s.w < 110 {
				from, to = fmtShortTime(recs[0].Timestamp), fmtShortTime(recs[len(recs)-1].Timestamp)
			}
			fmt.Fprintf(&b, "%s loaded, %s → %s", ui.FormatCount(int64(len(recs))), from, to)
		} else {
			b.WriteString("no records")
		}
		var total int64
		for _, p := range s.win.parts {
			total += max(0, p.hw-p.logStart)
		}
		b.WriteString(" · " + ui.FormatCount(total) + " in log")
	}
	if s.iso == backend.ReadUncommitted {
		if s.w >= 110 {
			b.WriteString(" · read-uncommitted: aborted and open transactions shown, labelled")
		} else {
			b.WriteString(" · read-uncommitted (txns labelled)")
		}
	}
	if s.filter != "" {
		fmt.Fprintf(&b, " · filter %q: %d match", ui.Sanitize(s.filter), len(s.match))
	}
	line := th.Muted.Render(b.String())
	switch {
	case s.follow && !s.paused:
		line += th.Muted.Render(" · ") + th.OK.Render("● following")
	case s.follow && s.paused:
		line += th.Muted.Render(" · ") + th.Warn.Render("paused") + th.Muted.Render(" (space resumes)")
	}
	if s.seeking || s.fwdBusy || s.bwdBusy {
		line += " " + s.spin.View()
	}
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+ui.ErrText(s.err))
	}
	return line
}
