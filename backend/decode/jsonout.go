package decode

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
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
func AppendCompactJSON(dst, src []byte) ([]byte, error) {
	if err := validJSON(src); err != nil {
		return dst, err
	}
	return appendCompactValid(dst, src), nil
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
	var v any
	err := json.Unmarshal(src, &v)
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	if err == nil { // cannot happen: Valid said no
		return fmt.Errorf("invalid JSON")
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// appendCompactValid compacts already validated JSON in one pass.
func appendCompactValid(dst, src []byte) []byte {
	inStr := false
	start := 0 // start of the pending run to copy
	for i := 0; i < len(src); {
		c := src[i]
		if !inStr {
			switch c {
			case ' ', '\t', '\n', '\r':
				dst = append(dst, src[start:i]...)
				i++
				start = i
				continue
			case '"':
				inStr = true
			}
			i++
			continue
		}
		switch {
		case c == '\\':
			i += 2 // an escape: the next byte is never the closing quote
		case c == '"':
			inStr = false
			i++
		case c == 0x7f:
			dst = append(dst, src[start:i]...)
			dst = append(dst, `\u007f`...)
			i++
			start = i
		case c < 0x80:
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, src[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			if needsEscape(r) {
				dst = append(dst, src[start:i]...)
				dst = appendRuneEscape(dst, r)
				i += size
				start = i
				continue
			}
			i += size
		}
	}
	return append(dst, src[start:]...)
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
