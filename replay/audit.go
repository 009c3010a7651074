package replay

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// AuditFile is the audit trail's name in the data dir: JSON lines, append
// only, one entry per executed (or refused at execution) change.
const AuditFile = "audit.jsonl"

// Audit kinds.
const (
	AuditReset        = "reset"         // a group's offsets changed
	AuditReplayCreate = "replay-create" // a replay group was created
	AuditCutover      = "cutover"       // a replay was cut over (copy or keep)
	AuditDelete       = "delete"        // a group was deleted
	// Operator actions (package admin).
	AuditTopicCreate     = "topic-create"     // a topic was created
	AuditTopicDelete     = "topic-delete"     // a topic was deleted
	AuditTopicConfig     = "topic-config"     // a topic's configs changed
	AuditTopicPartitions = "topic-partitions" // partitions were added
	AuditDeleteOffsets   = "delete-offsets"   // a group's offsets on one topic were deleted
	AuditRedriveKind     = "redrive"          // records re-produced from a dead-letter topic
	AuditProduceKind     = "produce"          // one record written by the operator (the TUI produce form)
	AuditResendKind      = "resend"           // one record re-sent to the same or another topic
	// A write the read-only embedded log (rewind serve --read-only)
	// refused, from any client.
	AuditWriteRefused = "write-refused"
)

// Confirmations are the operator's answers to the live-group guards.
type Confirmations struct {
	// SinkIdempotent is "yes" or "no": is the group's sink safe to feed
	// the same records twice? Anything else is refused.
	SinkIdempotent string `json:"sink_idempotent,omitempty"`
	// Confirm is the group name typed by the operator; required to
	// equal the group when the sink is not idempotent.
	Confirm string `json:"confirm,omitempty"`
	// NewGroup accepts that the group does not exist yet (no members, no
	// commits): the reset creates it. Without it, a typo in the group name
	// is refused instead of silently creating a new group.
	NewGroup bool `json:"new_group,omitempty"`
	// AcceptSkip accepts that a forward reset skips records: the group
	// will never process them. Asked separately from SinkIdempotent.
	AcceptSkip bool `json:"accept_skip,omitempty"`
}

// AuditPartition is one partition's offsets before and after a change;
// nil means "no commit" (before) or "deleted" (after).
type AuditPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Before    *int64 `json:"before"`
	After     *int64 `json:"after"`
}

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`   // user@host
	Cluster string    `json:"cluster"` // broker list
	Kind    string    `json:"kind"`    // reset | replay-create | cutover | delete
	// Group is the group written (reset, cut-over copy) or created
	// (replay-create) or deleted; empty (left out) for topic and redrive
	// entries.
	Group string `json:"group,omitempty"`
	// Source is the live group a replay belongs to.
	Source string `json:"source_group,omitempty"`
	// Replay is the replay's name (replay-create, cutover, delete).
	Replay   string `json:"replay,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	Mode     string `json:"mode,omitempty"` // cut-over: copy | keep
	// Partial is set when the change replays a window retention cut
	// short (accepted with --allow-partial).
	Partial       bool          `json:"partial"`
	Confirmations Confirmations `json:"confirmations"`
	// Partitions are the offsets changed; left out when none were
	// (topic and redrive entries).
	Partitions []AuditPartition `json:"partitions,omitempty"`
	// Topic is the topic acted on (topic actions, delete-offsets, the
	// dead-letter topic of a redrive).
	Topic string `json:"topic,omitempty"`
	// Configs are settings before and after (topic configs, the partition
	// count).
	Configs []AuditConfig `json:"configs,omitempty"`
	// Redrive is what a redrive re-produced.
	Redrive *AuditRedrive `json:"redrive,omitempty"`
	// Produced is the one record a produce or a resend wrote.
	Produced *AuditProduced `json:"produced,omitempty"`
	// Result is "ok", "refused: ..." or "failed: ...".
	Result string `json:"result"`
}

// OK reports whether the change was made.
func (e *AuditEntry) OK() bool { return e.Result == "ok" }

func auditPath(dir string) string { return filepath.Join(dir, AuditFile) }

// AppendAudit appends one entry to DIR/audit.jsonl (created 0600) in a
// single write and fsyncs it.
func AppendAudit(dir string, e *AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit entry: %w", err)
	}
	b = append(b, '\n')
	f, err := openAudit(dir)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("append to audit trail %s: %w", auditPath(dir), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync audit trail %s: %w", auditPath(dir), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close audit trail %s: %w", auditPath(dir), err)
	}
	return nil
}

func openAudit(dir string) (*os.File, error) {
	if dir == "" {
		return nil, errors.New("no data dir for the audit trail")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit trail dir: %w", err)
	}
	f, err := os.OpenFile(auditPath(dir), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit trail: %w", err)
	}
	return f, nil
}

// checkAuditWritable is called before a write to the cluster: no change
// is made that cannot be audited.
func checkAuditWritable(dir string) error {
	f, err := openAudit(dir)
	if err != nil {
		return fmt.Errorf("not writing: the audit trail cannot be written: %w", err)
	}
	return f.Close()
}

// ReadAudit reads DIR/audit.jsonl, oldest first. A missing file is an
// empty trail. Lines that do not parse (a torn last line after a crash)
// are skipped; the error then says how many, and the entries read are
// still returned.
func ReadAudit(dir string) ([]AuditEntry, error) {
	f, err := os.Open(auditPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer f.Close()
	var out []AuditEntry
	var bad []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			bad = append(bad, n)
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read audit trail %s: %w", auditPath(dir), err)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("audit trail %s: %d unreadable line(s), first at line %d", auditPath(dir), len(bad), bad[0])
	}
	return out, nil
}

// auditPartitions pairs before and after offsets over the union of their
// partitions.
func auditPartitions(before, after Offsets) []AuditPartition {
	set := map[TP]bool{}
	for _, tp := range sortedTPs(before) {
		set[tp] = true
	}
	for _, tp := range sortedTPs(after) {
		set[tp] = true
	}
	tps := make([]TP, 0, len(set))
	for tp := range set {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	out := make([]AuditPartition, len(tps))
	for i, tp := range tps {
		ap := AuditPartition{Topic: tp.Topic, Partition: tp.Partition}
		if v, ok := lookup(before, tp.Topic, tp.Partition); ok {
			ap.Before = &v
		}
		if v, ok := lookup(after, tp.Topic, tp.Partition); ok {
			ap.After = &v
		}
		out[i] = ap
	}
	return out
}

func resultOf(err error) string {
	if err == nil {
		return "ok"
	}
	if r, ok := AsRefusal(err); ok {
		return r.Error()
	}
	return "failed: " + err.Error()
}
