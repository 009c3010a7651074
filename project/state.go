package project

import (
	"fmt"
	"hash/maphash"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// tableState is a run's table between checkpoints: the cells of the keys in
// use, over the Pebble store. It is built for millions of keys:
//
//   - a filter of every key the store may hold: a key it has never seen is
//     new, so a fresh run reads nothing back for it (at 1M distinct keys,
//     point reads of absent keys were 70% of the run's time);
//   - one point read per key that may be stored (the row for count, min and
//     max; the state for latest, sum and avg, which says whether the row
//     exists);
//   - a cache bounded in bytes, evicting clean cells by CLOCK (a second
//     chance for cells used since the last sweep), so a hot key set stays
//     in memory while a stream of new keys passes through;
//   - dirty cells stay until the checkpoint that writes them; the runner
//     checkpoints early when they pass maxDirty.
type tableState struct {
	db  *pebble.DB
	agg string

	seen *keyFilter // nil: unknown, every cache miss reads the store

	cells   map[string]*cell
	ring    []*cell // CLOCK order of the cached cells
	hand    int
	free    []*cell // evicted cells, reused
	size    int64   // approximate bytes held by cached cells
	maxSize int64

	dirty     []*cell
	dirtySize int64
	dirtyRaw  int64 // bytes of the checkpoint batch's entries (keys and values)
	dirtyN    int64 // its entries

	key     []byte // scratch store key
	val     []byte // scratch store value
	scratch *big.Float
	reads   int64 // point reads of the store (tests and benchmarks)
}

// Cache bounds of a run (see BenchmarkStore; at 1M distinct keys the cache
// holds nothing worth keeping: its bound is RSS, see storeOptions). The
// dirty bounds also keep a checkpoint batch below Pebble's large-batch
// threshold (see maxBatchMem).
const (
	maxCacheBytes = 16 << 20
	maxDirtyBytes = 8 << 20
	// cellOverhead approximates a cell's fixed cost: the struct, its map
	// entry and ring slot.
	cellOverhead = 200
	// maxBatchMem bounds a checkpoint batch's memtable footprint as Pebble
	// counts it (memNode per entry: a skiplist node at full height, see
	// arenaskl.MaxNodeSize): at half the memtable a batch is sorted and
	// flushed as a small table of its own, and at 1M keys those batches
	// meant more tables to compact and a sort per checkpoint.
	maxBatchMem = memTableSize / 4
	memNode     = 200
)

func newTableState(db *pebble.DB, agg string) *tableState {
	return &tableState{db: db, agg: agg, cells: map[string]*cell{}, maxSize: maxCacheBytes}
}

// startFresh marks the store as empty: nothing needs reading back until a
// key has been seen. expect sizes the filter (the records of the window).
func (s *tableState) startFresh(expect int64) { s.seen = newKeyFilter(expect) }

// loadFilter fills the filter with the keys already stored (a resumed run),
// one pass over them.
func (s *tableState) loadFilter() error {
	prefix := prefixRow
	if s.agg == AggLatest || s.agg == AggSum || s.agg == AggAvg {
		prefix = prefixState // kept after a tombstone: every key seen
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper(prefix)})
	if err != nil {
		return err
	}
	n := int64(0)
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Error(); err != nil {
		_ = it.Close()
		return err
	}
	f := newKeyFilter(max(2*n, 1<<16))
	for ok := it.First(); ok; ok = it.Next() {
		f.add(it.Key()[len(prefix):])
	}
	if err := it.Error(); err != nil {
		_ = it.Close()
		return err
	}
	if err := it.Close(); err != nil {
		return err
	}
	s.seen = f
	return nil
}

