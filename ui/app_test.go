package ui

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rewind-log/rewind/themes"
)

// fakeScreen is the test seam: a screen that records what reaches it.
type fakeScreen struct {
	title     string
	keys      []key.Binding
	capturing bool // toggled by "/" (on) and enter/esc (off)
	overdraw  bool // draws more and wider lines than its size

	mu        sync.Mutex
	w, h      int
	got       []string // keys received
	data      []string // dataMsg payloads received
	wheel     int
	closed    int
	refreshed int
	backs     int // esc presses to swallow via BackHandler
	conns     int // ConnStateMsgs received

	// init is returned by Init; onKey[k] by Update on key k.
	init  tea.Cmd
	onKey map[string]tea.Cmd
}

type dataMsg struct{ text string }

func newFake(title string, keys ...key.Binding) *fakeScreen {
	return &fakeScreen{title: title, keys: keys}
}

func (f *fakeScreen) Init() tea.Cmd { return f.init }

func (f *fakeScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := msg.String()
		f.got = append(f.got, k)
		switch {
		case k == "/":
			f.capturing = true
		case f.capturing && (k == "enter" || k == "esc"):
			f.capturing = false
		}
		return f, f.onKey[k]
	case tea.MouseWheelMsg:
		f.wheel++
	case dataMsg:
		f.data = append(f.data, msg.text)
	case ConnStateMsg:
		f.conns++
	}
	return f, nil
}

func (f *fakeScreen) View() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	lines := []string{
		fmt.Sprintf("%dx%d [%s]", f.w, f.h, f.title),
		"keys: " + strings.Join(f.got, ","),
	}
	if f.overdraw {
		for i := 0; i < f.h+10; i++ {
			lines = append(lines, strings.Repeat("wide日本", f.w))
		}
	}
	return strings.Join(lines, "\n")
}

func (f *fakeScreen) SetSize(w, h int) {
	f.mu.Lock()
	f.w, f.h = w, h
	f.mu.Unlock()
}
func (f *fakeScreen) Title() string       { return f.title }
func (f *fakeScreen) Help() []key.Binding { return f.keys }
func (f *fakeScreen) CapturingInput() bool {
	return f.capturing // read on the event loop only
}
func (f *fakeScreen) Close() {
	f.mu.Lock()
	f.closed++
	f.mu.Unlock()
}
func (f *fakeScreen) Refresh() tea.Cmd {
	f.refreshed++
	return nil
}
func (f *fakeScreen) Back() (bool, tea.Cmd) {
	if f.backs > 0 {
		f.backs--
		return true, nil
	}
	return false, nil
}

func (f *fakeScreen) connCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func (f *fakeScreen) snapshot() (got, data []string, wheel, closed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...), append([]string(nil), f.data...), f.wheel, f.closed
}

// harness wraps the App so a test can ask the running program for its
// current screen: teatest's output is a stream of cell diffs, so the test
// asserts on the model's View instead, read on the event loop.
type harness struct{ app *App }

type snapMsg chan string

func (h harness) Init() tea.Cmd { return h.app.Init() }
func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ch, ok := msg.(snapMsg); ok {
		ch <- h.app.View().Content
		return h, nil
	}
	_, cmd := h.app.Update(msg)
	return h, cmd
}
func (h harness) View() tea.View { return h.app.View() }

type run struct {
	t  *testing.T
	tm *teatest.TestModel
}

func start(t *testing.T, opts Options, w, h int) *run {
	t.Helper()
	if opts.Theme.Name == "" {
		opts.Theme, _ = themes.Get("dark")
	}
	tm := teatest.NewTestModel(t, harness{New(opts)}, teatest.WithInitialTermSize(w, h))
	r := &run{t: t, tm: tm}
	t.Cleanup(func() {
		_ = tm.Quit()
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	})
	return r
}

// raw returns the current view with styling.
func (r *run) raw() string {
	r.t.Helper()
	ch := make(snapMsg, 1)
	r.tm.Send(ch)
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		r.t.Fatal("no view from the program")
		return ""
	}
}

// screen is what a person sees: the current view without styling.
func (r *run) screen() string { return ansi.Strip(r.raw()) }

