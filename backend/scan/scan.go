package scan

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
)

// Spec says what to scan.
type Spec struct {
	Topic string
	Query Query
	// Partitions to scan; nil: every partition, except that a query with
	// a Key scans only the partition the default partitioner puts that
	// key in, unless AllPartitions.
	Partitions    []int32
	AllPartitions bool
	// From is where each partition's scan starts (offset, time, -N, ...:
	// backend.ParseStart); Starts, when set, gives the start offset of
	// each partition instead (the TUI starts at its cursor). Both are
	// clamped to the log.
	From   backend.Start
	Starts map[int32]int64
	// To ends the scan (exclusive: records before it) in the same terms
	// as From; nil: the end of each partition taken when the scan starts
	// (its last stable offset under read-committed).
	To *backend.Start
	// Follow scans new records as they arrive, until ctx ends or Limit
	// (To must be nil).
	Follow bool
	// Backward scans newest first: from the start position back to the
	// log start (To must be nil). Each partition's matches come in
	// descending offsets; matches are copies (see Preview).
	Backward bool
	// Preview > 0 keeps at most Preview bytes of the key and the value
	// of the matches a backward scan holds before delivering them (the
	// TUI's result list); Match.KeySize and ValueSize keep the sizes.
	// With a Decoder, it also fills Match.KeyShown/ValueShown.
	Preview int
	// Limit stops the scan after this many matches (0: no limit).
	Limit int64
	// Decoder makes value.field read Avro, Protobuf and JSON Schema
	// values; nil reads values as JSON.
	Decoder *decode.Decoder
	// Workers evaluate the query in parallel (0: GOMAXPROCS).
	Workers int
	// Progress is called on the caller's goroutine every ProgressEvery
	// (default 250ms) while the scan runs, and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// OnHealth hears about brokers that stop answering and recover.
	OnHealth func(backend.Health)
}

// Match is one matching record. In a forward scan Record is only valid
// during the callback (its buffers are the fetch's); in a backward scan
// it is a copy the callback may keep.
type Match struct {
	*kgo.Record
	Txn backend.TxnState
	// KeySize and ValueSize are the record's key and value sizes (the
	// copy may be cut at Spec.Preview).
	KeySize, ValueSize int
	// KeyShown and ValueShown are, with Spec.Preview and Spec.Decoder,
	// the decoded JSON of a structured key or value (Avro, Protobuf,
	// JSON Schema, JSON) cut at Preview bytes; nil when it is not
	// structured. Taken before the copy is cut, so a preview of a
	// binary encoding still reads as JSON.
	KeyShown, ValueShown []byte
}

// shown fills m's decoded previews from rec (the whole record).
func (r *runner) shown(ctx context.Context, m *Match, rec *kgo.Record) {
	if r.s.Decoder == nil || r.s.Preview <= 0 {
		return
	}
	cut := func(isKey bool, b []byte) []byte {
		if b == nil {
			return nil
		}
		res := r.s.Decoder.Decode(ctx, rec.Topic, isKey, b, nil)
		if !res.Format.Structured() {
			return nil
		}
		return res.JSON[:min(len(res.JSON), r.s.Preview):min(len(res.JSON), r.s.Preview)]
	}
	m.KeyShown, m.ValueShown = cut(true, rec.Key), cut(false, rec.Value)
}

// EvalError is the first runtime error of the expression, with its record.
type EvalError struct {
	Partition int32
	Offset    int64
	Err       error
}

// Error names the record; of the expression's error it keeps the first
// line (expr-lang adds the source with a caret below).
func (e *EvalError) Error() string {
	msg := e.Err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("p%d offset %d: %s", e.Partition, e.Offset, msg)
}

// Progress is how far a scan got. Offsets, not records, measure the
// range (markers and aborted records take offsets without being data).
type Progress struct {
	Topic      string
	Partitions int
	Scanned    int64 // records read and evaluated
	Done       int64 // offsets passed
	Total      int64 // offsets in the range; 0 when following
	Matched    int64
	Failed     int64      // records the expression failed on (not matches)
	FirstError *EvalError // the first of them
	Unreadable int64      // records whose value the expression could not read
	Elapsed    time.Duration
	Following  bool
	Finished   bool // the scan ended (see Err of Run for how)
	Limited    bool // it ended because Limit matches were found
	// Health is the last broker report while one is not answering.
	Health string
}

// Rate is records scanned per second.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Scanned) / p.Elapsed.Seconds()
}

// ETA is the time left at the current pace; -1 when unknown.
func (p Progress) ETA() time.Duration {
	if p.Following || p.Total <= 0 || p.Done <= 0 || p.Elapsed <= 0 {
		return -1
	}
	left := p.Total - p.Done
	if left <= 0 {
		return 0
	}
	return time.Duration(float64(p.Elapsed) * float64(left) / float64(p.Done))
}

// Fraction is Done/Total in [0, 1]; 0 when unknown.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		if p.Finished && !p.Following {
			return 1
		}
		return 0
	}
	return min(1, float64(p.Done)/float64(p.Total))
}

