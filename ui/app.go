package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

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

// contextBadge is the badge style for a context colour.
func contextBadge(th themes.Theme, bar lipgloss.Style, color string) (lipgloss.Style, bool) {
	var from lipgloss.Style
	switch color {
	case "red":
		from = th.Error
	case "yellow":
		from = th.Warn
	case "green":
		from = th.OK
	case "blue":
		from = th.Info
	default:
		return lipgloss.Style{}, false
	}
	badge := th.Badge.Background(from.GetForeground())
	if th.Name == themes.NoColor || (badge.GetReverse() && bar.GetReverse()) {
		// no-color: the badge is reversed text; on a reversed bar it
		// would vanish.
		badge = th.Badge
		if badge.GetReverse() && bar.GetReverse() {
			badge = badge.Reverse(false)
		}
	}
	return badge, true
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

// lineMemo caches one rendered line under a key describing its inputs.
type lineMemo struct{ key, out string }

func (m *lineMemo) get(key string, render func() string) string {
	if key != m.key || m.out == "" {
		m.key, m.out = key, render()
	}
	return m.out
}

func (a *App) headerKey() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(a.width))
	for _, e := range a.stack {
		b.WriteByte(0)
		b.WriteString(e.s.Title())
	}
	return b.String()
}

func (a *App) footerKey() string {
	if a.toast != "" {
		return fmt.Sprint(a.width, a.toastErr, a.toast)
	}
	var b strings.Builder
	fmt.Fprint(&b, a.width, a.help, a.palette.open, len(a.stack) > 1, a.canRetry())
	for _, k := range a.screenHelp() {
		b.WriteByte(0)
		b.WriteString(k.Help().Key)
		b.WriteByte(1)
		b.WriteString(k.Help().Desc)
	}
	return b.String()
}

