package ui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// Form is the question line of a step-by-step flow (a write to the
// cluster, a reset plan's guards): one Prompt asking one question at a
// time, each tagged with what it asks, and the spinner of the work the
// answers start (a preview, the write) off the event loop.
//
// The screen asks (Ask), hands it every message first (Update: typing,
// pastes and its own spinner frames) and acts on the answers by tag; it
// returns Active from CapturingInput. Work runs through Run, and the
// screen calls Stop when the work's result arrives.
type Form struct {
	prompt Prompt
	spin   Spinner
	asking string
	busy   bool
}

// NewForm returns a form with no question open and nothing running.
func NewForm(theme themes.Theme) Form {
	return Form{prompt: NewPrompt(theme), spin: NewSpinner(theme)}
}

// Answer is what a message did to the open question.
type Answer struct {
	// Event is PromptSubmitted (Value validated), PromptCancelled (esc:
	// the question closed unanswered), or PromptNone/PromptChanged while
	// typing goes on.
	Event PromptEvent
	What  string // the tag the question was asked with
	Value string
}

// Ask opens a question: label and placeholder as the prompt shows them,
// value pre-filled, validate checked on enter (nil: any answer).
func (f *Form) Ask(what, label, placeholder, value string, validate func(string) error) {
	f.asking = what
	f.prompt.Validate = validate
	f.prompt.OpenWith(label, placeholder, value)
}

// Asking is the tag of the open question, "" when none is open.
func (f *Form) Asking() string {
	if !f.prompt.Active() {
		return ""
	}
	return f.asking
}

// Active reports whether a question is open and owns the keyboard.
func (f *Form) Active() bool { return f.prompt.Active() }

// SetWidth sets the width of the question line.
func (f *Form) SetWidth(w int) { f.prompt.SetWidth(w) }

// Close closes the open question unanswered (its answer came another
// way: an editor).
func (f *Form) Close() { f.prompt.Close() }

// Value is the text typed so far into the open question.
func (f *Form) Value() string { return f.prompt.Value() }

// SetError shows err after the open question's input (nil clears it).
func (f *Form) SetError(err error) { f.prompt.SetError(err) }

// View is the open question's line, "" when none is open.
func (f *Form) View() string { return f.prompt.View() }

// Run marks the form busy and runs work off the event loop with the
// spinner turning; work's message goes to the screen, which calls Stop.
func (f *Form) Run(work func() tea.Msg) tea.Cmd {
	f.busy = true
	return tea.Batch(f.spin.Tick, work)
}

// Stop ends the busy state: the spinner stops at its next frame.
func (f *Form) Stop() { f.busy = false }

// Busy reports whether work started by Run has not reported yet.
func (f *Form) Busy() bool { return f.busy }

// Spinning is the spinner's frame and what is being done: "⠋ writing…".
func (f *Form) Spinning(doing string) string { return f.spin.View() + " " + doing }

// Update takes the form's messages: its spinner's frames, and keys and
// pastes while a question is open. ok is false for any other message,
// which the screen handles itself.
func (f *Form) Update(msg tea.Msg) (a Answer, cmd tea.Cmd, ok bool) {
	if cmd, ok := f.spin.Update(msg, f.busy); ok {
		return Answer{}, cmd, true
	}
	if !f.prompt.Takes(msg) {
		return Answer{}, nil, false
	}
	ev, cmd := f.prompt.Update(msg)
	return Answer{Event: ev, What: f.asking, Value: f.prompt.Value()}, cmd, true
}

// MustType is a validator accepting only word (spaces around it
// ignored), with why as the error otherwise: the "type yes" and "type
// skip" confirmations.
func MustType(word, why string) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) != word {
			return errors.New(why)
		}
		return nil
	}
}

// MustMatch is a validator accepting exactly want (a name typed again to
// confirm a destructive step), with why as the error otherwise.
func MustMatch(want, why string) func(string) error {
	return func(v string) error {
		if v != want {
			return errors.New(why)
		}
		return nil
	}
}
