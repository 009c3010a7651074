package backend

import (
	"encoding/base64"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// AppendRecordJSON appends one record as a JSON object (no newline) to dst:
// topic, partition, offset, timestamp (RFC3339, ms, UTC), key, value, headers.
// Key and value are JSON strings when they are valid UTF-8, else base64 with
// key_encoding/value_encoding set to "base64"; null when absent. Control
// characters are \u-escaped, so record bytes can never reach a terminal raw.
// Hand-written because reflection-based encoding dominated consume CPU.
func AppendRecordJSON(dst []byte, r *kgo.Record) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendJSONString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = appendInt(dst, int64(r.Partition))
	dst = append(dst, `,"offset":`...)
	dst = appendInt(dst, r.Offset)
	dst = append(dst, `,"timestamp":"`...)
	dst = AppendTime(dst, r.Timestamp)
	dst = append(dst, '"')
	dst = appendBytesField(dst, "key", r.Key)
	dst = appendBytesField(dst, "value", r.Value)
	dst = append(dst, `,"headers":[`...)
	for i, h := range r.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendJSONString(dst, h.Key)
		dst = appendBytesField(dst, "value", h.Value)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// AppendTxnField adds "txn":"committed|aborted|open" to the JSON object
// AppendRecordJSON just appended (dst must end with its closing brace):
// read-uncommitted output labels what became of each transactional record.
func AppendTxnField(dst []byte, st TxnState) []byte {
	if st == TxnNone || len(dst) == 0 || dst[len(dst)-1] != '}' {
		return dst
	}
	dst = append(dst[:len(dst)-1], `,"txn":"`...)
	dst = append(dst, st.String()...)
	return append(dst, '"', '}')
}

// RecordTimeFormat is the timestamp layout of CLI output.
const RecordTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats t as CLI output does.
func FormatTime(t time.Time) string { return string(AppendTime(nil, t)) }

// AppendTime appends t in RecordTimeFormat (UTC, milliseconds). Digits are
// written directly for years 0–9999, the only ones a record timestamp
// (milliseconds since 1970, -1 when absent) gives in practice; others take
// time's own formatter. Consume calls it once per record, where
// AppendFormat was a tenth of the CPU.
func AppendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, RecordTimeFormat)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	var b [24]byte
	put := func(i, v, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return append(dst, b[:]...)
}

func appendBytesField(dst []byte, name string, b []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	switch {
	case b == nil:
		return append(dst, "null"...)
	case utf8.Valid(b):
		return appendJSONBytes(dst, b)
	default:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		dst = append(dst, `","`...)
		dst = append(dst, name...)
		return append(dst, `_encoding":"base64"`...)
	}
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte { return appendJSONBytes(dst, []byte(s)) }

// appendJSONBytes writes valid UTF-8 b as a JSON string, escaping quotes,
// backslashes, C0 controls and DEL, C1 controls, format characters (Cf) and
// U+2028/2029.
func appendJSONBytes(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRune(b[i:])
			// C1 controls, JS line separators and format characters (bidi
			// overrides, zero-width) are escaped: JSON lines are often read
			// on a terminal, where they could reorder or hide text.
			if r == '\u2028' || r == '\u2029' || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
				dst = append(dst, b[start:i]...)
				if r > 0xffff { // tag characters: a surrogate pair
					r1, r2 := utf16.EncodeRune(r)
					dst = appendU(dst, r1)
					r = r2
				}
				dst = appendU(dst, r)
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
	dst = append(dst, b[start:]...)
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
