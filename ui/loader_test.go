package ui

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// fakeFetch counts fetches and answers with the next error in errs (nil
// once they run out).
type fakeFetch struct {
	n    int
	errs []error
	got  []int
}

func (f *fakeFetch) fetch(context.Context) (int, error) {
	f.n++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return f.n, err
	}
	return f.n, nil
}

func newTestLoader(t *testing.T, f *fakeFetch, every time.Duration) *Loader[int] {
	t.Helper()
	th, _ := themes.Get("dark")
	l := NewLoader(th, LoaderSpec[int]{Fetch: f.fetch, Apply: func(r int) { f.got = append(f.got, r) }, What: "things", Every: every})
	t.Cleanup(l.Close)
	return l
}

// result runs the loader's fetch command the way the runtime would and
// returns its message (the spinner's first frame is dropped).
func result(t *testing.T, cmd tea.Cmd) loadedMsg[int] {
	t.Helper()
	for _, m := range flatten(cmd) {
		if r, ok := m.(loadedMsg[int]); ok {
			return r
		}
	}
	t.Fatal("no fetch result in the command")
	return loadedMsg[int]{}
}

// flatten runs cmd and the commands of any batch it returns, except
// timers (which would block).
func flatten(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	if isTick(cmd) {
		return []tea.Msg{tickPending{}}
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, flatten(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// tickPending stands for an armed timer in flatten's result.
type tickPending struct{}

func isTick(cmd tea.Cmd) bool {
	return funcPC(cmd) == funcPC(Tick(context.Background(), time.Hour, nil))
}

func hasTick(msgs []tea.Msg) bool {
	for _, m := range msgs {
		if _, ok := m.(tickPending); ok {
			return true
		}
	}
	return false
}

// TestLoaderSingleChain: one fetch in flight; ticks that arrive during a
// fetch or from an older chain start nothing; a refresh asked for during a
// fetch runs exactly once, right after it; paused, nothing is armed.
func TestLoaderSingleChain(t *testing.T) {
	f := &fakeFetch{}
	l := newTestLoader(t, f, time.Hour)
	first := l.Start()
	if !l.Loading() {
		t.Fatal("Start should begin a fetch")
	}
	oldGen := l.gen
	if cmd, ok := l.Update(loadTickMsg[int]{l: l, gen: oldGen}); !ok || cmd != nil {
		t.Fatal("a tick during a fetch must not start another")
	}
	if cmd := l.Refresh(); cmd != nil || !l.again {
		t.Fatal("a refresh during a fetch queues one and starts none")
	}
	cmd, _ := l.Update(result(t, first))
	msgs := flatten(cmd)
	if !l.Loading() || l.again || hasTick(msgs) {
		t.Fatal("the queued refresh starts when the result arrives, instead of a tick")
	}
	if cmd, _ := l.Update(loadTickMsg[int]{l: l, gen: oldGen}); cmd != nil {
		t.Fatal("a tick of the old chain must be dropped")
	}
	var second loadedMsg[int]
	for _, m := range msgs {
		if r, ok := m.(loadedMsg[int]); ok {
			second = r
		}
	}
	cmd, _ = l.Update(second)
	if !hasTick(flatten(cmd)) {
		t.Fatal("after a result with nothing queued, the next tick is armed")
	}
	if f.n != 2 || len(f.got) != 2 || !l.Loaded() {
		t.Fatalf("fetches %d, applied %v", f.n, f.got)
	}
	l.TogglePause()
	if !l.Paused() {
		t.Fatal("TogglePause pauses")
	}
	if cmd, _ := l.Update(loadTickMsg[int]{l: l, gen: l.gen}); cmd != nil {
		t.Fatal("paused: ticks start nothing")
	}
	// Another loader's messages are not this one's.
	other := newTestLoader(t, &fakeFetch{}, time.Hour)
	if _, ok := l.Update(loadTickMsg[int]{l: other, gen: other.gen}); ok {
		t.Fatal("a message of another loader was taken")
	}
}

// TestLoaderErrors: an error is reported once with a retry (not again on
// every failing refresh), kept while the fetch keeps failing, and cleared
// from the status bar when a fetch succeeds.
func TestLoaderErrors(t *testing.T) {
	boom := errors.New("connection refused")
	f := &fakeFetch{errs: []error{boom, boom}}
	l := newTestLoader(t, f, time.Hour)
	cmd, _ := l.Update(result(t, l.Start()))
	var errMsg *ErrMsg
	for _, m := range flatten(cmd) {
		if e, ok := m.(ErrMsg); ok {
			errMsg = &e
		}
	}
	if errMsg == nil || errMsg.Err.Error() != "things: connection refused" || errMsg.Retry == nil {
		t.Fatalf("want one error naming what failed, with a retry; got %+v", errMsg)
	}
	if l.Loaded() || !strings.Contains(l.Placeholder(60, 5, "loading things…"), "press R to retry") {
		t.Fatal("before any result the placeholder shows the error and how to retry")
	}
	// R: the retry comes back as a message to this loader.
	cmd, ok := l.Update(errMsg.Retry())
	if !ok || !l.Loading() {
		t.Fatal("the retry should start a fetch")
	}
	cmd, _ = l.Update(result(t, cmd))
	for _, m := range flatten(cmd) {
		if _, ok := m.(ErrMsg); ok {
			t.Fatal("the same error must not be reported again")
		}
	}
	cmd, _ = l.Update(result(t, l.Refresh()))
	cleared := false
	for _, m := range flatten(cmd) {
		if _, ok := m.(ClearErrMsg); ok {
			cleared = true
		}
	}
	if !cleared || l.Err() != nil || !l.Loaded() || len(f.got) != 1 {
		t.Fatalf("a good fetch clears the error and applies: cleared %v err %v got %v", cleared, l.Err(), f.got)
	}
}

// TestLoaderCloseEndsTicks: a tick armed before Close returns at once
// (no timer goroutine left behind) and delivers nothing.
func TestLoaderCloseEndsTicks(t *testing.T) {
	l := newTestLoader(t, &fakeFetch{}, time.Hour)
	tick := Tick(l.Context(), time.Hour, "never")
	l.Close()
	if msg := tick(); msg != nil {
		t.Fatalf("a closed loader's tick delivered %v", msg)
	}
}

func funcPC(f tea.Cmd) uintptr { return reflect.ValueOf(f).Pointer() }
