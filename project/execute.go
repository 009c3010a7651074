package project

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// defaultMaxPoll is the default bound on records per checkpoint.
const defaultMaxPoll = 200_000

// Fetch buffer caps of a run's consumer (see bench/run.sh).
const (
	fetchMaxBytes          = 5 << 20
	fetchMaxPartitionBytes = 4 << 20
)

type runner struct {
	cl  *backend.Cluster
	c   *Compiled
	m   *Meta
	o   Options
	st  *store
	agg string

	fatal error // set by apply: the run must stop before this batch's checkpoint

	start, target map[tp]int64
	next          map[tp]int64
	changedOff    map[tp]bool
	done          map[tp]bool
	order         []tp

	tab     *tableState
	scratch *big.Float
	stats   Stats
	pending int // records applied since the last checkpoint

	lastCheckpoint time.Time
	saved          struct { // as of the last checkpoint (see saveProgress)
		next  map[tp]int64
		stats Stats
	}

	lastProgress time.Time
	lastMeta     time.Time
	lastCommit   time.Time
	rateAt       time.Time
	rateDone     int64
	rate         float64
}

func execute(ctx context.Context, cl *backend.Cluster, c *Compiled, m *Meta, o Options) (*Meta, error) {
	st, err := openStore(statePath(o.DataDir, m.ID), true)
	if err != nil {
		return nil, fmt.Errorf("projection run %q: %w", m.ID, err)
	}
	defer st.Close()
	if o.Decoder != nil {
		c.SetDecoder(o.Decoder)
	}
	r := &runner{cl: cl, c: c, m: m, o: o, st: st, agg: c.Spec.Aggregate,
		start: map[tp]int64{}, target: map[tp]int64{}, changedOff: map[tp]bool{}, done: map[tp]bool{},
		tab: newTableState(st.db, c.Spec.Aggregate)}
	if r.o.MaxPoll <= 0 {
		r.o.MaxPoll = defaultMaxPoll
	}
	if r.o.CommitEvery <= 0 {
		r.o.CommitEvery = time.Second
	}
	if o.cacheBytes > 0 {
		r.tab.maxSize = o.cacheBytes
	}
	if r.o.ProgressEvery <= 0 {
		r.o.ProgressEvery = 250 * time.Millisecond
	}
	m.Status, m.Error, m.PID, m.Finished = StatusRunning, "", os.Getpid(), nil
	m.Updated = o.now().UTC()
	if err := saveMeta(o.DataDir, m); err != nil {
		return nil, err
	}
	err = r.run(ctx)
	// Leave the table in sstables, not only in the WAL: whoever opens the
	// store next (diff, export, show) would otherwise replay and flush up
	// to a memtable's worth first (the first diff after a 1M-key run took
	// twice the CPU of the next).
	if !o.keepWAL {
		if ferr := st.db.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("flush state: %w", ferr)
		}
	}
	if r.o.hook != nil {
		r.o.hook("reads", r.tab.reads)
	}
	r.emit(true)
	m.PID = 0
	m.Updated = o.now().UTC()
	switch {
	case err != nil:
		m.Status, m.Error = StatusFailed, err.Error()
	case ctx.Err() != nil:
		m.Status = StatusStopped
	default:
		m.Status = StatusDone
		t := m.Updated
		m.Finished = &t
	}
	if serr := saveMeta(o.DataDir, m); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return m, fmt.Errorf("projection run %q: %w", m.ID, err)
	}
	return m, nil
}

func (r *runner) live() bool { return r.m.Until == UntilLive }

