package views

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/themes"
)

func TestTopicsScreen(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "orders", 3, nil)
	createTopic(t, cl, "payments", 1, map[string]*string{"retention.ms": ptr("3600000")})
	createTopic(t, cl, "customers", 2, map[string]*string{"cleanup.policy": ptr("compact"), "retention.ms": ptr("-1")})
	createTopic(t, cl, "__hidden", 1, nil)
	base := time.Now().Add(-time.Hour)
	seq(t, cl, "orders", 0, 10, base, time.Second)
	seq(t, cl, "orders", 1, 20, base, time.Second)
	seq(t, cl, "payments", 0, 1234, base, time.Millisecond)

	h := startApp(t, env, NewTopics(env), 100, 24)
	s := h.waitText(t, "orders", "payments", "customers")
	if strings.Contains(s, "__hidden") {
		t.Fatalf("internal topic shown by default:\n%s", s)
	}
	// Correct counts: partitions, replication, records, policy, retention.
	for _, want := range []*regexpLine{
		{"orders", []string{"3", "1", "30", "delete", "7d"}},
		{"payments", []string{"1", "1", "1,234", "delete", "1h"}},
		{"customers", []string{"2", "1", "0", "compact", "∞"}},
	} {
		want.check(t, s)
	}
	if !strings.Contains(s, "1 internal hidden") {
		t.Fatalf("summary should say one internal topic is hidden:\n%s", s)
	}

	h.keys("i")
	h.waitText(t, "__hidden")
	h.keys("i")
	h.waitFor(t, "internal hidden again", func(s string) bool { return !strings.Contains(s, "__hidden") })

	// Filter as you type: case-insensitive substring.
	h.keys("/")
	h.typeText("PAY")
	s = h.waitFor(t, "filter narrows", func(s string) bool {
		return strings.Contains(s, "payments") && !strings.Contains(s, "orders") && !strings.Contains(s, "customers")
	})
	// q goes to the filter, not to quit.
	h.typeText("q")
	h.waitText(t, "no topic matches")
	h.keys("esc")
	h.waitText(t, "orders", "payments", "customers")

	// Sort by records (column 4), descending, indicator shown.
	h.keys("4")
	s = h.waitText(t, "RECORDS ▼")
	if strings.Index(s, "payments") > strings.Index(s, "orders") {
		t.Fatalf("sorted by records desc, payments (1,234) should come before orders (30):\n%s", s)
	}
	h.keys("S")
	s = h.waitText(t, "RECORDS ▲")
	if strings.Index(s, "payments") < strings.Index(s, "orders") {
		t.Fatalf("ascending: orders before payments:\n%s", s)
	}

	// enter on the selected topic (cursor on the first row: customers, 0
	// records) - move to orders and open its partitions.
	h.keys("s") // cycle to the next column: cleanup
	h.waitText(t, "CLEANUP ▼")
	h.keys("1") // back to name, ascending
	h.waitText(t, "NAME ▲")
	h.keys("g", "down") // customers, orders
	h.keys("enter")
	s = h.waitText(t, "LOG START", "HIGH WM", "3 partitions")
	lineHas(t, s, "  0 ", "10")
	lineHas(t, s, "  1 ", "20")
	h.keys("a")
	h.waitText(t, "3 partitions by time", "30 in log")
}

func ptr(s string) *string { return &s }

// regexpLine checks that the line holding name also shows every field, in
// order.
type regexpLine struct {
	name   string
	fields []string
}

func (r *regexpLine) check(t *testing.T, screen string) {
	t.Helper()
	lineHas(t, screen, r.name, r.fields...)
}

func lineHas(t *testing.T, screen, anchor string, fields ...string) {
	t.Helper()
	if !hasLine(screen, anchor, fields...) {
		t.Fatalf("no line with %q followed by %q:\n%s", anchor, fields, screen)
	}
}

// waitLine waits until a line shows anchor followed by fields.
func (h *harness) waitLine(t *testing.T, anchor string, fields ...string) string {
	t.Helper()
	return h.waitFor(t, fmt.Sprintf("line %q %q", anchor, fields), func(s string) bool { return hasLine(s, anchor, fields...) })
}

func hasLine(screen, anchor string, fields ...string) bool {
	for _, l := range strings.Split(screen, "\n") {
		if !strings.Contains(l, anchor) {
			continue
		}
		rest := l[strings.Index(l, anchor)+len(anchor):]
		ok := true
		for _, f := range fields {
			i := strings.Index(rest, f)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(f):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestTopicsErrorAndRetry(t *testing.T) {
	env, cl, kc := testEnvK(t, "dark")
	createTopic(t, cl, "t1", 1, nil)
	d := newDriver(NewTopics(env), 80, 21)
	if !strings.Contains(d.s.View(), "t1") {
		t.Fatalf("topics:\n%s", d.s.View())
	}
	kc.Close()
	d.run(d.s.(*topicsScreen).Refresh())
	if len(d.errs) != 1 || d.errs[0].Retry == nil {
		t.Fatalf("want one error with retry, got %v", d.errs)
	}
	if v := d.s.View(); !strings.Contains(v, "t1") || !strings.Contains(v, "✗") {
		t.Fatalf("the last list and the error should both show:\n%s", v)
	}
	// A dead cluster from the start: the error, not a spinner forever.
	d2 := newDriver(NewTopics(env), 80, 21)
	if v := d2.s.View(); !strings.Contains(v, "press R to retry") {
		t.Fatalf("first-load error:\n%s", v)
	}
}

func TestPartitionsUnderReplicated(t *testing.T) {
	env, _ := testEnv(t, themes.NoColor)
	s := newPartitions(env, "x", func(context.Context) ([]backend.Partition, error) {
		return []backend.Partition{
			{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, HighWatermark: 10, Records: 10},
			{ID: 1, Leader: 2, Replicas: []int32{1, 2, 3}, ISR: []int32{2}, LogStart: 5, HighWatermark: 10, Records: 5},
		}, nil
	})
	d := newDriver(s, 100, 20)
	v := ansi.Strip(d.s.View())
	lineHas(t, v, "  0 ", "1", "1,2,3", "1,2,3", "0", "10", "10")
	lineHas(t, v, "  1 ", "2", "1,2,3", "⚠ 2", "5", "10", "5")
	if !strings.Contains(v, "⚠ 1 under-replicated") {
		t.Fatalf("summary:\n%s", v)
	}
}

func TestTopicsCursorKeptAcrossRefresh(t *testing.T) {
	env, cl := testEnv(t, "dark")
	for _, n := range []string{"m-topic", "payments", "z-topic"} {
		createTopic(t, cl, n, 1, nil)
	}
	d := newDriver(NewTopics(env), 100, 20)
	d.press("down") // payments
	s := d.s.(*topicsScreen)
	if r, _ := s.Selected(); r.Name != "payments" {
		t.Fatalf("selected %q", r.Name)
	}
	createTopic(t, cl, "a-new-topic", 1, nil) // sorts first, shifting rows
	// The client serves metadata from a cache for a second (MetadataMinAge),
	// so the new topic may take one more refresh to appear.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.View(), "a-new-topic") {
		if time.Now().After(deadline) {
			t.Fatal("refresh did not show the new topic")
		}
		time.Sleep(200 * time.Millisecond)
		d.run(s.Refresh())
	}
	if r, _ := s.Selected(); r.Name != "payments" {
		t.Fatalf("after refresh the cursor moved to %q", r.Name)
	}
}
