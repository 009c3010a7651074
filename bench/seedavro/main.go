// Command seedavro fills two topics with the same N records: one as JSON
// values, one as Confluent-framed Avro with the schema registered in a
// registry. It is the set-up step of bench/decode-avro-vs-json.sh (not
// part of rewind itself).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/bench/internal/seeder"
)

const schema = `{"type":"record","name":"Payment","namespace":"bench","fields":[
 {"name":"id","type":"long"},
 {"name":"customer","type":"string"},
 {"name":"amount","type":"double"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["CREATED","CAPTURED","REFUNDED","FAILED"]}},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"card","type":["null","string"],"default":null},
 {"name":"note","type":"string"}]}`

func main() {
	addr := flag.String("b", "127.0.0.1:19092", "broker")
	regURL := flag.String("r", "http://127.0.0.1:18081", "schema registry URL")
	n := flag.Int("n", 1_000_000, "records per topic")
	parts := flag.Int("p", 6, "partitions")
	flag.Parse()
	if err := run(*addr, *regURL, *n, int32(*parts)); err != nil {
		fmt.Fprintln(os.Stderr, "seedavro:", err)
		os.Exit(1)
	}
}

func run(addr, regURL string, n int, parts int32) error {
	ctx := context.Background()
	rc, err := sr.NewClient(sr.URLs(regURL))
	if err != nil {
		return err
	}
	ss, err := rc.CreateSchema(ctx, "bench-avro-value", sr.Schema{Schema: schema})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	enc, err := decode.NewEncoder(ctx, ss.ID, sr.Schema{Schema: schema}, nil, "")
	if err != nil {
		return err
	}
	pr, err := seeder.New(ctx, addr, parts, "bench-json", "bench-avro")
	if err != nil {
		return err
	}
	defer pr.Close()
	r := mrand.New(mrand.NewPCG(1, 2))
	statuses := []string{"CREATED", "CAPTURED", "REFUNDED", "FAILED"}
	noise := make([]byte, 72)
	base := time.Now().Add(-time.Duration(n) * time.Millisecond)
	for i := range n {
		_, _ = rand.Read(noise) // incompressible
		card := "null"
		if i%3 != 0 {
			card = `"` + strconv.Itoa(4000_0000+r.IntN(9999_9999)) + `"`
		}
		at := base.Add(time.Duration(i) * time.Millisecond)
		js := []byte(`{"id":` + strconv.Itoa(i) + `,"customer":"cus-` + strconv.Itoa(r.IntN(200_000)) +
			`","amount":` + strconv.FormatFloat(float64(r.IntN(1_000_000))/100, 'f', -1, 64) +
			`,"status":"` + statuses[r.IntN(4)] + `","at":"` + at.UTC().Format("2006-01-02T15:04:05.000Z") +
			`","card":` + card + `,"note":"` + base64.StdEncoding.EncodeToString(noise) + `"}`)
		av, err := enc.Encode(nil, js)
		if err != nil {
			return fmt.Errorf("encode %s: %w", js, err)
		}
		key := []byte("pay-" + strconv.Itoa(i))
		pr.Send(ctx, &kgo.Record{Topic: "bench-json", Key: key, Value: js, Timestamp: at})
		pr.Send(ctx, &kgo.Record{Topic: "bench-avro", Key: key, Value: av, Timestamp: at})
		if err := pr.Err(); err != nil {
			return err
		}
	}
	return pr.Done(ctx)
}
