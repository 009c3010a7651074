package views

import (
	"context"
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
	*ui.ListScreen[ContextItem]
	env *Env
}

// NewContexts lists the contexts of the config file.
func NewContexts(env *Env) ui.Screen {
	s := &contextsScreen{env: env}
	c := env.Contexts
	items := func(context.Context) ([]ContextItem, error) {
		if c == nil {
			return nil, nil
		}
		return c.Items, nil
	}
	s.ListScreen = ui.NewListScreen(env.Theme, items, ui.ListScreenSpec[ContextItem]{
		ListSpec: ui.ListSpec[ContextItem]{
			Columns: func(int) []ui.Column {
				return []ui.Column{
					{Title: "", Width: 1},
					{Title: "NAME", MinWidth: 8, Flex: 1},
					{Title: "BROKERS", MinWidth: 12, Flex: 3},
					{Title: "SECURITY", MinWidth: 22},
					{Title: "MODE", Width: 10},
					{Title: "LABEL", MinWidth: 6, Flex: 1},
				}
			},
			Cells: s.cells,
			Key:   func(it ContextItem) string { return it.Name },
			Match: func(it ContextItem, f string) bool {
				return strings.Contains(strings.ToLower(it.Name+" "+it.Brokers+" "+it.Label), f)
			},
			FilterHint: "filter contexts: name, brokers, label",
			Empty: func(string) string {
				return "no contexts: add them to config.yaml (see README, Connecting to your cluster)"
			},
		},
		Loading: "reading contexts…",
		Summary: s.summary,
		Start:   func(it ContextItem) bool { return c != nil && it.Name == c.Current },
		Keys:    s.keys,
	})
	return s
}

func (s *contextsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *contextsScreen) Title() string { return "contexts" }

func (s *contextsScreen) Help() []key.Binding {
	return append([]key.Binding{keySwitch, ui.Keys.Filter}, ui.TableKeys()...)
}

func (s *contextsScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	c := s.env.Contexts
	if !key.Matches(msg, keySwitch) || c == nil || c.Switch == nil {
		return nil, false
	}
	if it, ok := s.Selected(); ok {
		return c.Switch(it.Name), true
	}
	return nil, true
}

func (s *contextsScreen) cells(it ContextItem) []string {
	cur, mode := "", "read-write"
	if c := s.env.Contexts; c != nil && it.Name == c.Current {
		cur = "*"
	}
	if it.ReadOnly {
		mode = "read-only"
	}
	return []string{cur, ui.Sanitize(it.Name), ui.Sanitize(it.Brokers), ui.Sanitize(it.Security), mode, ui.Sanitize(it.Label)}
}

func (s *contextsScreen) summary() string {
	th := s.env.Theme
	c := s.env.Contexts
	if c == nil {
		return th.Muted.Render(" no config file: contexts live in config.yaml (--config)")
	}
	cur := c.Current
	if cur == "" {
		cur = "none (-b, -F or the embedded log)"
	}
	return th.Muted.Render(fmt.Sprintf(" %s in %s · in use: %s", plural(len(c.Items), "context"), ui.Sanitize(c.Path), ui.Sanitize(cur)))
}
