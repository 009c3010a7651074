package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
)

// needKcat returns kcat's path. CI installs kcat (.ci/run), so there a
// missing kcat is a failure, not a silent skip.
func needKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat is not installed; .ci/run should have installed it (apt-get install kcat)")
		}
		t.Skip("kcat not installed (apt-get install kcat); CI runs this test")
	}
	return p
}

// embeddedCluster starts an embedded log (no demo) in dir on a free port
// and connects to it; both are closed when the test ends.
func embeddedCluster(ctx context.Context, t *testing.T, dir string) (*backend.Embedded, *backend.Cluster) {
	t.Helper()
	emb, err := backend.StartEmbedded(ctx, backend.EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emb.Close() })
	c, err := backend.Connect(ctx, backend.Options{Brokers: []string{emb.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return emb, c
}

// TestKcatInterop is the honest check that the embedded log is a real Kafka
// endpoint: a third-party client (librdkafka's kcat) lists its topics, and
// records kcat produces show up through rewind's own consume path.
func TestKcatInterop(t *testing.T) {
	kcat := needKcat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	emb, c := embeddedCluster(ctx, t, t.TempDir())
	if err := c.CreateTopic(ctx, "from-kcat", 2, nil); err != nil {
		t.Fatal(err)
	}

	out, err := exec.CommandContext(ctx, kcat, "-b", emb.Addr(), "-L").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `topic "from-kcat" with 2 partitions`) {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}

	prod := exec.CommandContext(ctx, kcat, "-b", emb.Addr(), "-t", "from-kcat", "-P", "-K:", "-p", "1")
	prod.Stdin = strings.NewReader("k1:{\"hello\":1}\nk2:{\"hello\":2}\n")
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}

	code, stdout, stderr := runCLI("-b", emb.Addr(), "consume", "from-kcat", "--until", "end", "-o", "text")
	if code != 0 {
		t.Fatalf("consume: %s", stderr)
	}
	if !strings.Contains(stdout, "1/0\t") || !strings.Contains(stdout, "k1\t{\"hello\":1}") || !strings.Contains(stdout, "k2\t{\"hello\":2}") {
		t.Fatalf("records from kcat not seen by rewind:\n%s", stdout)
	}

	// And the other way: kcat reads what rewind's cluster holds.
	out, err = exec.CommandContext(ctx, kcat, "-b", emb.Addr(), "-C", "-t", "from-kcat", "-e", "-q", "-f", "%k=%s\n").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "k2={\"hello\":2}") {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
}
