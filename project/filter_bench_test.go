package project

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkFilterTest is one search predicate on bench/seed-like values
// (~200 B of JSON with an incompressible pad): the per-record cost of a
// scan's evaluation.
func BenchmarkFilterTest(b *testing.B) {
	f, err := CompileFilter(`value.customer == "c-42"`)
	if err != nil {
		b.Fatal(err)
	}
	pad := make([]byte, 110)
	_, _ = rand.Read(pad)
	recs := make([]*kgo.Record, 1024)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "t", Key: []byte(fmt.Sprintf("k-%d", i)),
			Value: []byte(fmt.Sprintf(`{"id":%d,"customer":"c-%d","amount":%d.5,"pad":%q}`, i, i%5000, i%500, base64.StdEncoding.EncodeToString(pad)))}
	}
	b.SetBytes(int64(len(recs[0].Value)))
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.Test(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
}
