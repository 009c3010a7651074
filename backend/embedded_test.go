package backend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// embLog collects the embedded log's diagnostics and prints them only when
// the test fails (t.Log from a background goroutine after the test ends
// would panic).
type embLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *embLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func newEmbLog(t *testing.T) *embLog {
	l := &embLog{}
	t.Cleanup(func() {
		if t.Failed() {
			l.mu.Lock()
			t.Logf("embedded log diagnostics:\n%s", l.buf.String())
			l.mu.Unlock()
		}
	})
	return l
}

// startEmb starts an embedded log on a free port and closes it at cleanup.
func startEmb(t *testing.T, dir string, demo bool, tune embeddedTuning) *Embedded {
	t.Helper()
	e, err := StartEmbedded(context.Background(), EmbeddedConfig{
		DataDir: dir, Listen: "127.0.0.1:0", Demo: demo, Log: newEmbLog(t), tune: tune,
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func embClient(t *testing.T, addr string, opts ...kgo.Opt) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryTimeout(10 * time.Second),
		kgo.MetadataMinAge(100 * time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

func embCreate(t *testing.T, adm *kadm.Client, topic string, parts int32, cfg map[string]string) {
	t.Helper()
	c := map[string]*string{}
	for k, v := range cfg {
		c[k] = &v
	}
	resp, err := adm.CreateTopic(context.Background(), parts, 1, c, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// embProduce produces n records round-robin over parts partitions with the
// given timestamp.
func embProduce(t *testing.T, cl *kgo.Client, topic string, parts int32, n int, ts time.Time) {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i) % parts, Key: []byte(strconv.Itoa(i)), Value: []byte(fmt.Sprintf("value-%d", i)), Timestamp: ts})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce %s: %v", topic, err)
	}
}

type startEnd struct{ start, end int64 }

func embOffsets(t *testing.T, adm *kadm.Client, topic string) map[int32]startEnd {
	t.Helper()
	ctx := context.Background()
	s, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	en, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]startEnd{}
	s.Each(func(lo kadm.ListedOffset) {
		if lo.Err != nil {
			t.Fatalf("start offset %s/%d: %v", topic, lo.Partition, lo.Err)
		}
		se := out[lo.Partition]
		se.start = lo.Offset
		out[lo.Partition] = se
	})
	en.Each(func(lo kadm.ListedOffset) {
		se := out[lo.Partition]
		se.end = lo.Offset
		out[lo.Partition] = se
	})
	return out
}

func embTopicConfig(t *testing.T, adm *kadm.Client, topic, key string) string {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Key == key && c.Value != nil {
				return *c.Value
			}
		}
	}
	return ""
}

func embCommitted(t *testing.T, adm *kadm.Client, group string) kadm.Offsets {
	t.Helper()
	r, err := adm.FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatalf("fetch offsets %s: %v", group, err)
	}
	return r.Offsets()
}

func TestEmbeddedExternalClient(t *testing.T) {
	e := startEmb(t, t.TempDir(), false, embeddedTuning{})
	if _, _, err := net.SplitHostPort(e.Addr()); err != nil || strings.HasSuffix(e.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want a real host:port", e.Addr())
	}
	// An ordinary client, as kcat or a user's app would connect.
	cl, adm := embClient(t, e.Addr(), kgo.AllowAutoTopicCreation())
	embCreate(t, adm, "ext", 2, nil)
	embProduce(t, cl, "ext", 2, 20, time.Now())

	cons, _ := embClient(t, e.Addr(), kgo.ConsumeTopics("ext"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := 0
	for got < 20 {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of 20 records: %v", got, err)
		}
		fs.EachRecord(func(*kgo.Record) { got++ })
	}

	// Auto topic creation is off: a metadata request asking for it must not
	// create the topic (kfake would not persist such a topic anyway).
	pctx, pcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer pcancel()
	if err := cl.ProduceSync(pctx, &kgo.Record{Topic: "auto-nope", Value: []byte("x")}).FirstErr(); err == nil {
		t.Fatal("producing to a missing topic succeeded: auto topic creation is on")
	}
	tds, err := adm.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tds.Has("auto-nope") {
		t.Fatal("topic auto-nope was auto-created")
	}
}

func TestEmbeddedLock(t *testing.T) {
	dir := t.TempDir()
	e1, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	want := fmt.Sprintf("data dir %s is in use by another rewind process (pid %d)", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second start on a locked dir: got %v, want %q", err, want)
	}
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e1.Close(); err != nil { // idempotent
		t.Fatalf("second Close: %v", err)
	}
	e2, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start after Close: %v", err)
	}
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	_, err = StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: ln.Addr().String()})
	want := fmt.Sprintf("cannot listen on %s: address already in use (pick another with --listen)", ln.Addr())
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	// The failed start must have released the lock.
	e := startEmb(t, dir, false, embeddedTuning{})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "nonsense"}); err == nil || !strings.Contains(err.Error(), "want host:port") {
		t.Fatalf("bad listen address: got %v", err)
	}
}

func TestEmbeddedDataDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: filepath.Join(file, "sub"), Listen: "127.0.0.1:0"})
	if err == nil || !strings.HasPrefix(err.Error(), "cannot create data dir "+filepath.Join(file, "sub")+":") {
		t.Fatalf("data dir under a file: got %v", err)
	}
	if _, err := StartEmbedded(context.Background(), EmbeddedConfig{Listen: "127.0.0.1:0"}); err == nil {
		t.Fatal("empty data dir accepted")
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits are not enforced, skipping the read-only dir case")
		return
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = StartEmbedded(context.Background(), EmbeddedConfig{DataDir: ro, Listen: "127.0.0.1:0"})
	if err == nil || !strings.HasPrefix(err.Error(), "data dir "+ro+" is not writable") {
		t.Fatalf("read-only data dir: got %v", err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if got := DefaultDataDir(); got != "/xdg/rewind" {
		t.Fatalf("with XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultDataDir(); got != "/home/u/.local/share/rewind" {
		t.Fatalf("without XDG_DATA_HOME: %q", got)
	}
}

// persistFixture is what both restart tests write and then verify.
const (
	pfTopic   = "events"
	pfParts   = 3
	pfRecords = 300
	pfGroup   = "persist-group"
	pfOldTop  = "expired" // every record past retention
)

// writePersistFixture creates topics with configs, records, group commits,
// and log starts set three ways: our clamped path, a foreign DeleteRecords
// observed by a retention pass, and time retention on a fully expired topic.
func writePersistFixture(t testing.TB, e *Embedded, cl *kgo.Client, adm *kadm.Client) {
	ctx := context.Background()
	mk := func(topic string, parts int32, cfg map[string]string) {
		c := map[string]*string{}
		for k, v := range cfg {
			c[k] = &v
		}
		resp, err := adm.CreateTopic(ctx, parts, 1, c, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
	}
	mk(pfTopic, pfParts, map[string]string{"retention.ms": "86400000", "cleanup.policy": "delete", "max.message.bytes": "500000"})
	mk(pfOldTop, 1, map[string]string{"retention.ms": "3600000"})
	var recs []*kgo.Record
	for i := range pfRecords {
		recs = append(recs, &kgo.Record{Topic: pfTopic, Partition: int32(i % pfParts), Value: []byte(strconv.Itoa(i))})
	}
	for i := range 10 {
		recs = append(recs, &kgo.Record{Topic: pfOldTop, Value: []byte(strconv.Itoa(i)), Timestamp: time.Now().Add(-2 * time.Hour)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	offs := kadm.Offsets{}
	for p := range int32(pfParts) {
		offs.Add(kadm.Offset{Topic: pfTopic, Partition: p, At: int64(50 + p), LeaderEpoch: -1})
	}
	if err := adm.CommitAllOffsets(ctx, pfGroup, offs); err != nil {
		t.Fatalf("commit: %v", err)
	}
	snap, err := e.snapshotTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.advanceLogStarts(ctx, snap, map[string]map[int32]int64{pfTopic: {0: 40}}); err != nil {
		t.Fatalf("advanceLogStarts: %v", err)
	}
	// A foreign client's DeleteRecords, remembered by the next retention pass.
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: pfTopic, Partition: 1, At: 30})
	if _, err := adm.DeleteRecords(ctx, del); err != nil {
		t.Fatal(err)
	}
	if err := e.applyRetention(ctx); err != nil {
		t.Fatalf("applyRetention: %v", err)
	}
}

func verifyPersistFixture(t *testing.T, adm *kadm.Client) {
	t.Helper()
	tds, err := adm.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !tds.Has(pfTopic) || len(tds[pfTopic].Partitions) != pfParts || !tds.Has(pfOldTop) {
		t.Fatalf("topics after restart: %v", tds.Names())
	}
	if v := embTopicConfig(t, adm, pfTopic, "retention.ms"); v != "86400000" {
		t.Errorf("retention.ms after restart = %q", v)
	}
	if v := embTopicConfig(t, adm, pfTopic, "max.message.bytes"); v != "500000" {
		t.Errorf("max.message.bytes after restart = %q", v)
	}
	offs := embOffsets(t, adm, pfTopic)
	wantStart := map[int32]int64{0: 40, 1: 30, 2: 0}
	var total int64
	for p := range int32(pfParts) {
		if offs[p].end != pfRecords/pfParts {
			t.Errorf("%s/%d end offset = %d, want %d", pfTopic, p, offs[p].end, pfRecords/pfParts)
		}
		if offs[p].start != wantStart[p] {
			t.Errorf("%s/%d log start = %d, want %d", pfTopic, p, offs[p].start, wantStart[p])
		}
		total += offs[p].end
	}
	if total != pfRecords {
		t.Errorf("records = %d, want %d", total, pfRecords)
	}
	// Retention left the newest record of the fully expired topic, so the
	// partition keeps its offsets instead of reopening at 0.
	if o := embOffsets(t, adm, pfOldTop)[0]; o.start != 9 || o.end != 10 {
		t.Errorf("%s after restart: start %d end %d, want 9 and 10", pfOldTop, o.start, o.end)
	}
	committed := embCommitted(t, adm, pfGroup)
	for p := range int32(pfParts) {
		o, ok := committed.Lookup(pfTopic, p)
		if !ok || o.At != int64(50+p) {
			t.Errorf("committed %s/%d = %v (present %v), want %d", pfTopic, p, o.At, ok, 50+p)
		}
	}
}

func TestEmbeddedRestartClean(t *testing.T) {
	dir := t.TempDir()
	e := startEmb(t, dir, false, embeddedTuning{})
	cl, adm := embClient(t, e.Addr())
	writePersistFixture(t, e, cl, adm)
	if o := embOffsets(t, adm, pfOldTop)[0]; o.start != 9 || o.end != 10 {
		t.Fatalf("retention on a fully expired partition: start %d end %d, want 9 and 10", o.start, o.end)
	}
	cl.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := startEmb(t, dir, false, embeddedTuning{})
	_, adm2 := embClient(t, e2.Addr())
	verifyPersistFixture(t, adm2)
}

const childEnv = "REWIND_EMBEDDED_CHILD_DIR"

// TestHelperEmbeddedChild is not a test: TestEmbeddedKill9 runs the test
// binary again with only this function selected and childEnv set, and
// SIGKILLs it once it printed "ready".
func TestHelperEmbeddedChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("helper process for TestEmbeddedKill9")
	}
	e, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Println("child start:", err)
		os.Exit(2)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		fmt.Println("child client:", err)
		os.Exit(2)
	}
	writePersistFixture(t, e, cl, kadm.NewClient(cl))
	fmt.Println("ready")
	// The parent kills us; never outlive a parent that died first.
	time.Sleep(time.Minute)
	os.Exit(3)
}

func TestEmbeddedKill9(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEmbeddedChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdout, stderr := testkit.Start(t, cmd)
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var seen []string
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- nil
				return
			}
			seen = append(seen, sc.Text())
		}
		ready <- fmt.Errorf("child exited before ready: %s", strings.Join(seen, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("%v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child not ready in 60s; stderr: %s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}

	// What kfake alone makes of the crashed dir: DeleteRecords' log start
	// lives only in its clean-shutdown snapshot. Logged, not asserted, so
	// a kfake fix does not fail this test.
	if kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(filepath.Join(dir, "log"))); err == nil {
		raw, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...))
		if err == nil {
			if s, err := kadm.NewClient(raw).ListStartOffsets(context.Background(), pfTopic); err == nil {
				o, _ := s.Lookup(pfTopic, 0)
				t.Logf("kfake alone after kill -9: %s/0 log start = %d (rewind set 40)", pfTopic, o.Offset)
			}
			raw.Close()
		}
		kf.Close()
	}

	e := startEmb(t, dir, false, embeddedTuning{})
	_, adm := embClient(t, e.Addr())
	verifyPersistFixture(t, adm)
}

