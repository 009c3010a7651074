package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Raw fetches (not a consumer) let the records view read any window by
// offset on the shared client: no group, no per-window connection set-up,
// nothing committed.

const (
	fetchPartitionBytes = 1 << 20 // per request; a batch larger than this still comes whole (KIP-74)
	peekPartitionBytes  = 64 << 10
	maxFetchRounds      = 64 // bounds a window read even on a sparse compacted log
)

var decompressor = kgo.DefaultDecompressor()

// Fetch reads up to max records of one partition starting at offset from
// (inclusive), in offset order, stopping at the high watermark. It returns
// fewer than max records only at the end of the log. An offset below the log
// start reads from the log start.
func (c *Cluster) Fetch(ctx context.Context, topic string, partition int32, from int64, max int) ([]Record, error) {
	recs, _, err := c.fetchRange(ctx, topic, partition, from, -1, max)
	return recs, err
}

// FetchBefore reads up to max records with offsets < before, in offset
// order (the max records just before `before`), for paging backwards. It
// returns fewer only at the log start.
func (c *Cluster) FetchBefore(ctx context.Context, topic string, partition int32, before int64, max int) ([]Record, error) {
	if max <= 0 || before <= 0 {
		return nil, nil
	}
	// Offsets are dense except on compacted logs, so one read of [before-max,
	// before) is usually enough; widen the step when compaction left gaps.
	step := int64(max)
	var out []Record
	end := before
	for round := 0; round < maxFetchRounds && len(out) < max && end > 0; round++ {
		start := end - step
		if start < 0 {
			start = 0
		}
		recs, logStart, err := c.fetchRange(ctx, topic, partition, start, end, int(end-start))
		if err != nil {
			return nil, err
		}
		out = append(recs, out...)
		if start <= logStart || start == 0 {
			break
		}
		end = start
		step *= 2
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out, nil
}

// fetchRange reads records with from <= offset < until (until < 0: no bound),
// at most max. It returns the partition's log start as the broker reported it.
func (c *Cluster) fetchRange(ctx context.Context, topic string, partition int32, from, until int64, max int) ([]Record, int64, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	var out []Record
	next := from
	logStart := int64(0)
	for round := 0; round < maxFetchRounds && len(out) < max; round++ {
		if until >= 0 && next >= until {
			break
		}
		fp, err := c.fetchOne(ctx, topic, partition, next, fetchPartitionBytes)
		if err != nil {
			return nil, 0, err
		}
		logStart = fp.LogStartOffset
		if errors.Is(fp.Err, kerr.OffsetOutOfRange) {
			if next < fp.LogStartOffset {
				next = fp.LogStartOffset
				continue
			}
			break // at or past the high watermark
		}
		if fp.Err != nil {
			return nil, 0, fmt.Errorf("fetch %s[%d]@%d: %w", topic, partition, next, fp.Err)
		}
		if len(fp.Records) == 0 {
			break
		}
		for _, r := range fp.Records {
			if r.Offset < next {
				continue
			}
			if (until >= 0 && r.Offset >= until) || len(out) >= max {
				return out, logStart, nil
			}
			out = append(out, convert(r))
		}
		last := fp.Records[len(fp.Records)-1].Offset
		if last+1 <= next || last+1 >= fp.HighWatermark {
			break
		}
		next = last + 1
	}
	return out, logStart, nil
}

// fetchOne issues one fetch for one partition to its leader, retrying once
// after a leadership change.
func (c *Cluster) fetchOne(ctx context.Context, topic string, partition int32, offset int64, maxBytes int32) (kgo.FetchPartition, error) {
	res, err := c.fetchMany(ctx, topic, map[int32]int64{partition: offset}, maxBytes)
	if err != nil {
		return kgo.FetchPartition{}, err
	}
	fp, ok := res[partition]
	if !ok {
		return kgo.FetchPartition{}, fmt.Errorf("fetch %s[%d]: no such partition", topic, partition)
	}
	return fp, nil
}

// fetchMany fetches several partitions of a topic at given offsets, one
// request per leader broker.
func (c *Cluster) fetchMany(ctx context.Context, topic string, offsets map[int32]int64, maxBytes int32) (map[int32]kgo.FetchPartition, error) {
	for attempt := 0; ; attempt++ {
		res, retry, err := c.fetchManyOnce(ctx, topic, offsets, maxBytes)
		if err == nil && (!retry || attempt > 0) {
			return res, nil
		}
		if err != nil && attempt > 0 {
			return nil, err
		}
		c.invalidate(topic)
	}
}

func (c *Cluster) fetchManyOnce(ctx context.Context, topic string, offsets map[int32]int64, maxBytes int32) (map[int32]kgo.FetchPartition, bool, error) {
	m, err := c.meta(ctx, topic)
	if err != nil {
		return nil, false, err
	}
	byLeader := map[int32][]int32{}
	for p := range offsets {
		leader, ok := m.leaders[p]
		if !ok {
			return nil, false, fmt.Errorf("%s has no partition %d", topic, p)
		}
		byLeader[leader] = append(byLeader[leader], p)
	}
	out := make(map[int32]kgo.FetchPartition, len(offsets))
	retry := false
	for leader, parts := range byLeader {
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 1
		req.MaxBytes = 64 << 20
		req.SessionEpoch = -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = m.id
		for _, p := range parts {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition = p
			rp.FetchOffset = offsets[p]
			rp.PartitionMaxBytes = maxBytes
			rp.CurrentLeaderEpoch = -1
			rp.LastFetchedEpoch = -1
			rp.LogStartOffset = -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		kresp, err := c.cl.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			return nil, false, fmt.Errorf("fetch %s from broker %d: %w", topic, leader, cleanErr(err))
		}
		resp := kresp.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, false, fmt.Errorf("fetch %s: %w", topic, err)
		}
		for i := range resp.Topics {
			t := &resp.Topics[i]
			for j := range t.Partitions {
				rp := &t.Partitions[j]
				fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
					Offset:    offsets[rp.Partition],
					Topic:     topic,
					Partition: rp.Partition,
				}, rp, decompressor, nil)
				if errors.Is(fp.Err, kerr.NotLeaderForPartition) || errors.Is(fp.Err, kerr.UnknownTopicID) ||
					errors.Is(fp.Err, kerr.FencedLeaderEpoch) || errors.Is(fp.Err, kerr.UnknownTopicOrPartition) {
					retry = true
				}
				out[rp.Partition] = fp
			}
		}
	}
	return out, retry, nil
}

