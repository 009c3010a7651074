package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/internal/when"
)

// DefaultTimeout bounds dialing and each request when Options.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// Options configures a connection to a Kafka-protocol cluster (remote or the
// embedded log; both use the same code path).
type Options struct {
	Brokers  []string
	ReadOnly bool
	// ReadOnlyReason says why, when read-only does not come from
	// --read-only (a read-only context); refusals quote it.
	ReadOnlyReason string
	// Embedded marks the cluster as the embedded log (status bar only).
	Embedded bool
	// Timeout bounds dialing and each admin request (default 5s).
	Timeout time.Duration
	// ClientID is sent to the brokers by every client (default
	// "rewind-<role>", see NewClient).
	ClientID string
	// Security is TLS and SASL (zero: plaintext, no authentication).
	Security connect.Security
	// Isolation is the default of every read (read-committed unless set).
	Isolation Isolation
	// StallTimeout bounds how long a bounded read retries brokers that do
	// not answer before it fails saying how far it got (default 6 x
	// Timeout; see reader.go).
	StallTimeout time.Duration
	// extra kgo options, for tests (hooks counting requests).
	extra []kgo.Opt
	// readPartBytes overrides the per-partition fetch size of reads, for
	// tests that need many fetches from a small topic.
	readPartBytes int32
}

// Cluster is a connection to a cluster. Safe for concurrent use.
type Cluster struct {
	opts  Options
	built *connect.Built // TLS config and SASL mechanism, shared by every client
	diag  *connect.Diag  // watches connections to explain failures
	cl    *kgo.Client    // shared client for metadata, admin and raw fetches
	adm   *kadm.Client   // admin client over cl

	mu     sync.Mutex
	topics map[string]topicMeta // leader/ID cache for raw fetches
}

type topicMeta struct {
	id      [16]byte
	leaders map[int32]int32
	fetched time.Time
}

// metaTTL bounds how long a cached leader map is trusted; leadership errors
// invalidate it earlier.
const metaTTL = 30 * time.Second

// Connect dials the cluster and checks it answers a metadata request within
// opts.Timeout. The error names the brokers and the cause in one line.
func Connect(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := Dial(opts)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Dial builds the client without checking the cluster answers: the UI opens
// on a dead cluster, shows the error and retries, instead of refusing to
// start. Addresses are still validated.
func Dial(opts Options) (*Cluster, error) {
	if len(opts.Brokers) == 0 {
		return nil, errors.New("no brokers given")
	}
	for _, b := range opts.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return nil, fmt.Errorf("broker address %q: want host:port", b)
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	built, err := opts.Security.Build(context.Background(), opts.Timeout)
	if err != nil {
		return nil, err
	}
	diag := connect.NewDiag()
	cl, err := newClient(opts, built, diag, "",
		kgo.RetryTimeout(opts.Timeout),
		// Read/write deadlines are timeout + this overhead; kgo's default
		// 10s would let a black-holed broker hold Close for 10s.
		kgo.RequestTimeoutOverhead(opts.Timeout),
		kgo.RequestRetries(2),
		kgo.MetadataMinAge(time.Second),
	)
	if err != nil {
		return nil, err
	}
	return &Cluster{opts: opts, built: built, diag: diag, cl: cl, adm: kadm.NewClient(cl), topics: map[string]topicMeta{}}, nil
}

// Close releases the client. Safe to call twice.
func (c *Cluster) Close() {
	if c != nil && c.cl != nil {
		c.cl.Close()
	}
}

// Addr is the comma-joined seed broker list.
func (c *Cluster) Addr() string { return strings.Join(c.opts.Brokers, ",") }

// Brokers returns the seed broker list.
func (c *Cluster) Brokers() []string { return append([]string(nil), c.opts.Brokers...) }

// Embedded reports whether this is the embedded log.
func (c *Cluster) Embedded() bool { return c.opts.Embedded }

// ReadOnly reports whether writes are refused.
func (c *Cluster) ReadOnly() bool { return c.opts.ReadOnly }

// Isolation is the default isolation of reads on this cluster.
func (c *Cluster) Isolation() Isolation { return c.opts.Isolation }

// WithIsolation is the cluster with reads at another isolation (the
// records view's toggle), on the same client. Close only the original.
func (c *Cluster) WithIsolation(iso Isolation) *Cluster {
	if iso == c.opts.Isolation {
		return c
	}
	o := c.opts
	o.Isolation = iso
	return &Cluster{opts: o, built: c.built, diag: c.diag, cl: c.cl, adm: c.adm, topics: map[string]topicMeta{}}
}

// Timeout is the per-request timeout the cluster was opened with.
func (c *Cluster) Timeout() time.Duration { return c.opts.Timeout }

// CheckWrite is called at the top of every write path: --read-only is
// enforced here, in the backend, so no UI or CLI path can bypass it.
func (c *Cluster) CheckWrite() error {
	if c.opts.ReadOnly {
		if c.opts.ReadOnlyReason != "" {
			return readOnlyError{c.opts.ReadOnlyReason}
		}
		return ErrReadOnly
	}
	return nil
}

// ReadOnlyReason is why writes are refused ("" when they are not, or when
// the reason is --read-only).
func (c *Cluster) ReadOnlyReason() string { return c.opts.ReadOnlyReason }

// Ping checks the cluster answers (metadata for no topics).
func (c *Cluster) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	if _, err := c.adm.BrokerMetadata(ctx); err != nil {
		return c.explain(err)
	}
	return nil
}

