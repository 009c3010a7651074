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
// the (new) end. While paused, the end offsets are polled (pausedCountCmd)
// so the header says how many records arrived since.
func (s *recordsScreen) pauseTail() tea.Cmd {
	if !s.follow || s.paused {
		return nil
	}
	s.paused = true
	s.stopStream()
	s.pauseNew = 0
	s.pauseBase = map[int32]int64{}
	if s.win != nil {
		for _, p := range s.win.parts {
			s.pauseBase[p.id] = p.hw // the end the tail had reached
		}
	}
	return s.pausedCountCmd()
}

// recPausedMsg is the end offsets of the topic while the tail is paused.
type recPausedMsg struct {
	tailGen int64
	wm      map[int32][2]int64
	err     error
}

// pauseCountEvery is how often a paused tail counts what arrived.
var pauseCountEvery = time.Second

func (s *recordsScreen) pausedCountCmd() tea.Cmd {
	tg, c, topic := s.tailGen, s.cluster(), s.topic
	return tea.Tick(pauseCountEvery, func(time.Time) tea.Msg {
		wm, err := c.Watermarks(context.Background(), topic)
		return recPausedMsg{tailGen: tg, wm: wm, err: err}
	})
}

// applyPaused counts the offsets written past where the tail paused (a
// transaction's commit marker takes one too). A failed poll keeps the
// last count: resuming the tail reports what is wrong.
func (s *recordsScreen) applyPaused(m recPausedMsg) tea.Cmd {
	if m.tailGen != s.tailGen || !s.follow || !s.paused {
		return nil // resumed, or a newer pause counts
	}
	if m.err == nil {
		var n int64
		for p, base := range s.pauseBase {
			if w, ok := m.wm[p]; ok {
				n += max(0, w[1]-base)
			}
		}
		s.pauseNew = n
	}
	return s.pausedCountCmd()
}
