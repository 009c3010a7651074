// Package seeder is what the bench seeding commands share: a producer
// client tuned for bulk loading, and produce calls that keep the first
// error instead of stopping at each record. Not part of rewind itself.
package seeder

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer is a bulk-loading client: large batches, round-robin over the
// partitions, the first produce error kept.
type Producer struct {
	*kgo.Client
	mu  sync.Mutex
	err error // the first produce error
}

// New connects to addr and creates topics (parts partitions, one replica).
func New(ctx context.Context, addr string, parts int32, topics ...string) (*Producer, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(100_000), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	for _, t := range topics {
		if _, err := adm.CreateTopic(ctx, parts, 1, nil, t); err != nil {
			cl.Close()
			return nil, fmt.Errorf("create %s: %w", t, err)
		}
	}
	return &Producer{Client: cl}, nil
}

// Send produces r asynchronously; a failure is kept for Err.
func (p *Producer) Send(ctx context.Context, r *kgo.Record) {
	p.Produce(ctx, r, func(_ *kgo.Record, err error) {
		if err != nil {
			p.mu.Lock()
			if p.err == nil {
				p.err = err
			}
			p.mu.Unlock()
		}
	})
}

// Err is the first produce error so far, if any (it does not wait).
func (p *Producer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Done waits for every record sent and returns the first error.
func (p *Producer) Done(ctx context.Context) error {
	if err := p.Flush(ctx); err != nil {
		return err
	}
	return p.Err()
}
