package backend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/when"
)

// StartKind says how a start position was given.
type StartKind int

// Start position kinds.
const (
	StartEarliest StartKind = iota
	StartLatest
	StartOffset  // an absolute offset in every selected partition
	StartFromEnd // N records before the end of each partition (kcat's -o -N)
	StartTime    // first record at or after a time
)

// Start is a parsed --from value.
type Start struct {
	Kind   StartKind
	Offset int64
	Time   time.Time
}

// ParseStart parses earliest | latest | OFFSET | -N (N records before the
// end) | a point in time in the one grammar of package when: -15m, 1h (ago),
// 1d12h, PT1H, RFC3339, 2026-11-30 12:00, 12:00 (today). A time with no
// zone is UTC. now anchors relative times.
func ParseStart(s string, now time.Time) (Start, error) { return ParseStartIn(s, now, time.UTC) }

// ParseStartIn is ParseStart with a time with no zone ("12:00",
// "2026-11-30 12:00") read in loc: the TUI reads them in the zone it shows
// record times in.
func ParseStartIn(s string, now time.Time, loc *time.Location) (Start, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "earliest", "beginning", "start", "oldest":
		return Start{Kind: StartEarliest}, nil
	case "latest", "end", "newest":
		return Start{Kind: StartLatest}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil {
			return Start{}, fmt.Errorf("bad start position %q: offset out of range", s)
		}
		if n < 0 {
			if n == math.MinInt64 {
				n++ // -n must not overflow; that many records is "all of them" anyway
			}
			return Start{Kind: StartFromEnd, Offset: -n}, nil
		}
		return Start{Kind: StartOffset, Offset: n}, nil
	}
	t, err := when.ParsePast(s, now, loc)
	if err != nil {
		return Start{}, fmt.Errorf("bad start position %q: want earliest, latest, an offset, -N, or a time (%v)", s, err)
	}
	return Start{Kind: StartTime, Time: t}, nil
}

// ResolveStart turns a Start into an offset per partition (nil parts = all
// partitions), clamped to [log start, end], where end is what a read with
// the cluster's isolation reads up to: the last stable offset for
// read-committed (records of still-open transactions are beyond it), the
// high watermark for read-uncommitted. It also returns those ends, taken
// at the same moment: the targets of --until end.
func (c *Cluster) ResolveStart(ctx context.Context, topic string, parts []int32, st Start) (start, end map[int32]int64, err error) {
	return c.resolveStart(ctx, topic, parts, st, c.opts.Isolation)
}

func (c *Cluster) resolveStart(ctx context.Context, topic string, parts []int32, st Start, iso Isolation) (start, end map[int32]int64, err error) {
	wm, err := c.Watermarks(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	if len(wm) == 0 {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
	}
	if iso == ReadCommitted {
		lso, err := c.StableOffsets(ctx, topic)
		if err != nil {
			return nil, nil, err
		}
		for p, w := range wm {
			if o, ok := lso[p]; ok && o >= w[0] && o <= w[1] {
				wm[p] = [2]int64{w[0], o}
			}
		}
	}
	sel := map[int32][2]int64{}
	if parts == nil {
		sel = wm
	} else {
		for _, p := range parts {
			w, ok := wm[p]
			if !ok {
				return nil, nil, fmt.Errorf("topic %q has no partition %d (it has %d)", topic, p, len(wm))
			}
			sel[p] = w
		}
	}
	var byTime map[int32]int64
	if st.Kind == StartTime {
		if byTime, err = c.OffsetsForTime(ctx, topic, st.Time); err != nil {
			return nil, nil, err
		}
	}
	start, end = map[int32]int64{}, map[int32]int64{}
	for p, w := range sel {
		lo, hi := w[0], w[1]
		var o int64
		switch st.Kind {
		case StartEarliest:
			o = lo
		case StartLatest:
			o = hi
		case StartOffset:
			o = st.Offset
		case StartFromEnd:
			o = lo
			if st.Offset < hi-lo {
				o = hi - st.Offset // no overflow: 0 <= st.Offset < hi-lo
			}
		case StartTime:
			o = hi
			if v, ok := byTime[p]; ok {
				o = v
			}
		}
		start[p], end[p] = min(max(o, lo), hi), hi
	}
	return start, end, nil
}

// StableOffsets returns each partition's last stable offset: the end of
// what a read-committed reader can read now (records of transactions still
// open are at or after it).
func (c *Cluster) StableOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	lo, err := c.adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
		}
		return nil, fmt.Errorf("last stable offsets of %q: %w", topic, cleanErr(err))
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Partition >= 0 {
			out[o.Partition] = o.Offset
		}
	})
	return out, nil
}

// ConsumeOptions configures Consume.
type ConsumeOptions struct {
	Topic      string
	Partitions []int32 // nil = all
	From       Start
	Count      int64 // stop after this many records (0 = no limit)
	// UntilEnd stops at the ends taken at start (see ResolveStart).
	UntilEnd bool
	// OnHealth hears about brokers that stop answering and recover (see
	// ReadSpec).
	OnHealth func(Health)
}

// Consume reads records without a consumer group (nothing is committed)
// with the cluster's isolation, and calls fn for each, in per-partition
// offset order, with the state of its transaction (always TxnNone or
// TxnCommitted under read-committed). fn must not keep the record: its
// buffers are reused. Without UntilEnd or Count it follows the log until
// ctx is done. A bounded read that cannot finish returns *IncompleteError.
func (c *Cluster) Consume(ctx context.Context, o ConsumeOptions, fn func(*kgo.Record, TxnState) error) error {
	return c.ConsumeBatches(ctx, o, func(b *Batch) error {
		for i, r := range b.Records {
			if err := fn(r, b.State(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ConsumeBatches is Consume a batch at a time (records of one partition, in
// offset order; see Batch), for callers that work on many records at once.
// With Count the last batch is cut to the records still wanted. Records are
// valid only during fn.
func (c *Cluster) ConsumeBatches(ctx context.Context, o ConsumeOptions, fn func(*Batch) error) error {
	start, end, err := c.ResolveStart(ctx, o.Topic, o.Partitions, o.From)
	if err != nil {
		return err
	}
	spec := ReadSpec{Starts: map[TP]int64{}, Isolation: c.opts.Isolation, OnHealth: o.OnHealth, What: "consume " + o.Topic}
	for p, s := range start {
		spec.Starts[TP{o.Topic, p}] = s
	}
	if o.UntilEnd {
		spec.Targets = map[TP]int64{}
		for p, e := range end {
			spec.Targets[TP{o.Topic, p}] = e
		}
	}
	var n int64
	return c.Read(ctx, spec, func(b *Batch) error {
		if len(b.Records) == 0 {
			return nil
		}
		last := o.Count > 0 && n+int64(len(b.Records)) >= o.Count
		if last {
			cut := *b
			cut.Records = b.Records[:o.Count-n]
			if b.Txn != nil {
				cut.Txn = b.Txn[:o.Count-n]
			}
			b = &cut
		}
		n += int64(len(b.Records))
		if err := fn(b); err != nil {
			return err
		}
		if last {
			return ErrStopRead
		}
		return nil
	})
}
