package ui

import (
	"strings"
	"testing"

	"github.com/rewind-log/rewind/themes"
)

// A context's label is a coloured badge in the status bar (production
// red); without a colour it stays plain text, as before.
func TestStatusContextBadge(t *testing.T) {
	dark, _ := themes.Get("dark")
	red := dark.Badge.Background(dark.Error.GetForeground()).Render(" PRODUCTION ")
	r := start(t, Options{Theme: dark, Root: newFake("topics"),
		Status: StatusInfo{Cluster: "PRODUCTION", Addr: "kafka-1.prod:9093", ReadOnly: true, Color: "red"}}, 100, 24)
	r.waitFor("red badge", func(string) bool { return strings.Contains(r.raw(), red) })
	last := lines(r.screen())[23]
	if !strings.Contains(last, "READ-ONLY    PRODUCTION   kafka-1.prod:9093 (remote)") {
		t.Fatalf("status bar %q", last)
	}

	plain := start(t, Options{Theme: dark, Root: newFake("topics"),
		Status: StatusInfo{Cluster: "dev", Addr: "localhost:9092"}}, 100, 24)
	plain.waitFor("plain label", func(s string) bool { return strings.Contains(lines(s)[23], "dev localhost:9092 (remote)") })

	// no-color: a badge still stands out (reversed), and the text is there.
	nc, _ := themes.Get(themes.NoColor)
	r3 := start(t, Options{Theme: nc, Root: newFake("topics"),
		Status: StatusInfo{Cluster: "STAGING", Addr: "s:1", Color: "yellow"}}, 100, 24)
	r3.waitFor("no-color badge", func(s string) bool { return strings.Contains(lines(s)[23], "STAGING") })
}
