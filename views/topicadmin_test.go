package views

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/rewind-log/rewind/replay"
)

func auditKinds(t *testing.T, dir string) []string {
	t.Helper()
	es, err := replay.ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Kind+" "+e.Topic+" "+e.Result)
	}
	return out
}

func topicConfigValue(t *testing.T, env *Env, topic, name string) string {
	t.Helper()
	cfg, err := env.Cluster.TopicConfig(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cfg {
		if e.Name == name && e.Value != nil {
			return *e.Value + " " + e.Source
		}
	}
	return "<none>"
}

// A topic's day from the topics screen: create it (name, partitions,
// configs), see its configuration (the value set on it marked), change
// its retention with a preview, remove the override, add partitions after
// the key-ordering warning, and delete it by typing its name; every write
// is audited and each screen says "written" only after the write.
func TestTopicAdminFlows(t *testing.T) {
	goroutinesSettle(t)
	env, cl := dataEnv(t)
	createTopic(t, cl, "orders", 1, nil)
	adm := kadm.NewClient(cl)
	h := startApp(t, env, NewTopics(env), 120, 30)
	h.waitText(t, "orders")

	// create
	h.keys("n")
	h.waitText(t, "Create a topic on", "name:")
	h.typeText("bad name")
	h.keys("enter")
	h.waitText(t, "topic name") // refused as typed: the prompt stays
	backspace(h, len("bad name"))
	h.answer(t, "payments", "partitions:")
	h.typeText("3")
	h.keys("enter", "enter") // replication factor: the broker's default
	h.waitText(t, "configs:")
	h.typeText("retention.ms=3600000")
	h.keys("enter")
	s := h.waitText(t, "create topic payments: 3 partitions, replication factor the broker's default", "retention.ms = 3600000",
		"nothing written yet", "type yes")
	if td, err := adm.ListTopics(context.Background(), "payments"); err == nil && td.Has("payments") {
		t.Fatalf("topic created before the confirmation:\n%s", s)
	}
	h.answer(t, "yes", "✓ written: created topic payments: 3 partitions", "audited in audit.jsonl")
	if got := topicConfigValue(t, env, "payments", "retention.ms"); got != "3600000 dynamic-topic" {
		t.Fatalf("retention.ms after create: %s", got)
	}

	// configuration view: the value set on the topic is marked
	h.keys("esc")
	h.waitText(t, " 2 topics")
	h.keys("/")
	h.typeText("payments")
	h.keys("enter")
	h.waitLine(t, "payments", "3")
	h.keys("C")
	s = h.waitText(t, "topic payments", "● 1 set on the topic", "retention.ms")
	lineHas(t, s, "● retention.ms", "3600000", "dynamic-topic")
	h.keys("o") // only what is set on the topic
	h.waitText(t, "only those (o)")

	// alter with a preview
	h.keys("enter")
	h.waitText(t, "Set retention.ms on topic payments", "retention.ms = 3600000")
	h.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // clear the current value
	h.answer(t, "7200000", `retention.ms: "3600000" (dynamic-topic) → "7200000" (dynamic-topic)`, "checked by the broker", "type yes")
	if got := topicConfigValue(t, env, "payments", "retention.ms"); got != "3600000 dynamic-topic" {
		t.Fatalf("changed before the confirmation: %s", got)
	}
	h.answer(t, "yes", "✓ written: changed the configs of payments")
	if got := topicConfigValue(t, env, "payments", "retention.ms"); got != "7200000 dynamic-topic" {
		t.Fatalf("retention.ms after alter: %s", got)
	}
	h.keys("esc")
	h.waitLine(t, "● retention.ms", "7200000")

	// remove the override: it inherits again
	h.keys("u")
	h.waitText(t, "Remove topic payments's own value of retention.ms", `"7200000" (dynamic-topic) →`)
	h.answer(t, "yes", "✓ written")
	if got := topicConfigValue(t, env, "payments", "retention.ms"); strings.HasSuffix(got, "dynamic-topic") {
		t.Fatalf("retention.ms still set on the topic: %s", got)
	}
	h.keys("esc")
	h.waitText(t, "no config is set on the topic")
	h.keys("esc")

	// add partitions: the warning shows from the first step
	h.waitText(t, " 1 topic · filter")
	h.waitLine(t, "payments", "3")
	h.keys("P")
	h.waitText(t, "Add partitions to payments (3 partitions now)", "per-key ordering is broken", "new total partitions:")
	h.answer(t, "2", "at least 4")
	backspace(h, 1)
	h.answer(t, "5", "topic payments: 3 → 5 partitions (checked by the broker)")
	h.answer(t, "yes", "✓ written: added 2 to payments (now 5)")
	h.keys("esc")
	h.waitText(t, " 1 topic · filter")
	h.waitLine(t, "payments", "5")

	// delete: the name typed again
	h.keys("D")
	h.waitText(t, "Delete topic payments", "topic payments: 5 partitions, 0 records", "cannot be undone", "type payments to confirm")
	h.answer(t, "orders", `does not match "payments"`)
	backspace(h, len("orders"))
	h.answer(t, "payments", "✓ written: deleted topic payments")
	deadline := time.Now().Add(30 * time.Second)
	for {
		td, err := adm.ListTopics(context.Background())
		if err == nil && !td.Has("payments") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("payments still listed after the delete")
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := []string{"topic-create payments ok", "topic-config payments ok", "topic-config payments ok",
		"topic-partitions payments ok", "topic-delete payments ok"}
	if got := auditKinds(t, env.DataDir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	h.quit(t)
}

// Under read-only every topic flow says so at its first step: no prompt,
// no preview, nothing audited.
func TestTopicAdminReadOnlyFirst(t *testing.T) {
	goroutinesSettle(t)
	env, cl, kc := testEnvK(t, "dark")
	env.DataDir = t.TempDir()
	createTopic(t, cl, "orders", 1, nil)
	env.Cluster = readOnlyContext(t, kc)
	h := startApp(t, env, NewTopics(env), 120, 24)
	h.waitLine(t, "orders", "1")
	for _, k := range []string{"n", "D", "P"} {
		h.keys(k)
		s := h.waitText(t, `✗ refused: context "prod" is read-only`, "nothing can be written from here")
		for _, bad := range []string{"name:", "type orders", "new total partitions:", "preview"} {
			if strings.Contains(s, bad) {
				t.Fatalf("%s under read-only shows %q:\n%s", k, bad, s)
			}
		}
		h.keys("esc")
		h.waitLine(t, "orders", "1")
	}
	h.keys("C")
	h.waitText(t, "topic orders", "retention.ms")
	h.keys("enter")
	h.waitText(t, `✗ refused: context "prod" is read-only`)
	if got := auditKinds(t, env.DataDir); len(got) != 0 {
		t.Fatalf("audited under read-only: %v", got)
	}
	h.quit(t)
}
