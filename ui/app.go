package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// AppName heads the breadcrumb.
const AppName = "rewind"

// chromeLines is the height taken by the shell: header, footer, status bar.
const chromeLines = 3

// toastDuration is how long a toast stays; a variable so tests can shorten it.
var toastDuration = 3 * time.Second

// Options configures the shell.
type Options struct {
	Theme    themes.Theme
	Status   StatusInfo
	Root     Screen
	Commands []Command
	Version  string
}

// StatusInfo is the fixed part of the status bar.
type StatusInfo struct {
	Cluster  string // label, e.g. "embedded" or the broker list
	Addr     string
	Embedded bool
	ReadOnly bool
	// Color shows Cluster (a context's label) as a badge: "red",
	// "yellow", "green" or "blue"; "" keeps it plain text.
	Color string
}

// Command is a command palette entry.
//
// Choosing one closes every screen above the root, then pushes what Open
// returns. When that screen has the same Title as the root it replaces the
// root instead (so a "topics" command over a topics root gives a fresh
// topics list, not two). A nil Open, or Open returning nil, just goes back
// to the root.
type Command struct {
	Name, Desc string
	Open       func() Screen
}

// BackHandler is an optional Screen interface for screens with state that
// esc should undo before the screen closes (an applied filter, a mark). On
// esc the shell calls Back; when it returns handled the screen stays.
type BackHandler interface {
	Back() (handled bool, cmd tea.Cmd)
}

// ClearErrMsg clears the error shown in the status bar (as does an ErrMsg
// with a nil Err). Screens send it when the thing that failed succeeds.
type ClearErrMsg struct{}

// ClearErr returns a command clearing the status bar error.
func ClearErr() tea.Cmd { return func() tea.Msg { return ClearErrMsg{} } }

// toastExpiredMsg ends toast id; stale ids are ignored so an old timer does
// not clear a newer toast.
type toastExpiredMsg struct{ id int }

type connState int

const (
	connUnknown connState = iota
	connUp
	connDown
)

// App is the Bubble Tea model of the whole program: a stack of screens plus
// the chrome around the top one.
//
// Global keys, unless the top screen is capturing input (InputCapturer), in
// which case every key but ctrl+c goes to the screen:
//
//	q        quit (Close on every Closer screen)    ctrl+c  quit, always
//	esc      close the overlay, else BackHandler.Back, else pop (no-op at the root)
//	?        toggle the help overlay                :       command palette
//	ctrl+r   Refresh the top screen (Refresher; F5 too)
//	R        after an error: run its Retry command, or Refresh the top screen;
//	         with no error pending R goes to the screen
//
// Every other key goes to the top screen.
//
// Message routing (see route.go). Keys (and paste) go to the shell first,
// then, unless it used them, to the top screen only; mouse messages go to
// the top screen only. Every command a screen returns is wrapped with the
// screen's identity, so its result (data, ticks, spinner frames, a retry)
// is delivered to that screen alone, even when it is covered, and dropped
// once it is closed. Only global messages (ConnStateMsg,
// tea.BackgroundColorMsg, tea.ColorProfileMsg) go to every screen, bottom
// first; tea.WindowSizeMsg reaches them as SetSize. The shell's own messages
// (PushMsg, PopMsg, ErrMsg, ToastMsg, ClearErrMsg) are handled by the shell
// wherever they come from; an ErrMsg's Retry runs for the screen that sent
// it. Any other message from outside a screen's commands goes to the top
// screen.
type App struct {
	theme    themes.Theme
	status   StatusInfo
	commands []Command
	version  string

	stack         []entry
	nextID        int
	width, height int

	conn    connState
	connErr string

	lastErr string
	retry   tea.Cmd

	toast    string
	toastErr bool
	toastID  int

	help    bool
	helpTop int // first line of the ? overlay shown, when it is taller than the screen
	palette palette
	closed  bool

	// The chrome lines change far less often than the screen: re-rendering
	// them with lipgloss on every keypress cost several times the table.
	headerLine, footerLine, statusLine lineMemo
}

// entry is a screen on the stack with the identity its messages are
// routed by.
type entry struct {
	id int
	s  Screen
}

// New returns the shell with opts.Root as the bottom screen.
func New(opts Options) *App {
	if opts.Theme.Name == "" {
		opts.Theme, _ = themes.Get(themes.Default)
	}
	a := &App{
		theme:    opts.Theme,
		status:   opts.Status,
		commands: opts.Commands,
		version:  opts.Version,
	}
	if opts.Root != nil {
		a.stack = []entry{a.newEntry(opts.Root)}
	}
	a.palette = newPalette(opts.Theme, opts.Commands)
	return a
}