// explain turns a connection failure into one actionable line (which
// broker, what is wrong, what to set).
func (c *Cluster) explain(err error) error {
	if e := c.built.Explain(err, c.diag, c.opts.Brokers, c.opts.Timeout); e != nil {
		return e
	}
	return fmt.Errorf("cannot reach %s: %w", c.Addr(), cleanErr(err))
}

// cleanErr turns context and dial errors into something an operator can read
// in one line.
func cleanErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timed out")
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Err != nil {
		return ne.Err
	}
	return err
}

func (c *Cluster) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opts.Timeout)
}

// ErrUnknownTopic is returned when a topic does not exist.
var ErrUnknownTopic = errors.New("unknown topic")

// Topics lists topics with partition counts, replication, record counts and
// cleanup/retention configs, sorted by name. Internal topics are included
// with Internal set; the caller decides whether to show them.
func (c *Cluster) Topics(ctx context.Context) ([]Topic, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	tds, err := c.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics on %s: %w", c.Addr(), cleanErr(err))
	}
	names := tds.Names()
	out := make([]Topic, 0, len(names))
	if len(names) == 0 {
		return out, nil
	}
	starts, err := c.adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", cleanErr(err))
	}
	ends, err := c.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", cleanErr(err))
	}
	cfgs, err := c.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", cleanErr(err))
	}
	cfgBy := make(map[string]kadm.ResourceConfig, len(cfgs))
	for _, rc := range cfgs {
		cfgBy[rc.Name] = rc
	}
	for _, name := range names {
		td := tds[name]
		t := Topic{Name: name, Partitions: len(td.Partitions), Internal: td.IsInternal, CleanupPolicy: "delete", RetentionMs: 7 * 24 * 3600 * 1000}
		for _, p := range td.Partitions {
			if len(p.Replicas) > t.ReplicationFactor {
				t.ReplicationFactor = len(p.Replicas)
			}
			s, ok1 := starts.Lookup(name, p.Partition)
			e, ok2 := ends.Lookup(name, p.Partition)
			if ok1 && ok2 && s.Err == nil && e.Err == nil && e.Offset > s.Offset {
				t.Records += e.Offset - s.Offset
			}
		}
		if rc, ok := cfgBy[name]; ok {
			for _, cf := range rc.Configs {
				if cf.Value == nil {
					continue
				}
				switch cf.Key {
				case "cleanup.policy":
					t.CleanupPolicy = *cf.Value
				case "retention.ms":
					if v, err := strconv.ParseInt(*cf.Value, 10, 64); err == nil {
						t.RetentionMs = v
					}
				}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// Partitions describes a topic's partitions, sorted by id, including
// watermarks and the newest record's timestamp.
func (c *Cluster) Partitions(ctx context.Context, topic string) ([]Partition, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("metadata for %q: %w", topic, cleanErr(err))
	}
	td, ok := md.Topics[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
	}
	if td.Err != nil {
		return nil, fmt.Errorf("metadata for %q: %w", topic, td.Err)
	}
	c.storeMeta(topic, td)
	starts, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("start offsets of %q: %w", topic, cleanErr(err))
	}
	ends, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", topic, cleanErr(err))
	}
	out := make([]Partition, 0, len(td.Partitions))
	newest := map[int32]int64{}
	for _, pd := range td.Partitions.Sorted() {
		p := Partition{Topic: topic, ID: pd.Partition, Leader: pd.Leader, Replicas: pd.Replicas, ISR: pd.ISR}
		if pd.Err != nil {
			p.Err = pd.Err.Error()
		}
		if s, ok := starts.Lookup(topic, pd.Partition); ok && s.Err == nil {
			p.LogStart = s.Offset
		}
		if e, ok := ends.Lookup(topic, pd.Partition); ok && e.Err == nil {
			p.HighWatermark = e.Offset
		}
		if p.HighWatermark > p.LogStart {
			p.Records = p.HighWatermark - p.LogStart
			newest[p.ID] = p.HighWatermark - 1
		}
		out = append(out, p)
	}
	// One batched fetch for every partition's last record; a failure here only
	// blanks the "newest" column.
	if recs, err := c.FetchAt(ctx, topic, newest); err == nil {
		for i := range out {
			if r, ok := recs[out[i].ID]; ok {
				out[i].NewestTime = r.Timestamp
			}
		}
	}
	return out, nil
}

