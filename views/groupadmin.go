package views

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Group admin flows (from the groups and group screens): delete a group
// (only when it has no members, its name typed again) and delete a
// group's committed offsets on one topic. Both over package admin, which
// re-checks the group right before the write and audits the offsets it
// removed.

// NewGroupDelete deletes group: the preview lists its committed offsets
// and refuses while it has members.
func NewGroupDelete(env *Env, group string) ui.Screen {
	c := env.Cluster
	return newAction(env, actionSpec{
		Title: "delete " + group,
		Head:  "Delete consumer group " + ui.Sanitize(group),
		Preview: func(ctx context.Context, _ []string) (actionPlan, error) {
			st, members, _, err := c.GroupState(ctx, group)
			if err != nil {
				return actionPlan{}, err
			}
			offs, err := c.CommittedOffsets(ctx, group)
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Lines: []string{fmt.Sprintf("group %s: state %s, %s", ui.Sanitize(group), ui.Sanitize(st), plural(members, "member"))}}
			p.Lines = append(p.Lines, offsetLines(offs)...)
			if err := replay.CheckGroupInactive(ctx, c, group, "group"); err != nil {
				var r *replay.Refusal
				if errors.As(err, &r) {
					p.Block = r.Reason
					return p, nil
				}
				return p, err
			}
			if st == "Dead" && len(offs) == 0 {
				p.Block = fmt.Sprintf("group %q does not exist", group)
				return p, nil
			}
			p.Warn = []string{"its committed offsets go with it (kept in the audit trail); a consumer joining it again starts from auto.offset.reset"}
			return p, nil
		},
		Confirm: func([]string, actionPlan) string { return group },
		Execute: func(ctx context.Context, _ []string, _ actionPlan, typed string) (string, *replay.AuditEntry, error) {
			en, err := admin.DeleteGroup(ctx, c, env.auditEnv(), group, typed)
			return "deleted group " + group, en, err
		},
	})
}

// offsetLines summarises committed offsets per topic.
func offsetLines(offs map[string]map[int32]int64) []string {
	if len(offs) == 0 {
		return []string{"  no committed offsets"}
	}
	topics := make([]string, 0, len(offs))
	for t := range offs {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var out []string
	for i, t := range topics {
		if i == 8 {
			out = append(out, fmt.Sprintf("  … %s more", plural(len(topics)-i, "topic")))
			break
		}
		ps := make([]int, 0, len(offs[t]))
		for p := range offs[t] {
			ps = append(ps, int(p))
		}
		sort.Ints(ps)
		var b strings.Builder
		for j, p := range ps {
			if j == 6 {
				fmt.Fprintf(&b, " …")
				break
			}
			fmt.Fprintf(&b, " p%d@%s", p, ui.FormatCount(offs[t][int32(p)]))
		}
		out = append(out, fmt.Sprintf("  %s: committed on %s:%s", ui.Sanitize(t), plural(len(ps), "partition"), b.String()))
	}
	return out
}

// NewGroupOffsetsDelete deletes group's committed offsets on one topic
// (topic "" asks which): refused while members consume it, with a
// warning when the group has members on other topics.
func NewGroupOffsetsDelete(env *Env, group, topic string) ui.Screen {
	c := env.Cluster
	return newAction(env, actionSpec{
		Title: "delete offsets",
		Head:  "Delete the committed offsets of group " + ui.Sanitize(group) + " on one topic",
		Fields: []actionField{{Label: "topic:", Prefill: topic, Validate: func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("name the topic")
			}
			return nil
		}}},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			t := strings.TrimSpace(vals[0])
			all, err := c.CommittedOffsets(ctx, group)
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Lines: offsetLines(map[string]map[int32]int64{t: all[t]})}
			if len(all[t]) == 0 {
				p.Block = fmt.Sprintf("group %q has no committed offsets on topic %q: nothing to delete", group, t)
				return p, nil
			}
			members, why, err := c.OffsetsDeleteRefusal(ctx, group, t)
			if err != nil {
				return p, err
			}
			if why != "" {
				p.Block = why
				return p, nil
			}
			if members > 0 {
				p.Warn = append(p.Warn, fmt.Sprintf("group %s has %s (none consuming %s): they keep running; a member that subscribes to %s later starts there from auto.offset.reset",
					ui.Sanitize(group), plural(members, "member"), ui.Sanitize(t), ui.Sanitize(t)))
			}
			p.Warn = append(p.Warn, fmt.Sprintf("group %s then has no position on %s: its consumers start there from auto.offset.reset (kept in the audit trail)",
				ui.Sanitize(group), ui.Sanitize(t)))
			return p, nil
		},
		Confirm: func([]string, actionPlan) string { return group },
		Execute: func(ctx context.Context, vals []string, _ actionPlan, typed string) (string, *replay.AuditEntry, error) {
			t := strings.TrimSpace(vals[0])
			en, err := admin.DeleteGroupOffsets(ctx, c, env.auditEnv(), group, t, typed)
			return fmt.Sprintf("deleted the offsets of group %s on %s", group, t), en, err
		},
	})
}
