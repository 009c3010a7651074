package ui

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"", ""},
		{"héllo 世界 😀", "héllo 世界 😀"},
		{"\x1b[2J\x1b[H", "␛[2J␛[H"},
		{"\x1b]52;c;aGk=\x07", "␛]52;c;aGk=␇"},   // OSC 52 clipboard write
		{"\x1b]0;pwned\x1b\\", "␛]0;pwned␛\\"},   // window title
		{"a\nb\tc\rd", "a⏎b␉c␍d"},                // one line: visible stand-ins
		{"del\x7f", "del␡"},                      // DEL
		{"\u009b31m", "\ufffd31m"},               // C1 CSI
		{"\u0085next", "\ufffdnext"},             // C1 NEL
		{"abc\u202Egnp.exe", "abc\ufffdgnp.exe"}, // RLO bidi override
		{"\u2066x\u2069", "\ufffdx\ufffd"},       // isolates
		{"a\u200Bb\uFEFF", "a\ufffdb\ufffd"},     // zero-width space, BOM
		{"tag\U000E0041", "tag\ufffd"},           // tag character
		{"bad\xff\xfe", "bad\ufffd\ufffd"},       // invalid UTF-8, one per byte
		{"cut\xe4\xb8", "cut\ufffd\ufffd"},       // truncated sequence
		{"\xc0\xaf", "\ufffd\ufffd"},             // overlong encoding
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"},   // encoded surrogate
		{"ok\ufffd", "ok\ufffd"},                 // a real U+FFFD stays
		{"\u2028sep", "\ufffdsep"},               // line separator
		{"\x00nul", "␀nul"},
	}
	for _, c := range cases {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := SanitizeBytes([]byte(c.in)); got != c.want {
			t.Errorf("SanitizeBytes(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := string(AppendSanitized([]byte("x"), []byte(c.in))); got != "x"+c.want {
			t.Errorf("AppendSanitized(%q) = %q, want %q", c.in, got, "x"+c.want)
		}
	}
}

func TestSanitizeMultiline(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a\nb", "a\nb"},
		{"a\r\nb", "a\nb"},
		{"a\rb", "a␍b"},
		{"\tx", "    x"},
		{"ab\tx", "ab  x"},
		{"世\tx", "世  x"}, // a wide rune takes two columns before the tab stop
		{"a\n\tb", "a\n    b"},
		{"\x1b[31mred\x1b[0m\n", "␛[31mred␛[0m\n"},
	}
	for _, c := range cases {
		if got := SanitizeMultiline(c.in); got != c.want {
			t.Errorf("SanitizeMultiline(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSanitizeCleanInputIsNotCopied(t *testing.T) {
	s := strings.Repeat("clean ascii and ünïcode ", 10)
	if allocs := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); allocs != 0 {
		t.Errorf("Sanitize of clean text allocates %v times", allocs)
	}
}

func TestPreview(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"this is longer", 7, "this is…"},
		{"{\n  \"id\": 1,\n\t\"s\": \"paid\"\n}\n", 40, `{ "id": 1, "s": "paid" }`},
		{"   lead", 10, "lead"},
		{"\x1b[2Jboom", 20, "␛[2Jboom"},
		{"日本語のテキスト", 3, "日本語…"},
		{"bad\xffbyte", 20, "bad\ufffdbyte"},
		{"", 5, ""},
		{"x", 0, "…"},
	}
	for _, c := range cases {
		if got := Preview([]byte(c.in), c.max); got != c.want {
			t.Errorf("Preview(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
		if got := PreviewString(c.in, c.max); got != c.want {
			t.Errorf("PreviewString(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestPreviewDoesNotReadWholeValue(t *testing.T) {
	// A value of 10 MB of whitespace must still stop after O(max) runes.
	big := bytes.Repeat([]byte{' '}, 10<<20)
	copy(big[len(big)-3:], "end")
	if got := Preview(big, 20); got != "…" {
		t.Errorf("Preview(10MB of spaces) = %q, want just the ellipsis", got)
	}
}

// forbidden reports the first rune that must never reach the terminal.
func forbidden(s string, allowNewline bool) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n' && allowNewline:
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return r, true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c:
			return r, true
		case unicode.Is(unicode.Cf, r):
			return r, true
		}
	}
	return 0, false
}

func FuzzSanitize(f *testing.F) {
	for _, seed := range []string{
		"", "plain", "\x1b[31mred\x1b[0m", "\x1b[2J\x1b[H", "\x1b]52;c;ZXZpbA==\x07",
		"\x1b]52;c;ZXZpbA==\x1b\\", "\x1bP+q544e\x1b\\", "\x9b31m", "\xc2\x9b31m",
		"\x1b]8;;http://evil\x07link\x1b]8;;\x07", "\u202egnp.exe", "\u2066\u2069",
		"\xff\xfe\xfd", "\xe4\xb8", "\xed\xa0\x80", "a\r\nb\tc", "\x00\x7f",
		"日本語", "e\u0301", "👨\u200d👩\u200d👧", "\U000E0041\U000E007F",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name  string
			f     func(string) string
			multi bool
		}{{"Sanitize", Sanitize, false}, {"SanitizeMultiline", SanitizeMultiline, true}} {
			out := c.f(s)
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q is not valid UTF-8", c.name, s, out)
			}
			if r, bad := forbidden(out, c.multi); bad {
				t.Fatalf("%s(%q) = %q contains %U", c.name, s, out, r)
			}
			if again := c.f(out); again != out {
				t.Fatalf("%s is not idempotent: %q -> %q -> %q", c.name, s, out, again)
			}
		}
		if b, one := SanitizeBytes([]byte(s)), Sanitize(s); b != one {
			t.Fatalf("SanitizeBytes(%q) = %q, Sanitize = %q", s, b, one)
		}

		for _, max := range []int{0, 1, 7, 64} {
			p := Preview([]byte(s), max)
			if !utf8.ValidString(p) {
				t.Fatalf("Preview(%q, %d) = %q is not valid UTF-8", s, max, p)
			}
			if r, bad := forbidden(p, false); bad {
				t.Fatalf("Preview(%q, %d) = %q contains %U", s, max, p, r)
			}
			if n := utf8.RuneCountInString(strings.TrimSuffix(p, "…")); n > max {
				t.Fatalf("Preview(%q, %d) = %q has %d runes", s, max, p, n)
			}
			if ps := PreviewString(s, max); ps != p {
				t.Fatalf("PreviewString(%q, %d) = %q, Preview = %q", s, max, ps, p)
			}
		}
	})
}

