package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/lag"
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
