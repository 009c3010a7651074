package backend

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// --sync starts a log whose produced batches are fsynced; records
// produced are there after a restart like without it.
func TestEmbeddedSyncWrites(t *testing.T) {
	dir := t.TempDir()
	e, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0", Sync: true, Log: newEmbLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, "s", 1, nil)
	embProduce(t, cl, "s", 1, 50, time.Now())
	cl.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = startEmb(t, dir, false, embeddedTuning{})
	_, adm = embClient(t, e.Addr())
	if o := embOffsets(t, adm, "s")[0]; o.end != 50 {
		t.Fatalf("after restart: end %d", o.end)
	}
}

// BenchmarkEmbeddedProduceSync: one record per acknowledged produce (a
// synchronous producer, the worst case for --sync), with and without
// fsync per batch. go test ./backend -run '^$' -bench EmbeddedProduceSync -benchtime 2000x
func BenchmarkEmbeddedProduceSync(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "sync"
		}
		b.Run(name, func(b *testing.B) {
			e, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: b.TempDir(), Listen: "127.0.0.1:0", Sync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			cl, err := kgo.NewClient(kgo.SeedBrokers(e.Addr()), kgo.ProducerLinger(0), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			ctx := context.Background()
			if _, err := e.adm.CreateTopic(ctx, 1, 1, nil, "s"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				r := &kgo.Record{Topic: "s", Value: []byte(`{"n":` + strconv.Itoa(i) + `}`)}
				if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
