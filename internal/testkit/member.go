package testkit

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// JoinAndCommit starts a member of group consuming topic from the start,
// reads until every partition in commit has delivered the record just below
// its offset (unless the group's commit is already there), commits exactly
// those offsets, and waits until the broker
// shows the member in the group (classic or KIP-848: pass
// kgo.GroupProtocol("consumer") in opts for the latter). The member stays in
// the group, without polling, until the caller closes it or the test ends.
func (b *Broker) JoinAndCommit(group, topic string, commit map[int32]int64, opts ...kgo.Opt) *kgo.Client {
	b.T.Helper()
	cl := b.NewClient(append([]kgo.Opt{
		kgo.ClientID("testkit-" + group),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opts...)...)
	c, cancel := ctx()
	defer cancel()
	need := map[int32]bool{}
	have := b.GroupOffsets(group, topic) // a group resumes from its commits
	for p, o := range commit {
		if o > 0 && have[p] < o {
			need[p] = true
		}
	}
	for len(need) > 0 {
		fs := cl.PollFetches(c)
		if c.Err() != nil {
			b.T.Fatalf("testkit: %s never read up to %v (missing %v)", group, commit, slices.Sorted(maps.Keys(need)))
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Topic == topic && r.Offset+1 >= commit[r.Partition] {
				delete(need, r.Partition)
			}
		})
	}
	offs := map[int32]kgo.EpochOffset{}
	for p, o := range commit {
		offs[p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	var cerr error
	cl.CommitOffsetsSync(c, map[string]map[int32]kgo.EpochOffset{topic: offs}, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 && cerr == nil {
					cerr = fmt.Errorf("%s/%d: error code %d", t.Topic, p.Partition, p.ErrorCode)
				}
			}
		}
	})
	if cerr != nil {
		b.T.Fatalf("testkit: %s: commit %v: %v", group, commit, cerr)
	}
	b.WaitMembers(group, 1)
	return cl
}

// Members is the group's member count as the broker reports it, looking at
// both the classic (DescribeGroups) and the KIP-848 (ConsumerGroupDescribe)
// view: a KIP-848 group shows no members in DescribeGroups.
func (b *Broker) Members(group string) int {
	c, cancel := ctx()
	defer cancel()
	n := 0
	if dg, err := b.Adm.DescribeGroups(c, group); err == nil {
		if g, ok := dg[group]; ok && g.Err == nil {
			n = len(g.Members)
		}
	}
	if dc, err := b.Adm.DescribeConsumerGroups(c, group); err == nil {
		if g, ok := dc[group]; ok && g.Err == nil && len(g.Members) > n {
			n = len(g.Members)
		}
	}
	return n
}

// WaitMembers waits until group has n members.
func (b *Broker) WaitMembers(group string, n int) {
	b.T.Helper()
	WaitFor(b.T, fmt.Sprintf("group %s to have %d member(s)", group, n), func() (bool, string) {
		m := b.Members(group)
		return m == n, fmt.Sprintf("%d members", m)
	})
}
