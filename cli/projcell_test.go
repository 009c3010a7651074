package cli

import (
	"math/rand"
	"testing"
	"unicode/utf8"
)

// TestAppendCell: the word-at-a-time printable-ASCII scan agrees with a
// byte-by-byte one for every byte value at every position of a word, and
// appendCell's width is the rune count of what it wrote, which is safe.
func TestAppendCell(t *testing.T) {
	slow := func(b []byte) int {
		i := 0
		for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
			i++
		}
		return i
	}
	for c := range 256 {
		for pos := range 19 {
			b := []byte("abcdefghijklmnopqrs")
			b[pos] = byte(c)
			if got, want := printableASCII(b), slow(b); got != want {
				t.Fatalf("byte %#x at %d: %d, want %d", c, pos, got, want)
			}
		}
	}
	r := rand.New(rand.NewSource(1))
	for range 20000 {
		b := make([]byte, r.Intn(40))
		for i := range b {
			b[i] = byte(0x20 + r.Intn(0x5f))
			if r.Intn(8) == 0 {
				b[i] = byte(r.Intn(256))
			}
		}
		if got, want := printableASCII(b), slow(b); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
		out, w := appendCell([]byte("x"), b)
		if w != utf8.RuneCount(out)-1 {
			t.Fatalf("%q: width %d, wrote %q", b, w, out[1:])
		}
		for _, c := range out {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("%q: control byte %#x in %q", b, c, out)
			}
		}
		if string(out[1:]) != cell(string(b)) {
			t.Fatalf("%q: appendCell %q, cell %q", b, out[1:], cell(string(b)))
		}
	}
}
