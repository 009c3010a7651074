package views

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/themes"
)

const orderJSON = `{"order_id":"o-1","customer":"c-42","amount":12.5,"paid":true,"note":null,"items":[{"sku":"x","qty":2}],"empty":{}}`

func TestRecordDetailJSONAndHex(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "orders", 1, nil)
	ts := time.Now().Add(-90 * time.Second)
	produce(t, cl,
		&kgo.Record{Topic: "orders", Key: []byte("o-1"), Value: []byte(orderJSON), Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "source", Value: []byte("web")}, {Key: "trace", Value: []byte{0, 1, 2}}}},
		&kgo.Record{Topic: "orders", Key: []byte("o-2"), Value: []byte("plain text value\nsecond line"), Timestamp: ts},
		&kgo.Record{Topic: "orders", Key: []byte("o-3"), Value: func() []byte {
			b := make([]byte, 40)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}(), Timestamp: ts},
	)
	h := startApp(t, env, NewRecords(env, "orders", 0), 100, 40)
	h.waitText(t, "o-1", "o-2", "o-3")
	h.keys("enter")
	s := h.waitText(t, "value · json")
	for _, want := range []string{
		"topic      orders", "partition  0", "offset     0", "(1m30s ago)", "size       135 B · key 3 B · value 115 B · 2 headers",
		"source: web", "trace: 0x000102",
		"{", `  "order_id": "o-1",`, `  "amount": 12.5,`, `  "paid": true,`, `  "note": null,`,
		`  "items": [`, `      "sku": "x",`, `      "qty": 2`, `  "empty": {}`,
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("detail lacks %q:\n%s", want, s)
		}
	}
	h.keys("x")
	s = h.waitText(t, "value · hex", `00000000  7b 22 6f 72 64 65 72 5f  69 64 22 3a 22 6f 2d 31  |{"order_id":"o-1|`)
	h.keys("x")
	h.waitText(t, "value · json")

	h.keys("n")
	s = h.waitText(t, "offset     1", "value · text", "plain text value", "second line")
	h.keys("n")
	s = h.waitText(t, "offset     2", "value · binary",
		"00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
		"00000020  20 21 22 23 24 25 26 27                           | !\"#$%&'|")
	h.keys("n")
	h.waitText(t, "no newer record")
	h.keys("p", "p")
	h.waitText(t, "offset     0", "value · json")
	h.keys("p")
	h.waitText(t, "no older record")
}

func TestRecordDetailCopy(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "orders", 1, nil)
	produce(t, cl, &kgo.Record{Topic: "orders", Key: []byte("the-key"), Value: []byte(orderJSON)})

	d := newDriver(NewRecordAt(env, "orders", 0, 0), 100, 30)
	if !strings.Contains(d.s.View(), "value · json") {
		t.Fatalf("record not loaded:\n%s", d.s.View())
	}
	d.press("c")
	if len(d.other) != 1 || fmt.Sprintf("%T", d.other[0]) != "tea.setClipboardMsg" || reflect.ValueOf(d.other[0]).String() != orderJSON {
		t.Fatalf("c should return a set-clipboard command with the value; got %#v", d.other)
	}
	if len(d.toasts) != 1 || d.toasts[0] != "copied value (115 B)" {
		t.Fatalf("toast: %q", d.toasts)
	}
	d.press("C")
	if len(d.other) != 2 || reflect.ValueOf(d.other[1]).String() != "the-key" {
		t.Fatalf("C should copy the key; got %#v", d.other)
	}

	// Through the program: the terminal receives OSC 52 with the value.
	h := startApp(t, env, NewRecordAt(env, "orders", 0, 0), 100, 30)
	h.waitText(t, "value · json")
	h.keys("c")
	h.waitText(t, "copied value (115 B)")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(orderJSON))
	var out bytes.Buffer
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.Contains(out.Bytes(), []byte(want)) {
		if time.Now().After(deadline) {
			t.Fatalf("no OSC 52 sequence with the value in the program output")
		}
		_, _ = io.Copy(&out, h.tm.Output())
		time.Sleep(20 * time.Millisecond)
	}
}

// The escape sequences of the brief: clear screen, set window title, plus
// invalid UTF-8 and an 8-bit CSI.
const evil = "\x1b[2J\x1b]0;pwned\x07"

