package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
)

// serveProc is a `rewind serve` child process and the lines it printed.
type serveProc struct {
	cmd   *exec.Cmd
	lines []string
}

// startServe runs `rewind serve` on free ports and waits for its address
// lines.
func startServe(t *testing.T, dir string, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"--data-dir", dir, "--listen", "127.0.0.1:0", "--no-demo"}, extra...)
	cmd := exec.Command(testkit.Binary(t), append(args, "serve")...)
	cmd.Env = testkit.CleanEnv(t.TempDir())
	out, stderr := testkit.Start(t, cmd)
	p := &serveProc{cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		p.lines = append(p.lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "data dir ") {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return p
		}
	}
	t.Fatalf("serve ended early: %v\n%s", p.lines, stderr.String())
	return nil
}

func (p *serveProc) value(prefix string) string {
	for _, l := range p.lines {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	return ""
}

// `rewind serve` says where the registry is, right after the log's
// address, and the registry answers the Confluent REST API there.
func TestServePrintsRegistry(t *testing.T) {
	p := startServe(t, t.TempDir())
	if len(p.lines) < 2 || !strings.HasPrefix(p.lines[0], "listening on 127.0.0.1:") || !strings.HasPrefix(p.lines[1], "schema registry on http://127.0.0.1:") {
		t.Fatalf("serve printed %q", p.lines)
	}
	url := p.value("schema registry on ")
	resp, err := http.Post(url+"/subjects/t-value/versions", "application/vnd.schemaregistry.v1+json",
		strings.NewReader(`{"schema":"{\"type\":\"string\"}"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ ID int }
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got.ID != 1 {
		t.Fatalf("register: %d id %d", resp.StatusCode, got.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/subjects", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != `["t-value"]` {
		t.Fatalf("subjects: %s", b)
	}
}
