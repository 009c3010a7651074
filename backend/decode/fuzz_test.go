package decode

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/hamba/avro/v2"
)

// Fuzz targets: garbage bytes and garbage schemas must never panic, and
// whatever decodes must be valid, one-line, terminal-safe JSON. `go test`
// runs the seeds; `go test -fuzz FuzzX ./backend/decode/` explores.

// checkSafe fails if out is not valid JSON or could put a control
// character, escape sequence or bidi override on a terminal.
func checkSafe(t *testing.T, out []byte) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("not valid JSON: %q", out)
	}
	for i := 0; i < len(out); {
		c := out[i]
		if c < 0x20 || c == 0x7f {
			t.Fatalf("raw control byte 0x%02x at %d in %q", c, i, out)
		}
		if c < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(out[i:])
		if (r == utf8.RuneError && n == 1) || needsEscape(r) {
			t.Fatalf("unsafe rune %U at %d in %q", r, i, out)
		}
		i += n
	}
}

func FuzzParseWire(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 1, 4, 2, 0})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, payload, err := ParseHeader(b)
		if err != nil {
			return
		}
		if id < 0 || len(payload) != len(b)-headerLen {
			t.Fatalf("id %d payload %d of %d", id, len(payload), len(b))
		}
		idx, rest, err := ParseIndexes(payload, headerLen)
		if err == nil && (len(idx) == 0 || len(rest) > len(payload)) {
			t.Fatalf("idx %v rest %d", idx, len(rest))
		}
	})
}

func FuzzAvroPayload(f *testing.F) {
	s, err := compileAvro(shipmentV2, nil)
	if err != nil {
		f.Fatal(err)
	}
	good, err := avro.Marshal(avro.MustParse(shipmentV2), shipmentDatum())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:7])
	f.Add([]byte{0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := decodeAvro(nil, s, b, 0, nil)
		if err == nil {
			checkSafe(t, out)
		}
		sel, err := decodeAvro(nil, s, b, 0, SelectPaths([][]string{{"dest", "city"}, {"status"}}))
		if err == nil {
			checkSafe(t, sel)
		}
	})
}

func FuzzAvroSchema(f *testing.F) {
	f.Add(shipmentV2, []byte{2, 'a', 0})
	f.Add(`{"type":"record","name":"N","fields":[{"name":"n","type":["null","N"]}]}`, []byte{2, 2, 0})
	f.Add(`{"type":"map","values":{"type":"array","items":"bytes"}}`, []byte{2, 2, 'k', 1, 2, 2, 0, 0})
	f.Add(`{"type":"fixed","name":"F","size":3,"logicalType":"decimal","precision":5,"scale":2}`, []byte{1, 2, 3})
	f.Add(`["null",{"type":"enum","name":"E","symbols":["A"]}]`, []byte{2, 0})
	f.Add(`{"type":"int","logicalType":"date"}`, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f})
	f.Add(`{"type":"long","logicalType":"timestamp-micros"}`, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(`{"type":"long","logicalType":"local-timestamp-millis"}`, []byte{0x01})
	f.Add(`{"type":"bytes","logicalType":"decimal","precision":30,"scale":4}`, []byte{18, 0x80, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, schema string, b []byte) {
		s, err := compileAvro(schema, nil)
		if err != nil {
			return
		}
		if out, err := decodeAvro(nil, s, b, 0, nil); err == nil {
			checkSafe(t, out)
		}
	})
}

func FuzzProtoPayload(f *testing.F) {
	pf, err := compileProto(context.Background(), stockProto, map[string]string{"demo/common/money.proto": moneyProto})
	if err != nil {
		f.Fatal(err)
	}
	md, err := pf.message([]int{1})
	if err != nil {
		f.Fatal(err)
	}
	good := stockMessage(f, md)
	f.Add(good)
	f.Add(good[:5])
	f.Add([]byte{0x08, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := decodeProto(nil, md, b, 0); err == nil {
			checkSafe(t, out)
		}
	})
}

