package laghist

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
)

// DefaultRefresh is the sampling interval when Config.Refresh is 0.
const DefaultRefresh = 2 * time.Second

// LagWindow is the evaluator's window for a refresh interval: at least a
// minute, so a consumer committing on Kafka's usual 5s auto-commit timer is
// never mistaken for a stalled one, and at least 15 samples long when
// refreshing slowly.
func LagWindow(refresh time.Duration) time.Duration {
	return max(time.Minute, 15*refresh)
}

// Config configures a Sampler. The zero value samples every 2s.
type Config struct {
	Refresh time.Duration
	// Eval tunes the verdicts; a zero Window is LagWindow(Refresh).
	Eval lag.Config
	// Threshold is a group's time-lag threshold (0: the default, < 0:
	// off), from the context config; nil: the default for every group.
	Threshold func(group string) time.Duration
	// Role tells rewind's own groups apart: lag.Replay or lag.Projection
	// and a label ("replay of email-notifier"); "" for a live group.
	Role func(group string) (lag.Status, string)
	// OffsetsSet is when rewind last changed a group's offsets (the audit
	// trail's resets and cut-overs; zero: never), so the jump is not read
	// as consumption (lag.Config.OffsetsSetAt). nil: never.
	OffsetsSet func(group string) time.Time
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Open opens the history store when the sampler has none: tried by
	// OpenStore, and by every refresh of Run until it succeeds (the UI
	// may start before its cluster answers: the history starts then).
	Open func(ctx context.Context) (*Store, error)
}

// Sampler keeps one cluster's lag history current: the leader samples the
// cluster every refresh and appends to the store, the others follow the
// store (see the package doc). Either way it holds the recent history of
// every group in memory and answers Snapshot at once. Safe for concurrent
// use.
type Sampler struct {
	c   *backend.Cluster
	st  *Store // nil: history in memory only
	cfg Config

	mu      sync.Mutex
	loaded  bool
	tr      lag.Tracker
	last    *Tick // newest tick applied
	meta    map[string]GroupMeta
	metaRaw map[string][]byte // leader: encoded meta per group, to see changes
	times   map[backend.Position]time.Time
	seq     uint64
	since   time.Time
	poll    PollStats
	snap    *Snapshot
	changed chan struct{}
	// totals is each group's recent total lag, for charts that open with
	// history.
	totals map[string]*totalSeries
}

// totalsCap bounds the total-lag points kept per group in memory (24
// minutes at the default 2s refresh; older points come from the store).
const totalsCap = 720

type totalSeries struct {
	at []time.Time
	v  []int64
}

func (t *totalSeries) add(at time.Time, v int64) {
	t.at = append(t.at, at)
	t.v = append(t.v, v)
	if len(t.at) > 2*totalsCap {
		t.at = append(t.at[:0], t.at[len(t.at)-totalsCap:]...)
		t.v = append(t.v[:0], t.v[len(t.v)-totalsCap:]...)
	}
}

// PollStats is the sampler's own health, for the status line and metrics.
type PollStats struct {
	// Leader: this process samples the cluster (else it follows the one
	// that does, or samples only in memory when no store).
	Leader bool
	// Polls counts samples taken here; Errors the failed ones.
	Polls, Errors uint64
	// Last is when the last poll here ended; Took how long it took.
	Last    time.Time
	Took    time.Duration
	LastErr string
	// LastOK is when the last poll here that produced a sample ended (a
	// screen reading the history tells a failed poll from a stale one);
	// TimeErr is that poll's time-lag error, if any (lag without time
	// lags).
	LastOK  time.Time
	TimeErr string
}

// NewSampler returns a sampler of c over st (nil: in memory only).
func NewSampler(c *backend.Cluster, st *Store, cfg Config) *Sampler {
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Eval.Window <= 0 {
		cfg.Eval.Window = LagWindow(cfg.Refresh)
	}
	s := &Sampler{c: c, st: st, cfg: cfg, meta: map[string]GroupMeta{}, metaRaw: map[string][]byte{}, changed: make(chan struct{}),
		totals: map[string]*totalSeries{}}
	s.tr.Capacity = min(120, max(lag.DefaultCapacity, int(cfg.Eval.Window/cfg.Refresh)+2))
	return s
}

