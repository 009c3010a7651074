package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/internal/testkit"
)

// needJQ returns jq's path; CI installs it (.ci/run), so there a missing jq
// is a failure.
func needJQ(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("jq")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jq is not installed; .ci/run should have installed it (apt-get install jq)")
		}
		t.Skip("jq not installed (apt-get install jq); CI runs this test")
	}
	return p
}

// searchWorld is a topic "orders" of 3 partitions x n JSON orders: customer
// c-(i%50), amount i%300 (a string every 25th: the expression fails there),
// status cancelled every 7th, a "source" header on every 3rd, keys placed
// by the default partitioner like an application's producer would.
func searchWorld(t *testing.T, n int) (*testkit.Broker, []*kgo.Record) {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("orders", 3, nil)
	cl := b.NewClient(kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	defer cl.Close()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	for i := range n {
		amount := fmt.Sprint(i % 300)
		if i%25 == 0 {
			amount = `"` + amount + ` EUR"`
		}
		status := "paid"
		if i%7 == 0 {
			status = "cancelled"
		}
		r := &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprintf("o-%d", i%400)), Timestamp: base.Add(time.Duration(i) * time.Second),
			Value: []byte(fmt.Sprintf(`{"customer_id":"c-%04d","amount":%s,"status":%q}`, i%50, amount, status))}
		if i%3 == 0 {
			r.Headers = []kgo.RecordHeader{{Key: "source", Value: []byte([]string{"web", "app"}[i%2])}}
		}
		recs = append(recs, r)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return b, recs
}

// positions reads JSON lines (consume -o json) as "partition/offset".
func positions(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m struct {
			Partition int32
			Offset    int64
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, fmt.Sprintf("%d/%d", m.Partition, m.Offset))
	}
	slices.Sort(got)
	return got
}

// The matches of --filter are what jq selects from the whole topic's JSON
// lines, for every kind of predicate.
func TestCLISearchMatchesJQ(t *testing.T) {
	jq := needJQ(t)
	b, _ := searchWorld(t, 3000)
	code, all, errb := runCLI("-b", b.Addr, "consume", "orders", "--until", "end", "-o", "json")
	if code != 0 {
		t.Fatalf("consume: %d %s", code, errb)
	}
	// reference is what jq's expr selects from all.
	reference := func(t *testing.T, expr string) []string {
		t.Helper()
		cmd := exec.Command(jq, "-c", expr)
		cmd.Stdin = strings.NewReader(all)
		ref, err := cmd.Output()
		if err != nil {
			t.Fatalf("jq %s: %v", expr, err)
		}
		return positions(t, string(ref))
	}
	cases := []struct{ filter, jq string }{
		{`value.customer_id == "c-0042"`, `select(.value.customer_id == "c-0042")`},
		{`value.status == "cancelled" && key == "o-7"`, `select(.value.status == "cancelled" and .key == "o-7")`},
		{`headers["source"] == "web"`, `select(any(.headers[]; .key == "source" and .value == "web"))`},
		{`partition == 1 && offset < 20`, `select(.partition == 1 and .offset < 20)`},
		{`timestamp >= 1772367000000`, `select((.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate) * 1000 >= 1772367000000)`},
		// A number compared with a number; the string amounts fail in rewind
		// and are filtered out in jq by type.
		{`value.amount > 250`, `select((.value.amount | type) == "number" and .value.amount > 250)`},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			code, out, errb := runCLI("-b", b.Addr, "consume", "orders", "--until", "end", "--filter", tc.filter)
			if code != 0 {
				t.Fatalf("search: %d %s", code, errb)
			}
			got, want := positions(t, out), reference(t, tc.jq)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("rewind found %d, jq %d: %v vs %v", len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
			}
			if !strings.Contains(errb, "scanned 3,000 of 3,000 records in") || !strings.Contains(errb, ", "+fmtCount(int64(len(want)))+" matched") {
				t.Fatalf("summary: %q", errb)
			}
		})
	}
	// The shorthands against the same reference.
	for _, tc := range []struct {
		args []string
		jq   string
	}{
		{[]string{"--contains", "c-0013"}, `select(.value.customer_id == "c-0013")`},
		{[]string{"--header", "source"}, `select(any(.headers[]; .key == "source"))`},
		{[]string{"--header", "source=app"}, `select(any(.headers[]; .key == "source" and .value == "app"))`},
		{[]string{"--key", "o-123", "--all-partitions"}, `select(.key == "o-123")`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errb := runCLI(append([]string{"-b", b.Addr, "consume", "orders", "--until", "end"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("search: %d %s", code, errb)
			}
			if got, want := positions(t, out), reference(t, tc.jq); len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("rewind found %d, jq %d", len(got), len(want))
			}
		})
	}
}

