package backend

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestOffsetWritesRefusedReadOnly(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	ctx := context.Background()
	rw, err := Connect(ctx, Options{Brokers: kc.ListenAddrs(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	mustCreate(t, rw, "events", 2)
	produceEach(t, rw, "events", 2, 10, time.Now())
	if err := rw.CommitGroupOffsets(ctx, "g", map[string]map[int32]int64{"events": {0: 3}}); err != nil {
		t.Fatal(err)
	}

	rc := &reqCounter{}
	ro, err := Connect(ctx, Options{Brokers: kc.ListenAddrs(), ReadOnly: true, Timeout: 10 * time.Second, extra: []kgo.Opt{kgo.WithHooks(rc)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rc.reset()
	if err := ro.CommitGroupOffsets(ctx, "g", map[string]map[int32]int64{"events": {0: 9}}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("commit under --read-only: %v", err)
	}
	if err := ro.DeleteGroup(ctx, "g"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("delete under --read-only: %v", err)
	}
	if n, by := rc.snapshot(); n != 0 {
		t.Fatalf("read-only writes sent requests: %v", by)
	}
	// Reads still work, and nothing changed.
	got, err := ro.CommittedOffsets(ctx, "g")
	if err != nil || got["events"][0] != 3 {
		t.Fatalf("offsets after refused writes: %v %v", got, err)
	}
	if st, _, _, err := ro.GroupState(ctx, "g"); err != nil || st == "Dead" {
		t.Fatalf("group after refused delete: %s %v", st, err)
	}
}

func TestCommitReadDeleteGroupOffsets(t *testing.T) {
	_, c, rc := groupsTestCluster(t)
	ctx := context.Background()
	mustCreate(t, c, "events", 3)
	produceEach(t, c, "events", 3, 10, time.Now())

	want := map[string]map[int32]int64{"events": {0: 1, 1: 5, 2: 10}}
	if err := c.CommitGroupOffsets(ctx, "g", want); err != nil {
		t.Fatal(err)
	}
	got, err := c.CommittedOffsets(ctx, "g")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("committed: %v %v", got, err)
	}
	st, n, proto, err := c.GroupState(ctx, "g")
	if err != nil || st != "Empty" || n != 0 || proto != "classic" {
		t.Fatalf("state of a commit-only group: %q %d %q %v", st, n, proto, err)
	}

	// A bad partition or topic: nothing is committed, the error names it.
	rc.reset()
	err = c.CommitGroupOffsets(ctx, "g", map[string]map[int32]int64{"events": {0: 7, 9: 1}, "nope": {0: 1}})
	if err == nil || !strings.Contains(err.Error(), "no partition 9") || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "nothing committed") {
		t.Fatalf("bad partition: %v", err)
	}
	if _, by := rc.snapshot(); by[kmsg.NameForKey(8)] != 0 {
		t.Fatalf("a commit was sent: %v", by)
	}
	if got, _ := c.CommittedOffsets(ctx, "g"); got["events"][0] != 1 {
		t.Fatalf("partial commit happened: %v", got)
	}

	// Unknown group: no offsets, state Dead, delete says unknown.
	if got, err := c.CommittedOffsets(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Fatalf("unknown group offsets: %v %v", got, err)
	}
	if st, n, _, err := c.GroupState(ctx, "nobody"); err != nil || st != "Dead" || n != 0 {
		t.Fatalf("unknown group state: %q %d %v", st, n, err)
	}
	if err := c.DeleteGroup(ctx, "nobody"); !errors.Is(err, ErrUnknownGroup) {
		t.Fatalf("delete unknown: %v", err)
	}

	if err := c.DeleteGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.CommittedOffsets(ctx, "g"); err != nil || len(got) != 0 {
		t.Fatalf("offsets after delete: %v %v", got, err)
	}
}

func TestGroupStateActiveClassicAnd848(t *testing.T) {
	noGoroutineLeak(t)
	_, c, _ := groupsTestCluster(t)
	ctx := context.Background()
	mustCreate(t, c, "events", 2)
	produceEach(t, c, "events", 2, 20, time.Now())

	for _, tc := range []struct {
		group, proto string
		opts         []kgo.Opt
	}{
		{"g-classic", "classic", nil},
		{"g-848", "consumer", []kgo.Opt{kgo.ServerSideBalancer()}},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			cl := startConsumer(t, c, tc.group, "events", 40, 9, tc.opts...)
			defer cl.Close()
			waitGroup(t, c, tc.group, func(g GroupLag) bool { return g.Members == 1 })
			st, n, proto, err := c.GroupState(ctx, tc.group)
			if err != nil || n != 1 || proto != tc.proto || st == "Empty" || st == "Dead" {
				t.Fatalf("active group: %q %d %q %v", st, n, proto, err)
			}
			// The broker refuses both writes on a group with members.
			err = c.CommitGroupOffsets(ctx, tc.group, map[string]map[int32]int64{"events": {0: 0}})
			if err == nil || !strings.Contains(err.Error(), "active members") {
				t.Fatalf("commit to active group: %v", err)
			}
			if err := c.DeleteGroup(ctx, tc.group); err == nil || !strings.Contains(err.Error(), "active members") {
				t.Fatalf("delete of active group: %v", err)
			}
			got, err := c.CommittedOffsets(ctx, tc.group)
			if err != nil || got["events"][0] != 10 || got["events"][1] != 10 {
				t.Fatalf("offsets of active group: %v %v", got, err)
			}
			cl.Close()
			deadline := time.Now().Add(20 * time.Second)
			for {
				st, n, _, err := c.GroupState(ctx, tc.group)
				if err == nil && n == 0 {
					if st != "Empty" {
						t.Fatalf("after leave: state %q", st)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("group never emptied: %q %d %v", st, n, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
