package views

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Seeking: a new window of records around a start position (earliest,
// latest, an offset, a time), fetched on both sides of it.

// seek replaces the window with one around st.
func (s *recordsScreen) seek(st backend.Start) tea.Cmd {
	return s.seekCmd(st, false)
}

// startFollow jumps to the end and opens a live tail from there.
func (s *recordsScreen) startFollow() tea.Cmd {
	s.stopStream()
	s.follow, s.paused = true, false
	return s.seekCmd(backend.Start{Kind: backend.StartLatest}, true)
}

func (s *recordsScreen) seekCmd(st backend.Start, follow bool) tea.Cmd {
	s.gen++
	s.seeking, s.fwdBusy, s.bwdBusy = true, false, false
	prev := s.last
	if !follow {
		s.last = st
	}
	gen, c, topic, part, streams := s.gen, s.cluster(), s.topic, s.partition, s.streams
	dec := s.env.Decoder
	target := s.seekTarget
	s.seekTarget = nil
	ids := append([]int32(nil), s.ids...)
	return func() tea.Msg {
		ctx := context.Background()
		m := recSeekMsg{gen: gen, kind: st.Kind, prev: prev, at: st.Time}
		m.err = func() error {
			wm, err := c.Watermarks(ctx, topic)
			if err != nil {
				return err
			}
			if len(wm) == 0 {
				return fmt.Errorf("%w %q", backend.ErrUnknownTopic, topic)
			}
			if part >= 0 {
				if _, ok := wm[part]; !ok {
					return fmt.Errorf("topic %q has no partition %d", topic, part)
				}
			} else {
				ids = sortedIDs(wm)
			}
			start, err := resolveStart(ctx, c, topic, ids, wm, st)
			if err != nil {
				return err
			}
			if st.Kind == backend.StartTime && target == nil && atEnd(ids, wm, start) {
				m.none = true // a time after the last record: say so, stay
				return nil
			}
			if part < 0 && (st.Kind == backend.StartOffset || st.Kind == backend.StartFromEnd) {
				if start, m.target, err = offsetTimeCut(ctx, c, topic, ids, wm, start); err != nil {
					return err
				}
			}
			if target != nil && m.target == nil {
				m.target = target
			}
			m.ids, m.wm, m.start = ids, wm, start
			m.per = perPartition(len(ids))
			fwd, bwd := map[int32]int64{}, map[int32]int64{}
			for _, p := range ids {
				if start[p] < wm[p][1] {
					fwd[p] = start[p]
				}
				if start[p] > wm[p][0] {
					bwd[p] = start[p]
				}
			}
			if m.fwd, err = fetchParts(ctx, c, dec, topic, fwd, m.per, true); err != nil {
				return err
			}
			if m.bwd, err = fetchParts(ctx, c, dec, topic, bwd, m.per, false); err != nil {
				return err
			}
			if follow {
				st, err := c.Stream(topic, start)
				if err != nil {
					return err
				}
				if !streams.add(st) {
					return errors.New("screen closed")
				}
				m.stream = st
			}
			return nil
		}()
		return m
	}
}

// atEnd reports that every partition starts at its end: no record follows.
func atEnd(ids []int32, wm map[int32][2]int64, start map[int32]int64) bool {
	for _, p := range ids {
		if start[p] < wm[p][1] {
			return false
		}
	}
	return true
}

func sortedIDs(wm map[int32][2]int64) []int32 {
	ids := make([]int32, 0, len(wm))
	for p := range wm {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	return ids
}

// perPartition keeps one fetch round near fetchChunk records in total.
func perPartition(n int) int { return max(minPartChunk, fetchChunk/max(1, n)) }

// resolveStart turns a start position into an offset per partition, clamped
// to the watermarks (the same rules as backend.ResolveStart, without
// listing the watermarks a second time).
func resolveStart(ctx context.Context, c *backend.Cluster, topic string, ids []int32, wm map[int32][2]int64, st backend.Start) (map[int32]int64, error) {
	var byTime map[int32]int64
	if st.Kind == backend.StartTime {
		var err error
		if byTime, err = c.OffsetsForTime(ctx, topic, st.Time); err != nil {
			return nil, err
		}
	}
	out := make(map[int32]int64, len(ids))
	for _, p := range ids {
		lo, hi := wm[p][0], wm[p][1]
		var o int64
		switch st.Kind {
		case backend.StartEarliest:
			o = lo
		case backend.StartLatest:
			o = hi
		case backend.StartOffset:
			o = st.Offset
		case backend.StartFromEnd:
			o = hi - st.Offset
		case backend.StartTime:
			o = hi
			if v, ok := byTime[p]; ok {
				o = v
			}
		}
		out[p] = min(max(o, lo), hi)
	}
	return out, nil
}

// offsetTimeCut turns an offset seek across merged partitions into a time
// cut: cutting every partition at the same offset would put a partition's
// later records before another's earlier ones. It reads the first record at
// or after each partition's offset cut, takes the earliest timestamp T among
// them and starts every partition at its first record at or after T, so the
// window stays in time order and every record at or after the requested
// offsets follows the start. The target is the cut record with the earliest
// timestamp (display order breaks ties). When no partition has a record at
// or after its cut the offsets are kept: they are all at the end.
func offsetTimeCut(ctx context.Context, c *backend.Cluster, topic string, ids []int32, wm map[int32][2]int64, start map[int32]int64) (map[int32]int64, *recKey, error) {
	at := map[int32]int64{}
	for _, p := range ids {
		if start[p] < wm[p][1] {
			at[p] = start[p]
		}
	}
	first, err := c.FetchAt(ctx, topic, at)
	if err != nil {
		return nil, nil, err
	}
	var best *backend.Record
	for _, p := range ids {
		if r, ok := first[p]; ok && (best == nil || before(&r, best)) {
			best = &r
		}
	}
	if best == nil {
		return start, nil, nil
	}
	cut, err := resolveStart(ctx, c, topic, ids, wm, backend.Start{Kind: backend.StartTime, Time: best.Timestamp})
	if err != nil {
		return nil, nil, err
	}
	// Every cut record has a timestamp >= T, so each partition's time cut
	// lies at or before its offset cut: the requested records all follow
	// the start.
	return cut, &recKey{best.Partition, best.Offset}, nil
}

func (s *recordsScreen) applySeek(m recSeekMsg) tea.Cmd {
	s.seeking = false
	if m.err != nil {
		if s.follow {
			s.paused = true // a failed (re)start of the tail leaves it paused
		}
		retry := s.Refresh
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: retry} })
	}
	var clearErr tea.Cmd
	if s.err != nil {
		s.err, clearErr = nil, ui.ClearErr()
	}
	if m.none {
		s.last = m.prev
		return tea.Batch(clearErr, ui.Toast("no record at or after "+fmtTimeIn(m.at, s.env.clock().Location())+" "+zoneName(s.env.clock())))
	}
	if s.win == nil || !slices.Equal(s.ids, m.ids) || len(s.win.parts) != len(m.ids) {
		s.win = newWindow(m.ids)
	}
	s.ids = m.ids
	s.win.reset(m.wm, m.start)
	for p, recs := range m.fwd {
		s.win.addFwd(p, m.start[p], recs, m.per)
	}
	for p, recs := range m.bwd {
		s.win.addBwd(p, m.start[p], recs, m.per)
	}
	back := fetchChunk / 2
	if m.kind == backend.StartLatest {
		back = fetchChunk
	}
	nb := s.win.mergeBwd(back)
	s.win.mergeFwd(fetchChunk)
	s.loaded = true
	s.setRows()
	cur := nb
	switch m.kind {
	case backend.StartEarliest:
		cur = 0
	case backend.StartLatest:
		cur = len(s.win.recs) - 1
	}
	if m.target != nil {
		for i := nb; i < len(s.win.recs); i++ {
			if r := &s.win.recs[i]; r.Partition == m.target.part && r.Offset == m.target.off {
				cur = i
				break
			}
		}
	}
	s.cursorTo(cur)
	// Centre the target row a little: the user seeked to it and wants its
	// context, not the rows before it filling the screen.
	if m.kind != backend.StartLatest && m.kind != backend.StartEarliest && s.match == nil {
		page := max(1, s.table.Height()-1)
		if s.partition >= 0 {
			// One partition in offset order: the target on the first row,
			// what follows it below.
			s.table.SetCursor(cur + page - 1)
		} else {
			s.table.SetCursor(cur - page/3)
		}
		s.table.SetCursor(cur)
	}
	cmds := []tea.Cmd{clearErr, s.ensure()}
	if m.stream != nil {
		s.stopStream()
		if s.follow && !s.paused {
			s.stream = m.stream
			cmds = append(cmds, s.pollCmd(time.Time{}))
		} else {
			s.streams.close(m.stream) // paused while the tail was opening
		}
	}
	return tea.Batch(cmds...)
}

func (s *recordsScreen) validateStart(v string) error {
	st, err := backend.ParseStartIn(v, s.env.now(), s.env.clock().Location())
	if err != nil {
		return errors.New("want an offset, -N, earliest, latest, or a time: 2026-11-30 12:00, 12:00, 15m (ago), RFC3339")
	}
	if s.pkind == promptTime && (st.Kind == backend.StartOffset || st.Kind == backend.StartFromEnd) {
		return errors.New("want a time: 2026-11-30 12:00, 12:00 (today), 15m (ago), -2h, RFC3339")
	}
	return nil
}
