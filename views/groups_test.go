package views

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
)

// lagWorld seeds a kfake cluster (see testEnv) with the groups the lag
// screens must tell apart:
//
//	orders   3 partitions x 40 records, payments 1 partition x 100 records
//	g-live   a classic consumer, still a member, committed 30 on every
//	         orders partition: lag 10 each, 30 in total
//	g-empty  commits only (orders/0 at 35: lag 5), nobody ever joined
//	g-lost   committed 10 on payments/0, then records below 60 deleted:
//	         50 records lost, lag 90
//
// Records are stamped an hour ago, one second apart.
func lagWorld(t *testing.T) (*Env, *kgo.Client) {
	t.Helper()
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "orders", 3, nil)
	createTopic(t, cl, "payments", 1, nil)
	base := time.Now().Add(-time.Hour)
	for p := int32(0); p < 3; p++ {
		seq(t, cl, "orders", p, 40, base, time.Second)
	}
	seq(t, cl, "payments", 0, 100, base, time.Second)
	adm := kadm.NewClient(cl)
	commitAt(t, adm, "g-empty", "orders", map[int32]int64{0: 35})
	commitAt(t, adm, "g-lost", "payments", map[int32]int64{0: 10})
	deleteRecords(t, adm, "payments", 0, 60)
	joinAndCommit(t, env, "g-live", "orders", 3, 30)
	return env, cl
}

func commitAt(t *testing.T, adm *kadm.Client, group, topic string, at map[int32]int64) {
	t.Helper()
	os := kadm.Offsets{}
	for p, o := range at {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: o, LeaderEpoch: -1})
	}
	if err := adm.CommitAllOffsets(context.Background(), group, os); err != nil {
		t.Fatal(err)
	}
}

// joinAndCommit starts a consumer in group on topic, reads until every one
// of parts partitions delivered offset `commit`, commits that offset on
// each and stays in the group (closed by t.Cleanup).
func joinAndCommit(t *testing.T, env *Env, group, topic string, parts int, commit int64, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(env.Cluster.Brokers()...), kgo.ClientID(group + "-client"),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100 * time.Millisecond), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var at []*kgo.Record
	seen := map[int32]bool{}
	for len(seen) < parts {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s never read offset %d on %d partitions", group, commit, parts)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset == commit-1 {
				at = append(at, r)
				seen[r.Partition] = true
			}
		})
	}
	if err := c.CommitRecords(ctx, at...); err != nil {
		t.Fatal(err)
	}
	// Settled: one member holding every partition (KIP-848 groups show
	// their members only through ConsumerGroupDescribe, which the backend
	// uses).
	for {
		gls, err := env.Cluster.GroupLags(ctx, []string{group})
		if err == nil && len(gls) == 1 && gls[0].State == "Stable" && gls[0].Members == 1 &&
			len(gls[0].Partitions) == parts && gls[0].Partitions[parts-1].Owner != "" {
			return c
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never stable", group)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// goroutinesSettle fails the test if, after cleanup, more goroutines run
// than before it started: a refresh, a timer or a client left behind.
// teatest's own goroutines (it parks one per test model on a signal
// channel, by design) are not counted.
func goroutinesSettle(t *testing.T) {
	before := ourGoroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := ourGoroutines()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func ourGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "teatest") && !strings.Contains(g, "os/signal") {
			n++
		}
	}
	return n
}

// raw is the latest frame with its styling, as the harness saw it on the
// event loop (calling app.View from the test would race with it).
func (h *harness) raw() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frame
}

