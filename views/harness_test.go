package views

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
	"github.com/rewind-log/rewind/ui/uitest"
)

// testEnv starts an in-process kfake broker (the real Kafka protocol over
// TCP) and connects the backend to it.
func testEnv(t testing.TB, theme string) (*Env, *kgo.Client) {
	t.Helper()
	env, cl, _ := testEnvK(t, theme)
	return env, cl
}

// dataEnv is testEnv (dark theme) with a data dir of its own: the audit
// trail, replay and projection metadata of the screens that write.
func dataEnv(t testing.TB) (*Env, *kgo.Client) {
	t.Helper()
	env, cl := testEnv(t, "dark")
	env.DataDir = t.TempDir()
	return env, cl
}

// testEnvK is testEnv that also returns the broker, for tests that stop it.
func testEnvK(t testing.TB, theme string) (*Env, *kgo.Client, *kfake.Cluster) {
	t.Helper()
	return testEnvN(t, theme, 1)
}

// testEnvN is testEnvK on a cluster of n brokers.
func testEnvN(t testing.TB, theme string, n int) (*Env, *kgo.Client, *kfake.Cluster) {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0), kgo.ProducerBatchMaxBytes(16<<20), kgo.MaxBufferedRecords(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &Env{Cluster: connectTest(t, backend.Options{Brokers: kc.ListenAddrs()}), Theme: testTheme(t, theme)}, cl, kc
}

// connectTest connects the backend as a screen's Env.Cluster (5s timeout
// unless opts sets one), closed when the test ends.
func connectTest(t testing.TB, opts backend.Options) *backend.Cluster {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	c, err := backend.Connect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// kitEnv is an Env on a broker of the test kit (faults on cue).
func kitEnv(t testing.TB, b *testkit.Broker, theme string) *Env {
	t.Helper()
	return &Env{Cluster: connectTest(t, backend.Options{Brokers: b.Addrs()}), Theme: testTheme(t, theme)}
}

func testTheme(t testing.TB, name string) themes.Theme {
	t.Helper()
	th, err := themes.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// readOnlyContext connects to kc the way a context with read_only: true
// does (the reason names the context).
func readOnlyContext(t testing.TB, kc *kfake.Cluster) *backend.Cluster {
	t.Helper()
	return connectTest(t, backend.Options{Brokers: kc.ListenAddrs(), ReadOnly: true,
		ReadOnlyReason: `context "prod" is read-only (read_only: true in config.yaml)`})
}

func createTopic(t testing.TB, cl *kgo.Client, name string, parts int32, cfg map[string]*string) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), parts, 1, cfg, name)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", name, err, resp.Err)
	}
}

func produce(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// deleteRecords moves the log start of topic/p up to offset at, as
// retention would.
func deleteRecords(t testing.TB, adm *kadm.Client, topic string, p int32, at int64) {
	t.Helper()
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: p, At: at})
	if resp, err := adm.DeleteRecords(context.Background(), del); err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
}

// seq produces n records to one partition: key k<i>, value v<i>, timestamps
// base + i*step.
func seq(t testing.TB, cl *kgo.Client, topic string, p int32, n int, base time.Time, step time.Duration) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "k%d", i),
			Value: fmt.Appendf(nil, "v%d", i), Timestamp: base.Add(time.Duration(i) * step)}
	}
	produce(t, cl, recs...)
}

// harness runs the real shell (ui.App) with a screen, under teatest, and
// keeps the latest plain-text frame so tests can wait for what a person
// would see (teatest's output stream is cell diffs after the first frame).
type harness struct {
	app   *ui.App
	mu    sync.Mutex
	frame string
	tm    *teatest.TestModel
}

func (h *harness) Init() tea.Cmd { return h.app.Init() }

func (h *harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := h.app.Update(msg)
	v := h.app.View().Content
	h.mu.Lock()
	h.frame = v
	h.mu.Unlock()
	return h, cmd
}

func (h *harness) View() tea.View { return h.app.View() }

func (h *harness) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return ansi.Strip(h.frame)
}

func startApp(t *testing.T, env *Env, root ui.Screen, w, ht int) *harness {
	t.Helper()
	return startAppWith(t, env, root, Commands(env), w, ht)
}

// startAppWith runs the shell with the palette entries cmds.
func startAppWith(t *testing.T, env *Env, root ui.Screen, cmds []ui.Command, w, ht int) *harness {
	t.Helper()
	h := &harness{app: ui.New(ui.Options{Theme: env.Theme, Root: root, Commands: cmds,
		Status: ui.StatusInfo{Cluster: "test", Addr: env.Cluster.Addr()}})}
	h.tm = teatest.NewTestModel(t, h, teatest.WithInitialTermSize(w, ht))
	t.Cleanup(func() {
		_ = h.tm.Quit()
		h.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		h.app.Close() // as main does on exit: stops live tails
	})
	return h
}