// Plan is a scan's range, resolved when it starts.
type Plan struct {
	Topic string
	// Ranges is per partition [start, end) in offsets; end -1: following.
	Ranges map[int32][2]int64
}

// Resolve works out the partitions and offsets s covers, taking the ends
// now (what Run does first).
func Resolve(ctx context.Context, c *backend.Cluster, s Spec) (Plan, error) {
	if s.Topic == "" {
		return Plan{}, errors.New("scan: no topic")
	}
	if s.To != nil && (s.Follow || s.Backward) {
		return Plan{}, errors.New("scan: an end position (--to) does not go with following or a backward scan")
	}
	if s.Follow && s.Backward {
		return Plan{}, errors.New("scan: cannot follow backwards")
	}
	parts := s.Partitions
	if parts == nil && s.Query.HasKey && !s.AllPartitions {
		ids, err := c.PartitionIDs(ctx, s.Topic)
		if err != nil {
			return Plan{}, err
		}
		if len(ids) == 0 {
			return Plan{}, fmt.Errorf("%w %q", backend.ErrUnknownTopic, s.Topic)
		}
		parts = []int32{KeyPartition(s.Query.Key, len(ids))}
	}
	from := s.From
	if s.Starts != nil {
		from = backend.Start{Kind: backend.StartEarliest}
	}
	start, end, err := c.ResolveStart(ctx, s.Topic, parts, from)
	if err != nil {
		return Plan{}, err
	}
	lo := start
	if s.Starts != nil {
		lo = maps(start)
		for p := range start {
			if o, ok := s.Starts[p]; ok {
				start[p] = min(max(o, lo[p]), end[p])
			}
		}
	} else if s.Backward {
		if lo, _, err = c.ResolveStart(ctx, s.Topic, parts, backend.Start{Kind: backend.StartEarliest}); err != nil {
			return Plan{}, err
		}
	}
	pl := Plan{Topic: s.Topic, Ranges: map[int32][2]int64{}}
	switch {
	case s.Backward:
		for p, st := range start {
			pl.Ranges[p] = [2]int64{min(lo[p], st), st}
		}
	case s.Follow:
		for p, st := range start {
			pl.Ranges[p] = [2]int64{st, -1}
		}
	default:
		var to map[int32]int64
		if s.To != nil {
			if to, _, err = c.ResolveStart(ctx, s.Topic, parts, *s.To); err != nil {
				return Plan{}, err
			}
		}
		for p, st := range start {
			e := end[p]
			if t, ok := to[p]; ok {
				e = min(t, e) // the ends are the first call's: taken once
			}
			pl.Ranges[p] = [2]int64{st, max(e, st)}
		}
	}
	return pl, nil
}