// EmbeddedKey names the embedded log's history: its data dir holds one
// cluster, whatever port it listens on (kfake reports the same cluster id
// for every embedded log).
const EmbeddedKey = "embedded"

// OpenStore opens the history of c's cluster in dataDir (one Metadata
// request for the cluster id; none for the embedded log).
func OpenStore(ctx context.Context, c *backend.Cluster, dataDir string) (*Store, error) {
	if c.Embedded() {
		return Open(dataDir, EmbeddedKey, Options{})
	}
	id, err := c.ClusterID(ctx)
	if err != nil {
		return nil, err
	}
	return Open(dataDir, Key(id, c.Brokers()), Options{})
}

func (s *Sampler) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// OpenStore opens the store with Config.Open if there is none yet and loads
// its history. Without Config.Open it does nothing.
func (s *Sampler) OpenStore(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openLocked(ctx)
}

func (s *Sampler) openLocked(ctx context.Context) error {
	if s.st != nil || s.cfg.Open == nil {
		return nil
	}
	st, err := s.cfg.Open(ctx)
	if err != nil {
		return err
	}
	s.st = st
	s.loaded = false // load what the store holds
	return s.loadLocked()
}

// Refresh is the sampling interval.
func (s *Sampler) Refresh() time.Duration { return s.cfg.Refresh }

// Eval is the evaluator config (window etc.).
func (s *Sampler) Eval() lag.Config { return s.cfg.Eval }

// Store is the history store (nil when in memory only).
func (s *Sampler) Store() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Load reads the recorded history into memory (no cluster I/O): a window
// and a half of full-resolution samples and, before them, the downsampled
// history of lag.CoarseSpan. It is done once; later calls do nothing.
func (s *Sampler) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked()
}

func (s *Sampler) loadLocked() error {
	if s.loaded || s.st == nil {
		s.loaded = s.loaded || s.st == nil && s.cfg.Open == nil
		return nil
	}
	s.loaded = true
	now := s.now()
	// Every downsampled tick, not one per CoarseStep: Window.Add keeps the
	// first sample after a reset or rewind in its coarse ring, and that
	// one sets where the rates and the basis start. Full resolution for
	// the last ten minutes at least, so a chart reopens as it was.
	ticks, err := s.st.Load(now, max(s.cfg.Eval.Window*3/2, 10*time.Minute), lag.CoarseSpan, 0)
	if err != nil {
		return err
	}
	s.meta, _ = s.st.ReadMeta()
	for i := range ticks {
		s.apply(&ticks[i])
	}
	if len(ticks) > 0 {
		s.bump()
	}
	return nil
}

// Run keeps the history current until ctx ends: every refresh, the leader
// samples and appends; a follower reads what the leader appended, and tries
// to take over (the leader exited). Errors are kept in PollStats, never
// fatal: the next refresh retries.
func (s *Sampler) Run(ctx context.Context) {
	s.mu.Lock()
	if err := s.loadLocked(); err != nil {
		s.noteErr(err)
	}
	s.mu.Unlock()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		s.step(ctx)
		t.Reset(max(s.cfg.Refresh-time.Since(start), 10*time.Millisecond))
	}
}

