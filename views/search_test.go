package views

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// searchEnv is a broker of the test kit (faults on cue) with a topic
// "orders": 3 partitions x 400 JSON records, n = i, customer c-(i%40),
// timestamps interleaved across partitions (record i of partition p at
// base + 3i+p seconds); n is a string on every 50th record, and the key
// of one record of partition 1 carries escape sequences.
func searchEnv(t *testing.T) (*Env, *testkit.Broker) {
	t.Helper()
	b := testkit.NewBroker(t)
	env := kitEnv(t, b, "dark")
	b.CreateTopic("orders", 3, nil)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	for p := range int32(3) {
		for i := range 400 {
			n := fmt.Sprint(i)
			if i%50 == 0 {
				n = `"` + n + `"`
			}
			v := fmt.Sprintf(`{"n":%s,"customer":"c-%d"}`, n, i%40)
			k := fmt.Sprintf("o-%d-%d", p, i)
			if p == 1 && i == 7 {
				k += "\x1b]0;pwned\x07\x1b[2J"
			}
			recs = append(recs, &kgo.Record{Topic: "orders", Partition: p, Key: []byte(k), Value: []byte(v),
				Timestamp: base.Add(time.Duration(3*i+int(p)) * time.Second)})
		}
	}
	b.Produce(recs...)
	return env, b
}

func TestRecordsSearchTheLog(t *testing.T) {
	env, _ := searchEnv(t)
	h := startApp(t, env, NewRecords(env, "orders", -1), 120, 32)
	h.waitText(t, "3 partitions by time", "1,200 in log")

	// s opens the prompt; a broken expression shows its error as it is typed.
	h.keys("s")
	h.waitText(t, "search ▸")
	h.typeText(`value.customer ==`)
	h.waitText(t, "✗ column")
	h.typeText(` "c-7"`)
	h.waitFor(t, "the error to go", func(s string) bool { return !strings.Contains(s, "✗") })
	h.keys("enter")
	// 10 per partition, found across all three from the cursor (the first
	// record) on.
	s := h.waitText(t, `search ▸ ✓ 30 matched · 1,200 of 1,200 scanned in`, `· value.customer == "c-7"`)
	lineHas(t, s, " 0 ", "7", "o-0-7", `"customer":"c-7"`)
	lineHas(t, s, " 2 ", "7", "o-2-7")
	assertNoEscapes(t, "search results", h.raw())
	// The matches' keys are in the footer.
	h.waitText(t, "enter show in the records", "n/N next/previous match")

	// enter on the third match (o-2-7 at 12:00:23 comes after o-0-7 and
	// o-1-7 in time) shows it in the records window: the detail screen
	// opened from there proves the cursor is on it.
	h.keys("down", "down", "enter")
	h.waitText(t, "on match 3 of 30")
	h.waitFor(t, "focus back on the records", func(s string) bool { return !strings.Contains(s, "● search") })
	h.keys("enter")
	h.waitText(t, "offset     7", "partition  2")
	h.keys("esc")
	h.waitText(t, "search ▸")

	// n goes to the next match after the cursor (o-0-47), N back.
	h.keys("n")
	h.waitText(t, "on match 4 of 30")
	h.keys("enter")
	h.waitText(t, "offset     47", "partition  0")
	h.keys("esc")
	h.keys("N")
	h.waitText(t, "on match 3 of 30")
	h.keys("enter")
	h.waitText(t, "offset     7", "partition  2")
	h.keys("esc")

	// esc closes the matches; the quick filter is labelled as such.
	h.keys("esc")
	h.waitFor(t, "matches closed", func(s string) bool { return !strings.Contains(s, "search ▸") })
	h.keys("/")
	h.waitText(t, "quick filter")
	h.keys("esc")

	// Runtime errors are counted and the first one named; the search goes
	// on. From the first record: the whole topic.
	// g seeks in the background, and the header already shows the window's
	// start before the cursor moves: open the cursor's record until it is
	// the first one (o-0-0), so the search starts from there.
	h.keys("g")
	h.waitText(t, "12:00:00.000 →")
	for try := 0; ; try++ {
		h.keys("enter")
		d := h.waitText(t, "timestamp", "── key")
		h.keys("esc")
		h.waitFor(t, "the records list", func(s string) bool { return !strings.Contains(s, "timestamp  ") })
		if strings.Contains(d, "partition  0   offset     0") {
			break
		}
		if try == 100 {
			t.Fatalf("g never put the cursor on the first record; last detail:\n%s", d)
		}
	}
	h.keys("s")
	clearPrompt(h)
	h.answer(t, `value.n > 390`, "✓ 27 matched · 1,200 of 1,200", "24 failed (first p", "offset 0: invalid")
}