// waitFor polls the screen until cond holds.
func (r *run) waitFor(what string, cond func(string) bool) string {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := r.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *run) press(keys ...string) {
	for _, k := range keys {
		switch k {
		case "esc":
			r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
		case "enter":
			r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "down":
			r.tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
		case "backspace":
			r.tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
		case "ctrl+c", "ctrl+r":
			r.tm.Send(tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl})
		default:
			r.tm.Type(k)
		}
	}
}

func lines(s string) []string { return strings.Split(s, "\n") }

var (
	keyOpen   = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open topic"))
	keyFilter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	keySort   = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort"))
)

func TestBreadcrumbShowsPushedTitles(t *testing.T) {
	root := newFake("topics")
	r := start(t, Options{Root: root}, 100, 20)
	r.tm.Send(PushMsg{Screen: newFake("orders")})
	p3 := newFake("p3")
	r.tm.Send(PushMsg{Screen: p3})
	s := r.waitFor("breadcrumb", func(s string) bool { return strings.Contains(s, "rewind › topics › orders › p3") })
	if !strings.Contains(lines(s)[1], "100x17 [p3]") {
		t.Errorf("top screen not shown at 100x(20-3):\n%s", s)
	}

	r.press("esc")
	s = r.waitFor("pop", func(s string) bool { return !strings.Contains(lines(s)[0], "p3") })
	if !strings.Contains(lines(s)[0], "rewind › topics › orders") || !strings.Contains(s, "[orders]") {
		t.Errorf("after esc:\n%s", s)
	}
	if _, _, _, closed := p3.snapshot(); closed != 1 {
		t.Errorf("popped screen closed %d times, want 1", closed)
	}

	r.press("esc", "esc") // the second esc is at the root: nothing happens
	s = r.waitFor("root", func(s string) bool { return strings.Contains(s, "[topics]") })
	if !strings.HasPrefix(strings.TrimSpace(lines(s)[0]), "rewind › topics") {
		t.Errorf("at root:\n%s", s)
	}
	if _, _, _, closed := root.snapshot(); closed != 0 {
		t.Error("esc at the root closed the root screen")
	}
}

func TestHelpOverlayListsScreenAndGlobalKeys(t *testing.T) {
	root := newFake("topics", keyOpen, keyFilter)
	r := start(t, Options{Root: root}, 80, 24)
	r.press("?")
	s := r.waitFor("help overlay", func(s string) bool { return strings.Contains(s, "Global") })
	for _, want := range []string{"topics", "enter", "open topic", "/", "filter", "esc", ":", "q", "quit", "ctrl+r", "refresh"} {
		if !strings.Contains(s, want) {
			t.Errorf("help overlay lacks %q:\n%s", want, s)
		}
	}
	r.press("x") // modal: does not reach the screen
	r.press("esc")
	r.waitFor("overlay closed", func(s string) bool { return !strings.Contains(s, "Global") })
	if got, _, _, _ := root.snapshot(); len(got) != 0 {
		t.Errorf("keys leaked through the help overlay: %v", got)
	}
	r.press("?", "?")
	r.waitFor("? toggles", func(s string) bool { return !strings.Contains(s, "Global") })
}

func TestPaletteFiltersAndOpens(t *testing.T) {
	root := newFake("topics")
	orders := newFake("orders")
	cmds := []Command{
		{Name: "topics", Desc: "list topics", Open: func() Screen { return newFake("topics") }},
		{Name: "groups", Desc: "consumer groups and lag", Open: func() Screen { return newFake("groups") }},
		{Name: "brokers", Desc: "cluster brokers", Open: func() Screen { return newFake("brokers") }},
	}
	r := start(t, Options{Root: root, Commands: cmds}, 80, 24)
	r.tm.Send(PushMsg{Screen: orders})
	r.waitFor("orders", func(s string) bool { return strings.Contains(s, "[orders]") })

	r.press(":")
	s := r.waitFor("palette", func(s string) bool { return strings.Contains(s, "consumer groups and lag") })
	if !strings.Contains(s, "brokers") || !strings.Contains(s, "list topics") {
		t.Errorf("palette does not list every command:\n%s", s)
	}
	r.press("g", "r")
	s = r.waitFor("filtered", func(s string) bool { return !strings.Contains(s, "cluster brokers") })
	if !strings.Contains(s, "groups") || strings.Contains(s, "list topics") {
		t.Errorf("filter gr:\n%s", s)
	}
	r.press("enter")
	s = r.waitFor("groups opened", func(s string) bool { return strings.Contains(s, "[groups]") })
	if !strings.Contains(lines(s)[0], "rewind › topics › groups") {
		t.Errorf("palette did not unwind to the root and push:\n%s", s)
	}
	if _, _, _, closed := orders.snapshot(); closed != 1 {
		t.Errorf("screen unwound by the palette closed %d times, want 1", closed)
	}
	if got, _, _, _ := root.snapshot(); len(got) != 0 {
		t.Errorf("palette keys reached the screen: %v", got)
	}

	// esc closes the palette and does not pop.
	r.press(":", "esc")
	s = r.waitFor("palette closed", func(s string) bool { return !strings.Contains(s, "type to filter") })
	if !strings.Contains(s, "[groups]") {
		t.Errorf("esc in the palette popped the screen:\n%s", s)
	}

	// A command with the root's title replaces the root.
	r.press(":", "t", "o", "p", "enter")
	s = r.waitFor("topics", func(s string) bool { return strings.Contains(s, "[topics]") })
	if l := lines(s)[0]; strings.Count(l, "topics") != 1 || strings.Contains(l, "groups") {
		t.Errorf("topics command did not go back to a single topics root: %q", l)
	}
	if _, _, _, closed := root.snapshot(); closed != 1 {
		t.Errorf("replaced root closed %d times, want 1", closed)
	}
}

