package ui

import (
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// Spinner is a screen's activity indicator. It animates only while its
// screen says it is busy: the frame after the work ends is not asked for,
// so an idle screen gets no ticks.
type Spinner struct {
	m     spinner.Model
	theme themes.Theme
}

// NewSpinner returns a stopped spinner.
func NewSpinner(theme themes.Theme) Spinner {
	return Spinner{m: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(theme.Info)), theme: theme}
}

// Tick is the command that starts the animation: batch it with the
// command that makes the screen busy.
func (s Spinner) Tick() tea.Msg { return s.m.Tick() }

// Update advances the animation on the spinner's own frames while busy
// and reports whether msg was one of them.
func (s *Spinner) Update(msg tea.Msg, busy bool) (tea.Cmd, bool) {
	t, ok := msg.(spinner.TickMsg)
	if !ok || t.ID != s.m.ID() {
		return nil, false
	}
	if !busy {
		return nil, true // the animation stops
	}
	var cmd tea.Cmd
	s.m, cmd = s.m.Update(t)
	return cmd, true
}

// View is the current frame.
func (s Spinner) View() string { return s.m.View() }

// Waiting is a screen's body while it has nothing to show yet: the error
// and how to retry when the last attempt failed, else the spinner and
// what is loading.
func (s Spinner) Waiting(err error, loading string, w, h int) string {
	if err != nil {
		return Centered(s.theme.Error.Render("✗ "+ErrText(err))+"\n"+
			s.theme.Muted.Render("press R to retry, ctrl+r to reload"), w, h)
	}
	return Centered(s.m.View()+" "+loading, w, h)
}
