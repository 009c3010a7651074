// Package laghist records consumer-group lag all the time and keeps it per
// cluster in the data dir, so verdicts and charts have history the moment
// a screen opens, after a restart too.
//
// # On disk
//
// DATA/lag/<cluster>/ holds, for one cluster (named by Key):
//
//	LOCK                      flock of the one process that samples (the leader)
//	meta.json                 the newest description of every group (state,
//	                          members, owners), rewritten atomically on change
//	full-<unix ms>.jsonl      every sample (full resolution), one segment per
//	                          hour or 32 MiB
//	down-<unix ms>.jsonl      one sample a minute (downsampled), one segment
//	                          per day or 32 MiB
//
// Each line is one tick (see format.go). Retention: full resolution for
// the last FullRetention (6h), downsampled for Retention (7 days), and at
// most MaxBytes (256 MiB) on disk, which wins over the retention on big
// clusters (full resolution gets 2/3 of it). A segment is deleted whole
// once everything in it is older than its tier keeps. Downsampling picks
// real samples (the first of each minute): offsets are counters, so a
// picked sample is exact where an average would not be.
//
// # Several processes
//
// Every rewind process connected to a cluster runs a Sampler on its store.
// Exactly one of them holds LOCK and samples the cluster, appending one
// tick per refresh; the others follow the newest full segment and see the
// same ticks, so nothing is sampled twice and two writers never interleave.
// The kernel drops the lock when the leader exits (crash included) and the
// next follower to try takes over. A torn last line (a crash mid-write) is
// ignored by readers and cut off by the next leader before it appends.
package laghist

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend"
)

// Dir is the lag history's dir inside the data dir.
const Dir = "lag"

// Defaults of Options.
const (
	DefaultFullRetention = 6 * time.Hour
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultDownStep      = time.Minute
	DefaultMaxBytes      = 256 << 20
	defaultSegmentBytes  = 32 << 20
	fullSegmentSpan      = time.Hour
	downSegmentSpan      = 24 * time.Hour
)

// Options bound the store. Zero values are the defaults.
type Options struct {
	FullRetention time.Duration
	Retention     time.Duration
	DownStep      time.Duration
	MaxBytes      int64
	// SegmentBytes rotates a segment once it is this large (32 MiB).
	SegmentBytes int64
}

