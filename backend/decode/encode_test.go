package decode

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// What the decoder renders, the encoder turns back into the same bytes.
func TestEncodeAvroRoundTrip(t *testing.T) {
	want, s := mustAvro(t, shipmentV2, shipmentDatum())
	js, err := decodeAvro(nil, s, want, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoder(context.Background(), 7, sr.Schema{Schema: shipmentV2}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := enc.Encode(nil, js)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:5], []byte{0, 0, 0, 0, 7}) {
		t.Fatalf("header %x", got[:5])
	}
	// Block framing may differ from hamba's (it writes sized blocks), so
	// compare what both read back: ours and hamba's decoder.
	again, err := decodeAvro(nil, s, got[5:], 0, nil)
	if err != nil || !bytes.Equal(again, js) {
		t.Fatalf("re-decoded %s %v\nwant %s", again, err, js)
	}
	var x, y any
	if err := avro.Unmarshal(avro.MustParse(shipmentV2), got[5:], &x); err != nil {
		t.Fatalf("hamba cannot read our encoding: %v", err)
	}
	if err := avro.Unmarshal(avro.MustParse(shipmentV2), want, &y); err != nil || !reflect.DeepEqual(x, y) {
		t.Fatalf("hamba reads %v, want %v", x, y)
	}
	// Avro's own JSON union form and defaults are accepted.
	enc1, err := NewEncoder(context.Background(), 1, sr.Schema{Schema: shipmentV1b}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := enc1.Encode(nil, []byte(`{"shipment_id":"s","weight_kg":1,"carrier":{"string":"ups"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := enc1.Encode(nil, []byte(`{"shipment_id":"s","weight_kg":1}`))
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := avro.Marshal(avro.MustParse(shipmentV1b), map[string]any{"shipment_id": "s", "weight_kg": 1.0, "carrier": "ups"})
	if !bytes.Equal(a[5:], ha) || b[len(b)-1] != 0 {
		t.Fatalf("union forms: %x vs %x; default: %x", a[5:], ha, b)
	}
	for in, want := range map[string]string{
		`{"weight_kg":1}`:                                  "field shipment_id: missing",
		`{"shipment_id":1,"weight_kg":1}`:                  "field shipment_id: want a string, got a number",
		`{"shipment_id":"s","weight_kg":1,"carrier":true}`: "field carrier",
		`[1]`: "want an object",
	} {
		if _, err := enc1.Encode(nil, []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestEncodeProtobufRoundTrip(t *testing.T) {
	refs := []Ref{{Name: "demo/common/money.proto", Text: moneyProto}}
	enc, err := NewEncoder(context.Background(), 3, sr.Schema{Schema: stockProto, Type: sr.TypeProtobuf}, refs, "demo.inventory.StockLevel")
	if err != nil {
		t.Fatal(err)
	}
	b, err := enc.Encode(nil, []byte(stockJSON))
	if err != nil {
		t.Fatal(err)
	}
	id, payload, err := ParseHeader(b)
	if err != nil || id != 3 {
		t.Fatal(id, err)
	}
	idx, rest, err := ParseIndexes(payload, 5)
	if err != nil || len(idx) != 1 || idx[0] != 1 {
		t.Fatalf("index %v %v", idx, err)
	}
	out, err := decodeProto(nil, enc.md, rest, 0)
	if err != nil || string(out) != stockJSON {
		t.Fatalf("%s %v", out, err)
	}
	nested, err := NewEncoder(context.Background(), 3, sr.Schema{Schema: stockProto, Type: sr.TypeProtobuf}, refs, "demo.inventory.StockLevel.Location")
	if err != nil || len(nested.index) != 2 || nested.index[0] != 1 || nested.index[1] != 0 {
		t.Fatalf("nested index %v %v", nested, err)
	}
	if _, err := enc.Encode(nil, []byte(`{"on_hand":"many"}`)); err == nil {
		t.Fatal("bad JSON for the message accepted")
	}
}
