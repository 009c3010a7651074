package backend

// The schema part of the demo world: topics whose values are what
// production topics usually hold, Confluent-framed records with their
// schemas in the embedded registry.
//
//	shipments  Avro, subject shipments-value: version 1, then version 2
//	           adds a nullable "eta"; both versions are in the data
//	inventory  Protobuf, subject inventory-value: StockLevel with a
//	           nested Location message and a Status enum
//
// It is seeded separately from the JSON demo world (its own markers), so
// a data dir seeded before these topics existed gets them on its next
// start. Like the rest of the demo, topics that exist without a marker are
// the user's and are never touched.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

const (
	demoShipments = "shipments"
	demoStock     = "inventory"

	demoSchemasSeededMarker  = "demo-schemas-seeded"
	demoSchemasSeedingMarker = "demo-schemas-seeding"

	demoSchemaSeed = 0x5EED_A7B0
)

// DemoShipmentsV1 and DemoShipmentsV2 are the two versions of
// shipments-value; v2 adds "eta" (backward compatible: it has a default).
const (
	DemoShipmentsV1 = `{"type":"record","name":"Shipment","namespace":"rewind.demo.logistics","fields":[
 {"name":"shipment_id","type":"string"},
 {"name":"order_id","type":"string"},
 {"name":"carrier","type":{"type":"enum","name":"Carrier","symbols":["DHL","UPS","FEDEX","POSTNL","DPD"]}},
 {"name":"status","type":{"type":"enum","name":"ShipmentStatus","symbols":["LABEL_CREATED","PICKED_UP","IN_TRANSIT","OUT_FOR_DELIVERY","DELIVERED","EXCEPTION"]}},
 {"name":"weight_grams","type":"int"},
 {"name":"declared_value","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"destination","type":{"type":"record","name":"Address","fields":[
  {"name":"city","type":"string"},{"name":"country","type":"string"},{"name":"postal_code","type":"string"}]}},
 {"name":"updated_at","type":{"type":"long","logicalType":"timestamp-millis"}}
]}`
	DemoShipmentsV2 = `{"type":"record","name":"Shipment","namespace":"rewind.demo.logistics","fields":[
 {"name":"shipment_id","type":"string"},
 {"name":"order_id","type":"string"},
 {"name":"carrier","type":{"type":"enum","name":"Carrier","symbols":["DHL","UPS","FEDEX","POSTNL","DPD"]}},
 {"name":"status","type":{"type":"enum","name":"ShipmentStatus","symbols":["LABEL_CREATED","PICKED_UP","IN_TRANSIT","OUT_FOR_DELIVERY","DELIVERED","EXCEPTION"]}},
 {"name":"weight_grams","type":"int"},
 {"name":"declared_value","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"destination","type":{"type":"record","name":"Address","fields":[
  {"name":"city","type":"string"},{"name":"country","type":"string"},{"name":"postal_code","type":"string"}]}},
 {"name":"updated_at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"eta","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null}
]}`
	// DemoInventoryProto is inventory-value. StockLevel is the second
	// message, so its records carry the message-index list [1].
	DemoInventoryProto = `syntax = "proto3";
package rewind.demo.inventory;

import "google/protobuf/timestamp.proto";

message Warehouse {
  string code = 1;
  string city = 2;
}

message StockLevel {
  enum Status {
    STATUS_UNSPECIFIED = 0;
    IN_STOCK = 1;
    LOW_STOCK = 2;
    OUT_OF_STOCK = 3;
  }
  message Location {
    string warehouse = 1;
    string aisle = 2;
    int32 shelf = 3;
  }
  string sku = 1;
  int32 on_hand = 2;
  int32 reserved = 3;
  Status status = 4;
  Location location = 5;
  google.protobuf.Timestamp updated_at = 6;
}
`
)

var demoSchemaTopics = []demoTopic{
	{demoShipments, 3, map[string]string{"cleanup.policy": "delete", "retention.ms": demoRetention7}},
	{demoStock, 2, map[string]string{"cleanup.policy": "delete", "retention.ms": demoRetention7}},
}

