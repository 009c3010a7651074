package replay

// Audit support for operator actions outside reprocessing (package admin:
// topics, groups, redrive). They share the one trail and its rules: the
// trail must be writable before the cluster is written, and every attempt
// past the read-only check is appended with its result.

// AuditConfig is one setting before and after a change; nil is "not set".
type AuditConfig struct {
	Name   string  `json:"name"`
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// AuditRedrive records a redrive: records re-produced per target topic,
// the filter and the headers dropped.
type AuditRedrive struct {
	Filter      string           `json:"filter,omitempty"`
	To          string           `json:"to,omitempty"`
	DropHeaders []string         `json:"drop_headers,omitempty"`
	Matched     int64            `json:"matched"`
	Produced    map[string]int64 `json:"produced"`
	// Skipped counts matching records with no target (no origin header
	// and no --to).
	Skipped int64 `json:"skipped,omitempty"`
	// Range is per DLQ partition the offsets read: [start, end).
	Range map[int32][2]int64 `json:"range,omitempty"`
}

// AuditProduced records one record written by the operator (produce,
// resend): where it went and what it was made of — sizes and header names,
// never the bytes (a record may hold secrets).
type AuditProduced struct {
	// From is the record re-sent (resend only).
	From *AuditRecord `json:"from,omitempty"`
	// To is where the broker wrote it; Offset is -1 when it failed.
	To AuditRecord `json:"to"`
	// KeyBytes and ValueBytes are -1 for null.
	KeyBytes   int      `json:"key_bytes"`
	ValueBytes int      `json:"value_bytes"`
	Headers    []string `json:"headers,omitempty"`
	// DropHeaders are the patterns of the headers left out (resend).
	DropHeaders []string `json:"drop_headers,omitempty"`
	// ValueSchema is the registry subject the value was encoded with.
	ValueSchema string `json:"value_schema,omitempty"`
}

// AuditRecord names one record.
type AuditRecord struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// NewEntry starts an audit entry of kind for the cluster at addr, stamped
// with this Env's clock and actor.
func (e Env) NewEntry(addr, kind string) *AuditEntry {
	return &AuditEntry{Time: e.now().UTC(), Actor: e.actor(), Cluster: addr, Kind: kind, Partitions: []AuditPartition{}}
}

// Restamp sets the entry's time to now (right before the write).
func (e Env) Restamp(en *AuditEntry) { en.Time = e.now().UTC() }

// Check reports a missing data dir (no audit trail, no write).
func (e Env) Check() error { return e.check() }

// CheckAuditWritable refuses a write that could not be audited.
func CheckAuditWritable(dir string) error { return checkAuditWritable(dir) }

// ResultOf is an audit entry's result for err: "ok", "refused: ..." or
// "failed: ...".
func ResultOf(err error) string { return resultOf(err) }

// AuditPartitions pairs before and after offsets over the union of their
// partitions (nil after: deleted).
func AuditPartitions(before, after Offsets) []AuditPartition { return auditPartitions(before, after) }

// Refuse builds a guard refusal (errors.Is(err, ErrRefused)).
func Refuse(guard, reason string, details ...string) error { return refuse(guard, reason, details...) }
