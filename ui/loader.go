package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// Loader runs a screen's fetch: one fetch in flight at a time, a spinner
// until the first result, auto-refresh with a single chain of ticks (armed
// only after a result, so a slow cluster never stacks refreshes), pause,
// and errors: reported once to the status bar with a retry, kept beside
// the last good result, cleared when a fetch succeeds again.
//
// Fetch runs in a tea.Cmd, off the event loop. Since only one fetch is in
// flight and its result is applied in Update, Fetch may read screen state
// that only Apply changes (a cache of the previous result); nothing else.
type Loader[R any] struct {
	theme themes.Theme
	fetch func(ctx context.Context) (R, error)
	apply func(R)
	what  string
	every time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	spin   Spinner

	loading, loaded bool
	paused          bool
	again           bool // a refresh was asked for while one was in flight
	gen             int  // numbers tick chains: ticks of an older one are dropped
	err             error
}

// LoaderSpec configures a Loader.
type LoaderSpec[R any] struct {
	// Fetch reads the data (see Loader about what it may touch).
	Fetch func(ctx context.Context) (R, error)
	// Apply installs a good result, in Update.
	Apply func(R)
	// What names the data in the status bar's error ("consumer groups:
	// connection refused"); empty shows the error alone.
	What string
	// Every is the auto-refresh period; 0 fetches only on request.
	Every time.Duration
}

// Messages of a loader; l tells two loaders of one screen apart.
type (
	loadedMsg[R any] struct {
		l   *Loader[R]
		r   R
		err error
	}
	loadTickMsg[R any] struct {
		l   *Loader[R]
		gen int
	}
	loadRetryMsg[R any] struct{ l *Loader[R] }
)

// NewLoader returns a loader; Start begins the first fetch.
func NewLoader[R any](theme themes.Theme, spec LoaderSpec[R]) *Loader[R] {
	ctx, cancel := context.WithCancel(context.Background())
	return &Loader[R]{theme: theme, fetch: spec.Fetch, apply: spec.Apply, what: spec.What, every: spec.Every,
		ctx: ctx, cancel: cancel,
		spin: NewSpinner(theme)}
}

// Start begins the first fetch, with the spinner.
func (l *Loader[R]) Start() tea.Cmd { return l.load() }

// Refresh fetches now; while a fetch is in flight it asks for another as
// soon as that one returns instead of starting a second.
func (l *Loader[R]) Refresh() tea.Cmd {
	if l.loading {
		l.again = true
		return nil
	}
	return l.load()
}

// Close cancels a fetch in flight and ends the tick chain; the shell calls
// it (through the screen's Close) when the screen goes away.
func (l *Loader[R]) Close() { l.cancel() }

// Context ends when the loader is closed, for commands of the screen that
// should end with it.
func (l *Loader[R]) Context() context.Context { return l.ctx }

func (l *Loader[R]) load() tea.Cmd {
	l.loading = true
	l.gen++ // an armed tick of the previous chain is now stale
	f, ctx := l.fetch, l.ctx
	cmd := func() tea.Msg {
		r, err := f(ctx)
		return loadedMsg[R]{l: l, r: r, err: err}
	}
	if !l.loaded {
		return tea.Batch(cmd, l.spin.Tick)
	}
	return cmd
}

// next arms the next fetch after a result: the one asked for meanwhile,
// else a tick, unless paused or not refreshing.
func (l *Loader[R]) next() tea.Cmd {
	if l.again {
		l.again = false
		return l.load()
	}
	if l.paused || l.every <= 0 {
		return nil
	}
	return Tick(l.ctx, l.every, loadTickMsg[R]{l: l, gen: l.gen})
}

// Update handles the loader's own messages (results, ticks, retries,
// spinner frames) and reports whether msg was one.
func (l *Loader[R]) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch m := msg.(type) {
	case loadedMsg[R]:
		if m.l != l {
			return nil, false
		}
		return l.onLoaded(m), true
	case loadTickMsg[R]:
		if m.l != l {
			return nil, false
		}
		if m.gen != l.gen || l.loading || l.paused || l.every <= 0 {
			return nil, true
		}
		return l.load(), true
	case loadRetryMsg[R]:
		if m.l != l {
			return nil, false
		}
		return l.Refresh(), true
	}
	return l.spin.Update(msg, l.loading && !l.loaded)
}

func (l *Loader[R]) onLoaded(m loadedMsg[R]) tea.Cmd {
	l.loading = false
	if m.err != nil {
		report := !sameError(l.err, m.err) // once, not on every failing refresh
		l.err = m.err
		next := l.next()
		if !report {
			return next
		}
		err := m.err
		if l.what != "" {
			err = fmt.Errorf("%s: %w", l.what, m.err)
		}
		return tea.Batch(next, func() tea.Msg {
			return ErrMsg{Err: err, Retry: func() tea.Msg { return loadRetryMsg[R]{l: l} }}
		})
	}
	var clear tea.Cmd
	if l.err != nil {
		clear = ClearErr()
	}
	l.err, l.loaded = nil, true
	l.apply(m.r)
	return tea.Batch(clear, l.next())
}

func sameError(a, b error) bool { return a != nil && b != nil && a.Error() == b.Error() }

// Loading reports a fetch in flight.
func (l *Loader[R]) Loading() bool { return l.loading }

// Loaded reports that a fetch has succeeded at least once.
func (l *Loader[R]) Loaded() bool { return l.loaded }

// Err is the last fetch's error, nil once one succeeds.
func (l *Loader[R]) Err() error { return l.err }

// Paused reports whether auto-refresh is paused.
func (l *Loader[R]) Paused() bool { return l.paused }

// Every is the auto-refresh period.
func (l *Loader[R]) Every() time.Duration { return l.every }

// SetEvery changes the auto-refresh period; 0 stops it after the current
// tick, which is then dropped.
func (l *Loader[R]) SetEvery(d time.Duration) { l.every = d }

// TogglePause pauses or resumes auto-refresh and says so in a toast;
// resuming fetches at once.
func (l *Loader[R]) TogglePause() tea.Cmd {
	l.paused = !l.paused
	if l.paused {
		l.gen++ // drop the armed tick
		return Toast("auto-refresh paused (p to resume)")
	}
	var cmd tea.Cmd
	if !l.loading {
		cmd = l.load()
	}
	return tea.Batch(cmd, Toast("auto-refresh every "+FormatEvery(l.every)))
}

// Placeholder is the screen body before the first result: the spinner
// with what is loading, or the error with how to retry.
func (l *Loader[R]) Placeholder(w, h int, loading string) string {
	return l.spin.Waiting(l.err, loading, w, h)
}

// Tick is one tick of a refresh chain: msg after d. Unlike tea.Tick it
// ends when ctx does, so a closed screen leaves no timer goroutine behind.
// (A method value: every Tick command has the same code, so a test driver
// can tell a timer from a fetch.)
func Tick(ctx context.Context, d time.Duration, msg tea.Msg) tea.Cmd {
	return tick{ctx, d, msg}.run
}

type tick struct {
	ctx context.Context
	d   time.Duration
	msg tea.Msg
}

func (t tick) run() tea.Msg {
	tm := time.NewTimer(t.d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return t.msg
	case <-t.ctx.Done():
		return nil
	}
}

// FormatEvery renders a refresh interval: "2s", "500ms", "1h".
func FormatEvery(d time.Duration) string {
	if d < time.Second || d%time.Second != 0 {
		return d.String()
	}
	return FormatAge(d)
}