func (r *runner) run(ctx context.Context) error {
	db := r.st.db
	offs, err := readOffsets(db)
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	if b, ok, err := get(db, keyStats); err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	} else if ok {
		if err := json.Unmarshal(b, &r.stats); err != nil {
			return fmt.Errorf("read checkpoint: corrupt stats: %w", err)
		}
	}
	r.next = map[tp]int64{}
	for _, pm := range r.m.Partitions {
		k := tp{pm.Topic, pm.Partition}
		r.order = append(r.order, k)
		r.start[k], r.target[k] = pm.Start, pm.Target
		r.next[k] = pm.Start
		if o, ok := offs[k]; ok {
			r.next[k] = o
		}
	}
	// The expired-window guard, again: retention may have moved since the
	// plan or since the run was killed.
	if err := r.recheckWindow(ctx); err != nil {
		return err
	}
	if err := r.openState(); err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	spec := backend.ReadSpec{Starts: map[backend.TP]int64{}, Isolation: backend.ReadCommitted,
		MaxBytes: fetchMaxBytes, PartitionMaxBytes: fetchMaxPartitionBytes,
		What: "projection run " + r.m.ID, OnHealth: r.o.OnHealth}
	if r.o.partBytes > 0 {
		spec.PartitionMaxBytes = r.o.partBytes
	}
	if !r.live() {
		spec.Targets = map[backend.TP]int64{}
	}
	for _, k := range r.order {
		if !r.live() && r.next[k] >= r.target[k] {
			r.done[k] = true
			continue
		}
		spec.Starts[backend.TP{Topic: k.Topic, Partition: k.Partition}] = r.next[k]
		if !r.live() {
			spec.Targets[backend.TP{Topic: k.Topic, Partition: k.Partition}] = r.target[k]
		}
	}
	r.saveProgress()
	r.rateAt = r.o.now()
	r.rateDone = r.doneTotal()
	r.emit(false)
	if len(spec.Starts) == 0 {
		return nil
	}
	// Records are applied in memory batch by batch; the state, the
	// positions (each batch's Next: markers and compaction gaps included,
	// never past a record not applied) and the counters are checkpointed
	// together when a checkpoint is due (after a fetch response, a tick or
	// MaxPoll records; see checkpointDue). A run killed between checkpoints
	// resumes from the last one.
	pending := 0
	interrupted := false
	checkpoint := func() error {
		if err := r.checkpoint(ctx); err != nil {
			return err
		}
		pending = 0
		if ctx.Err() != nil {
			interrupted = true
			return backend.ErrStopRead
		}
		r.emit(false)
		return nil
	}
	spec.AfterResponse = checkpoint
	spec.Tick = func() error {
		if pending > 0 || len(r.changedOff) > 0 {
			return checkpoint()
		}
		r.emit(false)
		return nil
	}
	spec.TickEvery = r.o.ProgressEvery
	err = r.cl.Read(ctx, spec, func(b *backend.Batch) error {
		k := tp{b.Topic, b.Partition}
		for _, rec := range b.Records {
			if rec.Offset < r.next[k] {
				continue // already applied (never: the read starts at next)
			}
			r.apply(rec)
			if r.fatal != nil {
				// A record neither applied nor skippable (the registry is
				// down): stop before this batch's checkpoint.
				return r.fatal
			}
			pending++
			if r.o.hook != nil {
				r.o.hook("record", r.stats.Records)
				if ctx.Err() != nil {
					interrupted = true // killed mid-batch: nothing of it is checkpointed
					return backend.ErrStopRead
				}
			}
		}
		if b.Next > r.next[k] || len(b.Records) > 0 {
			r.next[k] = max(r.next[k], b.Next)
			r.changedOff[k] = true
		}
		if b.Done {
			r.done[k] = true
		}
		if pending >= r.o.MaxPoll {
			return checkpoint()
		}
		return nil
	})
	if interrupted || errors.Is(err, context.Canceled) || (err != nil && ctx.Err() != nil) {
		return nil // stopped: uncheckpointed work is dropped, resume from the checkpoint
	}
	if errors.Is(err, backend.ErrRecordsDeleted) {
		return fmt.Errorf("%w: %v", ErrWindowExpired, err)
	}
	if err != nil {
		return err
	}
	if r.live() {
		return nil
	}
	if err := r.checkpoint(ctx); err != nil {
		return err
	}
	if len(r.done) != len(r.order) {
		// Read returned nil, so every target was reached: a partition not
		// marked done here is a bug, and must not be checkpointed as done.
		return fmt.Errorf("read ended before every partition reached its target (%d of %d done)", len(r.done), len(r.order))
	}
	r.commitGroup(ctx, true)
	return nil
}

func (r *runner) recheckWindow(ctx context.Context) error {
	var expired []string
	for _, t := range r.m.Topics {
		wm, err := r.cl.Watermarks(ctx, t)
		if err != nil {
			return err
		}
		for _, k := range r.order {
			if k.Topic != t || (!r.live() && r.next[k] >= r.target[k]) {
				continue
			}
			w, ok := wm[k.Partition]
			if !ok {
				return fmt.Errorf("%s/%d no longer exists", t, k.Partition)
			}
			if lo := w[0]; r.next[k] < lo {
				expired = append(expired, fmt.Sprintf("%s/%d: resumes at offset %d but the log starts at %d: %d records were deleted by retention",
					t, k.Partition, r.next[k], lo, lo-r.next[k]))
				if r.o.AllowPartial {
					r.next[k], r.changedOff[k] = lo, true
				}
			}
		}
	}
	if len(expired) == 0 {
		return nil
	}
	if !r.o.AllowPartial {
		return fmt.Errorf("%w on %d partition(s): replaying what is left is a separate choice (--allow-partial), labelled partial: %s",
			ErrWindowExpired, len(expired), joinSemi(expired))
	}
	r.m.Partial = true
	return saveMeta(r.o.DataDir, r.m)
}