func TestQuitClosesEveryScreen(t *testing.T) {
	root, top := newFake("topics"), newFake("orders")
	th, _ := themes.Get("dark")
	tm := teatest.NewTestModel(t, harness{New(Options{Theme: th, Root: root})}, teatest.WithInitialTermSize(80, 24))
	tm.Send(PushMsg{Screen: top})
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	for _, s := range []*fakeScreen{root, top} {
		if _, _, _, closed := s.snapshot(); closed != 1 {
			t.Errorf("%s closed %d times on quit, want 1", s.title, closed)
		}
	}
}

func TestCtrlCQuitsEvenWhileCapturing(t *testing.T) {
	root := newFake("topics")
	root.capturing = true
	th, _ := themes.Get("dark")
	tm := teatest.NewTestModel(t, harness{New(Options{Theme: th, Root: root})}, teatest.WithInitialTermSize(80, 24))
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if _, _, _, closed := root.snapshot(); closed != 1 {
		t.Errorf("ctrl+c: screen closed %d times, want 1", closed)
	}
}

func TestCapturingScreenGetsQ(t *testing.T) {
	root := newFake("topics", keyFilter)
	r := start(t, Options{Root: root}, 80, 24)
	r.press("/", "q", "?", ":", "esc")
	s := r.waitFor("keys typed", func(s string) bool { return strings.Contains(s, "keys: /,q,?,:,esc") })
	if strings.Contains(s, "Global") || strings.Contains(s, "type to filter") {
		t.Errorf("an overlay opened while the screen captured input:\n%s", s)
	}
	// Capture ended with esc: q quits again.
	r.press("q")
	r.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestErrMsgInStatusBarAndRetry(t *testing.T) {
	root := newFake("topics")
	retried := make(chan struct{}, 1)
	retry := func() tea.Msg { retried <- struct{}{}; return nil }
	r := start(t, Options{Root: root, Status: StatusInfo{Cluster: "embedded", Addr: "127.0.0.1:9092", Embedded: true}}, 120, 24)
	r.tm.Send(ErrMsg{Err: errors.New("list topics: dial tcp: connection refused \x1b[31m"), Retry: retry})
	s := r.waitFor("error", func(s string) bool { return strings.Contains(s, "connection refused") })
	status := lines(s)[23]
	if !strings.Contains(status, "✗ list topics: dial tcp: connection refused ␛[31m") || !strings.Contains(status, "R retry") {
		t.Errorf("status bar = %q", status)
	}
	if !strings.Contains(lines(s)[22], "connection refused") {
		t.Errorf("no error toast in the footer: %q", lines(s)[22])
	}
	r.press("R")
	select {
	case <-retried:
	case <-time.After(5 * time.Second):
		t.Fatal("R did not run the retry command")
	}
	r.waitFor("error cleared", func(s string) bool { return !strings.Contains(lines(s)[23], "refused") })
	if got, _, _, _ := root.snapshot(); len(got) != 0 {
		t.Errorf("R reached the screen while a retry was pending: %v", got)
	}
	// Without a pending retry, R belongs to the screen.
	r.press("R")
	r.waitFor("R forwarded", func(s string) bool { return strings.Contains(s, "keys: R") })

	r.tm.Send(ErrMsg{Err: errors.New("second failure")})
	r.waitFor("second error", func(s string) bool { return strings.Contains(lines(s)[23], "second failure") })
	r.tm.Send(ClearErrMsg{})
	r.waitFor("cleared", func(s string) bool { return !strings.Contains(lines(s)[23], "second failure") })
}

func TestStatusBar(t *testing.T) {
	r := start(t, Options{Root: newFake("topics"), Status: StatusInfo{Cluster: "embedded", Addr: "127.0.0.1:9092", Embedded: true, ReadOnly: true}}, 100, 24)
	status := lines(r.screen())[23]
	for _, want := range []string{"READ-ONLY", "127.0.0.1:9092", "(embedded)"} {
		if !strings.Contains(status, want) {
			t.Errorf("status bar lacks %q: %q", want, status)
		}
	}
	if strings.Contains(status, "embedded 127.0.0.1") {
		t.Errorf("cluster label repeated: %q", status)
	}
	r.tm.Send(ConnStateMsg{Connected: false, Err: errors.New("broker 1 unreachable")})
	r.waitFor("disconnected", func(s string) bool {
		l := lines(s)[23]
		return strings.Contains(l, "● disconnected") && strings.Contains(l, "broker 1 unreachable")
	})
	r.tm.Send(ConnStateMsg{Connected: true})
	r.waitFor("connected", func(s string) bool { return strings.Contains(lines(s)[23], "● connected") })

	r2 := start(t, Options{Root: newFake("topics"), Status: StatusInfo{Cluster: "b1:9092,b2:9092", Addr: "b1:9092,b2:9092"}}, 100, 24)
	status = lines(r2.screen())[23]
	if strings.Contains(status, "READ-ONLY") || !strings.Contains(status, "b1:9092,b2:9092 (remote)") {
		t.Errorf("remote, writable status bar = %q", status)
	}
}

func TestFooterShowsScreenAndGlobalKeys(t *testing.T) {
	r := start(t, Options{Root: newFake("topics", keyOpen, keyFilter, keySort)}, 100, 24)
	footer := lines(r.screen())[22]
	for _, want := range []string{"enter open topic", "/ filter", "s sort", "? help", ": commands", "q quit"} {
		if !strings.Contains(footer, want) {
			t.Errorf("footer lacks %q: %q", want, footer)
		}
	}
	if strings.Contains(footer, "esc back") {
		t.Errorf("footer offers esc at the root: %q", footer)
	}
}

func TestLayoutFitsAt80x24(t *testing.T) {
	long := strings.Repeat("very-long-topic-name-", 5)
	root := newFake("topics", keyOpen, keyFilter, keySort, keyOpen, keyFilter, keySort)
	r := start(t, Options{
		Root:    root,
		Version: "v0.1.0",
		Status:  StatusInfo{Cluster: "prod", Addr: strings.Repeat("broker.example.com:9092,", 6), ReadOnly: true},
	}, 160, 45)
	top := newFake(long)
	top.overdraw = true
	r.tm.Send(PushMsg{Screen: newFake("orders")})
	r.tm.Send(PushMsg{Screen: top})
	r.tm.Send(ErrMsg{Err: errors.New(strings.Repeat("a very long error message ", 10)), Retry: func() tea.Msg { return nil }})
	r.tm.Send(ConnStateMsg{Connected: false, Err: errors.New("gone")})
	r.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, view := range []string{
		r.waitFor("80x24", func(s string) bool { return strings.Contains(s, "80x21") }),
		func() string {
			r.press("?")
			return r.waitFor("help", func(s string) bool { return strings.Contains(s, "Global") })
		}(),
		func() string {
			r.press("esc", ":")
			return r.waitFor("palette", func(s string) bool { return strings.Contains(s, "no matching") || strings.Contains(s, "type to") })
		}(),
	} {
		ls := lines(view)
		if len(ls) != 24 {
			t.Errorf("%d lines, want 24:\n%s", len(ls), view)
		}
		for i, l := range ls {
			if w := ansi.StringWidth(l); w > 80 {
				t.Errorf("line %d is %d cells wide: %q", i, w, l)
			}
		}
		if !strings.Contains(ls[0], "rewind") || !strings.Contains(ls[0], "…") {
			t.Errorf("header at 80 columns: %q", ls[0])
		}
		if !strings.Contains(ls[23], "READ-ONLY") || !strings.Contains(ls[23], "disconnected") {
			t.Errorf("status bar at 80 columns: %q", ls[23])
		}
	}
}

func TestToastExpires(t *testing.T) {
	old := toastDuration
	toastDuration = 100 * time.Millisecond
	t.Cleanup(func() { toastDuration = old })
	r := start(t, Options{Root: newFake("record")}, 80, 24)
	r.tm.Send(ToastMsg{Text: "copied value"})
	r.waitFor("toast", func(s string) bool { return strings.Contains(lines(s)[22], "copied value") })
	r.waitFor("toast gone", func(s string) bool { return strings.Contains(lines(s)[22], "? help") })
}

// gated is a command whose result waits for release: a slow load.
func gated(text string) (cmd tea.Cmd, release func()) {
	ch := make(chan struct{})
	return func() tea.Msg { <-ch; return dataMsg{text} }, func() { close(ch) }
}

// TestMessageRouting: a screen's results reach that screen only, even when
// it is covered and when another screen of the same kind is on top; the
// results of a closed screen are dropped; input goes to the top only and
// global messages to all.
func TestMessageRouting(t *testing.T) {
	rootLoad, releaseRoot := gated("late topics result")
	root := newFake("topics")
	root.init = rootLoad
	top := newFake("topics") // same kind as the root: only routing tells them apart
	topLoad, releaseTop := gated("orders result")
	top.onKey = map[string]tea.Cmd{"x": topLoad}
	r := start(t, Options{Root: root}, 80, 24)
	r.tm.Send(PushMsg{Screen: top})
	r.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	r.press("x")
	r.waitFor("key", func(s string) bool { return strings.Contains(s, "keys: x") })
	releaseRoot() // the root's load lands while it is covered
	releaseTop()
	r.tm.Send(ConnStateMsg{Connected: true})
	r.tm.Send(dataMsg{"from outside"}) // not a screen's command: the top's
	waitData := func(f *fakeScreen, n int) []string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, data, _, _ := f.snapshot()
			if len(data) >= n || time.Now().After(deadline) {
				return data
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got := waitData(top, 2); !slices.Equal(got, []string{"orders result", "from outside"}) &&
		!slices.Equal(got, []string{"from outside", "orders result"}) {
		t.Errorf("top got %v, want its own result and the outside message", got)
	}
	if got := waitData(root, 1); !slices.Equal(got, []string{"late topics result"}) {
		t.Errorf("covered root got %v, want exactly its own result", got)
	}
	rootKeys, _, rootWheel, _ := root.snapshot()
	topKeys, _, topWheel, _ := top.snapshot()
	if len(rootKeys) != 0 || rootWheel != 0 {
		t.Errorf("covered screen got input: keys %v wheel %d", rootKeys, rootWheel)
	}
	if len(topKeys) != 1 || topWheel != 1 {
		t.Errorf("top screen input: keys %v wheel %d", topKeys, topWheel)
	}
	r.waitFor("conn", func(string) bool { return root.connCount() == 1 && top.connCount() == 1 })
}

// TestClosedScreenResultDropped: a result that lands after its screen was
// closed reaches nobody, not the screen now on top. Driven without a
// program, so the order of events is exact.
func TestClosedScreenResultDropped(t *testing.T) {
	root, top := newFake("topics"), newFake("topics")
	top.onKey = map[string]tea.Cmd{"y": func() tea.Msg { return dataMsg{"after close"} }}
	a := New(Options{Root: root})
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.Update(PushMsg{Screen: top})
	_, slow := a.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	if slow == nil {
		t.Fatal("the top screen's command was lost")
	}
	a.Update(tea.KeyPressMsg{Code: tea.KeyEscape}) // pop
	msg := slow()
	if _, ok := msg.(routedMsg); !ok {
		t.Fatalf("a screen's result must come back addressed to it, got %T", msg)
	}
	a.Update(msg)
	if _, d, _, _ := root.snapshot(); len(d) != 0 {
		t.Errorf("the closed screen's result reached the root: %v", d)
	}
	if _, d, _, _ := top.snapshot(); len(d) != 0 {
		t.Errorf("the closed screen got its result after Close: %v", d)
	}
}

// TestRetryGoesToTheFailedScreen: R runs an error's Retry for the screen
// that reported it, even after another screen covered it.
func TestRetryGoesToTheFailedScreen(t *testing.T) {
	root := newFake("topics")
	root.init = func() tea.Msg {
		return ErrMsg{Err: errors.New("list topics: refused"), Retry: func() tea.Msg { return dataMsg{"retried"} }}
	}
	top := newFake("orders")
	r := start(t, Options{Root: root}, 80, 24)
	r.waitFor("error", func(s string) bool { return strings.Contains(s, "refused") })
	r.tm.Send(PushMsg{Screen: top})
	r.waitFor("pushed", func(s string) bool { return strings.Contains(s, "[orders]") })
	r.press("R")
	r.waitFor("retried", func(string) bool { _, d, _, _ := root.snapshot(); return len(d) == 1 })
	if _, d, _, _ := top.snapshot(); len(d) != 0 {
		t.Errorf("the retry's result went to the top screen: %v", d)
	}
}

func TestRefreshAndBack(t *testing.T) {
	root, top := newFake("topics"), newFake("orders")
	top.backs = 1 // e.g. an applied filter that esc clears first
	r := start(t, Options{Root: root}, 80, 24)
	r.tm.Send(PushMsg{Screen: top})
	r.press("ctrl+r", "esc")
	r.waitFor("still on orders", func(s string) bool { return strings.Contains(s, "[orders]") })
	r.press("esc")
	r.waitFor("popped", func(s string) bool { return strings.Contains(s, "[topics]") })
	if top.refreshed != 1 {
		t.Errorf("ctrl+r refreshed %d times, want 1", top.refreshed)
	}
}

func TestTitlesAreSanitised(t *testing.T) {
	r := start(t, Options{Root: newFake("evil\x1b]0;pwned\x07")}, 80, 24)
	// The screen's own area is the screen's business; the chrome the shell
	// draws from its title must be clean.
	header := lines(r.raw())[0]
	if strings.Contains(header, "\x1b]") || strings.Contains(header, "\x07") {
		t.Fatalf("escape sequence from a title reached the header: %q", header)
	}
	if !strings.Contains(ansi.Strip(header), "evil␛]0;pwned␇") {
		t.Errorf("header = %q", ansi.Strip(header))
	}
	a := New(Options{Root: newFake("evil\x1b]0;pwned\x07")})
	if wt := a.View().WindowTitle; strings.ContainsAny(wt, "\x1b\x07") {
		t.Errorf("window title %q carries control characters", wt)
	}
}

func TestNoColorThemeEmitsNoColour(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	r := start(t, Options{Theme: th, Root: newFake("topics", keyOpen), Status: StatusInfo{Addr: "x:1", ReadOnly: true}}, 80, 24)
	r.tm.Send(ErrMsg{Err: errors.New("boom")})
	r.waitFor("error", func(s string) bool { return strings.Contains(s, "boom") })
	for _, view := range []string{r.raw(), func() string { r.press(":"); return r.raw() }()} {
		for _, m := range sgrRe.FindAllStringSubmatch(view, -1) {
			for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
				if isColourParam(p) {
					t.Fatalf("no-color view has colour SGR %q", m[0])
				}
			}
		}
	}
}

func TestAppViewMode(t *testing.T) {
	a := New(Options{Root: newFake("topics")})
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	v := a.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Errorf("AltScreen %v, MouseMode %v", v.AltScreen, v.MouseMode)
	}
	if v.WindowTitle != "rewind — topics" {
		t.Errorf("window title %q", v.WindowTitle)
	}
}

