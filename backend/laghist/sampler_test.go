package laghist

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/internal/testkit"
)

// world is a kfake cluster with live traffic (30 records/s over 3
// partitions) and two real consumer groups: "fast" keeps up, "slow"
// processes a quarter of what is produced.
type world struct {
	b       *testkit.Broker
	dataDir string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{b: testkit.NewBroker(t), dataDir: t.TempDir()}
	w.b.CreateTopic("events", 3, nil)
	w.b.Traffic("events", 3, 100*time.Millisecond)
	w.b.Consumer("fast", "events", 0)
	w.b.Consumer("slow", "events", 133*time.Millisecond) // 7.5/s against 30/s
	return w
}

func (w *world) cluster(t *testing.T) *backend.Cluster {
	t.Helper()
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: w.b.Addrs(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// testConfig: a 2s window so a test needs seconds of history, not minutes.
var testConfig = Config{Refresh: 100 * time.Millisecond, Eval: lag.Config{Window: 2 * time.Second, RateHorizon: time.Minute}}

func newSampler(t *testing.T, w *world) *Sampler {
	t.Helper()
	c := w.cluster(t)
	id, err := c.ClusterID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// One downsampled tick a second: the test's history is seconds long.
	st, err := Open(w.dataDir, Key(id, c.Brokers()), Options{DownStep: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(c, st, testConfig)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSamplerHistorySurvivesRestart(t *testing.T) {
	w := newWorld(t)

	// rewind runs for a while: the sampler records in the background.
	first := newSampler(t, w)
	stop := first.Start(context.Background())
	testkit.WaitFor(t, "10s of recorded history with slow falling behind", func() (bool, string) {
		sn := first.Snapshot()
		g, ok := sn.Group("slow")
		if !ok {
			return false, "no slow group yet"
		}
		return sn.At.Sub(sn.Since) >= 10*time.Second && g.Verdict.Status == lag.Behind,
			fmt.Sprintf("%s of history, slow %s (%s)", sn.At.Sub(sn.Since), g.Verdict.Status, g.Verdict.Reason)
	})
	if !first.Snapshot().Poll.Leader {
		t.Fatal("the only sampler is not the leader")
	}
	stop()
	first.Close() // the process exits

	// A new process opens: before it samples anything, the recorded history
	// already judges both groups.
	second := newSampler(t, w)
	if err := second.Load(); err != nil {
		t.Fatal(err)
	}
	sn := second.Snapshot()
	slow, ok1 := sn.Group("slow")
	fast, ok2 := sn.Group("fast")
	if !ok1 || !ok2 {
		t.Fatalf("groups after restart: %+v", sn.Groups)
	}
	if slow.Verdict.Status != lag.Behind || !strings.Contains(slow.Verdict.Reason, "falling behind: consuming") {
		t.Fatalf("slow after restart: %s (%s)", slow.Verdict.Status, slow.Verdict.Reason)
	}
	if slow.Verdict.Basis < 8*time.Second || !strings.HasPrefix(slow.Verdict.BasisText(), "based on ") {
		t.Fatalf("slow basis %s", slow.Verdict.BasisText())
	}
	if fast.Verdict.Status != lag.OK {
		t.Fatalf("fast after restart: %s (%s)", fast.Verdict.Status, fast.Verdict.Reason)
	}
	// Its first own sample (one refresh) keeps the verdict.
	if err := second.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g, _ := second.Snapshot().Group("slow"); g.Verdict.Status != lag.Behind {
		t.Fatalf("slow after one refresh: %s (%s)", g.Verdict.Status, g.Verdict.Reason)
	}
	if g, _ := second.Snapshot().Group("slow"); len(g.Partitions) != 3 || g.Members != 1 || g.State != "Stable" || g.Partitions[0].Owner == "" {
		t.Fatalf("group description from meta: %+v", g.GroupLag)
	}
}

func TestSamplersShareOneWriter(t *testing.T) {
	w := newWorld(t)
	a, b := newSampler(t, w), newSampler(t, w)
	stopA := a.Start(context.Background())
	testkit.Eventually(t, "a leads", func() bool { return a.Snapshot().Poll.Leader })
	stopB := b.Start(context.Background())
	testkit.WaitFor(t, "b follows a's samples", func() (bool, string) {
		sa, sb := a.Snapshot(), b.Snapshot()
		return sb.Seq > 5 && !sb.Poll.Leader && sb.Poll.Polls == 0, fmt.Sprintf("b seq %d leader %v polls %d (a seq %d)", sb.Seq, sb.Poll.Leader, sb.Poll.Polls, sa.Seq)
	})
	// a exits: b takes over and keeps recording.
	stopA()
	a.Close()
	testkit.WaitFor(t, "b takes over", func() (bool, string) {
		sb := b.Snapshot()
		return sb.Poll.Leader && sb.Poll.Polls > 3, fmt.Sprintf("leader %v polls %d", sb.Poll.Leader, sb.Poll.Polls)
	})
	stopB()
	b.Close()

	// One writer at a time: the recorded ticks are strictly in time order,
	// never duplicated.
	st, err := Open(w.dataDir, b.st.dir[len(w.dataDir)+len("/lag/"):], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ticks, err := st.Load(time.Now(), time.Hour, 0, time.Minute)
	if err != nil || len(ticks) < 10 {
		t.Fatalf("%d ticks, %v", len(ticks), err)
	}
	for i := 1; i < len(ticks); i++ {
		if !ticks[i].At.After(ticks[i-1].At) {
			t.Fatalf("tick %d at %v not after %v: two writers", i, ticks[i].At, ticks[i-1].At)
		}
	}
}

func TestOwnGroupsLabelled(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("orders", 1, nil)
	b.ProduceSeq("orders", 1, 50, time.Now().Add(-time.Hour))
	b.Commit("email-notifier.replay.20260901-120000", "orders", map[int32]int64{0: 10})
	b.Commit("email-notifier", "orders", map[int32]int64{0: 10})
	c, err := backend.Connect(context.Background(), backend.Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := testConfig
	cfg.Role = func(g string) (lag.Status, string) {
		if strings.Contains(g, ".replay.") {
			return lag.Replay, "replay of email-notifier"
		}
		return "", ""
	}
	s := NewSampler(c, nil, cfg)
	if err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	sn := s.Snapshot()
	live, _ := sn.Group("email-notifier")
	own, _ := sn.Group("email-notifier.replay.20260901-120000")
	if live.Verdict.Status != lag.Stop || live.Role != "" {
		t.Fatalf("live group: %s %q", live.Verdict.Status, live.Role)
	}
	if own.Verdict.Status != lag.Replay || own.Verdict.Status.Alarm() || own.Label != "replay of email-notifier" ||
		!strings.Contains(own.Verdict.Reason, "would be STOP") || own.Parts[0].Verdict.Status != lag.Replay {
		t.Fatalf("own group: %+v", own.Verdict)
	}
	if own.TotalLag != 40 || own.MaxTimeLag.Source != backend.TimeLagRecord {
		t.Fatalf("own group row: lag %d time lag %+v", own.TotalLag, own.MaxTimeLag)
	}
}

func TestOpenStoreKeys(t *testing.T) {
	b := testkit.NewBroker(t)
	dir := t.TempDir()
	open := func(embedded bool) string {
		c, err := backend.Connect(context.Background(), backend.Options{Brokers: b.Addrs(), Embedded: embedded})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		st, err := OpenStore(context.Background(), c, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return st.Path()
	}
	// The embedded log's history does not depend on its port (a restart
	// on --listen 127.0.0.1:0 keeps it); a remote kfake's is per address.
	if p := open(true); !strings.HasSuffix(p, "/lag/embedded") {
		t.Fatalf("embedded: %s", p)
	}
	if p := open(false); !strings.Contains(p, "/lag/kfake@127.0.0.1") {
		t.Fatalf("remote kfake: %s", p)
	}
}
