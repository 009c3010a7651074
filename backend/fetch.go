package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

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
			rec := convert(r)
			if c.opts.Isolation == ReadUncommitted && r.Attrs.IsTransactional() {
				rec.Txn = TxnOpen // decided by labelTxn
			}
			out = append(out, rec)
		}
		last := fp.Records[len(fp.Records)-1].Offset
		if last+1 <= next || last+1 >= fp.HighWatermark {
			break
		}
		next = last + 1
	}
	if c.opts.Isolation == ReadUncommitted {
		if err := c.labelTxn(ctx, topic, partition, out); err != nil {
			return nil, 0, err
		}
	}
	return out, logStart, nil
}

// labelTxn labels the transactional records of a read-uncommitted window
// (Txn set to TxnOpen by fetchRange) with what became of their transaction,
// by reading the same offsets read-committed: at or past the last stable
// offset a record is open; below it, it is committed if a read-committed
// fetch returns it, aborted if not. Markers are kept in that fetch so an
// aborted run followed by its marker still moves the position.
func (c *Cluster) labelTxn(ctx context.Context, topic string, partition int32, recs []Record) error {
	var todo []int // indexes of transactional records, in offset order
	for i := range recs {
		if recs[i].Txn == TxnOpen {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	hi := recs[todo[len(todo)-1]].Offset
	committed := map[int64]bool{}
	next, lso := recs[todo[0]].Offset, int64(-1)
	for round := 0; round < maxFetchRounds && next <= hi; round++ {
		fp, err := c.fetchOneIso(ctx, topic, partition, next, fetchPartitionBytes, ReadCommitted, true)
		if err != nil {
			return err
		}
		if fp.Err != nil {
			return fmt.Errorf("label transactions of %s[%d]@%d: %w", topic, partition, next, fp.Err)
		}
		lso = fp.LastStableOffset
		if next >= lso {
			break
		}
		if len(fp.Records) == 0 {
			// The first batch at next is aborted data (a committed record
			// or a marker would have come back): the first window record
			// at or after next is aborted; go on after it.
			k := slices.IndexFunc(todo, func(i int) bool { return recs[i].Offset >= next })
			if k < 0 {
				break
			}
			next = recs[todo[k]].Offset + 1
			continue
		}
		for _, r := range fp.Records {
			if !r.Attrs.IsControl() {
				committed[r.Offset] = true
			}
		}
		next = fp.Records[len(fp.Records)-1].Offset + 1
	}
	for _, i := range todo {
		switch o := recs[i].Offset; {
		case lso >= 0 && o >= lso:
			recs[i].Txn = TxnOpen
		case committed[o]:
			recs[i].Txn = TxnCommitted
		case o < next:
			recs[i].Txn = TxnAborted
		default:
			recs[i].Txn = TxnOpen // not reached in maxFetchRounds: undecided
		}
	}
	return nil
}

// fetchOne issues one fetch for one partition to its leader, retrying once
// after a leadership change.
func (c *Cluster) fetchOne(ctx context.Context, topic string, partition int32, offset int64, maxBytes int32) (kgo.FetchPartition, error) {
	return c.fetchOneIso(ctx, topic, partition, offset, maxBytes, c.opts.Isolation, false)
}

func (c *Cluster) fetchOneIso(ctx context.Context, topic string, partition int32, offset int64, maxBytes int32, iso Isolation, control bool) (kgo.FetchPartition, error) {
	res, err := c.fetchMany(ctx, topic, map[int32]int64{partition: offset}, maxBytes, iso, control)
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
// iso is the isolation of the request; control keeps control records
// (transaction markers).
func (c *Cluster) fetchMany(ctx context.Context, topic string, offsets map[int32]int64, maxBytes int32, iso Isolation, control bool) (map[int32]kgo.FetchPartition, error) {
	for attempt := 0; ; attempt++ {
		res, retry, err := c.fetchManyOnce(ctx, topic, offsets, maxBytes, iso, control)
		if err == nil && (!retry || attempt > 0) {
			return res, nil
		}
		if err != nil && attempt > 0 {
			return nil, err
		}
		c.invalidate(topic)
	}
}

func (c *Cluster) fetchManyOnce(ctx context.Context, topic string, offsets map[int32]int64, maxBytes int32, iso Isolation, control bool) (map[int32]kgo.FetchPartition, bool, error) {
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
		req.IsolationLevel = iso.fetchLevel() // the records view is read-committed by default
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = m.id
		for _, p := range parts {
			rt.Partitions = append(rt.Partitions, fetchPartition(p, offsets[p], maxBytes))
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
					KeepControlRecords: control,
					Offset:             offsets[rp.Partition],
					Topic:              topic,
					Partition:          rp.Partition,
					IsolationLevel:     iso.kgo(),
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
	res, err := c.fetchMany(ctx, topic, offsets, peekPartitionBytes, c.opts.Isolation, false)
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

// Stream follows partitions of a topic from the given start offsets, with
// the cluster's isolation (nothing is committed). It runs on Read, so a
// broker that stops answering is retried forever and reported through
// Health, and the tail resumes where it was when the broker is back.
func (c *Cluster) Stream(topic string, start map[int32]int64) (*Stream, error) {
	if len(start) == 0 {
		return nil, fmt.Errorf("tail %s: no partitions", topic)
	}
	spec := ReadSpec{Starts: map[TP]int64{}, Isolation: c.opts.Isolation, What: "tail " + topic,
		MaxBytes: 4 << 20, PartitionMaxBytes: 1 << 20}
	for p, o := range start {
		spec.Starts[TP{topic, p}] = o
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Stream{cancel: cancel, recs: make(chan []Record, 4), done: make(chan struct{})}
	spec.OnHealth = func(h Health) {
		s.mu.Lock()
		s.health, s.hasHealth = h, true
		s.mu.Unlock()
	}
	go func() {
		defer close(s.done)
		err := c.Read(ctx, spec, func(b *Batch) error {
			if len(b.Records) == 0 {
				return nil
			}
			out := make([]Record, len(b.Records))
			for i, r := range b.Records {
				out[i] = convert(r)
				out[i].Txn = b.State(i)
			}
			select {
			case s.recs <- out:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	return s, nil
}

// Stream is a live tail.
type Stream struct {
	cancel context.CancelFunc
	recs   chan []Record
	done   chan struct{}
	rest   []Record // received, not yet returned (Poll's max)

	mu        sync.Mutex
	health    Health
	hasHealth bool
	err       error
}

// Poll blocks until records arrive or ctx is done and returns at most max;
// (nil, nil) when ctx ends first. An error means the tail has stopped.
func (s *Stream) Poll(ctx context.Context, max int) ([]Record, error) {
	if len(s.rest) == 0 {
		select {
		case s.rest = <-s.recs:
		case <-s.done:
			s.mu.Lock()
			err := s.err
			s.mu.Unlock()
			if err == nil {
				err = errors.New("tail closed")
			}
			return nil, fmt.Errorf("tail: %w", err)
		case <-ctx.Done():
			return nil, nil
		}
	}
	// Take what else is already there, up to max, in one batch.
more:
	for len(s.rest) < max {
		select {
		case m := <-s.recs:
			s.rest = append(s.rest, m...)
		default:
			break more
		}
	}
	n := min(max, len(s.rest))
	out := s.rest[:n:n]
	s.rest = s.rest[n:]
	return out, nil
}

// Health is the tail's last broker report: Down while a broker does not
// answer (the tail keeps retrying), then the recovery. ok is false before
// any report.
func (s *Stream) Health() (h Health, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health, s.hasHealth
}

// Close stops the stream and waits for its reader to end.
func (s *Stream) Close() {
	if s != nil && s.cancel != nil {
		s.cancel()
		<-s.done
	}
}

// fetchPartition asks for partition p from offset, at most maxBytes. The
// leader epochs and log start stay at kmsg's defaults (-1, unknown): reads
// follow the leader by metadata, and an out-of-range offset is answered
// as such.
func fetchPartition(p int32, offset int64, maxBytes int32) kmsg.FetchRequestTopicPartition {
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offset, maxBytes
	return fp
}
