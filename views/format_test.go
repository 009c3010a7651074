package views

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
)

func TestHumanDuration(t *testing.T) {
	for ms, want := range map[int64]string{
		-1: "∞", 0: "0", 604800000: "7d", 3600000: "1h", 5400000: "90m", 90000: "90s", 1500: "1s", 250: "250ms", 172800000: "2d",
	} {
		if got := humanDuration(ms); got != want {
			t.Errorf("humanDuration(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestHexDump(t *testing.T) {
	lines := hexDump([]byte("Hello, \x00\x1b[2J\xffworld!!"), 1<<10)
	want := []string{
		"00000000  48 65 6c 6c 6f 2c 20 00  1b 5b 32 4a ff 77 6f 72  |Hello, ..[2J.wor|",
		"00000010  6c 64 21 21                                       |ld!!|",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if n := len(hexDump(make([]byte, 1<<20), 4096)); n != 256 {
		t.Fatalf("limit: %d lines", n)
	}
}

func TestPrettyJSON(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	pal := newJSONPalette(th)
	got := ansi.Strip(strings.Join(prettyJSON([]byte(` {"a":[1,2,{}],"b":{"c":"x,y:z","d":[]},"e":"q\"uote"} `), 1<<20, pal), "\n"))
	want := `{
  "a": [
    1,
    2,
    {}
  ],
  "b": {
    "c": "x,y:z",
    "d": []
  },
  "e": "q\"uote"
}`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Cut mid-value: prints what there is, no panic.
	cut := prettyJSON([]byte(`{"a":"abc`), 1<<20, pal)
	if len(cut) != 2 || ansi.Strip(cut[1]) != `  "a": "abc` {
		t.Fatalf("cut input: %q", cut)
	}
	// Colour themes colour; no-color emits only attributes.
	dark, _ := themes.Get("dark")
	if c := strings.Join(prettyJSON([]byte(`{"a":1}`), 100, newJSONPalette(dark)), ""); !strings.Contains(c, "\x1b[") {
		t.Fatal("dark theme JSON not coloured")
	}
	if c := strings.Join(prettyJSON([]byte(`{"a":1}`), 100, newJSONPalette(themes.Theme{})), ""); strings.ContainsRune(c, 0x1b) {
		t.Fatal("unstyled theme emitted escapes")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want valueKind
	}{
		{nil, kindNull},
		{[]byte{}, kindEmpty},
		{[]byte(`{"a":1}`), kindJSON},
		{[]byte(` [1,2]`), kindJSON},
		{[]byte(`{"a":`), kindText},
		{[]byte("42"), kindText},
		{[]byte("hello\nworld\t!"), kindText},
		{[]byte("héllo wörld"), kindText},
		{[]byte{0x0a, 0x03, 'a', 'b', 'c', 0x10, 0x96, 0x01}, kindBinary},
		{[]byte("a\x00b"), kindBinary},
	} {
		if got := classify(c.in, true); got != c.want {
			t.Errorf("classify(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// FuzzPrettyJSON: whatever the bytes, the printer neither panics nor lets
// a control character or invalid UTF-8 through (styling is off here).
func FuzzPrettyJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}]}`, `{"\u001b":"\x1b[2J"}`, "[\"\xff\"]", `{"a":"`, `]]]}}}`, "{\"x\":\"\u009b\"}"} {
		f.Add([]byte(s))
	}
	pal := newJSONPalette(themes.Theme{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range prettyJSON(b, 1<<16, pal) {
			if !utf8.ValidString(l) {
				t.Fatalf("invalid UTF-8 in %q", l)
			}
			for _, r := range l {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
					t.Fatalf("control %U in %q", r, l)
				}
			}
		}
	})
}
