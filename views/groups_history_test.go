package views

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
)

// TestGroupsScreenFromSampler: with the lag history's sampler (as in the
// TUI), the list shows the verdicts and numbers TestGroupsScreen sees
// polling by itself, from the sampler's samples alone: the screen's monitor
// keeps no windows (one copy of the history, not two).
func TestGroupsScreenFromSampler(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	startSampler(t, env, t.TempDir(), 200*time.Millisecond)
	h := startApp(t, env, NewGroups(env, "", WithRefresh(200*time.Millisecond)), 120, 24)
	s := h.waitFor(t, "verdicts", func(s string) bool {
		return strings.Contains(s, "3 groups") && strings.Contains(s, "LOST") && strings.Contains(s, "STOP")
	})
	lineHas(t, s, "LOST", "g-lost", "classic", "Empty", "0", "payments", "90")
	lineHas(t, s, "STOP", "g-empty", "classic", "Empty", "0", "orders", "5", "59m")
	lineHas(t, s, "g-live", "classic", "Stable", "1", "orders", "30")
	// A consumer that joins shows up with the sampler's next sample.
	joinAndCommit(t, env, "g-new", "orders", 3, 40)
	s = h.waitText(t, "g-new")
	lineHas(t, s, "g-new", "classic", "Stable", "1", "orders", "0")
	if n := monitorFor(env).tracker.Len(); n != 0 {
		t.Fatalf("the groups screen kept %d windows of its own beside the sampler's", n)
	}
	// enter still opens the group with its partitions.
	h.keys("/")
	h.typeText("g-lost")
	h.keys("enter")
	h.waitFor(t, "filtered to g-lost", func(s string) bool { return !strings.Contains(s, "g-live") })
	h.keys("enter")
	h.waitText(t, "PARTITIONS", "LOST 50 records deleted before read")
	h.quit(t)
}

// TestFromSnapshotSameAsViews: the lean rows the list builds from a
// snapshot carry what assemble + fromHistory (the group screen's path)
// compute, for the whole group and for one topic.
func TestFromSnapshotSameAsViews(t *testing.T) {
	now := time.Now()
	verdict := func(st lag.Status, why string) lag.Verdict {
		return lag.Verdict{Status: st, Reason: why, Basis: time.Minute}
	}
	tl := func(d time.Duration, src string) backend.TimeLag { return backend.TimeLag{Lag: d, Source: src} }
	mk := func(name string, role lag.Status, gv lag.Verdict, parts []backend.PartitionLag, ps []laghist.Part) laghist.Group {
		g := laghist.Group{GroupLag: backend.GroupLag{FetchedAt: now, Partitions: parts}, Verdict: gv, Parts: ps, Role: role}
		g.Group = name
		for _, p := range parts {
			if len(g.Topics) == 0 || g.Topics[len(g.Topics)-1] != p.Topic {
				g.Topics = append(g.Topics, p.Topic)
			}
			if p.Committed >= 0 && p.Err == "" {
				g.TotalLag += max(p.Lag, 0)
			}
		}
		if role != "" {
			g.Label = "replay of x"
		}
		return g
	}
	sn := &laghist.Snapshot{At: now, Seq: 3, Groups: []laghist.Group{
		mk("a", "", verdict(lag.Lost, "lost"), []backend.PartitionLag{
			{Topic: "orders", Partition: 0, Committed: 5, LogStart: 9, HighWatermark: 20, Lag: 15, BehindLogStart: true},
			{Topic: "orders", Partition: 1, Committed: -1, HighWatermark: 7, Lag: -1},
			{Topic: "pay", Partition: 0, Committed: 3, HighWatermark: 10, Lag: 7},
		}, []laghist.Part{
			{Verdict: verdict(lag.Lost, "p0 lost"), TimeLag: tl(time.Minute, backend.TimeLagRecord)},
			{Verdict: verdict(lag.Unknown, "no commit")},
			{Verdict: verdict(lag.Stop, "p stop"), TimeLag: tl(time.Hour, backend.TimeLagEstimate)},
		}),
		mk("b", lag.Replay, verdict(lag.Replay, "replay of x"), []backend.PartitionLag{
			{Topic: "pay", Partition: 0, Committed: 1, HighWatermark: 10, Lag: 9, Err: "boom"},
			{Topic: "pay", Partition: 1, Committed: 4, HighWatermark: 10, Lag: 6},
		}, []laghist.Part{
			{Verdict: verdict(lag.Replay, "r0")},
			{Verdict: verdict(lag.Replay, "r1"), TimeLag: tl(2*time.Second, backend.TimeLagAtLeast)},
		}),
		mk("c", "", verdict(lag.OK, "ok"), nil, nil),
	}}
	for _, topic := range []string{"", "orders", "pay"} {
		got := fromSnapshot(sn, map[string][]int64{"a": {1, 2}}, topic)
		var want []groupView
		for i := range sn.Groups {
			sg := &sn.Groups[i]
			if topic != "" && !strings.Contains(strings.Join(sg.Topics, ","), topic) {
				continue
			}
			gv := assemble(&sg.GroupLag, func(j int) partView {
				return partView{PartitionLag: sg.Partitions[j], status: sg.Parts[j].Verdict.Status, tl: sg.Parts[j].TimeLag}
			}, topic)
			fromHistory(&gv, sg, topic)
			gv.parts = nil
			if sg.Group == "a" {
				gv.trend = []float64{1, 2}
			}
			want = append(want, gv)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("topic %q:\n got %+v\nwant %+v", topic, got, want)
		}
	}
}