var sgrRe = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// isColourParam reports an SGR parameter that sets or resets a colour.
func isColourParam(p string) bool {
	n, err := strconv.Atoi(p)
	if err != nil {
		return false
	}
	return n >= 30 && n <= 49 || n >= 58 && n <= 59 || n >= 90 && n <= 97 || n >= 100 && n <= 107
}

// tableScreen is a minimal records-like screen over a virtual table.
type tableScreen struct{ t *Table }

func (s *tableScreen) Init() tea.Cmd { return nil }
func (s *tableScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		s.t.HandleKey(k)
	}
	return s, nil
}
func (s *tableScreen) View() string        { return s.t.View() }
func (s *tableScreen) SetSize(w, h int)    { s.t.SetSize(w, h) }
func (s *tableScreen) Title() string       { return "orders" }
func (s *tableScreen) Help() []key.Binding { return append(TableKeys(), Keys.Enter, Keys.Filter) }

// BenchmarkAppKeypress is one key through the whole shell (Update + View)
// at 160x45 over a 1M-row table: the shell's share of a keypress.
func BenchmarkAppKeypress(b *testing.B) {
	th, _ := themes.Get("dark")
	tb := NewTable(th, []Column{
		{Title: "OFFSET", Width: 10, Right: true}, {Title: "KEY", Width: 14},
		{Title: "VALUE", MinWidth: 20}, {Title: "SIZE", Width: 8, Right: true},
	})
	value := []byte(`{"order_id":"o-123456","customer":"c-42","amount":123.45,"status":"paid"}`)
	tb.SetRows(1_000_000, func(i int) []string {
		return []string{FormatCount(int64(i)), "o-" + strconv.Itoa(i), Preview(value, 200), "74 B"}
	})
	a := New(Options{Theme: th, Root: &tableScreen{tb}, Status: StatusInfo{Cluster: "embedded", Addr: "127.0.0.1:9092", Embedded: true}})
	a.Update(tea.WindowSizeMsg{Width: 160, Height: 45})
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	b.ReportAllocs()
	for b.Loop() {
		a.Update(down)
		_ = a.View()
	}
}

