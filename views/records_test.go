package views

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// recs returns the records screen behind a driver.
func recScreen(t *testing.T, d *driver) *recordsScreen {
	t.Helper()
	s, ok := d.s.(*recordsScreen)
	if !ok {
		t.Fatalf("screen is %T", d.s)
	}
	return s
}

func (s *recordsScreen) cursorRec() winRec {
	r, _ := s.current()
	return r
}

func TestRecordsBrowseAndSeek(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "events", 1, nil)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seq(t, cl, "events", 0, 2000, base, time.Second)

	h := startApp(t, env, NewPartitions(env, "events"), 120, 30)
	h.waitText(t, "2,000")
	h.keys("enter")
	s := h.waitText(t, "p0 · offsets 0–", "of 0–2,000")
	lineHas(t, s, " 0 ", "k0", "v0")
	lineHas(t, s, " 1 ", "k1", "v1")

	h.keys("G")
	h.waitText(t, "–1,999 of 0–2,000")
	h.waitLine(t, " 1999 ", "k1999", "v1999")

	// o 500 enter: the window is around 500 and the cursor on it (the
	// detail screen opened with enter proves which record is selected).
	h.keys("o")
	h.waitText(t, "offset:")
	h.typeText("500")
	h.keys("enter")
	h.waitLine(t, " 500 ", "k500", "v500")
	h.keys("enter")
	h.waitText(t, "offset     500", "v500")
	h.keys("esc")
	h.waitText(t, "OFFSET")

	// t + an RFC3339 time: the first record at or after it.
	h.keys("t")
	h.waitText(t, "time:")
	h.typeText(base.Add(1234 * time.Second).Format(time.RFC3339))
	h.keys("enter")
	h.waitLine(t, " 1234 ", "k1234", "v1234")
	h.keys("enter")
	h.waitText(t, "offset     1234")
	h.keys("esc")

	// A bad time is refused in the prompt, which stays open.
	h.keys("t")
	h.answer(t, "yesterday", "✗ want")
	h.keys("esc")

	// g goes back to the start.
	h.keys("g")
	h.waitText(t, "p0 · offsets 0–")
	h.waitLine(t, " 0 ", "k0", "v0")

	// / filters the loaded records as you type; esc clears it.
	h.keys("/")
	h.typeText("K15")
	h.waitText(t, "/ K15", " 11 match")
	h.waitLine(t, " 15 ", "k15", "v15")
	h.waitLine(t, " 159 ", "k159", "v159")
	if s := h.text(); hasLine(s, " 0 ", "k0", "v0") {
		t.Fatalf("filter kept a non-matching record:\n%s", s)
	}
	h.keys("enter") // closes the prompt, keeps the filter
	h.waitText(t, `filter "K15": 11 match`)
	h.keys("down", "enter")
	h.waitText(t, "offset     150")
	h.keys("esc") // back to the list
	h.waitText(t, `filter "K15"`)
	h.keys("esc") // clears the filter; the cursor stays on its record
	h.waitLine(t, " 149 ", "k149", "v149")
	h.waitLine(t, " 150 ", "k150", "v150")
	h.waitFor(t, "filter cleared", func(s string) bool { return !strings.Contains(s, "filter") })
}

