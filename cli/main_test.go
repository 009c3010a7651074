package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/internal/testkit"
)

// TestMain runs the CLI tests in a clean environment: no REWIND_* variable
// of the developer's (REWIND_BROKERS would point every test at a real
// cluster), and HOME/XDG dirs in a temp dir so no default data dir or
// config of the developer's is read or written.
func TestMain(m *testing.M) {
	cleanup := testkit.ScrubEnv()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// runCLI runs the CLI in-process with the scrubbed environment and returns
// the exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// binResult is the outcome of running the rewind binary.
type binResult struct {
	code           int
	stdout, stderr string
}

// runBin runs the real rewind binary (built once per test process) as a
// separate process with a clean environment (testkit.CleanEnv under a temp
// HOME) and returns its exit status and output. Use it where the process
// boundary matters: signals, pipes, exit statuses set by the runtime.
func runBin(t *testing.T, ctx context.Context, stdin string, args ...string) binResult {
	t.Helper()
	bin := testkit.Binary(t)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = testkit.CleanEnv(t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := binResult{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run rewind %v: %v", args, err)
	}
	return r
}
