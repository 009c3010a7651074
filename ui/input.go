package ui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// lineInput is a minimal one-line text editor for prompts and the palette.
// The bubbles textinput would do, but it imports github.com/atotto/clipboard
// (not in go.sum, and it shells out to xclip on ctrl+v); the few editing
// keys a filter needs are simpler to own than a new dependency.
type lineInput struct {
	value       []rune
	pos         int // cursor, in runes
	offset      int // first visible rune when the value is wider than width
	width       int // cells for the value and the cursor; 0 = unlimited
	placeholder string
	focused     bool

	text, muted, cursor lipgloss.Style
}

// Value returns the text.
func (in *lineInput) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *lineInput) SetValue(s string) {
	in.value = cleanInput(s)
	in.pos = len(in.value)
	in.offset = 0
}

// cleanInput keeps what can be typed: pasted text may carry escapes or line
// breaks, which a one-line filter has no use for.
func cleanInput(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			out = append(out, ' ')
		case unsafeRune(r) || r == '\uFFFD':
		default:
			out = append(out, r)
		}
	}
	return out
}

// update applies an editing key or a paste and reports whether the value
// changed.
func (in *lineInput) update(msg tea.Msg) bool {
	if !in.focused {
		return false
	}
	before := string(in.value)
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(cleanInput(msg.Content))
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			in.pos = max(0, in.pos-1)
		case "right", "ctrl+f":
			in.pos = min(len(in.value), in.pos+1)
		case "home", "ctrl+a":
			in.pos = 0
		case "end", "ctrl+e":
			in.pos = len(in.value)
		case "alt+left", "ctrl+left", "alt+b":
			in.pos = in.wordLeft()
		case "alt+right", "ctrl+right", "alt+f":
			in.pos = in.wordRight()
		case "backspace", "ctrl+h":
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
			}
		case "delete", "ctrl+d":
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			}
		case "ctrl+u":
			in.value = append(in.value[:0], in.value[in.pos:]...)
			in.pos = 0
		case "ctrl+k":
			in.value = in.value[:in.pos]
		case "ctrl+w", "alt+backspace":
			w := in.wordLeft()
			in.value = append(in.value[:w], in.value[in.pos:]...)
			in.pos = w
		default:
			if msg.Text != "" && msg.Mod&^(tea.ModShift) == 0 {
				in.insert(cleanInput(msg.Text))
			}
		}
	}
	return string(in.value) != before
}

func (in *lineInput) insert(rs []rune) {
	if len(rs) == 0 {
		return
	}
	v := make([]rune, 0, len(in.value)+len(rs))
	v = append(v, in.value[:in.pos]...)
	v = append(v, rs...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(rs)
}

func (in *lineInput) wordLeft() int {
	i := in.pos
	for i > 0 && unicode.IsSpace(in.value[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(in.value[i-1]) {
		i--
	}
	return i
}

func (in *lineInput) wordRight() int {
	i := in.pos
	for i < len(in.value) && unicode.IsSpace(in.value[i]) {
		i++
	}
	for i < len(in.value) && !unicode.IsSpace(in.value[i]) {
		i++
	}
	return i
}

func runeWidth(r rune) int {
	if r < 0x80 {
		return 1
	}
	return ansi.StringWidth(string(r))
}

// view renders the value with a reverse-video cursor, scrolled so the cursor
// stays in view. Reverse video keeps the cursor visible without colour.
func (in *lineInput) view() string {
	if len(in.value) == 0 {
		cur := " "
		rest := in.placeholder
		if rest != "" {
			cur, rest = string([]rune(rest)[:1]), string([]rune(rest)[1:])
		}
		if in.width > 0 {
			rest = ansi.Truncate(rest, max(0, in.width-1), "…")
		}
		if !in.focused {
			return in.muted.Render(cur + rest)
		}
		return in.cursor.Render(cur) + in.muted.Render(rest)
	}
	// Scroll: keep pos within the visible cells (one spare for the cursor
	// at the end).
	if in.pos < in.offset {
		in.offset = in.pos
	}
	if in.width > 0 {
		for in.offset < in.pos {
			w := 1 // the cursor cell
			for _, r := range in.value[in.offset:in.pos] {
				w += runeWidth(r)
			}
			if w <= in.width {
				break
			}
			in.offset++
		}
	}
	var b strings.Builder
	used := 0
	for i := in.offset; i <= len(in.value); i++ {
		ch, cw := " ", 1
		if i < len(in.value) {
			ch, cw = string(in.value[i]), runeWidth(in.value[i])
		}
		if in.width > 0 && used+cw > in.width {
			break
		}
		if i == in.pos && in.focused {
			b.WriteString(in.cursor.Render(ch))
		} else if i < len(in.value) {
			b.WriteString(in.text.Render(ch))
		}
		used += cw
	}
	return b.String()
}
