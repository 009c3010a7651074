package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/replay"
)

func TestGroupThresholds(t *testing.T) {
	th, err := groupThresholds("prod", map[string]connect.GroupSettings{
		"analytics-etl": {LagThreshold: "2h"},
		"nightly":       {LagThreshold: "off"},
		"billing":       {LagThreshold: "1d"},
		"plain":         {},
	})
	if err != nil {
		t.Fatal(err)
	}
	if th["analytics-etl"] != 2*time.Hour || th["nightly"] >= 0 || th["billing"] != 24*time.Hour {
		t.Fatalf("thresholds %v", th)
	}
	if _, ok := th["plain"]; ok {
		t.Fatal("a group without a threshold got one")
	}
	_, err = groupThresholds("prod", map[string]connect.GroupSettings{"g\x1b[2J": {LagThreshold: "15x"}})
	if err == nil || !strings.Contains(err.Error(), `context "prod": groups.g␛[2J.lag_threshold "15x"`) {
		t.Fatalf("bad threshold: %v", err)
	}
}

func TestOwnGroupRoles(t *testing.T) {
	o := &ownGroups{dir: t.TempDir()}
	for g, want := range map[string]string{
		"email-notifier.replay.20260901-120000": "replay of email-notifier",
		"rewind.projection.revenue_v2.v2":       "projection revenue_v2.v2",
		"billing-service":                       "",
		"x.replay.later":                        "",
	} {
		st, label := o.role(g)
		if label != want || (want == "") != (st == "") {
			t.Errorf("%s: %q %q, want %q", g, st, label, want)
		}
		if want != "" && st != lag.Replay && st != lag.Projection {
			t.Errorf("%s: status %q", g, st)
		}
	}
}

func TestOffsetsSetFromAudit(t *testing.T) {
	dir := t.TempDir()
	t1 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, e := range []replay.AuditEntry{
		{Time: t1, Kind: replay.AuditReset, Group: "billing", Cluster: "a:9092", Result: "ok"},
		{Time: t1.Add(time.Hour), Kind: replay.AuditReset, Group: "billing", Cluster: "a:9092", Result: "refused: live"},
		{Time: t1.Add(2 * time.Hour), Kind: replay.AuditReset, Group: "billing", Cluster: "b:9092", Result: "ok"},
		{Time: t1.Add(3 * time.Hour), Kind: replay.AuditTopicCreate, Group: "billing", Cluster: "a:9092", Result: "ok"},
		{Time: t1.Add(30 * time.Minute), Kind: replay.AuditCutover, Group: "email", Cluster: "a:9092", Result: "ok"},
	} {
		if err := replay.AppendAudit(dir, &e); err != nil {
			t.Fatal(err)
		}
	}
	o := &ownGroups{dir: dir, addr: "a:9092"}
	if got := o.offsetsSet("billing"); !got.Equal(t1) {
		t.Errorf("billing: %s, want the one successful reset on this cluster at %s", got, t1)
	}
	if got := o.offsetsSet("email"); !got.Equal(t1.Add(30 * time.Minute)) {
		t.Errorf("email: %s, want the cut-over", got)
	}
	if got := o.offsetsSet("other"); !got.IsZero() {
		t.Errorf("other: %s, want never", got)
	}
	// The embedded log's data dir holds one cluster, whatever its port.
	if got := (&ownGroups{dir: dir, addr: "c:1", embedded: true}).offsetsSet("billing"); !got.Equal(t1.Add(2 * time.Hour)) {
		t.Errorf("embedded billing: %s", got)
	}
}