func TestRecordsSearchBackwardCancelAndExport(t *testing.T) {
	env, b := searchEnv(t)
	h := startApp(t, env, NewRecords(env, "orders", 1), 100, 30)
	h.waitText(t, "p1 · offsets 0–")
	h.keys("G")
	h.waitText(t, "–399 of 0–400")

	// S searches backwards from the cursor: newest first, the cursor's
	// record itself excluded.
	h.keys("S")
	h.waitText(t, "search ◂")
	s := h.answer(t, `value.customer == "c-39"`, "search ◂ ✓ 9 matched")
	rows := matchRows(s)
	if len(rows) < 3 || !strings.Contains(rows[0], "o-1-359") || !strings.Contains(rows[1], "o-1-319") {
		t.Fatalf("backward matches not newest first:\n%s", s)
	}

	// e exports the matches; the prompt offers a name, the file appears
	// complete, and a toast gives the count.
	// A short directory: the status bar shows the error's end ("exists")
	// only when the path fits in 100 columns; t.TempDir's name varies in
	// length.
	dir, err := os.MkdirTemp("", "rw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "c39.csv")
	h.keys("e")
	h.waitText(t, "export the matches of", "orders-p1-matches.jsonl")
	clearPrompt(h)
	h.answer(t, path, "exported 9 records to "+path)
	data, err := os.ReadFile(path)
	if err != nil || strings.Count(string(data), "\n") != 10 || !strings.HasPrefix(string(data), "topic,partition,offset") {
		t.Fatalf("export: %v\n%s", err, data)
	}
	// The same name again is refused: nothing is overwritten.
	h.keys("e")
	clearPrompt(h)
	h.answer(t, path, "exists")

	// esc closes the matches; e now exports the whole partition.
	h.keys("esc")
	h.waitFor(t, "matches closed", func(s string) bool { return !strings.Contains(s, "search ◂") })
	all := filepath.Join(dir, "p1.jsonl")
	h.keys("e")
	h.waitText(t, "export p1 to:")
	clearPrompt(h)
	h.answer(t, all, "exported 400 records to "+all)

	// A search the broker holds up shows its progress and stops on esc.
	h.keys("g")
	h.waitText(t, "p1 · offsets 0–")
	stall := b.StallFetches("orders")
	defer stall.Release()
	h.keys("s")
	clearPrompt(h)
	h.answer(t, `value.n >= 0`, "search ▸", "esc stops")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := stall.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.keys("esc")
	h.waitText(t, "0 matched · stopped at 0% (0 of 400 scanned)")
}

// clearPrompt empties the open prompt (ctrl+u).
func clearPrompt(h *harness) { h.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) }

// matchRows are the lines of the match list (after its status line).
func matchRows(screen string) []string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.Contains(l, "search ▸") || strings.Contains(l, "search ◂") {
			if i+2 < len(lines) {
				var out []string
				for _, r := range lines[i+2:] {
					if strings.Contains(r, "o-") {
						out = append(out, r)
					}
				}
				return out
			}
		}
	}
	return nil
}

// At 80x24 the records, the status line and a few matches all fit.
func TestRecordsSearchSmallTerminal(t *testing.T) {
	env, _ := searchEnv(t)
	h := startApp(t, env, NewRecords(env, "orders", -1), 80, 24)
	h.waitText(t, "3 partitions by time")
	h.keys("s")
	h.typeText(`"c-13"`) // a quoted text: key, value or headers contain it
	h.keys("enter")
	s := h.waitText(t, `search ▸ ✓ 30 matched`)
	for i, l := range strings.Split(s, "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Fatalf("line %d is %d cells wide:\n%s", i, w, s)
		}
	}
	if len(strings.Split(strings.TrimRight(s, "\n"), "\n")) > 24 {
		t.Fatalf("more than 24 lines:\n%s", s)
	}
	if len(matchRows(s)) < 3 {
		t.Fatalf("fewer than 3 matches visible:\n%s", s)
	}
}

// With the UI's decoder, a search reads fields of Avro values (both
// schema versions), lists the matches decoded, and exports them decoded.
func TestRecordsSearchDecodedAvro(t *testing.T) {
	env, cl, _, encs := decodeEnv(t)
	createTopic(t, cl, "shipments", 2, nil)
	var recs []*kgo.Record
	for i := range 40 {
		enc, js := encs[0], shipV1JSON
		if i%2 == 1 {
			enc, js = encs[1], shipV2JSON
		}
		js = strings.Replace(js, `"shp-`, fmt.Sprintf(`"shp-%d-`, i), 1)
		v, err := enc.Encode(nil, []byte(js))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: "shipments", Partition: int32(i % 2), Key: []byte(fmt.Sprintf("k-%d", i)), Value: v,
			Timestamp: time.Now().Add(time.Duration(i-100) * time.Second)})
	}
	produce(t, cl, recs...)
	h := startApp(t, env, NewRecords(env, "shipments", -1), 140, 40)
	h.waitText(t, "40 in log")

	h.keys("s")
	s := h.answer(t, `value.carrier == "UPS" && value.destination.country == "BE"`, "search ▸ ✓ 20 matched · 40 of 40 scanned")
	lineHas(t, s, "k-1 ", `{"shipment_id":"shp-1-2","order_id":"ord-2","carrier":"UPS"`)
	if strings.Contains(matchRowsOf(s, "k-"), "DHL") {
		t.Fatalf("a v1 (DHL) record matched:\n%s", s)
	}

	path := filepath.Join(t.TempDir(), "ups.jsonl")
	h.keys("e")
	h.waitText(t, "export the matches of")
	clearPrompt(h)
	h.answer(t, path, "exported 20 records to "+path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 20 || !strings.Contains(lines[0], `"carrier":"UPS"`) || !strings.Contains(lines[0], `"value_format":"avro"`) {
		t.Fatalf("export: want 20 decoded lines, got %d:\n%s", len(lines), data)
	}

	// Backward, from the newest record: the list is decoded too.
	h.keys("esc", "G")
	h.waitFor(t, "matches closed", func(s string) bool { return !strings.Contains(s, "search ▸") && strings.Contains(s, "k-39") })
	h.keys("S")
	clearPrompt(h)
	s = h.answer(t, `value.weight_grams > 1000`, "search ◂ ✓ ")
	if !strings.Contains(s, `"carrier":"DHL"`) {
		t.Fatalf("backward matches not decoded:\n%s", s)
	}
}

// matchRowsOf is the lines of screen below the search status line that
// contain sub.
func matchRowsOf(screen, sub string) string {
	var out []string
	below := false
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "search ▸") || strings.Contains(l, "search ◂") {
			below = true
			continue
		}
		if below && strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