func TestEmbeddedRetentionAndCompactionSafety(t *testing.T) {
	dir := t.TempDir()
	e := startEmb(t, dir, false, embeddedTuning{})
	cl, adm := embClient(t, e.Addr())
	ctx := context.Background()

	embCreate(t, adm, "old", 1, map[string]string{"retention.ms": "3600000"})
	embCreate(t, adm, "mixed", 2, map[string]string{"retention.ms": "3600000"})
	embCreate(t, adm, "table", 1, map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"})
	embProduce(t, cl, "old", 1, 10, time.Now().Add(-2*time.Hour))
	embProduce(t, cl, "mixed", 2, 20, time.Now().Add(-2*time.Hour))
	embProduce(t, cl, "mixed", 2, 4, time.Now())
	for range 3 { // several batches with the same keys: something to compact
		embProduce(t, cl, "table", 1, 5, time.Now())
	}

	if err := e.applyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if o := embOffsets(t, adm, "old")[0]; o.start != 9 || o.end != 10 {
		t.Fatalf("old: start %d end %d; retention must keep the newest record", o.start, o.end)
	}
	for p, o := range embOffsets(t, adm, "mixed") {
		if o.start != 10 || o.end != 12 {
			t.Fatalf("mixed/%d: start %d end %d, want 10 and 12", p, o.start, o.end)
		}
	}

	// kfake's Compact() also runs its own retention, which would empty
	// "old": compaction must be skipped while that is so.
	ran, err := e.compactIfSafe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("compaction ran although kfake's retention step would empty old/0")
	}
	embProduce(t, cl, "old", 1, 1, time.Now())
	ran, err = e.compactIfSafe(ctx)
	if err != nil || !ran {
		t.Fatalf("compaction with no partition at risk: ran %v err %v", ran, err)
	}
	if o := embOffsets(t, adm, "old")[0]; o.end != 11 || o.start >= o.end {
		t.Fatalf("old after compaction: start %d end %d", o.start, o.end)
	}
	// Compaction removed the superseded keys from all but the last batch.
	cons, _ := embClient(t, e.Addr(), kgo.ConsumeTopics("table"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for pctx.Err() == nil && got < 10 {
		cons.PollFetches(pctx).EachRecord(func(*kgo.Record) { got++ })
	}
	if got != 10 { // keys 0-4 once + the last batch of 5
		t.Fatalf("compacted table has %d records, want 10", got)
	}

	// A recorded log start must not be applied to a recreated topic.
	if _, err := adm.DeleteTopic(ctx, "mixed"); err != nil {
		t.Fatal(err)
	}
	embCreate(t, adm, "mixed", 2, nil)
	cl2, _ := embClient(t, e.Addr()) // cl still knows the old topic ID
	embProduce(t, cl2, "mixed", 2, 4, time.Now())
	cl2.Close()
	cl.Close()
	cons.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := startEmb(t, dir, false, embeddedTuning{})
	_, adm2 := embClient(t, e2.Addr())
	for p, o := range embOffsets(t, adm2, "mixed") {
		if o.start != 0 || o.end != 2 {
			t.Fatalf("recreated mixed/%d: start %d end %d, want 0 and 2", p, o.start, o.end)
		}
	}
	if o := embOffsets(t, adm2, "old")[0]; o.end != 11 || o.start == 0 {
		t.Fatalf("old after restart: start %d end %d", o.start, o.end)
	}
}

// TestEmbeddedRetentionLoop checks the periodic driver, not just one pass.
func TestEmbeddedRetentionLoop(t *testing.T) {
	e := startEmb(t, t.TempDir(), false, embeddedTuning{retentionEvery: 100 * time.Millisecond})
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, "loop", 1, map[string]string{"retention.ms": "60000"})
	embProduce(t, cl, "loop", 1, 5, time.Now().Add(-time.Hour))
	embProduce(t, cl, "loop", 1, 5, time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for {
		o := embOffsets(t, adm, "loop")[0]
		if o.start == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention loop did not trim: start %d end %d", o.start, o.end)
		}
		time.Sleep(50 * time.Millisecond)
	}
	raw, err := os.ReadFile(filepath.Join(e.DataDir(), logStartsFile))
	if err != nil || !bytes.Contains(raw, []byte(`"topic": "loop"`)) {
		t.Fatalf("log starts file: %s (%v)", raw, err)
	}
}
