package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// origEnv is the environment the test binary started with, before
// ScrubEnv: `go build` needs the user's GOCACHE/GOPATH.
var origEnv = os.Environ()

// ScrubEnv makes the test process's environment clean for rewind: it
// removes every REWIND_* variable (a test must never reach the cluster a
// developer's REWIND_BROKERS names), and points HOME and XDG_DATA_HOME at a
// fresh temp dir so no default data dir or config of the developer's is
// read or written. Call it from TestMain; it returns a cleanup.
func ScrubEnv() (cleanup func()) {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "REWIND_") {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "rewind-test-home-")
	if err != nil {
		panic(err)
	}
	os.Setenv("HOME", dir)
	os.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	return func() {
		os.RemoveAll(dir)
		if buildPath != "" {
			os.RemoveAll(filepath.Dir(buildPath))
		}
	}
}

// CleanEnv is a minimal environment for a child rewind process: PATH, a
// HOME and XDG dirs under home, a fixed locale and TZ, plus extra
// ("K=V"). Nothing of the developer's REWIND_* or proxies leaks in.
func CleanEnv(home string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"LANG=C.UTF-8",
		"TZ=UTC",
	}
	return append(env, extra...)
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds the rewind binary (the module's main package) once per
// test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "rewind-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "rewind")
		cmd := exec.Command("go", "build", "-o", buildPath, ".")
		cmd.Dir = root
		cmd.Env = origEnv
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatalf("testkit: building rewind: %v", buildErr)
	}
	return buildPath
}

// moduleRoot walks up from the working directory (a package dir, under go
// test) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start starts cmd with its stdout as a pipe, failing the test when it
// cannot. A nil cmd.Stderr is collected into the returned buffer: read it
// once cmd has exited (after Wait).
func Start(t testing.TB, cmd *exec.Cmd) (stdout io.ReadCloser, stderr *bytes.Buffer) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &bytes.Buffer{}
	if cmd.Stderr == nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return out, stderr
}
