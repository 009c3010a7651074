package cli

import (
	"encoding/json"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// lagCluster starts an in-process kfake broker with:
//
//	events (2 partitions, 50 records each)
//	g-live   a classic consumer that read everything and committed 30 on
//	         each partition (lag 20 + 20), still a member
//	g-empty  commits only (events/0 at 45: lag 5), nobody ever joined
//	g-lost   committed 5 on events/1, then records below 20 deleted
//	\x1b[2Jevil  a group whose name carries an escape sequence
//
// It returns the address; the consumer is closed by t.Cleanup.
func lagCluster(t *testing.T) string {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("events", 2, nil)
	b.ProduceSeq("events", 2, 50, time.Now().Add(-time.Hour))
	b.Commit("g-empty", "events", map[int32]int64{0: 45})
	b.Commit("g-lost", "events", map[int32]int64{1: 5})
	b.Commit("\x1b[2Jevil", "events", map[int32]int64{0: 50})
	b.DeleteBelow("events", 1, 20)
	// Read until both partitions delivered offset 29, commit 30 on each,
	// stay a member.
	b.JoinAndCommit("g-live", "events", map[int32]int64{0: 30, 1: 30}, kgo.ClientID("live-client"))
	return b.Addr
}

func decodeGroups(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got[m["group"].(string)] = m
	}
	return got
}

func partsOf(t *testing.T, g map[string]any) map[float64]map[string]any {
	t.Helper()
	out := map[float64]map[string]any{}
	for _, p := range g["partitions"].([]any) {
		m := p.(map[string]any)
		out[m["partition"].(float64)] = m
	}
	return out
}

