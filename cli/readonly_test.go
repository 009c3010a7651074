package cli

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/replay"
	"github.com/twmb/franz-go/pkg/kgo"
)

// `rewind serve --read-only`: every client's writes are refused by the
// log itself (a plain Kafka client gets an authorization error), a rewind
// attaching through the data dir refuses at its first step naming why, and
// each refusal is in the audit trail.
func TestServeReadOnly(t *testing.T) {
	dir := t.TempDir()
	// A writable life first: a topic with a record.
	p := startServe(t, dir)
	addr := p.value("listening on ")
	b := testkit.Connect(t, addr)
	b.CreateTopic("t", 1, nil)
	b.Produce(&kgo.Record{Topic: "t", Value: []byte("before")})
	b.Client.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()

	p = startServe(t, dir, "--read-only")
	if !strings.Contains(strings.Join(p.lines, "\n"), "read-only: every client's writes are refused") {
		t.Fatalf("serve did not say read-only: %q", p.lines)
	}
	addr = p.value("listening on ")

	// A plain Kafka client: refused by the broker.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0), kgo.DisableIdempotentWrite())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.OpTimeout)
	defer cancel()
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("after")}).FirstErr()
	if err == nil || !strings.Contains(err.Error(), "AUTHORIZATION_FAILED") {
		t.Fatalf("produce to a read-only serve: %v", err)
	}
	// rewind with -b (it cannot know): the broker's refusal, non-zero.
	var code int
	var errb string
	withStdin(t, "x\n", func() { code, _, errb = runCLI("-b", addr, "produce", "t") })
	if code == 0 || !strings.Contains(errb, "AUTHORIZATION_FAILED") {
		t.Fatalf("rewind produce -b: %d %q", code, errb)
	}
	// rewind attached through the data dir: refused before sending.
	code, _, errb = runCLI("--data-dir", dir, "--listen", addr, "topic", "create", "new")
	if code != 1 || !strings.Contains(errb, "served read-only (rewind serve --read-only, pid") {
		t.Fatalf("topic create attached: %d %q", code, errb)
	}
	// Reads work and nothing was written.
	code, out, errb := runCLI("-b", addr, "consume", "t", "--until", "end", "-o", "text")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "before") {
		t.Fatalf("consume: %d %q %q", code, out, errb)
	}
	// The refusals are in the audit trail.
	testkit.WaitFor(t, "audit entries", func() (bool, string) {
		es, err := replay.ReadAudit(dir)
		if err != nil {
			return false, err.Error()
		}
		for _, e := range es {
			if e.Kind == replay.AuditWriteRefused && e.Topic == "t" && strings.Contains(e.Result, "refused: Produce of t: the embedded log is served read-only") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no write-refused entry for t in %+v", es)
	})
}
