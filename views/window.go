package views

import (
	"github.com/rewind-log/rewind/backend"
)

// The records window: a bounded, contiguous slice of the topic's records in
// display order (offset order for one partition, a k-way merge by timestamp
// for several), plus per-partition frontiers that say where to fetch next in
// each direction. It holds no I/O: the records screen asks it what to fetch,
// runs the fetch in a tea.Cmd and hands the result back.

// Window sizes. At ~200 B values a full window is well under 1 MB; with
// values capped by capRecord the worst case is maxWindow * ~20 KB.
const (
	maxWindow    = 1000 // records kept around the cursor
	fetchChunk   = 200  // records asked per fetch (split across partitions)
	minPartChunk = 20   // never ask a partition for fewer than this
	edgeRows     = 100  // fetch more when the cursor is this close to an edge
	// Values, keys and headers larger than these are cut in the window: a
	// preview needs a few hundred bytes, and the detail screen refetches the
	// whole record.
	capValue  = 16 << 10
	capKey    = 4 << 10
	capHeader = 1 << 10
)

// winRec is a record as kept in the window.
type winRec struct {
	backend.Record
	size  int  // payload size before capping
	vlen  int  // value length before capping
	trunc bool // key, value or a header was cut; the detail screen refetches
}

// capRecord cuts oversized payloads so the window's memory is bounded by its
// record count, not by the size of the largest values.
func capRecord(r backend.Record) winRec {
	w := winRec{Record: r, size: r.Size(), vlen: len(r.Value)}
	w.KeyDecoded, w.ValueDecoded = capDecoded(r.KeyDecoded, capKey), capDecoded(r.ValueDecoded, capValue)
	if len(r.Value) > capValue {
		w.Value = append([]byte(nil), r.Value[:capValue]...)
		w.trunc = true
	}
	if len(r.Key) > capKey {
		w.Key = append([]byte(nil), r.Key[:capKey]...)
		w.trunc = true
	}
	copied := false
	for i, h := range r.Headers {
		if len(h.Value) > capHeader {
			if !copied { // do not write through to the caller's slice
				w.Headers = append([]backend.Header(nil), r.Headers...)
				copied = true
			}
			w.Headers[i].Value = append([]byte(nil), h.Value[:capHeader]...)
			w.trunc = true
		}
	}
	return w
}

// before is the display order: timestamp, then partition, then offset.
// Within one partition offset order always wins so a partition with
// out-of-order producer timestamps is still shown in log order.
func before(a, b *backend.Record) bool {
	if a.Partition == b.Partition {
		return a.Offset < b.Offset
	}
	if !a.Timestamp.Equal(b.Timestamp) {
		return a.Timestamp.Before(b.Timestamp)
	}
	return a.Partition < b.Partition
}

// partState is one partition's frontier. The window holds exactly the
// partition's records with prev <= offset < next; fwd holds records fetched
// at offsets >= next not yet merged in, bwd records < prev.
type partState struct {
	id         int32
	prev, next int64
	fwd, bwd   []winRec
	// atEnd: fwd holds everything up to the high watermark (as of the last
	// fetch); atStart: bwd holds everything down to the log start.
	atEnd, atStart bool
	logStart, hw   int64
}

type window struct {
	recs  []winRec
	parts []partState
	index map[int32]int
}

func newWindow(ids []int32) *window {
	w := &window{index: make(map[int32]int, len(ids))}
	for i, id := range ids {
		w.parts = append(w.parts, partState{id: id})
		w.index[id] = i
	}
	return w
}

// perPart is how many records to ask each partition for, so one fetch round
// stays around fetchChunk records whatever the partition count.
func (w *window) perPart() int {
	n := fetchChunk / max(1, len(w.parts))
	return max(n, minPartChunk)
}

