package views

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
)

// Following: a live tail from the end, batched and throttled to screen
// rate, paused when the cursor leaves the newest record.

// streamSet tracks the tails a screen opened, shared with the commands that
// open them: a tail whose seek lands after the screen was closed (popped,
// so it never sees the message) is closed right away instead of leaking.
type streamSet struct {
	mu     sync.Mutex
	closed bool
	open   map[*backend.Stream]struct{}
}

func (ss *streamSet) add(st *backend.Stream) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		st.Close()
		return false
	}
	if ss.open == nil {
		ss.open = map[*backend.Stream]struct{}{}
	}
	ss.open[st] = struct{}{}
	return true
}

func (ss *streamSet) close(st *backend.Stream) {
	ss.mu.Lock()
	delete(ss.open, st)
	ss.mu.Unlock()
	st.Close()
}

func (ss *streamSet) closeAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for st := range ss.open {
		st.Close()
	}
	clear(ss.open)
}

func (s *recordsScreen) stopStream() {
	if s.stream != nil {
		s.streams.close(s.stream)
		s.stream = nil
	}
	s.tailGen++
}

func (s *recordsScreen) pollCmd(notBefore time.Time) tea.Cmd {
	tg, st, dec := s.tailGen, s.stream, s.env.Decoder
	return func() tea.Msg {
		if d := time.Until(notBefore); d > 0 {
			time.Sleep(d) // throttle: let records pile up into one batch
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		recs, err := st.Poll(ctx, tailMax)
		backend.DecodeRecords(context.Background(), dec, recs) // the registry has its own timeout
		return recTailMsg{tailGen: tg, recs: recs, err: err}
	}
}

func (s *recordsScreen) applyTail(m recTailMsg) tea.Cmd {
	if m.err != nil {
		s.stopStream()
		s.paused = true
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: s.startFollow} })
	}
	if len(m.recs) > 0 && s.win != nil {
		oldOff, oldCur, oldIdx := s.table.Offset(), s.table.Cursor(), s.winIndex()
		s.win.appendLive(m.recs)
		s.win.mergeFwd(len(m.recs) + s.win.buffered())
		over := max(0, len(s.win.recs)-maxWindow)
		s.win.trimFront(over)
		s.setRows()
		switch {
		case !s.paused:
			s.table.Bottom()
		case s.match != nil:
			s.cursorTo(max(0, oldIdx-over))
		default:
			s.shiftView(oldOff, oldCur, -over)
		}
	}
	return s.pollCmd(time.Now().Add(tailInterval))
}

// pauseTail stops the live tail but stays in follow mode; space resumes at
// the (new) end.
func (s *recordsScreen) pauseTail() {
	if s.follow && !s.paused {
		s.paused = true
		s.stopStream()
	}
}
