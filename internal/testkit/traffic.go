package testkit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Traffic produces one record to every partition of topic each `every`
// until the test ends or stop is called.
func (b *Broker) Traffic(topic string, parts int32, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			recs := make([]*kgo.Record, 0, parts)
			for p := range parts {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(fmt.Sprint(i))})
			}
			b.Client.ProduceSync(ctx, recs...)
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	b.T.Cleanup(stop)
	return stop
}

// Consumer runs a real group member of group on topic that takes
// perRecord to process each record (0: as fast as it can) and commits every
// record it processed. Its fetches are small (a batch or two per
// partition), so a slow consumer stays fair across partitions, like the
// demo's lagging group.
func (b *Broker) Consumer(group, topic string, perRecord time.Duration) (stop func()) {
	cl := b.NewClient(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.FetchMaxPartitionBytes(200),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cl.Close()
		for {
			fs := cl.PollRecords(ctx, 10)
			if ctx.Err() != nil {
				return
			}
			for _, r := range fs.Records() {
				if perRecord > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(perRecord):
					}
				}
				_ = cl.CommitRecords(ctx, r)
			}
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	b.T.Cleanup(stop)
	return stop
}
