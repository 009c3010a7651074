package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Spec files are untrusted: any bytes parse and compile or fail with an
// error, never a panic.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"name: r\ntopic: orders\naggregate: sum\nvalue: value.amount\n",
		"name: r\ntopic: [a, b]\nfilter: value.x > 1\nkey: value.k\naggregate: latest\n",
		"name: r\ntopic: t\naggregate: count\nfilter: 1 + 1\n",
		"name: &a [*a]\n", "::", "name: r\ntopic: t\naggregate: avg\nvalue: value.a.b.c\nfrom: -1h\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec("f.yaml", b)
		if err != nil {
			return
		}
		_, _ = Compile(s)
	})
}

// run.json read back from disk (list, show, resume): any bytes, no panic;
// a damaged file is one error naming it.
func FuzzLoadMeta(f *testing.F) {
	f.Add([]byte(`{"id":"r","status":"done","partitions":[{"topic":"t","partition":0,"target":5}],"progress":{"done":5,"total":5}}`))
	f.Add([]byte(`{"id":"r","status":"running","pid":-1}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(RunDir(dir, "r"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(RunDir(dir, "r"), "run.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadMeta(dir, "r"); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %q", err)
		}
		_, _ = ListRuns(dir)
	})
}
