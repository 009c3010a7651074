package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend/lag"
)

// Time lag.
//
// A group's time lag on a partition is the age of the oldest record it has
// not consumed: now - the timestamp of the record at the committed offset.
// RecordTimes reads many such records at once: each round sends one Fetch per
// leader broker carrying every pending partition (all topics), starting at
// that partition's lowest pending offset; every pending offset the returned
// batches cover is answered from the same response. Groups on the same
// partition a few records apart therefore share a fetch. A timestamp at an
// offset never changes, so callers pass the previous answer as `known` and
// only new positions are fetched: a stopped group costs nothing after the
// first refresh.

const (
	timeFetchRounds    = 6
	timePartitionBytes = 64 << 10 // one pending offset: one batch is enough
	timeSpreadBytes    = 1 << 20  // several pending offsets: read further
	timeMaxPartBytes   = 16 << 20
	timeRequestBytes   = 32 << 20
)

var timeDecompressor = kgo.DefaultDecompressor()

// Where a time lag comes from.
const (
	TimeLagRecord   = "record"   // age of the record at the committed offset (exact)
	TimeLagEstimate = "estimate" // that record is gone or unread: from high-watermark samples
	// TimeLagAtLeast: the committed offset is below the log start; the oldest
	// surviving record's age is a lower bound (the unread records were older).
	TimeLagAtLeast = "at-least"
)

// TimeLag is how far behind a group is on a partition in wall-clock time.
type TimeLag struct {
	Lag time.Duration
	// Source is TimeLagRecord, TimeLagEstimate, or "" when unknown.
	Source string
}

// TimeLag returns the partition's time lag at now: the age of the record at
// the committed offset when times (from TimeLags) has it, 0 when there is no
// lag, else the estimate from w's high-watermark history (w may be nil).
func (p PartitionLag) TimeLag(now time.Time, times map[Position]time.Time, w *lag.Window) TimeLag {
	if p.Committed < 0 || p.Err != "" {
		return TimeLag{}
	}
	if p.Lag == 0 {
		return TimeLag{Source: TimeLagRecord}
	}
	if t, ok := times[p.Position()]; ok {
		return TimeLag{Lag: max(now.Sub(t), 0), Source: TimeLagRecord}
	}
	if p.Committed < p.LogStart {
		// The record at the commit was deleted; the oldest record left is
		// younger than it, so its age is a floor, and unlike an estimate from
		// the produce rate it never goes down while the group is stopped.
		if t, ok := times[Position{p.Topic, p.Partition, p.LogStart}]; ok {
			return TimeLag{Lag: max(now.Sub(t), 0), Source: TimeLagAtLeast}
		}
	}
	if w != nil {
		if d, ok := w.TimeLag(p.Committed); ok {
			last, _ := w.Last()
			return TimeLag{Lag: d + max(now.Sub(last.At), 0), Source: TimeLagEstimate}
		}
	}
	return TimeLag{}
}

// RecordTime returns the timestamp of the record at offset (the first record
// at or after it, on a compacted log). ok is false when there is no such
// record: the offset is below the log start (deleted) or at/after the high
// watermark.
func (c *Cluster) RecordTime(ctx context.Context, topic string, partition int32, offset int64) (time.Time, bool, error) {
	pos := Position{topic, partition, offset}
	ts, err := c.RecordTimes(ctx, []Position{pos}, nil)
	if err != nil {
		return time.Time{}, false, err
	}
	t, ok := ts[pos]
	return t, ok, nil
}

