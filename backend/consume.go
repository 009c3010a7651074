package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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

// ParseStart parses earliest | latest | OFFSET | -N | RFC3339 | -DURATION
// (e.g. -15m, -2h30m). A time with no zone is UTC. now anchors durations.
func ParseStart(s string, now time.Time) (Start, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "earliest", "beginning", "start", "oldest":
		return Start{Kind: StartEarliest}, nil
	case "latest", "end", "newest":
		return Start{Kind: StartLatest}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return Start{Kind: StartFromEnd, Offset: -n}, nil
		}
		return Start{Kind: StartOffset, Offset: n}, nil
	}
	if strings.HasPrefix(s, "-") {
		if d, err := parseDuration(s[1:]); err == nil && d > 0 {
			return Start{Kind: StartTime, Time: now.Add(-d)}, nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Start{Kind: StartTime, Time: t}, nil
		}
	}
	return Start{}, fmt.Errorf("bad start position %q: want earliest, latest, an offset, -N, an RFC3339 time or -DURATION like -15m or -2d", s)
}

// parseDuration is time.ParseDuration plus a leading day count: "2d",
// "1d12h" (operators think of retention in days).
func parseDuration(s string) (time.Duration, error) {
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || days < 0 || days > 100000 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		var rest time.Duration
		if i+1 < len(s) {
			if rest, err = time.ParseDuration(s[i+1:]); err != nil {
				return 0, err
			}
		}
		return time.Duration(days)*24*time.Hour + rest, nil
	}
	return time.ParseDuration(s)
}

// ResolveStart turns a Start into an offset per partition (nil parts = all
// partitions), clamped to [log start, high watermark]. It also returns the
// high watermarks taken at the same moment, for --until end.
func (c *Cluster) ResolveStart(ctx context.Context, topic string, parts []int32, st Start) (start, end map[int32]int64, err error) {
	wm, err := c.Watermarks(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	if len(wm) == 0 {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
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
			o = hi - st.Offset
		case StartTime:
			o = hi
			if v, ok := byTime[p]; ok {
				o = v
			}
		}
		if o < lo {
			o = lo
		}
		if o > hi {
			o = hi
		}
		start[p], end[p] = o, hi
	}
	return start, end, nil
}

// ConsumeOptions configures Consume.
type ConsumeOptions struct {
	Topic      string
	Partitions []int32 // nil = all
	From       Start
	Count      int64 // stop after this many records (0 = no limit)
	UntilEnd   bool  // stop at the high watermarks taken at start
}

// Consume reads records without a consumer group (nothing is committed) and
// calls fn for each, in per-partition offset order. fn must not keep the
// record: its buffers are reused. Without UntilEnd or Count it follows the
// log until ctx is done.
func (c *Cluster) Consume(ctx context.Context, o ConsumeOptions, fn func(*kgo.Record) error) error {
	start, end, err := c.ResolveStart(ctx, o.Topic, o.Partitions, o.From)
	if err != nil {
		return err
	}
	remaining := map[int32]bool{}
	offs := map[int32]kgo.Offset{}
	for p, s := range start {
		offs[p] = kgo.NewOffset().At(s)
		if s < end[p] {
			remaining[p] = true
		}
	}
	if o.UntilEnd && len(remaining) == 0 {
		return nil
	}
	cl, err := c.NewClient("consume",
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.Topic: offs}),
		kgo.FetchMaxBytes(16<<20),
		kgo.FetchMaxPartitionBytes(4<<20),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		return fmt.Errorf("consume %s: %w", o.Topic, err)
	}
	defer cl.Close()
	var n int64
	idle := 0
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollRecords(pctx, 10000)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if fs.NumRecords() == 0 {
			// Transaction markers or compaction gaps can leave the last
			// offsets before a high watermark without a record; a bounded
			// read finishes after a few idle seconds instead of hanging.
			if idle++; o.UntilEnd && idle >= 3 {
				return nil
			}
		} else {
			idle = 0
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("consume %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		done := false
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			for _, r := range fp.Records {
				if done {
					return
				}
				if o.UntilEnd {
					if !remaining[r.Partition] {
						continue
					}
					if r.Offset >= end[r.Partition] {
						delete(remaining, r.Partition)
						continue
					}
				}
				if err := fn(r); err != nil {
					ferr, done = err, true
					return
				}
				n++
				if o.Count > 0 && n >= o.Count {
					done = true
					return
				}
				if o.UntilEnd && r.Offset+1 >= end[r.Partition] {
					delete(remaining, r.Partition)
				}
			}
		})
		if ferr != nil {
			return ferr
		}
		if done || (o.UntilEnd && len(remaining) == 0) {
			return nil
		}
	}
}
