package cli

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/rewind-log/rewind/internal/testkit"
)

// demoServe runs `rewind serve` with its demo world (real demo consumers)
// and --metrics on free ports; it returns the log's and the metrics'
// addresses.
func demoServe(t *testing.T, dir string) (addr, metrics string) {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), "--data-dir", dir, "--listen", "127.0.0.1:0", "--refresh", "500ms", "serve", "--metrics", "127.0.0.1:0")
	cmd.Env = testkit.CleanEnv(t.TempDir())
	out, stderr := testkit.Start(t, cmd)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		l := sc.Text()
		if a, ok := strings.CutPrefix(l, "listening on "); ok {
			addr = a
		}
		if m, ok := strings.CutPrefix(l, "metrics on "); ok {
			metrics = m
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return addr, metrics
		}
	}
	t.Fatalf("serve exited before its metrics address; stderr: %s", stderr.String())
	return "", ""
}

func TestMetricsMatchLagJSON(t *testing.T) {
	dir := t.TempDir()
	addr, metrics := demoServe(t, dir)
	demo := []string{"analytics-etl", "billing-service", "email-notifier", "fraud-audit", "inventory-sync"}
	testkit.WaitFor(t, "metrics for every demo group", func() (bool, string) {
		mfs := testkit.Scrape(t, metrics)
		for _, g := range demo {
			if _, ok := testkit.Gauge(mfs, "kafka_consumergroup_group_sum_lag", map[string]string{"group": g}); !ok {
				return false, g + " missing"
			}
		}
		return true, ""
	})
	// The serving process samples; a one-shot `lag` answers from the
	// history it records. Compare a scrape and a `lag -o json` of the same
	// sample (retry when a new sample lands in between).
	var got map[string]map[string]any
	var mfs map[string]*dto.MetricFamily
	testkit.WaitFor(t, "a scrape and lag -o json of the same sample", func() (bool, string) {
		mfs = testkit.Scrape(t, metrics)
		code, out, stderr := runCLI("--listen", addr, "--data-dir", dir, "--refresh", "500ms", "lag", "-o", "json")
		if code != 0 {
			return false, stderr
		}
		got = decodeGroups(t, out)
		ts, _ := testkit.Gauge(mfs, "rewind_lag_sample_timestamp_seconds", nil)
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got["billing-service"]["at"]))
		if err != nil {
			return false, err.Error()
		}
		return int64(math.Round(ts*1000)) == at.UnixMilli(), fmt.Sprintf("metrics at %.3f, json at %s", ts, at)
	})
	for _, name := range demo {
		if got[name] == nil {
			t.Fatalf("%s missing from lag -o json", name)
		}
	}
	// Every group lag -o json knows, not only the demo's named ones.
	for name, g := range got {
		if g["samples"].(float64) != 0 || g["reason"] == "" || !strings.HasPrefix(g["based_on"].(string), "based on ") {
			t.Errorf("%s: not answered from history with a reason: samples %v reason %q %q", name, g["samples"], g["reason"], g["based_on"])
		}
		gl := map[string]string{"group": name}
		if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_sum_lag", gl); v != g["total_lag"].(float64) {
			t.Errorf("%s: sum_lag %v, total_lag %v", name, v, g["total_lag"])
		}
		if v, ok := testkit.Gauge(mfs, "rewind_consumergroup_status", map[string]string{"group": name, "status": g["status"].(string)}); !ok || v != 1 {
			t.Errorf("%s: status %v not 1 in metrics", name, g["status"])
		}
		if ms, ok := g["max_time_lag_ms"].(float64); ok {
			if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_max_lag_seconds", gl); math.Abs(v-ms/1000) > 1e-9 {
				t.Errorf("%s: max_lag_seconds %v, max_time_lag_ms %v", name, v, ms)
			}
		}
		var maxLag float64
		for _, pa := range g["partitions"].([]any) {
			p := pa.(map[string]any)
			if p["committed"].(float64) < 0 {
				continue
			}
			pl := map[string]string{"group": name, "topic": p["topic"].(string), "partition": fmt.Sprint(p["partition"])}
			if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_lag", pl); v != p["lag"].(float64) {
				t.Errorf("%s %v: lag %v vs %v", name, pl, v, p["lag"])
			}
			if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_offset", pl); v != p["committed"].(float64) {
				t.Errorf("%s %v: offset %v vs %v", name, pl, v, p["committed"])
			}
			if ms, ok := p["time_lag_ms"].(float64); ok {
				if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_lag_seconds", pl); math.Abs(v-ms/1000) > 1e-9 {
					t.Errorf("%s %v: lag_seconds %v vs %v ms", name, pl, v, ms)
				}
			}
			maxLag = max(maxLag, p["lag"].(float64))
		}
		if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_max_lag", gl); v != maxLag {
			t.Errorf("%s: max_lag %v, want %v", name, v, maxLag)
		}
	}
	if got["email-notifier"]["status"] != "STOP" || got["fraud-audit"]["status"] != "LOST" {
		t.Errorf("demo verdicts: email-notifier %v, fraud-audit %v", got["email-notifier"]["status"], got["fraud-audit"]["status"])
	}
	if v, _ := testkit.Gauge(mfs, "rewind_lag_sampler_leader", nil); v != 1 {
		t.Error("serve does not lead the sampling")
	}
}
