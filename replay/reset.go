package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rewind-log/rewind/backend"
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
//  4. the audit trail must be writable, and no other rewind process on
//     this data dir is changing the group's offsets (a lock per group,
//     held to the end: two resets of one group at once are serialised,
//     the second then refused as stale);
//  5. immediately before the write, re-checked against the cluster: the
//     window still exists, the committed offsets have not moved since the
//     plan, and the group has no members (classic or KIP-848).
//
// After the write the committed offsets are read back: a writer elsewhere
// that changed them at the same moment makes the reset fail, saying what
// the group really has (which is what the audit entry records as after).
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
		unlock, err := lockGroupWrites(env.DataDir, p.Group)
		if err != nil {
			return err
		}
		defer unlock()
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
		if err := cl.CommitGroupOffsets(ctx, p.Group, p.Targets()); err != nil {
			return err
		}
		after, err := readBack(ctx, cl, p.Group, p.Targets())
		if after != nil {
			entry.Partitions = auditPartitions(restrict(before, p.Targets()), after)
		}
		return err
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

// lockGroupWrites takes DATA_DIR/locks/offsets-<group>.lock without
// waiting; another rewind process holding it is changing the group now.
func lockGroupWrites(dataDir, group string) (func(), error) {
	dir := filepath.Join(dataDir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock for group %q: %w", group, err)
	}
	sum := sha256.Sum256([]byte(group))
	path := filepath.Join(dir, "offsets-"+hex.EncodeToString(sum[:12])+".lock")
	l, err := backend.TryLockFile(path)
	if errors.Is(err, backend.ErrLocked) {
		return nil, refuse(GuardConcurrent, fmt.Sprintf("another rewind process is changing the offsets of group %q right now; make a new plan when it is done", group))
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = l.Release() }, nil
}

// readBack re-reads the group's commits after a write and fails when they
// differ from what was written (another writer at the same moment). It
// returns what the group has on the written partitions.
func readBack(ctx context.Context, cl Cluster, group string, wrote Offsets) (Offsets, error) {
	now, err := cl.CommittedOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("the offsets of group %q were written, but reading them back failed: %w", group, err)
	}
	got := Offsets{}
	var diff []string
	for t, ps := range wrote {
		for p, want := range ps {
			c, ok := lookup(now, t, p)
			if !ok {
				c = -1
			}
			put(got, t, p, c)
			if c != want {
				diff = append(diff, fmt.Sprintf("%s/%d is %s, wrote %d", t, p, offText(c), want))
			}
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return got, fmt.Errorf("after the write, the committed offsets of group %q differ from what was written (another writer changed them at the same moment): %s", group, strings.Join(diff, "; "))
	}
	return got, nil
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