// Start runs Run in a goroutine; stop ends it and waits.
func (s *Sampler) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// step is one refresh: lead or follow.
func (s *Sampler) step(ctx context.Context) {
	s.mu.Lock()
	if err := s.openLocked(ctx); err != nil {
		s.noteErr(err)
	}
	st := s.st
	s.mu.Unlock()
	leading := st == nil
	if st != nil {
		s.mu.Lock()
		wasLeader := s.st.Leading()
		ok, err := s.st.TryLead()
		if err != nil {
			s.noteErr(err)
		}
		if ok && !wasLeader {
			// Taking over: read what the last leader wrote first.
			s.followLocked()
		}
		leading = ok
		s.poll.Leader = ok
		if !ok {
			s.followLocked()
		}
		s.mu.Unlock()
	}
	if leading && ctx.Err() == nil {
		_ = s.Sample(ctx)
	}
}

func (s *Sampler) followLocked() {
	ticks, err := s.st.Follow()
	if err != nil {
		s.noteErr(err)
	}
	if len(ticks) == 0 {
		return
	}
	if m, _ := s.st.ReadMeta(); len(m) > 0 {
		s.meta = m
	}
	for i := range ticks {
		s.apply(&ticks[i])
	}
	s.bump()
}

// Sample takes one sample of every group now: GroupLags, then the record
// times of the lagging partitions. When this process leads, the sample is
// appended to the history; otherwise it is kept in memory only (a one-shot
// command whose history is stale).
func (s *Sampler) Sample(ctx context.Context) error {
	start := time.Now()
	gls, err := s.c.GroupLags(ctx, nil)
	var times map[backend.Position]time.Time
	if err == nil {
		s.mu.Lock()
		known := s.times
		s.mu.Unlock()
		times, err = s.c.TimeLags(ctx, gls, known)
		if err != nil {
			// Lag without time lags beats no sample.
			times, err = known, fmt.Errorf("time lags: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.poll.Polls++
	s.poll.Last = time.Now()
	s.poll.Took = time.Since(start)
	if gls == nil {
		s.noteErr(err)
		return err
	}
	if err != nil {
		s.noteErr(err)
		s.poll.TimeErr = err.Error()
	} else {
		s.poll.LastErr, s.poll.TimeErr = "", ""
	}
	s.poll.LastOK = s.poll.Last
	s.times = times
	t := s.tickOf(gls, times)
	s.recordMeta(gls, t.At)
	if s.st != nil && s.st.Leading() {
		if aerr := s.st.Append(t); aerr != nil {
			s.noteErr(aerr)
		}
	}
	s.apply(t)
	s.bump()
	return err
}

func (s *Sampler) noteErr(err error) {
	if err == nil {
		return
	}
	s.poll.Errors++
	s.poll.LastErr = err.Error()
}

// tickOf turns one GroupLags result into a tick, with time lags.
func (s *Sampler) tickOf(gls []backend.GroupLag, times map[backend.Position]time.Time) *Tick {
	at := s.now()
	if len(gls) > 0 && !gls[0].FetchedAt.IsZero() {
		at = gls[0].FetchedAt
	}
	// Millisecond precision, as stored: the leader judges exactly what its
	// followers read back.
	at = time.UnixMilli(at.UnixMilli())
	t := &Tick{At: at, Interval: s.cfg.Refresh, Groups: make([]GroupTick, 0, len(gls))}
	for i := range gls {
		g := &gls[i]
		gt := GroupTick{Group: g.Group, Err: g.Err, Parts: make([]PartTick, 0, len(g.Partitions))}
		for _, p := range g.Partitions {
			w := s.tr.Window(lag.Key{Group: g.Group, Topic: p.Topic, Partition: p.Partition})
			tl := p.TimeLag(at, times, w)
			gt.Parts = append(gt.Parts, PartTick{Topic: p.Topic, Partition: p.Partition, Committed: p.Committed,
				LogStart: p.LogStart, HighWatermark: p.HighWatermark, Active: p.Active,
				TimeLag: tl.Lag.Truncate(time.Millisecond), TimeLagSource: tl.Source, Err: p.Err})
		}
		t.Groups = append(t.Groups, gt)
	}
	return t
}

// recordMeta keeps each group's description and, when leading, rewrites
// meta.json if any changed.
func (s *Sampler) recordMeta(gls []backend.GroupLag, at time.Time) {
	changed := len(gls) != len(s.metaRaw)
	next := make(map[string]GroupMeta, len(gls))
	raw := make(map[string][]byte, len(gls))
	for i := range gls {
		g := &gls[i]
		m := GroupMeta{GroupSummary: g.GroupSummary, MembersInfo: g.MembersInfo}
		for _, p := range g.Partitions {
			if p.Owner != "" {
				if m.Owners == nil {
					m.Owners = map[string]Owner{}
				}
				m.Owners[p.Topic+"/"+strconv.Itoa(int(p.Partition))] = Owner{Member: p.Owner, Client: p.Client, Host: p.Host}
			}
		}
		b, _ := json.Marshal(&m) // plain data: cannot fail
		if string(b) != string(s.metaRaw[g.Group]) {
			changed = true
		}
		next[g.Group], raw[g.Group] = m, b
	}
	s.meta, s.metaRaw = next, raw
	if changed && s.st != nil && s.st.Leading() {
		if err := s.st.WriteMeta(at, next); err != nil {
			s.noteErr(err)
		}
	}
}

// apply adds a tick's samples to the in-memory history.
func (s *Sampler) apply(t *Tick) {
	if s.last != nil && !t.At.After(s.last.At) {
		return // already seen (a follower reading what it sampled)
	}
	for _, g := range t.Groups {
		ts := s.totals[g.Group]
		if ts == nil {
			ts = &totalSeries{}
			s.totals[g.Group] = ts
		}
		ts.add(t.At, g.TotalLag())
		for _, p := range g.Parts {
			s.tr.Add(lag.Key{Group: g.Group, Topic: p.Topic, Partition: p.Partition}, lag.Sample{
				At: t.At, Committed: p.Committed, LogStart: p.LogStart, HighWatermark: p.HighWatermark,
				Active: p.Active, TimeLag: p.TimeLag, TimeLagKnown: p.TimeLagSource != ""})
		}
	}
	if s.since.IsZero() {
		s.since = t.At
	}
	s.last = t
	// Forget partitions not seen for a while, so memory follows the
	// cluster and not everything ever seen.
	if s.seq%64 == 0 {
		cut := t.At.Add(-5 * s.cfg.Eval.Window)
		s.tr.Prune(cut)
		for g, ts := range s.totals {
			if n := len(ts.at); n == 0 || ts.at[n-1].Before(cut) {
				delete(s.totals, g)
			}
		}
	}
	s.seq++
}

// bump judges the new state (here, on the sampler's goroutine: the
// verdicts and the own-group labels may read the data dir, which a UI's
// event loop must not) and tells waiters.
func (s *Sampler) bump() {
	s.snap = nil
	s.snap = s.snapshotLocked()
	close(s.changed)
	s.changed = make(chan struct{})
}

// Totals returns a group's recent total lag, oldest first (at most
// totalsCap points), for a chart that opens with history.
func (s *Sampler) Totals(group string) ([]time.Time, []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.totals[group]
	if ts == nil {
		return nil, nil
	}
	at, v := ts.at, ts.v
	if len(at) > totalsCap {
		at, v = at[len(at)-totalsCap:], v[len(v)-totalsCap:]
	}
	return append([]time.Time(nil), at...), append([]int64(nil), v...)
}

// TotalsTails returns every group's newest n total-lag points (oldest
// first), for a list's trend column: one lock for the whole list, instead
// of a copy of each group's history per row.
func (s *Sampler) TotalsTails(n int) map[string][]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]int64, len(s.totals))
	for g, ts := range s.totals {
		v := ts.v
		if len(v) > n {
			v = v[len(v)-n:]
		}
		out[g] = append([]int64(nil), v...)
	}
	return out
}

// Changed is closed when the next tick arrives (call again for the one
// after).
func (s *Sampler) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close releases the store (and the sampling lock). Run must have ended.
func (s *Sampler) Close() error {
	if s.st == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Close()
}
