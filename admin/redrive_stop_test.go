package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// A redrive bounded by a range reads only that range; a redrive stopped
// after a batch writes exactly the batches before the stop and says so.
func TestRedriveRangeAndStop(t *testing.T) {
	c, _ := testCluster(t, false)
	ctx := context.Background()
	env := testEnv(t)
	for _, tp := range []string{"orders", "orders.DLT"} {
		if _, err := c.CreateTopicSpec(ctx, backend.TopicSpec{Name: tp, Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*kgo.Record
	for i := 0; i < 250; i++ {
		recs = append(recs, dlqRecord(0, "orders", "x-original-topic", fmt.Sprint(i)))
	}
	produce(t, c, recs...)

	ranged := RedriveRequest{Topic: "orders.DLT", Range: map[int32][2]int64{0: {100, 120}}}
	plan, err := PlanRedrive(ctx, c, ranged)
	if err != nil || plan.Scanned != 20 || plan.ToProduce() != 20 || plan.Range[0] != [2]int64{100, 120} {
		t.Fatalf("ranged plan: %+v %v", plan, err)
	}

	defer func(n int) { redriveBatch = n }(redriveBatch)
	redriveBatch = 100
	stops := 0
	req := RedriveRequest{Topic: "orders.DLT", Stop: func() bool { stops++; return stops == 2 }}
	plan, err = PlanRedrive(ctx, c, req)
	if err != nil || plan.ToProduce() != 250 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	en, err := ExecuteRedrive(ctx, c, env, req, plan, nil)
	if !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), "after 200 of 250 records") {
		t.Fatalf("stopped redrive: %v", err)
	}
	if en.OK() || en.Redrive.Produced["orders"] != 200 || en.Redrive.Range[0] != [2]int64{0, 200} {
		t.Fatalf("audit of the stopped redrive: %+v %+v", en, en.Redrive)
	}
	got, err := c.Fetch(ctx, "orders", 0, 0, 300)
	if err != nil || len(got) != 200 || string(got[0].Value) != "0" || string(got[199].Value) != "199" {
		t.Fatalf("orders got %d records (%v)", len(got), err)
	}
	if es := audit(t, env); len(es) != 1 || !strings.Contains(es[0].Result, "stopped by the operator") {
		t.Fatalf("audit: %+v", es)
	}
}
