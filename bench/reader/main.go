// Command reader is the benchmarks' limit: the least a franz-go consumer
// does to read a topic from its start to the high watermarks taken at start,
// writing each value and a newline to stdout (like kcat -f '%s\n'). It is a
// set-up tool of bench/run.sh, not part of rewind.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	addr := flag.String("b", "127.0.0.1:19092", "broker")
	topic := flag.String("t", "bench", "topic")
	flag.Parse()
	n, err := read(*addr, *topic)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reader:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "read %d records\n", n)
}

func read(addr, topic string) (int64, error) {
	ctx := context.Background()
	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return 0, err
	}
	ends, err := kadm.NewClient(adm).ListEndOffsets(ctx, topic)
	adm.Close()
	if err != nil {
		return 0, err
	}
	left := map[int32]int64{}
	offs := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
			offs[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchMaxBytes(16<<20), kgo.FetchMaxPartitionBytes(16<<20))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var n int64
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return n, err
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := left[r.Partition]; ok && r.Offset < end {
				w.Write(r.Value)
				w.WriteByte('\n')
				n++
				if r.Offset == end-1 {
					delete(left, r.Partition)
				}
			}
		})
	}
	return n, w.Flush()
}
