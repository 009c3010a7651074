package project

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// TestCheckpointBatchesStayInTheMemtable: the runner checkpoints before a
// batch reaches Pebble's large-batch threshold (half the memtable), past
// which each batch is sorted and flushed as a small table of its own.
// Pebble charges every batch entry a skiplist node at full height
// (arenaskl.MaxNodeSize: 184 bytes + key + 8 + value, up to 3 of padding):
// with that arithmetic, the batch of the dirty cells at the moment the
// runner's bounds call for a checkpoint must be under the threshold. For
// sum over new keys (two entries per key) the old bound let 81,000 cells,
// over 33 MB as Pebble counts them, into one batch.
func TestCheckpointBatchesStayInTheMemtable(t *testing.T) {
	for _, agg := range []string{AggSum, AggCount, AggLatest} {
		spec := "name: b\ntopic: bench\nkey: value.customer\naggregate: " + agg + "\n"
		if agg == AggSum {
			spec += "value: value.amount\n"
		}
		r := benchRunner(t, compileText(t, spec))
		const n = 200_000
		recs := benchBatch(nil, 0, n, n, benchPads())
		i := 0
		for ; i < n && !r.tab.overDirty(); i++ {
			r.apply(recs[i])
		}
		if i == n {
			t.Fatalf("%s: %d new keys never reached the dirty bounds", agg, n)
		}
		b := r.st.db.NewBatch()
		if err := r.tab.write(b); err != nil {
			t.Fatal(err)
		}
		var charged uint64
		rd := b.Reader()
		for {
			_, k, v, ok, err := rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			charged += 184 + uint64(len(k)) + 8 + uint64(len(v)) + 3
		}
		_ = b.Close()
		if limit := uint64(memTableSize) / 2; charged >= limit {
			t.Fatalf("%s: a checkpoint of %d dirty cells is %d MB as Pebble counts it: past the large-batch threshold (%d MB)", agg, i, charged>>20, limit>>20)
		}
		_ = r.st.Close()
	}
}

// TestFinishedRunLeavesNoWAL: a run that ends flushes its table into
// sstables, so whoever opens the store next (a diff, an export) has no WAL
// to replay. Opened read-only, a replayed WAL would sit in the memtable.
func TestFinishedRunLeavesNoWAL(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(2000)
	m := w.run("name: lo\ntopic: orders\naggregate: latest\n", "flushed", Options{MaxPoll: 100})
	db, err := pebble.Open(statePath(w.dir, m.ID), &pebble.Options{ReadOnly: true, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mt := db.Metrics().MemTable
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefixRow, UpperBound: upper(prefixRow)})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for ok := it.First(); ok; ok = it.Next() {
		rows++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if rows != 2000 {
		t.Fatalf("%d rows in the store, want 2000", rows)
	}
	if mt.Size > 1<<20 {
		t.Fatalf("memtable holds %d bytes after opening a finished run's store: its WAL was not flushed", mt.Size)
	}
}