// get returns the cell of key, from the cache or the store; key may point
// into record bytes (it is cloned when kept).
func (s *tableState) get(key string) (*cell, error) {
	if c, ok := s.cells[key]; ok {
		c.ref = true
		return c, nil
	}
	c := s.newCell()
	c.key = strings.Clone(key)
	if s.seen == nil || s.seen.testOrAdd(unsafe.Slice(unsafe.StringData(c.key), len(c.key))) {
		if err := s.read(c); err != nil {
			s.free = append(s.free, c)
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
	}
	c.size = c.estimate()
	s.insert(c)
	return c, nil
}

func (s *tableState) newCell() *cell {
	if n := len(s.free); n > 0 {
		c := s.free[n-1]
		s.free = s.free[:n-1]
		*c = cell{row: c.row[:0]}
		return c
	}
	return &cell{}
}

func (s *tableState) storeKey(prefix []byte, key string) []byte {
	s.key = append(append(s.key[:0], prefix...), key...)
	return s.key
}

// read loads a stored cell (one point read).
func (s *tableState) read(c *cell) error {
	s.reads++
	switch s.agg {
	case AggLatest, AggSum, AggAvg:
		b, ok, err := get(s.db, s.storeKey(prefixState, c.key))
		if err != nil || !ok {
			return err
		}
		if err := decodeState(s.agg, b, c); err != nil {
			return err
		}
		c.exists = s.agg != AggLatest || b[0] == 'L'
		return nil
	}
	row, ok, err := get(s.db, s.storeKey(prefixRow, c.key))
	if err != nil || !ok {
		return err
	}
	c.exists = true
	switch s.agg {
	case AggCount:
		c.count, err = strconv.ParseInt(string(row), 10, 64)
	case AggMin:
		c.min, err = strconv.ParseFloat(string(row), 64)
	case AggMax:
		c.max, err = strconv.ParseFloat(string(row), 64)
	}
	if err != nil {
		return fmt.Errorf("corrupt row %q", row)
	}
	return nil
}

// insert caches c, evicting clean cells past maxSize.
func (s *tableState) insert(c *cell) {
	for s.size+c.size > s.maxSize && s.evict() {
	}
	s.cells[c.key] = c
	s.ring = append(s.ring, c)
	s.size += c.size
}

// evict drops one clean cell not used since the hand last passed it. The
// runner keeps the dirty cells below half the cache (maxDirtyBytes), so a
// sweep finds one within a few steps; with none clean it gives up at once.
func (s *tableState) evict() bool {
	if len(s.dirty) >= len(s.ring) {
		return false
	}
	for range 2 * len(s.ring) {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		v := s.ring[s.hand]
		switch {
		case v.dirty:
			s.hand++
		case v.ref:
			v.ref = false
			s.hand++
		default:
			last := len(s.ring) - 1
			s.ring[s.hand] = s.ring[last]
			s.ring[last] = nil
			s.ring = s.ring[:last]
			delete(s.cells, v.key)
			s.size -= v.size
			s.free = append(s.free, v)
			return true
		}
	}
	return false
}

// touch marks a changed cell for the next checkpoint.
func (s *tableState) touch(c *cell) {
	if n := c.estimate(); n != c.size {
		s.size += n - c.size
		c.size = n
	}
	if !c.dirty {
		c.dirty = true
		s.dirty = append(s.dirty, c)
		s.dirtySize += c.size
		k := int64(len(prefixRow) + len(c.key) + 8)
		s.dirtyRaw += k + int64(len(c.row)) + 24 // the row (latest: the record's value; else a number)
		s.dirtyN++
		if s.agg == AggLatest || s.agg == AggSum || s.agg == AggAvg {
			s.dirtyRaw += k + 32 // the state
			s.dirtyN++
		}
	}
}

// batchSize is about the size of the checkpoint batch of the dirty cells
// (a batch that grows by doubling copied 700 MB in a 1M-key run).
func (s *tableState) batchSize() int { return int(s.dirtyRaw + 2*s.dirtyN) }

// overDirty reports whether the dirty cells should be checkpointed now.
func (s *tableState) overDirty() bool {
	return s.dirtySize > maxDirtyBytes || s.dirtyRaw+s.dirtyN*memNode > maxBatchMem
}

// write adds the dirty cells (rows and their state) to a checkpoint batch.
func (s *tableState) write(b *pebble.Batch) error {
	// In key order, rows then states: Pebble inserts a batch into the
	// memtable's skiplist entry by entry, and from the previous entry's
	// place an ordered insert finds its own at once (random inserts were a
	// fifth of a 1M-key run's CPU, on the run's goroutine).
	slices.SortFunc(s.dirty, func(a, b *cell) int { return strings.Compare(a.key, b.key) })
	for _, c := range s.dirty {
		// Set copies key and value into the batch: one scratch buffer each.
		if c.exists {
			row := c.row // latest: the stored JSON itself
			if s.agg != AggLatest {
				s.val = appendRow(s.val[:0], s.agg, c)
				row = s.val
			}
			if err := b.Set(s.storeKey(prefixRow, c.key), row, nil); err != nil {
				return err
			}
		} else if err := b.Delete(s.storeKey(prefixRow, c.key), nil); err != nil {
			return err
		}
	}
	for _, c := range s.dirty {
		if st := appendState(s.val[:0], s.agg, c); st != nil {
			s.val = st
			if err := b.Set(s.storeKey(prefixState, c.key), st, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// committed marks the dirty cells clean once their batch is durable.
func (s *tableState) committed() {
	for i, c := range s.dirty {
		c.dirty = false
		s.dirty[i] = nil
	}
	s.dirty = s.dirty[:0]
	s.dirtySize, s.dirtyRaw, s.dirtyN = 0, 0, 0
	// Dirty cells may have held the cache past its bound: back under it.
	for s.size > s.maxSize && s.evict() {
	}
}

// estimate is the approximate memory a cell holds.
func (c *cell) estimate() int64 {
	n := int64(cellOverhead + len(c.key) + cap(c.row))
	if c.sum != nil {
		n += 64 + int64(c.sum.MinPrec()/8)
	}
	return n
}

// keyFilter is a Bloom filter of keys that grows: when the newest stage
// holds the keys it was sized for, a new one twice as large is added (a
// scalable Bloom filter), so memory stays near 10 bits per key and the
// false-positive rate near 1% per stage.
//
// Each stage is a blocked Bloom filter: all of a key's bits are in one
// 64-byte block, so a test costs one cache miss, not k. At a million keys
// bits-and-blooms/bloom (k bits anywhere) took 5x as long as this
// (BenchmarkKeyFilter) and was the largest part of a fresh run's state work.
type keyFilter struct {
	seed   maphash.Seed
	stages []filterStage
	n, cap int64
}

type filterStage struct {
	blocks []filterBlock
	mask   uint64
}

type filterBlock [8]uint64 // 512 bits, one cache line

const filterProbes = 7 // ~1% false positives at 10 bits per key

func newKeyFilter(expect int64) *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed()}
	f.grow(min(max(expect, 1<<16), 1<<27))
	return f
}

func (f *keyFilter) grow(n int64) {
	nb := uint64(1)
	for nb*512 < uint64(n)*10 {
		nb <<= 1
	}
	f.stages = append(f.stages, filterStage{blocks: make([]filterBlock, nb), mask: nb - 1})
	f.n, f.cap = 0, n
}

// probe walks the bits of hash h in its block: set them (add) or check them.
func (st *filterStage) probe(h uint64, add bool) bool {
	b := &st.blocks[(h>>32)&st.mask]
	delta := h>>17 | h<<47
	for range filterProbes {
		bit := h & 511
		w, m := bit>>6, uint64(1)<<(bit&63)
		if add {
			b[w] |= m
		} else if b[w]&m == 0 {
			return false
		}
		h += delta
	}
	return true
}

func (f *keyFilter) hash(k []byte) uint64 { return maphash.Bytes(f.seed, k) }

func (f *keyFilter) has(k []byte) bool {
	h := f.hash(k)
	for i := len(f.stages) - 1; i >= 0; i-- {
		if f.stages[i].probe(h, false) {
			return true
		}
	}
	return false
}

func (f *keyFilter) add(k []byte) { f.addHash(f.hash(k)) }

func (f *keyFilter) addHash(h uint64) {
	if f.n >= f.cap {
		f.grow(2 * f.cap)
	}
	f.stages[len(f.stages)-1].probe(h, true)
	f.n++
}

// testOrAdd reports whether k may have been added before, and adds it.
func (f *keyFilter) testOrAdd(k []byte) bool {
	h := f.hash(k)
	for i := len(f.stages) - 1; i >= 0; i-- {
		if f.stages[i].probe(h, false) {
			return true
		}
	}
	f.addHash(h)
	return false
}
