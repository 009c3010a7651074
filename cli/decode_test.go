package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/rewind-log/rewind/internal/testkit"
)

const thirdPartyAvro = `{"type":"record","name":"Reading","namespace":"plant","fields":[
 {"name":"sensor","type":"string"},{"name":"celsius","type":"double"},
 {"name":"state","type":{"type":"enum","name":"State","symbols":["OK","ALARM"]}}]}`

const thirdPartyProto = `syntax = "proto3";
package plant;
message Alarm {
  message Where { string hall = 1; int32 line = 2; }
  enum Level { LOW = 0; HIGH = 1; }
  string id = 1;
  Level level = 2;
  Where where = 3;
}`

// registerOverHTTP registers a schema with a plain HTTP client, as any
// application does, and returns its id.
func registerOverHTTP(t *testing.T, url, subject, schemaType, schema string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"schema": schema, "schemaType": schemaType})
	resp, err := http.Post(url+"/subjects/"+subject+"/versions", "application/vnd.schemaregistry.v1+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct{ ID int }
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil || r.ID == 0 {
		t.Fatalf("register %s: %d %s", subject, resp.StatusCode, b)
	}
	return r.ID
}

func frame(id int, payload ...[]byte) []byte {
	b := []byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

// protoMsg writes a Protobuf message field by field from (number, value)
// pairs: a string or []byte value is length-delimited (a []byte is how a
// nested message goes in), an int is a varint.
func protoMsg(fields ...any) []byte {
	var b []byte
	for i := 0; i+1 < len(fields); i += 2 {
		n := protowire.Number(fields[i].(int))
		switch v := fields[i+1].(type) {
		case string:
			b = protowire.AppendString(protowire.AppendTag(b, n, protowire.BytesType), v)
		case []byte:
			b = protowire.AppendBytes(protowire.AppendTag(b, n, protowire.BytesType), v)
		case int:
			b = protowire.AppendVarint(protowire.AppendTag(b, n, protowire.VarintType), uint64(v))
		default:
			panic(fmt.Sprintf("protoMsg: field %d: %T", n, v))
		}
	}
	return b
}

// kcatProduce sends each payload as one record (kcat sends each file
// given with -P as a single message, bytes as they are).
func kcatProduce(t *testing.T, kcat, addr, topic string, payloads ...[]byte) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i, p := range payloads {
		f := filepath.Join(dir, fmt.Sprintf("m%02d", i))
		if err := os.WriteFile(f, p, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"-b", addr, "-t", topic, "-p", "0", "-P"}, files...)
	if out, err := exec.CommandContext(ctx, kcat, args...).CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

// A client that is not rewind registers schemas in the embedded registry
// over HTTP, another (kcat) produces Confluent-framed records, and rewind
// decodes them — and shows the ones it cannot decode, with the reason.
func TestThirdPartySchemasAndRecordsDecode(t *testing.T) {
	kcat := needKcat(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emb, c := embeddedCluster(ctx, t, dir)
	for _, topic := range []string{"readings", "alarms"} {
		if err := c.CreateTopic(ctx, topic, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	avroID := registerOverHTTP(t, emb.RegistryURL(), "readings-value", "AVRO", thirdPartyAvro)
	protoID := registerOverHTTP(t, emb.RegistryURL(), "alarms-value", "PROTOBUF", thirdPartyProto)

	reading, err := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "t-1", "celsius": 21.5, "state": "ALARM"})
	if err != nil {
		t.Fatal(err)
	}
	kcatProduce(t, kcat, emb.Addr(), "readings",
		frame(avroID, reading),
		frame(avroID, reading[:4]),                       // truncated payload
		frame(999, reading),                              // unknown schema id
		append([]byte{7}, frame(avroID, reading)[1:]...), // wrong magic byte
	)
	// Alarm{id: "a-9", level: HIGH, where: {hall: "B", line: 3}}, written
	// field by field; the first top-level message: index list [0], one 0 byte.
	alarm := protoMsg(1, "a-9", 2, 1, 3, protoMsg(1, "B", 2, 3))
	kcatProduce(t, kcat, emb.Addr(), "alarms", frame(protoID, []byte{0}, alarm))

	// Attached to the running embedded log: the registry is found through
	// the data dir, no flag needed.
	code, out, errs := runCLI("--data-dir", dir, "--listen", emb.Addr(), "consume", "readings", "--until", "end")
	if code != 0 {
		t.Fatalf("consume: %d %s", code, errs)
	}
	recs := jsonLines(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records:\n%s", len(recs), out)
	}
	want := map[string]any{"sensor": "t-1", "celsius": 21.5, "state": "ALARM"}
	if !reflect.DeepEqual(recs[0]["value"], want) || recs[0]["value_format"] != "avro" ||
		recs[0]["value_schema_id"] != float64(avroID) || recs[0]["value_subject"] != "readings-value" {
		t.Fatalf("decoded record: %v", recs[0])
	}
	for i, reason := range map[int]string{
		1: "avro: schema id 1 (readings-value v1): payload ends early at byte 9",
		2: "registry: schema id 999 not found in registry " + emb.RegistryURL(),
	} {
		r := recs[i]
		reasons, _ := json.Marshal(r["value_reasons"])
		if r["value_format"] != "binary" || r["value_encoding"] != "base64" || !strings.Contains(string(reasons), reason) {
			t.Fatalf("record %d: want binary with %q, got %v", i, reason, r)
		}
	}
	if recs[3]["value_format"] != "binary" || recs[3]["value_schema_id"] != nil {
		t.Fatalf("wrong magic byte: %v", recs[3])
	}

	code, out, errs = runCLI("--data-dir", dir, "--listen", emb.Addr(), "consume", "alarms", "--until", "end", "-o", "text")
	if code != 0 || !strings.Contains(out, `{"id":"a-9","level":"HIGH","where":{"hall":"B","line":3}}`) {
		t.Fatalf("protobuf: %d %s\n%s", code, errs, out)
	}

	// The registry down: every framed record still shows, raw, with the
	// reason; one warning on stderr, not one per record; the read is
	// complete, so exit 0.
	code, out, errs = runCLI("-b", emb.Addr(), "-X", "schema.registry.url=http://127.0.0.1:1", "consume", "readings", "--until", "end")
	recs = jsonLines(t, out)
	if code != 0 || len(recs) != 4 {
		t.Fatalf("registry down: %d, %d records\n%s", code, len(recs), errs)
	}
	for i, r := range recs[:3] {
		reasons, _ := json.Marshal(r["value_reasons"])
		if r["value_format"] != "binary" || !strings.Contains(string(reasons), "unreachable") {
			t.Fatalf("record %d with the registry down: %v", i, r)
		}
	}
	if n := strings.Count(errs, "warning: schema registry"); n != 1 {
		t.Fatalf("want one registry warning, got %d:\n%s", n, errs)
	}
}

// Registry credentials from the connection profile (-X, as in a Java
// client.properties) reach the registry; a wrong password is a reason on
// the record and never printed.
func TestRegistryAuthFromProperties(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("paid", 1, nil)
	reg := srfake.New(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("svc:s3cr3t-pw"))))
	defer reg.Close()
	id, _, err := reg.RegisterSchema("paid-value", sr.Schema{Schema: thirdPartyAvro})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "s", "celsius": 1.0, "state": "OK"})
	b.Produce(&kgo.Record{Topic: "paid", Partition: 0, Value: frame(id, v)})

	code, out, errs := runCLI("-b", b.Addr, "-X", "schema.registry.url="+reg.URL(), "-X", "basic.auth.user.info=svc:s3cr3t-pw", "consume", "paid", "--until", "end")
	recs := jsonLines(t, out)
	if code != 0 || len(recs) != 1 || recs[0]["value_format"] != "avro" {
		t.Fatalf("with credentials: %d %s\n%s", code, out, errs)
	}
	code, out, errs = runCLI("-b", b.Addr, "-X", "schema.registry.url="+reg.URL(), "-X", "basic.auth.user.info=svc:wrong-pw", "consume", "paid", "--until", "end")
	recs = jsonLines(t, out)
	reasons, _ := json.Marshal(recs[0]["value_reasons"])
	if code != 0 || recs[0]["value_format"] != "binary" || !strings.Contains(string(reasons), "answered 403") {
		t.Fatalf("wrong password: %d %v\n%s", code, recs, errs)
	}
	if strings.Contains(out+errs, "wrong-pw") || strings.Contains(out+errs, "s3cr3t") {
		t.Fatal("a registry password reached the output")
	}
}

