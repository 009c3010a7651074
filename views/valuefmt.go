package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
)

// Formatting of record values for the detail screen: JSON pretty-printed and
// coloured, text, or a hex dump. Everything here works on untrusted bytes:
// output is sanitised and its size is bounded by renderCap whatever the
// value's size.

// renderCap is how much of a value is formatted for display. Beyond it the
// screen notes the truncation; 256 KB of JSON is thousands of lines already.
const renderCap = 256 << 10

// validateCap bounds the JSON validity check over a whole value (in a Cmd,
// off the event loop); above it only the shape of the start is checked.
const validateCap = 16 << 20

type valueKind int

const (
	kindEmpty valueKind = iota
	kindNull            // a nil value: a tombstone on a compacted topic
	kindJSON
	kindText
	kindBinary
)

func (k valueKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindEmpty:
		return "empty"
	case kindJSON:
		return "json"
	case kindText:
		return "text"
	}
	return "binary"
}

// classify decides how to show a value. full reports whether b is the whole
// value (not a capped prefix).
func classify(b []byte, full bool) valueKind {
	if b == nil {
		return kindNull
	}
	if len(b) == 0 {
		return kindEmpty
	}
	if looksJSON(b) {
		if full && len(b) <= validateCap {
			if json.Valid(b) {
				return kindJSON
			}
		} else {
			return kindJSON // too big to validate: the tolerant printer copes
		}
	}
	if isText(b[:min(len(b), renderCap)]) {
		return kindText
	}
	return kindBinary
}

// looksJSON: an object or array, the only JSON worth pretty-printing.
func looksJSON(b []byte) bool {
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

// isText: mostly printable UTF-8. A few control characters or invalid
// bytes (shown as visible stand-ins) do not make text binary, but a NUL or
// more than 10% of them does: that is a binary format, better read as hex.
func isText(b []byte) bool {
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return false
			}
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				break // cut mid-rune by a cap
			}
			bad++
		} else if r >= 0x80 && r < 0xa0 {
			bad++ // C1 controls
		}
		i += n
	}
	return bad*10 <= len(b)
}

// styleCodes returns the escape codes a style puts around text, so a long
// run of tokens can be coloured by concatenation instead of one Render call
// each. The no-color theme yields empty strings.
func styleCodes(s lipgloss.Style) (pre, post string) {
	out := s.Render("\x00")
	i := strings.IndexByte(out, 0)
	if i < 0 {
		return "", ""
	}
	return out[:i], out[i+1:]
}

type jsonPalette struct {
	key, str, num, lit, punct [2]string
}

func newJSONPalette(t themes.Theme) jsonPalette {
	var p jsonPalette
	p.key[0], p.key[1] = styleCodes(t.JSONKey)
	p.str[0], p.str[1] = styleCodes(t.JSONString)
	p.num[0], p.num[1] = styleCodes(t.JSONNumber)
	p.lit[0], p.lit[1] = styleCodes(t.JSONBool)
	p.punct[0], p.punct[1] = styleCodes(t.JSONPunct)
	return p
}

// Bounded work per record: indentation stops growing past maxIndent levels
// (a 20 KB value nested 10,000 deep made 833 MB of indentation), and the
// output stops at maxPretty bytes with a line saying so.
const (
	maxIndent = 32
	maxPretty = 8 << 20
)

// prettyJSON pretty-prints (two-space indent, at most maxIndent levels
// deep) and colours JSON, returning one string per line, at most about
// maxPretty bytes. It reads at most limit input bytes and never fails:
// malformed input (or a prefix cut mid-token) is printed as far as it goes.
// String contents are sanitised, so an escape sequence hidden in a JSON
// string (raw, or a C1 control encoded in UTF-8) cannot reach the terminal.
func prettyJSON(b []byte, limit int, pal jsonPalette) []string {
	if len(b) > limit {
		b = b[:limit]
	}
	var lines []string
	var sb strings.Builder
	depth, out := 0, 0
	newline := func() {
		out += sb.Len()
		lines = append(lines, sb.String())
		sb.Reset()
		for range min(depth, maxIndent) {
			sb.WriteString("  ")
		}
	}
	emit := func(c [2]string, s string) {
		sb.WriteString(c[0])
		sb.WriteString(s)
		sb.WriteString(c[1])
	}
	// nextSig returns the index of the next non-space byte at or after i.
	nextSig := func(i int) int {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		return i
	}
	for i := 0; i < len(b); {
		if out > maxPretty {
			sb.Reset()
			lines = append(lines, fmt.Sprintf("… (cut here: %d more bytes; the value is too large or too deeply nested to show in full)", len(b)-i))
			return lines
		}
		c := b[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' || c == '[':
			j := nextSig(i + 1)
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				emit(pal.punct, string([]byte{c, b[j]}))
				i = j + 1
				continue
			}
			emit(pal.punct, string(c))
			depth++
			newline()
			i++
		case c == '}' || c == ']':
			depth = max(0, depth-1)
			newline()
			emit(pal.punct, string(c))
			i++
		case c == ',':
			emit(pal.punct, ",")
			newline()
			i++
		case c == ':':
			emit(pal.punct, ":")
			sb.WriteByte(' ')
			i++
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(b))
			col := pal.str
			if k := nextSig(end); k < len(b) && b[k] == ':' {
				col = pal.key
			}
			emit(col, ui.SanitizeBytes(b[i:end]))
			i = end
		default:
			j := i
			for j < len(b) && !strings.ContainsRune(" \t\r\n,:{}[]\"", rune(b[j])) {
				j++
			}
			if j == i {
				j = i + 1
			}
			tok := b[i:j]
			col := pal.num
			switch string(tok) {
			case "true", "false", "null":
				col = pal.lit
			}
			emit(col, ui.SanitizeBytes(tok))
			i = j
		}
	}
	if sb.Len() > 0 {
		lines = append(lines, sb.String())
	}
	// Drop lines holding only indentation (a cut at a line break).
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) == "" {
		lines = lines[:n-1]
	}
	return lines
}

// textLines sanitises text for display, keeping its line breaks.
func textLines(b []byte, limit int) []string {
	if len(b) > limit {
		b = b[:limit]
	}
	return strings.Split(ui.SanitizeMultiline(string(b)), "\n")
}

// hexDump renders b in the classic layout: offset, 16 bytes in two groups
// of eight, then printable ASCII with '.' for everything else. Its output is
// pure ASCII whatever b holds.
func hexDump(b []byte, limit int) []string {
	if len(b) > limit {
		b = b[:limit]
	}
	const hexdig = "0123456789abcdef"
	lines := make([]string, 0, (len(b)+15)/16)
	buf := make([]byte, 0, 80)
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		buf = buf[:0]
		buf = fmt.Appendf(buf, "%08x  ", off)
		for i := range 16 {
			if i < len(row) {
				buf = append(buf, hexdig[row[i]>>4], hexdig[row[i]&0xf], ' ')
			} else {
				buf = append(buf, "   "...)
			}
			if i == 7 {
				buf = append(buf, ' ')
			}
		}
		buf = append(buf, " |"...)
		for _, c := range row {
			if c >= 0x20 && c < 0x7f {
				buf = append(buf, c)
			} else {
				buf = append(buf, '.')
			}
		}
		buf = append(buf, '|')
		lines = append(lines, string(buf))
	}
	return lines
}
