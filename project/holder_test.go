package project

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A finished run another process holds open (a diff or the TUI's
// side-by-side keeps its store open) names that process, pid and command,
// not the run's long-gone writer.
func TestOpenTableSaysWhoHoldsIt(t *testing.T) {
	if os.Getenv("REWIND_HOLD_DIR") != "" {
		return // the child below
	}
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(20)
	if m := w.run("name: n\ntopic: orders\naggregate: count\n", "r", Options{}); m.Status != StatusDone {
		t.Fatalf("status %s", m.Status)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHoldRunOpenChild$")
	cmd.Env = append(os.Environ(), "REWIND_HOLD_DIR="+w.dir, "REWIND_HOLD_RUN=r")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "open" {
		if strings.HasPrefix(sc.Text(), "error") {
			t.Fatal(sc.Text())
		}
	}
	_, err = OpenTable(w.dir, "r")
	want := fmt.Sprintf(`run "r" is held open by pid %d`, cmd.Process.Pid)
	if name := processName(cmd.Process.Pid); name != "" {
		want += " (" + name + ")"
	}
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInUse) {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestHoldRunOpenChild is TestOpenTableSaysWhoHoldsIt's other process: it
// opens the run's table and holds it until its stdin closes.
func TestHoldRunOpenChild(t *testing.T) {
	dir := os.Getenv("REWIND_HOLD_DIR")
	if dir == "" {
		return // only as the child of TestOpenTableSaysWhoHoldsIt
	}
	tb, err := OpenTable(dir, os.Getenv("REWIND_HOLD_RUN"))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	defer tb.Close()
	fmt.Println("open")
	_, _ = io.Copy(io.Discard, os.Stdin)
}