// shipment is the JSON form the Avro encoder takes (the decoder's output).
type shipment struct {
	ShipmentID    string  `json:"shipment_id"`
	OrderID       string  `json:"order_id"`
	Carrier       string  `json:"carrier"`
	Status        string  `json:"status"`
	WeightGrams   int     `json:"weight_grams"`
	DeclaredValue money   `json:"declared_value"`
	Destination   address `json:"destination"`
	UpdatedAt     string  `json:"updated_at"`
	ETA           *string `json:"eta,omitempty"` // v2 only
}

type address struct {
	City       string `json:"city"`
	Country    string `json:"country"`
	PostalCode string `json:"postal_code"`
}

type stockLevel struct {
	SKU       string        `json:"sku"`
	OnHand    int           `json:"on_hand"`
	Reserved  int           `json:"reserved"`
	Status    string        `json:"status"`
	Location  stockLocation `json:"location"`
	UpdatedAt string        `json:"updated_at"`
}

type stockLocation struct {
	Warehouse string `json:"warehouse"`
	Aisle     string `json:"aisle"`
	Shelf     int    `json:"shelf"`
}

var (
	demoCarriers  = []string{"DHL", "UPS", "FEDEX", "POSTNL", "DPD"}
	demoCities    = []address{{"Berlin", "DE", "10115"}, {"Lyon", "FR", "69001"}, {"Austin", "US", "73301"}, {"Leeds", "GB", "LS1"}, {"Utrecht", "NL", "3511"}, {"Sevilla", "ES", "41001"}, {"Torino", "IT", "10121"}, {"Malmö", "SE", "21119"}}
	demoWarehouse = []string{"AMS-1", "FRA-2", "LYS-1"}
	shipStatuses  = []string{"LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"}
)

// schemaDemo holds the encoders of the registered demo schemas.
type schemaDemo struct {
	shipV1, shipV2, stock *decode.Encoder
}

// registerDemoSchemas registers the demo schemas (idempotent: the same
// schema under the same subject keeps its id) and builds their encoders.
func (e *Embedded) registerDemoSchemas(ctx context.Context) (*schemaDemo, error) {
	var sd schemaDemo
	for _, s := range []struct {
		subject string
		schema  sr.Schema
		message string
		enc     **decode.Encoder
	}{
		{"shipments-value", sr.Schema{Schema: DemoShipmentsV1}, "", &sd.shipV1},
		{"shipments-value", sr.Schema{Schema: DemoShipmentsV2}, "", &sd.shipV2},
		{"inventory-value", sr.Schema{Schema: DemoInventoryProto, Type: sr.TypeProtobuf}, "rewind.demo.inventory.StockLevel", &sd.stock},
	} {
		id, err := e.reg.Register(ctx, s.subject, s.schema)
		if err != nil {
			return nil, err
		}
		enc, err := decode.NewEncoder(ctx, id, s.schema, nil, s.message)
		if err != nil {
			return nil, fmt.Errorf("demo schema %s: %w", s.subject, err)
		}
		*s.enc = enc
	}
	return &sd, nil
}

