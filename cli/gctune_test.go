package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestBatchGC: a bounded read collects at 400% under a soft limit, then
// the collector is as it was; GOGC or GOMEMLIMIT set by the user wins.
func TestBatchGC(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	pct := debug.SetGCPercent(100)
	defer debug.SetGCPercent(pct)
	restore := batchGC()
	if got := debug.SetGCPercent(-1); got != 400 {
		t.Fatalf("GOGC during a bounded read: %d, want 400", got)
	}
	debug.SetGCPercent(400)
	if got := debug.SetMemoryLimit(-1); got != 80<<20 {
		t.Fatalf("memory limit during a bounded read: %d", got)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC not restored: %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit not restored: %d", got)
	}

	t.Setenv("GOGC", "50")
	batchGC()()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC from the environment was overridden: %d", got)
	}
}
