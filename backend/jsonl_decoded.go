package backend

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/twmb/franz-go/pkg/kgo"
)

// AppendDecodedRecordJSON is AppendRecordJSON with the key and value as
// the decoder made them: a structured key or value (Avro, Protobuf, JSON
// Schema, JSON) is embedded as JSON, text is a string, binary is base64
// (or hex when chosen) with key_encoding/value_encoding. Beside each:
// key_format/value_format, and for registry-framed records
// key_schema_id/value_schema_id and key_subject/value_subject. When a
// schema decoder failed, key_reasons/value_reasons list why, one line per
// decoder tried. A null key or value is null with no other field.
func AppendDecodedRecordJSON(dst []byte, r *kgo.Record, key, value *decode.Result) []byte {
	dst = appendRecordHead(dst, r)
	dst = appendDecodedField(dst, "key", r.Key, key)
	dst = appendDecodedField(dst, "value", r.Value, value)
	return appendRecordTail(dst, r)
}

func appendDecodedField(dst []byte, name string, b []byte, res *decode.Result) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	if b == nil || res == nil || res.Format == decode.FormatNull {
		return append(dst, "null"...)
	}
	attr := func(suffix string) []byte {
		d := append(dst, ',', '"')
		d = append(d, name...)
		d = append(d, '_')
		d = append(d, suffix...)
		return append(d, '"', ':')
	}
	switch {
	case res.Format.Structured():
		dst = append(dst, res.JSON...)
	case res.Format == decode.FormatText:
		dst = decode.AppendString(dst, b)
	default:
		enc := res.Encoding
		if enc != "hex" {
			enc = "base64"
		}
		dst = append(dst, '"')
		if enc == "hex" {
			dst = hex.AppendEncode(dst, b)
		} else {
			dst = base64.StdEncoding.AppendEncode(dst, b)
		}
		dst = append(dst, '"')
		dst = attr("encoding")
		dst = append(dst, '"')
		dst = append(dst, enc...)
		dst = append(dst, '"')
	}
	dst = attr("format")
	dst = append(dst, '"')
	dst = append(dst, res.Format...)
	dst = append(dst, '"')
	if res.SchemaID > 0 {
		dst = attr("schema_id")
		dst = strconv.AppendInt(dst, int64(res.SchemaID), 10)
		if res.Subject != "" {
			dst = attr("subject")
			dst = appendJSONString(dst, res.Subject)
		}
	}
	if failed := schemaFailures(res); len(failed) > 0 {
		dst = attr("reasons")
		dst = append(dst, '[')
		for i, a := range failed {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, a)
		}
		dst = append(dst, ']')
	}
	return dst
}

// schemaFailures are the reasons worth printing: those of schema
// decoders (registry, wire format, Avro, Protobuf, JSON Schema, local
// schemas), not "not JSON" or "not text" of a plain value.
func schemaFailures(res *decode.Result) []string {
	var out []string
	for _, a := range res.Tried {
		if a.Decoder == "json" || a.Decoder == "text" {
			continue
		}
		out = append(out, a.String())
	}
	return out
}
