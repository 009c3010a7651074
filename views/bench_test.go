package views

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/themes"
)

const benchRecords = 1_000_000

var (
	benchOnce sync.Once
	benchEnv  *Env
	benchErr  error
)

// bigTopic builds, once per process, an in-process kfake broker holding a
// single-partition topic of 1,000,000 records with ~200 B JSON values.
// Building it takes a while, so it is shared by every benchmark run.
func bigTopic(b *testing.B) *Env {
	b.Helper()
	benchOnce.Do(func() {
		benchErr = func() error {
			kc, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				return err
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
				kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(1<<17),
				kgo.ProducerBatchCompression(kgo.NoCompression()))
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx := context.Background()
			if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "bench"); err != nil {
				return err
			}
			base := time.Now().Add(-time.Duration(benchRecords) * time.Millisecond)
			const chunk = 50_000
			recs := make([]*kgo.Record, chunk)
			for start := 0; start < benchRecords; start += chunk {
				for i := range recs {
					n := start + i
					recs[i] = &kgo.Record{Topic: "bench", Key: fmt.Appendf(nil, "order-%07d", n),
						Value: fmt.Appendf(nil, `{"order_id":"o-%07d","customer_id":"c-%05d","amount":%d.%02d,"currency":"EUR","status":"paid","items":[{"sku":"sku-%04d","qty":%d}],"channel":"web","region":"eu-west-1"}`,
							n, n%50000, n%1000, n%100, n%9999, n%5+1),
						Timestamp: base.Add(time.Duration(n) * time.Millisecond)}
				}
				if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
					return err
				}
			}
			c, err := backend.Connect(ctx, backend.Options{Brokers: kc.ListenAddrs(), Timeout: 10 * time.Second})
			if err != nil {
				return err
			}
			th, _ := themes.Get("dark")
			benchEnv = &Env{Cluster: c, Theme: th}
			return nil
		}()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchEnv
}

// BenchmarkRecordsKeypress is one "down" key in the records view of a
// 1M-record topic at 160x45: Update, the commands it returns run
// synchronously (so the window refetch every ~fetchChunk rows is included,
// amortised), and View.
//
//	go test ./views/ -run '^$' -bench BenchmarkRecordsKeypress -benchtime 20000x
func BenchmarkRecordsKeypress(b *testing.B) {
	env := bigTopic(b)
	d := newDriver(NewRecords(env, "bench", 0), 160, 45)
	s := d.s.(*recordsScreen)
	if len(s.win.recs) == 0 {
		b.Fatal("no records loaded")
	}
	down := keyMsg("down")
	_ = d.s.View()
	b.ReportAllocs()
	b.ResetTimer()
	var worst time.Duration // the keypress that also ran a window refetch
	slow := 0
	for range b.N {
		t0 := time.Now()
		d.send(down)
		_ = d.s.View()
		el := time.Since(t0)
		worst = max(worst, el)
		if el > 5*time.Millisecond {
			slow++
		}
		if s.win.atTail() && s.table.Cursor() >= len(s.win.recs)-1 {
			b.StopTimer()
			d.press("g")
			b.StartTimer()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(slow), "keys-over-5ms")
	if r, _ := s.current(); r.Offset != int64(b.N%benchRecords) && b.N < benchRecords {
		b.Fatalf("after %d downs the cursor is on offset %d", b.N, r.Offset)
	}
}

// BenchmarkRecordsPageThrough pages (pgdown) through the whole 1M-record
// topic and reports the screen's memory: the most records it held at once
// and the live heap growth over the start (after GC; the in-process broker
// holding the topic is the same before and after).
//
//	go test ./views/ -run '^$' -bench BenchmarkRecordsPageThrough -benchtime 1x
func BenchmarkRecordsPageThrough(b *testing.B) {
	if b.N > 3 {
		b.Skip("one iteration pages through 1M records; run with -benchtime 1x")
	}
	env := bigTopic(b)
	var ms runtime.MemStats
	for range b.N {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		d := newDriver(NewRecords(env, "bench", 0), 160, 45)
		s := d.s.(*recordsScreen)
		held, pages := 0, 0
		peak, payload := 0.0, 0
		for {
			r, _ := s.current()
			if r.Offset >= benchRecords-1 {
				break
			}
			d.press("pgdown")
			_ = d.s.View()
			pages++
			held = max(held, len(s.win.recs)+s.win.buffered())
			if pages%2000 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, float64(ms.HeapAlloc)-float64(base))
				n := 0
				for _, r := range s.win.recs {
					n += len(r.Key) + len(r.Value)
				}
				payload = max(payload, n)
			}
		}
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(held), "max-records-held")
		b.ReportMetric(peak/(1<<20), "live-heap-growth-MB")
		b.ReportMetric(float64(payload)/(1<<10), "window-payload-KB")
	}
}
