// Package admin is the operator's everyday actions, behind the same guards
// as reprocessing: create, delete and configure topics, add partitions,
// delete a group or its offsets on one topic, and redrive records from a
// dead-letter topic. Every write here, in this order:
//
//  1. is refused under read-only (the backend refuses too), before
//     anything else is asked or sent;
//  2. checks the operator's typed confirmation where the action destroys
//     something (the topic or group name, typed again);
//  3. needs a writable audit trail;
//  4. re-checks the cluster immediately before the write (the group is
//     still empty, the config is still what the preview showed);
//  5. is appended to the audit trail with its result, refusals included.
//
// The package has no UI imports; the CLI and the TUI both drive it.
package admin

import (
	"fmt"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// confirmName is the typed-confirmation guard: what must equal name.
func confirmName(what, name, typed, flag string) error {
	if typed == name {
		return nil
	}
	if typed == "" {
		return replay.Refuse(replay.GuardConfirm, fmt.Sprintf("type the %s name to confirm (%s %s)", what, flag, name))
	}
	return replay.Refuse(replay.GuardConfirm, fmt.Sprintf("the confirmation %q does not match the %s name %q", typed, what, name))
}

// confirmedWritable is the check of a typed-confirmation write before
// anything is read: the name was typed (confirmName) and the audit trail
// can be written.
func confirmedWritable(env replay.Env, what, name, typed string) error {
	if err := confirmName(what, name, typed, "--confirm"); err != nil {
		return err
	}
	return replay.CheckAuditWritable(env.DataDir)
}

// finish sets the entry's result and appends it. A failure to append
// after a successful write is an error that says the write happened.
func finish(env replay.Env, en *replay.AuditEntry, err error, done string) error {
	en.Result = replay.ResultOf(err)
	if aerr := replay.AppendAudit(env.DataDir, en); aerr != nil {
		if err == nil {
			return fmt.Errorf("%s, but the audit trail could not be written: %w", done, aerr)
		}
	}
	return err
}

// begin runs the checks every write starts with: read-only first, then a
// data dir for the audit trail.
func begin(c *backend.Cluster, env replay.Env) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	return env.Check()
}

func strp(s string) *string { return &s }
