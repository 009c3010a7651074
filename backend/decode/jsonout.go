package decode

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// JSON produced here is one line and terminal-safe: record data can never
// put a raw control character, escape sequence, bidi override or line
// separator on a terminal, even when the JSON is printed as is.

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Quotes, backslashes, C0 and C1
// controls, DEL, format characters (Cf: bidi overrides, zero-width) and
// U+2028/2029 are escaped; invalid UTF-8 becomes U+FFFD.
func AppendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s)
	return append(dst, '"')
}

func appendStringBody(dst, b []byte) []byte {
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, b[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			if needsEscape(r) {
				dst = append(dst, b[start:i]...)
				dst = appendRuneEscape(dst, r)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, b[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	return append(dst, b[start:]...)
}

// needsEscape: non-ASCII runes that must not reach a terminal raw.
func needsEscape(r rune) bool {
	return r == '\u2028' || r == '\u2029' || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r)
}

func appendRuneEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		dst = appendU(dst, r1)
		r = r2
	}
	return appendU(dst, r)
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// AppendCompactJSON validates src as one JSON document and appends it
// compacted (no insignificant whitespace) and made terminal-safe: inside
// strings DEL, C1 controls, format characters and U+2028/2029 are
// \u-escaped and invalid UTF-8 becomes \ufffd. On invalid JSON dst is
// returned unchanged with an error naming the byte offset.
//
// Validation, compaction and escaping are one pass over src: consume
// prints every JSON value through here, and two passes (encoding/json's
// Valid, then a compactor) were half of its CPU.
func AppendCompactJSON(dst, src []byte) ([]byte, error) {
	out, ok := appendCompact(dst, src)
	if !ok {
		// Rare: let encoding/json say where and why.
		return dst, jsonError(src)
	}
	return out, nil
}

// validJSON reports whether src is one JSON document, with the position of
// the first error. gjson's validator is several times faster than
// encoding/json's on the consume path; encoding/json only locates errors.
// (gjson lets invalid UTF-8 and raw DEL through: the compaction pass
// replaces and escapes them.)
func validJSON(src []byte) error {
	if gjson.ValidBytes(src) {
		return nil
	}
	return jsonError(src)
}

// jsonError locates why src is not JSON, with encoding/json.
func jsonError(src []byte) error {
	var v any
	err := json.Unmarshal(src, &v)
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	if err == nil { // cannot happen: the validator said no (the fuzz test holds them to the same answer)
		return fmt.Errorf("invalid JSON")
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// maxJSONDepth is encoding/json's nesting limit: what it refuses, so do we.
const maxJSONDepth = 10000

// strPlain[c]: byte c inside a JSON string is copied as is (printable
// ASCII other than the quote and the backslash).
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// isHex[c]: c is a hex digit.
var isHex = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = true
	}
	return t
}()

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// special8 reports whether any of the eight bytes in x is not strPlain: a
// control byte, '"', '\\', DEL or a byte of a multi-byte rune. (The
// zero-byte tests may flag a plain byte next to a special one, never miss
// one: the byte loop decides.)
func special8(x uint64) bool {
	zero := func(v uint64) uint64 { return (v - lsb8) & ^v & msb8 }
	return (x&msb8 | (x-lsb8*0x20)&^x&msb8 | zero(x^(lsb8*'"')) | zero(x^(lsb8*'\\')) | zero(x^(lsb8*0x7f))) != 0
}

// scanString scans the JSON string whose opening quote is at src[i],
// copying to dst in runs from run; it returns the position after the
// closing quote. A function of its own: the hot loop keeps its state in
// registers.
func scanString(dst, src []byte, i, run int) (_ []byte, _, _ int, ok bool) {
	i++
	for {
		// Eight bytes at a time while none needs a look (SWAR), then
		// byte by byte.
		for i+8 <= len(src) && !special8(binary.LittleEndian.Uint64(src[i:])) {
			i += 8
		}
		for i < len(src) && strPlain[src[i]] {
			i++
		}
		if i >= len(src) {
			return dst, i, run, false
		}
		switch c := src[i]; {
		case c == '"':
			return dst, i + 1, run, true
		case c == '\\':
			if i+1 >= len(src) {
				return dst, i, run, false
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(src) || !isHex[src[i+2]] || !isHex[src[i+3]] || !isHex[src[i+4]] || !isHex[src[i+5]] {
					return dst, i, run, false
				}
				i += 6
			default:
				return dst, i, run, false
			}
		case c < 0x20:
			return dst, i, run, false
		case c == 0x7f:
			dst = append(dst, src[run:i]...)
			dst = append(dst, `\u007f`...)
			i++
			run = i
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, src[run:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				run = i
				continue
			}
			if needsEscape(r) {
				dst = append(dst, src[run:i]...)
				dst = appendRuneEscape(dst, r)
				run = i + size
			}
			i += size
		}
	}
}

// appendCompact is the one pass behind AppendCompactJSON: a validating
// scanner (the grammar encoding/json accepts, invalid UTF-8 inside strings
// included) that copies src to dst in runs, dropping whitespace between
// tokens and escaping what must not reach a terminal. ok is false on
// invalid JSON (dst is then garbage beyond its original length).
func appendCompact(dst, src []byte) (_ []byte, ok bool) {
	var stackBuf [32]byte
	stack := stackBuf[:0] // open containers: '{' or '['
	n := len(src)
	i, run := 0, 0 // run: start of the bytes not yet copied to dst
	// ws skips whitespace at i, leaving it out of the copy.
	ws := func() {
		if i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			dst = append(dst, src[run:i]...)
			for i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
				i++
			}
			run = i
		}
	}
	// str scans the string whose opening quote is at i.
	str := func() bool {
		var ok bool
		dst, i, run, ok = scanString(dst, src, i, run)
		return ok
	}
	digits := func() bool {
		s := i
		for i < n && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		return i > s
	}
	num := func() bool {
		if src[i] == '-' {
			i++
		}
		switch {
		case i < n && src[i] == '0':
			i++
		case i < n && src[i] >= '1' && src[i] <= '9':
			digits()
		default:
			return false
		}
		if i < n && src[i] == '.' {
			i++
			if !digits() {
				return false
			}
		}
		if i < n && (src[i] == 'e' || src[i] == 'E') {
			i++
			if i < n && (src[i] == '+' || src[i] == '-') {
				i++
			}
			if !digits() {
				return false
			}
		}
		return true
	}
	lit := func(word string) bool {
		if n-i < len(word) || string(src[i:i+len(word)]) != word {
			return false
		}
		i += len(word)
		return true
	}
	// key scans an object member's name and its colon.
	key := func() bool {
		ws()
		if i >= n || src[i] != '"' || !str() {
			return false
		}
		ws()
		if i >= n || src[i] != ':' {
			return false
		}
		i++
		return true
	}

