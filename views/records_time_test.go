package views

import (
	"strings"
	"testing"
	"time"
)

// firstRow is the first table row under the records' column titles.
func firstRow(screen string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.Contains(l, "OFFSET") && i+1 < len(lines) {
			return lines[i+1]
		}
	}
	return ""
}

// A pinned clock and zone: 2026-03-02 12:00 in TST (+02:00); n records,
// one every 10 minutes from 2026-03-01 20:00 TST: offsets 0-23 are from
// yesterday, 24-95 from today until 11:50.
func timeWorld(t *testing.T, n int) (*Env, time.Time) {
	t.Helper()
	env, cl := testEnv(t, "dark")
	tst := time.FixedZone("TST", 2*3600)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, tst)
	env.Now, env.Loc = func() time.Time { return now }, tst
	createTopic(t, cl, "ev", 1, nil)
	seq(t, cl, "ev", 0, n, time.Date(2026, 3, 1, 20, 0, 0, 0, tst), 10*time.Minute)
	return env, now
}

// At 80 columns the TIME column shows the date for a record that is not
// from today, the time of day (ms) for one that is, and its title names
// the zone.
func TestRecordsTimeColumnDateAndZone(t *testing.T) {
	env, _ := timeWorld(t, 96)
	h := startApp(t, env, NewRecords(env, "ev", 0), 80, 24)
	s := h.waitText(t, "p0 · offsets 0–")
	if !strings.Contains(s, "TIME (TST)") {
		t.Fatalf("no zone in the TIME title:\n%s", s)
	}
	lineHas(t, s, " 0 ", "03-01 20:00:00", "k0")
	lineHas(t, s, " 13 ", "03-01 22:10:00", "k13")
	h.keys("G")
	s = h.waitLine(t, " 95 ", "11:50:00.000", "k95")
	if strings.Contains(s, "03-02") {
		t.Fatalf("today's records shown with a date:\n%s", s)
	}
}

// The time prompt reads the one grammar of package when in the zone the
// times are shown in: "2026-03-01 22:05", "09:00" (today), "1h" (ago); in
// one partition the target is the first row shown; a time after the last
// record says so and leaves the window where it was.
func TestRecordsTimeSeekGrammar(t *testing.T) {
	env, _ := timeWorld(t, 300) // until 2026-03-03 21:50
	h := startApp(t, env, NewRecords(env, "ev", 0), 120, 30)
	h.waitText(t, "p0 · offsets 0–")
	seek := func(in string, off string) {
		t.Helper()
		h.keys("t")
		h.waitText(t, "time:")
		h.typeText(in)
		h.keys("enter")
		h.waitFor(t, in+" → first row "+off, func(s string) bool {
			return !strings.Contains(s, "time:") && strings.HasPrefix(strings.TrimSpace(firstRow(s)), off+" ")
		})
		// enter opens the record under the cursor: the target itself.
		h.keys("enter")
		h.waitText(t, "offset     "+off)
		h.keys("esc")
		h.waitText(t, "OFFSET")
	}
	seek("2026-03-01 22:05", "13") // first at or after 22:05 TST: 22:10
	seek("09:00", "78")            // today 09:00 TST
	seek("1h", "90")               // now - 1h = 11:00 TST
	lineHas(t, h.text(), " 90 ", "2026-03-02 11:00:00.000", "k90")

	// After the last record: said, and the window stays.
	h.keys("t")
	h.waitText(t, "time:")
	h.typeText("2026-03-04 00:00")
	h.keys("enter")
	s := h.waitText(t, "no record at or after 2026-03-04 00:00:00.000 TST")
	if got := strings.TrimSpace(firstRow(s)); !strings.HasPrefix(got, "90 ") {
		t.Fatalf("a seek past the end moved the window: first row %q\n%s", got, s)
	}
	h.keys("enter")
	h.waitText(t, "offset     90")
}