// TimeLags returns the timestamp of the record at the committed offset of
// every partition in lags that has a record there (Committed in [LogStart,
// HighWatermark)), keyed by PartitionLag.Position(). Time lag is then
// FetchedAt (or now) minus that timestamp. Partitions with no lag are absent
// (time lag 0), as are those whose record is gone (BehindLogStart): use
// lag.EstimateTimeLag from the sample history for those, and say it is an
// estimate. Pass the previous result as known to skip positions already read.
func (c *Cluster) TimeLags(ctx context.Context, lags []GroupLag, known map[Position]time.Time) (map[Position]time.Time, error) {
	var pos []Position
	for i := range lags {
		for _, p := range lags[i].Partitions {
			if p.Err == "" && p.Committed >= 0 && p.Committed >= p.LogStart && p.Committed < p.HighWatermark {
				pos = append(pos, p.Position())
			} else if p.Err == "" && p.Committed >= 0 && p.Committed < p.LogStart && p.LogStart < p.HighWatermark {
				pos = append(pos, Position{p.Topic, p.Partition, p.LogStart})
			}
		}
	}
	return c.RecordTimes(ctx, pos, known)
}

// RecordTimes returns, for each position that has a record, its timestamp,
// with a few batched fetches (see above). Positions whose record is gone or
// not yet written are absent. Entries of known that are asked for again are
// reused without a fetch.
func (c *Cluster) RecordTimes(ctx context.Context, positions []Position, known map[Position]time.Time) (map[Position]time.Time, error) {
	out := make(map[Position]time.Time, len(positions))
	pending := map[topicPartition][]int64{}
	for _, p := range positions {
		if t, ok := known[p]; ok {
			out[p] = t
			continue
		}
		if p.Offset < 0 {
			continue
		}
		k := topicPartition{p.Topic, p.Partition}
		pending[k] = append(pending[k], p.Offset)
	}
	if len(pending) == 0 {
		return out, nil
	}
	topicSet := map[string]struct{}{}
	for k, offs := range pending {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		pending[k] = dedupe(offs)
		topicSet[k.topic] = struct{}{}
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	sort.Strings(topics)

	ctx, cancel := context.WithTimeout(ctx, 2*c.opts.Timeout)
	defer cancel()
	md, err := c.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", strings.Join(topics, ","), cleanErr(err))
	}
	partBytes := map[topicPartition]int32{}
	reloaded := false
	for round := 0; round < timeFetchRounds && len(pending) > 0; round++ {
		resps, retry, err := c.fetchPositions(ctx, md, pending, partBytes)
		if err != nil {
			return nil, err
		}
		for k, fp := range resps {
			offs := pending[k]
			if errors.Is(fp.Err, kerr.OffsetOutOfRange) {
				// Below the log start (gone) or at/after the end: no record.
				keep := offs[:0]
				for _, o := range offs {
					if o >= fp.LogStartOffset && o < fp.HighWatermark {
						keep = append(keep, o)
					}
				}
				pending[k] = keep
				if len(keep) == 0 || keep[0] == offs[0] {
					delete(pending, k) // no progress possible
				}
				continue
			}
			if fp.Err != nil {
				delete(pending, k)
				continue
			}
			// Drop offsets past the end; answer those the records cover.
			recs := fp.Records
			keep := offs[:0]
			ri := 0
			for _, o := range offs {
				if o >= fp.HighWatermark {
					continue
				}
				for ri < len(recs) && recs[ri].Offset < o {
					ri++
				}
				if ri < len(recs) {
					out[Position{k.topic, k.partition, o}] = recs[ri].Timestamp
					continue
				}
				keep = append(keep, o)
			}
			if len(keep) == 0 {
				delete(pending, k)
				continue
			}
			if len(recs) == 0 {
				// Nothing returned below the end: the batch was larger than
				// this partition's share of the response. Ask for more.
				b := max(partBytes[k]*4, timeSpreadBytes)
				if b > timeMaxPartBytes {
					delete(pending, k)
					continue
				}
				partBytes[k] = b
			}
			pending[k] = keep
		}
		if len(retry) > 0 {
			if reloaded {
				for k := range retry {
					delete(pending, k)
				}
				continue
			}
			reloaded = true
			if md, err = c.adm.Metadata(ctx, topics...); err != nil {
				return nil, fmt.Errorf("metadata for %s: %w", strings.Join(topics, ","), cleanErr(err))
			}
		}
	}
	return out, nil
}