func TestCLISearch(t *testing.T) {
	b, recs := searchWorld(t, 3000)
	addr := b.Addr

	// --key reads only the key's partition (murmur2) and finds what the
	// producer put there.
	code, out, errb := runCLI("-b", addr, "consume", "orders", "--until", "end", "--key", "o-123")
	var keyed []string
	for _, r := range recs {
		if string(r.Key) == "o-123" {
			keyed = append(keyed, fmt.Sprintf("%d/%d", r.Partition, r.Offset))
		}
	}
	slices.Sort(keyed)
	ends := b.Ends("orders")
	p := recs[123].Partition
	if code != 0 || !slices.Equal(positions(t, out), keyed) || !strings.Contains(errb, fmt.Sprintf("of %s records", fmtCount(ends[p]))) {
		t.Fatalf("--key: %d %v (want %v) %q", code, positions(t, out), keyed, errb)
	}

	// Runtime errors: counted, the first named, the scan goes on.
	code, _, errb = runCLI("-b", addr, "consume", "orders", "--until", "end", "--filter", "value.amount > 250")
	if code != 0 || !strings.Contains(errb, "120 records the expression failed on (first: p") || !strings.Contains(errb, "string > int") {
		t.Fatalf("runtime errors: %d %q", code, errb)
	}

	// --to by time implies --until end; --limit stops early.
	code, out, errb = runCLI("-b", addr, "consume", "orders", "--to", "2026-03-01T12:00:10Z", "-o", "text", "--contains", "c-00")
	if code != 0 || strings.Count(out, "\n") != 10 {
		t.Fatalf("--to time: %d %q %q", code, out, errb)
	}
	code, out, errb = runCLI("-b", addr, "consume", "orders", "--until", "end", "--filter", `value.status == "cancelled"`, "--limit", "4")
	if code != 0 || len(positions(t, out)) != 4 || !strings.Contains(errb, "4 matched (limit 4 reached)") {
		t.Fatalf("--limit: %d %d %q", code, len(positions(t, out)), errb)
	}
	// No progress line (escape sequences) when stderr is not a terminal.
	if strings.Contains(errb, "\x1b") || strings.Contains(errb, "\r") {
		t.Fatalf("progress written to a pipe: %q", errb)
	}

	// Bad flags: one line each, exit 2 for kong's, 1 for ours.
	for _, bad := range [][]string{
		{"--filter", "value.amount >"},
		{"--all-partitions"},
		{"--contains", ""},
		{"--header", "=x"},
		{"--to", "tomorrow"},
		{"--limit", "3", "--count", "4", "--filter", "true"},
	} {
		code, _, errb := runCLI(append([]string{"-b", addr, "consume", "orders", "--until", "end"}, bad...)...)
		if code == 0 || strings.Count(strings.TrimSpace(errb), "\n") != 0 {
			t.Errorf("%v: code %d, stderr %q", bad, code, errb)
		}
	}

	// Export: CSV by the file's name, JSON lines with -o jsonl.
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "cancelled.csv")
	code, out, errb = runCLI("-b", addr, "consume", "orders", "--until", "end", "--filter", `value.status == "cancelled"`, "--file", csvPath)
	if code != 0 || out != "" || !strings.Contains(errb, "wrote 429 records to "+csvPath) {
		t.Fatalf("--file csv: %d %q %q", code, out, errb)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 430 || strings.Join(rows[0], ",") != "topic,partition,offset,timestamp,key,value,key_format,value_format,headers" {
		t.Fatalf("csv: %d rows, %v, %v", len(rows), rows[0], err)
	}
	if rows[1][7] != "json" || !strings.Contains(rows[1][5], `"status":"cancelled"`) {
		t.Fatalf("csv row: %v", rows[1])
	}
	jl := filepath.Join(dir, "all.jsonl")
	code, _, errb = runCLI("-b", addr, "consume", "orders", "--until", "end", "-o", "jsonl", "--file", jl)
	data, _ := os.ReadFile(jl)
	if code != 0 || strings.Count(string(data), "\n") != 3000 || !strings.Contains(errb, "wrote 3,000 records") {
		t.Fatalf("--file jsonl: %d %d lines %q", code, strings.Count(string(data), "\n"), errb)
	}
	// Following into a file has no end: refused.
	if code, _, errb = runCLI("-b", addr, "consume", "orders", "--file", filepath.Join(dir, "x.jsonl")); code == 0 || !strings.Contains(errb, "bounded") {
		t.Fatalf("--file while following: %d %q", code, errb)
	}
}

