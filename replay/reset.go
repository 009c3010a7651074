package replay

import (
	"context"
	"errors"
	"fmt"
)

// ExecuteReset writes a reset plan's targets to the plan's group, behind
// every guard, in this order:
//
//  1. --read-only (the backend refuses too; no audit entry: nothing was
//     attempted on the cluster);
//  2. the window: refused when retention deleted part of it, unless the
//     plan is partial (--allow-partial);
//  3. the operator's answers: a forward reset's skipped records accepted
//     (asked on its own), sink idempotent yes|no, and the group name typed
//     when "no";
//  4. the audit trail must be writable;
//  5. immediately before the write, re-checked against the cluster: the
//     window still exists, the committed offsets have not moved since the
//     plan, and the group has no members (classic or KIP-848).
//
// Every attempt past step 1 is appended to the audit trail with its
// result, refusals included. The entry is returned with the error.
func ExecuteReset(ctx context.Context, cl Cluster, env Env, p *Plan, conf Confirmations) (*AuditEntry, error) {
	if p == nil || p.Kind != PlanReset {
		return nil, errors.New("execute reset: not a reset plan")
	}
	if err := cl.CheckWrite(); err != nil {
		return nil, err
	}
	if err := env.check(); err != nil {
		return nil, err
	}
	entry := &AuditEntry{Time: env.now().UTC(), Actor: env.actor(), Cluster: cl.Addr(), Kind: AuditReset,
		Group: p.Group, Scenario: p.ScenarioText, Partial: p.Partial, Confirmations: conf,
		Partitions: auditPartitions(p.Current(), p.Targets())}
	err := func() error {
		if r := p.WindowRefusal(); r != nil {
			return r
		}
		if p.missingGroup() && !conf.NewGroup {
			return missingGroupRefusal(p.Group)
		}
		if r := p.skipRefusal(conf); r != nil {
			return r
		}
		if err := CheckConfirmations(p.Group, conf); err != nil {
			return err
		}
		if err := checkAuditWritable(env.DataDir); err != nil {
			return err
		}
		if err := recheckWindow(ctx, cl, p); err != nil {
			return err
		}
		before, err := recheckCommitted(ctx, cl, p)
		if err != nil {
			return err
		}
		// Last, closest to the write: a consumer that joined since the
		// plan (or since the checks above) refuses the change.
		if err := CheckGroupInactive(ctx, cl, p.Group, "group"); err != nil {
			return err
		}
		entry.Partitions = auditPartitions(restrict(before, p.Targets()), p.Targets())
		entry.Time = env.now().UTC()
		return cl.CommitGroupOffsets(ctx, p.Group, p.Targets())
	}()
	entry.Result = resultOf(err)
	if aerr := AppendAudit(env.DataDir, entry); aerr != nil {
		if err == nil {
			return entry, fmt.Errorf("the offsets of group %q were changed, but the audit trail could not be written: %w", p.Group, aerr)
		}
		return entry, err
	}
	return entry, err
}

// restrict keeps the partitions of o that are in keys.
func restrict(o, keys Offsets) Offsets {
	out := Offsets{}
	for t, ps := range keys {
		for p := range ps {
			if v, ok := lookup(o, t, p); ok {
				put(out, t, p, v)
			}
		}
	}
	return out
}
