//go:build unix

package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/internal/testkit"
)

// Output files: `--file -` is stdout, and a FIFO behind a symlink (as
// /dev/stdout is) is written, not replaced by a renamed temporary file;
// reset --export too. The project export used to rename its temporary file
// over whatever the name was.
func TestCLIOutputFilesNeverReplaceNonRegular(t *testing.T) {
	addr := remote(t, 20)
	dir := t.TempDir()
	spec := writeSpec(t, dir, "count.yaml", "name: per_key\ntopic: orders\naggregate: count\n")
	base := []string{"-b", addr, "--data-dir", dir}
	run := func(args ...string) (int, string, string) {
		return runCLI(append(append([]string{}, base...), args...)...)
	}
	if code, out, errb := run("project", "run", spec, "--name", "r1"); code != 0 {
		t.Fatalf("run: %s %s", out, errb)
	}
	code, out, errb := run("project", "export", "r1", "--file", "-")
	if code != 0 || strings.Count(out, "\n") != 21 || !strings.Contains(out, `"key":"ord-5"`) {
		t.Fatalf("export to -: %d %q %q", code, out, errb)
	}
	fifo, link := testkit.FIFO(t, dir)
	got := testkit.ReadFIFO(fifo)
	if code, _, errb := run("project", "export", "r1", "--file", link); code != 0 {
		t.Fatalf("export to a FIFO: %s", errb)
	}
	if s := <-got; strings.Count(s, "\n") != 21 {
		t.Fatalf("the FIFO's reader got %q", s)
	}
	got = testkit.ReadFIFO(fifo)
	if code, _, errb := run("reset", "g", "--topic", "orders", "--to-earliest", "--new-group", "--export", link); code != 0 {
		t.Fatalf("reset --export to a FIFO: %s", errb)
	}
	if s := <-got; !strings.Contains(s, "orders,0,0") {
		t.Fatalf("the FIFO's reader got %q", s)
	}
	for _, p := range []string{link, fifo} {
		st, err := os.Lstat(p)
		if err != nil || st.Mode().IsRegular() {
			t.Fatalf("%s was replaced by a regular file", p)
		}
	}
}
