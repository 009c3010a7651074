package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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
		slices.SortFunc(e.Parts, func(a, b PartPos) int { return ComparePartitions(a.Topic, a.Partition, b.Topic, b.Partition) })
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
