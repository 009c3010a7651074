package project

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkEvalApply measures the per-record work of a sum-by-key
// projection (eval + in-memory apply), without the broker or Pebble.
func BenchmarkEvalApply(b *testing.B) {
	c := compileText(b, "name: s\ntopic: bench\nkey: value.customer\naggregate: sum\nvalue: value.amount\n")
	pad := strings.Repeat("x", 150)
	recs := make([]*kgo.Record, 1000)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "bench", Value: fmt.Appendf(nil, `{"id":%d,"customer":"c-%d","amount":%d.5,"pad":"%s"}`, i, i%5000, i%1000, pad)}
	}
	w := newWorld(b)
	st, err := openStore(b.TempDir(), true)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := &runner{c: c, agg: AggSum, st: st, tab: newTableState(st.db, AggSum)}
	r.tab.startFresh(1000)
	_ = w
	_ = context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.apply(recs[i%len(recs)])
	}
}
