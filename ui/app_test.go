package ui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui/uitest"
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
		case "esc", "enter", "down", "backspace", "ctrl+c", "ctrl+r":
			r.tm.Send(uitest.Key(k))
		default:
			r.tm.Type(k) // text, one key press per character
		}
	}
}

func lines(s string) []string { return strings.Split(s, "\n") }

var (
	keyOpen   = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open topic"))
	keyFilter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	keySort   = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort"))
)

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

var sgrRe = regexp.MustCompile("\x1b\\[([0-9;:]*)m")
