package replay

import (
	"context"
	"fmt"
	"strings"
)

// GuardStatus is one guard as shown with a plan, before anything is
// written: ok, refused (with why), or needed (the operator must answer).
type GuardStatus struct {
	Name    string `json:"name"`
	State   string `json:"state"` // ok | refused | needed
	Message string `json:"message"`
}

// Guard states.
const (
	GuardOK      = "ok"
	GuardRefused = "refused"
	GuardNeeded  = "needed"
)

// inactive reports whether a group with this state and member count may
// have its offsets written. Fail closed: only Empty or Dead (does not
// exist) with no members pass; a "Stable" group showing no members (how
// DescribeGroups shows KIP-848 groups) does not.
func inactive(state string, members int) bool {
	return members == 0 && (state == "Empty" || state == "Dead")
}

// missingGroup: the group to reset does not exist (Dead, no commits).
func (p *Plan) missingGroup() bool {
	return p.GroupState == "Dead" && len(p.Current()) == 0
}

// missingLiveRefusal refuses a replay beside a live group that does not
// exist: most likely a typo, and the replay would compare with nothing.
func missingLiveRefusal(group string) *Refusal {
	return refuse(GuardGroupMissing, fmt.Sprintf("live group %q does not exist (no members, no committed offsets): a typo? to replay beside a group that does not exist yet, say so (--new-group)", group))
}

func missingGroupRefusal(group string) *Refusal {
	return refuse(GuardGroupMissing, fmt.Sprintf("group %q does not exist (no members, no committed offsets): a typo? to create it with these offsets, say so (--new-group)", group))
}

