package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
)

// Run statuses.
const (
	StatusRunning = "running" // being consumed (or killed while it was: resumable)
	StatusStopped = "stopped" // interrupted cleanly; resumable
	StatusDone    = "done"    // bounded run reached its targets
	StatusFailed  = "failed"  // stopped by an error; resumable once fixed
	// StatusInterrupted: run.json says running, but no process holds the
	// run's state store: it was killed (kill -9, power loss). Resumable.
	// Never written: LoadMeta reports it.
	StatusInterrupted = "interrupted"
)

// Until modes.
const (
	UntilEnd  = "end"
	UntilLive = "live"
)

// PartitionMeta is one source partition of a run.
type PartitionMeta struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	LogStart  int64  `json:"log_start"` // at planning time
	Requested int64  `json:"requested"` // the start asked for (before clamping)
	Start     int64  `json:"start"`
	Target    int64  `json:"target"` // last stable offset at start (bounded end)
	Expired   bool   `json:"expired,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Meta is a run's metadata, kept in <data dir>/projections/ID/run.json
// (written atomically). Offsets and counters live in the state store; the
// Progress here is a periodic copy so list/show work while another process
// holds the store.
type Meta struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	SpecFile   string          `json:"spec_file"`
	SpecHash   string          `json:"spec_hash"`
	Aggregate  string          `json:"aggregate"`
	Topics     []string        `json:"topics"`
	Group      string          `json:"group"`
	Cluster    string          `json:"cluster"`
	From       string          `json:"from"`
	Until      string          `json:"until"`
	Partial    bool            `json:"partial"`
	Partitions []PartitionMeta `json:"partitions"`
	Status     string          `json:"status"`
	Error      string          `json:"error,omitempty"`
	PID        int             `json:"pid,omitempty"`
	Created    time.Time       `json:"created"`
	Updated    time.Time       `json:"updated"`
	Finished   *time.Time      `json:"finished,omitempty"`
	Progress   *Progress       `json:"progress,omitempty"`
}

// Stats are a run's record counters, checkpointed with the state.
type Stats struct {
	Records    int64  `json:"records"`    // consumed
	Rows       int64  `json:"rows"`       // rows in the table
	Applied    int64  `json:"applied"`    // changed the table
	Filtered   int64  `json:"filtered"`   // filter false, or null key/value
	Tombstones int64  `json:"tombstones"` // null values (delete for latest; skipped otherwise)
	Invalid    int64  `json:"invalid"`    // value is not JSON
	Errors     int64  `json:"errors"`     // expression failed at run time
	FirstError string `json:"first_error,omitempty"`
	// FirstErrors are the first few errors (FirstError is the first), each
	// with its topic/partition@offset.
	FirstErrors []string `json:"first_errors,omitempty"`
}

// PartitionProgress is one partition's position in its window.
type PartitionProgress struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Next      int64  `json:"next"`
	Target    int64  `json:"target"`
	Done      int64  `json:"done"`  // offsets consumed since start
	Total     int64  `json:"total"` // window size (target - start)
}

// Progress of a run: records done / target per partition, rate, ETA.
type Progress struct {
	Done       int64               `json:"done"`
	Total      int64               `json:"total"`
	Rate       float64             `json:"rate"` // records/s, recent
	ETA        time.Duration       `json:"eta"`  // 0 when unknown or done
	Rows       int64               `json:"rows"`
	Stats      Stats               `json:"stats"`
	Partitions []PartitionProgress `json:"partitions"`
	Final      bool                `json:"-"`
}

// Options configures Start and Resume.
type Options struct {
	DataDir      string // rewind's data dir; runs live in DataDir/projections/ID
	ID           string // default NAME-YYYYMMDD-HHMMSS
	From         string // default the spec's from, else earliest
	Live         bool   // keep consuming after the targets until ctx is done
	AllowPartial bool   // replay what retention left of an expired window, labelled partial
	// Progress is called at most every ProgressEvery (default 250ms) and
	// once at the end, from the run's goroutine.
	Progress      func(Progress)
	ProgressEvery time.Duration
	Now           func() time.Time
	// MaxPoll bounds the records applied per checkpoint (default 200000).
	MaxPoll int
	// Decoder, when set, decodes values (Avro, Protobuf, ...) before the
	// expressions read them; see Compiled.SetDecoder.
	Decoder *decode.Decoder
	// OnHealth hears about brokers that stop answering and recover; a
	// bounded run fails after the cluster's stall timeout, checkpointed at
	// the last record it applied.
	OnHealth func(backend.Health)
	// CommitEvery is the longest applied records wait for a checkpoint
	// (default 1s).
	CommitEvery time.Duration

	// hook, for tests: called at named points; "record" after each record
	// is applied in memory, "commit" before each checkpoint batch; "reads"
	// at the end with the point reads of the state store.
	hook func(stage string, n int64)
	// partBytes overrides the per-partition fetch size, for tests that
	// need many fetches from a small topic.
	partBytes int32
	// cacheBytes, for tests: the state cache's bound (default maxCacheBytes).
	cacheBytes int64
	// keepWAL, for tests: leave the table in the WAL at the end, as a run
	// killed before it ended does (no flush).
	keepWAL bool
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// RunsDir is where runs live under rewind's data dir.
func RunsDir(dataDir string) string { return filepath.Join(dataDir, "projections") }

// RunDir is one run's directory.
func RunDir(dataDir, id string) string { return filepath.Join(RunsDir(dataDir), id) }

func metaPath(dataDir, id string) string  { return filepath.Join(RunDir(dataDir, id), "run.json") }
func statePath(dataDir, id string) string { return filepath.Join(RunDir(dataDir, id), "state") }

// GroupName is the isolated consumer group of a run.
func GroupName(name, id string) string { return "rewind.projection." + name + "." + id }

// ErrUnknownRun is returned for a run id with no run.
var ErrUnknownRun = errors.New("no such projection run")

// ErrWindowExpired is the expired-window guard's refusal.
var ErrWindowExpired = errors.New("refused: the requested window no longer exists")

// LoadMeta reads a run's metadata.
func LoadMeta(dataDir, id string) (*Meta, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(metaPath(dataDir, id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownRun, id, RunsDir(dataDir))
	}
	if err != nil {
		return nil, fmt.Errorf("read run %q: %w", id, err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("run %q: %s is damaged (%v): delete the run (rewind project delete %s) or restore the file", id, metaPath(dataDir, id), err, id)
	}
	if m.Status == StatusRunning && !writtenNow(dataDir, &m) {
		m.Status = StatusInterrupted
		if m.Error == "" {
			m.Error = fmt.Sprintf("interrupted: the process (pid %d) ended without stopping the run; continue with: rewind project resume %s", m.PID, m.ID)
		}
		m.PID = 0
	}
	return &m, nil
}

// writtenNow reports whether a process holds the run's state store: this
// one, or another (its pid replaces m.PID, which the kernel vouches for).
func writtenNow(dataDir string, m *Meta) bool {
	if abs, err := filepath.Abs(statePath(dataDir, m.ID)); err == nil {
		storesMu.Lock()
		_, mine := stores[abs]
		storesMu.Unlock()
		if mine {
			return true
		}
	}
	switch pid := lockHolder(statePath(dataDir, m.ID)); {
	case pid > 0:
		m.PID = pid
		return true
	case pid == 0:
		return false
	}
	return true // cannot tell: as run.json says
}

// ListRuns lists runs, oldest first.
func ListRuns(dataDir string) ([]*Meta, error) {
	ents, err := os.ReadDir(RunsDir(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list projection runs: %w", err)
	}
	var out []*Meta
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") { // .ID.new-*: a run being created
			continue
		}
		m, err := LoadMeta(dataDir, e.Name())
		if err != nil {
			continue // half-created run dir: not a run
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func saveMeta(dataDir string, m *Meta) error {
	return writeMetaFile(metaPath(dataDir, m.ID), m)
}

// writeMetaFile writes m to path atomically (temp, fsync, rename).
func writeMetaFile(path string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save run %q: %w", m.ID, err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save run %q: %w", m.ID, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save run %q: %w", m.ID, err)
	}
	return nil
}

func checkID(id string) error {
	if !nameRE.MatchString(id) {
		return fmt.Errorf("bad run id %q: use letters, digits, '.', '_' or '-'", id)
	}
	return nil
}

// DefaultID names a run NAME-YYYYMMDD-HHMMSS.
func DefaultID(name string, now time.Time) string {
	return name + "-" + now.UTC().Format("20060102-150405")
}

// Plan resolves a new run's window without creating anything: start and
// target per partition, and the expired-window guard. It fails with
// ErrWindowExpired (naming each partition) unless o.AllowPartial.
func Plan(ctx context.Context, cl *backend.Cluster, c *Compiled, o Options) (*Meta, error) {
	s := c.Spec
	from := o.From
	if from == "" {
		from = s.From
	}
	if from == "" {
		from = "earliest"
	}
	now := o.now()
	st, err := backend.ParseStart(from, now)
	if err != nil {
		return nil, err
	}
	id := o.ID
	if id == "" {
		id = DefaultID(s.Name, now)
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	until := UntilEnd
	if o.Live {
		until = UntilLive
	}
	m := &Meta{ID: id, Name: s.Name, SpecFile: s.File, SpecHash: s.Hash(), Aggregate: s.Aggregate,
		Topics: append([]string(nil), s.Topics...), Group: GroupName(s.Name, id), Cluster: cl.Addr(),
		From: from, Until: until, Status: StatusRunning, Created: now.UTC(), Updated: now.UTC()}
	var expired []string
	for _, t := range s.Topics {
		wm, err := cl.Watermarks(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("projection %s: %w", s.Name, err)
		}
		if len(wm) == 0 {
			return nil, fmt.Errorf("projection %s: %w %q", s.Name, backend.ErrUnknownTopic, t)
		}
		// Runs read committed records only; the window ends at the last
		// stable offset taken now, before transactions still open.
		lso, err := cl.StableOffsets(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("projection %s: %w", s.Name, err)
		}
		for p, w := range wm {
			if o, ok := lso[p]; ok && o >= w[0] && o <= w[1] {
				wm[p] = [2]int64{w[0], o}
			}
		}
		var byTime map[int32]int64
		if st.Kind == backend.StartTime {
			if byTime, err = cl.OffsetsForTime(ctx, t, st.Time); err != nil {
				return nil, fmt.Errorf("projection %s: %w", s.Name, err)
			}
		}
		parts := make([]int32, 0, len(wm))
		for p := range wm {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, p := range parts {
			lo, hi := wm[p][0], wm[p][1]
			pm := PartitionMeta{Topic: t, Partition: p, LogStart: lo, Target: hi}
			req := lo
			switch st.Kind {
			case backend.StartLatest:
				req = hi
			case backend.StartOffset:
				req = st.Offset
			case backend.StartFromEnd:
				req = hi - st.Offset // hi >= 0 and 0 <= st.Offset: no overflow
			case backend.StartTime:
				req = hi
				if v, ok := byTime[p]; ok {
					req = v
					if v == lo && lo > 0 {
						pm.Expired = true
						pm.Note = fmt.Sprintf("the oldest remaining record (offset %d) is at or after %s and offsets 0-%d were deleted by retention: the window may have started in them",
							lo, st.Time.UTC().Format(time.RFC3339), lo-1)
					}
				}
			}
			pm.Requested = req
			if req < lo && lo > 0 {
				pm.Expired = true
				pm.Note = fmt.Sprintf("needs offset %d but the log starts at %d: %d records were deleted by retention", max(req, 0), lo, lo-max(req, 0))
			}
			pm.Start = min(max(req, lo), hi)
			if pm.Expired {
				expired = append(expired, fmt.Sprintf("%s/%d: %s", t, p, pm.Note))
				if o.AllowPartial {
					pm.Note = "PARTIAL: " + pm.Note
				}
			}
			m.Partitions = append(m.Partitions, pm)
		}
	}
	if len(expired) > 0 {
		if !o.AllowPartial {
			return nil, fmt.Errorf("%w on %d partition(s): retention deleted records it needs; replaying what is left is a separate choice (--allow-partial), labelled partial: %s",
				ErrWindowExpired, len(expired), strings.Join(expired, "; "))
		}
		m.Partial = true
	}
	return m, nil
}

// Start plans and runs a new projection run (see Plan and Resume). The run
// directory is created only once the plan passed its guards.
func Start(ctx context.Context, cl *backend.Cluster, c *Compiled, o Options) (*Meta, error) {
	m, err := Plan(ctx, cl, c, o)
	if err != nil {
		return nil, err
	}
	// Not "running" until execute holds the state store: a run.json that
	// says running with nobody holding the store reads as interrupted.
	m.Status = StatusStopped
	if err := createRunDir(o.DataDir, m, c.Spec.Source); err != nil {
		return nil, err
	}
	return execute(ctx, cl, c, m, o)
}

// createRunDir creates the run's directory with its spec copy and
// metadata at once: they are written in a temporary directory renamed
// into place, so a process killed at any point leaves either no run or a
// run that list, show and resume know. A run directory without metadata
// (left by an earlier version killed at this step) never ran: it is
// replaced.
func createRunDir(dataDir string, m *Meta, spec string) error {
	dir := RunDir(dataDir, m.ID)
	if _, err := os.Stat(metaPath(dataDir, m.ID)); err == nil {
		return fmt.Errorf("projection run %q already exists in %s (resume it: rewind project resume %s, or choose another --name)", m.ID, RunsDir(dataDir), m.ID)
	}
	if err := os.MkdirAll(RunsDir(dataDir), 0o755); err != nil {
		return fmt.Errorf("create run %q: %w", m.ID, err)
	}
	tmp, err := os.MkdirTemp(RunsDir(dataDir), "."+m.ID+".new-")
	if err != nil {
		return fmt.Errorf("create run %q: %w", m.ID, err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; left only on failure
	if err := os.WriteFile(filepath.Join(tmp, "spec.yaml"), []byte(spec), 0o644); err != nil {
		return fmt.Errorf("create run %q: %w", m.ID, err)
	}
	if err := writeMetaFile(filepath.Join(tmp, "run.json"), m); err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("create run %q: removing a half-created run directory: %w", m.ID, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(metaPath(dataDir, m.ID)); serr == nil {
			return fmt.Errorf("projection run %q already exists in %s (resume it: rewind project resume %s, or choose another --name)", m.ID, RunsDir(dataDir), m.ID)
		}
		return fmt.Errorf("create run %q: %w", m.ID, err)
	}
	return nil
}

// LoadRunSpec compiles the copy of the spec a run was started with.
func LoadRunSpec(dataDir, id string) (*Compiled, error) {
	m, err := LoadMeta(dataDir, id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(RunDir(dataDir, id), "spec.yaml"))
	if err != nil {
		return nil, fmt.Errorf("run %q: spec copy: %w", id, err)
	}
	s, err := ParseSpec(m.SpecFile, data)
	if err != nil {
		return nil, err
	}
	return Compile(s)
}

// Resume continues a run (killed, stopped or failed) from its last
// checkpoint, with the spec it started with, to the same targets: the result
// is the one an uninterrupted run gives. c may be nil (the run's own copy of
// the spec is used); when given it must be the same spec.
func Resume(ctx context.Context, cl *backend.Cluster, dataDir, id string, c *Compiled, o Options) (*Meta, error) {
	m, err := LoadMeta(dataDir, id)
	if err != nil {
		return nil, err
	}
	own, err := LoadRunSpec(dataDir, id)
	if err != nil {
		return nil, err
	}
	if c != nil && c.Spec.Hash() != m.SpecHash {
		return nil, fmt.Errorf("run %q was started with a different version of spec %s: start a new run (another --name) or resume it with its own spec (rewind project resume %s)", id, m.SpecFile, id)
	}
	if m.Status == StatusDone {
		return m, fmt.Errorf("run %q is already done", id)
	}
	o.DataDir = dataDir
	if o.Live {
		m.Until = UntilLive
	}
	return execute(ctx, cl, own, m, o)
}
