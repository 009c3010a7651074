package cli

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func completions(t *testing.T, line string) []string {
	t.Helper()
	t.Setenv("COMP_LINE", line)
	code, out, errs := runCLI()
	if code != 0 {
		t.Fatalf("completion of %q: %d %s", line, code, errs)
	}
	got := strings.Fields(out)
	sort.Strings(got)
	return got
}

func TestCompletionCommandsFlagsAndNames(t *testing.T) {
	addr := remote(t, 1)
	if got := strings.Join(completions(t, "rewind topic "), " "); got != "add-partitions alter config create delete" {
		t.Fatalf("subcommands: %s", got)
	}
	if got := strings.Join(completions(t, "rewind topics -o "), " "); got != "json table yaml" {
		t.Fatalf("enum values: %s", got)
	}
	if got := completions(t, "rewind produce --comp"); len(got) != 1 || got[0] != "--compression" {
		t.Fatalf("flag: %v", got)
	}
	// Topic names come from the cluster named on the line being typed.
	if got := strings.Join(completions(t, "rewind -b "+addr+" consume "), " "); got != "customers orders" {
		t.Fatalf("topics: %q", got)
	}
	if got := strings.Join(completions(t, "rewind --brokers="+addr+" topic delete or"), " "); got != "orders" {
		t.Fatalf("topic prefix: %q", got)
	}
	// A real consumer group (kfake lists groups that have had members).
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("billing"), kgo.ConsumeTopics("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for n := 0; n == 0; {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		fs := cl.PollFetches(ctx)
		timedOut := ctx.Err() != nil
		cancel()
		if n = fs.NumRecords(); n == 0 && timedOut {
			t.Fatal("no records polled within 30s")
		}
	}
	if got := strings.Join(completions(t, "rewind -b "+addr+" group delete "), " "); got != "billing" {
		t.Fatalf("groups: %q", got)
	}
	t.Setenv("REWIND_BROKERS", addr)
	if got := strings.Join(completions(t, "rewind lag "), " "); got != "billing" {
		t.Fatalf("groups via REWIND_BROKERS: %q", got)
	}
	// A dead cluster gives no names, quickly, and no error on the shell.
	t.Setenv("REWIND_BROKERS", "127.0.0.1:1")
	if got := completions(t, "rewind consume "); len(got) != 0 {
		t.Fatalf("dead cluster: %v", got)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -C ", "zsh": "bashcompinit", "fish": "complete -f -c rewind"} {
		code, out, errs := runCLI("completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%s: %d %q %s", shell, code, out, errs)
		}
	}
	if code, _, _ := runCLI("completion", "powershell"); code == 0 {
		t.Fatal("unknown shell accepted")
	}
}

func TestCompletionContexts(t *testing.T) {
	addr := remote(t, 1)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := "current-context: dead\ncontexts:\n  - name: dead\n    brokers: [127.0.0.1:1]\n  - name: local\n    brokers: [" + addr + "]\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(completions(t, "rewind --config "+cfg+" --context "), " "); got != "dead local" {
		t.Fatalf("contexts: %q", got)
	}
	// Names come from the context the line picks, as a command would use it.
	if got := strings.Join(completions(t, "rewind --config="+cfg+" --context local topic config "), " "); got != "customers orders" {
		t.Fatalf("topics of context local: %q", got)
	}
	if got := completions(t, "rewind --config "+cfg+" consume "); len(got) != 0 {
		t.Fatalf("current context is dead: %v", got)
	}
}

func TestCompletionReplaysAndRuns(t *testing.T) {
	addr := remote(t, 3)
	dir := t.TempDir()
	if code, _, errs := runCLI("-b", addr, "--data-dir", dir, "reset", "live", "-t", "orders", "--to-offset", "3", "--new-group", "--execute", "--sink-idempotent", "yes"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI("-b", addr, "--data-dir", dir, "replay", "start", "live", "-t", "orders", "--to-earliest", "--name", "live.rp1"); code != 0 {
		t.Fatal(errs)
	}
	if got := strings.Join(completions(t, "rewind --data-dir "+dir+" replay status "), " "); got != "live.rp1" {
		t.Fatalf("replays: %q", got)
	}
	if got := completions(t, "rewind --data-dir "+t.TempDir()+" replay delete "); len(got) != 0 {
		t.Fatalf("empty data dir: %v", got)
	}
}
