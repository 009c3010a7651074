package replay

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// Two resets of one group at once: one writes, the other is refused
// (another rewind holds the group, or the plan went stale under it); the
// audit trail has both, exactly one ok, and the group ends at the plan.
func TestConcurrentResetsOfOneGroup(t *testing.T) {
	w := newWorld(t)
	w.commit("g", map[int32]int64{0: 100, 1: 100, 2: 100})
	p1 := resetPlan(w, "g", ToEarliest, "")
	p2 := resetPlan(w, "g", ToEarliest, "")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*Plan{p1, p2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ExecuteReset(context.Background(), w.c, w.env, p, Confirmations{SinkIdempotent: "yes"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		r, isRefusal := AsRefusal(err)
		if !isRefusal || (r.Guard != GuardConcurrent && r.Guard != GuardStalePlan) {
			t.Fatalf("the second reset: %v; want refused (one-writer or plan-current)", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d resets succeeded (%v); want exactly one", ok, errs)
	}
	wantEqual(t, "offsets", w.committed("g"), p1.Targets())
	es := w.audit()
	if len(es) != 2 {
		t.Fatalf("audit: %d entries, want 2", len(es))
	}
	if es[0].OK() == es[1].OK() {
		t.Fatalf("audit results %q and %q: want one ok, one refused", es[0].Result, es[1].Result)
	}
}

// A reset while another rewind process (same data dir) holds the group is
// refused before anything is written.
func TestResetRefusedWhileGroupLocked(t *testing.T) {
	w := newWorld(t)
	w.commit("g", map[int32]int64{0: 100, 1: 100, 2: 100})
	unlock, err := lockGroupWrites(w.env.DataDir, "g")
	if err != nil {
		t.Fatal(err)
	}
	p := resetPlan(w, "g", ToEarliest, "")
	_, err = ExecuteReset(context.Background(), w.c, w.env, p, Confirmations{SinkIdempotent: "yes"})
	wantRefused(t, err, GuardConcurrent, `another rewind process is changing the offsets of group "g"`)
	wantEqual(t, "offsets", w.committed("g"), Offsets{"orders": {0: 100, 1: 100, 2: 100}})
	unlock()
	if _, err := ExecuteReset(context.Background(), w.c, w.env, p, Confirmations{SinkIdempotent: "yes"}); err != nil {
		t.Fatalf("after the other process is done: %v", err)
	}
}

// racingCluster is a writer elsewhere committing right after our write.
type racingCluster struct {
	Cluster
	w *world
}

func (c racingCluster) CommitGroupOffsets(ctx context.Context, group string, o map[string]map[int32]int64) error {
	if err := c.Cluster.CommitGroupOffsets(ctx, group, o); err != nil {
		return err
	}
	c.w.commit(group, map[int32]int64{1: 77})
	return nil
}

// A writer outside rewind changing the offsets at the same moment: the
// read-back after the write says so, and the audit entry records what the
// group really has.
func TestResetReadBackReportsAnotherWriter(t *testing.T) {
	w := newWorld(t)
	w.commit("g", map[int32]int64{0: 100, 1: 100, 2: 100})
	p := resetPlan(w, "g", ToEarliest, "")
	e, err := ExecuteReset(context.Background(), racingCluster{Cluster: w.c, w: w}, w.env, p, Confirmations{SinkIdempotent: "yes"})
	if err == nil || !strings.Contains(err.Error(), "differ from what was written") || !strings.Contains(err.Error(), "orders/1 is 77, wrote 0") {
		t.Fatalf("read back: %v", err)
	}
	if e == nil || e.OK() {
		t.Fatalf("audit entry %+v", e)
	}
	for _, ap := range e.Partitions {
		if ap.Partition == 1 && (ap.After == nil || *ap.After != 77) {
			t.Fatalf("audit after for orders/1: %v, want 77 (what the group has)", ap.After)
		}
	}
}
