package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/registry"
)

func TestCLIProduceWithValueSchema(t *testing.T) {
	addr := remote(t, 0)
	reg, err := registry.Start(registry.Config{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	id, err := reg.Register(ctx, "orders-value", sr.Schema{Type: sr.TypeAvro,
		Schema: `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	regFlag := "schema.registry.url=" + reg.URL()
	var code int
	var errs string
	withStdin(t, "k1:{\"id\":\"o-1\",\"amount\":12.5}\nk2:\n", func() {
		code, _, errs = runCLI("-b", addr, "-X", regFlag, "produce", "orders", "-p", "1", "-K:", "-Z", "--value-schema", "orders-value")
	})
	if code != 0 {
		t.Fatalf("produce: %s", errs)
	}
	c, err := backend.Connect(ctx, backend.Options{Brokers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recs, err := c.Fetch(ctx, "orders", 1, 0, 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("fetch: %v %d", err, len(recs))
	}
	if v := recs[0].Value; len(v) < 5 || v[0] != 0 || int(v[4]) != id {
		t.Fatalf("not the Confluent wire format with schema id %d: % x", id, v)
	}
	if recs[1].Value != nil {
		t.Fatalf("a tombstone stays null: % x", recs[1].Value)
	}
	d, err := decode.New(decode.Config{Registry: decode.RegistryConfig{URL: reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	res := d.Decode(ctx, "orders", false, recs[0].Value, nil)
	if res.Format != decode.FormatAvro || string(res.JSON) != `{"id":"o-1","amount":12.5}` {
		t.Fatalf("decoded: %+v %s", res, res.JSON)
	}

	// A value that does not fit stops the command, saying which record.
	withStdin(t, "{\"id\":\"o-2\",\"amount\":1}\n{\"id\":3}\n", func() {
		code, _, errs = runCLI("-b", addr, "-X", regFlag, "produce", "orders", "--value-schema", "orders-value")
	})
	if code != 1 || !strings.Contains(errs, "record 2: the value does not fit orders-value version 1 (avro") {
		t.Fatalf("bad value: %d %s", code, errs)
	}
	withStdin(t, "{}\n", func() {
		code, _, errs = runCLI("-b", addr, "-X", regFlag, "produce", "orders", "--value-schema", "nope-value")
	})
	if code != 1 || !strings.Contains(errs, `--value-schema: subject "nope-value"`) {
		t.Fatalf("missing subject: %d %s", code, errs)
	}
	withStdin(t, "{}\n", func() {
		code, _, errs = runCLI("-b", addr, "produce", "orders", "--value-schema", "orders-value")
	})
	if code != 1 || !strings.Contains(errs, "no schema registry") {
		t.Fatalf("no registry: %d %s", code, errs)
	}
}