// Init starts the root screen.
func (a *App) Init() tea.Cmd {
	if len(a.stack) == 0 {
		return nil
	}
	return a.topCmd(a.stack[0].s.Init())
}

func (a *App) newEntry(s Screen) entry {
	a.nextID++
	return entry{id: a.nextID, s: s}
}

func (a *App) top() Screen {
	if len(a.stack) == 0 {
		return nil
	}
	return a.stack[len(a.stack)-1].s
}

// topCmd routes cmd, made by the top screen (or by the shell on its
// behalf), back to it.
func (a *App) topCmd(cmd tea.Cmd) tea.Cmd {
	if len(a.stack) == 0 {
		return cmd
	}
	return route(a.stack[len(a.stack)-1].id, cmd)
}

func (a *App) contentHeight() int { return max(0, a.height-chromeLines) }

// Update routes msg; see the App doc for the rule.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		for _, e := range a.stack {
			e.s.SetSize(a.width, a.contentHeight())
		}
		a.palette.setWidth(a.width)
		return a, nil

	case tea.KeyPressMsg:
		return a, a.handleKey(msg)

	case tea.PasteMsg:
		if a.palette.open {
			return a, a.palette.update(msg)
		}
		return a, a.updateTop(msg)

	case tea.KeyMsg, tea.MouseMsg:
		if a.help || a.palette.open {
			return a, nil // overlays are modal
		}
		return a, a.updateTop(msg)

	case PushMsg:
		if msg.Screen == nil {
			return a, nil
		}
		return a, a.push(msg.Screen)

	case PopMsg:
		a.pop()
		return a, nil

	case routedMsg:
		return a, a.deliver(msg)

	case ErrMsg:
		if msg.Err == nil {
			a.clearErr()
			return a, nil
		}
		a.lastErr = oneLine(msg.Err.Error())
		a.retry = msg.Retry
		return a, a.showToast(a.lastErr, true)

	case ClearErrMsg:
		a.clearErr()
		return a, nil

	case ToastMsg:
		return a, a.showToast(oneLine(msg.Text), false)

	case toastExpiredMsg:
		if msg.id == a.toastID {
			a.toast = ""
		}
		return a, nil

	case ConnStateMsg:
		if msg.Connected {
			a.conn, a.connErr = connUp, ""
		} else {
			a.conn, a.connErr = connDown, ""
			if msg.Err != nil {
				a.connErr = oneLine(msg.Err.Error())
			}
		}
		return a, a.broadcast(msg) // screens may reload after a reconnect
	}
	if global(msg) {
		return a, a.broadcast(msg)
	}
	return a, a.updateTop(msg)
}

// deliver hands a routed result to the screen that asked for it, or to the
// shell when it is a shell message. A result for a closed screen is
// dropped.
func (a *App) deliver(m routedMsg) tea.Cmd {
	switch inner := m.msg.(type) {
	case ErrMsg:
		// R retries for the screen that failed, wherever it is now.
		inner.Retry = route(m.to, inner.Retry)
		_, cmd := a.Update(inner)
		return cmd
	case PushMsg, PopMsg, ToastMsg, ClearErrMsg, ConnStateMsg:
		_, cmd := a.Update(inner)
		return cmd
	}
	for i := range a.stack {
		if a.stack[i].id == m.to {
			return a.updateAt(i, m.msg)
		}
	}
	return nil
}

