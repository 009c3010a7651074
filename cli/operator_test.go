package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rewind-log/rewind/replay"
)

// withStdin runs fn with produce reading s.
func withStdin(t *testing.T, s string, fn func()) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(s)
	defer func() { stdin = old }()
	fn()
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestCLIProduce(t *testing.T) {
	addr := remote(t, 2) // orders: 2 partitions x 2 records (+1 on p0)
	dir := t.TempDir()
	var code int
	var out, errs string
	withStdin(t, "k1:v1\nk2:{\"a\":1}\n\nk3:\nnokey", func() {
		code, out, errs = runCLI("-b", addr, "--data-dir", dir, "produce", "orders", "-K", ":", "-H", "src=cli", "-H", "empty=", "-p", "1", "-Z", "-o", "json")
	})
	if code != 0 {
		t.Fatalf("produce: %d %s", code, errs)
	}
	got := jsonLines(t, out)
	if len(got) != 4 {
		t.Fatalf("want 4 results (the empty line is not a record), got %v", got)
	}
	for i, m := range got {
		if m["topic"] != "orders" || m["partition"] != 1.0 || m["offset"] != float64(2+i) {
			t.Fatalf("result %d: %v", i, m)
		}
	}
	if !strings.Contains(errs, "wrote 4 records to orders (partition 1)") {
		t.Fatalf("summary: %q", errs)
	}
	code, out, errs = runCLI("-b", addr, "consume", "orders", "-p", "1", "--from", "2", "--until", "end")
	if code != 0 {
		t.Fatal(errs)
	}
	recs := jsonLines(t, out)
	if len(recs) != 4 || recs[0]["key"] != "k1" || recs[0]["value"] != "v1" || !reflect.DeepEqual(recs[1]["value"], map[string]any{"a": 1.0}) || recs[1]["value_format"] != "json" ||
		recs[2]["key"] != "k3" || recs[2]["value"] != nil || recs[3]["key"] != nil || recs[3]["value"] != "nokey" {
		t.Fatalf("read back: %v", recs)
	}
	hs := recs[0]["headers"].([]any)
	if len(hs) != 2 || hs[0].(map[string]any)["key"] != "src" || hs[0].(map[string]any)["value"] != "cli" {
		t.Fatalf("headers: %v", hs)
	}

	// -D: any delimiter, escapes; default partitioner, yaml output.
	withStdin(t, "a|b|c", func() {
		code, out, errs = runCLI("-b", addr, "produce", "orders", "-D", "|", "--compression", "zstd", "-o", "yaml")
	})
	if code != 0 || strings.Count(out, "---\n") != 3 || !strings.Contains(out, "topic: orders") {
		t.Fatalf("-D |: %d %q %s", code, out, errs)
	}
	withStdin(t, "x\x00y\x00", func() {
		code, _, errs = runCLI("-b", addr, "produce", "orders", "-D", `\0`)
	})
	if code != 0 || !strings.Contains(errs, "wrote 2 records") {
		t.Fatalf(`-D \0: %d %s`, code, errs)
	}

	// Refusals: a missing topic, a missing partition, bad flags.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"produce", "nope"}, `topic "nope" does not exist (create it with`},
		{[]string{"produce", "orders", "-p", "9"}, "no partition 9"},
		{[]string{"produce", "orders", "-H", "novalue"}, "want NAME=VALUE"},
		{[]string{"produce", "orders", "-D", `\q`}, "unknown escape"},
		{[]string{"produce", "orders", "--acks", "2"}, "--acks"},
		{[]string{"--read-only", "produce", "orders"}, "--read-only"},
	} {
		withStdin(t, "v\n", func() {
			code, _, errs = runCLI(append([]string{"-b", addr}, tc.args...)...)
		})
		if code == 0 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Fatalf("%v: code %d, stderr %q; want one line with %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestCLITopicAdmin(t *testing.T) {
	addr := remote(t, 1)
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		return runCLI(append([]string{"-b", addr, "--data-dir", dir}, args...)...)
	}
	code, out, errs := cli("topic", "create", "events", "-p", "3", "-c", "retention.ms=3600000", "-c", "cleanup.policy=delete")
	if code != 0 || !strings.Contains(out, "Created topic events: 3 partitions") {
		t.Fatalf("create: %d %q %s", code, out, errs)
	}
	if code, _, errs = cli("topic", "create", "events"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("create twice: %d %s", code, errs)
	}
	if code, _, errs = cli("topic", "create", "bad name"); code != 1 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("bad name: %d %s", code, errs)
	}

	code, out, _ = cli("topic", "config", "events")
	if code != 0 || !regexpLine(out, `^\*\s+retention\.ms\s+3600000\s+dynamic-topic\s+604800000 \(default\)`) ||
		!regexpLine(out, `^\s+segment\.bytes\s+\d+\s+default`) {
		t.Fatalf("config table:\n%s", out)
	}
	code, out, _ = cli("topic", "config", "events", "--overrides", "-o", "json")
	ov := jsonLines(t, out)
	if code != 0 || len(ov) != 2 || ov[0]["name"] != "cleanup.policy" || ov[1]["override"] != true {
		t.Fatalf("overrides json: %v", ov)
	}

	// alter: preview, then --execute.
	code, out, _ = cli("topic", "alter", "events", "--set", "retention.ms=60000")
	if code != 0 || !strings.Contains(out, "3600000 (dynamic-topic)  →  60000 (dynamic-topic)") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("alter preview:\n%s", out)
	}
	code, out, _ = cli("topic", "config", "events", "--overrides", "-o", "json")
	if !strings.Contains(out, `"3600000"`) {
		t.Fatalf("the preview changed the config: %s", out)
	}
	if code, _, errs = cli("topic", "alter", "events", "--set", "no.such=1"); code != 1 || !strings.Contains(errs, `has no config "no.such"`) {
		t.Fatalf("unknown config: %d %s", code, errs)
	}
	code, out, errs = cli("topic", "alter", "events", "--set", "retention.ms=60000", "--unset", "cleanup.policy", "--execute", "-o", "json")
	if code != 0 {
		t.Fatal(errs)
	}
	var alt alterOutput
	if err := json.Unmarshal([]byte(out), &alt); err != nil || !alt.Executed || len(alt.Changes) != 2 || *alt.Changes[0].After != "60000" {
		t.Fatalf("alter json: %s %v", out, err)
	}

	// add-partitions: the warning, a preview, then --execute.
	code, out, _ = cli("topic", "add-partitions", "events", "--partitions", "5")
	if code != 0 || !strings.Contains(out, "3 → 5 partitions") || !strings.Contains(out, "per-key ordering is broken") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("add-partitions preview:\n%s", out)
	}
	if code, out, errs = cli("topic", "add-partitions", "events", "--partitions", "5", "--execute"); code != 0 || !strings.Contains(out, "Added 2 partitions") {
		t.Fatalf("add-partitions: %d %s %s", code, out, errs)
	}

	// delete: shown, refused when mistyped, then deleted.
	code, out, _ = cli("topic", "delete", "events")
	if code != 0 || !strings.Contains(out, "5 partitions, 0 records") || !strings.Contains(out, "Not deleted") {
		t.Fatalf("delete preview:\n%s", out)
	}
	if code, _, errs = cli("topic", "delete", "events", "--confirm", "event"); code != 1 || !strings.Contains(errs, "does not match") {
		t.Fatalf("mistyped: %d %s", code, errs)
	}
	if code, out, errs = cli("topic", "delete", "events", "--confirm", "events"); code != 0 || !strings.Contains(out, "Deleted topic events") {
		t.Fatalf("delete: %d %s %s", code, out, errs)
	}

	es, err := replay.ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind+"="+strings.SplitN(e.Result, ":", 2)[0])
	}
	if want := "topic-create=ok topic-create=failed topic-config=ok topic-partitions=ok topic-delete=refused topic-delete=ok"; strings.Join(kinds, " ") != want {
		t.Fatalf("audit: %s\nwant  %s", strings.Join(kinds, " "), want)
	}
}

