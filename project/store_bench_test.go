package project

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// benchRecords is the size of the store benchmarks' window: 1M records, the
// scale at which the state store's behaviour shows (run with -benchtime 1x).
const benchRecords = 1_000_000

// benchBatch makes records [from, from+n) of a 6-partition topic whose
// values are ~200 B of JSON with an incompressible pad, keyed by customer
// (keys distinct customers, cycling).
func benchBatch(dst []*kgo.Record, from, n, keys int, pads []string) []*kgo.Record {
	dst = dst[:0]
	base := time.UnixMilli(1_700_000_000_000)
	for i := from; i < from+n; i++ {
		v := make([]byte, 0, 256)
		v = append(v, `{"id":`...)
		v = strconv.AppendInt(v, int64(i), 10)
		v = append(v, `,"customer":"c-`...)
		v = strconv.AppendInt(v, int64(i%keys), 10)
		v = append(v, `","amount":`...)
		v = strconv.AppendInt(v, int64(i%997), 10)
		v = append(v, `.5,"pad":"`...)
		v = append(v, pads[i%len(pads)]...)
		v = append(v, `"}`...)
		dst = append(dst, &kgo.Record{Topic: "bench", Partition: int32(i % 6), Offset: int64(i / 6),
			Key: strconv.AppendInt([]byte("k-"), int64(i), 10), Value: v, Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
	}
	return dst
}

func benchPads() []string {
	r := rand.New(rand.NewSource(1))
	pads := make([]string, 4096)
	for i := range pads {
		b := make([]byte, 96)
		r.Read(b)
		pads[i] = base64.RawStdEncoding.EncodeToString(b) // 128 incompressible chars
	}
	return pads
}

// BenchmarkStore measures the state-store path of a run (eval, apply,
// checkpoint batches into Pebble) over 1M records of 6 partitions, without
// the broker: latest, count and sum with 1M distinct keys and with 5,000.
//
//	go test ./project -run '^$' -bench BenchmarkStore -benchtime 1x
func BenchmarkStore(b *testing.B) {
	pads := benchPads()
	for _, agg := range []string{AggLatest, AggCount, AggSum} {
		for _, keys := range []int{1_000_000, 5000} {
			b.Run(fmt.Sprintf("%s/keys=%d", agg, keys), func(b *testing.B) {
				spec := "name: b\ntopic: bench\nkey: value.customer\naggregate: " + agg + "\n"
				if agg == AggSum {
					spec += "value: value.amount\n"
				}
				b.ReportAllocs()
				var recs []*kgo.Record
				var cpu time.Duration
				for range b.N {
					b.StopTimer()
					r := benchRunner(b, compileText(b, spec))
					b.StartTimer()
					cpu0 := cpuTime()
					const poll = 20000
					for from := 0; from < benchRecords; from += poll {
						b.StopTimer()
						g0 := cpuTime()
						recs = benchBatch(recs, from, poll, keys, pads)
						cpu -= cpuTime() - g0
						b.StartTimer()
						for _, rec := range recs {
							r.apply(rec)
							k := tp{rec.Topic, rec.Partition}
							r.next[k] = rec.Offset + 1
							r.changedOff[k] = true
						}
						if from+poll >= benchRecords {
							for _, k := range r.order {
								r.done[k] = true // the last checkpoint
							}
						}
						if err := r.checkpoint(context.Background()); err != nil {
							b.Fatal(err)
						}
					}
					cpu += cpuTime() - cpu0 // with Pebble's background work
					b.StopTimer()
					if r.pending != 0 || r.tab.reads > int64(benchRecords/50) {
						b.Fatalf("pending %d after the last checkpoint, %d point reads", r.pending, r.tab.reads)
					}
					if r.stats.Applied != benchRecords || r.stats.Rows != int64(min(keys, benchRecords)) {
						b.Fatalf("applied %d rows %d", r.stats.Applied, r.stats.Rows)
					}
					_ = r.st.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "rec/s")
				b.ReportMetric(cpu.Seconds()*1e6/float64(benchRecords)/float64(b.N), "cpu-µs/rec")
			})
		}
	}
}

// benchRunner is a runner on a fresh store, as execute sets it up, on a
// read-only connection (no group commits).
func benchRunner(b testing.TB, c *Compiled) *runner {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(kc.Close)
	cl, err := backend.Connect(context.Background(), backend.Options{Brokers: kc.ListenAddrs(), ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	st, err := openStore(b.TempDir(), true)
	if err != nil {
		b.Fatal(err)
	}
	m := &Meta{ID: "bench", Until: UntilEnd}
	r := &runner{cl: cl, c: c, m: m, st: st, agg: c.Spec.Aggregate,
		start: map[tp]int64{}, target: map[tp]int64{}, changedOff: map[tp]bool{}, done: map[tp]bool{},
		next: map[tp]int64{}, tab: newTableState(st.db, c.Spec.Aggregate), o: Options{MaxPoll: defaultMaxPoll, CommitEvery: time.Second}}
	for p := range int32(6) {
		r.order = append(r.order, tp{"bench", p})
	}
	r.tab.startFresh(benchRecords)
	return r
}

// cpuTime is the process's CPU time (user + system): on a loaded machine a
// steadier measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
