package views

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/rewind-log/rewind/themes"
)

// :contexts lists the config file's contexts with the current one marked
// and selected; enter asks the CLI to switch to the row under the cursor.
func TestContextsScreenSwitches(t *testing.T) {
	env, _ := testEnv(t, "dark")
	th, _ := themes.Get("dark")
	env.Theme = th
	chosen := make(chan string, 1)
	env.Contexts = &Contexts{Path: "/home/op/.config/rewind/config.yaml", Current: "staging", Items: []ContextItem{
		{Name: "dev", Brokers: "localhost:9092", Security: "PLAINTEXT"},
		{Name: "staging", Brokers: "kafka-1.staging:9093", Security: "SASL_SSL/SCRAM-SHA-512", Label: "STAGING"},
		{Name: "prod", Brokers: "kafka-1.prod:9093", Security: "SSL", Label: "PRODUCTION", ReadOnly: true},
	}, Switch: func(name string) tea.Cmd {
		chosen <- name
		return nil
	}}
	h := startApp(t, env, NewTopics(env), 120, 20)
	h.keys(":")
	h.typeText("contexts")
	h.keys("enter")
	h.waitText(t, "3 contexts in /home/op/.config/rewind/config.yaml · in use: staging",
		"* staging", "SASL_SSL/SCRAM-SHA-512", "prod", "read-only", "PRODUCTION")
	h.keys("down", "enter") // from staging (selected) to prod
	if got := <-chosen; got != "prod" {
		t.Fatalf("switched to %q, want prod", got)
	}
}

func TestContextsScreenWithoutConfig(t *testing.T) {
	env, _ := testEnv(t, "dark")
	h := startApp(t, env, NewContexts(env), 100, 12)
	h.waitText(t, "no config file")
}

// A read-only context refuses the reprocessing flow at its first key, with
// the context named, before any prompt.
func TestReadOnlyContextRefusesResetFirst(t *testing.T) {
	env, cl, kc := testEnvK(t, "dark")
	createTopic(t, cl, "orders", 1, nil)
	seq(t, cl, "orders", 0, 5, time.Now().Add(-time.Hour), time.Second)
	commitAt(t, kadm.NewClient(cl), "g", "orders", map[int32]int64{0: 2})
	env.Cluster = readOnlyContext(t, kc)
	h := startApp(t, env, NewGroup(env, "g"), 120, 24)
	h.waitText(t, "orders")
	h.keys("x")
	s := h.waitText(t, `refused: context "prod" is read-only`)
	if strings.Contains(s, "Reprocess group") {
		t.Fatalf("the flow opened under read-only:\n%s", s)
	}
}