// waitFor polls the current frame until cond holds (10s at most).
func (h *harness) waitFor(t *testing.T, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := h.text()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) waitText(t *testing.T, subs ...string) string {
	t.Helper()
	return h.waitFor(t, fmt.Sprintf("%q", subs), func(s string) bool {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				return false
			}
		}
		return true
	})
}

func (h *harness) keys(ks ...string) {
	for _, k := range ks {
		h.tm.Send(keyMsg(k))
	}
}

func (h *harness) typeText(s string) { h.tm.Type(s) }

// answer types text into the open prompt, submits it and waits for want.
func (h *harness) answer(t *testing.T, text string, want ...string) string {
	t.Helper()
	h.typeText(text)
	h.keys("enter")
	return h.waitText(t, want...)
}

// keyMsg builds a key press the way the terminal reader would.
func keyMsg(k string) tea.KeyPressMsg { return uitest.Key(k) }

// run drives a screen without a program: it executes cmd and every command
// the resulting messages produce, synchronously, feeding messages back to
// the screen. Animation ticks are dropped (they would re-arm forever) and
// shell messages are collected.
type driver struct {
	s      ui.Screen
	pushed []ui.Screen
	toasts []string
	errs   []ui.ErrMsg
	other  []tea.Msg
	// until, when set, stops running commands after that time (a live
	// tail re-arms forever); seen counts delivered messages by type.
	until time.Time
	seen  map[string]int
}

func (d *driver) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil || isTimer(c) {
			continue // timers (auto-refresh, spinner, toasts) would only block
		}
		if !d.until.IsZero() && time.Now().After(d.until) {
			return
		}
		msg := c()
		if d.seen == nil {
			d.seen = map[string]int{}
		}
		d.seen[fmt.Sprintf("%T", msg)]++
		switch m := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, m...)
		case spinner.TickMsg:
		case ui.PushMsg:
			d.pushed = append(d.pushed, m.Screen)
		case ui.ToastMsg:
			d.toasts = append(d.toasts, m.Text)
		case ui.ErrMsg:
			d.errs = append(d.errs, m)
		case ui.ClearErrMsg:
		default:
			if fmt.Sprintf("%T", msg) == "tea.setClipboardMsg" {
				d.other = append(d.other, msg)
				continue
			}
			var next tea.Cmd
			d.s, next = d.s.Update(msg)
			queue = append(queue, next)
		}
	}
}

// Timers are commands made by tea.Tick or ui.Tick (refresh chains): every
// closure from one function literal shares its code pointer.
var (
	tickCode   = reflect.ValueOf(tea.Tick(time.Hour, nil)).Pointer()
	uiTickCode = reflect.ValueOf(ui.Tick(context.Background(), time.Hour, nil)).Pointer()
)

func isTimer(c tea.Cmd) bool {
	p := reflect.ValueOf(c).Pointer()
	return p == tickCode || p == uiTickCode
}

func (d *driver) send(msgs ...tea.Msg) {
	for _, m := range msgs {
		var cmd tea.Cmd
		d.s, cmd = d.s.Update(m)
		d.run(cmd)
	}
}

func (d *driver) press(ks ...string) {
	for _, k := range ks {
		d.send(keyMsg(k))
	}
}

func newDriver(s ui.Screen, w, h int) *driver {
	s.SetSize(w, h)
	d := &driver{s: s}
	d.run(s.Init())
	return d
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// assertNoEscapes fails when anything but the theme's own SGR styling (or
// any invalid UTF-8) is in a rendered view.
func assertNoEscapes(t *testing.T, where, view string) {
	t.Helper()
	rest := sgr.ReplaceAllString(view, "")
	if i := strings.IndexByte(rest, 0x1b); i >= 0 {
		t.Fatalf("%s: escape byte reached the terminal at %d: %q", where, i, rest[max(0, i-20):min(len(rest), i+40)])
	}
	if i := bytes.IndexFunc([]byte(rest), func(r rune) bool { return r == 0x07 || r == 0x9b || r == 0x9d }); i >= 0 {
		t.Fatalf("%s: control character in view: %q", where, rest[max(0, i-20):min(len(rest), i+20)])
	}
	if !utf8.ValidString(rest) {
		t.Fatalf("%s: invalid UTF-8 in view", where)
	}
}
