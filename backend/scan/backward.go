package scan

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// A backward scan reads each partition in chunks that step back from the
// start position towards the log start. A chunk is read forward (the only
// way the protocol reads), its newest matches are held, then delivered
// newest first. At most backHeld matches per partition are held: when a
// chunk has more, the older ones are dropped and that part of the chunk is
// read again in the next round, so memory stays bounded however dense the
// matches are.
const (
	backStep0   = 1 << 10  // offsets per partition in the first chunk
	backStepMax = 64 << 10 // chunks grow to this while matches are sparse
	backHeld    = 2048     // matches held per partition per chunk
)

// held is one match kept from a chunk, with the partition's counts before
// it (to undo them when it is dropped and re-read).
type held struct {
	m                         Match
	scanned, failed, unreadbl int64
}

// ring keeps the newest n matches of one partition's chunk.
type ring struct {
	buf   []held
	n     int
	head  int // index of the oldest when full
	full  bool
	spill bool // older matches were dropped
	// Counts over the chunk so far.
	scanned, failed, unreadable int64
}

func (r *ring) add(h held) {
	if len(r.buf) < r.n {
		r.buf = append(r.buf, h)
		return
	}
	r.spill = true
	r.buf[r.head] = h
	r.head = (r.head + 1) % r.n
}

// oldest is the oldest match kept.
func (r *ring) oldest() held { return r.buf[r.head%len(r.buf)] }

// newestFirst returns the kept matches newest first.
func (r *ring) newestFirst() []held {
	out := make([]held, 0, len(r.buf))
	for i := len(r.buf) - 1; i >= 0; i-- {
		out = append(out, r.buf[(r.head+i)%len(r.buf)])
	}
	return out
}

func (r *runner) backward(ctx context.Context) error {
	lo, hi := map[int32]int64{}, map[int32]int64{}
	for p, rg := range r.pl.Ranges {
		lo[p], hi[p] = rg[0], rg[1]
	}
	parts := r.pl.Partitions()
	step := int64(backStep0)
	for {
		spec := backend.ReadSpec{Starts: map[backend.TP]int64{}, Targets: map[backend.TP]int64{},
			Isolation: r.c.Isolation(), OnHealth: r.health, What: "scan " + r.s.Topic, MaxBytes: fetchBytes}
		from := map[int32]int64{}
		for _, p := range parts {
			if hi[p] > lo[p] {
				from[p] = max(lo[p], hi[p]-step)
				tp := backend.TP{Topic: r.s.Topic, Partition: p}
				spec.Starts[tp], spec.Targets[tp] = from[p], hi[p]
			}
		}
		if len(from) == 0 {
			return nil
		}
		keep := backHeld
		if r.s.Limit > 0 {
			keep = int(min(int64(keep), r.s.Limit-r.prog.Matched))
		}
		rings := map[int32]*ring{}
		for p := range from {
			rings[p] = &ring{n: keep}
		}
		var pending []*backend.Batch
		spec.AfterResponse = func() error {
			err := r.hold(ctx, pending, rings)
			pending = pending[:0]
			r.report(false)
			return err
		}
		spec.Tick = func() error { r.report(false); return nil }
		spec.TickEvery = r.every
		err := r.c.Read(ctx, spec, func(b *backend.Batch) error {
			pending = append(pending, b)
			return nil
		})
		if err != nil {
			return err
		}
		spilled := false
		for _, p := range parts {
			rg, ok := rings[p]
			if !ok {
				continue
			}
			next := from[p]
			if rg.spill {
				// Re-read what lies below the oldest match kept, and count
				// it then.
				o := rg.oldest()
				next = o.m.Offset
				rg.scanned, rg.failed, rg.unreadable = rg.scanned-o.scanned, rg.failed-o.failed, rg.unreadable-o.unreadbl
				spilled = true
			}
			r.prog.Scanned += rg.scanned
			r.prog.Failed += rg.failed
			r.prog.Unreadable += rg.unreadable
			r.prog.Done += hi[p] - next
			hi[p] = next
			for _, h := range rg.newestFirst() {
				r.prog.Matched++
				if err := r.fn(h.m); err != nil {
					return err
				}
				if r.s.Limit > 0 && r.prog.Matched >= r.s.Limit {
					r.prog.Limited = true
					return errLimit
				}
			}
		}
		r.report(false)
		if !spilled {
			step = min(step*2, backStepMax)
		}
	}
}

// hold evaluates batches and keeps copies of their matches in the rings.
func (r *runner) hold(ctx context.Context, batches []*backend.Batch, rings map[int32]*ring) error {
	var res []batchResult
	if r.pool != nil {
		res = r.pool.eval(batches)
	}
	for bi, b := range batches {
		rg := rings[b.Partition]
		for i, rec := range b.Records {
			before := held{scanned: rg.scanned, failed: rg.failed, unreadbl: rg.unreadable}
			rg.scanned++
			if res != nil {
				v := res[bi].verdicts[i]
				if v != Hit {
					switch v {
					case Failed:
						rg.failed++
						if r.prog.FirstError == nil {
							r.prog.FirstError = &EvalError{Partition: rec.Partition, Offset: rec.Offset, Err: res[bi].errs[i]}
						}
					case Unreadable:
						if err := res[bi].errs[i]; err != nil {
							return r.count(v, rec, err)
						}
						rg.unreadable++
					}
					continue
				}
			}
			before.m = Match{Record: copyRecord(rec, r.s.Preview), Txn: b.State(i), KeySize: len(rec.Key), ValueSize: len(rec.Value)}
			r.shown(ctx, &before.m, rec)
			rg.add(before)
		}
	}
	return nil
}

// copyRecord copies what a match shows, cutting key, value and header
// values at limit bytes when limit > 0.
func copyRecord(r *kgo.Record, limit int) *kgo.Record {
	cut := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		if limit > 0 && len(b) > limit {
			b = b[:limit]
		}
		return append(make([]byte, 0, len(b)), b...)
	}
	c := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		Key: cut(r.Key), Value: cut(r.Value), Attrs: r.Attrs, LeaderEpoch: r.LeaderEpoch}
	if len(r.Headers) > 0 {
		c.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			c.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: cut(h.Value)}
		}
	}
	return c
}
