package decode

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
)

const shipmentV2 = `{
  "type": "record", "name": "Shipment", "namespace": "demo.logistics",
  "fields": [
    {"name": "shipment_id", "type": "string"},
    {"name": "weight_kg", "type": "double"},
    {"name": "pieces", "type": "int"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["CREATED", "IN_TRANSIT", "DELIVERED"]}},
    {"name": "carrier", "type": ["null", "string"], "default": null},
    {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
    {"name": "dest", "type": {"type": "record", "name": "Address", "fields": [
      {"name": "city", "type": "string"}, {"name": "zip", "type": "string"}]}},
    {"name": "origin", "type": "Address"},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
    {"name": "ratio", "type": "float"},
    {"name": "fragile", "type": "boolean"},
    {"name": "note", "type": "bytes"}
  ]}`

func shipmentDatum() map[string]any {
	return map[string]any{
		"shipment_id": "shp-1\u202e\"x",
		"weight_kg":   12.5,
		"pieces":      3,
		"status":      "IN_TRANSIT",
		"carrier":     "dhl",
		"created":     time.UnixMilli(1767225600123).UTC(),
		"day":         time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"price":       big.NewRat(-12345, 100),
		"dest":        map[string]any{"city": "Lyon", "zip": "69001"},
		"origin":      map[string]any{"city": "Gent", "zip": "9000"},
		"tags":        []any{"a", "b"},
		"attrs":       map[string]any{"k": int64(7)},
		"hash":        [4]byte{1, 2, 3, 4},
		"ratio":       float32(0.25),
		"fragile":     true,
		"note":        []byte{0, 1, 2},
	}
}

