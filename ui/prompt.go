package ui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
)

// PromptEvent tells a screen what a message did to its Prompt.
type PromptEvent int

const (
	// PromptNone: nothing for the screen to act on (the prompt is closed,
	// the key moved the cursor, or validation failed and the error shows).
	PromptNone PromptEvent = iota
	// PromptChanged: the text changed; filter-as-you-type screens re-filter.
	PromptChanged
	// PromptSubmitted: enter was pressed and the value validated. The prompt
	// has closed; Value holds the answer.
	PromptSubmitted
	// PromptCancelled: esc was pressed. The prompt has closed; Value still
	// holds what was typed, for screens that want to keep it.
	PromptCancelled
)

// Prompt is a one-line input for "/" filters and seek prompts, drawn as
// "label value  error". A screen owning one returns p.Active() from
// CapturingInput, so the shell hands it every key (except ctrl+c) while it
// is open, and passes it keys and tea.PasteMsg through Update.
//
// Editing keys: left/right, home/end (ctrl+a/e), alt+left/right by word,
// backspace, delete, ctrl+u/ctrl+k (to start/end), ctrl+w (word); enter
// submits, esc cancels. Typed and pasted control characters are dropped.
type Prompt struct {
	in    lineInput
	label string
	err   string
	width int
	theme themes.Theme

	// Validate, when set, checks the value on enter; on error the prompt
	// stays open and shows the error.
	Validate func(string) error
}

// NewPrompt returns a closed prompt.
func NewPrompt(theme themes.Theme) Prompt {
	return Prompt{theme: theme, in: newLineInput(theme)}
}

func newLineInput(theme themes.Theme) lineInput {
	return lineInput{
		text:   theme.Row,
		muted:  theme.Muted,
		cursor: lipgloss.NewStyle().Reverse(true),
	}
}

// Open shows the prompt with an empty value and focuses it.
func (p *Prompt) Open(label, placeholder string) tea.Cmd {
	return p.OpenWith(label, placeholder, "")
}

// OpenWith shows the prompt with value pre-filled (e.g. the current filter)
// and the cursor at its end.
func (p *Prompt) OpenWith(label, placeholder, value string) tea.Cmd {
	p.label = label
	p.err = ""
	p.in.placeholder = placeholder
	p.in.SetValue(value)
	p.in.focused = true
	p.resize()
	return nil
}

// Close hides the prompt without changing its value.
func (p *Prompt) Close() {
	p.in.focused = false
	p.err = ""
}

// Active reports whether the prompt is open and owns the keyboard.
func (p *Prompt) Active() bool { return p.in.focused }

// Takes reports whether msg is typing for the open prompt (a key or a
// paste while it is open): the screen hands it to the prompt first.
func (p *Prompt) Takes(msg tea.Msg) bool {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		return p.Active()
	}
	return false
}

// Value returns the text typed so far (or submitted).
func (p *Prompt) Value() string { return p.in.Value() }

// SetValue replaces the text.
func (p *Prompt) SetValue(s string) { p.in.SetValue(s) }

// SetError shows err after the input (nil clears it), e.g. "offset out of
// range" found after submitting and reopening.
func (p *Prompt) SetError(err error) {
	p.err = ""
	if err != nil {
		p.err = Sanitize(err.Error())
	}
}

// SetWidth sets the width View fills.
func (p *Prompt) SetWidth(w int) {
	p.width = w
	p.resize()
}

func (p *Prompt) resize() {
	lw := ansi.StringWidth(p.label)
	if lw > 0 {
		lw++ // the space after the label
	}
	p.in.width = 0
	if p.width > 0 {
		p.in.width = max(1, p.width-lw)
	}
}

// Update handles a message while the prompt is open.
func (p *Prompt) Update(msg tea.Msg) (PromptEvent, tea.Cmd) {
	if !p.Active() {
		return PromptNone, nil
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			p.Close()
			return PromptCancelled, nil
		case "enter":
			if p.Validate != nil {
				if err := p.Validate(p.Value()); err != nil {
					p.SetError(err)
					return PromptNone, nil
				}
			}
			p.Close()
			return PromptSubmitted, nil
		}
	}
	if p.in.update(msg) {
		p.err = ""
		return PromptChanged, nil
	}
	return PromptNone, nil
}

// View renders the prompt line, or "" when closed.
func (p *Prompt) View() string {
	if !p.Active() {
		return ""
	}
	s := p.in.view()
	if p.label != "" {
		s = p.theme.Key.Render(p.label) + " " + s
	}
	if p.err != "" {
		s += "  " + p.theme.Error.Render("✗ "+p.err)
	}
	if p.width > 0 && ansi.StringWidth(s) > p.width {
		s = ansi.Truncate(s, p.width, "…")
	}
	return s
}
