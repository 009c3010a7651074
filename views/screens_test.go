package views

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/themes"
)

// Golden screens: every screen, opened through the real shell the way an
// operator does, at 80x24 and 160x45, compared with testdata/screens. The
// world is fixed (records, timestamps, commits) and the clock pinned, so a
// frame changes only when what a person sees changes. After a deliberate
// change of a screen: go test ./views -run TestScreensGolden -update
//
// REWIND_SCREENS_RAW=DIR also writes each frame with its styling (dark
// theme) to DIR, to compare colours before and after a refactor.

// updateGolden is teatest's -update flag (x/exp/golden defines it).
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// goldenWorld: three topics of fixed records, a stopped group, a group that
// lost records to retention and a live consumer; the clock is pinned an
// hour after the first record.
func goldenWorld(t *testing.T, theme string) *Env {
	t.Helper()
	env, cl := testEnv(t, theme)
	// A path of the same length every run: it is on screen, and its length
	// decides where a line is cut.
	env.DataDir = filepath.Join(os.TempDir(), fmt.Sprintf("rewind-golden-%010d", rand.Uint32()))
	if err := os.Mkdir(env.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(env.DataDir) })
	now := time.Now().Truncate(time.Minute)
	env.Now = func() time.Time { return now }
	// Record times in a zone where now is midday: the hour of records
	// before it is always today's (times of day, not dates) at any hour
	// the test runs.
	midday := 12*time.Hour - now.UTC().Sub(now.UTC().Truncate(24*time.Hour))
	env.Loc = time.FixedZone("ZONE", int(midday.Seconds()))
	SetLagRefresh(env, time.Hour) // one sample: verdicts never move mid-test
	base := now.Add(-time.Hour)
	createTopic(t, cl, "orders", 3, nil)
	createTopic(t, cl, "payments", 1, nil)
	compact := "compact"
	createTopic(t, cl, "customers", 1, map[string]*string{"cleanup.policy": &compact})
	for p := int32(0); p < 3; p++ {
		recs := make([]*kgo.Record, 40)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: "orders", Partition: p, Key: fmt.Appendf(nil, "order-%d-%d", p, i),
				Value:     fmt.Appendf(nil, `{"id":%d,"customer":"c%d","amount":%d.5,"status":"paid"}`, i, i%7, 10+i),
				Timestamp: base.Add(time.Duration(3*i+int(p)) * time.Second),
				Headers:   []kgo.RecordHeader{{Key: "source", Value: []byte("golden")}}}
		}
		produce(t, cl, recs...)
	}
	seq(t, cl, "payments", 0, 100, base, time.Second)
	seq(t, cl, "customers", 0, 10, base, time.Minute)
	adm := kadm.NewClient(cl)
	commitAt(t, adm, "g-empty", "orders", map[int32]int64{0: 35, 1: 40, 2: 20})
	commitAt(t, adm, "g-lost", "payments", map[int32]int64{0: 10})
	deleteRecords(t, adm, "payments", 0, 60)
	joinAndCommit(t, env, "g-live", "orders", 3, 30)
	startRun(t, env, env.DataDir, "v1", "name: rev_v1\ntopic: orders\nfilter: value.amount < 40\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	startRun(t, env, env.DataDir, "v2", "name: rev_v2\ntopic: orders\nkey: value.customer\naggregate: count\n")
	return env
}

// goldenStep is one frame to capture: keys to press, then text that shows
// the screen has loaded.
type goldenStep struct {
	name string
	keys []string
	text string   // typed after keys
	then []string // pressed after text
	wait []string
}

var goldenSteps = []goldenStep{
	{name: "topics", wait: []string{"3 topics", "customers", "orders", "payments"}},
	{name: "topics-filter", keys: []string{"/"}, text: "ord", wait: []string{"/ ord", "orders"}},
	{name: "help", keys: []string{"esc", "?"}, wait: []string{"esc or ? to close", "3 topics"}},
	{name: "palette", keys: []string{"esc", ":"}, wait: []string{"projections", "audit"}},
	{name: "partitions", keys: []string{"esc", "enter"}, wait: []string{"3 partitions", "120 records"}},
	{name: "records", keys: []string{"enter"}, wait: []string{"order-0-0", "order-0-5"}},
	{name: "record", keys: []string{"down", "enter"}, wait: []string{"@1", "source", `"customer"`}},
	{name: "records-all", keys: []string{"esc", "esc", "esc", "r"}, wait: []string{"order-0-0", "order-1-0", "order-2-0"}},
	{name: "consumers", keys: []string{"esc", "c"}, wait: []string{"consumers of orders", "g-empty", "g-live", "4 groups consume orders"}},
	{name: "groups", keys: []string{":"}, text: "groups", wait: []string{"5 groups", "g-lost", "LOST"}},
	{name: "group", keys: []string{"enter"}, wait: []string{"verdict", "PARTITIONS", "payments"}},
	{name: "reset", keys: []string{"x"}, wait: []string{"Reprocess group g-lost", "> to-earliest"}},
	{name: "audit", keys: []string{":"}, text: "audit", wait: []string{"changes in", "no changes audited yet"}},
	{name: "replays", keys: []string{":"}, text: "replays", wait: []string{"replays in", "no replays yet"}},
	{name: "projections", keys: []string{":"}, text: "projections", wait: []string{"2 runs", "rev_v1", "rev_v2", "100%"}},
	{name: "projdiff", keys: []string{"space", "d"}, wait: []string{"~7 changed", "c6"}},
	{name: "groups-again", keys: []string{":"}, text: "groups", wait: []string{"5 groups", "g-live"}},
	{name: "group-live", keys: []string{"/"}, text: "g-live", then: []string{"enter", "enter"}, wait: []string{"g-live · Stable", "MEMBERS 1", "g-live-client"}},
}

