package backend

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/twmb/franz-go/pkg/kgo"
)

// AppendRecordJSON appends one record as a JSON object (no newline) to dst:
// topic, partition, offset, timestamp (RFC3339, ms, UTC), key, value, headers.
// Key and value are JSON strings when they are valid UTF-8, else base64 with
// key_encoding/value_encoding set to "base64"; null when absent. Control
// characters are \u-escaped, so record bytes can never reach a terminal raw.
// Hand-written because reflection-based encoding dominated consume CPU.
func AppendRecordJSON(dst []byte, r *kgo.Record) []byte {
	dst = appendRecordHead(dst, r)
	dst = appendBytesField(dst, "key", r.Key)
	dst = appendBytesField(dst, "value", r.Value)
	return appendRecordTail(dst, r)
}

// appendRecordHead opens a record's JSON object: topic, partition,
// offset, timestamp. The record writers add key and value, then
// appendRecordTail.
func appendRecordHead(dst []byte, r *kgo.Record) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendJSONString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":"`...)
	dst = AppendTime(dst, r.Timestamp)
	return append(dst, '"')
}

// appendRecordTail adds the headers and closes the object.
func appendRecordTail(dst []byte, r *kgo.Record) []byte {
	dst = append(dst, `,"headers":`...)
	dst = AppendHeadersJSON(dst, r.Headers)
	return append(dst, '}')
}

// AppendHeadersJSON appends headers as a JSON array of {"key","value"}
// objects; a value is a string when it is valid UTF-8, else base64 with
// "value_encoding":"base64", null when absent.
func AppendHeadersJSON(dst []byte, hs []kgo.RecordHeader) []byte {
	dst = append(dst, '[')
	for i, h := range hs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendJSONString(dst, h.Key)
		dst = appendBytesField(dst, "value", h.Value)
		dst = append(dst, '}')
	}
	return append(dst, ']')
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
		return decode.AppendString(dst, b)
	default:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		dst = append(dst, `","`...)
		dst = append(dst, name...)
		return append(dst, `_encoding":"base64"`...)
	}
}

// appendJSONString writes s as a JSON string, terminal-safe
// (decode.AppendString: controls, C1, format characters and U+2028/2029
// escaped; invalid UTF-8 becomes U+FFFD).
func appendJSONString(dst []byte, s string) []byte { return decode.AppendString(dst, []byte(s)) }
