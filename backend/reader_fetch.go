package backend

// The read's fetch workers: one per broker, each fetching its partitions
// from exact positions and turning responses into batches, stalls into
// health reports and retries.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type worker struct {
	rd      *read
	parts   []*pstate
	out     chan<- readMsg
	brokers map[int32]*bstate
	rot     int
}

func (w *worker) send(ctx context.Context, m readMsg) bool {
	select {
	case w.out <- m:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *worker) run(ctx context.Context) {
	now := time.Now()
	for _, p := range w.parts {
		p.progress = now
	}
	for ctx.Err() == nil {
		var active []*pstate
		for _, p := range w.parts {
			if !p.done {
				active = append(active, p)
			}
		}
		if len(active) == 0 {
			w.send(ctx, readMsg{finished: true})
			return
		}
		// Rotate: a batch larger than the partition limit is only
		// returned for the first partition of a request (KIP-74).
		w.rot++
		r := w.rot % len(active)
		active = append(active[r:], active[:r]...)

		byLeader := map[int32][]*pstate{}
		var order []int32
		for _, p := range active {
			l, err := w.rd.leader(ctx, p.tp)
			if err != nil {
				// Metadata itself failed: the (seed) broker is not
				// answering. Charge it to the partition's last leader.
				if !w.failed(ctx, -1, time.Now(), err) {
					return
				}
				continue
			}
			if _, ok := byLeader[l]; !ok {
				order = append(order, l)
			}
			byLeader[l] = append(byLeader[l], p)
		}
		for _, l := range order {
			if !w.fetchFrom(ctx, l, byLeader[l]) {
				return
			}
		}
		if w.rd.bounded {
			now := time.Now()
			for _, p := range active {
				if !p.done && now.Sub(p.progress) > w.rd.s.StallTimeout {
					w.send(ctx, readMsg{err: w.noProgress(p, now)})
					return
				}
			}
		}
	}
}

// noProgress says why p has not moved for the stall timeout: a broker that
// is failing right now (refused, timing out: a killed or frozen broker
// whose retries have not yet reached the bound themselves), or a broker
// that answers without moving the partition.
func (w *worker) noProgress(p *pstate, now time.Time) error {
	for id, b := range w.brokers {
		if b.downSince.IsZero() || b.lastErr == nil {
			continue
		}
		addr := w.rd.addr(id)
		if id < 0 {
			addr = w.rd.c.Addr()
		}
		return fmt.Errorf("broker %s not answering for %s (stall timeout %s; %s made no progress for %s at offset %d of %d): %w",
			addr, roundDur(now.Sub(b.downSince)), w.rd.s.StallTimeout, p.tp, roundDur(now.Sub(p.progress)), p.next, p.target, cleanErr(b.lastErr))
	}
	return fmt.Errorf("%s made no progress for %s at offset %d (target %d) though the broker answers", p.tp, roundDur(now.Sub(p.progress)), p.next, p.target)
}

// fetchFrom issues one fetch to leader for ps and sends what it read. It
// returns false when the worker must stop.
func (w *worker) fetchFrom(ctx context.Context, leader int32, ps []*pstate) bool {
	c := w.rd.c
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(readMaxWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = w.rd.s.MaxBytes
	req.SessionEpoch = -1 // no fetch session: every request names every partition
	req.IsolationLevel = w.rd.s.Isolation.fetchLevel()
	byTopic := map[string]int{} // index into req.Topics
	for _, p := range ps {
		i, ok := byTopic[p.tp.Topic]
		if !ok {
			mctx, cancel := c.reqCtx(ctx)
			m, err := c.meta(mctx, p.tp.Topic)
			cancel()
			if err != nil {
				return w.failed(ctx, leader, time.Now(), err)
			}
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID = p.tp.Topic, m.id
			i = len(req.Topics)
			req.Topics = append(req.Topics, t)
			byTopic[p.tp.Topic] = i
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, fetchPartition(p.tp.Partition, p.next, w.rd.s.PartitionMaxBytes))
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, c.opts.Timeout+readMaxWait)
	kresp, err := c.cl.Broker(int(leader)).Request(rctx, req)
	cancel()
	if ctx.Err() != nil {
		return false
	}
	if err == nil {
		if code := kresp.(*kmsg.FetchResponse).ErrorCode; code != 0 {
			err = kerr.ErrorForCode(code)
		}
	}
	if err != nil {
		return w.failed(ctx, leader, start, err)
	}
	health := w.recovered(leader)
	batches, retry, ferr := w.process(kresp.(*kmsg.FetchResponse), ps)
	if ferr != nil {
		w.send(ctx, readMsg{batches: batches, health: health, err: ferr})
		return false
	}
	if (len(batches) > 0 || health != nil) && !w.send(ctx, readMsg{batches: batches, health: health}) {
		return false
	}
	if retry {
		// A partition answered with a retriable error (leadership moving,
		// metadata stale): do not spin on it.
		t := time.NewTimer(200 * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// failed records a broker that did not answer. It reports (throttled),
// fails a bounded read past the stall timeout, and backs off. It returns
// false when the worker must stop.
func (w *worker) failed(ctx context.Context, leader int32, start time.Time, err error) bool {
	b := w.brokers[leader]
	if b == nil {
		b = &bstate{}
		w.brokers[leader] = b
	}
	now := time.Now()
	if b.downSince.IsZero() {
		b.downSince = start
	}
	b.failures++
	b.lastErr = err
	down := now.Sub(b.downSince)
	addr := w.rd.addr(leader)
	if leader < 0 {
		addr = w.rd.c.Addr()
	}
	if w.rd.bounded && down >= w.rd.s.StallTimeout {
		w.send(ctx, readMsg{err: fmt.Errorf("broker %s not answering for %s (stall timeout %s): %w", addr, roundDur(down), w.rd.s.StallTimeout, cleanErr(err))})
		return false
	}
	if now.Sub(b.lastReport) >= healthEvery {
		b.lastReport = now
		if !w.send(ctx, readMsg{health: &Health{Broker: addr, Down: true, For: down, Err: cleanErr(err)}}) {
			return false
		}
	}
	backoff := min(time.Duration(b.failures)*250*time.Millisecond, maxBackoff)
	t := time.NewTimer(backoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// recovered clears a broker's down state and returns the recovery report,
// if it had been reported down.
func (w *worker) recovered(leader int32) *Health {
	var h *Health
	for id, b := range w.brokers {
		if id != leader && id != -1 {
			continue
		}
		if !b.downSince.IsZero() && !b.lastReport.IsZero() && h == nil {
			addr := w.rd.addr(leader)
			h = &Health{Broker: addr, For: time.Since(b.downSince)}
		}
		delete(w.brokers, id)
	}
	return h
}

// process turns one fetch response into batches and advances positions.
// retry reports a partition that answered with a retriable error.
func (w *worker) process(resp *kmsg.FetchResponse, ps []*pstate) (out []*Batch, retry bool, err error) {
	c := w.rd.c
	byTP := make(map[TP]*pstate, len(ps))
	for _, p := range ps {
		byTP[p.tp] = p
	}
	now := time.Now()
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		topic := rt.Topic
		if topic == "" {
			// v13+ names topics by id only.
			for _, p := range ps {
				c.mu.Lock()
				m, ok := c.topics[p.tp.Topic]
				c.mu.Unlock()
				if ok && m.id == rt.TopicID {
					topic = p.tp.Topic
					break
				}
			}
		}
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			p, ok := byTP[TP{topic, rp.Partition}]
			if !ok {
				continue
			}
			fp, nextOff := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				KeepControlRecords: p.lab != nil,
				Offset:             p.next,
				IsolationLevel:     w.rd.s.Isolation.kgo(),
				Topic:              topic,
				Partition:          rp.Partition,
			}, rp, decompressor, nil)
			if fp.Err != nil {
				switch {
				case errors.Is(fp.Err, kerr.OffsetOutOfRange):
					if p.next < fp.LogStartOffset {
						return out, false, fmt.Errorf("%w: %s offsets %d to %d were deleted (retention) before they were read; the log now starts at %d",
							ErrRecordsDeleted, p.tp, p.next, fp.LogStartOffset-1, fp.LogStartOffset)
					}
					return out, false, fmt.Errorf("%s: offset %d is past the end of the log (%d): the log was truncated", p.tp, p.next, fp.HighWatermark)
				case kerr.IsRetriable(fp.Err):
					c.invalidate(topic) // leadership moved or metadata is stale: ask again
					retry = true
					continue
				default:
					return out, false, fmt.Errorf("%s at offset %d: %w", p.tp, p.next, fp.Err)
				}
			}
			b := &Batch{TP: p.tp}
			before := p.next
			for _, r := range fp.Records {
				if p.target >= 0 && r.Offset >= p.target {
					break
				}
				if p.lab != nil {
					p.lab.add(r)
					continue
				}
				b.Records = append(b.Records, r)
			}
			if p.target >= 0 && nextOff > p.target {
				nextOff = p.target
			}
			if nextOff > p.next {
				p.next, p.progress = nextOff, now
			}
			if p.target >= 0 && p.next >= p.target {
				p.done = true
			}
			b.Next = p.next
			if p.lab != nil {
				// Caught up with the log (or the target): what has no
				// marker yet is open.
				if p.done || p.next >= fp.HighWatermark {
					p.lab.flush()
				}
				b.Records, b.Txn = p.lab.take()
				if h, ok := p.lab.head(); ok {
					b.Next = h
				}
			}
			b.Done = p.done
			if len(b.Records) > 0 || b.Done || p.next > before {
				out = append(out, b)
			}
		}
	}
	return out, retry, nil
}
