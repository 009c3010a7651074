package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Watermarks for lag: log starts and high watermarks of the partitions the
// groups touch, one ListOffsets per leader.

type topicPartition struct {
	topic     string
	partition int32
}

type watermark struct {
	start, end int64
	err        error
}

// listWatermarks lists log starts and high watermarks of every partition of
// topics with one ListOffsets per leader for each, sent straight to the
// leaders named in md (no extra metadata round trip). Partitions whose
// leader moved are retried once through kadm, which reloads metadata.
func (c *Cluster) listWatermarks(ctx context.Context, md kadm.Metadata, topics []string) (map[topicPartition]watermark, error) {
	out := make(map[topicPartition]watermark)
	byLeader := map[int32]map[string][]int32{}
	for _, t := range topics {
		td, ok := md.Topics[t]
		if !ok || td.Err != nil {
			var err error = kerr.UnknownTopicOrPartition
			if ok {
				err = td.Err
			}
			out[topicPartition{t, -1}] = watermark{err: err}
			continue
		}
		for p, pd := range td.Partitions {
			if pd.Leader < 0 {
				out[topicPartition{t, p}] = watermark{err: kerr.LeaderNotAvailable}
				continue
			}
			m := byLeader[pd.Leader]
			if m == nil {
				m = map[string][]int32{}
				byLeader[pd.Leader] = m
			}
			m[t] = append(m[t], p)
		}
	}

	type result struct {
		leader int32
		start  bool
		resp   *kmsg.ListOffsetsResponse
		err    error
	}
	results := make(chan result, 2*len(byLeader))
	var wg sync.WaitGroup
	for leader, tps := range byLeader {
		for _, start := range []bool{true, false} {
			wg.Go(func() {
				req := kmsg.NewPtrListOffsetsRequest()
				req.ReplicaID = -1
				ts := int64(-1)
				if start {
					ts = -2
				}
				for t, ps := range tps {
					rt := kmsg.NewListOffsetsRequestTopic()
					rt.Topic = t
					for _, p := range ps {
						rp := kmsg.NewListOffsetsRequestTopicPartition()
						rp.Partition = p
						rp.Timestamp = ts
						rt.Partitions = append(rt.Partitions, rp)
					}
					req.Topics = append(req.Topics, rt)
				}
				resp, err := req.RequestWith(ctx, c.cl.Broker(int(leader)))
				results <- result{leader, start, resp, err}
			})
		}
	}
	wg.Wait()
	close(results)

	retry := map[string]struct{}{}
	for r := range results {
		if r.err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("list offsets on %s: %w", c.Addr(), cleanErr(r.err))
			}
			for t := range byLeader[r.leader] {
				retry[t] = struct{}{}
			}
			continue
		}
		for _, t := range r.resp.Topics {
			for _, p := range t.Partitions {
				k := topicPartition{t.Topic, p.Partition}
				wm := out[k]
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					if retriableLeaderErr(err) {
						retry[t.Topic] = struct{}{}
					}
					wm.err = err
				} else if r.start {
					wm.start = p.Offset
				} else {
					wm.end = p.Offset
				}
				out[k] = wm
			}
		}
	}
	if len(retry) > 0 {
		ts := make([]string, 0, len(retry))
		for t := range retry {
			ts = append(ts, t)
		}
		starts, err1 := c.adm.ListStartOffsets(ctx, ts...)
		ends, err2 := c.adm.ListEndOffsets(ctx, ts...)
		if err := errors.Join(err1, err2); err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("list offsets on %s: %w", c.Addr(), cleanErr(err))
		}
		for _, t := range ts {
			for p := range md.Topics[t].Partitions {
				k := topicPartition{t, p}
				s, ok1 := starts.Lookup(t, p)
				e, ok2 := ends.Lookup(t, p)
				switch {
				case !ok1 || !ok2:
					out[k] = watermark{err: errors.New("missing from list offsets")}
				case s.Err != nil:
					out[k] = watermark{err: s.Err}
				case e.Err != nil:
					out[k] = watermark{err: e.Err}
				default:
					out[k] = watermark{start: s.Offset, end: e.Offset}
				}
			}
		}
	}
	return out, nil
}

// lookupWatermark finds a partition's watermarks; a topic missing from
// metadata (deleted while the group still has commits on it) reports its
// topic-level error on every partition.
func lookupWatermark(marks map[topicPartition]watermark, t string, p int32) watermark {
	if wm, ok := marks[topicPartition{t, p}]; ok {
		return wm
	}
	if wm, ok := marks[topicPartition{t, -1}]; ok {
		return wm
	}
	return watermark{err: kerr.UnknownTopicOrPartition}
}

func retriableLeaderErr(err error) bool {
	return errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.LeaderNotAvailable) ||
		errors.Is(err, kerr.FencedLeaderEpoch) || errors.Is(err, kerr.UnknownLeaderEpoch) ||
		errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.NotCoordinator)
}
