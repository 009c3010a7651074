package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// GroupCmd groups consumer group administration (`groups` lists them).
type GroupCmd struct {
	Delete        GroupDeleteCmd        `cmd:"" help:"Delete a consumer group and its committed offsets: only when it has no members; type its name to confirm."`
	DeleteOffsets GroupDeleteOffsetsCmd `cmd:"" name:"delete-offsets" help:"Delete a group's committed offsets on one topic (it stops counting as lag there); type the group name to confirm."`
}

// GroupDeleteCmd deletes a group.
type GroupDeleteCmd struct {
	Group   string `arg:"" predictor:"group" help:"Consumer group."`
	Confirm string `placeholder:"GROUP" help:"The group name, typed again. Without it, only what would be deleted is shown."`
}

// Run shows the group and, with --confirm, deletes it.
func (c *GroupDeleteCmd) Run(e *runEnv) error {
	s, err := e.openWrite(false, true, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	n := ui.Sanitize(c.Group)
	if c.Confirm == "" {
		st, members, proto, err := s.cluster.GroupState(e.ctx, c.Group)
		if err != nil {
			return err
		}
		offs, err := s.cluster.CommittedOffsets(e.ctx, c.Group)
		if err != nil {
			return err
		}
		if st == "Dead" && len(offs) == 0 {
			return fmt.Errorf("%w %q", backend.ErrUnknownGroup, c.Group)
		}
		fmt.Fprintf(e.stdout, "Group %s: state %s, %s (%s), committed offsets on %s.\n", n, ui.Sanitize(st), countWord(members, "member"),
			replay.ProtocolName(proto), offsetsSummary(offs))
		if members > 0 {
			fmt.Fprintf(e.stdout, "It has members: it cannot be deleted until its consumers stop.\n")
		}
		fmt.Fprintf(e.stdout, "Not deleted. To delete it (its offsets are kept in the audit trail), type its name: rewind group delete %s --confirm %s\n", n, n)
		return nil
	}
	en, err := admin.DeleteGroup(e.ctx, s.cluster, envFor(e, s), c.Group, c.Confirm)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Deleted group %s (it had offsets on %s). %s\n", n, countWord(len(en.Partitions), "partition"), auditedIn(e, s))
	return nil
}

func offsetsSummary(offs map[string]map[int32]int64) string {
	if len(offs) == 0 {
		return "no partition"
	}
	topics := make([]string, 0, len(offs))
	n := 0
	for t, ps := range offs {
		topics = append(topics, t)
		n += len(ps)
	}
	sort.Strings(topics)
	return fmt.Sprintf("%s of %s (%s)", countWord(n, "partition"), countWord(len(topics), "topic"), ui.Sanitize(strings.Join(topics, ", ")))
}

// GroupDeleteOffsetsCmd deletes a group's offsets on one topic.
type GroupDeleteOffsetsCmd struct {
	Group   string `arg:"" predictor:"group" help:"Consumer group."`
	Topic   string `short:"t" required:"" predictor:"topic" help:"Topic whose offsets to delete."`
	Confirm string `placeholder:"GROUP" help:"The group name, typed again. Without it, only what would be deleted is shown."`
}

// Run shows the offsets and, with --confirm, deletes them.
func (c *GroupDeleteOffsetsCmd) Run(e *runEnv) error {
	s, err := e.openWrite(false, true, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	n, t := ui.Sanitize(c.Group), ui.Sanitize(c.Topic)
	if c.Confirm == "" {
		offs, err := s.cluster.CommittedOffsets(e.ctx, c.Group)
		if err != nil {
			return err
		}
		ps := offs[c.Topic]
		if len(ps) == 0 {
			return fmt.Errorf("group %q has no committed offsets on topic %q: nothing to delete", c.Group, c.Topic)
		}
		ids := make([]int, 0, len(ps))
		for p := range ps {
			ids = append(ids, int(p))
		}
		sort.Ints(ids)
		parts := make([]string, len(ids))
		for i, p := range ids {
			parts[i] = fmt.Sprintf("%d@%d", p, ps[int32(p)])
		}
		fmt.Fprintf(e.stdout, "Group %s has offsets on %s of %s: %s (partition@offset).\n", n, countWord(len(ps), "partition"), t, strings.Join(parts, " "))
		fmt.Fprintf(e.stdout, "Not deleted. To delete them, type the group name: rewind group delete-offsets %s --topic %s --confirm %s\n", n, t, n)
		return nil
	}
	en, err := admin.DeleteGroupOffsets(e.ctx, s.cluster, envFor(e, s), c.Group, c.Topic, c.Confirm)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Deleted the offsets of group %s on %s (%s). %s\n", n, t, countWord(len(en.Partitions), "partition"), auditedIn(e, s))
	return nil
}
