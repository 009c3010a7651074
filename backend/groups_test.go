package backend

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/internal/testkit"
)

// reqCounter counts requests written to brokers, by API key.
type reqCounter struct {
	mu    sync.Mutex
	byKey map[int16]int
}

func (r *reqCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	r.mu.Lock()
	if r.byKey == nil {
		r.byKey = map[int16]int{}
	}
	r.byKey[key]++
	r.mu.Unlock()
}

func (r *reqCounter) reset() {
	r.mu.Lock()
	r.byKey = map[int16]int{}
	r.mu.Unlock()
}

// snapshot returns the total and a readable per-request breakdown.
func (r *reqCounter) snapshot() (int, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	named := map[string]int{}
	for k, n := range r.byKey {
		total += n
		named[kmsg.NameForKey(k)] = n
	}
	return total, named
}

// groupsTestCluster starts an in-process kfake broker (real Kafka protocol
// over TCP) and connects a Cluster whose requests are counted.
func groupsTestCluster(t testing.TB, kopts ...kfake.Opt) (*kfake.Cluster, *Cluster, *reqCounter) {
	t.Helper()
	b := testkit.NewBroker(t, kopts...)
	rc := &reqCounter{}
	c, err := Connect(context.Background(), Options{
		Brokers: b.Addrs(),
		Timeout: 10 * time.Second,
		extra:   []kgo.Opt{kgo.WithHooks(rc)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return b.Kf, c, rc
}

func noGoroutineLeak(t *testing.T) { testkit.NoGoroutineLeak(t) }

func mustCreate(t testing.TB, c *Cluster, topic string, parts int32) {
	t.Helper()
	createTopic(t, c, topic, parts, nil)
}

// produceEach writes n records to every partition of topic, record i of a
// partition stamped base + i seconds.
func produceEach(t testing.TB, c *Cluster, topic string, parts int32, n int, base time.Time) {
	t.Helper()
	var recs []*kgo.Record
	for p := range parts {
		recs = append(recs, testkit.Seq(topic, p, 0, n, base, time.Second)...)
	}
	testkit.ProduceTo(t, c.Brokers(), recs...)
}

// startConsumer joins group on topic, reads want records, commits the
// position after record `commitAt` of each partition (offset commitAt+1)
// and stays in the group without polling further. The caller closes it.
func startConsumer(t testing.TB, c *Cluster, group, topic string, want int, commitAt int64, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	ids, err := c.PartitionIDs(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	commit := map[int32]int64{}
	for _, p := range ids {
		commit[p] = commitAt + 1
	}
	_ = want // the kit reads until every partition delivered commitAt
	return testkit.Connect(t, c.Brokers()...).JoinAndCommit(group, topic, commit, append([]kgo.Opt{kgo.ClientID("test-" + group)}, opts...)...)
}

func findGroup(t testing.TB, gls []GroupLag, name string) GroupLag {
	t.Helper()
	for _, g := range gls {
		if g.Group == name {
			return g
		}
	}
	t.Fatalf("group %q not in %d groups", name, len(gls))
	return GroupLag{}
}

// waitGroup polls GroupLags until ok accepts the group (membership and
// assignment settle asynchronously).
func waitGroup(t testing.TB, c *Cluster, name string, ok func(GroupLag) bool) GroupLag {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		gls, err := c.GroupLags(context.Background(), []string{name})
		if err != nil {
			t.Fatal(err)
		}
		g := findGroup(t, gls, name)
		if ok(g) {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s never settled: %+v", name, g)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestGroupLagsClassicAnd848(t *testing.T) {
	noGoroutineLeak(t)
	_, c, rc := groupsTestCluster(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	mustCreate(t, c, "orders", 3)
	mustCreate(t, c, "payments", 2)
	produceEach(t, c, "orders", 3, 50, base)
	produceEach(t, c, "payments", 2, 40, base)

	// Active classic group: read everything, committed 30 on each partition.
	classic := startConsumer(t, c, "g-classic", "orders", 150, 29)
	defer classic.Close()
	// KIP-848 group on payments: committed 25 on each partition.
	next := startConsumer(t, c, "g-848", "payments", 80, 24, kgo.ServerSideBalancer())
	defer next.Close()
	// Empty group: commits only, nobody ever joined.
	adm := kadm.NewClient(c.cl)
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 10, LeaderEpoch: -1, Metadata: "manual"})
	os.Add(kadm.Offset{Topic: "orders", Partition: 2, At: 50, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "g-empty", os); err != nil {
		t.Fatal(err)
	}

	// More traffic after the commits: HW 60 on orders, 45 on payments.
	produceEach(t, c, "orders", 3, 10, base.Add(50*time.Second))
	produceEach(t, c, "payments", 2, 5, base.Add(40*time.Second))

	// Classic: members and assignment settle, lag = HW - committed.
	g := waitGroup(t, c, "g-classic", func(g GroupLag) bool { return g.State == "Stable" && g.Members == 1 && len(g.Partitions) == 3 })
	if g.Protocol != "classic" || g.ProtocolType != "consumer" || g.Assignor == "" {
		t.Errorf("classic summary: %+v", g.GroupSummary)
	}
	if len(g.MembersInfo) != 1 || g.MembersInfo[0].ClientID != "test-g-classic" || len(g.MembersInfo[0].Assigned["orders"]) != 3 {
		t.Errorf("classic members: %+v", g.MembersInfo)
	}
	for _, p := range g.Partitions {
		if p.Topic != "orders" || p.Committed != 30 || p.LogStart != 0 || p.HighWatermark != 60 || p.Lag != 30 ||
			p.Owner != g.MembersInfo[0].MemberID || p.Client != "test-g-classic" || !p.Active || p.Err != "" {
			t.Errorf("classic partition: %+v", p)
		}
	}
	if g.TotalLag != 90 || strings.Join(g.Topics, ",") != "orders" {
		t.Errorf("classic total %d topics %v", g.TotalLag, g.Topics)
	}

	// KIP-848: described through ConsumerGroupDescribe; topic IDs mapped.
	n := waitGroup(t, c, "g-848", func(g GroupLag) bool { return g.Members == 1 && len(g.MembersInfo[0].Assigned["payments"]) == 2 })
	if n.Protocol != "consumer" || n.ProtocolType != "consumer" || n.State != "Stable" || n.Assignor == "" {
		t.Errorf("848 summary: %+v", n.GroupSummary)
	}
	if n.MembersInfo[0].ClientID != "test-g-848" || n.MembersInfo[0].MemberID == "" {
		t.Errorf("848 member: %+v", n.MembersInfo[0])
	}
	if len(n.Partitions) != 2 || n.TotalLag != 2*(45-25) {
		t.Fatalf("848 partitions: %+v total %d", n.Partitions, n.TotalLag)
	}
	for _, p := range n.Partitions {
		if p.Topic != "payments" || p.Committed != 25 || p.HighWatermark != 45 || p.Lag != 20 || p.Owner != n.MembersInfo[0].MemberID || !p.Active {
			t.Errorf("848 partition: %+v", p)
		}
	}
	// What DescribeGroups alone says about the 848 group (kfake, like
	// Kafka, has no classic members for it).
	if dg, err := adm.DescribeGroups(ctx, "g-848"); err == nil {
		t.Logf("DescribeGroups for a KIP-848 group: state=%q protocolType=%q members=%d err=%v",
			dg["g-848"].State, dg["g-848"].ProtocolType, len(dg["g-848"].Members), dg["g-848"].Err)
	}

	// Empty group: committed partitions only, no owner, not active.
	e := findGroup(t, mustLags(t, c, nil), "g-empty")
	if e.State != "Empty" || e.Members != 0 || e.Protocol != "classic" || len(e.Partitions) != 2 {
		t.Fatalf("empty group: %+v", e)
	}
	if p := e.Partitions[0]; p.Partition != 0 || p.Committed != 10 || p.Lag != 50 || p.Active || p.Owner != "" || p.CommitMetadata != "manual" {
		t.Errorf("empty p0: %+v", p)
	}
	if p := e.Partitions[1]; p.Partition != 2 || p.Committed != 50 || p.Lag != 10 {
		t.Errorf("empty p2: %+v", p)
	}
	if e.TotalLag != 60 {
		t.Errorf("empty total %d", e.TotalLag)
	}
	// One sample is enough for STOP on a group nobody consumes.
	if st := lag.Evaluate([]lag.Sample{e.Partitions[0].Sample(e.FetchedAt)}, e.FetchedAt, time.Minute); st != lag.Stop {
		t.Errorf("empty group verdict %s, want STOP", st)
	}

	// Groups(): the same groups, cheaper, with committed topics.
	sums, err := c.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]GroupSummary{}
	for _, s := range sums {
		byName[s.Group] = s
	}
	if len(sums) != 3 || byName["g-848"].Protocol != "consumer" || byName["g-848"].Members != 1 ||
		strings.Join(byName["g-empty"].Topics, ",") != "orders" || byName["g-classic"].Members != 1 {
		t.Errorf("Groups: %+v", sums)
	}

	// One refresh is a handful of batched requests.
	rc.reset()
	if _, err := c.GroupLags(ctx, nil); err != nil {
		t.Fatal(err)
	}
	total, named := rc.snapshot()
	t.Logf("one GroupLags refresh of 3 groups: %d requests %v", total, named)
	if total > 8 {
		t.Errorf("refresh cost %d requests: %v", total, named)
	}
	for _, k := range []string{"ListGroups", "DescribeGroups", "ConsumerGroupDescribe", "OffsetFetch"} {
		if named[k] != 1 {
			t.Errorf("%s issued %d times, want 1: %v", k, named[k], named)
		}
	}

	// A consumer that leaves shows within one refresh.
	next.Close()
	n = findGroup(t, mustLags(t, c, []string{"g-848"}), "g-848")
	if n.Members != 0 || n.Partitions[0].Active {
		t.Errorf("after leave: members %d %+v", n.Members, n.Partitions)
	}
}

func mustLags(t testing.TB, c *Cluster, groups []string) []GroupLag {
	t.Helper()
	gls, err := c.GroupLags(context.Background(), groups)
	if err != nil {
		t.Fatal(err)
	}
	return gls
}

func TestGroupLagsBehindLogStart(t *testing.T) {
	noGoroutineLeak(t)
	_, c, _ := groupsTestCluster(t)
	ctx := context.Background()
	mustCreate(t, c, "events", 1)
	produceEach(t, c, "events", 1, 100, time.Now().Add(-time.Hour))
	adm := kadm.NewClient(c.cl)
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "events", Partition: 0, At: 10, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "g-lost", os); err != nil {
		t.Fatal(err)
	}
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "events", Partition: 0, At: 60})
	if resp, err := adm.DeleteRecords(ctx, del); err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
	g := findGroup(t, mustLags(t, c, []string{"g-lost"}), "g-lost")
	if len(g.Partitions) != 1 {
		t.Fatalf("partitions %+v", g.Partitions)
	}
	p := g.Partitions[0]
	if p.Committed != 10 || p.LogStart != 60 || p.HighWatermark != 100 || p.Lag != 90 || !p.BehindLogStart {
		t.Fatalf("behind log start: %+v", p)
	}
	var tr lag.Tracker
	if st, _ := g.Observe(&tr, g.FetchedAt, time.Minute); st != lag.Lost {
		t.Fatalf("verdict %s, want LOST", st)
	}
	// The record at the committed offset is gone: no exact time lag.
	if _, ok, err := c.RecordTime(ctx, "events", 0, 10); err != nil || ok {
		t.Fatalf("record time below log start: ok=%v err=%v", ok, err)
	}
	// Instead the oldest surviving record (offset 60, written base+60s)
	// gives a floor that is not an estimate and does not shrink.
	times, err := c.TimeLags(ctx, []GroupLag{g}, nil)
	if err != nil || len(times) != 1 {
		t.Fatalf("time lags for a lost partition: %v %v", times, err)
	}
	now := time.Now()
	tl := p.TimeLag(now, times, nil)
	oldest := times[Position{"events", 0, 60}]
	if tl.Source != TimeLagAtLeast || tl.Lag != now.Sub(oldest) || tl.Lag < 58*time.Minute {
		t.Fatalf("lost time lag: %+v (oldest record %v)", tl, oldest)
	}
}

func TestGroupLagsUnknownAndNoCommit(t *testing.T) {
	noGoroutineLeak(t)
	_, c, _ := groupsTestCluster(t)
	mustCreate(t, c, "t", 2)
	produceEach(t, c, "t", 2, 5, time.Now())

	// A member subscribed to t with no commit at all: its partitions show
	// with Committed -1 and Lag -1, and do not count in the total.
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ConsumerGroup("g-new"), kgo.ConsumeTopics("t"),
		kgo.DisableAutoCommit(), kgo.FetchMaxWait(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	go cl.PollFetches(context.Background()) // join; returns when the client closes
	g := waitGroup(t, c, "g-new", func(g GroupLag) bool {
		return g.State == "Stable" && len(g.Partitions) == 2 && g.Partitions[0].Owner != ""
	})
	for _, p := range g.Partitions {
		if p.Committed != -1 || p.Lag != -1 || p.HighWatermark != 5 || !p.Active {
			t.Errorf("uncommitted partition: %+v", p)
		}
		if st := lag.Evaluate([]lag.Sample{p.Sample(g.FetchedAt)}, g.FetchedAt, time.Minute); st != lag.Unknown {
			t.Errorf("no commit verdict %s", st)
		}
	}
	if g.TotalLag != 0 {
		t.Errorf("total %d", g.TotalLag)
	}

	gls := mustLags(t, c, []string{"nope"})
	if len(gls) != 1 || gls[0].Err == "" || len(gls[0].Partitions) != 0 {
		t.Fatalf("unknown group: %+v", gls)
	}
	t.Logf("unknown group: state=%q err=%q", gls[0].State, gls[0].Err)

	// No groups at all on a fresh cluster is an empty list, not an error.
	_, c2, _ := groupsTestCluster(t)
	if gls, err := c2.GroupLags(context.Background(), nil); err != nil || len(gls) != 0 {
		t.Fatalf("no groups: %v %v", gls, err)
	}
}

func TestTimeLagsBatched(t *testing.T) {
	noGoroutineLeak(t)
	_, c, rc := groupsTestCluster(t)
	ctx := context.Background()
	base := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	mustCreate(t, c, "a", 4)
	mustCreate(t, c, "b", 2)
	produceEach(t, c, "a", 4, 200, base)
	produceEach(t, c, "b", 2, 200, base)

	// Many positions over two topics, several per partition.
	var pos []Position
	for p := int32(0); p < 4; p++ {
		for _, o := range []int64{0, 7, 150, 199} {
			pos = append(pos, Position{"a", p, o})
		}
	}
	pos = append(pos, Position{"b", 1, 42}, Position{"b", 1, 42}, Position{"b", 0, 200}, Position{"b", 0, 5000})
	if _, err := c.adm.Metadata(ctx, "a", "b"); err != nil { // warm the metadata cache
		t.Fatal(err)
	}
	rc.reset()
	got, err := c.RecordTimes(ctx, pos, nil)
	if err != nil {
		t.Fatal(err)
	}
	total, named := rc.snapshot()
	t.Logf("RecordTimes for %d positions: %d requests %v", len(pos), total, named)
	if named["Fetch"] != 1 {
		t.Errorf("want one Fetch for every position on one broker, got %v", named)
	}
	for _, p := range pos {
		ts, ok := got[p]
		if p.Offset >= 200 {
			if ok {
				t.Errorf("%+v at/after HW should have no time", p)
			}
			continue
		}
		if want := base.Add(time.Duration(p.Offset) * time.Second); !ok || !ts.Equal(want) {
			t.Errorf("%+v: got %v %v want %v", p, ts, ok, want)
		}
	}

	// known answers are reused without fetching.
	rc.reset()
	again, err := c.RecordTimes(ctx, pos[:4], got)
	if err != nil || len(again) != 4 {
		t.Fatal(err, again)
	}
	if total, named := rc.snapshot(); total != 0 {
		t.Errorf("known positions fetched again: %v", named)
	}

	ts, ok, err := c.RecordTime(ctx, "a", 2, 100)
	if err != nil || !ok || !ts.Equal(base.Add(100*time.Second)) {
		t.Fatalf("RecordTime: %v %v %v", ts, ok, err)
	}
	if _, ok, err := c.RecordTime(ctx, "a", 2, 200); err != nil || ok {
		t.Fatalf("RecordTime at HW: %v %v", ok, err)
	}

	// TimeLags takes the positions from GroupLags rows.
	gl := GroupLag{Partitions: []PartitionLag{
		{Topic: "a", Partition: 0, Committed: 150, HighWatermark: 200, Lag: 50},
		{Topic: "a", Partition: 1, Committed: 200, HighWatermark: 200, Lag: 0}, // caught up
		{Topic: "b", Partition: 0, Committed: -1, HighWatermark: 200, Lag: -1}, // no commit
	}}
	tl, err := c.TimeLags(ctx, []GroupLag{gl}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || !tl[gl.Partitions[0].Position()].Equal(base.Add(150*time.Second)) {
		t.Fatalf("TimeLags: %v", tl)
	}
}

func TestGroupLagsContextCanceled(t *testing.T) {
	_, c, _ := groupsTestCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GroupLags(ctx, nil); err == nil {
		t.Fatal("want an error for a canceled context")
	}
	if _, err := c.RecordTimes(ctx, []Position{{"x", 0, 1}}, nil); err == nil {
		t.Fatal("want an error for a canceled context")
	}
}

func TestGroupLagsMultiBroker(t *testing.T) {
	noGoroutineLeak(t)
	_, c, rc := groupsTestCluster(t, kfake.NumBrokers(3))
	ctx := context.Background()
	mustCreate(t, c, "m", 6)
	produceEach(t, c, "m", 6, 20, time.Now())
	adm := kadm.NewClient(c.cl)
	const groups = 30
	for g := range groups {
		os := kadm.Offsets{}
		for p := int32(0); p < 6; p++ {
			os.Add(kadm.Offset{Topic: "m", Partition: p, At: int64(g % 21), LeaderEpoch: -1})
		}
		if err := adm.CommitAllOffsets(ctx, fmt.Sprintf("mg-%02d", g), os); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GroupLags(ctx, nil); err != nil { // warm coordinators
		t.Fatal(err)
	}
	rc.reset()
	gls, err := c.GroupLags(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	total, named := rc.snapshot()
	t.Logf("3 brokers, %d groups: %d requests %v", len(gls), total, named)
	if len(gls) != groups {
		t.Fatalf("%d groups", len(gls))
	}
	coords := map[int32]bool{}
	for i, g := range gls {
		coords[g.Coordinator] = true
		want := int64(i % 21)
		if len(g.Partitions) != 6 || g.TotalLag != 6*(20-want) || g.Err != "" {
			t.Fatalf("%s: total %d partitions %+v", g.Group, g.TotalLag, g.Partitions)
		}
	}
	// Bounded by brokers, not by groups: per broker at most one list,
	// describe and offset fetch, and two ListOffsets.
	if named["ListGroups"] > 3 || named["DescribeGroups"] > 3 || named["OffsetFetch"] > 3 || named["ListOffsets"] > 6 || total > 16 {
		t.Errorf("refresh on 3 brokers cost %d: %v (coordinators %v)", total, named, coords)
	}
}

func TestGroupLagsDeletedTopic(t *testing.T) {
	noGoroutineLeak(t)
	_, c, _ := groupsTestCluster(t)
	ctx := context.Background()
	mustCreate(t, c, "gone", 1)
	mustCreate(t, c, "kept", 1)
	produceEach(t, c, "kept", 1, 10, time.Now())
	adm := kadm.NewClient(c.cl)
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "gone", Partition: 0, At: 0, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "kept", Partition: 0, At: 4, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "g-del", os); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.DeleteTopic(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	// kfake drops a deleted topic's commits with it (Kafka may keep them
	// for a while, and kfake refuses commits on unknown topics), so the
	// error path is checked on listWatermarks directly below.
	g := findGroup(t, mustLags(t, c, []string{"g-del"}), "g-del")
	for _, p := range g.Partitions {
		switch p.Topic {
		case "gone":
			if p.Err == "" || p.Lag != -1 {
				t.Errorf("partition of a deleted topic should carry an error: %+v", p)
			}
		case "kept":
			if p.Lag != 6 || p.Err != "" {
				t.Errorf("kept: %+v", p)
			}
		}
	}
	if g.TotalLag != 6 {
		t.Errorf("total %d", g.TotalLag)
	}
	md, err := c.adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	marks, err := c.listWatermarks(ctx, md, []string{"kept", "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if wm := lookupWatermark(marks, "gone", 0); wm.err == nil {
		t.Errorf("missing topic: %+v", wm)
	}
	if wm := lookupWatermark(marks, "kept", 0); wm.err != nil || wm.end != 10 {
		t.Errorf("kept: %+v", wm)
	}
	if wm := lookupWatermark(marks, "kept", 7); wm.err == nil {
		t.Errorf("missing partition: %+v", wm)
	}
}

func TestPartitionTimeLag(t *testing.T) {
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	p := PartitionLag{Topic: "t", Partition: 1, Committed: 149, HighWatermark: 200, Lag: 51}
	times := map[Position]time.Time{p.Position(): now.Add(-90 * time.Second)}
	if tl := p.TimeLag(now, times, nil); tl.Source != TimeLagRecord || tl.Lag != 90*time.Second {
		t.Fatalf("exact: %+v", tl)
	}
	// Record gone: estimate from the window (10 records/s; offset 149 was
	// written 5s before the newest sample, which is 2s old).
	w := lag.NewWindow(20)
	for i := 0; i <= 10; i++ {
		w.Add(lag.Sample{At: now.Add(time.Duration(i-12) * time.Second), Committed: 149, HighWatermark: 100 + 10*int64(i)})
	}
	tl := p.TimeLag(now, nil, w)
	if tl.Source != TimeLagEstimate || tl.Lag < 6900*time.Millisecond || tl.Lag > 7100*time.Millisecond {
		t.Fatalf("estimate: %+v", tl)
	}
	if tl := (PartitionLag{Committed: 5, HighWatermark: 5}).TimeLag(now, nil, nil); tl.Source != TimeLagRecord || tl.Lag != 0 {
		t.Fatalf("caught up: %+v", tl)
	}
	if tl := (PartitionLag{Committed: -1, Lag: -1}).TimeLag(now, nil, w); tl.Source != "" {
		t.Fatalf("no commit: %+v", tl)
	}
	if tl := p.TimeLag(now, nil, nil); tl.Source != "" {
		t.Fatalf("nothing known: %+v", tl)
	}
}
