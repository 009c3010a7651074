package ui

// The chrome the shell draws around the top screen: the breadcrumb header,
// the footer (key help or a toast), the status bar, and the overlays (help,
// palette) composited over the screen.

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
)

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
	for _, k := range a.screenHelp(false) {
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

// screenHelp is the top screen's keys for the footer (full: the help
// overlay), without those the shell lists beside them.
func (a *App) screenHelp(full bool) []key.Binding {
	s := a.top()
	if s == nil {
		return nil
	}
	// A key the shell lists already (esc back, ctrl+r refresh), or one a
	// screen lists twice, is shown once: in the footer and in the help.
	seen := map[key.Help]bool{}
	for _, b := range a.globalHelp(full) {
		seen[b.Help()] = true
	}
	var bs []key.Binding
	for _, b := range s.Help() {
		if b.Enabled() && b.Help().Key != "" && !seen[b.Help()] {
			seen[b.Help()] = true
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
		for _, b := range a.screenHelp(false) {
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
	left := section(title, a.screenHelp(true))
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
	// Too tall for the area (a screen with many keys at 80x24): show a
	// part, scrolled with ↑/↓, and say how much is above and below. Too
	// wide: cut, keeping the frame visible.
	avail := max(1, h-box.GetVerticalFrameSize())
	if lines := strings.Split(body, "\n"); len(lines) > avail && avail >= 3 {
		shown := avail - 1
		a.helpTop = min(a.helpTop, len(lines)-shown)
		part := lines[a.helpTop : a.helpTop+shown]
		more := fmt.Sprintf("↑ %d more · ↓ %d more · ↑/↓ scroll · esc close", a.helpTop, len(lines)-shown-a.helpTop)
		body = strings.Join(part, "\n") + "\n" + th.Muted.Render(more)
	}
	inner := clampLines(body, max(1, w-frame), min(lipgloss.Height(body), avail))
	return box.Render(inner)
}
