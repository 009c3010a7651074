package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

func writeSpec(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A run in which every record failed an expression exits 1 and shows the
// first errors with their offsets (today: exit 0, "done").
func TestCLIProjectEveryRecordFailed(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("o", 1, nil)
	for i := range 8 {
		b.Produce(&kgo.Record{Topic: "o", Value: []byte(`{"customer":"c","amount":"not a number ` + string(rune('a'+i)) + `"}`)})
	}
	dir := t.TempDir()
	spec := writeSpec(t, dir, "s.yaml", "name: s\ntopic: o\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	code, out, errb := runCLI("-b", b.Addr, "--data-dir", dir, "project", "run", spec, "--name", "r")
	if code != 1 || !strings.Contains(errb, "every record (8) failed: 8 expression errors") || !strings.Contains(errb, "o/0@0") {
		t.Fatalf("exit %d stderr %q", code, errb)
	}
	if strings.Count(out, "  error o/0@") != 5 || !strings.Contains(out, "o/0@4") {
		t.Fatalf("the first errors with offsets: %s", out)
	}
	if n := strings.Count(strings.TrimSpace(errb), "\n"); n > 1 { // a progress line may precede
		t.Fatalf("stderr: %q", errb)
	}
}

// Refused before consuming (here: before even connecting).
func TestCLIProjectSpecRefusedEarly(t *testing.T) {
	dir := t.TempDir()
	num := writeSpec(t, dir, "num.yaml", "name: n\ntopic: o\nfilter: value.amount * 2\naggregate: count\n")
	code, _, errb := runCLI("-b", "127.0.0.1:1", "project", "run", num)
	if code != 1 || !strings.Contains(errb, "num.yaml:3:9: filter: the filter is a number") {
		t.Fatalf("numeric filter: %d %q", code, errb)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: b\ntopic: o\naggregate: count\n# "+strings.Repeat("x", 3<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errb = runCLI("-b", "127.0.0.1:1", "project", "run", big)
	if code != 1 || !strings.Contains(errb, "larger than 1024 KiB") {
		t.Fatalf("3 MiB spec: %d %q", code, errb)
	}
}