func (a *App) statusKey() string {
	return fmt.Sprint(a.width, a.conn, a.connErr, a.lastErr, a.canRetry())
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
		a.help = true
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

// View draws header, screen, footer and status bar, each line within the
// terminal width.
func (a *App) View() tea.View {
	v := tea.NewView("")
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = a.windowTitle()
	if a.width <= 0 || a.height <= 0 {
		return v
	}
	content := a.contentView()
	lines := []string{a.headerLine.get(a.headerKey(), a.headerView), content,
		a.footerLine.get(a.footerKey(), a.footerView), a.statusLine.get(a.statusKey(), a.statusView)}
	if a.contentHeight() == 0 {
		lines = []string{lines[0], lines[2], lines[3]}
	}
	out := strings.Join(lines, "\n")
	if a.height < chromeLines {
		out = strings.Join(strings.Split(out, "\n")[:a.height], "\n")
	}
	v.SetContent(out)
	return v
}

func (a *App) titles() []string {
	var ts []string
	for _, e := range a.stack {
		if t := Sanitize(e.s.Title()); t != "" {
			ts = append(ts, t)
		}
	}
	return ts
}

func (a *App) windowTitle() string {
	ts := a.titles()
	if len(ts) == 0 {
		return AppName
	}
	return AppName + " — " + strings.Join(ts, " › ")
}

// contentView is the top screen's view clamped to the content area, with an
// overlay composited on top when one is open.
func (a *App) contentView() string {
	w, h := a.width, a.contentHeight()
	if h == 0 {
		return ""
	}
	var body string
	if s := a.top(); s != nil {
		body = s.View()
	}
	base := clampLines(body, w, h)
	var box string
	var x, y int
	switch {
	case a.palette.open:
		box = a.palette.view(w, h)
		x, y = max(0, (w-lipgloss.Width(box))/2), min(1, max(0, h-lipgloss.Height(box)))
	case a.help:
		box = a.helpView(w, h)
		x, y = max(0, (w-lipgloss.Width(box))/2), max(0, (h-lipgloss.Height(box))/2)
	default:
		return base
	}
	c := lipgloss.NewCompositor(
		lipgloss.NewLayer(base),
		lipgloss.NewLayer(box).X(x).Y(y).Z(1),
	)
	return clampLines(c.Render(), w, h)
}

// clampLines returns exactly h lines, none wider than w: a screen that
// draws too much must not push the chrome off the terminal.
func clampLines(s string, w, h int) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if textWidthANSI(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// textWidthANSI is ansi.StringWidth with a fast path for plain ASCII.
func textWidthANSI(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// oneLine sanitises text for the chrome (errors carry topic names and broker
// messages, so they are untrusted too).
func oneLine(s string) string { return Sanitize(strings.TrimSpace(s)) }

// segment is a piece of a chrome line with its style.
type segment struct {
	text  string
	style lipgloss.Style
}

// renderLine lays segments out on one line of exactly width w, truncating
// the one that overflows with "…" and dropping the rest; fill styles the
// gaps and the padding (and is inherited by segments, so a status bar
// background runs under coloured text).
func renderLine(w int, fill lipgloss.Style, segs ...segment) string {
	var b strings.Builder
	used := 0
	for _, s := range segs {
		if s.text == "" {
			continue
		}
		room := w - used
		if room <= 0 {
			break
		}
		t := s.text
		if tw := ansi.StringWidth(t); tw > room {
			t = ansi.Truncate(t, room, "…")
		}
		b.WriteString(s.style.Inherit(fill).Render(t))
		used += ansi.StringWidth(t)
	}
	if used < w {
		b.WriteString(fill.Render(strings.Repeat(" ", w-used)))
	}
	return b.String()
}

func (a *App) headerView() string {
	th := a.theme
	ts := a.titles()
	sep := " › "
	width := func(ts []string, elided bool) int {
		n := ansi.StringWidth(AppName)
		if elided {
			n += ansi.StringWidth(sep + "…")
		}
		for _, t := range ts {
			n += ansi.StringWidth(sep + t)
		}
		return n + 1 // leading space
	}
	// Too long: drop the oldest titles first; the current one matters most.
	elided := false
	for len(ts) > 1 && width(ts, elided) > a.width {
		ts, elided = ts[1:], true
	}
	segs := []segment{{" ", th.Breadcrumb}, {AppName, th.Title}}
	if elided {
		segs = append(segs, segment{sep, th.Muted}, segment{"…", th.Muted})
	}
	for i, t := range ts {
		st := th.Breadcrumb
		if i == len(ts)-1 {
			st = st.Bold(true)
		}
		segs = append(segs, segment{sep, th.Muted}, segment{t, st})
	}
	if a.version != "" {
		if room := a.width - width(ts, elided) - ansi.StringWidth(a.version) - 1; room > 1 {
			segs = append(segs, segment{strings.Repeat(" ", room), th.Breadcrumb}, segment{a.version + " ", th.Muted})
		}
	}
	return renderLine(a.width, lipgloss.NewStyle(), segs...)
}

// globalHelp lists the shell's keys; the help overlay shows all of them,
// the footer the short ones.
func (a *App) globalHelp(full bool) []key.Binding {
	var bs []key.Binding
	if len(a.stack) > 1 || full {
		bs = append(bs, Keys.Back)
	}
	bs = append(bs, Keys.Help, Keys.Palette)
	if _, ok := a.top().(Refresher); ok && full {
		bs = append(bs, Keys.Refresh)
	}
	if a.canRetry() {
		bs = append(bs, Keys.Retry)
	}
	bs = append(bs, Keys.Quit)
	if full {
		bs = append(bs, Keys.ForceQuit)
	}
	return bs
}

func (a *App) screenHelp() []key.Binding {
	s := a.top()
	if s == nil {
		return nil
	}
	var bs []key.Binding
	for _, b := range s.Help() {
		if b.Enabled() && b.Help().Key != "" {
			bs = append(bs, b)
		}
	}
	return bs
}

// footerView is the short key help, or the current toast. Globals always
// fit; the screen's own keys fill what is left, in order.
func (a *App) footerView() string {
	th := a.theme
	if a.toast != "" {
		st, mark := th.Info, "• "
		if a.toastErr {
			st, mark = th.Error, "✗ "
		}
		return renderLine(a.width, lipgloss.NewStyle(), segment{" " + mark + a.toast, st})
	}
	item := func(b key.Binding) []segment {
		return []segment{{b.Help().Key, th.Key}, {" " + b.Help().Desc, th.Muted}}
	}
	itemWidth := func(b key.Binding) int {
		return ansi.StringWidth(b.Help().Key+" "+b.Help().Desc) + 2
	}
	globals := a.globalHelp(false)
	used := 1
	for _, b := range globals {
		used += itemWidth(b)
	}
	var shown []key.Binding
	if a.palette.open || a.help {
		shown = nil // the overlay explains itself
	} else {
		for _, b := range a.screenHelp() {
			if used+itemWidth(b) > a.width {
				break
			}
			shown = append(shown, b)
			used += itemWidth(b)
		}
	}
	segs := []segment{{" ", th.Muted}}
	for i, b := range append(shown, globals...) {
		if i > 0 {
			segs = append(segs, segment{"  ", th.Muted})
		}
		segs = append(segs, item(b)...)
	}
	return renderLine(a.width, lipgloss.NewStyle(), segs...)
}

func (a *App) statusView() string {
	th := a.theme
	bar := th.StatusBar
	var segs []segment
	switch a.conn {
	case connUp:
		segs = append(segs, segment{" ● connected", th.OK})
	case connDown:
		segs = append(segs, segment{" ● disconnected", th.Error})
	default:
		segs = append(segs, segment{" ○ connecting", th.Muted})
	}
	if a.status.ReadOnly {
		badge := th.Badge
		if badge.GetReverse() && bar.GetReverse() {
			// no-color: a reversed badge on a reversed bar would vanish.
			badge = badge.Reverse(false)
		}
		segs = append(segs, segment{"  ", bar}, segment{" READ-ONLY ", badge})
	}
	mode := "remote"
	if a.status.Embedded {
		mode = "embedded"
	}
	where := Sanitize(a.status.Addr)
	if where == "" {
		where = Sanitize(a.status.Cluster)
	} else if l := Sanitize(a.status.Cluster); l != "" && l != a.status.Addr && l != mode {
		if badge, ok := contextBadge(th, bar, a.status.Color); ok {
			// A context's label as a coloured badge (production red).
			segs = append(segs, segment{"  ", bar}, segment{" " + ansi.Truncate(l, 24, "…") + " ", badge})
		} else {
			where = l + " " + where
		}
	}
	// A long broker list must leave room for the error, which matters more.
	where = ansi.Truncate(where, max(12, min(40, a.width/3)), "…")
	segs = append(segs, segment{"  " + where, bar}, segment{" (" + mode + ")", th.Muted})
	errText := a.lastErr
	if errText == "" && a.conn == connDown {
		errText = a.connErr
	}
	if errText != "" {
		hint := ""
		if a.canRetry() {
			hint = " [R retry]"
		}
		used := 0
		for _, s := range segs {
			used += ansi.StringWidth(s.text)
		}
		// Cut the message, not the hint: the hint says what to do.
		errText = ansi.Truncate("  ✗ "+errText, max(0, a.width-used-ansi.StringWidth(hint)), "…")
		segs = append(segs, segment{errText, th.Error}, segment{hint, th.Muted})
	}
	return renderLine(a.width, bar, segs...)
}

// helpView is the ? overlay: the screen's keys and the global ones, side by
// side when they fit, else one above the other.
func (a *App) helpView(w, h int) string {
	th := a.theme
	section := func(title string, bs []key.Binding) string {
		kw := 0
		for _, b := range bs {
			kw = max(kw, ansi.StringWidth(b.Help().Key))
		}
		lines := []string{th.Title.Render(title)}
		if len(bs) == 0 {
			lines = append(lines, th.Muted.Render("no keys of its own"))
		}
		for _, b := range bs {
			k := b.Help().Key
			lines = append(lines, th.Key.Render(k)+strings.Repeat(" ", kw-ansi.StringWidth(k)+2)+b.Help().Desc)
		}
		return strings.Join(lines, "\n")
	}
	title := "Keys"
	if s := a.top(); s != nil && Sanitize(s.Title()) != "" {
		title = Sanitize(s.Title())
	}
	left := section(title, a.screenHelp())
	right := section("Global", a.globalHelp(true))
	box := th.Border.Border(lipgloss.RoundedBorder()).Padding(0, 1)
	frame := box.GetHorizontalFrameSize()
	var body string
	if lipgloss.Width(left)+lipgloss.Width(right)+4+frame <= w {
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, "    ", right)
	} else {
		body = left + "\n\n" + right
	}
	body += "\n\n" + th.Muted.Render("esc or ? to close")
	// Too tall or wide for the area: cut, keeping the frame visible.
	inner := clampLines(body, max(1, w-frame), min(lipgloss.Height(body), max(1, h-box.GetVerticalFrameSize())))
	return box.Render(inner)
}
