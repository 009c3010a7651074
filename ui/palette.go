package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/themes"
)

// palette is the ":" command palette: a text input filtering the commands as
// you type, a list, and enter to open the highlighted one.
type palette struct {
	theme    themes.Theme
	commands []Command
	input    lineInput
	open     bool
	matches  []int // indexes into commands, best first
	sel      int
}

func newPalette(theme themes.Theme, commands []Command) palette {
	p := palette{theme: theme, commands: commands}
	p.input = newLineInput(theme)
	p.input.placeholder = "type to filter commands"
	return p
}

func (p *palette) setWidth(w int) {
	p.input.width = max(1, paletteWidth(w)-6) // frame and ": "
}

// paletteWidth is the overlay's outer width for a terminal w cells wide.
func paletteWidth(w int) int { return max(10, min(64, w-4)) }

func (p *palette) show(w int) tea.Cmd {
	p.open = true
	p.input.SetValue("")
	p.setWidth(w)
	p.input.focused = true
	p.filter()
	return nil
}

func (p *palette) close() {
	p.open = false
	p.input.focused = false
}

// handleKey returns the command to open on enter, or the input's command.
func (p *palette) handleKey(msg tea.KeyPressMsg) (*Command, tea.Cmd) {
	switch msg.String() {
	case "esc":
		p.close()
		return nil, nil
	case "enter":
		if len(p.matches) == 0 {
			return nil, nil // nothing matches: stay open so the typo can be fixed
		}
		c := p.commands[p.matches[p.sel]]
		p.close()
		return &c, nil
	case "up", "ctrl+p", "shift+tab":
		p.sel = max(0, p.sel-1)
		return nil, nil
	case "down", "ctrl+n", "tab":
		p.sel = max(0, min(len(p.matches)-1, p.sel+1))
		return nil, nil
	}
	return nil, p.update(msg)
}

func (p *palette) update(msg tea.Msg) tea.Cmd {
	if p.input.update(msg) {
		p.filter()
	}
	return nil
}

// filter ranks commands against the query, case-insensitively: name prefix,
// then name substring, then the query's letters in order in the name, then
// a description substring. Ties keep the order commands were given in.
func (p *palette) filter() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	type hit struct{ i, rank int }
	var hits []hit
	for i, c := range p.commands {
		name, desc := strings.ToLower(c.Name), strings.ToLower(c.Desc)
		rank := -1
		switch {
		case q == "" || strings.HasPrefix(name, q):
			rank = 0
		case strings.Contains(name, q):
			rank = 1
		case subsequence(name, q):
			rank = 2
		case strings.Contains(desc, q):
			rank = 3
		}
		if rank >= 0 {
			hits = append(hits, hit{i, rank})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.rank - b.rank })
	p.matches = p.matches[:0]
	for _, h := range hits {
		p.matches = append(p.matches, h.i)
	}
	p.sel = 0
}

func subsequence(s, q string) bool {
	for _, r := range q {
		i := strings.IndexRune(s, r)
		if i < 0 {
			return false
		}
		s = s[i+len(string(r)):]
	}
	return true
}

// view renders the overlay box for a content area w x h.
func (p *palette) view(w, h int) string {
	th := p.theme
	box := th.Border.Border(lipgloss.RoundedBorder()).Padding(0, 1)
	inner := max(1, paletteWidth(w)-box.GetHorizontalFrameSize())
	lines := []string{th.Key.Render(":") + " " + p.input.view()}
	room := max(1, h-box.GetVerticalFrameSize()-1) // list rows that fit
	if len(p.matches) == 0 {
		lines = append(lines, th.Muted.Render("no matching command"))
	}
	nameW := 0
	for _, i := range p.matches {
		nameW = max(nameW, ansi.StringWidth(p.commands[i].Name))
	}
	nameW = min(nameW, inner/2)
	first := 0 // scroll so the selection stays visible
	if p.sel >= room {
		first = p.sel - room + 1
	}
	for n, i := range p.matches[first:] {
		if n >= room {
			break
		}
		c := p.commands[i]
		name := ansi.Truncate(Sanitize(c.Name), nameW, "…")
		name += strings.Repeat(" ", nameW-ansi.StringWidth(name))
		desc := ansi.Truncate(Sanitize(c.Desc), max(0, inner-nameW-2), "…")
		pad := strings.Repeat(" ", max(0, inner-ansi.StringWidth(name+"  "+desc)))
		if first+n == p.sel {
			lines = append(lines, th.SelectedRow.Render(name+"  "+desc+pad))
		} else {
			lines = append(lines, th.Key.Render(name)+"  "+th.Muted.Render(desc)+pad)
		}
	}
	// Pad the input line too, so the box keeps its width while typing.
	lines[0] += strings.Repeat(" ", max(0, inner-ansi.StringWidth(lines[0])))
	return box.Render(clampLines(strings.Join(lines, "\n"), inner, len(lines)))
}