func maps(m map[int32]int64) map[int32]int64 {
	out := make(map[int32]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Partitions lists the plan's partitions in order.
func (pl Plan) Partitions() []int32 {
	out := make([]int32, 0, len(pl.Ranges))
	for p := range pl.Ranges {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Total is the number of offsets in the plan (0 when following).
func (pl Plan) Total() int64 {
	var n int64
	for _, r := range pl.Ranges {
		if r[1] >= 0 {
			n += r[1] - r[0]
		}
	}
	return n
}

// Run scans what s says and calls fn for each match on the caller's
// goroutine, in per-partition offset order (descending when backward). It
// returns the final progress. A bounded scan that could not finish
// returns *backend.IncompleteError with how far it got; fn's error ends
// the scan (backend.ErrStopRead ends it without error). Expression errors
// on single records do not end it: they are counted in Progress.
func Run(ctx context.Context, c *backend.Cluster, s Spec, fn func(Match) error) (Progress, error) {
	pl, err := Resolve(ctx, c, s)
	if err != nil {
		return Progress{Topic: s.Topic, Finished: true}, err
	}
	return RunPlan(ctx, c, s, pl, fn)
}

// RunPlan is Run over a plan Resolve made (the TUI shows the plan's total
// before the first progress report).
func RunPlan(ctx context.Context, c *backend.Cluster, s Spec, pl Plan, fn func(Match) error) (Progress, error) {
	r, err := newRunner(c, s, pl, fn)
	if err != nil {
		return r.prog, err
	}
	defer r.close()
	if s.Backward {
		err = r.backward(ctx)
	} else {
		err = r.forward(ctx)
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	r.finish()
	return r.prog, err
}

// fetchBytes bounds one fetch response of a scan. The read engine holds
// up to two responses (one decoded ahead) plus their decompressed batches
// and records: about six times this is alive at the peak, whatever the
// topic's size.
const fetchBytes = 4 << 20

// errLimit ends a read once Limit matches were delivered.
var errLimit = errors.New("limit reached")

type runner struct {
	c     *backend.Cluster
	s     Spec
	pl    Plan
	fn    func(Match) error
	pool  *pool // nil: the query selects every record
	prog  Progress
	start time.Time
	every time.Duration
	last  time.Time
	pos   map[int32]int64 // forward: each partition's position
}

func newRunner(c *backend.Cluster, s Spec, pl Plan, fn func(Match) error) (*runner, error) {
	r := &runner{c: c, s: s, pl: pl, fn: fn, start: time.Now(), every: s.ProgressEvery}
	if r.every <= 0 {
		r.every = 250 * time.Millisecond
	}
	r.prog = Progress{Topic: s.Topic, Partitions: len(pl.Ranges), Total: pl.Total(), Following: s.Follow}
	if !s.Query.Empty() {
		n := s.Workers
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		p, err := newPool(s.Query, s.Decoder, n)
		if err != nil {
			r.prog.Finished = true
			return r, err
		}
		r.pool = p
	}
	return r, nil
}

func (r *runner) close() {
	if r.pool != nil {
		r.pool.close()
	}
}

func (r *runner) report(force bool) {
	now := time.Now()
	r.prog.Elapsed = now.Sub(r.start)
	if r.s.Progress == nil || (!force && now.Sub(r.last) < r.every) {
		return
	}
	r.last = now
	r.s.Progress(r.prog)
}

func (r *runner) finish() {
	r.prog.Finished = true
	r.prog.Health = ""
	r.report(true)
}

func (r *runner) health(h backend.Health) {
	if h.Down {
		r.prog.Health = h.String()
	} else {
		r.prog.Health = ""
	}
	if r.s.OnHealth != nil {
		r.s.OnHealth(h)
	}
}

// forward reads the plan's ranges in offset order. Batches of one fetch
// response are collected, evaluated by the pool in parallel, then their
// matches delivered in order before the next response is taken.
func (r *runner) forward(ctx context.Context) error {
	spec := backend.ReadSpec{Starts: map[backend.TP]int64{}, Isolation: r.c.Isolation(),
		OnHealth: r.health, What: "scan " + r.s.Topic, MaxBytes: fetchBytes}
	if !r.s.Follow {
		spec.Targets = map[backend.TP]int64{}
	}
	for p, rg := range r.pl.Ranges {
		tp := backend.TP{Topic: r.s.Topic, Partition: p}
		spec.Starts[tp] = rg[0]
		if spec.Targets != nil {
			spec.Targets[tp] = rg[1]
		}
	}
	r.pos = map[int32]int64{}
	for p, rg := range r.pl.Ranges {
		r.pos[p] = rg[0]
	}
	var pending []*backend.Batch
	spec.AfterResponse = func() error {
		err := r.deliver(ctx, pending, r.fn)
		pending = pending[:0]
		r.report(false)
		return err
	}
	spec.Tick = func() error { r.report(false); return nil }
	spec.TickEvery = r.every
	return r.c.Read(ctx, spec, func(b *backend.Batch) error {
		pending = append(pending, b)
		return nil
	})
}

// deliver evaluates batches and calls emit for each match in order,
// counting what it passed. It returns errLimit once Limit matches were
// emitted, and stops at a record the registry could not decode.
func (r *runner) deliver(ctx context.Context, batches []*backend.Batch, emit func(Match) error) error {
	var res []batchResult
	if r.pool != nil {
		res = r.pool.eval(batches)
	}
	for bi, b := range batches {
		for i, rec := range b.Records {
			r.prog.Scanned++
			if res != nil {
				v := res[bi].verdicts[i]
				if v != Hit {
					if err := r.count(v, rec, res[bi].errs[i]); err != nil {
						r.passed(b.Partition, rec.Offset)
						return err
					}
					continue
				}
			}
			r.prog.Matched++
			m := Match{Record: rec, Txn: b.State(i), KeySize: len(rec.Key), ValueSize: len(rec.Value)}
			r.shown(ctx, &m, rec)
			if err := emit(m); err != nil {
				r.passed(b.Partition, rec.Offset)
				return err
			}
			if r.s.Limit > 0 && r.prog.Matched >= r.s.Limit {
				r.prog.Limited = true
				r.passed(b.Partition, rec.Offset+1)
				return errLimit
			}
		}
		r.passed(b.Partition, b.Next)
	}
	return nil
}

// passed moves a partition's position (forward scans) to next.
func (r *runner) passed(p int32, next int64) {
	if r.pos == nil {
		return
	}
	if d := next - r.pos[p]; d > 0 {
		r.prog.Done += d
		r.pos[p] = next
	}
}

// count records a record that did not match; the error it returns ends
// the scan.
func (r *runner) count(v Verdict, rec *kgo.Record, err error) error {
	switch v {
	case Failed:
		r.prog.Failed++
		if r.prog.FirstError == nil {
			r.prog.FirstError = &EvalError{Partition: rec.Partition, Offset: rec.Offset, Err: err}
		}
	case Unreadable:
		if err != nil {
			return fmt.Errorf("%s p%d offset %d: %w", rec.Topic, rec.Partition, rec.Offset, err)
		}
		r.prog.Unreadable++
	}
	return nil
}
