package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// remote starts an in-process kfake broker with a topic "orders" of 2
// partitions holding n records each (plus one hostile record on
// partition 0) and a compacted "customers", and returns its address.
func remote(t *testing.T, n int) string {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("orders", 2, nil)
	b.CreateTopic("customers", 1, map[string]string{"cleanup.policy": "compact"})
	var recs []*kgo.Record
	for p := int32(0); p < 2; p++ {
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: "orders", Partition: p, Key: []byte(fmt.Sprintf("ord-%d", i)),
				Value: []byte(fmt.Sprintf(`{"n":%d}`, i)), Headers: []kgo.RecordHeader{{Key: "src", Value: []byte("test")}}})
		}
	}
	recs = append(recs, &kgo.Record{Topic: "orders", Partition: 0, Key: []byte("evil"), Value: []byte("\x1b]0;pwned\x07\x1b[2J\xff")})
	b.Produce(recs...)
	return b.Addr
}

func TestCLIBadFlags(t *testing.T) {
	code, _, stderr := runCLI("--no-such-flag")
	if code == 0 || !strings.Contains(stderr, "no-such-flag") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("bad flag: code=%d stderr=%q", code, stderr)
	}
	code, _, stderr = runCLI("-b", "127.0.0.1:1", "topics", "-o", "xml")
	if code == 0 || !strings.Contains(stderr, "xml") {
		t.Fatalf("bad enum: code=%d stderr=%q", code, stderr)
	}
	code, _, stderr = runCLI("-b", "127.0.0.1:1", "consume", "orders", "--from", "yesterday")
	if code == 0 || !strings.Contains(stderr, "--from") || !strings.Contains(stderr, "yesterday") {
		t.Fatalf("bad --from: code=%d stderr=%q", code, stderr)
	}
	code, _, stderr = runCLI("-b", "localhost", "topics")
	if code == 0 || !strings.Contains(stderr, "host:port") {
		t.Fatalf("bad broker: code=%d stderr=%q", code, stderr)
	}
}

func TestCLIUnreachableBroker(t *testing.T) {
	start := time.Now()
	code, _, stderr := runCLI("-b", "127.0.0.1:1", "--timeout", "2s", "topics")
	if code != 1 || !strings.Contains(stderr, "127.0.0.1:1 refused the connection") {
		t.Fatalf("code=%d stderr=%q", code, stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("want one line, got %q", stderr)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestCLITopicsJSON(t *testing.T) {
	addr := remote(t, 5)
	code, out, stderr := runCLI("-b", addr, "topics", "-o", "json")
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	got := map[string]map[string]any{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got[m["name"].(string)] = m
	}
	o := got["orders"]
	for _, f := range []string{"name", "partitions", "replication_factor", "records", "cleanup_policy", "retention_ms"} {
		if _, ok := o[f]; !ok {
			t.Fatalf("field %s missing in %v", f, o)
		}
	}
	if o["partitions"].(float64) != 2 || o["records"].(float64) != 11 || got["customers"]["cleanup_policy"] != "compact" {
		t.Fatalf("values: %v / %v", o, got["customers"])
	}
	code, out, _ = runCLI("-b", addr, "topics")
	if code != 0 || !strings.Contains(out, "NAME") || !strings.Contains(out, "orders") || !strings.Contains(out, "compact") {
		t.Fatalf("table: %s", out)
	}
}

func TestCLIConsume(t *testing.T) {
	addr := remote(t, 20)
	code, out, stderr := runCLI("-b", addr, "consume", "orders", "--from", "earliest", "--until", "end", "-o", "json")
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 41 {
		t.Fatalf("want 41 records, got %d", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		for _, f := range []string{"topic", "partition", "offset", "timestamp", "key", "value", "headers"} {
			if _, ok := m[f]; !ok {
				t.Fatalf("field %s missing: %s", f, l)
			}
		}
		if _, err := time.Parse(time.RFC3339, m["timestamp"].(string)); err != nil {
			t.Fatalf("timestamp: %v", err)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Fatal("raw ESC in JSON output")
	}
	// --partition, --count and -N.
	code, out, _ = runCLI("-b", addr, "consume", "orders", "-p", "1", "--from", "-3", "--until", "end")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"offset":19`) {
		t.Fatalf("partition 1 last 3: %d %q", code, out)
	}
	code, out, _ = runCLI("-b", addr, "consume", "orders", "--count", "4")
	if code != 0 || strings.Count(out, "\n") != 4 {
		t.Fatalf("count 4: %d %q", code, out)
	}
	// Text output is sanitised: no escape sequence from record bytes.
	code, out, _ = runCLI("-b", addr, "consume", "orders", "-p", "0", "--from", "-1", "--until", "end", "-o", "text")
	if code != 0 || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "evil") {
		t.Fatalf("text: %d %q", code, out)
	}
	// Unknown topic and partition.
	code, _, stderr = runCLI("-b", addr, "consume", "nope", "--until", "end")
	if code != 1 || !strings.Contains(stderr, `unknown topic "nope"`) {
		t.Fatalf("unknown topic: %d %q", code, stderr)
	}
	code, _, stderr = runCLI("-b", addr, "consume", "orders", "-p", "7", "--until", "end")
	if code != 1 || !strings.Contains(stderr, "no partition 7") {
		t.Fatalf("unknown partition: %d %q", code, stderr)
	}
}

func TestCLIVersion(t *testing.T) {
	code, out, _ := runCLI("--version")
	if code != 0 || !strings.HasPrefix(out, "rewind ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// A broker that accepts connections and never answers must not hang the CLI:
// the error comes after about --timeout, naming the broker.
func TestCLIBlackholeBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	start := time.Now()
	code, _, stderr := runCLI("-b", ln.Addr().String(), "--timeout", "1s", "topics")
	if code != 1 || !strings.Contains(stderr, ln.Addr().String()+" accepted the connection but did not answer within --timeout 1s") {
		t.Fatalf("code=%d stderr=%q", code, stderr)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("a silent broker held the CLI for %v with --timeout 1s", d)
	}
	ln.Close()
	<-done
	for _, c := range conns {
		c.Close()
	}
}
