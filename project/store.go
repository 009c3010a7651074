package project

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// Layout of a run's Pebble store (one DB per run, <run dir>/state):
//
//	r/KEY                 the table: row KEY -> its value as JSON (what
//	                      diff, checksum, export and publish read)
//	s/KEY                 aggregate state the row is derived from (exact
//	                      sum and count for sum/avg, the winning record's
//	                      position for latest, kept after a tombstone)
//	o/TOPIC\x00PARTITION  next offset to consume (big-endian int64)
//	x/stats               record counters (JSON)
//
// The rows, their state, the offsets and the counters of one poll are
// written in one pebble.Batch committed with Sync: a run killed at any
// point resumes from a checkpoint whose state matches its offsets exactly.
var (
	prefixRow   = []byte("r/")
	prefixState = []byte("s/")
	prefixOff   = []byte("o/")
	keyStats    = []byte("x/stats")
)

func offKey(topic string, p int32) []byte {
	b := append(append([]byte(nil), prefixOff...), topic...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint32(b, uint32(p))
}

// upper returns the exclusive upper bound of a prefix.
func upper(prefix []byte) []byte {
	u := append([]byte(nil), prefix...)
	u[len(u)-1]++
	return u
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// ErrInUse is returned when a run's store is held by another process.
var ErrInUse = errors.New("in use by another process")

// store is a shared handle on one run's Pebble DB: a run in progress and a
// diff (or export) in the same process use the same DB, so a diff works on
// a run that is still going (through a snapshot). Another process cannot
// open it (Pebble locks the directory): that is ErrInUse.
type store struct {
	path string
	db   *pebble.DB
	refs int
}

var (
	storesMu sync.Mutex
	stores   = map[string]*store{}
)

func openStore(path string, create bool) (*store, error) {
	storesMu.Lock()
	defer storesMu.Unlock()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if s, ok := stores[abs]; ok {
		s.refs++
		return s, nil
	}
	if !create {
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("state store %s: %w", abs, err)
		}
	}
	po := &pebble.Options{
		Logger:           quietLogger{},
		ErrorIfNotExists: !create,
	}
	storeOptions(po)
	db, err := pebble.Open(abs, po)
	if err != nil {
		// Pebble's LOCK is an fcntl lock: held elsewhere it fails with
		// EAGAIN (or EACCES), "lock held" within this process.
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("state store %s: %w", abs, ErrInUse)
		}
		return nil, fmt.Errorf("open state store %s: %w", abs, err)
	}
	s := &store{path: abs, db: db, refs: 1}
	stores[abs] = s
	return s, nil
}

func (s *store) Close() error {
	storesMu.Lock()
	defer storesMu.Unlock()
	s.refs--
	if s.refs > 0 {
		return nil
	}
	delete(stores, s.path)
	return s.db.Close()
}

// reader is the read side shared by a DB and a snapshot.
type reader interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
	Get([]byte) ([]byte, io.Closer, error)
}

func get(r reader, k []byte) ([]byte, bool, error) {
	v, c, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	_ = c.Close()
	return out, true, nil
}

// storeEmpty reports whether a run's store holds no rows and no state yet.
func storeEmpty(db *pebble.DB) (bool, error) {
	for _, p := range [][]byte{prefixRow, prefixState} {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upper(p)})
		if err != nil {
			return false, err
		}
		ok := it.First()
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return false, err
		}
		if ok {
			return false, nil
		}
	}
	return true, nil
}

func readOffsets(r reader) (map[tp]int64, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefixOff, UpperBound: upper(prefixOff)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[tp]int64{}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[len(prefixOff):]
		if len(k) < 5 || len(it.Value()) != 8 {
			return nil, fmt.Errorf("corrupt offset entry %q", it.Key())
		}
		t := string(k[:len(k)-5])
		p := int32(binary.BigEndian.Uint32(k[len(k)-4:]))
		out[tp{t, p}] = int64(binary.BigEndian.Uint64(it.Value()))
	}
	return out, it.Error()
}

// tp is a topic partition.
type tp struct {
	Topic     string
	Partition int32
}

// cell is the in-memory aggregate of one key while a batch is applied.
type cell struct {
	key    string
	size   int64 // bytes, as last estimated (see tableState)
	exists bool  // the row exists (r/KEY)
	dirty  bool
	ref    bool   // used since the eviction hand last passed
	row    []byte // latest: the stored JSON

	count int64
	fx    fixedSum   // exact sum while it fits in fixed point (sum, avg)
	sum   *big.Float // exact sum past that (see newSum); nil before
	min   float64
	max   float64
	// latest: position of the record that set (or deleted) the row.
	pos    recPos
	hasPos bool
}

// sumPrec is wide enough that every sum of float64 values is exact (the
// exponent range of float64 plus 64 bits of carries), so a sum does not
// depend on the order records of different partitions arrive in: the same
// window always gives the same bits.
const sumPrec = 2200

func newSum() *big.Float { return new(big.Float).SetPrec(sumPrec).SetMode(big.ToNearestEven) }

type recPos struct {
	TS        int64
	Topic     string
	Partition int32
	Offset    int64
}

// newer reports whether a record at p replaces one at q for latest: within
// one partition the later offset (log order, as compaction keeps); across
// partitions or topics the later timestamp, then topic, then partition, so
// the result does not depend on how the partitions interleave.
func (p recPos) newer(q recPos) bool {
	if p.Topic == q.Topic && p.Partition == q.Partition {
		return p.Offset > q.Offset
	}
	if p.TS != q.TS {
		return p.TS > q.TS
	}
	if p.Topic != q.Topic {
		return p.Topic > q.Topic
	}
	return p.Partition > q.Partition
}

