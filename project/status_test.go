package project

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rewind-log/rewind/internal/testkit"
)

// While another process writes a run, LoadMeta says running with that
// process's pid (the kernel's lock holder, not a pid from a file).
func TestRunStatusWhileWritten(t *testing.T) {
	if addr := os.Getenv("REWIND_PROJ_CHILD"); addr != "" {
		return // only TestResumeAfterSIGKILL's child runs (see childRun)
	}
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(3000)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestResumeAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "REWIND_PROJ_CHILD="+w.addr, "REWIND_PROJ_DIR="+w.dir)
	out, _ := testkit.Start(t, cmd)
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "committed ") {
	}
	m, err := LoadMeta(w.dir, "killed")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != StatusRunning || m.PID != cmd.Process.Pid {
		t.Fatalf("while written: %s pid %d, want running pid %d", m.Status, m.PID, cmd.Process.Pid)
	}
	if _, err := OpenTable(w.dir, "killed"); err == nil || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("opening a run another process writes: %v", err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if m, _ = LoadMeta(w.dir, "killed"); m.Status != StatusInterrupted {
		t.Fatalf("after kill -9: %s", m.Status)
	}
}

// A run killed while it was being created (its directory there, no
// metadata yet) used to be neither shown nor resumable nor restartable
// ("already exists ... resume it" while show said "no such run"). Creation
// is atomic now, and such a leftover from before is replaced by a new run.
func TestRunKilledDuringCreation(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(30)
	if err := os.MkdirAll(RunDir(w.dir, "r"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(RunDir(w.dir, "r"), "spec.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A creation in progress elsewhere is not listed.
	if err := os.MkdirAll(filepath.Join(RunsDir(w.dir), ".q.new-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := w.run("name: n\ntopic: orders\naggregate: count\n", "r", Options{})
	if m.Status != StatusDone {
		t.Fatalf("status %s", m.Status)
	}
	runs, err := ListRuns(w.dir)
	if err != nil || len(runs) != 1 || runs[0].ID != "r" {
		t.Fatalf("list: %v %v", runs, err)
	}
	if ents, _ := os.ReadDir(RunsDir(w.dir)); len(ents) != 2 {
		t.Fatalf("runs dir: %v", ents)
	}
}
