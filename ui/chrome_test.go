package ui

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
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

// A screen with more keys than fit at 80x24 (the records view has 25):
// the overlay shows what fits, says how much is below, and scrolls with
// ↑/↓ to the last key; reopening starts at the top again.
func TestHelpOverlayScrollsWhenTallerThanTheScreen(t *testing.T) {
	var keys []key.Binding
	for i := range 30 {
		k := "k" + strconv.Itoa(i)
		keys = append(keys, key.NewBinding(key.WithKeys(k), key.WithHelp(k, "action number "+strconv.Itoa(i))))
	}
	r := start(t, Options{Root: newFake("records", keys...)}, 80, 24)
	r.press("?")
	s := r.waitFor("help overlay cut", func(s string) bool { return strings.Contains(s, "↑ 0 more · ↓") })
	if strings.Contains(s, "action number 29") {
		t.Fatalf("the last key fits at 80x24? the test needs more keys:\n%s", s)
	}
	for range 40 {
		r.press("down")
	}
	s = r.waitFor("scrolled to the end", func(s string) bool {
		return strings.Contains(s, "action number 29") && strings.Contains(s, "↓ 0 more") && strings.Contains(s, "esc or ? to close")
	})
	if strings.Contains(s, "action number 0\n") || strings.Contains(s, "↑ 0 more") {
		t.Errorf("scrolled overlay still shows the top:\n%s", s)
	}
	r.press("esc", "?")
	r.waitFor("reopened at the top", func(s string) bool {
		return strings.Contains(s, "↑ 0 more") && strings.Contains(s, "action number 0 ")
	})
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

// A key a screen lists that the shell lists too (esc back, ctrl+r refresh),
// or that the screen lists twice, appears once in the footer and once in
// the help overlay.
func TestFooterAndHelpListEachKeyOnce(t *testing.T) {
	top := newFake("plan", keyOpen, Keys.Back, Keys.Refresh, keyOpen)
	r := start(t, Options{Root: newFake("topics")}, 160, 30)
	r.tm.Send(PushMsg{Screen: top})
	footer := r.waitFor("pushed", func(s string) bool { return strings.Contains(s, "plan") })
	if n := strings.Count(lines(footer)[28], "esc back"); n != 1 {
		t.Errorf("esc back %d times in the footer: %q", n, lines(footer)[28])
	}
	if n := strings.Count(lines(footer)[28], "enter open topic"); n != 1 {
		t.Errorf("enter %d times in the footer: %q", n, lines(footer)[28])
	}
	r.press("?")
	s := r.waitFor("help overlay", func(s string) bool { return strings.Contains(s, "Global") })
	var box []string // the overlay's lines (the footer stays under it)
	for _, l := range lines(s) {
		if strings.Contains(l, "│") {
			box = append(box, l)
		}
	}
	for _, k := range []string{"refresh", "back", "open topic"} {
		if n := strings.Count(strings.Join(box, "\n"), k); n != 1 {
			t.Errorf("%q %d times in the help:\n%s", k, n, s)
		}
	}
}