func (o *Options) defaults() {
	if o.FullRetention <= 0 {
		o.FullRetention = DefaultFullRetention
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	o.Retention = max(o.Retention, o.FullRetention)
	if o.DownStep <= 0 {
		o.DownStep = DefaultDownStep
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = defaultSegmentBytes
	}
}

// Key names a cluster's history: its cluster id, plus the seed brokers when
// the id does not tell clusters apart (none, or kfake's fixed "kfake").
// The result is safe as a file name.
func Key(clusterID string, brokers []string) string {
	k := clusterID
	if k == "" || k == "kfake" {
		bs := append([]string(nil), brokers...)
		sort.Strings(bs)
		if k == "" {
			k = "cluster"
		}
		k += "@" + strings.Join(bs, ",")
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '@', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	s := b.String()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// Store is one cluster's lag history. Methods are not safe for concurrent
// use; the Sampler owns its store.
type Store struct {
	dir  string
	opts Options

	lock *backend.FileLock // held while leading
	full seg
	down seg
	// appended counts appends, to run retention every few of them.
	appended int

	// follow is where a follower has read the full tier up to.
	follow struct {
		name    string
		off     int64
		started bool
	}
}

// seg is the segment a leader appends to.
type seg struct {
	f     *os.File
	name  string
	first time.Time
	last  time.Time
	size  int64
}

// Open opens (creating) the history of cluster key in dataDir.
func Open(dataDir, key string, opts Options) (*Store, error) {
	opts.defaults()
	dir := filepath.Join(dataDir, Dir, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lag history %s: %w", dir, err)
	}
	return &Store{dir: dir, opts: opts}, nil
}

// Path is the store's dir.
func (s *Store) Path() string { return s.dir }

// Leading reports whether this store holds the sampling lock.
func (s *Store) Leading() bool { return s.lock != nil }

// TryLead takes the sampling lock if no other process holds it. A new
// leader cuts a torn last line off the segments it will append to.
func (s *Store) TryLead() (bool, error) {
	if s.lock != nil {
		return true, nil
	}
	l, err := backend.TryLockFile(filepath.Join(s.dir, "LOCK"))
	if errors.Is(err, backend.ErrLocked) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.lock = l
	for _, tier := range []struct {
		sg     *seg
		prefix string
	}{{&s.full, "full-"}, {&s.down, "down-"}} {
		if err := s.reopen(tier.sg, tier.prefix); err != nil {
			s.Close()
			return false, err
		}
	}
	return true, nil
}

// reopen opens the newest segment of a tier for appending, repaired.
func (s *Store) reopen(sg *seg, prefix string) error {
	names, err := s.segments(prefix)
	if err != nil || len(names) == 0 {
		return err
	}
	name := names[len(names)-1]
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("lag history: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("lag history: %w", err)
	}
	size := st.Size()
	// Cut a torn last line (a crash mid-append) so the next one starts on
	// a line of its own.
	if size > 0 {
		tail, err := readTail(f, size, 64<<10)
		if err != nil {
			f.Close()
			return err
		}
		if len(tail) > 0 && tail[len(tail)-1] != '\n' {
			cut := bytes.LastIndexByte(tail, '\n') + 1
			size -= int64(len(tail) - cut)
			if err := f.Truncate(size); err != nil {
				f.Close()
				return fmt.Errorf("lag history: repairing %s: %w", name, err)
			}
		}
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("lag history: %w", err)
	}
	*sg = seg{f: f, name: name, first: nameTime(name), size: size}
	if t, ok := s.lastTime(path, size); ok {
		sg.last = t
	}
	return nil
}

// Close releases the lock and the files. Safe to call twice.
func (s *Store) Close() error {
	var errs []error
	for _, sg := range []*seg{&s.full, &s.down} {
		if sg.f != nil {
			errs = append(errs, sg.f.Close())
			sg.f = nil
		}
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Release())
		s.lock = nil
	}
	return errors.Join(errs...)
}

// ErrNotLeader is returned by writes of a store that does not hold the lock.
var ErrNotLeader = errors.New("lag history: not the sampling process")

// Append writes one tick (leader only): to the full tier always, to the
// downsampled tier when it is the first of its minute. Retention runs
// every few appends.
func (s *Store) Append(t *Tick) error {
	if s.lock == nil {
		return ErrNotLeader
	}
	line, err := encodeTick(t)
	if err != nil {
		return err
	}
	if err := s.appendTo(&s.full, "full-", fullSegmentSpan, t.At, line); err != nil {
		return err
	}
	step := s.opts.DownStep
	if s.down.f == nil || s.down.last.IsZero() || t.At.Truncate(step).After(s.down.last.Truncate(step)) {
		if err := s.appendTo(&s.down, "down-", downSegmentSpan, t.At, line); err != nil {
			return err
		}
	}
	s.appended++
	if s.appended%30 == 1 {
		return s.Prune(t.At)
	}
	return nil
}

func (s *Store) appendTo(sg *seg, prefix string, span time.Duration, at time.Time, line []byte) error {
	if !sg.last.IsZero() && at.Before(sg.last) {
		return nil // older than what is written (a clock step back): dropped
	}
	if sg.f == nil || at.Sub(sg.first) >= span || sg.size+int64(len(line)) > s.opts.SegmentBytes {
		if err := s.rotate(sg, prefix, at); err != nil {
			return err
		}
	}
	// One write per line: O_APPEND and a single write keep a line whole
	// for followers reading as it is written.
	n, err := sg.f.Write(line)
	sg.size += int64(n)
	if err != nil {
		return fmt.Errorf("lag history: writing %s: %w", sg.name, err)
	}
	sg.last = at
	return nil
}

func (s *Store) rotate(sg *seg, prefix string, at time.Time) error {
	if sg.f != nil {
		_ = sg.f.Sync()
		_ = sg.f.Close()
		sg.f = nil
	}
	ms := at.UnixMilli()
	if !sg.first.IsZero() {
		ms = max(ms, sg.first.UnixMilli()+1) // names stay in time order
	}
	for {
		name := fmt.Sprintf("%s%013d.jsonl", prefix, ms)
		f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if errors.Is(err, os.ErrExist) {
			ms++
			continue
		}
		if err != nil {
			return fmt.Errorf("lag history: %w", err)
		}
		if _, err := f.Write(header); err != nil {
			f.Close()
			return fmt.Errorf("lag history: %w", err)
		}
		*sg = seg{f: f, name: name, first: time.UnixMilli(ms), size: int64(len(header))}
		return nil
	}
}

// segments lists a tier's segment names, oldest first.
func (s *Store) segments(prefix string) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".jsonl") && !nameTime(n).IsZero() {
			out = append(out, n)
		}
	}
	sort.Strings(out) // fixed-width times: name order is time order
	return out, nil
}

// nameTime is the first-tick time in a segment's name (zero if malformed).
func nameTime(name string) time.Time {
	i := strings.IndexByte(name, '-')
	j := strings.LastIndex(name, ".jsonl")
	if i < 0 || j <= i+1 || j-i-1 != 13 {
		return time.Time{}
	}
	var ms int64
	for _, c := range name[i+1 : j] {
		if c < '0' || c > '9' {
			return time.Time{}
		}
		ms = ms*10 + int64(c-'0')
	}
	return time.UnixMilli(ms)
}

