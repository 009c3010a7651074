//go:build unix

package outfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rewind-log/rewind/internal/testkit"
)

func TestStdout(t *testing.T) {
	var out bytes.Buffer
	f, err := Create("-", &out, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("x\n")
	if err := f.Commit(); err != nil || out.String() != "x\n" || !f.Direct() {
		t.Fatalf("stdout: %q %v", out.String(), err)
	}
}

// A regular file is complete or absent; a symlink to one keeps being a
// symlink, its target replaced.
func TestRegularFileCompleteOrAbsent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("partial")
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("abort changed the file: %q", b)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, nil, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Lstat(link)
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if st.Mode()&os.ModeSymlink == 0 || string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("link %v, target %q mode %v", st.Mode(), b, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := Create(path, nil, false); err == nil {
		t.Fatal("existing file without overwrite: accepted")
	}
}

// A FIFO and a device, also behind a symlink as /dev/stdout is, are
// written directly and stay what they are: renaming a temporary file over
// /dev/stdout (as root) replaced it with a regular file.
func TestNonRegularNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	fifo, link := testkit.FIFO(t, dir)
	got := testkit.ReadFIFO(fifo)
	if err := WriteFile(link, nil, []byte("through the pipe\n")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe\n" {
		t.Fatalf("reader got %q", s)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v", st.Mode())
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v", st.Mode())
	}
	// A device behind a symlink.
	null := filepath.Join(dir, "null")
	if err := os.Symlink(os.DevNull, null); err != nil {
		t.Fatal(err)
	}
	f, err := Create(null, nil, false) // not refused as "exists": it is not a file
	if err != nil {
		t.Fatal(err)
	}
	if !f.Direct() {
		t.Fatal("a device is written through a temporary file")
	}
	_, _ = f.WriteString("x")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(null); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the /dev/null symlink was replaced")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Fatalf("left behind: %v", entries)
	}
}
