package project

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// Table is a consistent, read-only view of a run's table: a Pebble snapshot
// of its store. It can be opened while the run is going in the same process
// (the store is shared); another process holding the store gives ErrInUse.
type Table struct {
	Meta *Meta
	st   *store
	snap *pebble.Snapshot
}

// OpenTable opens a run's table at its current checkpoint.
func OpenTable(dataDir, id string) (*Table, error) {
	m, err := LoadMeta(dataDir, id)
	if err != nil {
		return nil, err
	}
	st, err := openStore(statePath(dataDir, id), false)
	if err != nil {
		if errors.Is(err, ErrInUse) {
			return nil, inUse(dataDir, m)
		}
		return nil, fmt.Errorf("run %q: %w", id, err)
	}
	t := &Table{Meta: m, st: st, snap: st.db.NewSnapshot()}
	if err := t.checkIntact(dataDir); err != nil {
		_ = t.Close()
		return nil, err
	}
	return t, nil
}

// inUse says which process holds a run's state store open: the kernel's
// lock owner (pid and command name), else the pid in run.json. The holder
// is its writer while the run is going; otherwise it is a reader (a diff,
// an export, the TUI's side-by-side).
func inUse(dataDir string, m *Meta) error {
	pid := lockHolder(statePath(dataDir, m.ID))
	if pid <= 0 && m.Status == StatusRunning {
		pid = m.PID
	}
	who := "another process"
	if pid > 0 {
		who = fmt.Sprintf("pid %d", pid)
		if name := processName(pid); name != "" {
			who += " (" + name + ")"
		}
	}
	if m.Status == StatusRunning && (pid <= 0 || pid == m.PID) {
		return fmt.Errorf("run %q is being written by %s: wait for it to finish or stop it (a run resumes where it stopped), or look from that process: %w", m.ID, who, ErrInUse)
	}
	return fmt.Errorf("run %q is held open by %s (a diff, an export or the TUI's side-by-side keeps it open): close it there, or quit that process: %w", m.ID, who, ErrInUse)
}

// checkIntact compares the store's checkpoint with the run's metadata,
// which is written after each checkpoint: a store that holds fewer records
// than the metadata says were checkpointed lost them (a truncated or
// corrupt state file that Pebble recovered past). Such a table is never
// shown, diffed, exported or published as if it were whole.
func (t *Table) checkIntact(dataDir string) error {
	s, err := t.Stats()
	if err != nil {
		return fmt.Errorf("run %q: the state store %s is damaged (its counters do not read: %v); delete the run and run it again", t.Meta.ID, statePath(dataDir, t.Meta.ID), err)
	}
	if p := t.Meta.Progress; p != nil && s.Records < p.Stats.Records {
		return fmt.Errorf("run %q: the state store %s is damaged: it holds %d of the %d records the run checkpointed (%d of %d rows); delete the run and run it again",
			t.Meta.ID, statePath(dataDir, t.Meta.ID), s.Records, p.Stats.Records, s.Rows, p.Stats.Rows)
	}
	return nil
}

// Close releases the snapshot and the store.
func (t *Table) Close() error {
	return errors.Join(t.snap.Close(), t.st.Close())
}

// Stats are the record counters at the snapshot.
func (t *Table) Stats() (Stats, error) {
	var s Stats
	b, ok, err := get(t.snap, keyStats)
	if err != nil || !ok {
		return s, err
	}
	return s, jsonUnmarshal(b, &s)
}

// Offsets are the checkpointed next offsets at the snapshot.
func (t *Table) Offsets() (map[string]map[int32]int64, error) {
	o, err := readOffsets(t.snap)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int32]int64{}
	for k, v := range o {
		if out[k.Topic] == nil {
			out[k.Topic] = map[int32]int64{}
		}
		out[k.Topic][k.Partition] = v
	}
	return out, nil
}

// RowIter walks a table in key order (bytewise).
type RowIter struct {
	it    *pebble.Iterator
	first bool
	ok    bool
}

// Iter returns an iterator over the rows; Close it.
func (t *Table) Iter() (*RowIter, error) {
	it, err := t.snap.NewIter(&pebble.IterOptions{LowerBound: prefixRow, UpperBound: upper(prefixRow)})
	if err != nil {
		return nil, err
	}
	return &RowIter{it: it, first: true}, nil
}

// Next advances; false at the end (check Err).
func (r *RowIter) Next() bool {
	if r.first {
		r.first = false
		r.ok = r.it.First()
	} else if r.ok {
		r.ok = r.it.Next()
	}
	return r.ok
}

// Key and Value are valid until the next call to Next.
func (r *RowIter) Key() []byte   { return r.it.Key()[len(prefixRow):] }
func (r *RowIter) Value() []byte { return r.it.Value() }
func (r *RowIter) Err() error    { return r.it.Error() }
func (r *RowIter) Close() error  { return r.it.Close() }

// Checksum is computed over a table's rows in key order: SHA-256 of, for
// each row, uvarint(len(key)) key uvarint(len(value)) value, where value is
// the row's JSON as shown. Two tables have the same checksum exactly when
// they have the same rows.
type Checksum struct {
	h    hash.Hash
	n    int64
	lens [2 * binary.MaxVarintLen64]byte
}

