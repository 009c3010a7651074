package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/project"
)

// TestCLIProjectDemoPair runs the shipped revenue v1/v2 pair on the
// embedded demo world and checks the diff shows the bug fix.
func TestCLIProjectDemoPair(t *testing.T) {
	dir := t.TempDir()
	emb := []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}
	run := func(args ...string) (int, string, string) {
		return runCLI(append(append([]string{}, emb...), args...)...)
	}
	for _, r := range [][2]string{{"revenue_v1", "v1"}, {"revenue_v2", "v2"}, {"revenue_v1", "v1-again"}} {
		code, out, errb := run("project", "run", "../testdata/projections/"+r[0]+".yaml", "--name", r[1])
		if code != 0 || !strings.Contains(out, "run "+r[1]+": done") {
			t.Fatalf("run %s: %d %q %q", r[1], code, out, errb)
		}
	}
	code, out, errb := run("project", "diff", "v1", "v2", "-o", "json", "--only-changes")
	if code != 0 {
		t.Fatalf("diff: %d %s", code, errb)
	}
	var d struct {
		Left, Right                   string
		Added, Removed, Changed, Same int64
		LeftChecksum                  string `json:"left_checksum"`
		RightChecksum                 string `json:"right_checksum"`
		Rows                          []project.DiffRow
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err, out)
	}
	if d.Left != "v1" || d.Right != "v2" || d.Changed == 0 || d.LeftChecksum == d.RightChecksum || len(d.Rows) != int(d.Changed+d.Added+d.Removed) {
		t.Fatalf("diff %+v", d)
	}
	for _, r := range d.Rows {
		if r.Marker == project.MarkSame {
			t.Fatal("--only-changes printed a same row")
		}
	}
	// Determinism: the same spec over the same window (a bounded run to the
	// end taken at start includes live demo traffic, so compare v1 with
	// itself through show).
	code, out, _ = run("project", "diff", "v1", "v1", "-o", "json", "--rows", "0")
	if code != 0 || !strings.Contains(out, `"changed": 0`) {
		t.Fatalf("self diff: %s", out)
	}
	code, out, errb = run("project", "show", "v2", "-o", "json")
	var show struct {
		Status   string
		Checksum string
		Rows     int64
	}
	if code != 0 || json.Unmarshal([]byte(out), &show) != nil || show.Status != "done" || show.Checksum != d.RightChecksum || show.Rows == 0 {
		t.Fatalf("show: %d %s %s", code, out, errb)
	}
	code, out, _ = run("project", "list")
	if code != 0 || !strings.Contains(out, "v1-again") || !strings.Contains(out, "revenue_v2") {
		t.Fatalf("list: %s", out)
	}
	// Table output has the marker column and the summary.
	code, out, _ = run("project", "diff", "v1", "v2")
	if code != 0 || !strings.Contains(out, "changed") || !strings.Contains(out, "checksum v1 ") {
		t.Fatalf("diff table: %s", out)
	}
	// customers_latest and orders_by_status run on the demo world.
	for _, s := range []string{"customers_latest", "orders_by_status"} {
		if code, out, errb := run("project", "run", "../testdata/projections/"+s+".yaml", "--name", s); code != 0 {
			t.Fatalf("%s: %s %s", s, out, errb)
		}
	}
}

func TestCLIProjectBadSpec(t *testing.T) {
	code, _, errb := runCLI("-b", "127.0.0.1:1", "project", "run", "../testdata/projections/bad_expression.yaml")
	want := "../testdata/projections/bad_expression.yaml:4:9: filter: unknown name vale"
	if code != 1 || !strings.Contains(errb, want) || strings.Count(strings.TrimSpace(errb), "\n") != 0 {
		t.Fatalf("code=%d stderr=%q (the spec is refused before connecting)", code, errb)
	}
}

func TestCLIProjectPublishExportDelete(t *testing.T) {
	addr := remote(t, 20)
	dir := t.TempDir()
	spec := filepath.Join(dir, "count.yaml")
	if err := os.WriteFile(spec, []byte("name: per_key\ntopic: orders\naggregate: count\nfilter: value.n >= 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"-b", addr, "--data-dir", dir}
	run := func(args ...string) (int, string, string) {
		return runCLI(append(append([]string{}, base...), args...)...)
	}
	code, out, errb := run("project", "run", spec, "--name", "r1")
	if code != 0 || !strings.Contains(out, "15 rows") {
		t.Fatalf("run: %d %q %q", code, out, errb)
	}
	// Same name and spec: already done.
	if code, _, errb := run("project", "run", spec, "--name", "r1"); code != 1 || !strings.Contains(errb, "already done") {
		t.Fatalf("rerun: %d %q", code, errb)
	}
	// Dry run: prints the plan, writes nothing, exits 0 (like a reset
	// dry run; it exited 1).
	code, out, errb = run("project", "publish", "r1", "--topic", "per-key")
	if code != 0 || !strings.Contains(out, "would write 15 upserts") || !strings.Contains(errb, "--yes") {
		t.Fatalf("dry run: %d %q %q", code, out, errb)
	}
	code, _, errb = runCLI("-b", addr, "--data-dir", dir, "--read-only", "project", "publish", "r1", "--topic", "per-key", "--yes")
	if code != 1 || !strings.Contains(errb, "read-only") {
		t.Fatalf("read-only: %d %q", code, errb)
	}
	code, out, errb = run("project", "publish", "r1", "--topic", "per-key", "--yes")
	if code != 0 || !strings.Contains(out, "wrote 15 upserts") {
		t.Fatalf("publish: %d %q %q", code, out, errb)
	}
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := map[string]string{}
	if err := project.ReadTopicTable(context.Background(), c, "per-key", filepath.Join(t.TempDir(), "rb"), func(k, v []byte) error {
		got[string(k)] = string(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 15 || got["ord-5"] != "2" {
		t.Fatalf("read back: %v", got)
	}
	// Export.
	jl := filepath.Join(dir, "t.jsonl")
	if code, _, errb := run("project", "export", "r1", "--file", jl); code != 0 {
		t.Fatal(errb)
	}
	b, _ := os.ReadFile(jl)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 15 || lines[0] != `{"key":"ord-10","value":2}` {
		t.Fatalf("jsonl: %q", lines)
	}
	csvf := filepath.Join(dir, "t.csv")
	if code, _, errb := run("project", "export", "r1", "--file", csvf, "--format", "csv"); code != 0 {
		t.Fatal(errb)
	}
	b, _ = os.ReadFile(csvf)
	if !strings.HasPrefix(string(b), "key,value\nord-10,2\n") {
		t.Fatalf("csv: %q", b)
	}
	// Expired window.
	if code, _, errb := run("project", "run", spec, "--name", "r2", "--from", "-1000"); code != 0 {
		t.Fatalf("from -N clamps to the log start of a full log: %s", errb)
	}
	if code, _, errb := run("project", "delete", "r1"); code != 0 {
		t.Fatal(errb)
	}
	if code, _, errb := run("project", "show", "r1"); code != 1 || !strings.Contains(errb, "no such projection run") {
		t.Fatalf("show deleted: %q", errb)
	}
}
