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

// maxKeyWidth bounds the key column's natural width: longer keys are cut.
const maxKeyWidth = 40

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
	if len(s.marks) > 0 {
		add(colMark, ui.Column{Title: "●", Width: 1})
	}
	add(colOffset, ui.Column{Title: "OFFSET", Width: 10, Right: true})
	if s.partition < 0 || wide {
		add(colPartition, ui.Column{Title: "P", Width: 3, Right: true})
	}
	// The zone in the title: a record time means nothing without it.
	zone := " (" + zoneName(s.env.clock()) + ")"
	if wide {
		add(colTime, ui.Column{Title: "TIMESTAMP" + zone, Width: 23})
	} else {
		add(colTimeShort, ui.Column{Title: "TIME" + zone, Width: shortTimeWidth})
	}
	// Keys are usually ids ("ord-000123"): as wide as the keys (setRows
	// gives the table their width) up to half the room, the value the rest.
	add(colKey, ui.Column{Title: "KEY", MinWidth: map[bool]int{true: 14, false: 8}[wide], Flex: 1})
	add(colValue, ui.Column{Title: "VALUE", MinWidth: 10, Flex: 1})
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
	// A key column as wide as the keys (up to its share), the value the rest.
	for i := range recs {
		s.keyWidth = max(s.keyWidth, min(maxKeyWidth, len(recs[i].ShownKey())))
	}
	nat := make([]int, len(cols))
	var ki, vi int
	for j, c := range cols {
		switch c {
		case colKey:
			ki, nat[j] = j, max(s.keyWidth, len("KEY"))
		case colValue:
			vi = j
		}
	}
	s.table.SetNatural(nat)
	widths := [2]int{s.table.Widths()[ki], s.table.Widths()[vi]}
	now := s.env.clock()
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
				cells[j] = fmtTimeIn(r.Timestamp, now.Location())
			case colTimeShort:
				cells[j] = fmtShortTime(r.Timestamp, now)
			case colKey:
				if r.Key == nil {
					cells[j] = "∅"
				} else {
					cells[j] = ui.PreviewLine(r.ShownKey(), widths[0])
				}
			case colValue:
				lab := txnLabel(r.Txn)
				if r.Value == nil {
					cells[j] = lab + "∅ (tombstone)"
				} else {
					cells[j] = lab + ui.Preview(r.ShownValue(), max(1, widths[1]-len(lab)))
				}
			case colSize:
				cells[j] = ui.FormatBytes(int64(r.size))
			case colHeaders:
				cells[j] = strconv.Itoa(len(r.Headers))
			case colMark:
				cells[j] = s.markCell(r)
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
		b.WriteString(plural(len(s.ids), "partition") + " by time · ")
		if len(recs) > 0 {
			now := s.env.clock()
			from, to := fmtTimeIn(recs[0].Timestamp, now.Location()), fmtTimeIn(recs[len(recs)-1].Timestamp, now.Location())
			if s.w < 110 {
				from, to = fmtShortTime(recs[0].Timestamp, now), fmtShortTime(recs[len(recs)-1].Timestamp, now)
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
	b.WriteString(s.marksHeader())
	// The tail's state first: at 80 columns the end of the line is cut.
	var state string
	switch {
	case s.follow && !s.paused:
		state = th.OK.Render(" ● following") + th.Muted.Render(" ·")
	case s.follow && s.paused:
		state = th.Warn.Render(" paused")
		if s.pauseNew > 0 {
			state += th.Warn.Render(" · " + ui.FormatCount(s.pauseNew) + " new")
		}
		state += th.Muted.Render(" (space resumes) ·")
	}
	line := state + th.Muted.Render(b.String())
	if s.seeking || s.fwdBusy || s.bwdBusy {
		line += " " + s.spin.View()
	}
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+ui.ErrText(s.err))
	}
	return line
}
