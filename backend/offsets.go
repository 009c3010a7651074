package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Group offset writes (reset, replay groups, cut-over) and the reads their
// guards need. Every write calls CheckWrite first: --read-only is refused
// here, before any request is sent.
//
// The guards proper (group must be empty, window must exist, idempotency
// answer, audit) live in package replay; the backend adds the last line of
// defence the broker gives anyway (Kafka refuses a simple commit to a group
// with members, and deleting a non-empty group) and turns those broker
// errors into sentences.

// ErrUnknownGroup is returned when a group does not exist.
var ErrUnknownGroup = errors.New("unknown consumer group")

// GroupState describes group for the write guards: its state ("Empty",
// "Stable", "PreparingRebalance", ... ; "Dead" when the group does not
// exist), the number of members and the protocol ("classic" or "consumer"
// for KIP-848). It is KIP-848 aware: members of a KIP-848 group are counted
// through ConsumerGroupDescribe (DescribeGroups shows them as none). A group
// that could not be described is an error, never "no members": callers use
// this to allow writes and must fail closed.
func (c *Cluster) GroupState(ctx context.Context, group string) (state string, members int, protocol string, err error) {
	gls, err := c.collectGroups(ctx, []string{group}, false)
	if err != nil {
		return "", 0, "", fmt.Errorf("describe group %q: %w", group, err)
	}
	if len(gls) != 1 {
		return "", 0, "", fmt.Errorf("describe group %q: %d answers", group, len(gls))
	}
	g := gls[0]
	if g.Err != "" {
		if g.Err == "no such group" {
			return "Dead", 0, g.Protocol, nil
		}
		return "", 0, "", fmt.Errorf("describe group %q: %s", group, g.Err)
	}
	state = g.State
	if state == "" {
		state = "Dead"
	}
	return state, g.Members, g.Protocol, nil
}

// CommittedOffsets returns the group's committed offsets: topic ->
// partition -> offset. Partitions without a commit are left out; a group
// that does not exist has none (an empty map, no error).
func (c *Cluster) CommittedOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.FetchOffsets(ctx, group)
	out := map[string]map[int32]int64{}
	if err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			return out, nil
		}
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, cleanErr(err))
	}
	var bad []string
	for t, ps := range resps {
		for p, o := range ps {
			if o.Err != nil {
				bad = append(bad, fmt.Sprintf("%s/%d: %v", t, p, o.Err))
				continue
			}
			if o.At < 0 {
				continue
			}
			if out[t] == nil {
				out[t] = map[int32]int64{}
			}
			out[t][p] = o.At
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("committed offsets of group %q: %s", group, strings.Join(bad, "; "))
	}
	return out, nil
}

// CommitGroupOffsets commits offsets (topic -> partition -> offset) for
// group as an admin ("simple") commit. Every partition must exist; the
// commit is sent only when all do, and any partition the broker refuses
// makes it an error naming the partitions. The broker refuses commits to a
// group with members; that is reported as such.
func (c *Cluster) CommitGroupOffsets(ctx context.Context, group string, offsets map[string]map[int32]int64) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	if group == "" {
		return errors.New("commit offsets: empty group name")
	}
	if len(offsets) == 0 {
		return fmt.Errorf("commit offsets of group %q: nothing to commit", group)
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()

	topics := make([]string, 0, len(offsets))
	for t := range offsets {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	tds, err := c.adm.ListTopics(ctx, topics...)
	if err != nil {
		return fmt.Errorf("commit offsets of group %q: metadata: %w", group, cleanErr(err))
	}
	os := kadm.Offsets{}
	var bad []string
	for _, t := range topics {
		td, ok := tds[t]
		if !ok || td.Err != nil {
			bad = append(bad, fmt.Sprintf("%v %q", ErrUnknownTopic, t))
			continue
		}
		for p, o := range offsets[t] {
			if _, ok := td.Partitions[p]; !ok {
				bad = append(bad, fmt.Sprintf("topic %q has no partition %d", t, p))
				continue
			}
			if o < 0 {
				bad = append(bad, fmt.Sprintf("%s/%d: negative offset %d", t, p, o))
				continue
			}
			os.Add(kadm.Offset{Topic: t, Partition: p, At: o, LeaderEpoch: -1})
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("commit offsets of group %q: nothing committed: %s", group, strings.Join(bad, "; "))
	}
	resps, err := c.adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return fmt.Errorf("commit offsets of group %q: %w", group, cleanErr(err))
	}
	var failed []string
	var active bool
	resps.Each(func(r kadm.OffsetResponse) {
		if r.Err == nil {
			return
		}
		if errors.Is(r.Err, kerr.UnknownMemberID) || errors.Is(r.Err, kerr.IllegalGeneration) ||
			errors.Is(r.Err, kerr.RebalanceInProgress) || errors.Is(r.Err, kerr.StaleMemberEpoch) {
			active = true
		}
		failed = append(failed, fmt.Sprintf("%s/%d: %v", r.Topic, r.Partition, r.Err))
	})
	if len(failed) > 0 {
		sort.Strings(failed)
		what := fmt.Sprintf("commit offsets of group %q", group)
		if active {
			what += " refused by the broker: the group has active members"
		}
		return fmt.Errorf("%s: %d of %d partitions failed: %s", what, len(failed), len(os.Sorted()), strings.Join(failed, "; "))
	}
	return nil
}

// DeleteGroup deletes a group and its committed offsets. The broker refuses
// a group with members; that is reported as such. A group that does not
// exist is ErrUnknownGroup.
func (c *Cluster) DeleteGroup(ctx context.Context, group string) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	_, err := c.adm.DeleteGroup(ctx, group)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.GroupIDNotFound):
		return fmt.Errorf("delete group %q: %w", group, ErrUnknownGroup)
	case errors.Is(err, kerr.NonEmptyGroup):
		return fmt.Errorf("delete group %q refused by the broker: the group has active members", group)
	}
	return fmt.Errorf("delete group %q: %w", group, cleanErr(err))
}