// seedSchemaDemo makes sure the schema demo topics exist; it reports
// whether they are rewind's (so live traffic may run) and their encoders.
func (e *Embedded) seedSchemaDemo(ctx context.Context) (*schemaDemo, error) {
	if e.reg == nil {
		return nil, nil
	}
	names := []string{demoShipments, demoStock}
	if fileExists(e.markerPath(demoSchemasSeededMarker)) {
		return e.registerDemoSchemas(ctx)
	}
	if ours, err := e.beginSeeding(ctx, strings.Join(names, ", "), names, demoSchemasSeedingMarker, e.dropTopics); !ours || err != nil {
		return nil, err
	}
	sd, err := e.registerDemoSchemas(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.createTopics(ctx, demoSchemaTopics); err != nil {
		return nil, err
	}
	now := time.Now()
	recs, err := generateSchemaDemo(sd, now.Add(-demoWindow), e.cfg.tune.demoScale)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(recs); i += 500 {
		if err := e.cl.ProduceSync(ctx, recs[i:min(i+500, len(recs))]...).FirstErr(); err != nil {
			return nil, fmt.Errorf("producing demo records: %w", err)
		}
	}
	if err := writeFileAtomic(e.markerPath(demoSchemasSeededMarker), []byte(fmt.Sprintf("seeded_at %s records %d\n", now.UTC().Format(time.RFC3339), len(recs)))); err != nil {
		return nil, err
	}
	_ = os.Remove(e.markerPath(demoSchemasSeedingMarker))
	return sd, nil
}

func demoTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (sd *schemaDemo) shipmentRecord(s shipment, at time.Time, v2 bool) (*kgo.Record, error) {
	enc := sd.shipV1
	if v2 {
		enc = sd.shipV2
	} else {
		s.ETA = nil
	}
	js, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	v, err := enc.Encode(nil, js)
	if err != nil {
		return nil, fmt.Errorf("encoding demo shipment: %w", err)
	}
	return &kgo.Record{Topic: demoShipments, Key: []byte(s.ShipmentID), Value: v, Timestamp: at,
		Headers: []kgo.RecordHeader{hdr("source", "carrier-webhook")}}, nil
}

func (sd *schemaDemo) stockRecord(s stockLevel, at time.Time) (*kgo.Record, error) {
	js, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	v, err := sd.stock.Encode(nil, js)
	if err != nil {
		return nil, fmt.Errorf("encoding demo stock level: %w", err)
	}
	return &kgo.Record{Topic: demoStock, Key: []byte(s.SKU), Value: v, Timestamp: at,
		Headers: []kgo.RecordHeader{hdr("source", "wms")}}, nil
}

// generateSchemaDemo builds the seeded shipments and stock levels, in
// timestamp order. The first 40% of the window is written with
// shipments-value v1, the rest with v2.
func generateSchemaDemo(sd *schemaDemo, base time.Time, scale float64) ([]*kgo.Record, error) {
	r := rand.New(rand.NewPCG(demoSchemaSeed, 2))
	type timed struct {
		at  time.Duration
		rec func() (*kgo.Record, error)
	}
	var all []timed
	nShip := scaled(600, scale)
	for i := range nShip {
		start := time.Duration(i) * demoWindow / time.Duration(nShip)
		dest := demoCities[r.IntN(len(demoCities))]
		s := shipment{
			ShipmentID:    fmt.Sprintf("shp-%06d", i+1),
			OrderID:       fmt.Sprintf("ord-%06d", 1+r.IntN(8000)),
			Carrier:       demoCarriers[r.IntN(len(demoCarriers))],
			WeightGrams:   100 + r.IntN(25000),
			DeclaredValue: round2(5 + r.Float64()*995),
			Destination:   dest,
		}
		steps := 1 + r.IntN(len(shipStatuses))
		at := start
		for k := range steps {
			st := s
			st.Status = shipStatuses[k]
			if k == steps-1 && k < len(shipStatuses)-1 && r.IntN(8) == 0 {
				st.Status = "EXCEPTION"
			}
			t := base.Add(at)
			st.UpdatedAt = demoTS(t)
			if st.Status != "DELIVERED" {
				eta := demoTS(t.Add(time.Duration(24+r.IntN(72)) * time.Hour))
				st.ETA = &eta
			}
			v2 := at >= demoWindow*4/10
			a := at
			all = append(all, timed{a, func() (*kgo.Record, error) { return sd.shipmentRecord(st, base.Add(a), v2) }})
			at += 20*time.Minute + time.Duration(r.Int64N(int64(6*time.Hour)))
		}
	}
	nStock := scaled(400, scale)
	for i := range nStock {
		at := time.Duration(i) * demoWindow / time.Duration(nStock)
		s := demoStockLevel(r, 1000+r.IntN(200), base.Add(at))
		a := at
		all = append(all, timed{a, func() (*kgo.Record, error) { return sd.stockRecord(s, base.Add(a)) }})
	}
	// Stable order by time: per-partition timestamps never go backwards.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].at < all[j-1].at; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	out := make([]*kgo.Record, 0, len(all))
	for _, t := range all {
		if t.at >= demoWindow {
			continue
		}
		rec, err := t.rec()
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func demoStockLevel(r *rand.Rand, sku int, at time.Time) stockLevel {
	onHand := r.IntN(400)
	status := "IN_STOCK"
	switch {
	case onHand == 0 || r.IntN(25) == 0:
		onHand, status = 0, "OUT_OF_STOCK"
	case onHand < 20:
		status = "LOW_STOCK"
	}
	return stockLevel{
		SKU: fmt.Sprintf("SKU-%04d", sku), OnHand: onHand, Reserved: r.IntN(onHand/4 + 1), Status: status,
		Location:  stockLocation{Warehouse: demoWarehouse[sku%len(demoWarehouse)], Aisle: string(rune('A' + sku%12)), Shelf: 1 + sku%9},
		UpdatedAt: demoTS(at),
	}
}

// startSchemaDemo produces live shipments and stock levels, a record every
// few ticks of the demo traffic.
func (e *Embedded) startSchemaDemo(ctx context.Context, sd *schemaDemo) {
	tds, err := e.adm.ListTopics(ctx, demoShipments, demoStock)
	if err != nil || tds.Error() != nil {
		e.logf("demo: not starting live shipments/inventory: topics missing")
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		cl, err := NewClient(e.clientOptions(), "demo-schema-producer", kgo.RecordDeliveryTimeout(30*time.Second))
		if err != nil {
			e.logf("demo producer: %v", err)
			return
		}
		defer cl.Close()
		next := 100000
		if ends, err := e.adm.ListEndOffsets(ctx, demoShipments); err == nil {
			ends.Each(func(lo kadm.ListedOffset) { next += int(lo.Offset) })
		}
		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), demoSchemaSeed))
		live := map[string]*shipment{}
		var ids []string
		tick := time.NewTicker(3 * e.cfg.tune.trafficEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			now := time.Now()
			var rec *kgo.Record
			var err error
			switch {
			case r.IntN(3) == 0:
				rec, err = sd.stockRecord(demoStockLevel(r, 1000+r.IntN(200), now), now)
			case len(ids) < 20 || r.IntN(4) == 0:
				s := &shipment{
					ShipmentID: fmt.Sprintf("shp-%06d", next), OrderID: fmt.Sprintf("ord-%06d", 10000+r.IntN(2000)),
					Carrier: demoCarriers[r.IntN(len(demoCarriers))], Status: shipStatuses[0],
					WeightGrams: 100 + r.IntN(25000), DeclaredValue: round2(5 + r.Float64()*995),
					Destination: demoCities[r.IntN(len(demoCities))],
				}
				next++
				live[s.ShipmentID] = s
				ids = append(ids, s.ShipmentID)
				rec, err = sd.liveShipment(s, now)
			default:
				i := r.IntN(len(ids))
				s := live[ids[i]]
				for k, st := range shipStatuses {
					if st == s.Status && k+1 < len(shipStatuses) {
						s.Status = shipStatuses[k+1]
						break
					}
				}
				if s.Status == "DELIVERED" {
					delete(live, s.ShipmentID)
					ids = append(ids[:i], ids[i+1:]...)
				}
				rec, err = sd.liveShipment(s, now)
			}
			if err != nil {
				e.logf("demo producer: %v", err)
				continue
			}
			cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
				if err != nil && ctx.Err() == nil {
					e.logf("demo producer: %s: %v", rec.Topic, err)
				}
			})
		}
	}()
}

func (sd *schemaDemo) liveShipment(s *shipment, now time.Time) (*kgo.Record, error) {
	c := *s
	c.UpdatedAt = demoTS(now)
	c.ETA = nil
	if c.Status != "DELIVERED" {
		eta := demoTS(now.Add(48 * time.Hour))
		c.ETA = &eta
	}
	return sd.shipmentRecord(c, now, true)
}