func TestStaleToastTimerKeepsNewerToast(t *testing.T) {
	a := New(Options{Root: newFake("record")})
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.Update(ToastMsg{Text: "first"})
	a.Update(ToastMsg{Text: "second"})
	a.Update(toastExpiredMsg{id: 1}) // the first toast's timer
	if footer := lines(ansi.Strip(a.View().Content))[22]; !strings.Contains(footer, "second") {
		t.Errorf("stale timer cleared the newer toast: %q", footer)
	}
	a.Update(toastExpiredMsg{id: 2})
	if footer := lines(ansi.Strip(a.View().Content))[22]; strings.Contains(footer, "second") {
		t.Errorf("toast not cleared by its own timer: %q", footer)
	}
}

func TestRetryFallsBackToRefresh(t *testing.T) {
	root := newFake("topics")
	r := start(t, Options{Root: root}, 100, 24)
	r.tm.Send(ErrMsg{Err: errors.New("list topics failed")})
	r.waitFor("retry hint", func(s string) bool { return strings.Contains(lines(s)[23], "R retry") })
	r.press("R")
	r.waitFor("error cleared", func(s string) bool { return !strings.Contains(lines(s)[23], "failed") })
	if root.refreshed != 1 {
		t.Errorf("R without a Retry command refreshed %d times, want 1", root.refreshed)
	}
	if got, _, _, _ := root.snapshot(); len(got) != 0 {
		t.Errorf("R reached the screen: %v", got)
	}
}