func memberWord(n int) string {
	if n == 1 {
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}

// CheckGroupInactive refuses when group has members (classic or KIP-848)
// or is in any state but Empty/Dead, quoting its state and member count.
// role names the group in the message ("group", "replay group", "live
// group").
func CheckGroupInactive(ctx context.Context, cl Cluster, group, role string) error {
	st, n, proto, err := cl.GroupState(ctx, group)
	if err != nil {
		return fmt.Errorf("cannot check that %s %q is inactive: %w", role, group, err)
	}
	if inactive(st, n) {
		return nil
	}
	return activeRefusal(group, role, st, n, proto)
}

func activeRefusal(group, role, state string, members int, proto string) *Refusal {
	return refuse(GuardGroupActive,
		fmt.Sprintf("%s %q is active: state %s, %s (%s protocol); stop its consumers first, its offsets can only change while it has no members",
			role, group, state, memberWord(members), ProtocolName(proto)))
}

// ProtocolName names a group protocol for people: "classic" or
// "KIP-848 consumer".
func ProtocolName(p string) string {
	switch p {
	case "consumer":
		return "KIP-848 consumer"
	case "":
		return "classic"
	}
	return p
}

// CheckConfirmations is the idempotency guard for writing to group: the
// operator must say whether the group's sink is idempotent ("yes" or
// "no"; anything else, or nothing, is refused), and when it is not,
// confirm by typing the group name exactly.
func CheckConfirmations(group string, c Confirmations) error {
	switch strings.ToLower(strings.TrimSpace(c.SinkIdempotent)) {
	case "yes":
		return nil
	case "no":
		if c.Confirm != group {
			if c.Confirm == "" {
				return refuse(GuardConfirm, fmt.Sprintf("the sink of group %q is not idempotent: its records will be processed again; confirm with --confirm %s (the group name)", group, group))
			}
			return refuse(GuardConfirm, fmt.Sprintf("the sink of group %q is not idempotent and the confirmation %q does not match the group name", group, c.Confirm))
		}
		return nil
	case "":
		return refuse(GuardSinkIdempotent, fmt.Sprintf("state whether the sink of group %q is idempotent (--sink-idempotent yes|no): its consumers will see records again or skip them", group))
	}
	return refuse(GuardSinkIdempotent, fmt.Sprintf("--sink-idempotent %q: answer yes or no (unknown is refused)", c.SinkIdempotent))
}

// Guards lists the guards of a reset plan as they stand at planning time,
// given the operator's answers so far (c may be nil: not asked yet). The
// live checks run again when executing.
func (p *Plan) Guards(c *Confirmations) []GuardStatus {
	var out []GuardStatus
	if r := p.WindowRefusal(); r != nil {
		out = append(out, GuardStatus{GuardWindow, GuardRefused, r.Reason})
	} else if p.Partial {
		out = append(out, GuardStatus{GuardWindow, GuardOK, fmt.Sprintf("PARTIAL: %d partition(s) replay only what retention left (--allow-partial)", len(p.Expired()))})
	} else {
		out = append(out, GuardStatus{GuardWindow, GuardOK, "the whole window still exists"})
	}
	if p.Kind == PlanReplay {
		if p.missingGroup() && !p.NewGroup {
			out = append(out, GuardStatus{GuardGroupMissing, GuardRefused, missingLiveRefusal(p.Group).Reason})
		}
		out = append(out, GuardStatus{"live-untouched", GuardOK, fmt.Sprintf("live group %q is not written; replay group %q is created at the targets", p.Group, p.Target)})
		return out
	}
	if c != nil && p.missingGroup() && !c.NewGroup {
		out = append(out, GuardStatus{GuardGroupMissing, GuardRefused, missingGroupRefusal(p.Group).Reason})
	}
	if inactive(p.GroupState, p.GroupMembers) {
		out = append(out, GuardStatus{GuardGroupActive, GuardOK, fmt.Sprintf("group %q has no members (state %s)", p.Group, p.GroupState)})
	} else {
		out = append(out, GuardStatus{GuardGroupActive, GuardRefused, activeRefusal(p.Group, "group", p.GroupState, p.GroupMembers, p.GroupProtocol).Reason})
	}
	if g, ok := p.skipGuard(c); ok {
		out = append(out, g)
	}
	if c == nil {
		c = &Confirmations{}
	}
	err := CheckConfirmations(p.Group, *c)
	switch r, _ := AsRefusal(err); {
	case err == nil:
		msg := "operator says the sink is idempotent"
		if strings.EqualFold(strings.TrimSpace(c.SinkIdempotent), "no") {
			msg = "sink not idempotent; confirmed by group name"
		}
		out = append(out, GuardStatus{GuardSinkIdempotent, GuardOK, msg})
	case r.Guard == GuardSinkIdempotent && strings.TrimSpace(c.SinkIdempotent) == "":
		out = append(out, GuardStatus{GuardSinkIdempotent, GuardNeeded, r.Reason})
	case r.Guard == GuardConfirm && c.Confirm == "":
		out = append(out, GuardStatus{GuardConfirm, GuardNeeded, r.Reason})
	default:
		out = append(out, GuardStatus{r.Guard, GuardRefused, r.Reason})
	}
	return out
}

// recheckWindow runs immediately before a write: the window must still
// exist as planned. No target may be below the current log start (also for
// a partial plan: retention may have moved on since) or past the end.
func recheckWindow(ctx context.Context, cl Cluster, p *Plan) error {
	var moved []string
	marks := map[string]map[int32][2]int64{}
	for _, pp := range p.Partitions {
		wm, ok := marks[pp.Topic]
		if !ok {
			var err error
			if wm, err = cl.Watermarks(ctx, pp.Topic); err != nil {
				return fmt.Errorf("re-check before writing: %w", err)
			}
			marks[pp.Topic] = wm
		}
		w, ok := wm[pp.Partition]
		switch {
		case !ok:
			moved = append(moved, fmt.Sprintf("%s/%d no longer exists", pp.Topic, pp.Partition))
		case pp.Target < w[0]:
			moved = append(moved, fmt.Sprintf("%s/%d: the log start moved from %d to %d, past the target %d: retention deleted records of the window since the plan",
				pp.Topic, pp.Partition, pp.LogStart, w[0], pp.Target))
		case pp.Target > w[1]:
			moved = append(moved, fmt.Sprintf("%s/%d: the target %d is past the end %d (the partition was truncated or recreated)", pp.Topic, pp.Partition, pp.Target, w[1]))
		}
	}
	if len(moved) > 0 {
		return refuse(GuardStalePlan, "the cluster changed since the plan; make a new plan and review it", moved...)
	}
	return nil
}

// recheckCommitted runs immediately before a reset: the group's committed
// offsets must be those the plan was made against (shift-by was computed
// from them, and the audit's "before" must be true). It returns them.
func recheckCommitted(ctx context.Context, cl Cluster, p *Plan) (Offsets, error) {
	now, err := cl.CommittedOffsets(ctx, p.Group)
	if err != nil {
		return nil, fmt.Errorf("re-check before writing: %w", err)
	}
	var moved []string
	for _, pp := range p.Partitions {
		c, ok := lookup(now, pp.Topic, pp.Partition)
		if !ok {
			c = -1
		}
		if c != pp.Current {
			moved = append(moved, fmt.Sprintf("%s/%d: committed offset changed from %s to %s", pp.Topic, pp.Partition, offText(pp.Current), offText(c)))
		}
	}
	if len(moved) > 0 {
		return nil, refuse(GuardStalePlan, fmt.Sprintf("the committed offsets of group %q changed since the plan; make a new plan and review it", p.Group), moved...)
	}
	return now, nil
}

func offText(o int64) string {
	if o < 0 {
		return "none"
	}
	return fmt.Sprint(o)
}