func BenchmarkPreview10MB(b *testing.B) {
	// A 10 MB JSON-ish value: rendering its preview must cost the same as a
	// small one.
	var buf bytes.Buffer
	for buf.Len() < 10<<20 {
		buf.WriteString(`{"order_id":"o-123456","customer":"c-42","amount":123.45,"status":"paid","note":"ünïcödé"},`)
	}
	v := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		_ = Preview(v, 200)
	}
}

func BenchmarkSanitizeBytesRecord(b *testing.B) {
	// The consume -o text path sanitises every record's ~200 B value.
	v := []byte(`{"order_id":"o-123456","customer":"c-42","amount":123.45,"status":"paid","items":[{"sku":"sku-1","qty":2},{"sku":"sku-2","qty":1}],"created":"2026-09-01T12:00:00Z"}`)
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		_ = SanitizeBytes(v)
	}
}

func TestASCIIPrefix(t *testing.T) {
	// The word-at-a-time scan must agree with a byte loop for every byte
	// value at every position of a word.
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			b := []byte("abcdefghijklmnopqrstuvwxyz")
			b[pos] = byte(c)
			want := len(b)
			if c < 0x20 || c >= 0x7f {
				want = pos
			}
			if got := asciiPrefix(b); got != want {
				t.Fatalf("byte %#x at %d: prefix %d, want %d", c, pos, got, want)
			}
			if got := asciiPrefix(string(b)); got != want {
				t.Fatalf("string, byte %#x at %d: prefix %d, want %d", c, pos, got, want)
			}
		}
	}
}

// A key's line breaks stay visible in its preview: "a\nb" is not "a b".
func TestPreviewLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"line1\nline2", 20, "line1⏎line2"},
		{"a b", 10, "a b"},
		{"tab\there", 10, "tab␉here"},
		{"\x1b[2Jx", 10, "␛[2Jx"},
		{"ord-000001", 10, "ord-000001"}, // exactly the width: whole
		{"ord-0000012", 10, "ord-000001…"},
		{strings.Repeat("k", 10000), 5, "kkkkk…"},
	} {
		if got := PreviewLine([]byte(c.in), c.max); got != c.want {
			t.Errorf("PreviewLine(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