func joinSemi(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}

// openState prepares the table state: a fresh store needs no reads for the
// keys it has not seen; a resumed one first learns which keys it holds.
func (r *runner) openState() error {
	empty, err := storeEmpty(r.st.db)
	if err != nil {
		return err
	}
	if !empty {
		return r.tab.loadFilter()
	}
	var window int64
	for _, k := range r.order {
		window += max(r.target[k]-r.next[k], 0)
	}
	r.tab.startFresh(window)
	return nil
}

func (r *runner) apply(rec *kgo.Record) {
	r.stats.Records++
	r.pending++
	out, key, num, stored, err := r.c.eval(rec)
	if errors.Is(err, ErrRegistryDown) {
		r.stats.Records--
		r.fatal = fmt.Errorf("%s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
		return
	}
	if err != nil {
		r.stats.Errors++
		r.noteError(fmt.Sprintf("%s/%d@%d: %v", rec.Topic, rec.Partition, rec.Offset, err))
		return
	}
	switch out {
	case outInvalid:
		r.stats.Invalid++
		return
	case outSkip:
		if rec.Value == nil {
			r.stats.Tombstones++
		} else {
			r.stats.Filtered++
		}
		return
	}
	c, err := r.tab.get(key)
	if err != nil {
		r.stats.Errors++
		r.noteError(fmt.Sprintf("%s/%d@%d: state: %v", rec.Topic, rec.Partition, rec.Offset, err))
		return
	}
	was := c.exists
	if out == outTombstone {
		r.stats.Tombstones++
		pos := recPos{TS: rec.Timestamp.UnixMilli(), Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
		if c.hasPos && !pos.newer(c.pos) {
			return
		}
		c.exists, c.row, c.pos, c.hasPos = false, nil, pos, true
		r.tab.touch(c)
		r.stats.Applied++
		r.stats.Rows += rowsDelta(was, c.exists)
		return
	}
	switch r.agg {
	case AggLatest:
		pos := recPos{TS: rec.Timestamp.UnixMilli(), Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
		if c.hasPos && !pos.newer(c.pos) {
			return
		}
		c.row = append(c.row[:0], stored...)
		c.pos, c.hasPos = pos, true
	case AggCount:
		c.count++
	case AggSum, AggAvg:
		c.addSum(num, &r.scratch)
		c.count++
	case AggMin:
		if !c.exists || num < c.min {
			c.min = num
		}
	case AggMax:
		if !c.exists || num > c.max {
			c.max = num
		}
	}
	c.exists = true
	r.tab.touch(c)
	r.stats.Applied++
	r.stats.Rows += rowsDelta(was, c.exists)
}

// maxFirstErrors is how many errors a run keeps, with their offsets.
const maxFirstErrors = 5

// noteError keeps the first errors of a run, each naming its record.
func (r *runner) noteError(msg string) {
	if r.stats.FirstError == "" {
		r.stats.FirstError = msg
	}
	if len(r.stats.FirstErrors) < maxFirstErrors {
		r.stats.FirstErrors = append(r.stats.FirstErrors, msg)
	}
}

func rowsDelta(was, is bool) int64 {
	switch {
	case !was && is:
		return 1
	case was && !is:
		return -1
	}
	return 0
}

// checkpoint writes the dirty rows, their state, the consumed offsets and
// the counters in one batch, committed with Sync: at most every CommitEvery
// (a sync per poll was most of a slow run's time), every MaxPoll records,
// when the dirty cells pass their memory bound, and when the run is done.
func (r *runner) checkpoint(ctx context.Context) error {
	if r.pending == 0 && len(r.changedOff) == 0 {
		return nil
	}
	if !r.checkpointDue() {
		return nil
	}
	if r.o.hook != nil {
		r.o.hook("commit", r.stats.Records)
		if ctx.Err() != nil {
			return nil
		}
	}
	b := r.st.db.NewBatchWithSize(r.tab.batchSize() + 64*len(r.changedOff) + 4096)
	defer b.Close()
	if err := r.tab.write(b); err != nil {
		return err
	}
	for k := range r.changedOff {
		if err := b.Set(offKey(k.Topic, k.Partition), binary.BigEndian.AppendUint64(nil, uint64(r.next[k])), nil); err != nil {
			return err
		}
	}
	sb, _ := json.Marshal(r.stats)
	if err := b.Set(keyStats, sb, nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	r.tab.committed()
	r.saveProgress()
	clear(r.changedOff)
	r.pending = 0
	r.lastCheckpoint = time.Now()
	if r.o.hook != nil {
		r.o.hook("committed", r.stats.Records)
	}
	r.commitGroup(ctx, false)
	return nil
}

func (r *runner) checkpointDue() bool {
	switch {
	case r.pending >= r.o.MaxPoll, r.tab.overDirty():
		return true
	case !r.live() && len(r.done) == len(r.order):
		return true
	}
	return time.Since(r.lastCheckpoint) >= r.o.CommitEvery
}

// commitGroup commits the checkpointed offsets to the run's isolated group,
// best effort and at most once a second, so lag screens show the run. The
// checkpoint in the state store, not the group, is what a resume reads.
// Under --read-only nothing is committed.
func (r *runner) commitGroup(ctx context.Context, force bool) {
	now := time.Now()
	if r.cl.ReadOnly() || (!force && now.Sub(r.lastCommit) < time.Second) {
		return
	}
	r.lastCommit = now
	offs := map[string]map[int32]int64{}
	for _, k := range r.order {
		if offs[k.Topic] == nil {
			offs[k.Topic] = map[int32]int64{}
		}
		offs[k.Topic][k.Partition] = r.next[k]
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = r.cl.CommitGroupOffsets(cctx, r.m.Group, offs)
}

// saveProgress notes the positions and counters a checkpoint holds:
// progress reports those, so what it shows is what a diff (or a resume)
// sees, even while applied records wait for the next checkpoint.
func (r *runner) saveProgress() {
	if r.saved.next == nil {
		r.saved.next = map[tp]int64{}
	}
	for k, v := range r.next {
		r.saved.next[k] = v
	}
	r.saved.stats = r.stats
}

func (r *runner) doneTotal() int64 {
	var d int64
	for _, k := range r.order {
		n := r.saved.next[k]
		d += max(min(n, max(r.target[k], n))-r.start[k], 0)
	}
	return d
}

func (r *runner) progress() Progress {
	p := Progress{Stats: r.saved.stats, Rows: r.saved.stats.Rows, Rate: r.rate}
	for _, k := range r.order {
		n := r.saved.next[k]
		pp := PartitionProgress{Topic: k.Topic, Partition: k.Partition, Next: n, Target: r.target[k],
			Done: max(n-r.start[k], 0), Total: max(r.target[k]-r.start[k], 0)}
		if !r.live() {
			pp.Done = min(pp.Done, pp.Total)
		}
		p.Done += min(pp.Done, pp.Total)
		p.Total += pp.Total
		p.Partitions = append(p.Partitions, pp)
	}
	slices.SortFunc(p.Partitions, func(a, b PartitionProgress) int {
		return backend.ComparePartitions(a.Topic, a.Partition, b.Topic, b.Partition)
	})
	if p.Rate > 0 && p.Total > p.Done {
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}

func (r *runner) emit(final bool) {
	now := r.o.now()
	if !final && now.Sub(r.lastProgress) < r.o.ProgressEvery {
		return
	}
	r.lastProgress = now
	if dt := now.Sub(r.rateAt).Seconds(); dt >= 0.5 {
		d := r.doneTotal()
		inst := float64(d-r.rateDone) / dt
		if r.rate == 0 {
			r.rate = inst
		} else {
			r.rate = 0.5*r.rate + 0.5*inst
		}
		r.rateAt, r.rateDone = now, d
	}
	p := r.progress()
	p.Final = final
	if final || now.Sub(r.lastMeta) >= 2*time.Second {
		r.lastMeta = now
		cp := p
		r.m.Progress = &cp
		r.m.Updated = now.UTC()
		if !final {
			_ = saveMeta(r.o.DataDir, r.m)
		}
	}
	if r.o.Progress != nil {
		r.o.Progress(p)
	}
}
