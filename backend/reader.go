package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Read is the one engine behind every read by offset outside a consumer
// group: consume, projections, publish read-back. It issues raw fetches
// (kgo.ProcessFetchPartition decodes them) so it always knows each
// partition's exact position: a transaction marker, an aborted record or a
// compaction gap moves the position without a record. A bounded read ends
// when every partition's position reaches its target offset, never because
// polls came back empty; a broker that does not answer is reported through
// OnHealth and retried, and after the stall timeout a bounded read fails
// with an *IncompleteError that says how far it got.

// TP names a topic partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// Isolation is the transaction isolation of a read.
type Isolation int8

// Isolation levels. The zero value, read-committed, is every read's
// default: aborted records are never data, and a read stops at the last
// stable offset, before still-open transactions.
const (
	ReadCommitted Isolation = iota
	ReadUncommitted
)

// ParseIsolation accepts read-committed and read-uncommitted (also
// committed / uncommitted).
func ParseIsolation(s string) (Isolation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "read-committed", "read_committed", "committed":
		return ReadCommitted, nil
	case "read-uncommitted", "read_uncommitted", "uncommitted":
		return ReadUncommitted, nil
	}
	return 0, fmt.Errorf("bad isolation %q: want read-committed or read-uncommitted", s)
}

func (i Isolation) String() string {
	if i == ReadUncommitted {
		return "read-uncommitted"
	}
	return "read-committed"
}

// fetchLevel is the Fetch request's isolation_level field.
func (i Isolation) fetchLevel() int8 {
	if i == ReadUncommitted {
		return 0
	}
	return 1
}

func (i Isolation) kgo() kgo.IsolationLevel {
	if i == ReadUncommitted {
		return kgo.ReadUncommitted()
	}
	return kgo.ReadCommitted()
}

// TxnState is what a record's transaction had become when it was read.
type TxnState uint8

// Transaction states. Under read-committed only TxnNone and TxnCommitted
// records are ever delivered.
const (
	TxnNone      TxnState = iota // not written in a transaction
	TxnCommitted                 // its transaction committed
	TxnAborted                   // its transaction aborted: not data under read-committed
	TxnOpen                      // no commit or abort marker below the end of the read
)

func (s TxnState) String() string {
	switch s {
	case TxnCommitted:
		return "committed"
	case TxnAborted:
		return "aborted"
	case TxnOpen:
		return "open"
	}
	return ""
}

// Batch is what a read delivers: records of one partition, in offset
// order. Records are only valid during the callback (their buffers are
// the fetch response's).
type Batch struct {
	TP
	Records []*kgo.Record
	// Txn[i] is the transaction state of Records[i] under read-uncommitted;
	// nil under read-committed (every record delivered is committed or not
	// transactional).
	Txn []TxnState
	// Next is the partition's position after this batch: every offset below
	// it was delivered or is not data (a marker, an aborted record, a
	// compaction gap). A projection checkpoints this, never more.
	Next int64
	// Done: a bounded read reached the partition's target.
	Done bool
}

// State is the transaction state of Records[i].
func (b *Batch) State(i int) TxnState {
	if b.Txn != nil {
		return b.Txn[i]
	}
	if b.Records[i].Attrs.IsTransactional() {
		return TxnCommitted
	}
	return TxnNone
}

// Health is a broker's state as a read sees it.
type Health struct {
	Broker string        // host:port
	Down   bool          // false: it answers again
	For    time.Duration // how long it has not answered (Down), or had not
	Err    error         // the last error while down
}

