// Package replay is guarded reprocessing: reset plans (dry runs with the
// semantics of kafka-consumer-groups --reset-offsets), the guards that stand
// between a plan and a write, isolated replay groups that rebuild beside the
// live group, cut-over, and the audit trail.
//
// The method (see DESIGN.md): never rewind a live consumer by default.
// Start a second consumer group at the start of the window, let it catch up
// beside the live one, compare, cut over. Changing a live group's offsets is
// possible only when
//
//   - the requested window still exists (retention has not deleted part of
//     it; replaying what is left is an explicit, labelled "partial" choice),
//   - the group has no members (classic and KIP-848),
//   - the operator has stated whether the group's sink is idempotent, and
//     typed the group name when it is not,
//   - the cluster is not opened read-only (enforced in the backend),
//
// all re-checked immediately before the write, and every change is appended
// to the audit trail in the data dir.
//
// The package has no UI imports; the CLI and the TUI both drive it.
package replay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend"
)

// Cluster is what replay needs from a cluster; *backend.Cluster implements
// it. Offsets are topic -> partition -> offset.
type Cluster interface {
	// Addr is the broker list, recorded in the audit trail.
	Addr() string
	// CheckWrite returns an error when writes are refused (--read-only).
	CheckWrite() error
	// GroupState returns the group's state ("Dead" when it does not
	// exist), member count (classic and KIP-848) and protocol.
	GroupState(ctx context.Context, group string) (state string, members int, protocol string, err error)
	// CommittedOffsets returns the group's commits (none: empty map).
	CommittedOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error)
	// Watermarks returns [log start, high watermark] per partition.
	Watermarks(ctx context.Context, topic string) (map[int32][2]int64, error)
	// OffsetsForTime returns per partition the first offset with a
	// timestamp >= t, or the high watermark when there is none.
	OffsetsForTime(ctx context.Context, topic string, t time.Time) (map[int32]int64, error)
	// CommitGroupOffsets commits offsets for group (all or error).
	CommitGroupOffsets(ctx context.Context, group string, offsets map[string]map[int32]int64) error
	// DeleteGroup deletes group and its commits.
	DeleteGroup(ctx context.Context, group string) error
}

// Env is where replay keeps its local state and who acts.
type Env struct {
	// DataDir holds audit.jsonl and replays/. Required for writes.
	DataDir string
	// Actor is user@host for the audit trail; empty = from the OS.
	Actor string
	// Now is the clock; nil = time.Now.
	Now func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) actor() string {
	if e.Actor != "" {
		return e.Actor
	}
	return DefaultActor()
}

func (e Env) check() error {
	if e.DataDir == "" {
		return errors.New("no data dir for the audit trail")
	}
	return nil
}

// DefaultActor is user@host of this process.
func DefaultActor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid%d", os.Getuid())
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return name + "@" + host
}

// ErrRefused matches every guard refusal (errors.Is).
var ErrRefused = errors.New("refused")

// Guard names, used in Refusal.Guard and GuardStatus.Name.
const (
	GuardReadOnly       = "read-only"
	GuardWindow         = "window"          // requested window partly deleted by retention
	GuardGroupActive    = "group-inactive"  // group must have no members
	GuardSinkIdempotent = "sink-idempotent" // operator must answer yes|no
	GuardConfirm        = "confirm"         // not idempotent: type the group name
	GuardGroupMissing   = "group-exists"    // a reset must target an existing group (or say --new-group)
	GuardStalePlan      = "plan-current"    // the cluster moved since the plan
	GuardGroupExists    = "group-new"       // a replay group must be new
	GuardCaughtUp       = "caught-up"       // cut-over only once caught up
	GuardState          = "replay-state"    // replay lifecycle (promoted, copied ...)
	GuardCluster        = "cluster"         // replay belongs to another cluster
	GuardConcurrent     = "one-writer"      // another rewind is changing the group's offsets
)

// Refusal is a guard saying no. Details explain it per partition or
// member; Error() joins them into one line.
type Refusal struct {
	Guard   string   `json:"guard"`
	Reason  string   `json:"reason"`
	Details []string `json:"details,omitempty"`
}

func (r *Refusal) Error() string {
	s := "refused: " + r.Reason
	if len(r.Details) > 0 {
		s += ": " + strings.Join(r.Details, "; ")
	}
	return s
}

// Is makes errors.Is(err, ErrRefused) true.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

func refuse(guard, reason string, details ...string) *Refusal {
	return &Refusal{Guard: guard, Reason: reason, Details: details}
}

// AsRefusal returns the refusal in err's chain, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// TP is a topic partition.
type TP struct {
	Topic     string
	Partition int32
}

func (t TP) String() string { return fmt.Sprintf("%s/%d", t.Topic, t.Partition) }

// Offsets is topic -> partition -> offset.
type Offsets = map[string]map[int32]int64

func lookup(o Offsets, t string, p int32) (int64, bool) {
	ps, ok := o[t]
	if !ok {
		return 0, false
	}
	v, ok := ps[p]
	return v, ok
}

func put(o Offsets, t string, p int32, v int64) {
	if o[t] == nil {
		o[t] = map[int32]int64{}
	}
	o[t][p] = v
}

// *backend.Cluster is the Cluster of the CLI and TUI.
var _ Cluster = (*backend.Cluster)(nil)
