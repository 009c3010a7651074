package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rewind-log/rewind/backend"
)

// Isolated replay groups: the default, safe path. A replay is a new
// consumer group whose committed offsets are a plan's targets; the live
// group is only read. The operator runs a second instance of the
// application on the replay group, watches it catch up beside the live
// one, then cuts over.
//
// Each replay's metadata is kept in DATA/replays/NAME.json (atomic writes);
// its last progress sample in NAME.sample.json, so a status poll never
// races a cut-over's state change.

// ReplaysDir is the metadata dir's name inside the data dir.
const ReplaysDir = "replays"

// Replay states.
const (
	StateRunning  = "running"  // the replay group exists beside the live group
	StateCopied   = "copied"   // cut-over copy: its offsets were copied onto the live group
	StatePromoted = "promoted" // cut-over keep: the replay group is the group in use now
)

// Cut-over modes.
const (
	CutoverCopy = "copy" // copy the replay group's offsets onto the live group
	CutoverKeep = "keep" // keep the replay group as the new one; delete the live group
)

// ReplayPartition is one partition of a replay's window.
type ReplayPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Start is the plan's target, where the replay group began.
	Start int64 `json:"start"`
	// WindowEnd is the high watermark when the replay was created: the
	// window is [Start, WindowEnd).
	WindowEnd int64 `json:"window_end"`
	// LiveAtStart is the live group's committed offset at creation (-1:
	// none).
	LiveAtStart int64    `json:"live_at_start"`
	Flags       []string `json:"flags,omitempty"`
}

// Replay is a replay group's metadata.
type Replay struct {
	Name       string            `json:"name"`
	Group      string            `json:"source_group"`
	Cluster    string            `json:"cluster"`
	Topics     []string          `json:"topics"`
	Scenario   string            `json:"scenario"`
	Partial    bool              `json:"partial"`
	CreatedAt  time.Time         `json:"created_at"`
	CreatedBy  string            `json:"created_by"`
	Partitions []ReplayPartition `json:"partitions"`
	State      string            `json:"state"`
	CutoverAt  time.Time         `json:"cutover_at,omitzero"`
}

// Window is the number of records in the replay's window.
func (r *Replay) Window() int64 {
	var n int64
	for _, p := range r.Partitions {
		n += max(p.WindowEnd-p.Start, 0)
	}
	return n
}

// Starts returns the offsets the replay group was created at.
func (r *Replay) Starts() Offsets {
	o := Offsets{}
	for _, p := range r.Partitions {
		put(o, p.Topic, p.Partition, p.Start)
	}
	return o
}

// DefaultReplayName is GROUP.replay.YYYYMMDD-HHMMSS (UTC).
func DefaultReplayName(group string, now time.Time) string {
	return group + ".replay." + now.UTC().Format("20060102-150405")
}

// checkName refuses names that cannot be a group and a file.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty replay name")
	case !utf8.ValidString(name):
		return fmt.Errorf("replay name %q is not valid UTF-8", name)
	case len(fileStem(name)) > 200:
		return fmt.Errorf("replay name %q is too long", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("replay name %q has a control character", name)
		}
	}
	return nil
}

// fileStem escapes name for a file name: every byte outside [A-Za-z0-9_-]
// and '.' (except a leading one) becomes %XX, so names map one to one to
// files and never escape the dir.
func fileStem(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func replayPath(dir, name string) string {
	return filepath.Join(dir, ReplaysDir, fileStem(name)+".json")
}

func samplePath(dir, name string) string {
	return filepath.Join(dir, ReplaysDir, fileStem(name)+".sample.json")
}

// writeJSONAtomic writes v to path through a synced temp file and a rename.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// SaveReplay writes a replay's metadata.
func SaveReplay(dir string, r *Replay) error {
	if err := writeJSONAtomic(replayPath(dir, r.Name), r); err != nil {
		return fmt.Errorf("save replay %q: %w", r.Name, err)
	}
	return nil
}

// ErrNoReplay is returned for a replay name with no metadata.
var ErrNoReplay = errors.New("no such replay")

// LoadReplay reads a replay's metadata.
func LoadReplay(dir, name string) (*Replay, error) {
	b, err := os.ReadFile(replayPath(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %q in %s (see `rewind replay list`)", ErrNoReplay, name, filepath.Join(dir, ReplaysDir))
	}
	if err != nil {
		return nil, fmt.Errorf("load replay %q: %w", name, err)
	}
	var r Replay
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("load replay %q: %s: %w", name, replayPath(dir, name), err)
	}
	return &r, nil
}

// ListReplays returns every replay in dir, oldest first. Files that do
// not parse are reported in the error; the rest are returned.
func ListReplays(dir string) ([]*Replay, error) {
	ents, err := os.ReadDir(filepath.Join(dir, ReplaysDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list replays: %w", err)
	}
	var out []*Replay
	var bad []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".sample.json") || strings.HasPrefix(n, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ReplaysDir, n))
		var r Replay
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil {
			bad = append(bad, n)
			continue
		}
		out = append(out, &r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].Name < out[j].Name
	})
	if len(bad) > 0 {
		return out, fmt.Errorf("list replays: unreadable metadata %s", strings.Join(bad, ", "))
	}
	return out, nil
}