func TestRecordsPagingContiguous(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "big", 1, nil)
	const n = 5000
	seq(t, cl, "big", 0, n, time.Now().Add(-time.Hour), time.Millisecond)

	d := newDriver(NewRecords(env, "big", 0), 120, 40)
	s := recScreen(t, d)
	check := func(step string) {
		t.Helper()
		recs := s.win.recs
		if len(recs) > maxWindow {
			t.Fatalf("%s: window holds %d records, cap %d", step, len(recs), maxWindow)
		}
		for i := range recs {
			if recs[i].Offset != recs[0].Offset+int64(i) {
				t.Fatalf("%s: window not contiguous at %d: %d after %d", step, i, recs[i].Offset, recs[0].Offset)
			}
		}
	}
	check("start")
	if got := s.cursorRec().Offset; got != 0 {
		t.Fatalf("starts at %d, want 0", got)
	}
	page := s.table.Height() - 1
	want := int64(0)
	maxSeen := 0
	for want < n-1 {
		d.press("pgdown")
		want = min(want+int64(page), n-1)
		check(fmt.Sprint("pgdown to ", want))
		if got := s.cursorRec().Offset; got != want {
			t.Fatalf("after pgdown cursor at offset %d, want %d", got, want)
		}
		maxSeen = max(maxSeen, len(s.win.recs)+s.win.buffered())
	}
	if !strings.Contains(s.View(), "offsets") || !strings.Contains(s.View(), "4999") {
		t.Fatalf("end not shown:\n%s", s.View())
	}
	for want > 0 {
		d.press("pgup")
		want = max(want-int64(page), 0)
		check(fmt.Sprint("pgup to ", want))
		if got := s.cursorRec().Offset; got != want {
			t.Fatalf("after pgup cursor at offset %d, want %d", got, want)
		}
		maxSeen = max(maxSeen, len(s.win.recs)+s.win.buffered())
	}
	if maxSeen > maxWindow+fetchChunk {
		t.Fatalf("held up to %d records; the window must stay bounded", maxSeen)
	}
	// One at a time across window edges too.
	d.press("G")
	for i := 0; i < 1500; i++ {
		d.press("up")
	}
	check("up x1500")
	if got := s.cursorRec().Offset; got != n-1-1500 {
		t.Fatalf("after 1500 ups from the end cursor at %d, want %d", got, n-1-1500)
	}
}

func TestRecordsAllPartitionsByTime(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "multi", 3, nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// Different rates, so partitions interleave unevenly.
	steps := []time.Duration{1000 * time.Millisecond, 1500 * time.Millisecond, 700 * time.Millisecond}
	counts := []int{700, 500, 900}
	total := 0
	for p := range steps {
		seq(t, cl, "multi", int32(p), counts[p], base, steps[p])
		total += counts[p]
	}

	d := newDriver(NewRecords(env, "multi", -1), 120, 40)
	s := recScreen(t, d)
	type key struct {
		p   int32
		off int64
	}
	seen := map[key]bool{}
	var order []winRec
	for {
		r := s.cursorRec()
		k := key{r.Partition, r.Offset}
		if seen[k] {
			t.Fatalf("record p%d@%d shown twice", k.p, k.off)
		}
		seen[k] = true
		order = append(order, r)
		if len(order) == total {
			break
		}
		d.press("down")
		if len(s.win.recs) > maxWindow {
			t.Fatalf("window %d > %d", len(s.win.recs), maxWindow)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i].Timestamp.Before(order[i-1].Timestamp) {
			t.Fatalf("record %d (p%d@%d %v) before its predecessor (p%d@%d %v)", i,
				order[i].Partition, order[i].Offset, order[i].Timestamp, order[i-1].Partition, order[i-1].Offset, order[i-1].Timestamp)
		}
	}
	// And back up: the same sequence in reverse.
	for i := len(order) - 2; i >= 0; i-- {
		d.press("up")
		r := s.cursorRec()
		if r.Partition != order[i].Partition || r.Offset != order[i].Offset {
			t.Fatalf("paging back, position %d shows p%d@%d, want p%d@%d", i, r.Partition, r.Offset, order[i].Partition, order[i].Offset)
		}
	}
	if v := s.View(); !strings.Contains(v, "3 partitions by time") {
		t.Fatalf("header:\n%s", v)
	}

	// Seek by time across partitions: the first record at or after T.
	at := base.Add(200 * time.Second)
	d.press("t")
	for _, c := range at.Format(time.RFC3339Nano) {
		d.press(string(c))
	}
	d.press("enter")
	r := s.cursorRec()
	if r.Timestamp.Before(at) {
		t.Fatalf("seek to %v landed on p%d@%d at %v, before it", at, r.Partition, r.Offset, r.Timestamp)
	}
	for _, o := range order {
		if !o.Timestamp.Before(at) {
			if !o.Timestamp.Equal(r.Timestamp) {
				t.Fatalf("seek to %v landed at %v; first record at or after it is p%d@%d %v", at, r.Timestamp, o.Partition, o.Offset, o.Timestamp)
			}
			break
		}
	}
}