// palette entries are chosen with enter after their name is typed.
func (st goldenStep) typedEnter() bool {
	return len(st.keys) > 0 && st.keys[len(st.keys)-1] == ":"
}

var (
	goldenDate   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{3})?`)
	goldenClock  = regexp.MustCompile(`\b\d{2}:\d{2}:\d{2}\.\d{3}\b`)
	goldenMember = regexp.MustCompile(`g-live-client-[0-9a-f][0-9a-f-]*`)
	goldenAddr   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	// The span of the lag history comes from the real times of samples.
	goldenSpan = regexp.MustCompile(`last \d+[smh]`)
	// The collapsed lag chart's cells, with the padding before them.
	goldenSpark = regexp.MustCompile(` *[▁-█]+`)
	// The lag chart's time axis: the ages of those samples.
	goldenAxis = regexp.MustCompile(`^\s*(-\d+[smh]|now)(\s+(-\d+[smh]|now))*\s*$`)
)

// goldenMask replaces what differs between runs (wall-clock dates, the
// temp dir, a live member's id, the broker port, where the lag chart's
// samples fall) with fixed text.
func goldenMask(s, dataDir string) string {
	s = strings.ReplaceAll(s, dataDir, "$DATA")
	s = goldenDate.ReplaceAllStringFunc(s, func(m string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '#'
			}
			return r
		}, m)
	})
	s = goldenClock.ReplaceAllString(s, "##:##:##.###")
	s = goldenAddr.ReplaceAllString(s, "127.0.0.1:PORT")
	s = goldenSpan.ReplaceAllString(s, "last #s")
	s = goldenMember.ReplaceAllString(s, "g-live-client-MEMBER")
	// The lag chart's points sit where the real sample times put them.
	s = strings.Map(func(r rune) rune {
		if r >= 0x2800 && r <= 0x28ff { // braille
			return ' '
		}
		return r
	}, s)
	// The temp dir's length moves the padding after it.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(ansi.Strip(l)), "lag history ") {
			// The collapsed chart is drawn to time too: how many cells
			// its samples take depends on when they were taken.
			l = goldenSpark.ReplaceAllString(l, " (sparkline)")
		}
		lines[i] = strings.TrimRight(l, " ")
		if goldenAxis.MatchString(ansi.Strip(l)) {
			lines[i] = "  (time axis)"
		}
	}
	return strings.Join(lines, "\n")
}

func TestScreensGolden(t *testing.T) {
	raw := os.Getenv("REWIND_SCREENS_RAW")
	theme := themes.NoColor
	if raw != "" {
		theme = "dark"
	}
	oldEvery, oldProj := refreshEvery, projRefresh
	refreshEvery, projRefresh = time.Hour, time.Hour // no refresh mid-capture
	t.Cleanup(func() { refreshEvery, projRefresh = oldEvery, oldProj })
	for _, size := range [][2]int{{80, 24}, {160, 45}} {
		w, ht := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, ht), func(t *testing.T) {
			env := goldenWorld(t, theme) // lag history starts empty at each size
			h := startApp(t, env, NewTopics(env), w, ht)
			for _, st := range goldenSteps {
				h.keys(st.keys...)
				if st.text != "" {
					h.typeText(st.text)
					if st.typedEnter() {
						h.keys("enter")
					}
				}
				h.keys(st.then...)
				h.waitFor(t, fmt.Sprintf("%s: %q", st.name, st.wait), func(s string) bool {
					for _, w := range st.wait {
						if !strings.Contains(s, w) {
							return false
						}
					}
					// Loaded: nothing is still on its way.
					return !strings.Contains(s, "loading") && !strings.Contains(s, "formatting…") && !strings.Contains(s, "↻")
				})
				frame := h.raw()
				got := goldenMask(ansi.Strip(frame), env.DataDir)
				name := fmt.Sprintf("%s-%dx%d", st.name, w, ht)
				if raw != "" {
					if err := os.WriteFile(filepath.Join(raw, name+".ansi"), []byte(goldenMask(frame, env.DataDir)), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				path := filepath.Join("testdata", "screens", name+".txt")
				if updateGolden() {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%s: %v (run with -update to create it)", name, err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s\n--- got\n%s\n--- want\n%s", name, path, got, want)
				}
			}
		})
	}
}
