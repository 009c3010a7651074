package views

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/registry"
	"github.com/rewind-log/rewind/ui"
)

// decodeEnv is testEnv plus an embedded registry holding both versions of
// shipments-value, and a decoder using it.
func decodeEnv(t *testing.T) (*Env, *kgo.Client, *registry.Server, []*decode.Encoder) {
	t.Helper()
	env, cl := testEnv(t, "dark")
	reg, err := registry.Start(registry.Config{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	var encs []*decode.Encoder
	for _, s := range []string{backend.DemoShipmentsV1, backend.DemoShipmentsV2} {
		id, err := reg.Register(context.Background(), "shipments-value", sr.Schema{Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := decode.NewEncoder(context.Background(), id, sr.Schema{Schema: s}, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc)
	}
	if env.Decoder, err = decode.New(decode.Config{Registry: decode.RegistryConfig{URL: reg.URL()}}); err != nil {
		t.Fatal(err)
	}
	return env, cl, reg, encs
}

// encode is json in enc's wire format (schema id, Avro body).
func encode(t *testing.T, enc *decode.Encoder, json string) []byte {
	t.Helper()
	v, err := enc.Encode(nil, []byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// oneShipment creates topic shipments with one record, shp-1, in v1's
// wire format.
func oneShipment(t *testing.T, cl *kgo.Client, v1 *decode.Encoder) {
	t.Helper()
	createTopic(t, cl, "shipments", 1, nil)
	produce(t, cl, &kgo.Record{Topic: "shipments", Key: []byte("shp-1"), Value: encode(t, v1, shipV1JSON), Timestamp: time.Now()})
}

const shipV1JSON = `{"shipment_id":"shp-1","order_id":"ord-1","carrier":"DHL","status":"IN_TRANSIT","weight_grams":1200,` +
	`"declared_value":49.90,"destination":{"city":"Lyon","country":"FR","postal_code":"69001"},"updated_at":"2026-01-01T10:00:00.000Z"}`

const shipV2JSON = `{"shipment_id":"shp-2","order_id":"ord-2","carrier":"UPS","status":"OUT_FOR_DELIVERY","weight_grams":800,` +
	`"declared_value":12.00,"destination":{"city":"Gent","country":"BE","postal_code":"9000"},"updated_at":"2026-01-01T11:00:00.000Z","eta":"2026-01-02T09:00:00.000Z"}`

// The records list previews decoded Avro; the detail shows it
// pretty-printed with format and schema, both schema versions of one
// topic; records that cannot be decoded show raw bytes and, one line per
// decoder tried, why.
func TestRecordsDecodeAvroAndReasons(t *testing.T) {
	env, cl, reg, encs := decodeEnv(t)
	createTopic(t, cl, "shipments", 1, nil)
	v1 := encode(t, encs[0], shipV1JSON)
	v2 := encode(t, encs[1], shipV2JSON)
	unknown := append(decode.AppendHeader(nil, 99, nil), v1[5:]...)
	ts := time.Now().Add(-time.Minute)
	produce(t, cl,
		&kgo.Record{Topic: "shipments", Key: []byte("shp-1"), Value: v1, Timestamp: ts},
		&kgo.Record{Topic: "shipments", Key: []byte("shp-2"), Value: v2, Timestamp: ts},
		&kgo.Record{Topic: "shipments", Key: []byte("shp-3"), Value: unknown, Timestamp: ts},
		&kgo.Record{Topic: "shipments", Key: []byte("shp-4"), Value: v1[:12], Timestamp: ts},
	)
	h := startApp(t, env, NewRecords(env, "shipments", 0), 140, 45)
	h.waitText(t, `{"shipment_id":"shp-1","order_id":"ord-1","carrier":"DHL"`, `{"shipment_id":"shp-2"`)

	h.keys("enter")
	s := h.waitText(t, "value · avro · schema 1 (shipments-value v1) · rewind.demo.logistics.Shipment")
	for _, want := range []string{`  "carrier": "DHL",`, `  "declared_value": 49.90,`, `    "city": "Lyon",`, `  "updated_at": "2026-01-01T10:00:00.000Z"`} {
		if !strings.Contains(s, want) {
			t.Fatalf("v1 detail lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "not decoded") {
		t.Fatalf("a decoded record shows reasons:\n%s", s)
	}
	// s shows the registry schema behind the value, s again the value.
	h.keys("s")
	s = h.waitText(t, "schema · id 1 · avro · shipments-value v1", `  "name": "Shipment",`)
	if strings.Contains(s, `"carrier": "DHL"`) {
		t.Fatalf("the schema view still shows the value:\n%s", s)
	}
	h.keys("s")
	h.waitText(t, `  "carrier": "DHL",`)
	h.keys("n")
	s = h.waitText(t, "value · avro · schema 2 (shipments-value v2)", `  "eta": "2026-01-02T09:00:00.000Z"`)

	h.keys("n")
	s = h.waitText(t, "offset     2", "not decoded, showing raw bytes:")
	if !strings.Contains(s, "registry: schema id 99 not found in registry "+reg.URL()) || !strings.Contains(s, "00000000  00 00 00 00 63 ") {
		t.Fatalf("unknown id: want the reason and the hex dump:\n%s", s)
	}
	// For an unknown id the schema view says so in place of the value.
	h.keys("s")
	h.waitFor(t, "the schema error in place of the hex", func(s string) bool {
		return strings.Contains(s, "schema id 99 not found in registry") && !strings.Contains(s, "00000000  00 00 00 00 63 ")
	})
	h.keys("s")
	h.waitText(t, "00000000  00 00 00 00 63 ")
	h.keys("n")
	s = h.waitText(t, "offset     3", "not decoded, showing raw bytes:")
	if !strings.Contains(s, "avro: schema id 1 (shipments-value v1): payload ends early at byte 12") {
		t.Fatalf("truncated: want the reason:\n%s", s)
	}
	// The hex view is the raw bytes, always; c copies the decoded JSON.
	h.keys("p", "p")
	h.waitText(t, "offset     1", "value · avro")
	h.keys("x")
	h.waitText(t, "value · hex", "00000000  00 00 00 00 02 ")
}

// With the registry down, records still show, raw, with the reason.
func TestRecordsRegistryDown(t *testing.T) {
	env, cl, reg, encs := decodeEnv(t)
	oneShipment(t, cl, encs[0])
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	h := startApp(t, env, NewRecords(env, "shipments", 0), 140, 40)
	h.waitText(t, "shp-1")
	h.keys("enter")
	s := h.waitText(t, "not decoded, showing raw bytes:", "unreachable")
	if !strings.Contains(s, "00000000  00 00 00 00 01 ") {
		t.Fatalf("want the raw bytes:\n%s", s)
	}
}

// On a narrow terminal the detail's section title stays one line.
func TestRecordDetailNarrowTitle(t *testing.T) {
	env, cl, _, encs := decodeEnv(t)
	oneShipment(t, cl, encs[0])
	h := startApp(t, env, NewRecords(env, "shipments", 0), 60, 30)
	h.waitText(t, "shp-1")
	h.keys("enter")
	s := h.waitText(t, "── value · avro · schema 1 (shipments-value v1) ·", `  "carrier": "DHL",`)
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "value · avro") && !strings.Contains(l, "…") {
			t.Fatalf("the long title is not shortened:\n%s", s)
		}
		if strings.HasPrefix(strings.TrimSpace(l), "Shipment") || strings.HasPrefix(strings.TrimSpace(l), "logistics") {
			t.Fatalf("the title wrapped:\n%s", s)
		}
	}
}

// A registry outage is one status-bar warning for the whole screen, not
// one per record (cli/ui.go sends the decoder's warnings as toasts).
func TestRecordsRegistryDownWarnsOnce(t *testing.T) {
	env, cl, reg, encs := decodeEnv(t)
	createTopic(t, cl, "shipments", 1, nil)
	var recs []*kgo.Record
	for i, enc := range []*decode.Encoder{encs[0], encs[1], encs[0], encs[1]} {
		v := encode(t, enc, []string{shipV1JSON, shipV2JSON}[i%2])
		recs = append(recs, &kgo.Record{Topic: "shipments", Key: []byte(fmt.Sprintf("shp-%d", i)), Value: v, Timestamp: time.Now()})
	}
	produce(t, cl, recs...)
	url := reg.URL()
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	var h *harness
	var warnings atomic.Int32
	ready := make(chan struct{})
	d, err := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: url}, Warn: func(msg string) {
		warnings.Add(1)
		<-ready
		h.tm.Send(ui.ToastMsg{Text: "warning: " + msg})
	}})
	if err != nil {
		t.Fatal(err)
	}
	env.Decoder = d
	h = startApp(t, env, NewRecords(env, "shipments", 0), 140, 40)
	close(ready)
	h.waitText(t, "shp-0", "shp-3", "warning: schema registry "+url+" unreachable")
	h.keys("enter")
	h.waitText(t, "not decoded, showing raw bytes:")
	h.keys("n")
	h.waitText(t, "offset     1", "not decoded, showing raw bytes:")
	if n := warnings.Load(); n != 1 {
		t.Fatalf("%d warnings for one outage, want 1", n)
	}
}

// Protobuf from the registry (message-index list, nested message, enum,
// well-known Timestamp) in the list, the detail and the schema view; a cut
// payload shows its reason.
func TestRecordsDecodeProtobuf(t *testing.T) {
	env, cl, reg, _ := decodeEnv(t)
	ctx := context.Background()
	schema := sr.Schema{Schema: backend.DemoInventoryProto, Type: sr.TypeProtobuf}
	id, err := reg.Register(ctx, "inventory-value", schema)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := decode.NewEncoder(ctx, id, schema, nil, "rewind.demo.inventory.StockLevel")
	if err != nil {
		t.Fatal(err)
	}
	v, err := enc.Encode(nil, []byte(`{"sku":"SKU-1","on_hand":5,"reserved":1,"status":"LOW_STOCK",`+
		`"location":{"warehouse":"AMS-1","aisle":"B","shelf":3},"updated_at":"2026-01-01T10:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	createTopic(t, cl, "inventory", 1, nil)
	ts := time.Now()
	produce(t, cl, &kgo.Record{Topic: "inventory", Key: []byte("SKU-1"), Value: v, Timestamp: ts},
		&kgo.Record{Topic: "inventory", Key: []byte("SKU-2"), Value: v[:len(v)-4], Timestamp: ts})
	h := startApp(t, env, NewRecords(env, "inventory", 0), 140, 45)
	// The list shows what it could not decode as hex, never raw bytes.
	s := h.waitLine(t, "SKU-2", fmt.Sprintf("00 00 00 00 %02x 02 02 0a 05", id))
	if strings.Contains(s, "␀") {
		t.Fatalf("raw bytes in the list:\n%s", s)
	}
	h.waitText(t, `{"sku":"SKU-1","on_hand":5,"reserved":1,"status":"LOW_STOCK",`)
	h.keys("enter")
	label := fmt.Sprintf("value · protobuf · schema %d (inventory-value v1) · rewind.demo.inventory.StockLevel", id)
	h.waitText(t, label, `  "status": "LOW_STOCK",`, `    "warehouse": "AMS-1",`, `  "updated_at": "2026-01-01T10:00:00Z"`)
	h.keys("s")
	h.waitText(t, fmt.Sprintf("schema · id %d · protobuf · inventory-value v1", id), "message StockLevel {", "    LOW_STOCK = 2;")
	h.keys("n")
	s = h.waitText(t, "offset     1", "not decoded, showing raw bytes:")
	if !strings.Contains(s, fmt.Sprintf("protobuf: schema id %d (inventory-value v1)", id)) {
		t.Fatalf("cut payload: want the protobuf reason:\n%s", s)
	}
}
