package testkit

import (
	"runtime"
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits. The machine running the tests is
// shared and loaded; a condition that holds at all holds well before this.
const WaitTimeout = 60 * time.Second

// WaitFor polls cond until it reports ok, failing the test after
// WaitTimeout with what and cond's last explanation. It waits on a
// condition, never decides anything by elapsed time.
func WaitFor(t testing.TB, what string, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Eventually is WaitFor for a plain condition.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, what, func() (bool, string) { return cond(), "false" })
}

// NoGoroutineLeak registers a cleanup that fails the test if goroutines
// started during it are still running once everything else is cleaned up.
// Call it first in the test: cleanups run last-registered first.
func NoGoroutineLeak(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(WaitTimeout / 4)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
