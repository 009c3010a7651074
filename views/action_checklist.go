package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/ui"
)

// A checklist field of an action flow (actionField.Choices): the choices
// with a cursor, space to check, enter to answer. The answer is the
// checked names joined by commas, so the flow's Preview and Execute read
// it like any other field.

// checklist reports whether a checklist field has the keys.
func (s *actionScreen) checklist() bool {
	return s.step == actAsk && s.field < len(s.spec.Fields) && len(s.spec.Fields[s.field].Choices) > 0
}

// openChecklist opens f's choices: checked as answered before (e: change
// the answers), else as suggested.
func (s *actionScreen) openChecklist(f actionField) {
	s.form.Close()
	s.checked, s.ccur = make([]bool, len(f.Choices)), 0
	prev := map[string]bool{}
	answered := s.vals[s.field] != "" || s.listAnswered
	for _, n := range strings.Split(s.vals[s.field], ",") {
		prev[strings.TrimSpace(n)] = true
	}
	for i, c := range f.Choices {
		s.checked[i] = c.Checked
		if answered {
			s.checked[i] = prev[c.Name]
		}
	}
}

func (s *actionScreen) checklistKey(msg tea.KeyPressMsg) tea.Cmd {
	f := s.spec.Fields[s.field]
	switch {
	case key.Matches(msg, ui.Keys.Up):
		s.ccur = max(0, s.ccur-1)
	case key.Matches(msg, ui.Keys.Down):
		s.ccur = min(len(f.Choices)-1, s.ccur+1)
	case key.Matches(msg, keyActionToggle):
		s.checked[s.ccur] = !s.checked[s.ccur]
	case key.Matches(msg, keyActionNext):
		var names []string
		for i, c := range f.Choices {
			if s.checked[i] {
				names = append(names, c.Name)
			}
		}
		s.listAnswered = true
		return s.answered(strings.Join(names, ", "))
	}
	return nil
}

// checklistView is the open checklist, kept to the screen's height with
// the cursor in view.
func (s *actionScreen) checklistView() []string {
	th := s.env.Theme
	f := s.spec.Fields[s.field]
	lines := []string{th.Muted.Render("nothing written yet · space: check/uncheck · enter: next · esc: cancel"), f.Label}
	room := max(3, s.h/2)
	first := max(0, min(s.ccur-room/2, len(f.Choices)-room))
	for i := first; i < len(f.Choices) && i < first+room; i++ {
		c := f.Choices[i]
		box := "[ ] "
		if s.checked[i] {
			box = "[x] "
		}
		name := "  " + box + ui.Sanitize(c.Name)
		if i == s.ccur {
			name = th.Title.Render("› " + box + ui.Sanitize(c.Name))
		}
		if c.Note != "" {
			name += th.Muted.Render("  " + c.Note)
		}
		lines = append(lines, ui.FitLine(name, s.w))
	}
	if n := len(f.Choices); n > room {
		lines = append(lines, th.Muted.Render("  "+fmt.Sprintf("%d in all · ↑/↓ to see them", n)))
	}
	return lines
}