func TestCLIGroupsJSON(t *testing.T) {
	addr := lagCluster(t)
	code, out, stderr := runCLI("-b", addr, "groups", "-o", "json")
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	got := decodeGroups(t, out)
	if len(got) != 4 {
		t.Fatalf("want 4 groups, got %d: %s", len(got), out)
	}
	for name, g := range got {
		for _, f := range []string{"group", "state", "protocol", "members", "total_lag", "max_time_lag_ms", "status", "partitions"} {
			if _, ok := g[f]; !ok {
				t.Errorf("%s: field %s missing: %v", name, f, g)
			}
		}
		for _, p := range g["partitions"].([]any) {
			for _, f := range []string{"topic", "partition", "committed", "log_start", "high_watermark", "lag", "time_lag_ms", "status"} {
				if _, ok := p.(map[string]any)[f]; !ok {
					t.Errorf("%s: partition field %s missing: %v", name, f, p)
				}
			}
		}
	}
	live := got["g-live"]
	if live["state"] != "Stable" || live["protocol"] != "classic" || live["members"].(float64) != 1 || live["total_lag"].(float64) != 40 {
		t.Errorf("g-live: %v", live)
	}
	for _, p := range partsOf(t, live) {
		if p["committed"].(float64) != 30 || p["high_watermark"].(float64)-p["committed"].(float64) != p["lag"].(float64) {
			t.Errorf("g-live partition: %v", p)
		}
		// The record at offset 30 was written 30s after base (an hour ago).
		if ms, ok := p["time_lag_ms"].(float64); !ok || ms < float64(59*time.Minute/time.Millisecond) || p["time_lag_source"] != "record" {
			t.Errorf("g-live time lag: %v", p)
		}
	}
	empty := got["g-empty"]
	if empty["state"] != "Empty" || empty["members"].(float64) != 0 || empty["total_lag"].(float64) != 5 || empty["status"] != "STOP" {
		t.Errorf("g-empty (lag, nobody consuming: STOP): %v", empty)
	}
	lost := got["g-lost"]
	p1 := partsOf(t, lost)[1]
	if lost["status"] != "LOST" || p1["status"] != "LOST" || p1["log_start"].(float64) != 20 || p1["committed"].(float64) != 5 ||
		p1["lost_records"].(float64) != 15 || p1["lag"].(float64) != 45 {
		t.Errorf("g-lost: %v / %v", lost, p1)
	}
	// The record at the committed offset is gone: the time lag is a floor,
	// the age of the oldest record left (produced about an hour ago).
	if ms, _ := p1["time_lag_ms"].(float64); p1["time_lag_source"] != "at-least" || ms < 50*60*1000 {
		t.Errorf("g-lost: want an at-least time lag of about an hour: %v", p1)
	}
	if evil := got["\x1b[2Jevil"]; evil == nil || evil["status"] != "OK" || evil["total_lag"].(float64) != 0 {
		t.Errorf("evil: %v", evil)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("raw ESC in JSON output")
	}

	// The table is sanitised and shows the verdicts.
	code, out, stderr = runCLI("-b", addr, "groups")
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	if strings.Contains(out, "\x1b") {
		t.Fatalf("escape sequence reached the table: %q", out)
	}
	for _, want := range []string{"GROUP", "STATUS", "g-live", "g-lost", "LOST", "STOP", "␛[2Jevil"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	t.Log("\n" + out)
}

func TestCLILagJSONAndTable(t *testing.T) {
	addr := lagCluster(t)
	old := sampleEvery
	sampleEvery = 100 * time.Millisecond
	t.Cleanup(func() { sampleEvery = old })

	code, out, stderr := runCLI("-b", addr, "lag", "g-live", "g-lost", "-o", "json")
	if code != 0 {
		t.Fatalf("code=%d stderr=%s", code, stderr)
	}
	got := decodeGroups(t, out)
	if len(got) != 2 || got["g-live"] == nil || got["g-lost"] == nil {
		t.Fatalf("want exactly the two groups asked for: %s", out)
	}
	// One sample by default: a one-shot answer without history is one
	// round of requests, not seconds of sampling.
	if got["g-live"]["samples"].(float64) != 1 {
		t.Errorf("default samples: %v", got["g-live"]["samples"])
	}
	if got["g-live"]["total_lag"].(float64) != 40 || got["g-lost"]["status"] != "LOST" {
		t.Errorf("lag: %v / %v", got["g-live"], got["g-lost"])
	}
	// The lost partition's time lag is a floor read from the oldest record
	// left, never an estimate that could shrink.
	if p := partsOf(t, got["g-lost"])[1]; p["time_lag_source"] != "at-least" {
		t.Errorf("lost time lag must be an at-least floor: %v", p)
	}

	code, out, _ = runCLI("-b", addr, "lag", "g-lost", "--samples", "1")
	if code != 0 || !strings.Contains(out, "LOST: 15 records deleted before read") || !strings.Contains(out, "LOG START") {
		t.Fatalf("table: code=%d\n%s", code, out)
	}
	t.Log("\n" + out)
}

func TestCLILagUnknownGroup(t *testing.T) {
	addr := lagCluster(t)
	code, out, stderr := runCLI("-b", addr, "lag", "g-live", "no-such-group", "--samples", "1")
	if code != 1 || !strings.Contains(stderr, `unknown consumer group "no-such-group"`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("code=%d stderr=%q", code, stderr)
	}
	if out != "" {
		t.Fatalf("nothing should be printed for a failed lookup: %q", out)
	}
	code, _, stderr = runCLI("-b", addr, "lag", "--samples", "0")
	if code != 1 || !strings.Contains(stderr, "--samples") {
		t.Fatalf("samples 0: code=%d stderr=%q", code, stderr)
	}
}

func TestCLILagWatch(t *testing.T) {
	addr := lagCluster(t)
	// --watch runs until interrupted: cancel it from a writer that has
	// seen three frames. A bytes.Buffer is not a terminal: no clear code.
	w := &frameWriter{want: 3, done: make(chan struct{})}
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-b", addr, "--refresh", "100ms", "lag", "--watch", "g-live"}, w, &strings.Builder{})
	}()
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatal("watch never drew 3 frames")
	}
	// A closed stdout (EPIPE, as under `| head`) ends the watch cleanly;
	// SIGINT takes the same path through the context, but a test cannot
	// safely signal its own process.
	w.close()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not stop")
	}
	s := w.String()
	if strings.Contains(s, "\x1b[2J") {
		t.Fatal("clear sequence written to a non-terminal")
	}
	if n := strings.Count(s, "Every 100ms: rewind lag g-live"); n < 3 {
		t.Fatalf("want 3 frames, got %d:\n%s", n, s)
	}
	if !strings.Contains(s, "3 samples") || !strings.Contains(s, "GROUP g-live") {
		t.Fatalf("frames: %s", s)
	}
}

// frameWriter collects --watch output, signals once `want` frames were
// written, and fails writes with EPIPE after close.
type frameWriter struct {
	mu     sync.Mutex
	b      strings.Builder
	want   int
	done   chan struct{}
	fired  bool
	closed bool
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, syscall.EPIPE
	}
	w.b.Write(p)
	if !w.fired && strings.Count(w.b.String(), "Every ") >= w.want {
		w.fired = true
		close(w.done)
	}
	return len(p), nil
}

func (w *frameWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

func (w *frameWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
