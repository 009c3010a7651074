package ui

import (
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Record bytes are untrusted: a key or value could carry escape sequences
// (clearing the screen, setting the clipboard through OSC 52, rewriting the
// window title), bidi overrides that make text read differently from what it
// is, or invalid UTF-8 that desynchronises width calculations. Everything
// that comes from a record goes through one of the functions below before it
// reaches the terminal.
//
// Replacements, all one cell wide so layouts stay predictable:
//
//	C0 controls U+0000–U+001F   the matching Control Picture, e.g. ESC → ␛, TAB → ␉, CR → ␍
//	LF (one-line functions)     ⏎
//	DEL U+007F                  ␡
//	C1 controls U+0080–U+009F   U+FFFD �
//	format characters (Cf):     U+FFFD �
//	  bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//	  marks (U+200E, U+200F, U+061C), zero-width space/joiners, BOM, soft
//	  hyphen, tag characters (U+E0000–U+E007F, usable to smuggle hidden text)
//	line/paragraph separators U+2028, U+2029, Hangul fillers   U+FFFD �
//	each invalid UTF-8 byte     U+FFFD �
//
// Replacements are visible on purpose: silently dropping a byte would hide
// that the data contains it. Every function is idempotent.

const (
	replacement = '\uFFFD'
	newlineMark = '⏎'
	delMark     = '␡'
	tabWidth    = 4 // SanitizeMultiline expands tabs to this tab stop
)

// Sanitize makes s safe to print on one terminal line.
func Sanitize(s string) string {
	if clean(s, false) {
		return s
	}
	return string(appendSanitized(make([]byte, 0, len(s)+16), s, false))
}

// SanitizeBytes is Sanitize for a byte slice, without converting it first.
func SanitizeBytes(b []byte) string {
	if clean(b, false) {
		return string(b)
	}
	return string(appendSanitized(make([]byte, 0, len(b)+16), b, false))
}

// AppendSanitized appends the one-line sanitised form of b to dst; for
// writers that build output in a reusable buffer.
func AppendSanitized(dst, b []byte) []byte {
	if clean(b, false) {
		return append(dst, b...)
	}
	return appendSanitized(dst, b, false)
}

// SanitizeMultiline is Sanitize for multi-line text (a pretty-printed value):
// it keeps "\n" (and turns "\r\n" into "\n"), expands tabs to spaces, and
// replaces everything else as Sanitize does.
func SanitizeMultiline(s string) string {
	if clean(s, true) {
		return s
	}
	return string(appendSanitized(make([]byte, 0, len(s)+16), s, true))
}

// Preview returns a one-line sanitised preview of b, for a table cell. It
// reads only the start of b, so its cost is O(max) whatever len(b) is: a
// 10 MB value costs no more than a 1 kB one.
//
// The result has at most max runes plus a trailing "…" when b was cut. Runs
// of ASCII whitespace (including newlines and tabs) fold into one space and
// leading/trailing whitespace is dropped, so pretty-printed JSON previews as
// `{ "id": 1, "status": "paid" }`. Other characters are replaced as in
// Sanitize. At most 4*max+64 input runes are read, which bounds the work on
// values made mostly of whitespace.
func Preview(b []byte, max int) string { return preview(b, max) }

// PreviewLine is Preview for identifiers (record keys): whitespace is kept
// as it is, a line break shows as ⏎ (a tab ␉, a CR ␍), so a key holding a
// newline never looks like one holding a space. Like Preview it reads only
// the start of b.
func PreviewLine(b []byte, max int) string {
	if max <= 0 {
		return preview(b, max)
	}
	cut := len(b) > 4*max+64
	if cut {
		b = b[:4*max+64]
	}
	s := SanitizeBytes(b)
	if !cut && textWidth(s) <= max {
		return s
	}
	return ansi.Truncate(s, max, "") + "…"
}

// PreviewString is Preview for a string.
func PreviewString(s string, max int) string { return preview(s, max) }

func preview[T ~string | ~[]byte](b T, max int) string {
	if max <= 0 {
		if len(b) > 0 {
			return "…"
		}
		return ""
	}
	out := make([]byte, 0, min(len(b), 4*max)+len("…"))
	limitIn := 4*max + 64
	var i, nOut, nIn int
	pending := false // whitespace seen since the last emitted rune
	for i < len(b) && nIn < limitIn {
		r, size := decode(b, i)
		nIn++
		if isASCIISpace(r) {
			pending = nOut > 0
			i += size
			continue
		}
		need := 1
		if pending {
			need = 2
		}
		if nOut+need > max {
			break
		}
		if pending {
			out = append(out, ' ')
			pending = false
		}
		out = appendRune(out, r, size, false)
		nOut += need
		i += size
	}
	if i < len(b) {
		out = append(out, "…"...)
	}
	return string(out)
}

func isASCIISpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// unsafeRune reports whether r must not reach the terminal as itself.
// Controls are handled by the caller; this covers the non-ASCII rest.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f: // C1 controls, including CSI U+009B and OSC U+009D
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0: // Hangul fillers: invisible yet "printable"
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// clean reports whether s can be printed as is, so the common case of plain
// text costs one scan and no allocation.
func clean[T ~string | ~[]byte](s T, multi bool) bool {
	i := asciiPrefix(s)
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c == '\n' && multi {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		r, size := decode(s, i)
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// asciiPrefix returns the length of the leading run of printable ASCII,
// eight bytes at a time: this check runs on every record of `consume -o
// text` and every table cell, and nearly all of them are plain.
func asciiPrefix[T ~string | ~[]byte](s T) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		below := (x - 0x20*ones) &^ x & highs // some byte < 0x20
		above := ((x + ones) | x) & highs     // some byte >= 0x7f
		if below|above != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			break
		}
	}
	return i
}

// decode is utf8.DecodeRune for either a string or a byte slice, without
// converting (and so copying) the whole input.
func decode[T ~string | ~[]byte](s T, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[i:])
	return utf8.DecodeRune(buf[:n])
}

func appendSanitized[T ~string | ~[]byte](dst []byte, s T, multi bool) []byte {
	col := 0 // display column in the current line, for tab stops
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		i += size
		if !multi {
			dst = appendRune(dst, r, size, false)
			continue
		}
		switch {
		case r == '\n':
			dst = append(dst, '\n')
			col = 0
		case r == '\r' && i < len(s) && s[i] == '\n':
			// CRLF is a line break like LF.
		case r == '\t':
			n := tabWidth - col%tabWidth
			for range n {
				dst = append(dst, ' ')
			}
			col += n
		default:
			start := len(dst)
			dst = appendRune(dst, r, size, true)
			if r < utf8.RuneSelf {
				col++
			} else {
				_, w := ansi.FirstGraphemeCluster(dst[start:], ansi.WcWidth)
				col += w
			}
		}
	}
	return dst
}

// appendRune appends r, or its visible stand-in. size is the number of input
// bytes r was decoded from: a RuneError of size 1 is an invalid byte.
func appendRune(dst []byte, r rune, size int, multi bool) []byte {
	switch {
	case r == utf8.RuneError && size == 1:
		return utf8.AppendRune(dst, replacement)
	case r == '\n' && !multi:
		return utf8.AppendRune(dst, newlineMark)
	case r < 0x20:
		return utf8.AppendRune(dst, 0x2400+r) // Control Pictures block: ␀…␟
	case r == 0x7f:
		return utf8.AppendRune(dst, delMark)
	case r < utf8.RuneSelf:
		return append(dst, byte(r))
	case unsafeRune(r):
		return utf8.AppendRune(dst, replacement)
	}
	return utf8.AppendRune(dst, r)
}
