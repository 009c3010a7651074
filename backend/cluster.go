package backend

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configures a connection to a Kafka-protocol cluster (remote or the
// embedded log; both use the same code path).
type Options struct {
	Brokers  []string
	ReadOnly bool
	// Embedded marks the cluster as the embedded log (status bar only).
	Embedded bool
	// Timeout bounds dialing and each admin request (default 5s).
	Timeout time.Duration
}

// Cluster is a connection to a cluster. Safe for concurrent use.
type Cluster struct {
	opts Options
	cl   *kgo.Client  // shared client for metadata, admin and raw fetches
	adm  *kadm.Client // admin client over cl
}

// Connect dials the cluster and checks it answers a metadata request within
// opts.Timeout. The error names the brokers and the cause in one line.
func Connect(ctx context.Context, opts Options) (*Cluster, error) { panic("todo") }

// Close releases the client. Safe to call twice.
func (c *Cluster) Close() {}

// Addr is the comma-joined seed broker list.
func (c *Cluster) Addr() string { return "" }

// Embedded reports whether this is the embedded log.
func (c *Cluster) Embedded() bool { return c.opts.Embedded }

// ReadOnly reports whether writes are refused.
func (c *Cluster) ReadOnly() bool { return c.opts.ReadOnly }

// Ping checks the cluster answers (metadata for no topics).
func (c *Cluster) Ping(ctx context.Context) error { panic("todo") }

// Topics lists topics with partition counts, replication, record counts and
// cleanup/retention configs, sorted by name. Internal topics are included
// with Internal set; the caller decides whether to show them.
func (c *Cluster) Topics(ctx context.Context) ([]Topic, error) { panic("todo") }

// Partitions describes a topic's partitions, sorted by id, including
// watermarks and the newest record's timestamp.
func (c *Cluster) Partitions(ctx context.Context, topic string) ([]Partition, error) { panic("todo") }

// Fetch reads up to max records of one partition starting at offset from
// (inclusive), in offset order, stopping at the high watermark. It returns
// fewer than max records only at the end of the log.
func (c *Cluster) Fetch(ctx context.Context, topic string, partition int32, from int64, max int) ([]Record, error) {
	panic("todo")
}

// FetchBefore reads up to max records with offsets < before, in offset
// order (the max records just before `before`), for paging backwards. It
// returns fewer only at the log start.
func (c *Cluster) FetchBefore(ctx context.Context, topic string, partition int32, before int64, max int) ([]Record, error) {
	panic("todo")
}

// OffsetsForTime returns, per partition, the first offset whose timestamp is
// >= t (the high watermark when there is none).
func (c *Cluster) OffsetsForTime(ctx context.Context, topic string, t time.Time) (map[int32]int64, error) {
	panic("todo")
}

// Stream follows partitions of a topic from the given start offsets
// (kgo.ConsumePartitions with no group: nothing is committed).
func (c *Cluster) Stream(topic string, start map[int32]int64) (*Stream, error) { panic("todo") }

// Stream is a live tail. Poll blocks until records arrive or ctx is done.
type Stream struct{}

// Poll returns the next batch of records (at most max).
func (s *Stream) Poll(ctx context.Context, max int) ([]Record, error) { panic("todo") }

// Close stops the stream and its client.
func (s *Stream) Close() {}