func (c *Cluster) storeMeta(topic string, td kadm.TopicDetail) {
	m := topicMeta{id: td.ID, leaders: make(map[int32]int32, len(td.Partitions)), fetched: time.Now()}
	for _, p := range td.Partitions {
		m.leaders[p.Partition] = p.Leader
	}
	c.mu.Lock()
	c.topics[topic] = m
	c.mu.Unlock()
}

func (c *Cluster) invalidate(topic string) {
	c.mu.Lock()
	delete(c.topics, topic)
	c.mu.Unlock()
}

// meta returns the cached topic ID and leaders, loading them when missing or
// stale.
func (c *Cluster) meta(ctx context.Context, topic string) (topicMeta, error) {
	c.mu.Lock()
	m, ok := c.topics[topic]
	c.mu.Unlock()
	if ok && time.Since(m.fetched) < metaTTL {
		return m, nil
	}
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return topicMeta{}, fmt.Errorf("metadata for %q: %w", topic, cleanErr(err))
	}
	td, ok := md.Topics[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return topicMeta{}, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
	}
	if td.Err != nil {
		return topicMeta{}, fmt.Errorf("metadata for %q: %w", topic, td.Err)
	}
	c.storeMeta(topic, td)
	c.mu.Lock()
	m = c.topics[topic]
	c.mu.Unlock()
	return m, nil
}

// PartitionIDs returns the topic's partition ids, sorted.
func (c *Cluster) PartitionIDs(ctx context.Context, topic string) ([]int32, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	m, err := c.meta(ctx, topic)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, 0, len(m.leaders))
	for p := range m.leaders {
		ids = append(ids, p)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// Watermarks returns the log start and high watermark of every partition of
// topic.
func (c *Cluster) Watermarks(ctx context.Context, topic string) (map[int32][2]int64, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	starts, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("start offsets of %q: %w", topic, cleanErr(err))
	}
	if err := starts.Error(); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
		}
		return nil, fmt.Errorf("start offsets of %q: %w", topic, err)
	}
	ends, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", topic, cleanErr(err))
	}
	out := map[int32][2]int64{}
	starts.Each(func(o kadm.ListedOffset) {
		if o.Partition < 0 {
			return
		}
		e, _ := ends.Lookup(topic, o.Partition)
		out[o.Partition] = [2]int64{o.Offset, e.Offset}
	})
	return out, nil
}

// OffsetsForTime returns, per partition, the first offset whose timestamp is
// >= t (the high watermark when there is none).
func (c *Cluster) OffsetsForTime(ctx context.Context, topic string, t time.Time) (map[int32]int64, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	// Before 1970 is before every record: 0, never the special -1 (latest)
	// or -2 (earliest) a negative millisecond count would be.
	lo, err := c.adm.ListOffsetsAfterMilli(ctx, when.KafkaMillis(t), topic)
	if err != nil {
		return nil, fmt.Errorf("offsets for time in %q: %w", topic, cleanErr(err))
	}
	if err := lo.Error(); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
		}
		return nil, fmt.Errorf("offsets for time in %q: %w", topic, err)
	}
	var ends kadm.ListedOffsets
	out := map[int32]int64{}
	for p, o := range lo[topic] {
		if o.Offset >= 0 {
			out[p] = o.Offset
			continue
		}
		if ends == nil {
			if ends, err = c.adm.ListEndOffsets(ctx, topic); err != nil {
				return nil, fmt.Errorf("end offsets of %q: %w", topic, cleanErr(err))
			}
		}
		e, _ := ends.Lookup(topic, p)
		out[p] = e.Offset
	}
	return out, nil
}

// CreateTopic creates a topic with replication factor 1 (or the broker
// default when it has more brokers). It is a write: refused in read-only mode.
func (c *Cluster) CreateTopic(ctx context.Context, topic string, partitions int32, configs map[string]*string) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resp, err := c.adm.CreateTopic(ctx, partitions, -1, configs, topic)
	if err != nil {
		return fmt.Errorf("create topic %q: %w", topic, cleanErr(err))
	}
	if resp.Err != nil {
		return fmt.Errorf("create topic %q: %w", topic, resp.Err)
	}
	return nil
}