// FetchAt reads, for each partition, the first record at or after the given
// offset, in one request per leader. Partitions with no such record are
// absent from the result.
func (c *Cluster) FetchAt(ctx context.Context, topic string, offsets map[int32]int64) (map[int32]Record, error) {
	out := map[int32]Record{}
	if len(offsets) == 0 {
		return out, nil
	}
	res, err := c.fetchMany(ctx, topic, offsets, peekPartitionBytes)
	if err != nil {
		return nil, err
	}
	for p, fp := range res {
		if len(fp.Records) == 0 && fp.Err == nil && offsets[p] < fp.HighWatermark {
			// A batch larger than the per-partition limit is only returned
			// for the first partition of a response (KIP-74); ask for this
			// one alone, where it is always returned whole.
			one, err := c.fetchOne(ctx, topic, p, offsets[p], fetchPartitionBytes)
			if err != nil {
				return nil, err
			}
			fp = one
		}
		for _, r := range fp.Records {
			if r.Offset >= offsets[p] {
				out[p] = convert(r)
				break
			}
		}
	}
	return out, nil
}

// convert copies a kgo record so the window does not pin whole fetch
// buffers in memory.
func convert(r *kgo.Record) Record {
	rec := Record{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp,
	}
	if r.Key != nil {
		rec.Key = append([]byte(nil), r.Key...)
	}
	if r.Value != nil {
		rec.Value = append([]byte(nil), r.Value...)
	}
	if len(r.Headers) > 0 {
		rec.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			rec.Headers[i] = Header{Key: h.Key, Value: append([]byte(nil), h.Value...)}
		}
	}
	return rec
}

// Stream follows partitions of a topic from the given start offsets
// (kgo.ConsumePartitions with no group: nothing is committed).
func (c *Cluster) Stream(topic string, start map[int32]int64) (*Stream, error) {
	parts := map[int32]kgo.Offset{}
	for p, o := range start {
		parts[p] = kgo.NewOffset().At(o)
	}
	cl, err := c.NewClient("tail",
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}),
		kgo.FetchMaxWait(250*time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return nil, fmt.Errorf("tail %s: %w", topic, err)
	}
	return &Stream{cl: cl}, nil
}

// Stream is a live tail.
type Stream struct{ cl *kgo.Client }

// Poll blocks until records arrive or ctx is done and returns at most max.
func (s *Stream) Poll(ctx context.Context, max int) ([]Record, error) {
	fs := s.cl.PollRecords(ctx, max)
	if fs.IsClientClosed() {
		return nil, errors.New("tail closed")
	}
	var firstErr error
	fs.EachError(func(t string, p int32, err error) {
		if firstErr == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			firstErr = fmt.Errorf("tail %s[%d]: %w", t, p, err)
		}
	})
	var out []Record
	fs.EachRecord(func(r *kgo.Record) { out = append(out, convert(r)) })
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Close stops the stream and its client.
func (s *Stream) Close() {
	if s != nil && s.cl != nil {
		s.cl.Close()
	}
}