// handleKey applies the global keys listed in the App doc.
func (a *App) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, Keys.ForceQuit) {
		return a.quit()
	}
	if a.palette.open {
		open, cmd := a.palette.handleKey(msg)
		if open != nil {
			return a.openCommand(*open)
		}
		return cmd
	}
	if a.help {
		switch {
		case key.Matches(msg, Keys.Back), key.Matches(msg, Keys.Help):
			a.help = false
		case key.Matches(msg, Keys.Down):
			a.helpTop++ // clamped where drawn
		case key.Matches(msg, Keys.Up):
			a.helpTop = max(0, a.helpTop-1)
		case key.Matches(msg, Keys.PageDown):
			a.helpTop += max(1, a.height/2)
		case key.Matches(msg, Keys.PageUp):
			a.helpTop = max(0, a.helpTop-max(1, a.height/2))
		case key.Matches(msg, Keys.Top):
			a.helpTop = 0
		case key.Matches(msg, Keys.Quit):
			return a.quit()
		}
		return nil // the overlay is modal
	}
	top := a.top()
	if top == nil {
		if key.Matches(msg, Keys.Quit) {
			return a.quit()
		}
		return nil
	}
	if c, ok := top.(InputCapturer); ok && c.CapturingInput() {
		return a.updateTop(msg)
	}
	switch {
	case key.Matches(msg, Keys.Quit):
		return a.quit()
	case key.Matches(msg, Keys.Back):
		if b, ok := top.(BackHandler); ok {
			if handled, cmd := b.Back(); handled {
				return a.topCmd(cmd)
			}
		}
		a.pop()
		return nil
	case key.Matches(msg, Keys.Help):
		a.help, a.helpTop = true, 0
		return nil
	case key.Matches(msg, Keys.Palette):
		return a.palette.show(a.width)
	case key.Matches(msg, Keys.Refresh):
		if r, ok := top.(Refresher); ok {
			a.clearErr()
			return a.topCmd(r.Refresh())
		}
	case key.Matches(msg, Keys.Retry) && a.canRetry():
		cmd := a.retry
		if cmd == nil {
			cmd = a.topCmd(top.(Refresher).Refresh())
		}
		a.clearErr()
		return tea.Batch(cmd, a.showToast("retrying…", false))
	}
	return a.updateTop(msg)
}

// canRetry reports whether R has something to do: an error is shown and
// either it came with a Retry command or the top screen can Refresh.
func (a *App) canRetry() bool {
	if a.lastErr == "" {
		return false
	}
	if a.retry != nil {
		return true
	}
	_, ok := a.top().(Refresher)
	return ok
}

func (a *App) clearErr() {
	a.lastErr, a.retry = "", nil
	if a.toastErr {
		a.toast = ""
	}
}

func (a *App) showToast(text string, isErr bool) tea.Cmd {
	a.toastID++
	a.toast, a.toastErr = text, isErr
	id := a.toastID
	return tea.Tick(toastDuration, func(time.Time) tea.Msg { return toastExpiredMsg{id: id} })
}

func (a *App) updateTop(msg tea.Msg) tea.Cmd {
	if len(a.stack) == 0 {
		return nil
	}
	return a.updateAt(len(a.stack)-1, msg)
}

// updateAt updates stack entry i and routes its command back to it.
func (a *App) updateAt(i int, msg tea.Msg) tea.Cmd {
	e := &a.stack[i]
	s, cmd := e.s.Update(msg)
	if s != nil {
		e.s = s
	}
	return route(e.id, cmd)
}

func (a *App) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i := range a.stack {
		if cmd := a.updateAt(i, msg); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return tea.Batch(cmds...)
}

func (a *App) push(s Screen) tea.Cmd {
	s.SetSize(a.width, a.contentHeight())
	a.stack = append(a.stack, a.newEntry(s))
	return a.topCmd(s.Init())
}

// pop closes the top screen; the root is never popped.
func (a *App) pop() {
	if len(a.stack) <= 1 {
		return
	}
	top := a.stack[len(a.stack)-1].s
	a.stack[len(a.stack)-1] = entry{}
	a.stack = a.stack[:len(a.stack)-1]
	closeScreen(top)
}

func closeScreen(s Screen) {
	if c, ok := s.(Closer); ok {
		c.Close()
	}
}

// openCommand runs a palette entry; see Command for the behaviour.
func (a *App) openCommand(c Command) tea.Cmd {
	for len(a.stack) > 1 {
		a.pop()
	}
	if c.Open == nil {
		return nil
	}
	s := c.Open()
	if s == nil {
		return nil
	}
	if len(a.stack) == 1 && s.Title() == a.stack[0].s.Title() {
		old := a.stack[0].s
		s.SetSize(a.width, a.contentHeight())
		a.stack[0] = a.newEntry(s) // the old root's results are dropped
		closeScreen(old)
		return a.topCmd(s.Init())
	}
	return a.push(s)
}

func (a *App) quit() tea.Cmd {
	a.Close()
	return tea.Quit
}

// Close closes every screen implementing Closer, top first. The shell calls
// it on q and ctrl+c; main should also defer it, for exits the shell does
// not see (a signal cancelling the program's context). It is idempotent.
func (a *App) Close() {
	if a.closed {
		return
	}
	a.closed = true
	for i := len(a.stack) - 1; i >= 0; i-- {
		closeScreen(a.stack[i].s)
	}
}
