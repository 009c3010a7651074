package replay

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Offsets CSV (reset --from-file): untrusted input never panics; what it
// accepts writes back and re-reads the same.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{"orders,0,10\norders,1,20\n", "topic,partition,offset\nt,0,-1\n", "a,b,c", "t,99999999999,1", "t,0,9223372036854775807\n", "\"t,x\",0,1\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseCSV(bytes.NewReader(b))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, o); err != nil {
			t.Fatal(err)
		}
		back, err := ParseCSV(&buf)
		if err != nil {
			t.Fatalf("re-reading what was written: %v\n%s", err, buf.String())
		}
		if len(back) != len(o) {
			t.Fatalf("round trip: %v != %v", back, o)
		}
	})
}

// The audit trail read back from disk: any bytes, no panic.
func FuzzReadAudit(f *testing.F) {
	f.Add([]byte(`{"time":"2026-01-01T00:00:00Z","actor":"a@h","kind":"reset","group":"g","partitions":[],"result":"ok"}` + "\n"))
	f.Add([]byte("{\n"))
	f.Add([]byte(`{"partitions":[{"before":1e400}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, AuditFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = ReadAudit(dir)
	})
}
