package decode

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

const benchSchema = `{"type":"record","name":"Payment","namespace":"bench","fields":[
 {"name":"id","type":"long"},{"name":"customer","type":"string"},{"name":"amount","type":"double"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["CREATED","CAPTURED","REFUNDED","FAILED"]}},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"card","type":["null","string"],"default":null},{"name":"note","type":"string"}]}`

const benchJSON = `{"id":123456,"customer":"cus-98765","amount":1234.56,"status":"CAPTURED","at":"2026-01-01T00:00:00.123Z","card":"41234567","note":"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEj"}`

// Decoding one ~200-byte Avro record to JSON against validating and
// compacting the same record stored as JSON (the consume paths).
func BenchmarkDecodeAvroRecord(b *testing.B) {
	enc, err := NewEncoder(context.Background(), 1, sr.Schema{Schema: benchSchema}, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	framed, err := enc.Encode(nil, []byte(benchJSON))
	if err != nil {
		b.Fatal(err)
	}
	s := enc.avro
	var out []byte
	b.SetBytes(int64(len(framed)))
	b.ReportAllocs()
	for b.Loop() {
		out, err = decodeAvro(out[:0], s, framed[headerLen:], headerLen, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSONRecord(b *testing.B) {
	var out []byte
	var err error
	b.SetBytes(int64(len(benchJSON)))
	b.ReportAllocs()
	for b.Loop() {
		out, err = AppendCompactJSON(out[:0], []byte(benchJSON))
		if err != nil {
			b.Fatal(err)
		}
	}
}

// The whole Decode path of a consume: a framed Avro value through the
// registry cache against the same record as JSON (auto-detected).
func BenchmarkDecoder(b *testing.B) {
	reg := newTestRegistry(b)
	id := reg.register(b, "bench-avro-value", sr.Schema{Schema: benchSchema})
	d, err := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := NewEncoder(context.Background(), id, sr.Schema{Schema: benchSchema}, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	framed, err := enc.Encode(nil, []byte(benchJSON))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name, topic string
		value       []byte
		want        Format
	}{{"avro", "bench-avro", framed, FormatAvro}, {"json", "bench-json", []byte(benchJSON), FormatJSON}} {
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				res := d.Decode(ctx, c.topic, false, c.value, buf)
				if res.Format != c.want {
					b.Fatalf("%s: %+v", c.name, res)
				}
				buf = res.JSON[:0]
			}
		})
	}
}
