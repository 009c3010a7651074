package testkit

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// FIFO makes a named pipe in dir and a symlink to it (as /dev/stdout is
// one), for the tests of output files that must be written directly,
// never replaced.
func FIFO(t testing.TB, dir string) (fifo, link string) {
	t.Helper()
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	link = filepath.Join(dir, "stdout")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	return fifo, link
}

// ReadFIFO reads the pipe at path until its writer closes it and sends
// what it read (or the error opening it) on the channel.
func ReadFIFO(path string) <-chan string {
	got := make(chan string, 1)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- string(b)
	}()
	return got
}