// reset empties the window and places every partition's frontier at
// start[p], clamped to its watermarks.
func (w *window) reset(wm map[int32][2]int64, start map[int32]int64) {
	w.recs = nil
	for i := range w.parts {
		p := &w.parts[i]
		p.fwd, p.bwd = nil, nil
		if m, ok := wm[p.id]; ok {
			p.logStart, p.hw = m[0], m[1]
		}
		o := start[p.id]
		o = min(max(o, p.logStart), p.hw)
		p.prev, p.next = o, o
		p.atStart = o <= p.logStart
		p.atEnd = o >= p.hw
	}
}

// side is the partition's state in one direction: forward (fwd) its
// buffer past the window, whether that reaches the high watermark, and
// the frontier next; backward the buffer before the window, whether it
// reaches the log start, and prev.
func (p *partState) side(fwd bool) (buf []winRec, atEdge bool, frontier int64) {
	if fwd {
		return p.fwd, p.atEnd, p.next
	}
	return p.bwd, p.atStart, p.prev
}

// needFwd lists partitions whose next record is unknown: nothing buffered
// and not known to be at the end. Until they are fetched the merge cannot
// tell which record comes next. needBwd is the same backwards.
func (w *window) needFwd() map[int32]int64 { return w.need(true) }
func (w *window) needBwd() map[int32]int64 { return w.need(false) }

func (w *window) need(fwd bool) map[int32]int64 {
	var out map[int32]int64
	for i := range w.parts {
		p := &w.parts[i]
		if buf, atEdge, frontier := p.side(fwd); len(buf) == 0 && !atEdge {
			if out == nil {
				out = map[int32]int64{}
			}
			out[p.id] = frontier
		}
	}
	return out
}

// fetched is the partition a fetch result for id is for, when it may
// still be added: the fetch started at that direction's frontier (at) and
// nothing is buffered that way since. A stale result gets nil, so it can
// never leave a gap or a duplicate.
func (w *window) fetched(id int32, at int64, fwd bool) *partState {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	p := &w.parts[i]
	if buf, _, frontier := p.side(fwd); at != frontier || len(buf) != 0 {
		return nil
	}
	return p
}

// addFwd stores a forward fetch for partition id that started at offset
// from. It is dropped when the frontier moved meanwhile (a trim or a newer
// fetch), so a stale result can never leave a gap or a duplicate.
func (w *window) addFwd(id int32, from int64, recs []backend.Record, asked int) bool {
	p := w.fetched(id, from, true)
	if p == nil {
		return false
	}
	for _, r := range recs {
		if r.Offset >= p.next {
			p.fwd = append(p.fwd, capRecord(r))
		}
	}
	if len(recs) < asked {
		p.atEnd = true
		if len(recs) > 0 {
			p.hw = max(p.hw, recs[len(recs)-1].Offset+1)
		} else {
			p.hw = max(p.hw, p.next)
		}
	}
	return true
}

func (w *window) addBwd(id int32, before int64, recs []backend.Record, asked int) bool {
	p := w.fetched(id, before, false)
	if p == nil {
		return false
	}
	for _, r := range recs {
		if r.Offset < p.prev {
			p.bwd = append(p.bwd, capRecord(r))
		}
	}
	if len(recs) < asked {
		p.atStart = true
		if len(recs) > 0 {
			p.logStart = recs[0].Offset
		} else {
			p.logStart = p.prev
		}
	}
	return true
}

// appendLive adds tail records (already past every frontier) to the forward
// buffers; records not contiguous with a frontier are ignored.
func (w *window) appendLive(recs []backend.Record) {
	for _, r := range recs {
		i, ok := w.index[r.Partition]
		if !ok {
			continue
		}
		p := &w.parts[i]
		last := p.next - 1
		if n := len(p.fwd); n > 0 {
			last = p.fwd[n-1].Offset
		}
		if r.Offset <= last {
			continue
		}
		p.fwd = append(p.fwd, capRecord(r))
		p.hw = max(p.hw, r.Offset+1)
	}
}