// A context's schema_registry block and per-topic decode settings apply
// without flags; a bad setting is refused naming the topic.
func TestContextDecodeSettings(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("readings", 1, nil)
	b.CreateTopic("raw", 1, nil)
	reg := srfake.New()
	defer reg.Close()
	id, _, err := reg.RegisterSchema("readings-value", sr.Schema{Schema: thirdPartyAvro})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "s", "celsius": 2.5, "state": "OK"})
	b.Produce(&kgo.Record{Topic: "readings", Partition: 0, Value: frame(id, v)},
		&kgo.Record{Topic: "raw", Partition: 0, Value: []byte(`{"looks":"json"}`)})
	write := func(topics string) string {
		cfg := filepath.Join(t.TempDir(), "config.yaml")
		body := fmt.Sprintf("current-context: dev\ncontexts:\n  - name: dev\n    brokers: [%s]\n    schema_registry: {url: %s}\n    topics:\n%s", b.Addr, reg.URL(), topics)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := write("      raw: {value: {format: hex}}\n")
	code, out, errs := runCLI("--config", cfg, "consume", "readings", "--until", "end")
	recs := jsonLines(t, out)
	if code != 0 || len(recs) != 1 || recs[0]["value_format"] != "avro" || recs[0]["value_subject"] != "readings-value" {
		t.Fatalf("context registry: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI("--config", cfg, "consume", "raw", "--until", "end")
	recs = jsonLines(t, out)
	if code != 0 || len(recs) != 1 || recs[0]["value_encoding"] != "hex" || recs[0]["value"] != "7b226c6f6f6b73223a226a736f6e227d" {
		t.Fatalf("per-topic format: %d %s %s", code, out, errs)
	}
	// The flag wins over the context.
	code, out, _ = runCLI("--config", cfg, "consume", "raw", "--until", "end", "--value-format", "json")
	if recs = jsonLines(t, out); code != 0 || recs[0]["value_format"] != "json" {
		t.Fatalf("--value-format over the context: %s", out)
	}
	cfg = write("      raw: {value: {format: xml}}\n")
	code, _, errs = runCLI("--config", cfg, "consume", "raw", "--until", "end")
	if code == 0 || !strings.Contains(errs, "topic raw value") || !strings.Contains(errs, `format "xml"`) {
		t.Fatalf("bad format: %d %s", code, errs)
	}
}

// An https registry with its own CA, as -X schema.registry.ssl.* give it.
func TestRegistryOverTLS(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("readings", 1, nil)
	reg := srfake.NewRegistry()
	srv := httptest.NewTLSServer(reg.Handler())
	defer srv.Close()
	id, _, err := reg.RegisterSchema("readings-value", sr.Schema{Schema: thirdPartyAvro})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "s", "celsius": 2.5, "state": "OK"})
	b.Produce(&kgo.Record{Topic: "readings", Partition: 0, Value: frame(id, v)})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-b", b.Addr, "-X", "schema.registry.url=" + srv.URL}
	code, out, errs := runCLI(append(args, "-X", "schema.registry.ssl.ca.location="+ca, "consume", "readings", "--until", "end")...)
	if recs := jsonLines(t, out); code != 0 || recs[0]["value_format"] != "avro" {
		t.Fatalf("with the CA: %d %s %s", code, out, errs)
	}
	// The same from a context's schema_registry block.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf("current-context: tls\ncontexts:\n  - name: tls\n    brokers: [%s]\n    schema_registry: {url: %s, ca: %s}\n", b.Addr, srv.URL, ca)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI("--config", cfg, "consume", "readings", "--until", "end")
	if recs := jsonLines(t, out); code != 0 || recs[0]["value_format"] != "avro" {
		t.Fatalf("context with the CA: %d %s %s", code, out, errs)
	}
	// Without the CA the certificate is not trusted: the reason says so.
	code, out, _ = runCLI(append(args, "consume", "readings", "--until", "end")...)
	recs := jsonLines(t, out)
	reasons, _ := json.Marshal(recs[0]["value_reasons"])
	if code != 0 || recs[0]["value_format"] != "binary" || !strings.Contains(string(reasons), "certificate") {
		t.Fatalf("without the CA: %d %v", code, recs)
	}
}

