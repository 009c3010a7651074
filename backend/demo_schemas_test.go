package backend

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/twmb/franz-go/pkg/kgo"
)

// readTopic reads a topic from the start up to the ends listed now.
func readTopic(t *testing.T, addr, topic string) []*kgo.Record {
	t.Helper()
	_, adm := embClient(t, addr)
	offs := embOffsets(t, adm, topic)
	want := sumRecords(offs)
	cl, _ := embClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: read %d of %d records", topic, len(out), want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < offs[r.Partition].end {
				out = append(out, r)
			}
		})
	}
	return out
}

// The demo's Avro and Protobuf topics decode completely through the
// embedded registry, both shipments schema versions are in the data, and
// live traffic keeps adding decodable records.
func TestDemoSchemaTopicsDecode(t *testing.T) {
	dir := t.TempDir()
	e := startEmb(t, dir, true, embeddedTuning{demoScale: 0.2, trafficEvery: 20 * time.Millisecond})
	if e.RegistryURL() == "" || RunningRegistryURL(dir) != e.RegistryURL() {
		t.Fatalf("registry URL %q, file says %q", e.RegistryURL(), RunningRegistryURL(dir))
	}
	subs := strings.Join(e.reg.Subjects(), ",")
	if subs != "inventory-value,shipments-value" {
		t.Fatalf("subjects %s", subs)
	}
	d, err := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: e.RegistryURL()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	versions := map[int]int{}
	recs := readTopic(t, e.Addr(), demoShipments)
	for _, r := range recs {
		res := d.Decode(ctx, r.Topic, false, r.Value, nil)
		if res.Format != decode.FormatAvro || res.Subject != "shipments-value" {
			t.Fatalf("shipments %d/%d: %s %v", r.Partition, r.Offset, res.Format, res.Reasons())
		}
		versions[res.Version]++
		if hasETA := strings.Contains(string(res.JSON), `"eta":`); hasETA != (res.Version == 2) {
			t.Fatalf("v%d record %s", res.Version, res.JSON)
		}
	}
	if len(recs) < 100 || versions[1] == 0 || versions[2] == 0 {
		t.Fatalf("%d shipments, by version %v: want both versions", len(recs), versions)
	}
	stock := readTopic(t, e.Addr(), demoStock)
	for _, r := range stock {
		res := d.Decode(ctx, r.Topic, false, r.Value, nil)
		if res.Format != decode.FormatProtobuf || res.TypeName != "rewind.demo.inventory.StockLevel" ||
			!strings.Contains(string(res.JSON), `"location":{"warehouse":`) || !strings.Contains(string(res.JSON), `"status":"`) {
			t.Fatalf("inventory %d/%d: %s %s %v", r.Partition, r.Offset, res.Format, res.JSON, res.Reasons())
		}
	}
	if len(stock) < 50 {
		t.Fatalf("%d stock levels", len(stock))
	}
	// Live traffic: more records arrive, and they decode.
	_, adm := embClient(t, e.Addr())
	seeded := sumEnds(embOffsets(t, adm, demoShipments)) + sumEnds(embOffsets(t, adm, demoStock))
	eventually(t, time.Minute, func() string {
		if n := sumEnds(embOffsets(t, adm, demoShipments)) + sumEnds(embOffsets(t, adm, demoStock)); n <= seeded+5 {
			return fmt.Sprintf("no live shipments/inventory traffic: %d records, seeded %d", n, seeded)
		}
		return ""
	})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// A restart keeps the schemas (ids unchanged) and does not seed again.
	e2 := startEmb(t, dir, true, embeddedTuning{demoScale: 0.2, trafficEvery: time.Hour})
	d2, _ := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: e2.RegistryURL()}})
	for _, r := range readTopic(t, e2.Addr(), demoShipments) {
		if res := d2.Decode(ctx, r.Topic, false, r.Value, nil); res.Format != decode.FormatAvro {
			t.Fatalf("after restart, %d/%d: %v", r.Partition, r.Offset, res.Reasons())
		}
	}
}