// visibleRecs parses the records table rows of a wide (≥110 columns)
// all-partitions frame: offset, partition and timestamp.
func visibleRecs(t *testing.T, screen string) []winRec {
	t.Helper()
	var out []winRec
	for _, m := range recRow.FindAllStringSubmatch(screen, -1) {
		off, _ := strconv.ParseInt(m[1], 10, 64)
		p, _ := strconv.Atoi(m[2])
		ts, err := time.ParseInLocation("2006-01-02 15:04:05.000", m[3], time.Local)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, winRec{Record: backend.Record{Partition: int32(p), Offset: off, Timestamp: ts}})
	}
	return out
}

var recRow = regexp.MustCompile(`(?m)^\D*?(\d+)\s+(\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+k\d+`)

func hasRec(recs []winRec, p int32, off int64) bool {
	for _, r := range recs {
		if r.Partition == p && r.Offset == off {
			return true
		}
	}
	return false
}

// An offset seek across partitions is a time cut: cutting each partition at
// offset 5 would show p0 0–4, p1 0–4, p0 5–9, p1 5–9.
func TestRecordsAllPartitionsOffsetSeekOrdered(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "seam", 2, nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	seq(t, cl, "seam", 0, 10, base, time.Second)
	seq(t, cl, "seam", 1, 10, base.Add(100*time.Second), time.Second)

	// A short table, so the seek visibly moves the view: G shows the end,
	// without p0@5; the seek brings it into view.
	h := startApp(t, env, NewRecords(env, "seam", -1), 120, 14)
	h.waitText(t, "2 partitions by time", "20 loaded")
	h.keys("G")
	h.waitFor(t, "the end, p1@9 shown and p0@5 not", func(s string) bool {
		recs := visibleRecs(t, s)
		return hasRec(recs, 1, 9) && !hasRec(recs, 0, 5)
	})
	h.keys("o")
	h.waitText(t, "offset:")
	h.typeText("5")
	h.keys("enter")
	s := h.waitFor(t, "p0@5 shown", func(s string) bool {
		return !strings.Contains(s, "offset:") && hasRec(visibleRecs(t, s), 0, 5)
	})
	recs := visibleRecs(t, s)
	if len(recs) < 5 {
		t.Fatalf("only %d rows parsed:\n%s", len(recs), s)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Timestamp.Before(recs[i-1].Timestamp) {
			t.Fatalf("p%d@%d (%v) shown after p%d@%d (%v):\n%s", recs[i].Partition, recs[i].Offset, recs[i].Timestamp,
				recs[i-1].Partition, recs[i-1].Offset, recs[i-1].Timestamp, s)
		}
	}
	// The cursor is on the requested record.
	h.keys("enter")
	h.waitText(t, "partition  0", "offset     5")
}

func TestRecordsStaleSeekIgnored(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "s", 1, nil)
	seq(t, cl, "s", 0, 3000, time.Now().Add(-time.Hour), time.Millisecond)
	d := newDriver(NewRecords(env, "s", 0), 120, 40)
	s := recScreen(t, d)
	old := s.seek(backend.Start{Kind: backend.StartOffset, Offset: 100})
	newer := s.seek(backend.Start{Kind: backend.StartLatest})
	d.run(newer)
	d.run(old) // the slow, older seek lands last
	if got := s.cursorRec().Offset; got != 2999 {
		t.Fatalf("an older seek overwrote a newer one: cursor at %d, want 2999", got)
	}
}