// The shipped shipments_by_carrier example runs on the demo world's Avro
// topic: each carrier's sum of delivered declared values is at least what
// a consume just before saw (live demo traffic only adds records).
func TestShipmentsProjectionExample(t *testing.T) {
	emb := []string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}
	run := func(args ...string) (int, string, string) {
		return runCLI(append(append([]string{}, emb...), args...)...)
	}
	code, out, errb := run("consume", "shipments", "--from", "earliest", "--until", "end")
	if code != 0 {
		t.Fatalf("consume: %d %s", code, errb)
	}
	seen := map[string]float64{}
	for _, r := range jsonLines(t, out) {
		v, _ := r["value"].(map[string]any)
		if r["value_format"] != "avro" || v == nil {
			t.Fatalf("a demo shipment not decoded: %v", r)
		}
		if v["status"] == "DELIVERED" {
			seen[v["carrier"].(string)] += v["declared_value"].(float64)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("want delivered shipments of several carriers in the demo, got %v", seen)
	}
	if code, out, errb = run("project", "run", "../testdata/projections/shipments_by_carrier.yaml", "--name", "sbc"); code != 0 || !strings.Contains(out, "run sbc: done") {
		t.Fatalf("project run: %d %s %s", code, out, errb)
	}
	code, out, errb = run("project", "export", "sbc", "--file", "-")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errb)
	}
	got := map[string]float64{}
	for _, r := range jsonLines(t, out) {
		f, err := strconv.ParseFloat(fmt.Sprint(r["value"]), 64)
		if err != nil {
			t.Fatalf("row %v: %v", r, err)
		}
		got[fmt.Sprint(r["key"])] = f
	}
	for c, sum := range seen {
		if got[c] < sum-0.005 {
			t.Fatalf("carrier %s: projection %.2f < %.2f consumed before (rows %v)", c, got[c], sum, got)
		}
	}
	for c := range got {
		if _, ok := seen[c]; !ok && !slices.Contains([]string{"DHL", "UPS", "FEDEX", "POSTNL", "DPD"}, c) {
			t.Fatalf("unexpected key %q in %v", c, got)
		}
	}
}