func TestRecordSanitised(t *testing.T) {
	env, cl := testEnv(t, themes.NoColor)
	createTopic(t, cl, "evil", 1, nil)
	produce(t, cl,
		&kgo.Record{Topic: "evil", Key: []byte("customer-key-with-escapes" + evil + "\xff"),
			Value:   []byte("hello " + evil + " \xff\xfe world \u009b31m red, and then a longer ordinary sentence follows"),
			Headers: []kgo.RecordHeader{{Key: "h" + evil, Value: []byte("v" + evil + "\xc3")}}},
		// Valid JSON hiding a C1 control and an escaped ESC in strings.
		&kgo.Record{Topic: "evil", Key: []byte("json"), Value: []byte(`{"a":"\u001b[2J","b":"x` + "\u009b" + `31m","c":"` + "\u202e" + `abc"}`)},
	)
	h := startApp(t, env, NewRecords(env, "evil", 0), 100, 30)
	h.waitText(t, "hello")
	check := func(where string) {
		t.Helper()
		h.mu.Lock()
		frame := h.frame
		h.mu.Unlock()
		assertNoEscapes(t, where, frame)
		if strings.Contains(frame, "pwned\x07") || strings.Contains(frame, "\x1b]0;pwned") {
			t.Fatalf("%s: title sequence got through", where)
		}
	}
	check("records list")
	if s := h.text(); !strings.Contains(s, "␛[2J␛]0;pwned␇") {
		t.Fatalf("escape sequences should show as visible stand-ins:\n%s", s)
	}
	h.keys("enter")
	h.waitText(t, "value · text")
	check("detail")
	s := h.text()
	for _, want := range []string{"customer-key-with-escapes␛[2J␛]0;pwned␇�", "h␛[2J␛]0;pwned␇: 0x761b5b324a1b5d303b70776e656407c3", "hello ␛[2J␛]0;pwned␇ �� world �31m red, and then"} {
		if !strings.Contains(s, want) {
			t.Fatalf("detail lacks %q:\n%s", want, s)
		}
	}
	h.keys("x")
	h.waitText(t, "value · hex", "|hello .[2J.]0;pw|", "|ned. .. world ..|")
	check("hex")
	h.keys("n", "x") // hex view stays on across records; x turns it off
	h.waitText(t, "value · json", `"a": "\u001b[2J"`)
	check("json")
	if s := h.text(); !strings.Contains(s, `"b": "x�31m"`) || !strings.Contains(s, `"c": "�abc"`) {
		t.Fatalf("C1 control / bidi override in a JSON string not replaced:\n%s", s)
	}

	// The raw bytes written to the terminal never carry the record's
	// sequences (the shell sets its own title, never "pwned").
	_ = h.tm.Quit()
	out, _ := io.ReadAll(h.tm.FinalOutput(t))
	if bytes.Contains(out, []byte("\x1b]0;pwned")) || bytes.Contains(out, []byte("\x1b]2;pwned")) || bytes.Contains(out, []byte("pwned\x07")) {
		t.Fatalf("record escape sequence reached the terminal output")
	}

	// With a theme that styles nothing, no escape byte at all is drawn.
	plain := *env
	plain.Theme = themes.Theme{Name: "plain"}
	d := newDriver(NewRecordAt(&plain, "evil", 0, 0), 100, 40)
	for _, k := range []string{"", "x", "n", "x"} {
		if k != "" {
			d.press(k)
		}
		if v := d.s.View(); strings.ContainsRune(v, 0x1b) {
			t.Fatalf("unstyled detail (after %q) contains ESC:\n%q", k, v)
		}
	}
	dr := newDriver(NewRecords(&plain, "evil", 0), 100, 40)
	if v := dr.s.View(); strings.ContainsRune(v, 0x1b) {
		t.Fatalf("unstyled records list contains ESC:\n%q", v)
	}
}

func TestRecordLargeValue(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "huge", 1, map[string]*string{"max.message.bytes": ptr("20000000")})
	big := bytes.Repeat([]byte(`{"k":"0123456789abcdef","n":12},`), 10<<20/32)
	big = append(append([]byte{'['}, big...), []byte(`{"end":true}]`)...)
	produce(t, cl,
		&kgo.Record{Topic: "huge", Key: []byte("big"), Value: big},
		&kgo.Record{Topic: "huge", Key: []byte("small"), Value: []byte("after")})

	d := newDriver(NewRecords(env, "huge", 0), 120, 40)
	s := recScreen(t, d)
	if len(s.win.recs) != 2 {
		t.Fatalf("window has %d records, want 2", len(s.win.recs))
	}
	if r := s.win.recs[0]; len(r.Value) > capValue || !r.trunc || r.vlen != len(big) {
		t.Fatalf("window keeps %d bytes of the big value (cap %d), trunc=%v", len(r.Value), capValue, r.trunc)
	}
	v := ansi.Strip(s.View())
	if !strings.Contains(v, "10.0 MiB") || !strings.Contains(v, `[{"k":"0123456789abcdef"`) {
		t.Fatalf("list:\n%s", v)
	}
	d.press("enter")
	if len(d.pushed) != 1 {
		t.Fatal("enter did not open the detail")
	}
	dd := newDriver(d.pushed[0], 120, 40)
	v = ansi.Strip(dd.s.View())
	for _, want := range []string{"value · json · truncated for display: 10.0 MiB total", `    "k": "0123456789abcdef",`} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	dd.press("G")
	if v := ansi.Strip(dd.s.View()); !strings.Contains(v, "value truncated for display: 10.0 MiB total, first 256.0 KiB shown") {
		t.Fatalf("end of detail:\n%s", v)
	}
	rs := dd.s.(*recordScreen)
	if n := len(rs.lines); n > 40000 {
		t.Fatalf("detail laid out %d lines for a capped value", n)
	}
}
