// Package backend is everything that touches a cluster: the franz-go client
// (kgo + kadm), the embedded kfake log, and record decoding. It has no UI
// imports so the CLI and tests can use it directly.
package backend

import (
	"context"
	"errors"
	"time"

	"github.com/rewind-log/rewind/backend/decode"
)

// ErrReadOnly is returned by every write path when the cluster was opened
// with ReadOnly set. Writes are refused here, in the backend, not just hidden
// in the UI.
var ErrReadOnly = errors.New("refused: rewind is running with --read-only")

// readOnlyError is ErrReadOnly with the reason of a read-only context.
type readOnlyError struct{ reason string }

func (e readOnlyError) Error() string        { return "refused: " + e.reason }
func (e readOnlyError) Is(target error) bool { return target == ErrReadOnly }

// Topic is one row of the topics listing.
type Topic struct {
	Name              string `json:"name"`
	Partitions        int    `json:"partitions"`
	ReplicationFactor int    `json:"replication_factor"`
	// Records is the sum over partitions of high watermark - log start. On a
	// compacted topic this is an upper bound (offsets are not dense).
	Records       int64  `json:"records"`
	CleanupPolicy string `json:"cleanup_policy"`
	// RetentionMs is retention.ms; -1 means infinite.
	RetentionMs int64 `json:"retention_ms"`
	Internal    bool  `json:"internal"`
}

// Partition is one row of the partitions screen.
type Partition struct {
	Topic         string  `json:"topic"`
	ID            int32   `json:"partition"`
	Leader        int32   `json:"leader"`
	Replicas      []int32 `json:"replicas"`
	ISR           []int32 `json:"isr"`
	LogStart      int64   `json:"log_start"`
	HighWatermark int64   `json:"high_watermark"`
	Records       int64   `json:"records"`
	// NewestTime is the timestamp of the record at HighWatermark-1; zero when
	// the partition is empty or the record could not be read.
	NewestTime time.Time `json:"newest_time"`
	Err        string    `json:"error,omitempty"`
}

// Header is a record header. Value is raw, untrusted bytes.
type Header struct {
	Key   string
	Value []byte
}

// Record is one fetched record. Key, Value and header bytes are untrusted:
// sanitise before display.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       []byte
	Value     []byte
	Headers   []Header
	// Txn is what became of the record's transaction; only reads under
	// read-uncommitted set it (a live tail, Fetch and FetchBefore).
	Txn TxnState

	// KeyDecoded and ValueDecoded are what the decoder made of Key and
	// Value (nil until one ran: see DecodeRecords).
	KeyDecoded, ValueDecoded *decode.Result
}

// DecodeRecords decodes the keys and values of recs in place. It may make
// registry requests (cached): call it off the UI event loop. d may be nil.
func DecodeRecords(ctx context.Context, d *decode.Decoder, recs []Record) {
	if d == nil {
		return
	}
	for i := range recs {
		r := &recs[i]
		k := d.Decode(ctx, r.Topic, true, r.Key, nil)
		v := d.Decode(ctx, r.Topic, false, r.Value, nil)
		r.KeyDecoded, r.ValueDecoded = &k, &v
	}
}

// ShownValue is the value as screens show it: the decoded JSON of a
// structured value, hex for bytes that are neither (the start of them:
// the list shows one line), else the raw bytes (text).
func (r *Record) ShownValue() []byte { return shown(r.Value, r.ValueDecoded) }

// ShownKey is ShownValue for the key.
func (r *Record) ShownKey() []byte { return shown(r.Key, r.KeyDecoded) }

// shownHexBytes bounds the bytes a hex preview shows.
const shownHexBytes = 64

func shown(raw []byte, d *decode.Result) []byte {
	switch {
	case d == nil || len(raw) == 0:
		return raw
	case d.Format.Structured():
		return d.JSON
	case d.Format != decode.FormatBinary:
		return raw
	}
	const digits = "0123456789abcdef"
	n := min(len(raw), shownHexBytes)
	out := make([]byte, 0, 3*n+4)
	for i, c := range raw[:n] {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	if n < len(raw) {
		out = append(out, " …"...)
	}
	return out
}

// Size is the payload size of the record: key + value + header keys/values.
func (r *Record) Size() int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
