package decode

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const shipmentV1 = `{"type":"record","name":"Shipment","namespace":"demo.logistics","fields":[
  {"name":"shipment_id","type":"string"},{"name":"weight_kg","type":"double"}]}`

const shipmentV1b = `{"type":"record","name":"Shipment","namespace":"demo.logistics","fields":[
  {"name":"shipment_id","type":"string"},{"name":"weight_kg","type":"double"},
  {"name":"carrier","type":["null","string"],"default":null}]}`

// testRegistry is srfake behind a switch that can make it answer 503, and a
// request counter.
type testRegistry struct {
	*srfake.Registry
	srv      *httptest.Server
	requests atomic.Int64
	fail     atomic.Bool
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	tr := &testRegistry{Registry: srfake.NewRegistry()}
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.requests.Add(1)
		if tr.fail.Load() {
			http.Error(w, `{"error_code":50003,"message":"store unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		tr.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	return tr
}

func (tr *testRegistry) register(t testing.TB, subject string, s sr.Schema) int {
	t.Helper()
	cl, err := sr.NewClient(sr.URLs(tr.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := cl.CreateSchema(context.Background(), subject, s)
	if err != nil {
		t.Fatal(err)
	}
	return ss.ID
}

func framedAvro(t *testing.T, id int, schema string, v any) []byte {
	t.Helper()
	b, err := avro.Marshal(avro.MustParse(schema), v)
	if err != nil {
		t.Fatal(err)
	}
	return append(AppendHeader(nil, id, nil), b...)
}

func TestRegistryAvroEvolution(t *testing.T) {
	reg := newTestRegistry(t)
	id1 := reg.register(t, "shipments-value", sr.Schema{Schema: shipmentV1})
	id2 := reg.register(t, "shipments-value", sr.Schema{Schema: shipmentV1b})
	if id1 == id2 {
		t.Fatal("one id for two versions")
	}
	d, err := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := framedAvro(t, id1, shipmentV1, map[string]any{"shipment_id": "s1", "weight_kg": 1.5})
	nw := framedAvro(t, id2, shipmentV1b, map[string]any{"shipment_id": "s2", "weight_kg": 2.0, "carrier": "ups"})
	r := d.Decode(ctx, "shipments", false, old, nil)
	if r.Format != FormatAvro || string(r.JSON) != `{"shipment_id":"s1","weight_kg":1.5}` || r.SchemaID != id1 || r.Subject != "shipments-value" || r.Version != 1 {
		t.Fatalf("v1: %+v %s", r, r.JSON)
	}
	r = d.Decode(ctx, "shipments", false, nw, nil)
	if r.Format != FormatAvro || string(r.JSON) != `{"shipment_id":"s2","weight_kg":2,"carrier":"ups"}` || r.Version != 2 || r.TypeName != "demo.logistics.Shipment" {
		t.Fatalf("v2: %+v %s", r, r.JSON)
	}
	// Cached: decoding many more records makes no more requests.
	before := reg.requests.Load()
	for range 100 {
		d.Decode(ctx, "shipments", false, old, nil)
		d.Decode(ctx, "shipments", false, nw, nil)
	}
	if n := reg.requests.Load() - before; n != 0 {
		t.Fatalf("%d registry requests for cached ids", n)
	}
}

func TestRegistryFailuresKeepTheRecord(t *testing.T) {
	reg := newTestRegistry(t)
	id := reg.register(t, "shipments-value", sr.Schema{Schema: shipmentV1})
	d, err := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := framedAvro(t, id, shipmentV1, map[string]any{"shipment_id": "s1", "weight_kg": 1.5})
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"unknown id", append(AppendHeader(nil, 42, nil), good[5:]...), "registry: schema id 42 not found in registry " + reg.srv.URL},
		{"truncated header", []byte{0, 0, 1}, ""}, // not framed (too short): plain binary
		{"truncated payload", good[:9], "avro: schema id 1 (shipments-value v1): payload ends early at byte 9"},
		{"wrong magic", append([]byte{1}, good[1:]...), "text: "},
	}
	for _, c := range cases {
		r := d.Decode(ctx, "shipments", false, c.b, nil)
		if r.Format != FormatBinary {
			t.Errorf("%s: format %s, want binary", c.name, r.Format)
		}
		if got := strings.Join(r.Reasons(), "\n"); !strings.Contains(got, c.want) {
			t.Errorf("%s: reasons %q, want %q", c.name, got, c.want)
		}
	}
	// Forced format on a value that is not framed: the wire format says why.
	d2, _ := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}, Topics: map[string]TopicConfig{"shipments": {Value: Spec{Format: "avro"}}}})
	r := d2.Decode(ctx, "shipments", false, []byte{0, 0, 1}, nil)
	if got := strings.Join(r.Reasons(), "\n"); !strings.Contains(got, "magic byte 0 but the value ends early at byte 3") {
		t.Fatalf("forced avro, short: %q", got)
	}
	r = d2.Decode(ctx, "shipments", false, append([]byte{1}, good[1:]...), nil)
	if got := strings.Join(r.Reasons(), "\n"); !strings.Contains(got, "first byte 0x01 is not the magic byte 0") {
		t.Fatalf("forced avro, wrong magic: %q", got)
	}
}

// A registry outage: each framed record says why and shows raw bytes, one
// warning is given (not one per record), lookups do not hit the registry
// per record, and recovery is announced once.
func TestRegistryOutageWarnsOnce(t *testing.T) {
	reg := newTestRegistry(t)
	id := reg.register(t, "shipments-value", sr.Schema{Schema: shipmentV1})
	var mu sync.Mutex
	var warnings []string
	d, err := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}, Warn: func(s string) {
		mu.Lock()
		warnings = append(warnings, s)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	d.reg.now = func() time.Time { return now }
	ctx := context.Background()
	rec := framedAvro(t, id, shipmentV1, map[string]any{"shipment_id": "s1", "weight_kg": 1.5})

	reg.fail.Store(true)
	before := reg.requests.Load()
	for range 500 {
		r := d.Decode(ctx, "shipments", false, rec, nil)
		if r.Format != FormatBinary || !strings.Contains(strings.Join(r.Reasons(), "\n"), "answered 503") {
			t.Fatalf("outage: %+v", r)
		}
	}
	if n := reg.requests.Load() - before; n != 1 {
		t.Fatalf("%d registry requests during the outage, want 1", n)
	}
	if down, why := d.RegistryDown(); !down || !strings.Contains(why, "503") {
		t.Fatalf("RegistryDown = %v %q", down, why)
	}
	now = now.Add(3 * time.Second) // past the first backoff, still failing
	d.Decode(ctx, "shipments", false, rec, nil)
	reg.fail.Store(false)
	now = now.Add(time.Minute)
	r := d.Decode(ctx, "shipments", false, rec, nil)
	if r.Format != FormatAvro {
		t.Fatalf("after recovery: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 2 || !strings.Contains(warnings[0], "showing raw bytes") || !strings.Contains(warnings[1], "reachable again") {
		t.Fatalf("warnings: %q", warnings)
	}
}

func TestRegistryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	d, err := New(Config{Registry: RegistryConfig{URL: "http://user:s3cret@" + strings.TrimPrefix(url, "http://")}})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Decode(context.Background(), "t", false, AppendHeader(nil, 3, nil), nil)
	got := strings.Join(r.Reasons(), "\n")
	if r.Format != FormatBinary || !strings.Contains(got, "schema registry "+url+" unreachable") || !strings.Contains(got, "showing raw bytes") {
		t.Fatalf("%q", got)
	}
	if strings.Contains(got, "s3cret") || strings.Contains(d.RegistryURL(), "s3cret") {
		t.Fatal("a password from the URL reached a message")
	}
}

func TestRegistryProtobufAndJSONSchema(t *testing.T) {
	reg := newTestRegistry(t)
	reg.register(t, "demo/common/money.proto", sr.Schema{Schema: moneyProto, Type: sr.TypeProtobuf})
	id := reg.register(t, "inventory-value", sr.Schema{Schema: stockProto, Type: sr.TypeProtobuf, References: []sr.SchemaReference{
		{Name: "demo/common/money.proto", Subject: "demo/common/money.proto", Version: 1},
	}})
	jsid := reg.register(t, "events-value", sr.Schema{Schema: `{"type":"object","properties":{"a":{"type":"integer"}}}`, Type: sr.TypeJSON})
	d, err := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := compileProto(context.Background(), stockProto, map[string]string{"demo/common/money.proto": moneyProto})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := pf.message([]int{1})
	rec := append(AppendHeader(nil, id, []int{1}), stockMessage(t, md)...)
	r := d.Decode(context.Background(), "inventory", false, rec, nil)
	if r.Format != FormatProtobuf || string(r.JSON) != stockJSON || r.Subject != "inventory-value" || r.TypeName != "demo.inventory.StockLevel" {
		t.Fatalf("%+v %s", r, r.JSON)
	}
	// Index [0] is Ping: a StockLevel payload read as Ping is not a crash.
	r = d.Decode(context.Background(), "inventory", false, append(AppendHeader(nil, id, []int{0}), stockMessage(t, md)...), nil)
	if r.Format != FormatProtobuf && r.Format != FormatBinary {
		t.Fatalf("%+v", r)
	}
	js := append(AppendHeader(nil, jsid, nil), []byte("{ \"a\" : 1,\n \"b\":\"\u2028\" }")...)
	r = d.Decode(context.Background(), "events", false, js, nil)
	if r.Format != FormatJSONSchema || string(r.JSON) != `{"a":1,"b":"\u2028"}` {
		t.Fatalf("%+v %s", r, r.JSON)
	}
	bad := append(AppendHeader(nil, jsid, nil), []byte(`{"a":`)...)
	r = d.Decode(context.Background(), "events", false, bad, nil)
	if got := strings.Join(r.Reasons(), "\n"); r.Format != FormatBinary || !strings.Contains(got, "json-schema: schema id") {
		t.Fatalf("%q", got)
	}
}

func TestAutoDetectPlainFormats(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		in     []byte
		format Format
		json   string
	}{
		{nil, FormatNull, ""},
		{[]byte(" {\"a\": [1, 2]}\n"), FormatJSON, `{"a":[1,2]}`},
		{[]byte(`{"a": `), FormatText, ""},
		{[]byte("42"), FormatText, ""},
		{[]byte("hello\tworld"), FormatText, ""},
		{[]byte{0xff, 0xfe, 0x00}, FormatBinary, ""},
		{[]byte{}, FormatText, ""},
	} {
		r := d.Decode(ctx, "t", false, c.in, nil)
		if r.Format != c.format || string(r.JSON) != c.json {
			t.Errorf("%q: %s %s, want %s %s", c.in, r.Format, r.JSON, c.format, c.json)
		}
	}
	// Framed bytes without a registry say so.
	r := d.Decode(ctx, "t", false, AppendHeader(nil, 9, nil), nil)
	if got := strings.Join(r.Reasons(), "\n"); !strings.Contains(got, "schema id 9") || !strings.Contains(got, "no schema registry is configured") {
		t.Fatalf("%q", got)
	}
	// Forced formats.
	d, _ = New(Config{Topics: map[string]TopicConfig{"h": {Value: Spec{Format: "hex"}}, "j": {Key: Spec{Format: "json"}}}})
	if r := d.Decode(ctx, "h", false, []byte(`{"a":1}`), nil); r.Format != FormatBinary || r.Encoding != "hex" {
		t.Fatalf("hex: %+v", r)
	}
	if r := d.Decode(ctx, "j", true, []byte(`nope`), nil); r.Format != FormatText || !strings.Contains(strings.Join(r.Reasons(), ""), "json: invalid JSON at byte") {
		t.Fatalf("json: %+v", r)
	}
	if _, err := New(Config{Topics: map[string]TopicConfig{"x": {Value: Spec{Format: "xml"}}}}); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestLocalAvsc(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shipment.avsc")
	if err := os.WriteFile(path, []byte(shipmentV1), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Topics: map[string]TopicConfig{"shipments": {Value: Spec{Type: path}}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := avro.Marshal(avro.MustParse(shipmentV1), map[string]any{"shipment_id": "s", "weight_kg": 3.0})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{b, append(AppendHeader(nil, 5, nil), b...)} {
		r := d.Decode(context.Background(), "shipments", false, in, nil)
		if r.Format != FormatAvro || string(r.JSON) != `{"shipment_id":"s","weight_kg":3}` {
			t.Fatalf("%+v %s", r, r.JSON)
		}
	}
	d, _ = New(Config{Topics: map[string]TopicConfig{"*": {Value: Spec{Type: filepath.Join(t.TempDir(), "missing.avsc")}}}})
	r := d.Decode(context.Background(), "x", false, b, nil)
	if got := strings.Join(r.Reasons(), "\n"); !strings.Contains(got, "cannot read") || !strings.Contains(got, "missing.avsc") {
		t.Fatalf("%q", got)
	}
}

func TestAppendCompactJSONSafe(t *testing.T) {
	in := "{\"a\" :\t\"x\x7f\u202e\u2028\xff\" , \"b\\\"\": [ 1 ,2 ] }"
	out, err := AppendCompactJSON(nil, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"x\u007f\u202e\u2028\ufffd","b\"":[1,2]}`; string(out) != want {
		t.Fatalf("got %s want %s", out, want)
	}
	if _, err := AppendCompactJSON(nil, []byte(`{"a":1,}`)); err == nil || !strings.Contains(err.Error(), "at byte") {
		t.Fatalf("%v", err)
	}
}

func TestSchemaInfo(t *testing.T) {
	reg := newTestRegistry(t)
	id := reg.register(t, "shipments-value", sr.Schema{Schema: shipmentV1})
	d, _ := New(Config{Registry: RegistryConfig{URL: reg.srv.URL}})
	si, err := d.Schema(context.Background(), id)
	if err != nil || si.Type != FormatAvro || si.Text != shipmentV1 || len(si.Usages) != 1 || si.Usages[0].Subject != "shipments-value" {
		t.Fatalf("%+v %v", si, err)
	}
	if _, err := d.Schema(context.Background(), 77); err == nil || !strings.Contains(err.Error(), "schema id 77 not found") {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := (&Decoder{}).Schema(context.Background(), 1); err == nil {
		t.Fatal("no registry: want an error")
	}
}

// encoding/json refuses documents nested deeper than 10000; the one-pass
// scanner draws the line at the same depth.
func TestAppendCompactJSONDepth(t *testing.T) {
	for _, depth := range []int{maxJSONDepth, maxJSONDepth + 1} {
		doc := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		_, err := AppendCompactJSON(nil, []byte(doc))
		if (err == nil) != json.Valid([]byte(doc)) {
			t.Fatalf("depth %d: err %v, encoding/json valid %v", depth, err, json.Valid([]byte(doc)))
		}
	}
}

// BenchmarkAppendCompactJSON: a ~200-byte JSON value as the benchmarks
// seed them (bench/seed).
func BenchmarkAppendCompactJSON(b *testing.B) {
	v := []byte(`{"id":123456,"customer":"c-3456","amount":3456.5,"pad":"GtFcY/Aiwh8g3Wa2PkHIRj2q6AELY16DGLl6LDK3dIKs9xEamkX5qKvcYJcM7ddzLwIffCtrj/og8kBHbcF4ynWtSBri4dnfcPc338K+N2ifnQoSu9hR+4IRUIm87RMPo1+UN4cdbU0OlVKAQXv5WsX0J"}`)
	var dst []byte
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		var err error
		if dst, err = AppendCompactJSON(dst[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

// special8 never misses a byte the string loop must look at, wherever it
// is in the word, and never stops on a word of plain bytes.
func TestSpecial8(t *testing.T) {
	for p := 0; p < 8; p++ {
		for c := 0; c < 256; c++ {
			w := []byte("abcdefgh")
			w[p] = byte(c)
			if got := special8(binary.LittleEndian.Uint64(w)); got != !strPlain[c] {
				t.Fatalf("byte 0x%02x at %d: special8 %v", c, p, got)
			}
		}
	}
}
