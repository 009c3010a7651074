package decode

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

const moneyProto = `syntax = "proto3";
package demo.common;
message Money { string currency = 1; int64 units = 2; }
`

const stockProto = `syntax = "proto3";
package demo.inventory;
import "demo/common/money.proto";
import "google/protobuf/timestamp.proto";

message Ping { string id = 1; }

message StockLevel {
  enum Status { STATUS_UNSPECIFIED = 0; IN_STOCK = 1; LOW = 2; OUT_OF_STOCK = 3; }
  message Location { string aisle = 1; int32 shelf = 2; }
  string sku = 1;
  int32 on_hand = 2;
  Status status = 3;
  Location location = 4;
  demo.common.Money unit_price = 5;
  google.protobuf.Timestamp updated_at = 6;
  repeated string tags = 7;
}
`

// stockMessage builds a StockLevel with every kind of field set.
func stockMessage(t testing.TB, md protoreflect.MessageDescriptor) []byte {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	m.Set(f.ByName("sku"), protoreflect.ValueOfString("sku-\u202e1"))
	m.Set(f.ByName("on_hand"), protoreflect.ValueOfInt32(42))
	m.Set(f.ByName("status"), protoreflect.ValueOfEnum(2))
	loc := dynamicpb.NewMessage(f.ByName("location").Message())
	loc.Set(loc.Descriptor().Fields().ByName("aisle"), protoreflect.ValueOfString("B"))
	loc.Set(loc.Descriptor().Fields().ByName("shelf"), protoreflect.ValueOfInt32(4))
	m.Set(f.ByName("location"), protoreflect.ValueOfMessage(loc))
	price := dynamicpb.NewMessage(f.ByName("unit_price").Message())
	price.Set(price.Descriptor().Fields().ByName("currency"), protoreflect.ValueOfString("EUR"))
	price.Set(price.Descriptor().Fields().ByName("units"), protoreflect.ValueOfInt64(12))
	m.Set(f.ByName("unit_price"), protoreflect.ValueOfMessage(price))
	ts := dynamicpb.NewMessage(f.ByName("updated_at").Message())
	ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(1767225600))
	m.Set(f.ByName("updated_at"), protoreflect.ValueOfMessage(ts))
	l := m.Mutable(f.ByName("tags")).List()
	l.Append(protoreflect.ValueOfString("cold"))
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const stockJSON = `{"sku":"sku-\u202e1","on_hand":42,"status":"LOW","location":{"aisle":"B","shelf":4},` +
	`"unit_price":{"currency":"EUR","units":"12"},"updated_at":"2026-01-01T00:00:00Z","tags":["cold"]}`

func TestProtoNestedEnumReferenceIndex(t *testing.T) {
	pf, err := compileProto(context.Background(), stockProto, map[string]string{"demo/common/money.proto": moneyProto})
	if err != nil {
		t.Fatal(err)
	}
	md, err := pf.message([]int{1})
	if err != nil {
		t.Fatal(err)
	}
	if md.FullName() != "demo.inventory.StockLevel" {
		t.Fatalf("index [1] is %s", md.FullName())
	}
	nested, err := pf.message([]int{1, 0})
	if err != nil || nested.FullName() != "demo.inventory.StockLevel.Location" {
		t.Fatalf("index [1 0]: %v %v", nested, err)
	}
	if _, err := pf.message([]int{5}); err == nil || !strings.Contains(err.Error(), "has no message #5") {
		t.Fatalf("bad index: %v", err)
	}
	b := stockMessage(t, md)
	out, err := decodeProto(nil, md, b, 6)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != stockJSON {
		t.Fatalf("got  %s\nwant %s", out, stockJSON)
	}
	// Truncation names a byte of the whole value.
	_, err = decodeProto(nil, md, b[:len(b)-3], 6)
	if err == nil || !strings.Contains(err.Error(), "payload ends early at byte") || !strings.Contains(err.Error(), "demo.inventory.StockLevel") {
		t.Fatalf("truncated: %v", err)
	}
}

func TestProtoBadSchemas(t *testing.T) {
	ctx := context.Background()
	for _, src := range []string{"", "syntax = \"proto3\"; message {", "import \"missing.proto\"; message A {}", "\x00\xff garbage"} {
		if _, err := compileProto(ctx, src, nil); err == nil && src != "" {
			t.Errorf("%q compiled", src)
		}
	}
}

func TestLocalProtoPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "demo", "common"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo", "common", "money.proto"), []byte(moneyProto), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stock.proto"), []byte(stockProto), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{ProtoPaths: []string{dir}, Topics: map[string]TopicConfig{"inventory": {Value: Spec{Type: "demo.inventory.StockLevel"}}}})
	if err != nil {
		t.Fatal(err)
	}
	md, err := d.localMessage(context.Background(), "demo.inventory.StockLevel")
	if err != nil {
		t.Fatal(err)
	}
	plain := stockMessage(t, md)
	framed := append(AppendHeader(nil, 7, []int{1}), plain...)
	for name, b := range map[string][]byte{"plain": plain, "framed without registry": framed} {
		r := d.Decode(context.Background(), "inventory", false, b, nil)
		if r.Format != FormatProtobuf || string(r.JSON) != stockJSON || r.TypeName != "demo.inventory.StockLevel" {
			t.Fatalf("%s: %+v %s", name, r, r.JSON)
		}
	}
	// A type that is not there says so and the value is still shown.
	d2, _ := New(Config{ProtoPaths: []string{dir}, Topics: map[string]TopicConfig{"*": {Value: Spec{Type: "demo.Nope"}}}})
	r := d2.Decode(context.Background(), "x", false, plain, nil)
	if r.Format != FormatBinary || !strings.Contains(strings.Join(r.Reasons(), "\n"), "message type demo.Nope not found") {
		t.Fatalf("%+v", r)
	}
	if _, err := New(Config{Topics: map[string]TopicConfig{"x": {Value: Spec{Type: "a.B"}}}}); err == nil {
		t.Fatal("a Protobuf type without --proto-path must be refused")
	}
}