// Prune deletes segments past their tier's retention and, oldest first,
// those over the disk budget (leader only; a no-op otherwise).
func (s *Store) Prune(now time.Time) error {
	if s.lock == nil {
		return nil
	}
	var errs []error
	for _, tier := range []struct {
		prefix string
		keep   time.Duration
		budget int64
		cur    string
	}{
		{"full-", s.opts.FullRetention, s.opts.MaxBytes * 2 / 3, s.full.name},
		{"down-", s.opts.Retention, s.opts.MaxBytes / 3, s.down.name},
	} {
		names, err := s.segments(tier.prefix)
		if err != nil {
			return err
		}
		sizes := make([]int64, len(names))
		var total int64
		for i, n := range names {
			if st, err := os.Stat(filepath.Join(s.dir, n)); err == nil {
				sizes[i] = st.Size()
				total += sizes[i]
			}
		}
		cut := now.Add(-tier.keep)
		for i := 0; i < len(names)-1 && names[i] != tier.cur; i++ {
			// A segment ends where the next one starts.
			expired := nameTime(names[i+1]).Before(cut)
			if !expired && total <= tier.budget {
				break
			}
			if err := os.Remove(filepath.Join(s.dir, names[i])); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			total -= sizes[i]
		}
	}
	return errors.Join(errs...)
}

// DiskUsage is the bytes the history's segments take.
func (s *Store) DiskUsage() int64 {
	var n int64
	for _, p := range []string{"full-", "down-"} {
		names, _ := s.segments(p)
		for _, name := range names {
			if st, err := os.Stat(filepath.Join(s.dir, name)); err == nil {
				n += st.Size()
			}
		}
	}
	return n
}

// GroupMeta is what a tick does not carry about a group: its description,
// members and who owns each partition. Kept in meta.json.
type GroupMeta struct {
	backend.GroupSummary
	MembersInfo []backend.MemberInfo `json:"members_info"`
	// Owners maps "topic/partition" to its owner.
	Owners map[string]Owner `json:"owners,omitempty"`
}

// Owner is the member holding a partition.
type Owner struct {
	Member string `json:"member"`
	Client string `json:"client,omitempty"`
	Host   string `json:"host,omitempty"`
}

type metaFile struct {
	At     time.Time            `json:"at"`
	Groups map[string]GroupMeta `json:"groups"`
}

// WriteMeta replaces meta.json atomically (leader only).
func (s *Store) WriteMeta(at time.Time, groups map[string]GroupMeta) error {
	if s.lock == nil {
		return ErrNotLeader
	}
	b, err := json.Marshal(metaFile{At: at, Groups: groups})
	if err != nil {
		return fmt.Errorf("lag history: encoding meta: %w", err)
	}
	tmp := filepath.Join(s.dir, ".meta.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("lag history: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "meta.json")); err != nil {
		return fmt.Errorf("lag history: %w", err)
	}
	return nil
}

// ReadMeta reads meta.json; an absent or damaged file is an empty map.
func (s *Store) ReadMeta() (map[string]GroupMeta, time.Time) {
	b, err := os.ReadFile(filepath.Join(s.dir, "meta.json"))
	if err != nil {
		return map[string]GroupMeta{}, time.Time{}
	}
	var m metaFile
	if json.Unmarshal(b, &m) != nil || m.Groups == nil {
		return map[string]GroupMeta{}, time.Time{}
	}
	return m.Groups, m.At
}

// lastTime is the time of the last complete tick of a file of size bytes.
func (s *Store) lastTime(path string, size int64) (time.Time, bool) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	tail, err := readTail(f, size, 64<<10)
	if err != nil {
		return time.Time{}, false
	}
	lines := completeLines(tail)
	for i := len(lines) - 1; i >= 0; i-- {
		if t, ok := lineTime(lines[i]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// readTail reads up to n bytes before size.
func readTail(f *os.File, size, n int64) ([]byte, error) {
	off := max(size-n, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("lag history: %w", err)
	}
	return buf, nil
}

// completeLines splits b into the lines that end with a newline (without
// it); a trailing partial line is left out.
func completeLines(b []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return out
		}
		out = append(out, b[:i])
		b = b[i+1:]
	}
}

// scanFile calls fn for every complete line of a file from offset off and
// returns the offset after the last complete line.
func scanFile(path string, off int64, fn func(line []byte) bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return off, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return off, err
	}
	r := bufio.NewReaderSize(f, 256<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: read it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return off, nil // a partial last line is not consumed
			}
			return off, err
		}
		off += int64(len(line))
		if !fn(line[:len(line)-1]) {
			return off, nil
		}
	}
}