// mergeFwd moves up to limit records from the forward buffers to the end of
// the window in display order. It stops early when some partition's next
// record is unknown (see needFwd).
func (w *window) mergeFwd(limit int) int {
	n := 0
	for n < limit {
		best := -1
		for i := range w.parts {
			p := &w.parts[i]
			if len(p.fwd) == 0 {
				if !p.atEnd {
					return n
				}
				continue
			}
			if best < 0 || before(&p.fwd[0].Record, &w.parts[best].fwd[0].Record) {
				best = i
			}
		}
		if best < 0 {
			return n
		}
		p := &w.parts[best]
		r := p.fwd[0]
		p.fwd[0] = winRec{}
		p.fwd = p.fwd[1:]
		if len(p.fwd) == 0 {
			p.fwd = nil // let the fetch's backing array go
		}
		p.next = r.Offset + 1
		w.recs = append(w.recs, r)
		n++
	}
	return n
}

// mergeBwd moves up to limit records from the backward buffers to the front
// of the window and returns how many it prepended.
func (w *window) mergeBwd(limit int) int {
	var got []winRec
loop:
	for len(got) < limit {
		best := -1
		for i := range w.parts {
			p := &w.parts[i]
			if len(p.bwd) == 0 {
				if !p.atStart {
					break loop
				}
				continue
			}
			if best < 0 || before(&w.parts[best].bwd[len(w.parts[best].bwd)-1].Record, &p.bwd[len(p.bwd)-1].Record) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		p := &w.parts[best]
		k := len(p.bwd) - 1
		r := p.bwd[k]
		p.bwd[k] = winRec{}
		p.bwd = p.bwd[:k]
		if k == 0 {
			p.bwd = nil
		}
		p.prev = r.Offset
		got = append(got, r)
	}
	if len(got) == 0 {
		return 0
	}
	out := make([]winRec, 0, len(got)+len(w.recs))
	for i := len(got) - 1; i >= 0; i-- {
		out = append(out, got[i])
	}
	w.recs = append(out, w.recs...)
	return len(got)
}

// trimFront drops the first n records; their partitions' frontiers move up
// and their backward buffers are released.
func (w *window) trimFront(n int) {
	n = min(n, len(w.recs))
	if n <= 0 {
		return
	}
	for _, r := range w.recs[:n] {
		p := &w.parts[w.index[r.Partition]]
		p.prev = r.Offset + 1
		p.bwd = nil
		p.atStart = false
	}
	w.recs = append([]winRec(nil), w.recs[n:]...)
}

// trimBack drops the last n records.
func (w *window) trimBack(n int) {
	n = min(n, len(w.recs))
	if n <= 0 {
		return
	}
	keep := len(w.recs) - n
	for i := len(w.recs) - 1; i >= keep; i-- {
		r := &w.recs[i]
		p := &w.parts[w.index[r.Partition]]
		p.next = r.Offset // walking down, the last write is the lowest offset
		p.fwd = nil
		p.atEnd = false
	}
	clear(w.recs[keep:])
	w.recs = w.recs[:keep:keep]
}

// atHead: nothing more to show before the window; atTail: nothing after it
// (as of the last fetch).
func (w *window) atHead() bool { return w.atEdge(false) }
func (w *window) atTail() bool { return w.atEdge(true) }

func (w *window) atEdge(fwd bool) bool {
	for i := range w.parts {
		if buf, atEdge, _ := w.parts[i].side(fwd); len(buf) > 0 || !atEdge {
			return false
		}
	}
	return true
}

// bounds sums the partitions' log starts and high watermarks (for one
// partition: its offset range).
func (w *window) bounds() (logStart, hw int64) {
	for i := range w.parts {
		logStart += w.parts[i].logStart
		hw += w.parts[i].hw
	}
	return
}

// buffered counts records held outside the window (fetched ahead).
func (w *window) buffered() int {
	n := 0
	for i := range w.parts {
		n += len(w.parts[i].fwd) + len(w.parts[i].bwd)
	}
	return n
}
