package views

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The end of a replay, from its catch-up view: cut over (copy its offsets
// onto the live group, or keep the replay group and delete the live one)
// and delete the group no longer used. The guards are replay.Cutover's and
// replay.DeleteReplay's, the CLI's: caught up, groups without members,
// the idempotency answer (and the group name typed for "no") for a copy;
// here a keep also asks the live group's name typed, since it deletes it.

// NewReplayCutover asks copy or keep and cuts the replay over.
func NewReplayCutover(env *Env, dir, name string) ui.Screen {
	c := env.Cluster
	renv := replay.Env{DataDir: dir, Now: env.Now}
	mode := func(vals []string) string { return strings.ToLower(strings.TrimSpace(vals[0])) }
	return newAction(env, actionSpec{
		Title: "cut over",
		Head:  "Cut over replay " + ui.Sanitize(name),
		Notes: []string{"copy: the replay's offsets are copied onto the live group, then the replay group is deleted · " +
			"keep: the replay group becomes the group in use and the live group is deleted (its offsets stay in the audit trail)"},
		Fields: []actionField{
			{Label: "copy or keep:", Placeholder: "copy | keep", Validate: func(v string) error {
				switch strings.ToLower(strings.TrimSpace(v)) {
				case replay.CutoverCopy, replay.CutoverKeep:
					return nil
				}
				return errors.New("answer copy or keep")
			}},
			{Label: "is the live group's sink idempotent? (yes/no)", Placeholder: "yes | no",
				Skip: func(vals []string) bool { return mode(vals) != replay.CutoverCopy },
				Validate: func(v string) error {
					switch strings.ToLower(strings.TrimSpace(v)) {
					case "yes", "no":
						return nil
					}
					return errors.New("answer yes or no (unknown is refused)")
				}},
		},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			r, err := replay.LoadReplay(dir, name)
			if err != nil {
				return actionPlan{}, err
			}
			if r.State != replay.StateRunning {
				return actionPlan{Block: fmt.Sprintf("replay %q was already cut over (%s)", name, r.State)}, nil
			}
			st, err := replay.ReplayStatus(ctx, c, r, env.now())
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Data: r, Lines: []string{fmt.Sprintf("replay %s: %.0f%% of %s, replay lag %s, live lag %s · replay group %s (%s) · live group %s (%s)",
				ui.Sanitize(name), st.Progress*100, plural64(st.Window, "record"), ui.FormatCount(st.ReplayLag), ui.FormatCount(st.LiveLag),
				ui.Sanitize(st.ReplayGroupState), plural(st.ReplayMembers, "member"), ui.Sanitize(st.LiveGroupState), plural(st.LiveMembers, "member"))}}
			if !st.CaughtUp {
				p.Block = fmt.Sprintf("replay %q has not caught up with live group %q (replay lag %s, live lag %s); cut over once it has",
					name, r.Group, ui.FormatCount(st.ReplayLag), ui.FormatCount(st.LiveLag))
				return p, nil
			}
			if mode(vals) == replay.CutoverCopy {
				p.Lines = append(p.Lines, fmt.Sprintf("copy the offsets of %s onto live group %s on %s, then delete replay group %s",
					ui.Sanitize(name), ui.Sanitize(r.Group), plural(len(r.Partitions), "partition"), ui.Sanitize(name)))
				if st.LiveMembers > 0 {
					p.Block = fmt.Sprintf("live group %q has %s: stop its consumers first, its offsets can only change while it has no members", r.Group, plural(st.LiveMembers, "member"))
				}
				if strings.TrimSpace(vals[1]) == "no" {
					p.Warn = append(p.Warn, fmt.Sprintf("not idempotent: the records between the live group's offsets and the replay's are processed again by %s", ui.Sanitize(r.Group)))
				}
			} else {
				p.Lines = append(p.Lines, fmt.Sprintf("keep %s as the group in use; delete live group %s (its offsets are kept in the audit trail)",
					ui.Sanitize(name), ui.Sanitize(r.Group)))
				p.Warn = append(p.Warn, fmt.Sprintf("run your application with group.id=%s from now on", ui.Sanitize(name)))
				if st.LiveMembers > 0 {
					p.Block = fmt.Sprintf("live group %q has %s: stop its consumers first", r.Group, plural(st.LiveMembers, "member"))
				}
			}
			return p, nil
		},
		Confirm: func(vals []string, p actionPlan) string {
			r := p.Data.(*replay.Replay)
			if mode(vals) == replay.CutoverKeep || strings.TrimSpace(vals[1]) == "no" {
				return r.Group
			}
			return ""
		},
		Execute: func(ctx context.Context, vals []string, p actionPlan, typed string) (string, *replay.AuditEntry, error) {
			conf := replay.Confirmations{SinkIdempotent: strings.ToLower(strings.TrimSpace(vals[1]))}
			if typed != "yes" {
				conf.Confirm = typed
			}
			r := p.Data.(*replay.Replay)
			entries, err := replay.Cutover(ctx, c, renv, name, mode(vals), conf)
			var first *replay.AuditEntry
			if len(entries) > 0 {
				first = entries[0]
			}
			if mode(vals) == replay.CutoverKeep {
				return fmt.Sprintf("kept %s as the group in use; deleted the old live group %s", name, r.Group), first, err
			}
			text := fmt.Sprintf("copied the offsets of %s onto live group %s", name, r.Group)
			if len(entries) > 1 && entries[1].OK() {
				text += "; deleted replay group " + name
			}
			return text, first, err
		},
	})
}

// NewReplayDelete deletes a replay group (after a copy cut-over, or to
// abandon the replay) once its name is typed.
func NewReplayDelete(env *Env, dir, name string) ui.Screen {
	c := env.Cluster
	renv := replay.Env{DataDir: dir, Now: env.Now}
	return newAction(env, actionSpec{
		Title: "delete replay",
		Head:  "Delete replay group " + ui.Sanitize(name),
		Preview: func(ctx context.Context, _ []string) (actionPlan, error) {
			r, err := replay.LoadReplay(dir, name)
			if err != nil {
				return actionPlan{}, err
			}
			if r.State == replay.StatePromoted {
				return actionPlan{Block: fmt.Sprintf("replay %q was kept by cut-over: group %q is now the group in use, not a replay", name, name)}, nil
			}
			st, members, _, err := c.GroupState(ctx, name)
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Lines: []string{fmt.Sprintf("replay group %s (%s, beside live group %s): state %s, %s", ui.Sanitize(name), r.State,
				ui.Sanitize(r.Group), ui.Sanitize(st), plural(members, "member"))}}
			if err := replay.CheckGroupInactive(ctx, c, name, "replay group"); err != nil {
				if rf, ok := replay.AsRefusal(err); ok {
					p.Block = rf.Reason
					return p, nil
				}
				return p, err
			}
			if r.State == replay.StateRunning {
				p.Warn = append(p.Warn, "the replay was not cut over: the live group keeps its own offsets and the replay's progress is lost")
			}
			return p, nil
		},
		Confirm: func([]string, actionPlan) string { return name },
		Execute: func(ctx context.Context, _ []string, _ actionPlan, _ string) (string, *replay.AuditEntry, error) {
			en, err := replay.DeleteReplay(ctx, c, renv, name)
			return "deleted replay group " + name, en, err
		},
	})
}