func FuzzProtoSchema(f *testing.F) {
	f.Add(stockProto, []byte{0x0a, 0x01, 'x'})
	f.Add("syntax = \"proto2\"; message A { optional group G = 1 { optional int32 x = 2; } }", []byte{0x0b, 0x10, 0x01, 0x0c})
	f.Add("syntax = \"proto3\"; message A { map<string, A> m = 1; oneof o { bytes b = 2; double d = 3; } }", []byte{0x12, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, schema string, b []byte) {
		pf, err := compileProto(context.Background(), schema, nil)
		if err != nil {
			return
		}
		md, err := pf.message([]int{0})
		if err != nil {
			return
		}
		if out, err := decodeProto(nil, md, b, 0); err == nil {
			checkSafe(t, out)
		}
	})
}

func FuzzCompactJSON(f *testing.F) {
	f.Add([]byte(`{"a" : [1, "x\u2028"], "b":{"c":null}}`))
	f.Add([]byte("[\"\x7f\xe2\x80\xae\xff\"]"))
	f.Add([]byte(`"\\\""`))
	for _, s := range []string{` [ ] `, `{}`, `-0.5e+3`, `01`, `1.`, `-`, `1e`, `tru`, `nul`, `"\u12`, `"\uzzzz"`, `"\x"`, "\"\x01\"",
		`[1,]`, `{"a"}`, `{"a":}`, `{,}`, `[1 2]`, `{"a":1 "b":2}`, "\xff", `"a" "b"`, `[[[[]]]]`, `[[[[]]]`, `{"a":[{"b":{}}]}`, `""`, `  `, `true false`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := AppendCompactJSON(nil, b)
		if json.Valid(b) != (err == nil) {
			t.Fatalf("encoding/json valid %v but err %v", json.Valid(b), err)
		}
		if err != nil {
			return
		}
		checkSafe(t, out) // whatever is accepted comes out valid and safe
		var x, y any
		if json.Valid(b) && (json.Unmarshal(b, &x) != nil || json.Unmarshal(out, &y) != nil || !reflect.DeepEqual(x, y)) {
			t.Fatalf("compaction changed the value: %q -> %q", b, out)
		}
		if want := twoPassCompact(b); !bytes.Equal(out, want) {
			t.Fatalf("one pass %q, two passes %q, input %q", out, want, b)
		}
	})
}

// twoPassCompact is the compactor before the one-pass scanner, kept as
// the oracle: encoding/json validates, then a second pass copies.
func twoPassCompact(src []byte) []byte {
	var dst []byte
	inStr := false
	start := 0
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
			i += 2
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

func FuzzDecodeAuto(f *testing.F) {
	d, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte{0, 0, 0, 0, 3, 1})
	f.Add([]byte("text\x1b[2J"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := d.Decode(context.Background(), "t", false, b, nil)
		if r.Format.Structured() {
			checkSafe(t, r.JSON)
		} else if r.JSON != nil {
			t.Fatalf("%s with JSON", r.Format)
		}
	})
}

// Whatever JSON the encoder accepts decodes again, and re-encodes to the
// same bytes.
func FuzzEncodeAvro(f *testing.F) {
	s, err := compileAvro(shipmentV2, nil)
	if err != nil {
		f.Fatal(err)
	}
	enc := &Encoder{id: 1, avro: s}
	good, _ := avro.Marshal(avro.MustParse(shipmentV2), shipmentDatum())
	js, _ := decodeAvro(nil, s, good, 0, nil)
	f.Add(js)
	f.Add([]byte(`{"shipment_id":"x"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := enc.Encode(nil, in)
		if err != nil {
			return
		}
		out, err := decodeAvro(nil, s, b[headerLen:], headerLen, nil)
		if err != nil {
			t.Fatalf("encoded %q does not decode: %v", in, err)
		}
		checkSafe(t, out)
		b2, err := enc.Encode(nil, out)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding %s: %v", out, err)
		}
	})
}