func mustAvro(t testing.TB, schema string, v any) ([]byte, *avroSchema) {
	t.Helper()
	hs, err := avro.Parse(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := avro.Marshal(hs, v)
	if err != nil {
		t.Fatal(err)
	}
	s, err := compileAvro(schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

func TestAvroTranscodesEveryType(t *testing.T) {
	b, s := mustAvro(t, shipmentV2, shipmentDatum())
	out, err := decodeAvro(nil, s, b, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"shipment_id":"shp-1\u202e\"x","weight_kg":12.5,"pieces":3,"status":"IN_TRANSIT","carrier":"dhl",` +
		`"created":"2026-01-01T00:00:00.123Z","day":"2026-01-02","price":-123.45,` +
		`"dest":{"city":"Lyon","zip":"69001"},"origin":{"city":"Gent","zip":"9000"},"tags":["a","b"],"attrs":{"k":7},` +
		`"hash":"AQIDBA==","ratio":0.25,"fragile":true,"note":"AAEC"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if !json.Valid(out) {
		t.Fatal("not valid JSON")
	}
	if s.name != "demo.logistics.Shipment" {
		t.Fatalf("name %q", s.name)
	}
}

func TestAvroNullUnionAndSelection(t *testing.T) {
	d := shipmentDatum()
	d["carrier"] = nil
	b, s := mustAvro(t, shipmentV2, d)
	out, err := decodeAvro(nil, s, b, 0, SelectPaths([][]string{{"carrier"}, {"dest", "city"}, {"weight_kg"}}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"weight_kg":12.5,"carrier":null,"dest":{"city":"Lyon"}}`; string(out) != want {
		t.Fatalf("got %s want %s", out, want)
	}
}

// Every truncation of a valid datum is an error naming a byte, never a
// panic or a silently short value; extra bytes are an error too.
func TestAvroTruncatedAndTrailing(t *testing.T) {
	b, s := mustAvro(t, shipmentV2, shipmentDatum())
	for n := 0; n < len(b); n++ {
		_, err := decodeAvro(nil, s, b[:n], 5, nil)
		if err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(b))
		}
		if !strings.Contains(err.Error(), "at byte") {
			t.Fatalf("truncated to %d: reason names no byte: %v", n, err)
		}
	}
	_, err := decodeAvro(nil, s, append(append([]byte{}, b...), 9, 9), 0, nil)
	if err == nil || !strings.Contains(err.Error(), "2 bytes left") {
		t.Fatalf("trailing bytes: %v", err)
	}
	_, err = decodeAvro(nil, s, b[:3], 5, nil)
	if err == nil || !strings.Contains(err.Error(), "payload ends early at byte 8") || !strings.Contains(err.Error(), "reading a string of 10 bytes (in shipment_id)") {
		t.Fatalf("want the byte and the field, got %v", err)
	}
}

func TestAvroHostileCounts(t *testing.T) {
	// An array of nulls claiming 2^40 items must stop at the item cap, not
	// spin: null items take no bytes.
	s, err := compileAvro(`{"type":"array","items":"null"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01} // zigzag varint, big
	if _, err := decodeAvro(nil, s, payload, 0, nil); err == nil || !strings.Contains(err.Error(), "items") {
		t.Fatalf("want an item-cap error, got %v", err)
	}
	// A recursive schema with a deep payload hits the depth cap.
	rs, err := compileAvro(`{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	deep := make([]byte, 0, 1000)
	for range 999 {
		deep = append(deep, 2) // union branch 1: another N
	}
	deep = append(deep, 0)
	if _, err := decodeAvro(nil, rs, deep, 0, nil); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Fatalf("want a depth error, got %v", err)
	}
	// A short recursive chain decodes.
	out, err := decodeAvro(nil, rs, []byte{2, 2, 0}, 0, nil)
	if err != nil || string(out) != `{"next":{"next":{"next":null}}}` {
		t.Fatalf("recursive: %s %v", out, err)
	}
}

// Two versions that both define demo.logistics.Shipment compile apart: no
// shared name cache.
func TestAvroVersionsDoNotShareNames(t *testing.T) {
	v1 := `{"type":"record","name":"Shipment","namespace":"demo.logistics","fields":[{"name":"shipment_id","type":"string"}]}`
	s1, err := compileAvro(v1, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := compileAvro(shipmentV2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1.root.fields) != 1 || len(s2.root.fields) != 16 {
		t.Fatalf("fields: v1 %d v2 %d", len(s1.root.fields), len(s2.root.fields))
	}
}

func TestAvroReferences(t *testing.T) {
	addr := `{"type":"record","name":"Address","namespace":"demo","fields":[{"name":"city","type":"string"}]}`
	main := `{"type":"record","name":"Customer","namespace":"demo","fields":[{"name":"home","type":"demo.Address"}]}`
	s, err := compileAvro(main, []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeAvro(nil, s, []byte{4, 'P', 'a'}, 0, nil)
	if err != nil || string(out) != `{"home":{"city":"Pa"}}` {
		t.Fatalf("%s %v", out, err)
	}
	if _, err := compileAvro(main, nil); err == nil {
		t.Fatal("a missing reference must not compile")
	}
}

func TestAppendDecimal(t *testing.T) {
	for _, c := range []struct {
		b     []byte
		scale int
		want  string
	}{
		{[]byte{0x30, 0x39}, 2, "123.45"},
		{[]byte{0xcf, 0xc7}, 2, "-123.45"},
		{[]byte{0x05}, 3, "0.005"},
		{[]byte{0xff}, 0, "-1"},
		{nil, 2, "0"},
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 0}, 4, "-922337203685477.5808"},
		{[]byte{0x00, 0x80, 0, 0, 0, 0, 0, 0, 0}, 0, "9223372036854775808"},
		{[]byte{0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1, "-922337203685477580.9"},
	} {
		if got := string(appendDecimal(nil, c.b, c.scale)); got != c.want {
			t.Errorf("%x scale %d: got %s want %s", c.b, c.scale, got, c.want)
		}
	}
}

// The int64 fast path and the digit-by-digit timestamps agree with
// big.Int and time.Format.
func TestFastPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		scale := rng.IntN(6)
		v := new(big.Int).SetBytes(b)
		if b[0]&0x80 != 0 {
			v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
		}
		want := new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
		if got := string(appendDecimal(nil, b, scale)); got != want {
			t.Fatalf("%x scale %d: got %s want %s", b, scale, got, want)
		}
	}
	for _, ms := range []int64{0, -1, 1, 253402300799999, 253402300800000, -62135596800000, -62135596800001, 1767225600123} {
		tm := time.UnixMilli(ms).UTC()
		for _, c := range []struct {
			frac int
			utc  bool
			lay  string
		}{{3, true, "2006-01-02T15:04:05.000Z07:00"}, {6, true, "2006-01-02T15:04:05.000000Z07:00"}, {3, false, "2006-01-02T15:04:05.000"}, {6, false, "2006-01-02T15:04:05.000000"}} {
			want := `"` + tm.Format(c.lay) + `"`
			if got := string(appendTimestamp(nil, tm, c.frac, c.utc)); got != want {
				t.Fatalf("%d ms %+v: got %s want %s", ms, c, got, want)
			}
		}
	}
	for range 20000 {
		tm := time.UnixMicro(rng.Int64N(400_000_000_000_000) - 200_000_000_000_000).UTC()
		want := `"` + tm.Format("2006-01-02T15:04:05.000000Z07:00") + `"`
		if got := string(appendTimestamp(nil, tm, 6, true)); got != want {
			t.Fatalf("%v: got %s want %s", tm, got, want)
		}
	}
}
