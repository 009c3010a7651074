package replay

import (
	"context"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
)

// A replay whose window ends in an aborted transaction: the replay
// consumer commits after the last record it can read, one offset per
// marker and aborted record short of the window end. It has read its whole
// window; judged by offset alone it never would be.
func TestReplayStatusWindowEndingInMarkers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.kit.CreateTopic("tx", 1, nil)
	w.kit.Produce(testkit.Seq("tx", 0, 0, 10, time.Now(), time.Millisecond)...)
	w.kit.AbortedTxn("t", testkit.Seq("tx", 0, 10, 3, time.Now(), time.Millisecond)...) // 10..12 + marker 13
	end := w.kit.Ends("tx")[0]
	if end != 14 {
		t.Fatalf("end %d", end)
	}
	r := &Replay{Name: "rp", Group: "live", Cluster: w.c.Addr(), Topics: []string{"tx"},
		Partitions: []ReplayPartition{{Topic: "tx", Partition: 0, Start: 0, WindowEnd: end, LiveAtStart: -1}}}
	w.kit.Commit("rp", "tx", map[int32]int64{0: 10}) // after record 9: everything readable
	st, err := ReplayStatus(ctx, w.c, r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !st.CaughtUp || st.Consumed != st.Window || st.Progress != 1 {
		t.Fatalf("a replay that read every committed record: %+v", st)
	}
	if st.Partitions[0].Replay != 10 {
		t.Fatalf("the committed offset is shown as it is: %+v", st.Partitions[0])
	}
	w.kit.Commit("rp", "tx", map[int32]int64{0: 9}) // record 9 still to read
	if st, err = ReplayStatus(ctx, w.c, r, time.Now()); err != nil || st.CaughtUp || st.Consumed != 9 {
		t.Fatalf("one record short: %+v %v", st, err)
	}
}