// quit leaves the app the way a person does (q): the shell closes every
// screen, which stops their refreshes and timers.
func (h *harness) quit(t *testing.T) {
	t.Helper()
	h.keys("q")
	h.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestGroupsScreen(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	h := startApp(t, env, NewGroups(env, "", WithRefresh(200*time.Millisecond)), 120, 24)
	s := h.waitText(t, "g-live", "g-empty", "g-lost", "3 groups")
	// Rows: verdict, name, protocol, state, members, topics, lag.
	s = h.waitFor(t, "verdicts", func(s string) bool {
		return strings.Contains(s, "LOST") && strings.Contains(s, "STOP")
	})
	lineHas(t, s, "LOST", "g-lost", "classic", "Empty", "0", "payments", "90")
	lineHas(t, s, "STOP", "g-empty", "classic", "Empty", "0", "orders", "5")
	lineHas(t, s, "g-live", "classic", "Stable", "1", "orders", "30")
	// Worst first by default: LOST above STOP above the live group.
	if !(strings.Index(s, "g-lost") < strings.Index(s, "g-empty") && strings.Index(s, "g-empty") < strings.Index(s, "g-live")) {
		t.Fatalf("default sort is worst verdict first:\n%s", s)
	}
	if !strings.Contains(s, "STATUS ▼") {
		t.Fatalf("sort indicator on STATUS:\n%s", s)
	}

	// The verdict is coloured: LOST in the theme's error style.
	frame := h.raw()
	if !strings.Contains(frame, env.Theme.Error.Render("LOST    ")) && !strings.Contains(frame, env.Theme.Error.Bold(true).Render("LOST    ")) {
		t.Errorf("LOST not rendered in the error style: %q", frame)
	}

	// Sort by lag (column 7), descending, then reverse.
	h.keys("7")
	s = h.waitText(t, "LAG ▼")
	if !(strings.Index(s, "g-lost") < strings.Index(s, "g-live") && strings.Index(s, "g-live") < strings.Index(s, "g-empty")) {
		t.Fatalf("lag desc: lost 90, live 30, empty 5:\n%s", s)
	}
	h.keys("S")
	s = h.waitText(t, "LAG ▲")
	if strings.Index(s, "g-empty") > strings.Index(s, "g-live") {
		t.Fatalf("lag asc:\n%s", s)
	}
	h.keys("s") // next column: time lag
	h.waitText(t, "TIME LAG ▼")

	// Filter as you type; q goes into the filter.
	h.keys("/")
	h.typeText("LIVE")
	h.waitFor(t, "filter narrows", func(s string) bool {
		return strings.Contains(s, "g-live") && !strings.Contains(s, "g-lost") && !strings.Contains(s, "g-empty")
	})
	h.typeText("q")
	h.waitText(t, "no group matches")
	h.keys("esc")
	h.waitText(t, "g-live", "g-lost", "g-empty")

	// A consumer that joins shows up after a refresh; a KIP-848 one too,
	// with its member (DescribeGroups alone would show none).
	joinAndCommit(t, env, "g-new", "orders", 3, 40)
	// The first refresh can list the group before its lag is known ("-"):
	// wait for the row, not for the name.
	h.waitLine(t, "g-new", "classic", "Stable", "1", "orders", "0")
	joinAndCommit(t, env, "g-848", "payments", 1, 80, kgo.ServerSideBalancer())
	h.waitLine(t, "g-848", "consumer", "Stable", "1", "payments", "20")

	// enter opens the group; esc comes back to the list.
	h.keys("/")
	h.typeText("g-lost")
	h.keys("enter")
	h.waitFor(t, "filtered to g-lost", func(s string) bool { return !strings.Contains(s, "g-live") })
	h.keys("enter")
	s = h.waitText(t, "PARTITIONS", "LOST 50 records deleted before read")
	h.keys("esc")
	h.waitText(t, "1 group of 5", "g-lost") // the filter still applies
	t.Log("\n" + h.text())
	h.quit(t)
}

func TestGroupsScreenTopicMode(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	h := startApp(t, env, NewGroups(env, "orders", WithRefresh(time.Hour)), 80, 24)
	s := h.waitText(t, "consumers of orders", "g-live", "g-empty", "2 groups consume orders")
	if strings.Contains(s, "g-lost") {
		t.Fatalf("g-lost consumes payments, not orders:\n%s", s)
	}
	// At 80 columns: verdict, group, protocol, state, members, topics, lag
	// and time lag all fit.
	lineHas(t, s, "g-live", "classic", "Stable", "1", "orders", "30", "59m")
	lineHas(t, s, "STOP", "g-empty", "classic", "Empty", "0", "orders", "5", "59m")
	t.Log("\n" + s)
	h.quit(t)
}

// TestGroupsRefreshNoStacking drives the screen without a program. Its
// refreshes go through one ui.Loader, whose chain (ticks during a fetch or
// from an older chain start nothing, a refresh asked for meanwhile runs
// once after it, paused arms nothing) is ui.TestLoaderSingleChain; here:
// the screen starts one load, ctrl+r during it starts no second, p pauses
// and the screen says so.
func TestGroupsRefreshNoStacking(t *testing.T) {
	env, _ := testEnv(t, "dark")
	s := NewGroups(env, "", WithRefresh(time.Hour)).(*groupsScreen)
	s.SetSize(100, 20)
	cmd := s.Init() // a load is in flight
	if cmd == nil || !s.Loader().Loading() {
		t.Fatal("Init should start a load")
	}
	if c := s.Refresh(); c != nil {
		t.Fatal("ctrl+r during a refresh queues one, starts none")
	}
	d := &driver{s: s}
	d.run(cmd) // the result, then the queued refresh
	if !s.Loader().Loaded() || s.Loader().Loading() {
		t.Fatal("the load and the queued one should both be done")
	}
	d.press("p")
	if !s.Loader().Paused() {
		t.Fatal("p pauses")
	}
	if !strings.Contains(s.View(), "paused") {
		t.Fatalf("paused state not shown:\n%s", s.View())
	}
}

func TestLagMonitorSharedHistory(t *testing.T) {
	env := &Env{}
	SetLagRefresh(env, 500*time.Millisecond)
	m := monitorFor(env)
	if m.refresh != 500*time.Millisecond || m.window != time.Minute || monitorFor(env) != m {
		t.Fatalf("monitor: %+v", m)
	}
	if LagWindow(10*time.Second) != 150*time.Second {
		t.Fatal("window is 15 refreshes when slow")
	}
	// Groups and group screens of one env share the monitor.
	a := NewGroups(env, "").(*groupsScreen)
	b := NewGroup(env, "g").(*groupScreen)
	if a.mon != b.mon || a.refresh != 500*time.Millisecond {
		t.Fatal("screens of one env must share history and refresh")
	}
	_ = lag.OK
}

// BenchmarkLagObserve is the UI's share of one refresh of 1,000 groups x
// 24 partitions: sampling every partition into the history, judging it,
// and building the rows (the requests are measured in backend).
func BenchmarkLagObserve(b *testing.B) {
	m := monitorFor(&Env{})
	base := time.Now()
	gls := make([]backend.GroupLag, 1000)
	for i := range gls {
		g := &gls[i]
		g.Group = fmt.Sprintf("group-%04d", i)
		g.Topics = []string{"t"}
		for p := range int32(24) {
			g.Partitions = append(g.Partitions, backend.PartitionLag{Topic: "t", Partition: p, Committed: 100, HighWatermark: 150, Lag: 50, Active: true})
			g.TotalLag += 50
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := base.Add(time.Duration(i) * 2 * time.Second)
		for j := range gls {
			gls[j].FetchedAt = now
		}
		_ = m.observe(gls, nil, now, "")
	}
}

// From the topics screen, `c` answers "who consumes this topic".
func TestTopicsConsumersKey(t *testing.T) {
	goroutinesSettle(t)
	env, _ := lagWorld(t)
	h := startApp(t, env, NewTopics(env), 100, 24)
	h.waitText(t, "orders", "payments")
	h.keys("/")
	h.typeText("orders")
	h.keys("enter", "c")
	s := h.waitText(t, "consumers of orders", "g-live", "g-empty")
	if strings.Contains(s, "g-lost") {
		t.Fatalf("g-lost consumes payments, not orders:\n%s", s)
	}
	h.quit(t)
}