func regexpLine(out, re string) bool {
	return regexpMatch(out, re)
}

func TestCLIBrokers(t *testing.T) {
	addr := remote(t, 3)
	code, out, errs := runCLI("-b", addr, "brokers")
	if code != 0 || !strings.Contains(out, "1 broker") || !regexpLine(out, `^\d+\s+`+strings.ReplaceAll(addr, ".", `\.`)+`\s+\S+\s+yes\s+3\s+3\s+\S+\s+\d+ B`) {
		t.Fatalf("brokers: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI("-b", addr, "brokers", "-o", "yaml")
	var info struct {
		Brokers []struct {
			Addr        string `yaml:"addr"`
			Leads       int    `yaml:"partitions_led"`
			Controller  bool   `yaml:"controller"`
			LogDirBytes int64  `yaml:"log_dir_bytes"`
		} `yaml:"brokers"`
	}
	if err := yaml.Unmarshal([]byte(out), &info); err != nil || code != 0 || len(info.Brokers) != 1 || info.Brokers[0].Addr != addr ||
		info.Brokers[0].Leads != 3 || !info.Brokers[0].Controller || info.Brokers[0].LogDirBytes <= 0 {
		t.Fatalf("yaml: %v %+v\n%s", err, info, out)
	}
}

func TestCLIGroupDelete(t *testing.T) {
	addr := remote(t, 3)
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		return runCLI(append([]string{"-b", addr, "--data-dir", dir}, args...)...)
	}
	if code, _, errs := cli("reset", "billing", "--topic", "orders", "--to-offset", "2", "--new-group", "--execute", "--sink-idempotent", "yes"); code != 0 {
		t.Fatalf("seed group: %s", errs)
	}
	code, out, _ := cli("group", "delete", "billing")
	if code != 0 || !strings.Contains(out, "state Empty, 0 members (classic), committed offsets on 2 partitions of 1 topic (orders)") || !strings.Contains(out, "Not deleted") {
		t.Fatalf("preview:\n%s", out)
	}
	code, out, _ = cli("group", "delete-offsets", "billing", "--topic", "orders")
	if code != 0 || !strings.Contains(out, "0@2 1@2") {
		t.Fatalf("delete-offsets preview:\n%s", out)
	}
	if code, out, errs := cli("group", "delete", "billing", "--confirm", "billing"); code != 0 || !strings.Contains(out, "Deleted group billing (it had offsets on 2 partitions)") {
		t.Fatalf("delete: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli("group", "delete", "billing"); code != 1 || !strings.Contains(errs, "unknown consumer group") {
		t.Fatalf("deleted group: %d %s", code, errs)
	}
	es, _ := replay.ReadAudit(dir)
	last := es[len(es)-1]
	if last.Kind != replay.AuditDelete || last.Group != "billing" || len(last.Partitions) != 2 || *last.Partitions[0].Before != 2 {
		t.Fatalf("audit: %+v", last)
	}
}

func TestCLIRedrive(t *testing.T) {
	addr := remote(t, 0)
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		return runCLI(append([]string{"-b", addr, "--data-dir", dir}, args...)...)
	}
	if code, _, errs := cli("topic", "create", "orders.DLT"); code != 0 {
		t.Fatal(errs)
	}
	var code int
	var out, errs string
	withStdin(t, "k1:{\"amount\":5}\nk2:{\"amount\":50}\nk3:{\"amount\":500}\n", func() {
		code, _, errs = cli("produce", "orders.DLT", "-K", ":", "-H", "x-original-topic=orders", "-H", "traceparent=00-1")
	})
	if code != 0 {
		t.Fatal(errs)
	}
	withStdin(t, "k4:{\"amount\":70}\n", func() {
		code, _, errs = cli("produce", "orders.DLT", "-K", ":", "-H", "kafka_dlt-original-topic=customers")
	})
	if code != 0 {
		t.Fatal(errs)
	}
	code, out, errs = cli("redrive", "orders.DLT", "--filter", "value.amount > 10", "--drop-header", "traceparent")
	if code != 0 || !strings.Contains(out, "scanned 4, matched 3") || !regexpLine(out, `^\s+customers\s+1\s*$`) || !regexpLine(out, `^\s+orders\s+2\s*$`) ||
		!strings.Contains(out, "Dry run: nothing was produced. To re-produce") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs = cli("redrive", "orders.DLT", "--filter", "value.amount >"); code != 1 || !strings.Contains(errs, "--filter: column 14: unexpected token EOF") {
		t.Fatalf("bad filter: %d %s", code, errs)
	}
	if code, _, errs = cli("--read-only", "redrive", "orders.DLT", "--execute"); code != 1 || !strings.Contains(errs, "--read-only") {
		t.Fatalf("read-only: %d %s", code, errs)
	}
	code, out, errs = cli("redrive", "orders.DLT", "--filter", "value.amount > 10", "--drop-header", "traceparent", "--execute")
	if code != 0 || !strings.Contains(out, "Re-produced 1 to customers, 2 to orders") {
		t.Fatalf("execute: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = cli("consume", "orders", "--until", "end")
	recs := jsonLines(t, out)
	var amounts []string
	for _, r := range recs {
		if r["key"] == "k2" || r["key"] == "k3" {
			v, _ := json.Marshal(r["value"]) // a JSON value is an object in consume output
			amounts = append(amounts, string(v))
			for _, h := range r["headers"].([]any) {
				if h.(map[string]any)["key"] == "traceparent" {
					t.Fatalf("traceparent not dropped: %v", r)
				}
			}
		}
	}
	if code != 0 || len(amounts) != 2 {
		t.Fatalf("orders after redrive: %v", recs)
	}
	code, out, _ = cli("redrive", "orders.DLT", "--record", "0:0", "--to", "missing", "-o", "json")
	var ro redriveOutput
	if err := json.Unmarshal([]byte(out), &ro); err != nil || code != 0 || len(ro.Problems) != 1 || !ro.DryRun {
		t.Fatalf("json dry run: %v %s", err, out)
	}
	es, _ := replay.ReadAudit(dir)
	last := es[len(es)-1]
	if last.Kind != replay.AuditRedriveKind || last.Redrive.Produced["orders"] != 2 || last.Redrive.Filter != "value.amount > 10" {
		t.Fatalf("audit: %+v %+v", last, last.Redrive)
	}
}

func TestCLIWritesRefusedReadOnlyFirst(t *testing.T) {
	addr := remote(t, 1)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"topic", "create", "x"},
		{"topic", "delete", "orders"},
		{"topic", "alter", "orders", "--set", "retention.ms=1", "--execute"},
		{"topic", "add-partitions", "orders", "--partitions", "4", "--execute"},
		{"group", "delete", "g"},
		{"group", "delete-offsets", "g", "--topic", "orders"},
		{"redrive", "orders", "--execute"},
		{"reset", "g", "--topic", "orders", "--to-earliest", "--execute", "--sink-idempotent", "yes"},
		{"replay", "start", "g", "--topic", "orders", "--to-earliest"},
		{"replay", "cutover", "r", "--mode", "keep"},
		{"replay", "delete", "r"},
	} {
		code, out, errs := runCLI(append([]string{"-b", addr, "--data-dir", dir, "--read-only"}, args...)...)
		if code != 1 || out != "" || !strings.Contains(errs, "refused: rewind is running with --read-only") {
			t.Fatalf("%v: %d out %q err %q", args, code, out, errs)
		}
	}
	// Previews still work, and say so first.
	code, out, _ := runCLI("-b", addr, "--read-only", "topic", "alter", "orders", "--set", "retention.ms=1")
	if code != 0 || !strings.HasPrefix(out, "READ-ONLY: preview only") {
		t.Fatalf("read-only preview: %d %q", code, out)
	}
	code, out, _ = runCLI("-b", addr, "--read-only", "reset", "g", "--topic", "orders", "--to-earliest", "--new-group")
	if code != 0 || !strings.HasPrefix(out, "READ-ONLY: preview only") || !strings.Contains(out, "Reset plan for group g") {
		t.Fatalf("read-only reset dry run: %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, replay.AuditFile)); !os.IsNotExist(err) {
		t.Fatalf("read-only refusals must not be audited as attempts: %v", err)
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-30T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	b := readBuildInfo(bi, true)
	if got := b.String(); got != "rewind (devel) (commit 0123456789ab, 2026-11-30T12:00:00Z, with uncommitted changes) go1.26.8" {
		t.Fatalf("vcs build: %q", got)
	}
	if b.Short() != "0123456+" {
		t.Fatalf("short: %q", b.Short())
	}
	rel := readBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, true)
	if rel.String() != "rewind v1.4.0 go1.26.8" || rel.Short() != "v1.4.0" {
		t.Fatalf("release: %q %q", rel.String(), rel.Short())
	}
	none := readBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true)
	if !strings.Contains(none.String(), "commit unknown: built without VCS stamping") {
		t.Fatalf("no vcs: %q", none.String())
	}
	if readBuildInfo(nil, false).Version != "(devel)" {
		t.Fatal("no build info")
	}
	code, out, _ := runCLI("--version")
	if code != 0 || !strings.HasPrefix(out, "rewind ") || strings.Contains(out, "rewind dev") {
		t.Fatalf("--version: %q", out)
	}
}

func regexpMatch(out, re string) bool {
	return regexp.MustCompile(`(?m)` + re).MatchString(out)
}

// An error that quotes untrusted text (a topic name from the command line,
// a broker's message) reaches the terminal without escape sequences.
func TestCLIErrorsAreSanitised(t *testing.T) {
	addr := remote(t, 1)
	code, _, errs := runCLI("-b", addr, "topic", "config", "x\x1b]0;pwned\x07")
	if code != 1 || strings.ContainsAny(errs, "\x1b\x07") || !strings.Contains(errs, "unknown topic") {
		t.Fatalf("code %d stderr %q", code, errs)
	}
}
