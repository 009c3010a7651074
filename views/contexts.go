package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/ui"
)

// The contexts of config.yaml (:contexts): enter switches the whole app to
// that cluster. The list is what the CLI read from the file (no secrets);
// switching is the CLI's job (Contexts.Switch), so this screen does no I/O.

// Contexts is what :contexts offers. Nil in Env means no config file.
type Contexts struct {
	// Path is the config file, for the header.
	Path    string
	Current string // the context in use ("" for -b / -F / the embedded log)
	Items   []ContextItem
	// Switch returns the command that leaves this cluster for the named
	// context (the CLI closes every screen and reopens on it).
	Switch func(name string) tea.Cmd
}

// ContextItem is one row.
type ContextItem struct {
	Name, Brokers, Security, Label string
	ReadOnly                       bool
}

var keySwitch = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "switch to context"))

type contextsScreen struct {
	env   *Env
	table *ui.Table
	w, h  int
}

// NewContexts lists the contexts of the config file.
func NewContexts(env *Env) ui.Screen {
	s := &contextsScreen{env: env}
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "", Width: 1},
		{Title: "NAME", MinWidth: 8, Flex: 1},
		{Title: "BROKERS", MinWidth: 12, Flex: 3},
		{Title: "SECURITY", MinWidth: 22},
		{Title: "MODE", Width: 10},
		{Title: "LABEL", MinWidth: 6, Flex: 1},
	})
	s.table.SetEmpty("no contexts: add them to config.yaml (see README, Connecting to your cluster)")
	if c := env.Contexts; c != nil {
		items := c.Items
		s.table.SetRows(len(items), func(i int) []string {
			it := items[i]
			cur, mode := "", "read-write"
			if it.Name == c.Current {
				cur = "*"
			}
			if it.ReadOnly {
				mode = "read-only"
			}
			return []string{cur, ui.Sanitize(it.Name), ui.Sanitize(it.Brokers), ui.Sanitize(it.Security), mode, ui.Sanitize(it.Label)}
		})
		for i, it := range items {
			if it.Name == c.Current {
				s.table.SetCursor(i)
			}
		}
	}
	return s
}

func (s *contextsScreen) Title() string { return "contexts" }

func (s *contextsScreen) Help() []key.Binding {
	return append([]key.Binding{keySwitch}, ui.TableKeys()...)
}

func (s *contextsScreen) Init() tea.Cmd { return nil }

func (s *contextsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		c := s.env.Contexts
		if key.Matches(msg, keySwitch) && c != nil && c.Switch != nil {
			if i := s.table.Cursor(); i >= 0 && i < len(c.Items) {
				return s, c.Switch(c.Items[i].Name)
			}
			return s, nil
		}
		s.table.HandleKey(msg)
	}
	return s, nil
}

func (s *contextsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(3, h-1))
}

func (s *contextsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	var head string
	if c := s.env.Contexts; c == nil {
		head = th.Muted.Render(" no config file: contexts live in config.yaml (--config)")
	} else {
		cur := c.Current
		if cur == "" {
			cur = "none (-b, -F or the embedded log)"
		}
		head = th.Muted.Render(fmt.Sprintf(" %d context(s) in %s · in use: %s", len(c.Items), ui.Sanitize(c.Path), ui.Sanitize(cur)))
	}
	lines := append([]string{head}, strings.Split(s.table.View(), "\n")...)
	return ui.JoinLines(lines, s.w, s.h)
}
