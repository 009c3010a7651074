package lagmetrics

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/internal/testkit"
)

func TestMetricsMatchSnapshot(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("orders", 2, nil)
	b.ProduceSeq("orders", 2, 40, time.Now().Add(-time.Hour))
	b.Commit("stopped", "orders", map[int32]int64{0: 5, 1: 15})
	b.Commit("rewind.projection.revenue.v2", "orders", map[int32]int64{0: 20, 1: 20})
	member := b.JoinAndCommit("live", "orders", map[int32]int64{0: 20, 1: 18})
	defer member.Close()

	c, err := backend.Connect(context.Background(), backend.Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := laghist.NewSampler(c, nil, laghist.Config{Role: func(g string) (lag.Status, string) {
		if strings.HasPrefix(g, "rewind.projection.") {
			return lag.Projection, "projection revenue run v2"
		}
		return "", ""
	}})
	if err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := Serve("127.0.0.1:0", New(s, "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mfs := testkit.Scrape(t, "http://"+srv.Addr()+"/metrics")
	sn := s.Snapshot()
	if len(sn.Groups) != 3 {
		t.Fatalf("%d groups", len(sn.Groups))
	}
	for _, g := range sn.Groups {
		gl := map[string]string{"cluster_name": "test", "group": g.Group}
		if v, ok := testkit.Gauge(mfs, "kafka_consumergroup_group_sum_lag", gl); !ok || int64(v) != g.TotalLag {
			t.Errorf("%s sum lag %v %v, want %d", g.Group, v, ok, g.TotalLag)
		}
		var maxLag int64
		for j, p := range g.Partitions {
			pl := map[string]string{"group": g.Group, "topic": p.Topic, "partition": fmt.Sprint(p.Partition), "member_host": p.Host, "client_id": p.Client}
			if v, ok := testkit.Gauge(mfs, "kafka_consumergroup_group_lag", pl); !ok || int64(v) != p.Lag {
				t.Errorf("%s %s/%d lag %v %v, want %d", g.Group, p.Topic, p.Partition, v, ok, p.Lag)
			}
			if v, ok := testkit.Gauge(mfs, "kafka_consumergroup_group_offset", pl); !ok || int64(v) != p.Committed {
				t.Errorf("%s %s/%d offset %v, want %d", g.Group, p.Topic, p.Partition, v, p.Committed)
			}
			tl := g.Parts[j].TimeLag
			if v, ok := testkit.Gauge(mfs, "kafka_consumergroup_group_lag_seconds", pl); ok != (tl.Source != "") || ok && v != tl.Lag.Seconds() {
				t.Errorf("%s %s/%d lag seconds %v %v, want %v", g.Group, p.Topic, p.Partition, v, ok, tl)
			}
			maxLag = max(maxLag, p.Lag)
		}
		if v, _ := testkit.Gauge(mfs, "kafka_consumergroup_group_max_lag", gl); int64(v) != maxLag {
			t.Errorf("%s max lag %v, want %d", g.Group, v, maxLag)
		}
		if v, ok := testkit.Gauge(mfs, "rewind_consumergroup_status", map[string]string{"group": g.Group, "status": string(g.Verdict.Status)}); !ok || v != 1 {
			t.Errorf("%s status %s not 1", g.Group, g.Verdict.Status)
		}
	}
	// The stopped group is STOP (and 0 for every other verdict); the
	// projection's group is PROJECTION with severity 0, never an alarm.
	if v, _ := testkit.Gauge(mfs, "rewind_consumergroup_status", map[string]string{"group": "stopped", "status": "STOP"}); v != 1 {
		t.Error("stopped is not STOP")
	}
	if v, ok := testkit.Gauge(mfs, "rewind_consumergroup_status", map[string]string{"group": "stopped", "status": "OK"}); !ok || v != 0 {
		t.Error("stopped: OK series missing or not 0")
	}
	if v, ok := testkit.Gauge(mfs, "rewind_consumergroup_status", map[string]string{"group": "rewind.projection.revenue.v2", "status": "PROJECTION", "role": "projection"}); !ok || v != 1 {
		t.Error("projection group not labelled")
	}
	if v, ok := testkit.Gauge(mfs, "rewind_consumergroup_status_severity", map[string]string{"group": "rewind.projection.revenue.v2"}); !ok || v != 0 {
		t.Errorf("projection severity %v", v)
	}
	if v, _ := testkit.Gauge(mfs, "kafka_partition_latest_offset", map[string]string{"topic": "orders", "partition": "0"}); v != 40 {
		t.Errorf("latest offset %v", v)
	}
	if v, ok := testkit.Gauge(mfs, "rewind_lag_sample_timestamp_seconds", nil); !ok || int64(v*1000) != sn.At.UnixMilli() {
		t.Errorf("sample timestamp %v, want %v", v, sn.At)
	}
	if _, ok := mfs["kafka_consumergroup_poll_time_ms"]; !ok {
		t.Error("no poll time")
	}
	if _, ok := mfs["go_goroutines"]; !ok {
		t.Error("no runtime metrics")
	}
	if _, err := Serve(srv.Addr(), New(s, "x")); err == nil || !strings.Contains(err.Error(), "--metrics "+srv.Addr()) {
		t.Fatalf("second listen on a taken port: %v", err)
	}
}