func removeReplay(dir, name string) error {
	_ = os.Remove(samplePath(dir, name))
	if err := os.Remove(replayPath(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove replay metadata %q: %w", name, err)
	}
	return nil
}

// checkCluster refuses to act on a replay of another cluster.
func checkCluster(cl Cluster, r *Replay) error {
	if r.Cluster != cl.Addr() {
		return refuse(GuardCluster, fmt.Sprintf("replay %q belongs to cluster %s, and this is %s; connect to that cluster (-b)", r.Name, r.Cluster, cl.Addr()))
	}
	return nil
}

// StartReplay creates the replay group of a replay plan: a new group
// (p.Target) whose committed offsets are the plan's targets. The live
// group (p.Group) is only read. Refused under --read-only, when the
// window expired (unless the plan is partial), when the name is the live
// group's, when a replay of that name exists, and when the group already
// exists with members or commits; the group and window are re-checked
// immediately before the commit. Metadata is saved first and removed if
// the commit fails; the creation is audited.
func StartReplay(ctx context.Context, cl Cluster, env Env, p *Plan) (*Replay, *AuditEntry, error) {
	if p == nil || p.Kind != PlanReplay {
		return nil, nil, errors.New("start replay: not a replay plan")
	}
	if err := cl.CheckWrite(); err != nil {
		return nil, nil, err
	}
	if err := env.check(); err != nil {
		return nil, nil, err
	}
	name := p.Target
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	if name == p.Group {
		return nil, nil, refuse(GuardGroupExists, fmt.Sprintf("the replay group must be a new group, not the live group %q", p.Group))
	}
	entry := &AuditEntry{Time: env.now().UTC(), Actor: env.actor(), Cluster: cl.Addr(), Kind: AuditReplayCreate,
		Group: name, Source: p.Group, Replay: name, Scenario: p.ScenarioText, Partial: p.Partial,
		Partitions: auditPartitions(nil, p.Targets())}
	var r *Replay
	err := func() error {
		if rf := p.WindowRefusal(); rf != nil {
			return rf
		}
		if p.missingGroup() && !p.NewGroup {
			// Re-checked now: the group may have appeared since the plan.
			st, _, _, err := cl.GroupState(ctx, p.Group)
			if err != nil {
				return err
			}
			live, err := cl.CommittedOffsets(ctx, p.Group)
			if err != nil {
				return err
			}
			if st == "Dead" && len(live) == 0 {
				return missingLiveRefusal(p.Group)
			}
		}
		if _, err := os.Stat(replayPath(env.DataDir, name)); err == nil {
			return refuse(GuardGroupExists, fmt.Sprintf("a replay named %q already exists (rewind replay status %s); choose another --name", name, name))
		}
		if err := checkAuditWritable(env.DataDir); err != nil {
			return err
		}
		if err := recheckWindow(ctx, cl, p); err != nil {
			return err
		}
		if err := checkNewGroup(ctx, cl, name); err != nil {
			return err
		}
		r = &Replay{Name: name, Group: p.Group, Cluster: cl.Addr(), Topics: p.Topics(), Scenario: p.ScenarioText,
			Partial: p.Partial, CreatedAt: env.now().UTC(), CreatedBy: entry.Actor, State: StateRunning}
		for _, pp := range p.Partitions {
			r.Partitions = append(r.Partitions, ReplayPartition{Topic: pp.Topic, Partition: pp.Partition,
				Start: pp.Target, WindowEnd: pp.HighWatermark, LiveAtStart: pp.Current, Flags: pp.Flags})
		}
		if err := SaveReplay(env.DataDir, r); err != nil {
			return err
		}
		entry.Time = env.now().UTC()
		if err := cl.CommitGroupOffsets(ctx, name, p.Targets()); err != nil {
			_ = removeReplay(env.DataDir, name)
			return err
		}
		return nil
	}()
	entry.Result = resultOf(err)
	if aerr := AppendAudit(env.DataDir, entry); aerr != nil && err == nil {
		return r, entry, fmt.Errorf("replay group %q was created, but the audit trail could not be written: %w", name, aerr)
	}
	if err != nil {
		return nil, entry, err
	}
	return r, entry, nil
}

// checkNewGroup refuses a replay group name already in use: members, a
// state other than Empty/Dead, or committed offsets.
func checkNewGroup(ctx context.Context, cl Cluster, name string) error {
	st, n, proto, err := cl.GroupState(ctx, name)
	if err != nil {
		return fmt.Errorf("cannot check that group %q is new: %w", name, err)
	}
	if !inactive(st, n) {
		return refuse(GuardGroupExists, fmt.Sprintf("group %q already exists and is active: state %s, %s (%s protocol); choose another --name", name, st, memberWord(n), ProtocolName(proto)))
	}
	c, err := cl.CommittedOffsets(ctx, name)
	if err != nil {
		return fmt.Errorf("cannot check that group %q is new: %w", name, err)
	}
	if len(c) > 0 {
		n := 0
		for _, ps := range c {
			n += len(ps)
		}
		return refuse(GuardGroupExists, fmt.Sprintf("group %q already exists with committed offsets on %d partition(s); choose another --name", name, n))
	}
	return nil
}

// Cutover ends a replay once it has caught up (on every partition it has
// read its whole window and its lag is 0 or no more than the live
// group's):
//
//   - CutoverCopy copies the replay group's offsets onto the live group.
//     Every live-group guard applies: the live group has no members, the
//     operator answered the idempotency question (and typed the group
//     name for "no"), and the audit trail is writable. The replay group
//     must have no members either (its position is final), and is deleted
//     afterwards.
//   - CutoverKeep keeps the replay group as the group in use; the live
//     group is no longer used and is deleted, only when it has no members
//     and the operator typed its name (conf.Confirm); its offsets are kept
//     in the audit trail.
//
// Both are audited; a deletion gets its own entry.
func Cutover(ctx context.Context, cl Cluster, env Env, name, mode string, conf Confirmations) ([]*AuditEntry, error) {
	if mode != CutoverCopy && mode != CutoverKeep {
		return nil, fmt.Errorf("cut-over mode %q: want copy or keep", mode)
	}
	if err := env.check(); err != nil {
		return nil, err
	}
	r, err := LoadReplay(env.DataDir, name)
	if err != nil {
		return nil, err
	}
	if r.State != StateRunning {
		return nil, refuse(GuardState, fmt.Sprintf("replay %q was already cut over (%s)", name, r.State))
	}
	if err := checkCluster(cl, r); err != nil {
		return nil, err
	}
	if err := cl.CheckWrite(); err != nil {
		return nil, err
	}
	entry := &AuditEntry{Time: env.now().UTC(), Actor: env.actor(), Cluster: cl.Addr(), Kind: AuditCutover,
		Group: r.Group, Source: r.Group, Replay: r.Name, Scenario: r.Scenario, Mode: mode, Partial: r.Partial, Confirmations: conf}
	var copied Offsets
	err = func() error {
		if mode == CutoverCopy {
			if err := CheckConfirmations(r.Group, conf); err != nil {
				return err
			}
		}
		if mode == CutoverKeep {
			if err := checkKeepConfirm(r.Group, conf.Confirm); err != nil {
				return err
			}
		}
		if err := checkAuditWritable(env.DataDir); err != nil {
			return err
		}
		st, err := ReplayStatus(ctx, cl, r, env.now())
		if err != nil {
			return err
		}
		if !st.CaughtUp {
			return refuse(GuardCaughtUp, fmt.Sprintf("replay %q has not caught up with live group %q (replay lag %d, live lag %d); cut over once it has", r.Name, r.Group, st.ReplayLag, st.LiveLag),
				notCaughtUp(st)...)
		}
		keys := r.Starts()
		live, err := cl.CommittedOffsets(ctx, r.Group)
		if err != nil {
			return err
		}
		live = restrict(live, keys)
		if mode == CutoverKeep {
			entry.Partitions = auditPartitions(live, nil)
			if err := CheckGroupInactive(ctx, cl, r.Group, "live group"); err != nil {
				return err
			}
			entry.Time = env.now().UTC()
			if err := cl.DeleteGroup(ctx, r.Group); err != nil && !isUnknownGroup(err) {
				return err
			}
			return nil
		}
		if err := CheckGroupInactive(ctx, cl, r.Name, "replay group"); err != nil {
			return err
		}
		rc, err := cl.CommittedOffsets(ctx, r.Name)
		if err != nil {
			return err
		}
		copied = restrict(rc, keys)
		if missing := missingKeys(copied, keys); len(missing) > 0 {
			return fmt.Errorf("replay group %q has no committed offset on %s", r.Name, strings.Join(missing, ", "))
		}
		entry.Partitions = auditPartitions(live, copied)
		// Last, closest to the write.
		if err := CheckGroupInactive(ctx, cl, r.Group, "live group"); err != nil {
			return err
		}
		entry.Time = env.now().UTC()
		return cl.CommitGroupOffsets(ctx, r.Group, copied)
	}()
	entry.Result = resultOf(err)
	entries := []*AuditEntry{entry}
	if aerr := AppendAudit(env.DataDir, entry); aerr != nil && err == nil {
		err = fmt.Errorf("cut-over of %q done, but the audit trail could not be written: %w", name, aerr)
	}
	if entry.Result != "ok" {
		return entries, err
	}
	r.CutoverAt = env.now().UTC()
	if mode == CutoverKeep {
		r.State = StatePromoted
	} else {
		r.State = StateCopied
	}
	if serr := SaveReplay(env.DataDir, r); serr != nil && err == nil {
		err = fmt.Errorf("cut-over of %q done, but its metadata could not be saved: %w", name, serr)
	}
	if mode == CutoverCopy {
		// The replay group is no longer used: delete it (only without
		// members; re-checked inside).
		del, derr := deleteGroupAudited(ctx, cl, env, r, r.Name, copied)
		if del != nil {
			entries = append(entries, del)
		}
		if derr != nil && err == nil {
			err = fmt.Errorf("cut-over of %q done (offsets copied onto %q), but the replay group was not deleted: %w; delete it later with `rewind replay delete %s`", name, r.Group, derr, name)
		}
	}
	return entries, err
}

// checkKeepConfirm is a keep cut-over's guard: it deletes the live group,
// so its name must be typed, as for any deletion.
func checkKeepConfirm(group, typed string) error {
	switch typed {
	case group:
		return nil
	case "":
		return refuse(GuardConfirm, fmt.Sprintf("a keep cut-over deletes live group %q: confirm with --confirm %s (the group name)", group, group))
	}
	return refuse(GuardConfirm, fmt.Sprintf("the confirmation %q does not match live group %q, which a keep cut-over deletes", typed, group))
}

func missingKeys(have, want Offsets) []string {
	var out []string
	for _, tp := range sortedTPs(want) {
		if _, ok := lookup(have, tp.Topic, tp.Partition); !ok {
			out = append(out, tp.String())
		}
	}
	return out
}

// isUnknownGroup: deleting a group that is already gone is not a failure.
func isUnknownGroup(err error) bool { return errors.Is(err, backend.ErrUnknownGroup) }

// deleteGroupAudited deletes group (the replay's) when it has no members,
// and audits it.
func deleteGroupAudited(ctx context.Context, cl Cluster, env Env, r *Replay, group string, before Offsets) (*AuditEntry, error) {
	entry := &AuditEntry{Time: env.now().UTC(), Actor: env.actor(), Cluster: cl.Addr(), Kind: AuditDelete,
		Group: group, Source: r.Group, Replay: r.Name, Scenario: r.Scenario, Partial: r.Partial}
	err := func() error {
		if err := checkAuditWritable(env.DataDir); err != nil {
			return err
		}
		if before == nil {
			c, err := cl.CommittedOffsets(ctx, group)
			if err != nil {
				return err
			}
			before = c
		}
		entry.Partitions = auditPartitions(before, nil)
		if err := CheckGroupInactive(ctx, cl, group, "replay group"); err != nil {
			return err
		}
		entry.Time = env.now().UTC()
		if err := cl.DeleteGroup(ctx, group); err != nil && !isUnknownGroup(err) {
			return err
		}
		return nil
	}()
	entry.Result = resultOf(err)
	if aerr := AppendAudit(env.DataDir, entry); aerr != nil && err == nil {
		return entry, fmt.Errorf("group %q was deleted, but the audit trail could not be written: %w", group, aerr)
	}
	return entry, err
}

// DeleteReplay deletes a replay group and its metadata: refused while the
// group has members, under --read-only, and for a promoted replay (cut-over
// keep made it the group in use). Audited.
func DeleteReplay(ctx context.Context, cl Cluster, env Env, name string) (*AuditEntry, error) {
	if err := env.check(); err != nil {
		return nil, err
	}
	r, err := LoadReplay(env.DataDir, name)
	if err != nil {
		return nil, err
	}
	if r.State == StatePromoted {
		return nil, refuse(GuardState, fmt.Sprintf("replay %q was kept by cut-over: group %q is now the group in use, not a replay", name, name))
	}
	if err := checkCluster(cl, r); err != nil {
		return nil, err
	}
	if err := cl.CheckWrite(); err != nil {
		return nil, err
	}
	entry, err := deleteGroupAudited(ctx, cl, env, r, r.Name, nil)
	if err != nil {
		return entry, err
	}
	return entry, removeReplay(env.DataDir, name)
}