func fmtCount(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// An export that cannot finish fails and leaves no file behind.
func TestCLIExportIncompleteLeavesNoFile(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("s", 2, nil)
	b.ProduceSeq("s", 2, 100, time.Now())
	b.StallFetches("s")
	path := filepath.Join(t.TempDir(), "s.jsonl")
	code, _, errb := runCLI("-b", b.Addr, "--timeout", "500ms", "--stall-timeout", "3s", "consume", "s", "--until", "end", "--file", path)
	if code != 1 || !strings.Contains(errb, "incomplete") || !strings.Contains(errb, "nothing written to "+path) {
		t.Fatalf("exit %d: %s", code, errb)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

// Searching the demo world finds what jq finds in the same range (the
// range ends at a time, so live demo traffic does not change it).
func TestCLISearchDemoWorldMatchesJQ(t *testing.T) {
	jq := needJQ(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emb, err := backend.StartEmbedded(ctx, backend.EmbeddedConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	to := time.Now().UTC().Format(time.RFC3339Nano)
	args := []string{"-b", emb.Addr(), "-X", "schema.registry.url=" + emb.RegistryURL()}
	for _, tc := range []struct{ topic, filter, jq string }{
		{"orders", `value.status == "cancelled" && value.amount > 100`, `select(.value.status == "cancelled" and .value.amount > 100)`},
		{"orders", `headers["source"] == "mobile"`, `select(any(.headers[]; .key == "source" and .value == "mobile"))`},
		{"shipments", `value.carrier == "UPS"`, `select(.value.carrier == "UPS")`}, // Avro, decoded through the registry
	} {
		code, all, errb := runCLI(append(args, "consume", tc.topic, "--to", to)...)
		if code != 0 {
			t.Fatalf("consume: %s", errb)
		}
		code, out, errb := runCLI(append(args, "consume", tc.topic, "--to", to, "--filter", tc.filter)...)
		if code != 0 {
			t.Fatalf("search: %s", errb)
		}
		cmd := exec.Command(jq, "-c", tc.jq)
		cmd.Stdin = strings.NewReader(all)
		ref, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := positions(t, out), positions(t, string(ref)); len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("%s %s: rewind %d, jq %d", tc.topic, tc.filter, len(got), len(want))
		}
	}
}

// The live progress line (stderr on a terminal): redrawn in place, what
// an operator needs (done of total, matched, rate, ETA, failures, broker
// health), record-data-free and sanitized, cleared before other output,
// nothing once finished.
func TestProgressLine(t *testing.T) {
	var b strings.Builder
	pl := &progressLine{w: &b}
	pl.draw(scan.Progress{Topic: "orders\x1b[2J", Scanned: 250000, Done: 250000, Total: 1000000, Matched: 42, Failed: 3,
		Elapsed: time.Second, Health: "broker 1 not answering for 12s, retrying"})
	got := b.String()
	for _, want := range []string{"\r\x1b[K", "scanning orders", " 25% 250,000/1,000,000", "42 matched", "250k/s", "ETA 3s", "3 failed", "broker 1 not answering"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "\x1b[2J") {
		t.Errorf("the topic's escape sequence reached the terminal: %q", got)
	}
	b.Reset()
	pl.clear()
	if b.String() != "\r\x1b[K" {
		t.Errorf("clear wrote %q", b.String())
	}
	b.Reset()
	pl.clear() // nothing shown: nothing to clear
	pl.draw(scan.Progress{Topic: "orders", Finished: true, Total: 10, Done: 10})
	if b.String() != "" {
		t.Errorf("after clear / once finished it wrote %q", b.String())
	}
	pl.draw(scan.Progress{Topic: "orders", Following: true, Scanned: 7, Elapsed: time.Second})
	if got := b.String(); !strings.Contains(got, "scanning orders: 7 records") || strings.Contains(got, "ETA") {
		t.Errorf("following: %q", got)
	}
}
