package backend

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Segment files read before the log opens: any bytes, no panic; what is
// reported lies inside the file.
func FuzzScanSegment(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 12))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 49})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "0.dat")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		at, size, _, why, err := scanSegment(p)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(b)) || (why != "" && (at < 0 || at > size)) {
			t.Fatalf("at %d size %d why %q for %d bytes", at, size, why, len(b))
		}
	})
}

// log-starts.json read back at start: any bytes, no panic.
func FuzzLoadLogStarts(f *testing.F) {
	f.Add([]byte(`{"version":1,"log_starts":[{"topic":"t","topic_id":"x","partition":0,"log_start":5}]}`))
	f.Add([]byte(`{"log_starts":[{"partition":-1,"log_start":-9}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logStartsFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		e := &Embedded{dir: dir}
		_ = e.loadState()
		e.cfg.AcceptDamage = true
		_ = e.loadState()
	})
}

// The record-to-JSON writer: any key, value and headers give one valid
// JSON object on one line.
func FuzzAppendRecordJSON(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"a":1}`), "h", []byte("v"))
	f.Add([]byte{0xff, 0x1b, '['}, []byte("\x00\n\"\\"), "\u2028", []byte{0xc3})
	f.Fuzz(func(t *testing.T, k, v []byte, hk string, hv []byte) {
		r := &kgo.Record{Topic: "t", Key: k, Value: v, Headers: []kgo.RecordHeader{{Key: hk, Value: hv}}}
		out := AppendRecordJSON(nil, r)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		for _, c := range out {
			if c == '\n' || c < 0x20 {
				t.Fatalf("control byte %#x in the line: %q", c, out)
			}
		}
	})
}
