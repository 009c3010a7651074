package profiling

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeLoopbackOnly(t *testing.T) {
	if _, err := serve("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("a non-loopback address must be refused: %v", err)
	}
	stop, err := serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop()
}

func TestStartFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	t.Setenv("REWIND_CPUPROFILE", path)
	t.Setenv("REWIND_PPROF", "")
	Start()()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("no CPU profile written: %v", err)
	}
}

func TestServesHeap(t *testing.T) {
	stop, addr, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "HeapAlloc") {
		t.Fatalf("heap profile: %d %.200s", resp.StatusCode, b)
	}
}
