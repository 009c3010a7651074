package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/registry"
)

// avroWorld is a topic of Confluent-framed Avro shipments (both schema
// versions of shipments-value, plus a few JSON records) with the schemas in
// an embedded registry.
type avroWorld struct {
	*world
	reg     *registry.Server
	regDir  string
	want    map[string]float64 // carrier -> sum of delivered declared_value
	wantCnt map[string]int     // country -> shipments seen
}

func newAvroWorld(t *testing.T) *avroWorld {
	w := &avroWorld{world: newWorld(t), regDir: t.TempDir(), want: map[string]float64{}, wantCnt: map[string]int{}}
	reg, err := registry.Start(registry.Config{Dir: w.regDir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	w.reg = reg
	ctx := context.Background()
	var encs []*decode.Encoder
	for _, s := range []string{backend.DemoShipmentsV1, backend.DemoShipmentsV2} {
		id, err := reg.Register(ctx, "shipments-value", sr.Schema{Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := decode.NewEncoder(ctx, id, sr.Schema{Schema: s}, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc)
	}
	w.topic("shipments", 3, nil)
	carriers := []string{"DHL", "UPS", "DPD"}
	statuses := []string{"IN_TRANSIT", "DELIVERED"}
	var recs []*kgo.Record
	for i := range 300 {
		carrier, status := carriers[i%3], statuses[(i/3)%2]
		country := []string{"DE", "FR"}[i%2]
		val := fmt.Sprintf("%d.%02d", 10+i, i%100)
		js := fmt.Sprintf(`{"shipment_id":"shp-%d","order_id":"o-%d","carrier":%q,"status":%q,"weight_grams":%d,"declared_value":%s,`+
			`"destination":{"city":"X","country":%q,"postal_code":"1"},"updated_at":"2026-01-01T00:00:00.000Z"%s}`,
			i, i, carrier, status, 100+i, val, country, map[bool]string{true: `,"eta":null`}[i >= 150])
		v, err := encs[min(i/150, 1)].Encode(nil, []byte(js))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: "shipments", Partition: int32(i % 3), Key: []byte(fmt.Sprintf("shp-%d", i)), Value: v})
		if status == "DELIVERED" {
			f, _ := strconv.ParseFloat(val, 64)
			w.want[carrier] += f
		}
		w.wantCnt[country]++
	}
	// A JSON record in the same topic reads as JSON, as before.
	recs = append(recs, &kgo.Record{Topic: "shipments", Partition: 0, Key: []byte("json-1"),
		Value: []byte(`{"carrier":"DHL","status":"DELIVERED","declared_value":1.5,"destination":{"country":"DE"}}`)})
	w.want["DHL"] += 1.5
	w.wantCnt["DE"]++
	w.kit.Produce(recs...)
	return w
}

func (w *avroWorld) decoder(t *testing.T) *decode.Decoder {
	d, err := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: w.reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const deliveredByCarrier = `name: delivered_by_carrier
topic: shipments
filter: value.status == "DELIVERED"
key: value.carrier
aggregate: sum
value: value.declared_value
`

func TestProjectionOverAvroFields(t *testing.T) {
	w := newAvroWorld(t)
	m := w.run(deliveredByCarrier, "avro-sum", Options{Decoder: w.decoder(t)})
	if m.Progress.Stats.Invalid != 0 || m.Progress.Stats.Errors != 0 {
		t.Fatalf("stats %+v", m.Progress.Stats)
	}
	rows := w.rows("avro-sum")
	if len(rows) != len(w.want) {
		t.Fatalf("rows %v, want carriers %v", rows, w.want)
	}
	for carrier, sum := range w.want {
		got, err := strconv.ParseFloat(strings.Trim(rows[carrier], `"`), 64)
		if err != nil || math.Abs(got-sum) > 1e-6 {
			t.Fatalf("%s: %q, want %.2f", carrier, rows[carrier], sum)
		}
	}
	// A nested field, counted.
	w.run("name: by_country\ntopic: shipments\nkey: value.destination.country\naggregate: count\n", "avro-count", Options{Decoder: w.decoder(t)})
	rows = w.rows("avro-count")
	for country, n := range w.wantCnt {
		if rows[country] != strconv.Itoa(n) {
			t.Fatalf("%s: %q, want %d (rows %v)", country, rows[country], n, rows)
		}
	}
	// latest stores the decoded value, as JSON.
	w.run("name: last\ntopic: shipments\naggregate: latest\n", "avro-latest", Options{Decoder: w.decoder(t)})
	var last map[string]any
	if err := json.Unmarshal([]byte(w.rows("avro-latest")["shp-299"]), &last); err != nil || last["carrier"] != "DPD" || last["eta"] != nil {
		t.Fatalf("latest row %q: %v", w.rows("avro-latest")["shp-299"], err)
	}
	// Without a decoder the Avro records are invalid (not JSON): only the
	// JSON record counts.
	m = w.run(deliveredByCarrier, "no-decoder", Options{})
	if m.Progress.Stats.Invalid != 300 {
		t.Fatalf("without a decoder: %+v", m.Progress.Stats)
	}
}

// A registry that does not answer stops the run before anything is
// checkpointed past the first framed record; resumed once it answers, the
// result equals an uninterrupted run's.
func TestProjectionStopsWhenRegistryDown(t *testing.T) {
	w := newAvroWorld(t)
	url := w.reg.URL()
	addr := w.reg.Addr()
	if err := w.reg.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{DataDir: w.dir, ID: "down", Decoder: d}
	m, err := Start(context.Background(), w.c, compileText(t, deliveredByCarrier), o)
	if err == nil || !errors.Is(err, ErrRegistryDown) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("run with the registry down: %v", err)
	}
	if m == nil || m.Status != StatusFailed {
		t.Fatalf("meta %+v", m)
	}
	if rows := w.rows("down"); len(rows) > 1 {
		t.Fatalf("rows written while the registry was down: %v", rows)
	}
	reg, err := registry.Start(registry.Config{Dir: w.regDir, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	d2, _ := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: url}})
	m, err = Resume(context.Background(), w.c, w.dir, "down", nil, Options{Decoder: d2})
	if err != nil || m.Status != StatusDone {
		t.Fatalf("resume: %v %+v", err, m)
	}
	clean := w.run(deliveredByCarrier, "clean", Options{Decoder: w.decoder(t)})
	_ = clean
	if a, b := w.checksum("down"), w.checksum("clean"); a != b {
		t.Fatalf("resumed run %s != clean run %s\n%v\n%v", a, b, w.rows("down"), w.rows("clean"))
	}
}
