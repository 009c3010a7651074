package ui

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestRouteBatchesAndRuntime: the commands of a batch or a sequence are
// routed one by one (the runtime must still see the batch to run it); the
// runtime's own messages (quit) are not wrapped, or it would never see them.
func TestRouteBatchesAndRuntime(t *testing.T) {
	data := func() tea.Msg { return dataMsg{"x"} }
	for name, cmd := range map[string]tea.Cmd{"batch": tea.Batch(data, data), "sequence": tea.Sequence(data, data)} {
		msg := route(7, cmd)()
		v := reflect.ValueOf(msg)
		if v.Kind() != reflect.Slice || v.Len() != 2 {
			t.Fatalf("%s: got %T, want tea's command list", name, msg)
		}
		for i := range v.Len() {
			got := v.Index(i).Interface().(tea.Cmd)()
			if r, ok := got.(routedMsg); !ok || r.to != 7 || r.msg != (dataMsg{"x"}) {
				t.Fatalf("%s[%d]: got %#v, want dataMsg routed to 7", name, i, got)
			}
		}
	}
	if msg := route(7, tea.Quit)(); msg != (tea.QuitMsg{}) {
		t.Fatalf("quit was wrapped: %#v", msg)
	}
	if route(7, nil) != nil {
		t.Fatal("a nil command must stay nil")
	}
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