func (h Health) String() string {
	if h.Down {
		return fmt.Sprintf("broker %s not answering for %s, retrying", h.Broker, roundDur(h.For))
	}
	return fmt.Sprintf("broker %s answering again after %s", h.Broker, roundDur(h.For))
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

// ReadSpec configures Read.
type ReadSpec struct {
	// Starts is the first offset to read of each partition.
	Starts map[TP]int64
	// Targets makes the read bounded: a partition is done when its
	// position reaches its target (exclusive), taken by the caller when
	// the read starts (the last stable offset for read-committed). nil
	// follows the log until ctx ends.
	Targets map[TP]int64
	// Isolation: read-committed (default) or read-uncommitted.
	Isolation Isolation
	// StallTimeout is how long a bounded read keeps retrying brokers that
	// do not answer, or partitions that do not advance, before it fails;
	// 0 takes the cluster's (Options.StallTimeout, default 6 x Timeout).
	// A live read retries forever and reports.
	StallTimeout time.Duration
	// OnHealth is told, on the caller's goroutine, when a broker stops
	// answering (again every few seconds while it stays down) and when it
	// answers again.
	OnHealth func(Health)
	// MaxBytes per fetch response and PartitionMaxBytes per partition; 0
	// takes 16 MiB and 4 MiB.
	MaxBytes, PartitionMaxBytes int32
	// What names the read in errors ("consume orders").
	What string
	// AfterResponse, if set, is called on the caller's goroutine after the
	// batches of each fetch response were delivered: a natural point to
	// checkpoint. An error ends the read like one from fn.
	AfterResponse func() error
	// Tick, if set, is called on the caller's goroutine every TickEvery
	// (default 250ms) while the read runs, records or not: progress and
	// rates stay current while a live read waits at the end of the log.
	Tick      func() error
	TickEvery time.Duration
}

// ErrStopRead, returned by a Read callback, ends the read without error.
var ErrStopRead = errors.New("stop reading")

// ErrRecordsDeleted: retention (or DeleteRecords) removed records the read
// had not reached yet.
var ErrRecordsDeleted = errors.New("records deleted before they were read")

// PartPos is how far a read got in one partition.
type PartPos struct {
	TP
	Start, Next, Target int64
}

// IncompleteError is a bounded read that did not reach its targets.
type IncompleteError struct {
	What    string
	Cause   error
	Records int64     // records delivered
	Parts   []PartPos // every partition, sorted
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	what := e.What
	if what == "" {
		what = "read"
	}
	fmt.Fprintf(&b, "%s incomplete: %v; read %d records", what, e.Cause, e.Records)
	var left []string
	var done, total int64
	for _, p := range e.Parts {
		done += max(p.Next-p.Start, 0)
		total += max(p.Target-p.Start, 0)
		if p.Next < p.Target {
			left = append(left, fmt.Sprintf("%s at %d of %d", p.TP, p.Next, p.Target))
		}
	}
	if total > 0 {
		fmt.Fprintf(&b, ", %d of %d offsets", done, total)
	}
	if len(left) > 0 {
		more := ""
		if len(left) > 6 {
			more = fmt.Sprintf(" and %d more", len(left)-6)
			left = left[:6]
		}
		fmt.Fprintf(&b, "; stopped at %s%s", strings.Join(left, ", "), more)
	}
	return b.String()
}

func (e *IncompleteError) Unwrap() error { return e.Cause }

const (
	readMaxWait           = 500 * time.Millisecond
	readMaxBytes          = 8 << 20
	readPartitionMaxBytes = 1 << 20
	healthEvery           = 2 * time.Second // at most one report per broker per this
	maxBackoff            = 2 * time.Second
)

// StallTimeout is how long bounded reads retry before they fail.
func (c *Cluster) StallTimeout() time.Duration {
	if c.opts.StallTimeout > 0 {
		return c.opts.StallTimeout
	}
	return 6 * c.opts.Timeout
}

// Read reads the partitions of s and calls fn for each batch, on the
// caller's goroutine. See ReadSpec. It returns nil when a bounded read
// reached every target, when fn returned ErrStopRead, or when a live read's
// ctx ended; a bounded read that could not finish returns *IncompleteError.
func (c *Cluster) Read(ctx context.Context, s ReadSpec, fn func(*Batch) error) error {
	if s.StallTimeout <= 0 {
		s.StallTimeout = c.StallTimeout()
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = readMaxBytes
	}
	if s.PartitionMaxBytes <= 0 {
		s.PartitionMaxBytes = readPartitionMaxBytes
		if c.opts.readPartBytes > 0 {
			s.PartitionMaxBytes = c.opts.readPartBytes
		}
	}
	bounded := s.Targets != nil
	pos := map[TP]*PartPos{}
	var parts []*pstate
	for tp, st := range s.Starts {
		p := &PartPos{TP: tp, Start: st, Next: st, Target: -1}
		pos[tp] = p
		ps := &pstate{tp: tp, next: st, target: -1}
		if bounded {
			t, ok := s.Targets[tp]
			if !ok {
				return fmt.Errorf("%s: no target for %s", s.What, tp)
			}
			p.Target, ps.target = t, t
			if st >= t {
				continue
			}
		}
		if s.Isolation == ReadUncommitted {
			ps.lab = &txnLabeler{}
		}
		parts = append(parts, ps)
	}
	incomplete := func(cause error, n int64) error {
		if !bounded {
			return cause
		}
		e := &IncompleteError{What: s.What, Cause: cause, Records: n}
		for _, p := range pos {
			e.Parts = append(e.Parts, *p)
		}
		sort.Slice(e.Parts, func(i, j int) bool {
			a, b := e.Parts[i], e.Parts[j]
			if a.Topic != b.Topic {
				return a.Topic < b.Topic
			}
			return a.Partition < b.Partition
		})
		return e
	}
	if len(parts) == 0 {
		if bounded {
			return nil
		}
		<-ctx.Done()
		return nil
	}

	rd := &read{c: c, s: s, bounded: bounded, addrs: map[int32]string{}}
	rd.loadAddrs(ctx)
	// One worker per leader at start; a worker follows its partitions if
	// leadership moves.
	byLeader := map[int32][]*pstate{}
	for _, p := range parts {
		l, err := rd.leader(ctx, p.tp)
		if err != nil {
			return incomplete(err, 0)
		}
		byLeader[l] = append(byLeader[l], p)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Unbuffered: a worker fetches and decodes the next response while fn
	// works on this one, and waits there. Two responses alive per worker
	// at most: memory follows the fetch size, not the topic.
	msgs := make(chan readMsg)
	var wg sync.WaitGroup
	for _, ps := range byLeader {
		w := &worker{rd: rd, parts: ps, out: msgs, brokers: map[int32]*bstate{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(wctx)
		}()
	}
	stop := func() {
		cancel()
		wg.Wait()
	}
	running := len(byLeader)
	var n int64
	var tick <-chan time.Time
	if s.Tick != nil {
		if s.TickEvery <= 0 {
			s.TickEvery = 250 * time.Millisecond
		}
		t := time.NewTicker(s.TickEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			if err := s.Tick(); err != nil {
				stop()
				if errors.Is(err, ErrStopRead) {
					return nil
				}
				return err
			}
		case <-ctx.Done():
			stop()
			if bounded {
				return incomplete(fmt.Errorf("interrupted: %w", ctx.Err()), n)
			}
			return nil
		case m := <-msgs:
			if m.health != nil && s.OnHealth != nil {
				s.OnHealth(*m.health)
			}
			for _, b := range m.batches {
				// Batches without records still move the position (a
				// marker, a gap) or say a partition is done.
				if err := fn(b); err != nil {
					stop()
					if errors.Is(err, ErrStopRead) {
						return nil
					}
					return err
				}
				n += int64(len(b.Records))
				pos[b.TP].Next = b.Next
			}
			if len(m.batches) > 0 && s.AfterResponse != nil {
				if err := s.AfterResponse(); err != nil {
					stop()
					if errors.Is(err, ErrStopRead) {
						return nil
					}
					return err
				}
			}
			if m.err != nil {
				stop()
				return incomplete(m.err, n)
			}
			if m.finished {
				if running--; running == 0 {
					stop()
					return nil
				}
			}
		}
	}
}

type readMsg struct {
	batches  []*Batch
	health   *Health
	err      error
	finished bool // the worker's partitions are all done
}

type read struct {
	c       *Cluster
	s       ReadSpec
	bounded bool

	mu    sync.Mutex
	addrs map[int32]string
}

func (rd *read) loadAddrs(ctx context.Context) {
	ctx, cancel := rd.c.reqCtx(ctx)
	defer cancel()
	md, err := rd.c.adm.BrokerMetadata(ctx)
	if err != nil {
		return
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	for _, b := range md.Brokers {
		rd.addrs[b.NodeID] = fmt.Sprintf("%s:%d", b.Host, b.Port)
	}
}

func (rd *read) addr(id int32) string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if a, ok := rd.addrs[id]; ok {
		return a
	}
	if len(rd.c.opts.Brokers) == 1 {
		return rd.c.opts.Brokers[0]
	}
	return fmt.Sprintf("%d", id)
}

func (rd *read) leader(ctx context.Context, tp TP) (int32, error) {
	ctx, cancel := rd.c.reqCtx(ctx)
	defer cancel()
	m, err := rd.c.meta(ctx, tp.Topic)
	if err != nil {
		return 0, err
	}
	l, ok := m.leaders[tp.Partition]
	if !ok {
		return 0, fmt.Errorf("%s: no such partition", tp)
	}
	return l, nil
}

// pstate is a worker's own view of one partition.
type pstate struct {
	tp       TP
	next     int64
	target   int64 // -1: live
	done     bool
	progress time.Time // last time next moved (or the read started)
	lab      *txnLabeler
}

// bstate is a worker's view of one broker's health.
type bstate struct {
	downSince  time.Time
	lastReport time.Time
	failures   int
	lastErr    error
}

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
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p.tp.Partition
		fp.FetchOffset = p.next
		fp.PartitionMaxBytes = w.rd.s.PartitionMaxBytes
		fp.CurrentLeaderEpoch = -1
		fp.LastFetchedEpoch = -1
		fp.LogStartOffset = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, fp)
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

// NoDataBetween reports whether a read-committed read of partition's
// offsets [from, to) finds no record: what lies there, if anything, is
// transaction markers, aborted records or compaction gaps. A consumer whose
// position is from has then read everything below to. It reads at most one
// record's worth when there is data.
func (c *Cluster) NoDataBetween(ctx context.Context, topic string, partition int32, from, to int64) (bool, error) {
	if from >= to {
		return true, nil
	}
	tp := TP{topic, partition}
	found := false
	err := c.Read(ctx, ReadSpec{Starts: map[TP]int64{tp: from}, Targets: map[TP]int64{tp: to},
		PartitionMaxBytes: 64 << 10, What: "check " + tp.String()}, func(b *Batch) error {
		if len(b.Records) > 0 {
			found = true
			return ErrStopRead
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return !found, nil
}
