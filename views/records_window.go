package views

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/ui"
)

// Paging the window: more records fetched by offset as the cursor nears
// either edge, the far side trimmed so memory follows the screen.

// fetchParts runs one Fetch (fwd) or FetchBefore per partition, a few at a
// time, and decodes what it got (dec may be nil).
func fetchParts(ctx context.Context, c *backend.Cluster, dec *decode.Decoder, topic string, at map[int32]int64, per int, fwd bool) (map[int32][]backend.Record, error) {
	out := make(map[int32][]backend.Record, len(at))
	if len(at) == 0 {
		return out, nil
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	sem := make(chan struct{}, fetchWorkers)
	for p, o := range at {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var recs []backend.Record
			var err error
			if fwd {
				recs, err = c.Fetch(ctx, topic, p, o, per)
			} else {
				recs, err = c.FetchBefore(ctx, topic, p, o, per)
			}
			backend.DecodeRecords(ctx, dec, recs)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out[p] = recs
		}()
	}
	wg.Wait()
	return out, firstErr
}

func (s *recordsScreen) fetchCmd(fwd bool, at map[int32]int64) tea.Cmd {
	if fwd {
		s.fwdBusy = true
	} else {
		s.bwdBusy = true
	}
	gen, c, topic, per, d := s.gen, s.cluster(), s.topic, perPartition(len(s.ids)), s.env.Decoder
	return func() tea.Msg {
		recs, err := fetchParts(context.Background(), c, d, topic, at, per, fwd)
		return recFetchMsg{gen: gen, fwd: fwd, from: at, recs: recs, per: per, err: err}
	}
}

func (s *recordsScreen) applyFetch(m recFetchMsg) tea.Cmd {
	if m.fwd {
		s.fwdBusy = false
	} else {
		s.bwdBusy = false
	}
	if m.err != nil {
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: s.ensure} })
	}
	var clearErr tea.Cmd
	if s.err != nil {
		s.err, clearErr = nil, ui.ClearErr()
	}
	for p, from := range m.from {
		recs := m.recs[p]
		if m.fwd {
			s.win.addFwd(p, from, recs, m.per)
		} else {
			s.win.addBwd(p, from, recs, m.per)
		}
	}
	return tea.Batch(clearErr, s.ensure())
}

// ensure merges buffered records into the window and asks for more when
// the cursor is within edgeRows of either end, then trims the far side so
// the window never holds more than maxWindow records.
func (s *recordsScreen) ensure() tea.Cmd {
	if s.win == nil || s.seeking || (s.match != nil && len(s.match) == 0) {
		return nil
	}
	var cmds []tea.Cmd
	oldOff, oldCur := s.table.Offset(), s.table.Cursor()
	cur := max(0, s.winIndex())
	shift, changed := 0, false
	if len(s.win.recs)-1-cur < edgeRows {
		if s.win.mergeFwd(fetchChunk) > 0 {
			changed = true
			if over := len(s.win.recs) - maxWindow; over > 0 {
				s.win.trimFront(over)
				shift -= over
				cur -= over
			}
		}
		if len(s.win.recs)-1-cur < edgeRows && !s.fwdBusy && !(s.follow && !s.paused) {
			if at := s.win.needFwd(); at != nil {
				cmds = append(cmds, s.fetchCmd(true, at))
			}
		}
	}
	if cur < edgeRows {
		if n := s.win.mergeBwd(fetchChunk); n > 0 {
			changed = true
			shift += n
			cur += n
			if over := len(s.win.recs) - maxWindow; over > 0 {
				s.win.trimBack(over)
			}
		}
		if cur < edgeRows && !s.bwdBusy {
			if at := s.win.needBwd(); at != nil {
				cmds = append(cmds, s.fetchCmd(false, at))
			}
		}
	}
	if changed {
		s.setRows()
		if s.match != nil {
			s.cursorTo(cur)
		} else {
			s.shiftView(oldOff, oldCur, shift)
		}
	}
	return tea.Batch(cmds...)
}

// shiftView keeps the same records on screen after delta rows were added
// (delta > 0) or removed (< 0) above them: the table only knows indexes, so
// both its scroll offset and its cursor move by delta.
func (s *recordsScreen) shiftView(oldOff, oldCur, delta int) {
	off, cur := max(0, oldOff+delta), max(0, oldCur+delta)
	page := max(1, s.table.Height()-1)
	// SetCursor scrolls minimally: park the cursor where the wanted offset
	// makes it the last (scrolling down) or first (up) visible row, then
	// put it back on its record.
	if off > s.table.Offset() {
		s.table.SetCursor(off + page - 1)
	} else {
		s.table.SetCursor(off)
	}
	s.table.SetCursor(cur)
}

// moved runs after the cursor moved: moving off the newest record pauses
// the tail (so it stops dragging the cursor down), and the window is
// extended when the cursor nears an edge.
func (s *recordsScreen) moved() tea.Cmd {
	if s.follow && !s.paused && s.win != nil && s.table.Cursor() < s.table.Len()-1 {
		return tea.Batch(s.pauseTail(), s.ensure())
	}
	return s.ensure()
}
