// Package ui is the Bubble Tea shell: the app model, the screen stack, global
// keys, status bar, command palette, help overlay, toasts and reusable
// components. It knows nothing of Kafka.
package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Screen is one page on the stack. Update must never block or do I/O: work
// runs in tea.Cmds whose results come back as messages.
type Screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View renders exactly the area given by the last SetSize.
	View() string
	SetSize(width, height int)
	// Title is this screen's breadcrumb segment, e.g. "orders" or "p3".
	Title() string
	// Help lists the screen's own keys for the ? overlay and the footer.
	Help() []key.Binding
}

// InputCapturer is implemented by screens that sometimes own the keyboard
// (a filter prompt, a seek prompt). While CapturingInput is true the shell
// forwards every key except ctrl+c to the screen, so typing "q" into a
// filter does not quit.
type InputCapturer interface {
	CapturingInput() bool
}

// Refresher is implemented by screens that can reload their data; the shell
// binds ctrl+r / F5 to it and calls it again on "retry" after an error.
type Refresher interface {
	Refresh() tea.Cmd
}

// Closer is implemented by screens holding resources (a live tail); the shell
// calls Close when the screen is popped or the program quits.
type Closer interface {
	Close()
}

// PushMsg asks the shell to open a screen on top of the stack.
type PushMsg struct{ Screen Screen }

// PopMsg asks the shell to close the top screen.
type PopMsg struct{}

// Push returns a command that opens s.
func Push(s Screen) tea.Cmd { return func() tea.Msg { return PushMsg{Screen: s} } }

// Pop returns a command that closes the top screen.
func Pop() tea.Cmd { return func() tea.Msg { return PopMsg{} } }

// ErrMsg reports a failure to the status bar (and a toast). Retry, when set,
// is offered on the "R" key.
type ErrMsg struct {
	Err   error
	Retry tea.Cmd
}

// ToastMsg shows a short-lived notice.
type ToastMsg struct{ Text string }

// Toast returns a command showing text as a toast.
func Toast(text string) tea.Cmd { return func() tea.Msg { return ToastMsg{Text: text} } }

// ConnStateMsg updates the connection indicator of the status bar.
type ConnStateMsg struct {
	Connected bool
	Err       error
}