// appendState / decodeState: s/KEY. Format: one kind byte, then fields.
// appendState appends to dst (nil: nothing to store for agg).
func appendState(dst []byte, agg string, c *cell) []byte {
	switch agg {
	case AggSum, AggAvg:
		if c.sum == nil {
			out := binary.AppendVarint(append(dst, 'f'), c.count)
			out = binary.BigEndian.AppendUint64(out, uint64(c.fx.hi))
			return binary.BigEndian.AppendUint64(out, c.fx.lo)
		}
		b, _ := c.sum.GobEncode()
		out := binary.AppendVarint(append(dst, 'n'), c.count)
		return append(out, b...)
	case AggLatest:
		kind := byte('l')
		if c.exists {
			kind = 'L'
		}
		out := binary.AppendVarint(append(dst, kind), c.pos.TS)
		out = binary.AppendUvarint(out, uint64(len(c.pos.Topic)))
		out = append(out, c.pos.Topic...)
		out = binary.AppendVarint(out, int64(c.pos.Partition))
		return binary.AppendVarint(out, c.pos.Offset)
	}
	return nil
}

func encodeState(agg string, c *cell) []byte { return appendState(nil, agg, c) }

func decodeState(agg string, b []byte, c *cell) error {
	bad := fmt.Errorf("corrupt aggregate state (%d bytes)", len(b))
	if len(b) == 0 {
		return bad
	}
	switch agg {
	case AggSum, AggAvg:
		n, k := binary.Varint(b[1:])
		if k <= 0 {
			return bad
		}
		c.count = n
		switch b[0] {
		case 'f':
			r := b[1+k:]
			if len(r) != 16 {
				return bad
			}
			c.fx = fixedSum{hi: int64(binary.BigEndian.Uint64(r)), lo: binary.BigEndian.Uint64(r[8:])}
			c.sum = nil
			return nil
		case 'n':
		default:
			return bad
		}
		c.sum = newSum()
		if err := c.sum.GobDecode(b[1+k:]); err != nil {
			return fmt.Errorf("corrupt sum: %w", err)
		}
		c.sum.SetPrec(sumPrec)
		return nil
	case AggLatest:
		r := b[1:]
		ts, k := binary.Varint(r)
		if k <= 0 {
			return bad
		}
		r = r[k:]
		l, k := binary.Uvarint(r)
		if k <= 0 || uint64(len(r)-k) < l {
			return bad
		}
		topic := string(r[k : k+int(l)])
		r = r[k+int(l):]
		p, k := binary.Varint(r)
		if k <= 0 {
			return bad
		}
		o, k2 := binary.Varint(r[k:])
		if k2 <= 0 {
			return bad
		}
		c.pos = recPos{TS: ts, Topic: topic, Partition: int32(p), Offset: o}
		c.hasPos = true
		return nil
	}
	return nil
}

// rowJSON is the table value of a cell.
func rowJSON(agg string, c *cell) []byte { return appendRow(nil, agg, c) }

// appendRow appends the table value of a cell to dst.
func appendRow(dst []byte, agg string, c *cell) []byte {
	switch agg {
	case AggLatest:
		return append(dst, c.row...)
	case AggCount:
		return strconv.AppendInt(dst, c.count, 10)
	case AggSum:
		if c.sum == nil {
			return appendNumber(dst, c.fx.float64())
		}
		f, _ := c.sum.Float64()
		return appendNumber(dst, f)
	case AggAvg:
		q := newSum().Quo(c.exactSum(), new(big.Float).SetInt64(c.count))
		f, _ := q.Float64()
		return appendNumber(dst, f)
	case AggMin:
		return appendNumber(dst, c.min)
	case AggMax:
		return appendNumber(dst, c.max)
	}
	return dst
}

// appendNumber formats a float as encoding/json does (shortest round-trip
// form).
func appendNumber(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0') // no "-0"
	}
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		fmtc = 'e'
	}
	return strconv.AppendFloat(dst, f, fmtc, -1, 64)
}

// storeOptions tunes Pebble for a projection's write pattern: a stream of
// batches over keys in no order, then whole-table scans (diff, checksum,
// export). Profiled on a 1M-key run, Pebble rewriting rows was most of the
// CPU, so:
//   - 32 MB memtables (two at most: one written, one flushing; with the
//     4 MB default, flushes and the compactions they cause were half of a
//     1M-key run's CPU; 64 MB ones and a 32 MB cell cache peaked 60-100 MB
//     higher in a 1M-key latest run for ~8% less CPU);
//   - L0 takes 32 tables before compacting and the base level 1 GB: keys
//     arrive in no order, so every flushed table spans the whole key range
//     and each L0 compaction rewrote the table so far (a third of a 1M-key
//     latest run's CPU; the key filter and the tables' filters keep point
//     reads cheap over more tables);
//   - no read-triggered compactions: a diff or export scans the table
//     once; compacting under it only made it slower and its exit wait.
//
// The filters let a resumed run's point reads skip the tables that cannot
// hold the key. (Value separation into blob files measured no better and
// would make stores unreadable by older rewinds.)
func storeOptions(o *pebble.Options) {
	o.MemTableSize = memTableSize
	o.MemTableStopWritesThreshold = 2
	o.L0CompactionThreshold = 32
	o.L0StopWritesThreshold = 128
	o.LBaseMaxBytes = 1 << 30
	o.Experimental.ReadSamplingMultiplier = -1
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
}

// memTableSize is the store's memtable size; a batch of half of it is
// flushed as a table of its own (see maxBatchMem).
const memTableSize = 32 << 20
