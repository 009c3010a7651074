package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// demoTune keeps the demo test quick: full-size data (seeding is fast),
// but fast live traffic and a slow consumer that is slow enough to lag.
var demoTune = embeddedTuning{
	trafficEvery:   20 * time.Millisecond,
	analyticsDelay: 200 * time.Millisecond,
	retentionEvery: 500 * time.Millisecond,
}

func sumRecords(offs map[int32]startEnd) (n int64) {
	for _, o := range offs {
		n += o.end - o.start
	}
	return n
}

func sumEnds(offs map[int32]startEnd) (n int64) {
	for _, o := range offs {
		n += o.end
	}
	return n
}

// eventually retries fn until it returns "" or the deadline passes.
func eventually(t *testing.T, d time.Duration, fn func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		msg := fn()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDemoGeneratorDeterministic(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := generateDemo(base, 1), generateDemo(base, 1)
	for _, td := range demoTopicDefs {
		ra, rb := a.byTopic[td.name], b.byTopic[td.name]
		if len(ra) == 0 || len(ra) != len(rb) {
			t.Fatalf("%s: %d vs %d records", td.name, len(ra), len(rb))
		}
		for i := range ra {
			if !bytes.Equal(ra[i].key, rb[i].key) || !bytes.Equal(ra[i].value, rb[i].value) || ra[i].at != rb[i].at {
				t.Fatalf("%s record %d differs between runs", td.name, i)
			}
		}
	}
	if n := len(a.byTopic[demoOrders]); n < 18000 || n > 23000 {
		t.Fatalf("orders: %d records, want about 20k", n)
	}
	// Orders carry the documented shape.
	var o map[string]any
	if err := json.Unmarshal(a.byTopic[demoOrders][0].value, &o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"order_id", "customer_id", "amount", "currency", "status", "items", "created_at"} {
		if _, ok := o[f]; !ok {
			t.Fatalf("order without %q: %s", f, a.byTopic[demoOrders][0].value)
		}
	}
	if !bytes.Contains(a.byTopic[demoOrders][0].value, []byte(`"amount":`)) {
		t.Fatal("no amount")
	}
	// The sanitiser showcase: raw escapes, invalid UTF-8, tombstones,
	// binary frames with NUL and ESC.
	var esc, badUTF8, tomb int
	for _, r := range a.byTopic[demoCustomers] {
		if bytes.Contains(r.value, []byte("\x1b[2J")) {
			esc++
		}
		if bytes.Contains(r.value, []byte("\xc3\x28")) {
			badUTF8++
		}
		if r.value == nil {
			tomb++
		}
	}
	if esc == 0 || badUTF8 == 0 || tomb == 0 {
		t.Fatalf("customers: %d escape records, %d invalid UTF-8, %d tombstones", esc, badUTF8, tomb)
	}
	f := a.byTopic[demoSensors][0].value
	if !bytes.HasPrefix(f, []byte{0x89, 'R', 'W', 'F'}) || !bytes.Contains(f, []byte{0x1b}) || !bytes.Contains(f, []byte{0}) {
		t.Fatalf("sensor frame: % x", f)
	}
	// Per topic the timestamps never go backwards.
	for name, recs := range a.byTopic {
		for i := 1; i < len(recs); i++ {
			if recs[i].at < recs[i-1].at {
				t.Fatalf("%s: timestamps out of order at %d", name, i)
			}
		}
	}
}

func TestDemoWorld(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	start := time.Now()
	e := startEmb(t, dir, true, demoTune)
	t.Logf("first start with seeding: %v", time.Since(start).Round(time.Millisecond))
	cl, adm := embClient(t, e.Addr())
	ctx := context.Background()

	// Topics, partitions, configs.
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range demoTopicDefs {
		got, ok := tds[td.name]
		if !ok {
			t.Fatalf("topic %s missing; have %v", td.name, tds.Names())
		}
		if len(got.Partitions) != int(td.partitions) {
			t.Errorf("%s: %d partitions, want %d", td.name, len(got.Partitions), td.partitions)
		}
		for k, v := range td.configs {
			if got := embTopicConfig(t, adm, td.name, k); got != v {
				t.Errorf("%s: %s = %q, want %q", td.name, k, got, v)
			}
		}
	}

	seeded := generateDemo(time.Now(), 1)
	wantOrders := int64(len(seeded.byTopic[demoOrders]))
	orders := embOffsets(t, adm, demoOrders)
	if n := sumRecords(orders); n < wantOrders || n > wantOrders+2000 {
		t.Fatalf("orders has %d records, want %d seeded + a little live traffic", n, wantOrders)
	}

	// Seeded timestamps span the 48h window, so seek-by-time is useful.
	old, err := adm.ListOffsetsAfterMilli(ctx, time.Now().Add(-24*time.Hour).UnixMilli(), demoOrders)
	if err != nil {
		t.Fatal(err)
	}
	old.Each(func(lo kadm.ListedOffset) {
		o := orders[lo.Partition]
		if lo.Offset <= o.start+o.end/4 || lo.Offset >= o.end {
			t.Errorf("orders/%d: offset 24h ago = %d of [%d,%d): timestamps not spread", lo.Partition, lo.Offset, o.start, o.end)
		}
	})

	// fraud-audit: committed below the log start of audit-events.
	audit := embOffsets(t, adm, demoAudit)
	fraud := embCommitted(t, adm, demoFraud)
	if len(fraud) == 0 {
		t.Fatal("fraud-audit has no commits")
	}
	for p, o := range audit {
		c, ok := fraud.Lookup(demoAudit, p)
		if !ok || o.start == 0 || c.At >= o.start {
			t.Errorf("audit-events/%d: fraud-audit committed %d (present %v), log start %d: want commit below log start", p, c.At, ok, o.start)
		}
	}

	// email-notifier: stopped with commits, no members.
	if n := len(embCommitted(t, adm, demoEmail)[demoOrders]); n != 6 {
		t.Errorf("email-notifier has commits for %d orders partitions, want 6", n)
	}
	dg, err := adm.DescribeGroups(ctx, demoEmail, demoFraud)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range dg {
		if len(g.Members) != 0 {
			t.Errorf("%s has %d members, want none", g.Group, len(g.Members))
		}
	}

	// The live groups join and behave as advertised.
	eventually(t, 30*time.Second, func() string {
		dg, err := adm.DescribeGroups(ctx, demoBilling, demoAnalytics)
		if err != nil {
			return err.Error()
		}
		for _, g := range dg {
			if len(g.Members) == 0 {
				return g.Group + " has no members (state " + g.State + ")"
			}
		}
		cg, err := adm.DescribeConsumerGroups(ctx, demoInventory)
		if err != nil {
			return "describe consumer groups: " + err.Error()
		}
		inv, ok := cg[demoInventory]
		if !ok || inv.Err != nil || len(inv.Members) == 0 {
			return "inventory-sync is not a live KIP-848 group"
		}
		return ""
	})
	eventually(t, 20*time.Second, func() string {
		lags, err := adm.Lag(ctx, demoBilling, demoAnalytics, demoInventory)
		if err != nil {
			return err.Error()
		}
		billing := lags[demoBilling].Lag.Total()
		analytics := lags[demoAnalytics].Lag.Total()
		inventory, ok := lags[demoInventory]
		if !ok || len(inventory.Lag) == 0 {
			return "inventory-sync has no lag entry yet"
		}
		if analytics < 500 {
			return "analytics-etl is not lagging: lag " + itoa(analytics)
		}
		if billing > 200 {
			return "billing-service is not keeping up: lag " + itoa(billing)
		}
		if billing == 0 && len(lags[demoBilling].Lag) == 0 {
			return "billing-service has no lag entry"
		}
		return ""
	})

	// analytics-etl works through every payments partition (not one at a
	// time) and still falls further behind on each of them.
	payLag := func() map[int32]kadm.GroupMemberLag {
		lags, err := adm.Lag(ctx, demoAnalytics)
		if err != nil {
			t.Fatal(err)
		}
		return lags[demoAnalytics].Lag[demoPayments]
	}
	base := payLag()
	if len(base) != 3 {
		t.Fatalf("analytics-etl has lag for %d payments partitions, want 3", len(base))
	}
	eventually(t, 15*time.Second, func() string {
		now := payLag()
		for p, b := range base {
			n := now[p]
			if n.Commit.At <= b.Commit.At {
				return "analytics-etl: payments/" + itoa(int64(p)) + " commit stuck at " + itoa(n.Commit.At)
			}
			if n.Lag <= b.Lag {
				return "analytics-etl: payments/" + itoa(int64(p)) + " lag " + itoa(n.Lag) + " not growing from " + itoa(b.Lag)
			}
		}
		return ""
	})

	// Live traffic is flowing.
	eventually(t, 10*time.Second, func() string {
		if now := sumEnds(embOffsets(t, adm, demoOrders)); now <= sumEnds(orders) {
			return "no live traffic into orders"
		}
		return ""
	})

	// The hostile bytes reach the log raw.
	cons, _ := embClient(t, e.Addr(), kgo.ConsumeTopics(demoCustomers), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	found, consumed := false, 0
	wantCustomers := len(seeded.byTopic[demoCustomers])
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for pctx.Err() == nil && !found {
		cons.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			consumed++
			if bytes.Contains(r.Value, []byte("Mallory\x1b[2J\x1b]0;pwned\x07")) {
				found = true
			}
		})
	}
	if !found {
		t.Fatal("the escape-sequence customer record is not in customers")
	}
	cons.Close()
	if custOffs := embOffsets(t, adm, demoCustomers); sumEnds(custOffs) < int64(wantCustomers) {
		t.Fatalf("customers end offsets sum %d < %d produced", sumEnds(custOffs), wantCustomers)
	}

	cl.Close()
	closeStart := time.Now()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Close with demo running: %v", time.Since(closeStart).Round(time.Millisecond))
	eventually(t, 10*time.Second, func() string {
		if n := runtime.NumGoroutine(); n > before+5 {
			return "goroutines after Close: " + itoa(int64(n)) + ", before start: " + itoa(int64(before))
		}
		return ""
	})

	// Restart with the demo: no reseeding.
	e2 := startEmb(t, dir, true, demoTune)
	_, adm2 := embClient(t, e2.Addr())
	if n := sumRecords(embOffsets(t, adm2, demoOrders)); n > wantOrders+3000 {
		t.Fatalf("after restart orders has %d records: reseeded (seeded %d)", n, wantOrders)
	}
	if len(embCommitted(t, adm2, demoEmail)) == 0 {
		t.Fatal("email-notifier commits lost over restart")
	}
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}

	// Without the demo: no traffic, no consumers, data stays.
	e3 := startEmb(t, dir, false, demoTune)
	_, adm3 := embClient(t, e3.Addr())
	if e3.demoStarted {
		t.Fatal("demo traffic and consumers started with Demo=false")
	}
	dg, err = adm3.DescribeGroups(ctx, demoBilling, demoAnalytics)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range dg {
		if len(g.Members) != 0 {
			t.Fatalf("%s has members with Demo=false", g.Group)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDemoInterruptedSeedingRestarts(t *testing.T) {
	dir := t.TempDir()
	tune := embeddedTuning{demoScale: 0.1, trafficEvery: time.Hour}
	// A seeding that died half way: marker, a topic with some records.
	e := startEmb(t, dir, false, tune)
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, demoOrders, 6, nil)
	embProduce(t, cl, demoOrders, 6, 60, time.Now())
	cl.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, demoSeedingMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	e = startEmb(t, dir, true, tune)
	_, adm = embClient(t, e.Addr())
	want := int64(len(generateDemo(time.Now(), 0.1).byTopic[demoOrders]))
	if n := sumRecords(embOffsets(t, adm, demoOrders)); n != want {
		t.Fatalf("orders after reseeding: %d records, want %d", n, want)
	}
	if v := embTopicConfig(t, adm, demoOrders, "retention.ms"); v != demoRetention7 {
		t.Fatalf("orders retention.ms %q: topic was not recreated by the demo", v)
	}
	if fileExists(filepath.Join(dir, demoSeedingMarker)) || !fileExists(filepath.Join(dir, demoSeededMarker)) {
		t.Fatal("markers not updated after reseeding")
	}
}

func TestDemoLeavesUserTopicsAlone(t *testing.T) {
	dir := t.TempDir()
	tune := embeddedTuning{demoScale: 0.1}
	e := startEmb(t, dir, false, tune)
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, demoOrders, 1, nil)
	embProduce(t, cl, demoOrders, 1, 7, time.Now())
	cl.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = startEmb(t, dir, true, tune)
	_, adm = embClient(t, e.Addr())
	if n := sumRecords(embOffsets(t, adm, demoOrders)); n != 7 {
		t.Fatalf("user's orders topic has %d records, want its own 7", n)
	}
	tds, err := adm.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tds.Has(demoPayments) || fileExists(filepath.Join(dir, demoSeededMarker)) {
		t.Fatal("demo seeded into a data dir whose topics are the user's")
	}
}
