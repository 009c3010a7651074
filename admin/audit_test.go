package admin

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// Topic and redrive entries carry no group and no partitions in the
// trail (they act on neither); a group deletion carries both.
func TestAuditEntriesCarryOnlyTheirFields(t *testing.T) {
	c, _ := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	for _, tp := range []string{"orders", "orders.DLT"} {
		if _, _, err := CreateTopic(ctx, c, env, backend.TopicSpec{Name: tp, Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	produce(t, c, dlqRecord(0, "orders", "x-original-topic", `{"amount":1}`))
	req := RedriveRequest{Topic: "orders.DLT"}
	plan, err := PlanRedrive(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ExecuteRedrive(ctx, c, env, req, plan, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CommitGroupOffsets(ctx, "old", map[string]map[int32]int64{"orders": {0: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := DeleteGroup(ctx, c, env, "old", "old"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(env.DataDir, replay.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		var kind string
		_ = json.Unmarshal(m["kind"], &kind)
		kinds = append(kinds, kind)
		_, group := m["group"]
		_, parts := m["partitions"]
		if want := kind == replay.AuditDelete; group != want || parts != want {
			t.Errorf("%s entry: group present %v, partitions present %v, want %v: %s", kind, group, parts, want, line)
		}
	}
	if strings.Join(kinds, " ") != "topic-create topic-create redrive delete" {
		t.Fatalf("kinds: %v", kinds)
	}
}
