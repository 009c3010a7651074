// Command seed creates a topic and fills it with N records of ~SIZE-byte JSON
// values, as fast as the broker takes them. It is the set-up step of the
// benchmark scripts in bench/ (not part of rewind itself).
//
// Values are {"id":I,"customer":"c-(I mod KEYS)","amount":A,"pad":"..."}
// with a pad of random base64 (deterministic, seeded), so they do not
// compress: a benchmark moves the bytes a real topic would.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/rewind-log/rewind/bench/internal/seeder"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	addr := flag.String("b", "127.0.0.1:19092", "broker")
	topic := flag.String("t", "bench", "topic")
	n := flag.Int("n", 1_000_000, "records (0: none, only -groups on an existing topic)")
	parts := flag.Int("p", 1, "partitions")
	size := flag.Int("s", 200, "approximate value size in bytes")
	keys := flag.Int("keys", 5000, "distinct customers (the projection key)")
	groups := flag.Int("groups", 0, "then commit offsets (half of each partition) for this many groups bench-g-N")
	flag.Parse()
	if *keys <= 0 {
		fmt.Fprintln(os.Stderr, "seed: -keys must be positive")
		os.Exit(2)
	}
	if *n > 0 { // -n 0: only commit offsets, on a topic seeded before
		if err := seed(*addr, *topic, *n, int32(*parts), *size, *keys); err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
	}
	if err := commitGroups(*addr, *topic, *groups); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func seed(addr, topic string, n int, parts int32, size, keys int) error {
	ctx := context.Background()
	pr, err := seeder.New(ctx, addr, parts, topic)
	if err != nil {
		return err
	}
	defer pr.Close()
	// Fresh random pad characters for every record: nothing repeats within
	// a batch for a compressor to find.
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	start := time.Now()
	base := time.Now().Add(-time.Duration(n) * time.Millisecond)
	for i := 0; i < n; i++ {
		v := []byte(`{"id":` + strconv.Itoa(i) + `,"customer":"c-` + strconv.Itoa(i%keys) + `","amount":` + strconv.Itoa(i%997) + `.5,"pad":"`)
		for rest := size - len(v) - 2; rest > 0; rest-- {
			v = append(v, alphabet[rnd.Uint32()&63])
		}
		v = append(v, '"', '}')
		r := &kgo.Record{Topic: topic, Key: []byte("k-" + strconv.Itoa(i)), Value: v, Timestamp: base.Add(time.Duration(i) * time.Millisecond)}
		pr.Send(ctx, r)
	}
	if err := pr.Done(ctx); err != nil {
		return err
	}
	fmt.Printf("seeded %d records into %s in %v\n", n, topic, time.Since(start).Round(time.Millisecond))
	return nil
}

// commitGroups gives n groups committed offsets at half of each partition
// of topic (lag screens and lag benchmarks).
func commitGroups(addr, topic string, n int) error {
	if n == 0 {
		return nil
	}
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	offs := kadm.Offsets{}
	ends.Each(func(o kadm.ListedOffset) {
		offs.Add(kadm.Offset{Topic: topic, Partition: o.Partition, At: o.Offset / 2, LeaderEpoch: -1})
	})
	for i := range n {
		g := "bench-g-" + strconv.Itoa(i)
		if err := adm.CommitAllOffsets(ctx, g, offs); err != nil {
			return fmt.Errorf("commit %s: %w", g, err)
		}
	}
	fmt.Printf("committed offsets for %d groups on %s\n", n, topic)
	return nil
}