func dedupe(s []int64) []int64 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// fetchPositions sends one Fetch per leader for every pending partition at
// its lowest pending offset. It returns the decoded partitions and the
// partitions to retry after a metadata reload (leader moved, unknown topic).
func (c *Cluster) fetchPositions(ctx context.Context, md kadm.Metadata, pending map[topicPartition][]int64, partBytes map[topicPartition]int32) (map[topicPartition]kgo.FetchPartition, map[topicPartition]struct{}, error) {
	retry := map[topicPartition]struct{}{}
	byLeader := map[int32]map[string][]int32{}
	for k := range pending {
		td, ok := md.Topics[k.topic]
		pd, pok := td.Partitions[k.partition]
		if !ok || td.Err != nil || !pok || pd.Leader < 0 {
			retry[k] = struct{}{}
			continue
		}
		m := byLeader[pd.Leader]
		if m == nil {
			m = map[string][]int32{}
			byLeader[pd.Leader] = m
		}
		m[k.topic] = append(m[k.topic], k.partition)
	}
	type result struct {
		resp *kmsg.FetchResponse
		err  error
		req  *kmsg.FetchRequest
	}
	results := make(chan result, len(byLeader))
	var wg sync.WaitGroup
	for leader, tps := range byLeader {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 1
		req.MaxBytes = timeRequestBytes
		req.SessionEpoch = -1
		req.IsolationLevel = c.opts.Isolation.fetchLevel() // time lag of the next record the group reads
		for t, ps := range tps {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = t
			rt.TopicID = md.Topics[t].ID
			for _, p := range ps {
				k := topicPartition{t, p}
				maxBytes := partBytes[k]
				if maxBytes == 0 {
					maxBytes = timePartitionBytes
					if len(pending[k]) > 1 {
						maxBytes = timeSpreadBytes
					}
				}
				rt.Partitions = append(rt.Partitions, fetchPartition(p, pending[k][0], maxBytes))
			}
			req.Topics = append(req.Topics, rt)
		}
		wg.Go(func() {
			resp, err := req.RequestWith(ctx, c.cl.Broker(int(leader)))
			results <- result{resp, err, req}
		})
	}
	wg.Wait()
	close(results)

	id2t := make(map[[16]byte]string, len(md.Topics))
	for name, td := range md.Topics {
		id2t[td.ID] = name
	}
	out := map[topicPartition]kgo.FetchPartition{}
	for r := range results {
		if r.err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("fetch record times from %s: %w", c.Addr(), cleanErr(r.err))
			}
			for _, t := range r.req.Topics {
				for _, p := range t.Partitions {
					retry[topicPartition{t.Topic, p.Partition}] = struct{}{}
				}
			}
			continue
		}
		if err := kerr.ErrorForCode(r.resp.ErrorCode); err != nil {
			return nil, nil, fmt.Errorf("fetch record times from %s: %w", c.Addr(), err)
		}
		for i := range r.resp.Topics {
			rt := &r.resp.Topics[i]
			name := rt.Topic
			if name == "" {
				name = id2t[rt.TopicID]
			}
			for j := range rt.Partitions {
				rp := &rt.Partitions[j]
				k := topicPartition{name, rp.Partition}
				offs, ok := pending[k]
				if !ok {
					continue
				}
				fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
					Offset:         offs[0],
					Topic:          name,
					Partition:      rp.Partition,
					IsolationLevel: c.opts.Isolation.kgo(),
				}, rp, timeDecompressor, nil)
				if retriableLeaderErr(fp.Err) || errors.Is(fp.Err, kerr.UnknownTopicID) {
					retry[k] = struct{}{}
					continue
				}
				out[k] = fp
			}
		}
	}
	return out, retry, nil
}
