package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ProduceOptions configures a Producer.
type ProduceOptions struct {
	// Partition sends every record to this partition; nil uses the default
	// partitioner (murmur2 of the key, as the Java client; keyless records
	// are spread).
	Partition *int32
	// Compression: none (default), gzip, snappy, lz4, zstd.
	Compression string
	// Acks: all (default; idempotent), 1 (leader only) or 0 (no
	// acknowledgement: offsets are unknown).
	Acks string
}

// ProduceRecord is one record to write.
type ProduceRecord struct {
	Topic   string
	Key     []byte // nil: no key
	Value   []byte // nil: a tombstone
	Headers []Header
}

// Produced is the broker's answer for one record: where it was written,
// or why not. Offset is -1 with acks 0.
type Produced struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"`
	Err       error     `json:"-"`
}

// Producer writes records. Not safe for concurrent ProduceBatch calls.
type Producer struct {
	c         *Cluster
	cl        *WriteClient
	acks      string
	manual    bool // every record to partition
	partition int32
}

// ParseCompression checks a --compression value.
func ParseCompression(s string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("compression %q: want none, gzip, snappy, lz4 or zstd", s)
}

// DeliveryTimeout is how long every producer rewind opens retries a
// record the brokers refuse (no leader, not enough replicas) before the
// record fails; kgo's default is to retry forever. It is the stall timeout
// of reads: the same "how long may the cluster not make progress". Brokers
// that do not answer at all are the write watch's (writewatch.go).
func (c *Cluster) DeliveryTimeout() time.Duration { return c.StallTimeout() }

// NewProducer opens a producer. It is a write: refused in read-only mode
// before anything is sent.
func (c *Cluster) NewProducer(o ProduceOptions) (*Producer, error) {
	if err := c.CheckWrite(); err != nil {
		return nil, err
	}
	codec, err := ParseCompression(o.Compression)
	if err != nil {
		return nil, err
	}
	kopts := []kgo.Opt{
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(5 * time.Millisecond),
	}
	acks := strings.ToLower(o.Acks)
	switch acks {
	case "", "all", "-1":
		acks = "all"
	case "1", "leader":
		acks = "1"
		kopts = append(kopts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0", "none":
		acks = "0"
		kopts = append(kopts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, fmt.Errorf("acks %q: want all, 1 or 0", o.Acks)
	}
	if o.Partition != nil {
		kopts = append(kopts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := c.NewWriteClient("produce", kopts...)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	p := &Producer{c: c, cl: cl, acks: acks}
	if o.Partition != nil {
		p.partition = *o.Partition
		p.manual = true
	}
	return p, nil
}

// CheckPartition checks that topic exists and, with a fixed partition, has
// that partition: a produce to a missing topic would otherwise be retried
// until the delivery timeout (the embedded log does not auto-create).
func (p *Producer) CheckPartition(ctx context.Context, topic string) error {
	ids, err := p.c.PartitionIDs(ctx, topic)
	if errors.Is(err, ErrUnknownTopic) {
		return fmt.Errorf("topic %q does not exist (create it with `rewind topic create %s`)", topic, topic)
	}
	if err != nil {
		return err
	}
	if p.manual {
		for _, id := range ids {
			if id == p.partition {
				return nil
			}
		}
		return fmt.Errorf("topic %q has no partition %d (it has %d)", topic, p.partition, len(ids))
	}
	return nil
}

// ProduceBatch writes recs and waits for every answer; the answers are in
// the order of recs. The error is the first record's failure, if any; each
// answer carries its own.
func (p *Producer) ProduceBatch(ctx context.Context, recs []ProduceRecord) ([]Produced, error) {
	if err := p.c.CheckWrite(); err != nil {
		return nil, err
	}
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		kr := &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value}
		if p.manual {
			kr.Partition = p.partition
		}
		if len(r.Headers) > 0 {
			kr.Headers = make([]kgo.RecordHeader, len(r.Headers))
			for j, h := range r.Headers {
				kr.Headers[j] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
			}
		}
		krs[i] = kr
	}
	res := p.cl.ProduceSync(ctx, krs...)
	stalled := p.cl.Stalled()
	out := make([]Produced, len(res))
	var first error
	for i, pr := range res {
		o := Produced{Topic: pr.Record.Topic, Partition: pr.Record.Partition, Offset: pr.Record.Offset,
			Timestamp: pr.Record.Timestamp, Err: pr.Err}
		if p.acks == "0" {
			o.Offset = -1
		}
		if pr.Err != nil {
			o.Offset = -1
			o.Err = fmt.Errorf("produce to %s: %w", pr.Record.Topic, cleanErr(pr.Err))
			if stalled != nil {
				o.Err = fmt.Errorf("produce to %s: %w", pr.Record.Topic, stalled)
			}
			if first == nil {
				first = o.Err
			}
		}
		out[i] = o
	}
	return out, first
}

// Close flushes nothing (ProduceBatch waits) and releases the client.
func (p *Producer) Close() { p.cl.Close() }