// NewChecksum starts a checksum.
func NewChecksum() *Checksum { return &Checksum{h: sha256.New()} }

// Add adds the next row (in key order).
func (c *Checksum) Add(key, value []byte) {
	b := binary.AppendUvarint(c.lens[:0], uint64(len(key)))
	c.h.Write(b)
	c.h.Write(key)
	b = binary.AppendUvarint(c.lens[:0], uint64(len(value)))
	c.h.Write(b)
	c.h.Write(value)
	c.n++
}

// Sum is the hex digest; Rows the rows added.
func (c *Checksum) Sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// Rows is the number of rows added.
func (c *Checksum) Rows() int64 { return c.n }

// TableChecksum streams a table and returns its checksum and row count.
func (t *Table) Checksum(ctx context.Context) (string, int64, error) {
	it, err := t.Iter()
	if err != nil {
		return "", 0, err
	}
	defer it.Close()
	c := NewChecksum()
	for i := 0; it.Next(); i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		c.Add(it.Key(), it.Value())
	}
	if err := it.Err(); err != nil {
		return "", 0, err
	}
	return c.Sum(), c.Rows(), nil
}

// Diff markers.
const (
	MarkAdded   = "added"   // only in the right run
	MarkRemoved = "removed" // only in the left run
	MarkChanged = "changed"
	MarkSame    = "same"
)

// DiffRow is one key of a comparison. Left/Right are nil when absent.
type DiffRow struct {
	Key    string          `json:"key"`
	Left   json.RawMessage `json:"left"`
	Right  json.RawMessage `json:"right"`
	Marker string          `json:"marker"`
}

// DiffSummary counts a comparison.
type DiffSummary struct {
	Left          string `json:"left"`
	Right         string `json:"right"`
	Added         int64  `json:"added"`
	Removed       int64  `json:"removed"`
	Changed       int64  `json:"changed"`
	Same          int64  `json:"same"`
	LeftRows      int64  `json:"left_rows"`
	RightRows     int64  `json:"right_rows"`
	LeftChecksum  string `json:"left_checksum"`
	RightChecksum string `json:"right_checksum"`
	LeftStatus    string `json:"left_status"`
	RightStatus   string `json:"right_status"`
}

// Diff compares two tables by streaming both in key order (a merge join;
// memory does not grow with the tables) and calls fn for every key (fn may
// be nil; it decides itself whether to keep "same" rows). The row's key and
// values point into the tables' iterators: they are valid only during the
// call (copy what is kept; see DiffRow.Clone). Both sides are snapshots, so
// runs may still be going.
func Diff(ctx context.Context, left, right *Table, fn func(*DiffRow) error) (*DiffSummary, error) {
	s := &DiffSummary{Left: left.Meta.ID, Right: right.Meta.ID, LeftStatus: left.Meta.Status, RightStatus: right.Meta.Status}
	li, err := left.Iter()
	if err != nil {
		return nil, err
	}
	defer li.Close()
	ri, err := right.Iter()
	if err != nil {
		return nil, err
	}
	defer ri.Close()
	lc, rc := NewChecksum(), NewChecksum()
	lok, rok := li.Next(), ri.Next()
	for n := 0; lok || rok; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		cmp := 0
		switch {
		case !lok:
			cmp = 1
		case !rok:
			cmp = -1
		default:
			cmp = bytes.Compare(li.Key(), ri.Key())
		}
		row := DiffRow{}
		switch {
		case cmp < 0:
			lc.Add(li.Key(), li.Value())
			s.Removed++
			row = DiffRow{Key: unsafeString(li.Key()), Left: li.Value(), Marker: MarkRemoved}
		case cmp > 0:
			rc.Add(ri.Key(), ri.Value())
			s.Added++
			row = DiffRow{Key: unsafeString(ri.Key()), Right: ri.Value(), Marker: MarkAdded}
		default:
			lc.Add(li.Key(), li.Value())
			rc.Add(ri.Key(), ri.Value())
			m := MarkSame
			if !bytes.Equal(li.Value(), ri.Value()) {
				m = MarkChanged
				s.Changed++
			} else {
				s.Same++
			}
			row = DiffRow{Key: unsafeString(li.Key()), Left: li.Value(), Right: ri.Value(), Marker: m}
		}
		// The row points into the iterators: hand it over before they move.
		if fn != nil {
			if err := fn(&row); err != nil {
				return nil, err
			}
		}
		if cmp <= 0 {
			lok = li.Next()
		}
		if cmp >= 0 {
			rok = ri.Next()
		}
	}
	if err := errors.Join(li.Err(), ri.Err()); err != nil {
		return nil, err
	}
	s.LeftChecksum, s.RightChecksum = lc.Sum(), rc.Sum()
	s.LeftRows, s.RightRows = lc.Rows(), rc.Rows()
	return s, nil
}

func clone(b []byte) json.RawMessage { return append(json.RawMessage{}, b...) }

// Clone is a copy of a row that outlives the Diff callback.
func (r *DiffRow) Clone() DiffRow {
	c := DiffRow{Key: strings.Clone(r.Key), Marker: r.Marker}
	if r.Left != nil {
		c.Left = clone(r.Left)
	}
	if r.Right != nil {
		c.Right = clone(r.Right)
	}
	return c
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