func TestEverySizeFits(t *testing.T) {
	for _, overlay := range []string{"", "?", ":"} {
		a := New(Options{
			Root:     newFake("topics", keyOpen, keyFilter, keySort),
			Commands: []Command{{Name: "groups", Desc: "consumer groups and lag"}},
			Status:   StatusInfo{Cluster: "prod", Addr: "broker-1.example.com:9092", ReadOnly: true},
			Version:  "v0.1.0",
		})
		top := newFake("orders-with-a-long-name")
		top.overdraw = true
		a.Update(PushMsg{Screen: top})
		a.Update(ErrMsg{Err: errors.New("something failed badly")})
		if overlay != "" {
			a.Update(tea.KeyPressMsg{Code: rune(overlay[0]), Text: overlay})
		}
		for w := 1; w <= 200; w += 13 {
			for h := 1; h <= 50; h += 5 {
				a.Update(tea.WindowSizeMsg{Width: w, Height: h})
				ls := lines(a.View().Content)
				if len(ls) != h {
					t.Fatalf("overlay %q at %dx%d: %d lines", overlay, w, h, len(ls))
				}
				for i, l := range ls {
					if lw := ansi.StringWidth(l); lw > w {
						t.Fatalf("overlay %q at %dx%d: line %d is %d wide: %q", overlay, w, h, i, lw, ansi.Strip(l))
					}
				}
			}
		}
	}
}
