package admin

import (
	"context"
	"fmt"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// DeleteGroup deletes a consumer group, only when it has no members
// (classic and KIP-848) and the operator typed its name. The audit entry
// keeps every committed offset it had, so it can be recreated.
func DeleteGroup(ctx context.Context, c *backend.Cluster, env replay.Env, group, confirm string) (*replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditDelete)
	en.Group = group
	en.Confirmations.Confirm = confirm
	err := func() error {
		if err := confirmedWritable(env, "group", group, confirm); err != nil {
			return err
		}
		st, _, _, err := c.GroupState(ctx, group)
		if err != nil {
			return err
		}
		before, err := c.CommittedOffsets(ctx, group)
		if err != nil {
			return err
		}
		if st == "Dead" && len(before) == 0 {
			return fmt.Errorf("delete group %q: %w", group, backend.ErrUnknownGroup)
		}
		en.Partitions = replay.AuditPartitions(before, nil)
		// Last, closest to the write.
		if err := replay.CheckGroupInactive(ctx, c, group, "group"); err != nil {
			return err
		}
		env.Restamp(en)
		return c.DeleteGroup(ctx, group)
	}()
	return en, finish(env, en, err, fmt.Sprintf("group %q was deleted", group))
}

// DeleteGroupOffsets deletes group's committed offsets on topic after the
// operator typed the group name. Refused, as the broker would, while the
// group's members consume the topic (or, for a non-consumer classic
// group, while it has members).
func DeleteGroupOffsets(ctx context.Context, c *backend.Cluster, env replay.Env, group, topic, confirm string) (*replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditDeleteOffsets)
	en.Group, en.Topic = group, topic
	en.Confirmations.Confirm = confirm
	err := func() error {
		if err := confirmedWritable(env, "group", group, confirm); err != nil {
			return err
		}
		all, err := c.CommittedOffsets(ctx, group)
		if err != nil {
			return err
		}
		if len(all[topic]) == 0 {
			return fmt.Errorf("group %q has no committed offsets on topic %q: nothing to delete", group, topic)
		}
		en.Partitions = replay.AuditPartitions(replay.Offsets{topic: all[topic]}, nil)
		// Last, closest to the write: what the broker would refuse, said
		// with its reason (the broker checks again).
		if _, why, err := c.OffsetsDeleteRefusal(ctx, group, topic); err != nil {
			return err
		} else if why != "" {
			return replay.Refuse(replay.GuardGroupActive, why)
		}
		env.Restamp(en)
		return c.DeleteGroupOffsets(ctx, group, topic)
	}()
	return en, finish(env, en, err, fmt.Sprintf("the offsets of group %q on %q were deleted", group, topic))
}
