package backend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkGroupLagsRefresh measures one full refresh of the groups screen on
// the embedded log (in-process kfake over TCP): 1,000 groups with commits on
// all 24 partitions of one topic (24,000 group partitions), plus one live
// classic and one live KIP-848 consumer. Setup is outside the timer.
//
//	go test ./backend -run '^$' -bench GroupLagsRefresh -benchtime 20x
//
// With -short the world is 100 groups.
//
// Sub-benchmarks:
//   - GroupLags:        GroupLags(nil), everything a refresh needs
//   - Groups+GroupLags: both calls, as a screen that lists then details would
//   - TimeLags:         record timestamps at all 24,000 committed offsets
//     (each refresh asks again: no `known` cache)
func BenchmarkGroupLagsRefresh(b *testing.B) {
	groups := 1000
	if testing.Short() {
		groups = 100
	}
	const parts = 24
	const perPart = 2000
	_, c, rc := groupsTestCluster(b)
	ctx := context.Background()
	mustCreate(b, c, "bench", parts)
	produceBench(b, c, "bench", parts, perPart)

	// Commit a random position on every partition for every group.
	adm := kadm.NewClient(c.cl)
	rng := rand.New(rand.NewPCG(1, 2))
	offsets := make([]kadm.Offsets, groups)
	for g := range offsets {
		os := kadm.Offsets{}
		for p := int32(0); p < parts; p++ {
			os.Add(kadm.Offset{Topic: "bench", Partition: p, At: rng.Int64N(perPart + 1), LeaderEpoch: -1})
		}
		offsets[g] = os
	}
	work := make(chan int)
	errs := make(chan error, groups)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for g := range work {
				if err := adm.CommitAllOffsets(ctx, fmt.Sprintf("bench-group-%04d", g), offsets[g]); err != nil {
					errs <- err
				}
			}
		})
	}
	for g := range groups {
		work <- g
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	// Two live consumers, one per protocol.
	for _, live := range []struct {
		name string
		opts []kgo.Opt
	}{{"bench-live-classic", nil}, {"bench-live-848", []kgo.Opt{kgo.ServerSideBalancer()}}} {
		cl := startConsumer(b, c, live.name, "bench", 1, 0, live.opts...)
		b.Cleanup(cl.Close)
	}
	waitGroup(b, c, "bench-live-848", func(g GroupLag) bool { return g.Members == 1 })

	// Warm up: coordinators, connections.
	gls, err := c.GroupLags(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if len(gls) != groups+2 {
		b.Fatalf("%d groups listed, want %d", len(gls), groups+2)
	}
	var rows int
	for _, g := range gls {
		rows += len(g.Partitions)
	}
	b.Logf("world: %d groups, %d group partitions", len(gls), rows)

	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			if err := fn(); err != nil { // warm this path too
				b.Fatal(err)
			}
			rc.reset()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			total, named := rc.snapshot()
			b.ReportMetric(float64(total)/float64(b.N), "requests/op")
			b.ReportMetric(float64(len(gls)), "groups")
			b.ReportMetric(float64(rows), "partitions")
			b.Logf("%s: %d requests over %d refreshes: %v", name, total, b.N, named)
		})
	}
	run("GroupLags", func() error {
		_, err := c.GroupLags(ctx, nil)
		return err
	})
	run("Groups+GroupLags", func() error {
		if _, err := c.Groups(ctx); err != nil {
			return err
		}
		_, err := c.GroupLags(ctx, nil)
		return err
	})
	run("TimeLags", func() error {
		tl, err := c.TimeLags(ctx, gls, nil)
		if err == nil && len(tl) == 0 {
			err = fmt.Errorf("no record times")
		}
		return err
	})
}

// produceBench writes n ~100-byte records to every partition.
func produceBench(b *testing.B, c *Cluster, topic string, parts int32, n int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	val := make([]byte, 100)
	var recs []*kgo.Record
	for p := int32(0); p < parts; p++ {
		for range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: val})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
}