func TestRecordsTail(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "live", 2, nil)
	seq(t, cl, "live", 0, 50, time.Now().Add(-time.Minute), time.Millisecond)

	h := startApp(t, env, NewRecords(env, "live", -1), 120, 30)
	h.waitText(t, "2 partitions by time")
	h.keys("f")
	h.waitText(t, "● following")
	produce(t, cl, &kgo.Record{Topic: "live", Partition: 1, Key: []byte("tail"), Value: []byte("live-one")})
	h.waitText(t, "live-one")

	h.keys("space")
	h.waitText(t, "paused")
	produce(t, cl, &kgo.Record{Topic: "live", Partition: 0, Key: []byte("tail"), Value: []byte("live-two")})
	// The paused tail counts the record that arrived, and does not show it.
	if s := h.waitText(t, "paused · 1 new (space resumes)"); strings.Contains(s, "live-two") {
		t.Fatalf("paused tail still showed a new record:\n%s", s)
	}
	h.keys("space")
	h.waitText(t, "● following", "live-two")

	// A burst arrives batched: the newest is on screen, the window bounded.
	var burst []*kgo.Record
	for i := range 3000 {
		burst = append(burst, &kgo.Record{Topic: "live", Partition: int32(i % 2), Value: fmt.Appendf(nil, "burst-%d", i)})
	}
	produce(t, cl, burst...)
	h.waitText(t, "burst-2999")
}

// The tail delivers batches at most ~20 times a second however fast records
// arrive, and the window stays bounded.
func TestRecordsTailThrottled(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "fast", 1, nil)
	d := newDriver(NewRecords(env, "fast", 0), 120, 40)
	s := recScreen(t, d)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // a fast producer: small batches as quickly as possible
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var rs []*kgo.Record
			for j := range 50 {
				rs = append(rs, &kgo.Record{Topic: "fast", Value: fmt.Appendf(nil, "r-%d-%d", i, j)})
			}
			if err := cl.ProduceSync(t.Context(), rs...).FirstErr(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	d.until = start.Add(time.Second)
	d.press("f")
	elapsed := time.Since(start)
	close(stop)
	<-done
	s.Close()
	batches := d.seen["views.recTailMsg"]
	if batches < 2 {
		t.Fatalf("only %d tail batches in %v", batches, elapsed)
	}
	t.Logf("%d tail batches, %d records shown, in %v", batches, len(s.win.recs), elapsed)
	if rate := float64(batches) / elapsed.Seconds(); rate > 22 {
		t.Fatalf("%d tail batches in %v = %.0f/s; must stay <= ~20/s", batches, elapsed, rate)
	}
	if len(s.win.recs) > maxWindow {
		t.Fatalf("window %d > %d", len(s.win.recs), maxWindow)
	}
	if r, _ := s.current(); r.Offset != s.win.recs[len(s.win.recs)-1].Offset {
		t.Fatal("following: the cursor should be on the newest record")
	}
}

func TestRecordsMouseAndErrors(t *testing.T) {
	env, cl, kc := testEnvK(t, "dark")
	createTopic(t, cl, "m", 1, nil)
	seq(t, cl, "m", 0, 100, time.Now().Add(-time.Hour), time.Second)
	d := newDriver(NewRecords(env, "m", 0), 120, 40)
	s := recScreen(t, d)
	d.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown}, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if r, _ := s.current(); r.Offset != 6 {
		t.Fatalf("two wheel notches moved to %d, want 6", r.Offset)
	}
	// Unknown topic: a readable error, with retry.
	d2 := newDriver(NewRecords(env, "nope", -1), 120, 40)
	if len(d2.errs) != 1 || d2.errs[0].Retry == nil || !strings.Contains(d2.s.View(), "unknown topic") {
		t.Fatalf("errs %v, view:\n%s", d2.errs, d2.s.View())
	}
	// The broker goes away: seeking fails with an error and a retry, the
	// screen keeps what it had.
	kc.Close()
	d.press("G")
	if len(d.errs) == 0 || d.errs[0].Retry == nil {
		t.Fatalf("no error with retry after the broker went away")
	}
	if !strings.Contains(ansi.Strip(d.s.View()), "✗") {
		t.Fatalf("error not shown:\n%s", d.s.View())
	}
}
