package views

import (
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
)

// fakeLog is an in-memory partition set for exercising the window's merge
// and trim logic without a broker (the screens' tests use kfake).
type fakeLog map[int32][]backend.Record

func (f fakeLog) fwd(p int32, from int64, n int) []backend.Record {
	var out []backend.Record
	for _, r := range f[p] {
		if r.Offset >= from && len(out) < n {
			out = append(out, r)
		}
	}
	return out
}

func (f fakeLog) bwd(p int32, before int64, n int) []backend.Record {
	var out []backend.Record
	for _, r := range f[p] {
		if r.Offset < before {
			out = append(out, r)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// fill satisfies every fetch the window asks for, like the screen's Cmds.
func (f fakeLog) fill(w *window, fwd bool) {
	per := w.perPart()
	if fwd {
		for p, o := range w.needFwd() {
			w.addFwd(p, o, f.fwd(p, o, per), per)
		}
	} else {
		for p, o := range w.needBwd() {
			w.addBwd(p, o, f.bwd(p, o, per), per)
		}
	}
}

func TestWindowMergeAndTrim(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	log := fakeLog{}
	wm := map[int32][2]int64{}
	total := 0
	// Partition 1 has a compaction gap (odd offsets only); partition 2 is
	// empty; timestamps interleave.
	for p, n := range map[int32]int{0: 300, 1: 250, 2: 0} {
		for i := range n {
			off := int64(i)
			if p == 1 {
				off = int64(2*i + 1)
			}
			log[p] = append(log[p], backend.Record{Partition: p, Offset: off, Timestamp: base.Add(time.Duration(i*(int(p)+2)) * time.Millisecond)})
		}
		hw := int64(0)
		if n > 0 {
			hw = log[p][n-1].Offset + 1
		}
		wm[p] = [2]int64{0, hw}
		total += n
	}
	w := newWindow([]int32{0, 1, 2})
	w.reset(wm, map[int32]int64{0: 0, 1: 0, 2: 0})
	// Walk forward, trimming like the screen, and record the full order.
	var order []backend.Record
	for !w.atTail() {
		log.fill(w, true)
		before := len(w.recs)
		w.mergeFwd(fetchChunk)
		order = append(order, recsOf(w.recs[before:])...)
		if over := len(w.recs) - 120; over > 0 {
			w.trimFront(over)
		}
		if len(w.recs) > 120+fetchChunk {
			t.Fatalf("window grew to %d", len(w.recs))
		}
	}
	if len(order) != total {
		t.Fatalf("forward walk saw %d records, want %d", len(order), total)
	}
	for i := 1; i < len(order); i++ {
		if before(&order[i], &order[i-1]) {
			t.Fatalf("out of order at %d: p%d@%d after p%d@%d", i, order[i].Partition, order[i].Offset, order[i-1].Partition, order[i-1].Offset)
		}
	}
	// Walk back from the end: the same records, reversed, with trims on the
	// far (end) side.
	w.reset(wm, map[int32]int64{0: wm[0][1], 1: wm[1][1], 2: 0})
	var back []backend.Record
	for !w.atHead() {
		log.fill(w, false)
		n := w.mergeBwd(fetchChunk)
		got := recsOf(w.recs[:n])
		for i := len(got) - 1; i >= 0; i-- {
			back = append(back, got[i])
		}
		if over := len(w.recs) - 120; over > 0 {
			w.trimBack(over)
		}
	}
	if len(back) != total {
		t.Fatalf("backward walk saw %d records, want %d", len(back), total)
	}
	for i := range back {
		a, b := back[i], order[len(order)-1-i]
		if a.Partition != b.Partition || a.Offset != b.Offset {
			t.Fatalf("backward walk differs at %d: p%d@%d vs p%d@%d", i, a.Partition, a.Offset, b.Partition, b.Offset)
		}
	}
	// After a trim of the back, going forward again resumes right after the
	// last record kept.
	last := w.recs[len(w.recs)-1]
	log.fill(w, true)
	w.mergeFwd(1)
	next := w.recs[len(w.recs)-1]
	for i := range order {
		if order[i].Partition == last.Partition && order[i].Offset == last.Offset {
			if order[i+1].Partition != next.Partition || order[i+1].Offset != next.Offset {
				t.Fatalf("after trimBack, next is p%d@%d, want p%d@%d", next.Partition, next.Offset, order[i+1].Partition, order[i+1].Offset)
			}
		}
	}
}

func recsOf(ws []winRec) []backend.Record {
	out := make([]backend.Record, len(ws))
	for i := range ws {
		out[i] = ws[i].Record
	}
	return out
}

func TestWindowStaleFetchDropped(t *testing.T) {
	w := newWindow([]int32{0})
	w.reset(map[int32][2]int64{0: {0, 100}}, map[int32]int64{0: 10})
	if ok := w.addFwd(0, 5, []backend.Record{{Offset: 5}}, 10); ok {
		t.Fatal("a fetch from another frontier must be dropped")
	}
	if ok := w.addFwd(0, 10, []backend.Record{{Offset: 10}, {Offset: 11}}, 10); !ok {
		t.Fatal("matching fetch dropped")
	}
	if !w.parts[0].atEnd {
		t.Fatal("a short fetch marks the end")
	}
	if ok := w.addFwd(0, 10, []backend.Record{{Offset: 10}}, 10); ok {
		t.Fatal("a second fetch for a filled buffer must be dropped")
	}
}

func TestCapRecord(t *testing.T) {
	big := make([]byte, capValue*3)
	hv := make([]byte, capHeader*2)
	orig := backend.Record{Key: []byte("k"), Value: big, Headers: []backend.Header{{Key: "a", Value: []byte("x")}, {Key: "b", Value: hv}}}
	w := capRecord(orig)
	if !w.trunc || len(w.Value) != capValue || w.vlen != len(big) || w.size != orig.Size() {
		t.Fatalf("cap: trunc=%v len=%d vlen=%d size=%d", w.trunc, len(w.Value), w.vlen, w.size)
	}
	if len(w.Headers[1].Value) != capHeader || len(orig.Headers[1].Value) != capHeader*2 {
		t.Fatal("header capped in the copy only")
	}
	if small := capRecord(backend.Record{Value: []byte("v")}); small.trunc {
		t.Fatal("small record marked truncated")
	}
}