value:
	ws()
	if i >= n {
		return dst, false
	}
	switch c := src[i]; {
	case c == '{' || c == '[':
		if len(stack) >= maxJSONDepth {
			return dst, false
		}
		stack = append(stack, c)
		i++
		ws()
		if i < n && src[i] == c+2 { // '}' and ']' are two past '{' and '['
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		if c == '{' && !key() {
			return dst, false
		}
		goto value
	case c == '"':
		if !str() {
			return dst, false
		}
	case c == '-' || c >= '0' && c <= '9':
		if !num() {
			return dst, false
		}
	case c == 't':
		if !lit("true") {
			return dst, false
		}
	case c == 'f':
		if !lit("false") {
			return dst, false
		}
	case c == 'n':
		if !lit("null") {
			return dst, false
		}
	default:
		return dst, false
	}

after:
	ws()
	if len(stack) == 0 {
		if i != n {
			return dst, false
		}
		return append(dst, src[run:]...), true
	}
	if i >= n {
		return dst, false
	}
	top := stack[len(stack)-1]
	switch c := src[i]; {
	case c == ',':
		i++
		if top == '{' && !key() {
			return dst, false
		}
		goto value
	case c == top+2:
		i++
		stack = stack[:len(stack)-1]
		goto after
	}
	return dst, false
}

// looksLikeJSONDoc: the first non-space byte opens an object or array, the
// only JSON auto-detection treats as JSON (a bare 42 or "x" is text).
func looksLikeJSONDoc(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}