// Without a registry: a Protobuf message from --proto-path (with an import
// resolved in the same directory) and an .avsc file decode plain payloads;
// an unknown message name is a reason on the record, not a failure.
func TestLocalSchemaFiles(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("stock", 1, nil)
	b.CreateTopic("plain-avro", 1, nil)
	dir := t.TempDir()
	files := map[string]string{
		"common/where.proto": "syntax = \"proto3\";\npackage plant.common;\nmessage Where { string hall = 1; int32 line = 2; }\n",
		"stock.proto": "syntax = \"proto3\";\npackage plant;\nimport \"common/where.proto\";\n" +
			"message Stock { enum Level { LOW = 0; HIGH = 1; } string sku = 1; Level level = 2; plant.common.Where where = 3; }\n",
		"reading.avsc": thirdPartyAvro,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stock := protoMsg(1, "sku-1", 2, 1, 3, protoMsg(1, "H2", 2, 7))
	av, err := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "s1", "celsius": -3.5, "state": "ALARM"})
	if err != nil {
		t.Fatal(err)
	}
	b.Produce(&kgo.Record{Topic: "stock", Partition: 0, Value: stock},
		&kgo.Record{Topic: "plain-avro", Partition: 0, Value: av})

	code, out, errs := runCLI("-b", b.Addr, "consume", "stock", "--until", "end", "--proto-path", dir, "--value-type", "plant.Stock")
	recs := jsonLines(t, out)
	want := map[string]any{"sku": "sku-1", "level": "HIGH", "where": map[string]any{"hall": "H2", "line": float64(7)}}
	if code != 0 || len(recs) != 1 || recs[0]["value_format"] != "protobuf" || !reflect.DeepEqual(recs[0]["value"], want) {
		t.Fatalf("--proto-path: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI("-b", b.Addr, "consume", "plain-avro", "--until", "end", "--value-type", filepath.Join(dir, "reading.avsc"))
	recs = jsonLines(t, out)
	if code != 0 || len(recs) != 1 || recs[0]["value_format"] != "avro" ||
		!reflect.DeepEqual(recs[0]["value"], map[string]any{"sensor": "s1", "celsius": -3.5, "state": "ALARM"}) {
		t.Fatalf(".avsc: %d %s %s", code, out, errs)
	}
	// A TOPIC= type for another topic leaves this one to auto-detection.
	code, out, _ = runCLI("-b", b.Addr, "consume", "stock", "--until", "end", "--proto-path", dir, "--value-type", "other=plant.Stock")
	if recs = jsonLines(t, out); code != 0 || recs[0]["value_format"] == "protobuf" {
		t.Fatalf("TOPIC= applied to the wrong topic: %s", out)
	}
	code, out, _ = runCLI("-b", b.Addr, "consume", "stock", "--until", "end", "--proto-path", dir, "--value-type", "plant.Nope")
	recs = jsonLines(t, out)
	reasons, _ := json.Marshal(recs[0]["value_reasons"])
	if code != 0 || len(recs) != 1 || recs[0]["value_format"] == "protobuf" || !strings.Contains(string(reasons), "plant.Nope") {
		t.Fatalf("unknown message: %d %s", code, out)
	}
}

// Framed keys decode like values: key object, key_format, key_schema_id,
// key_subject (TopicNameStrategy: readings-key).
func TestFramedKeyDecodes(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("readings", 1, nil)
	reg := srfake.New()
	defer reg.Close()
	keySchema := `{"type":"record","name":"ReadingKey","namespace":"plant","fields":[{"name":"sensor","type":"string"},{"name":"hall","type":"int"}]}`
	kid, _, err := reg.RegisterSchema("readings-key", sr.Schema{Schema: keySchema})
	if err != nil {
		t.Fatal(err)
	}
	vid, _, err := reg.RegisterSchema("readings-value", sr.Schema{Schema: thirdPartyAvro})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := avro.Marshal(avro.MustParse(keySchema), map[string]any{"sensor": "s7", "hall": 2})
	v, _ := avro.Marshal(avro.MustParse(thirdPartyAvro), map[string]any{"sensor": "s7", "celsius": 1.5, "state": "OK"})
	b.Produce(&kgo.Record{Topic: "readings", Partition: 0, Key: frame(kid, k), Value: frame(vid, v)})
	code, out, errs := runCLI("-b", b.Addr, "-X", "schema.registry.url="+reg.URL(), "consume", "readings", "--until", "end")
	recs := jsonLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("%d %s %s", code, out, errs)
	}
	r := recs[0]
	if !reflect.DeepEqual(r["key"], map[string]any{"sensor": "s7", "hall": float64(2)}) || r["key_format"] != "avro" ||
		r["key_schema_id"] != float64(kid) || r["key_subject"] != "readings-key" ||
		r["value_subject"] != "readings-value" || r["value_schema_id"] != float64(vid) {
		t.Fatalf("framed key: %v", r)
	}
}
