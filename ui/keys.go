package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds the key bindings shared by the shell, the table and the
// screens, so the same key means the same thing everywhere and help texts
// agree. Screens add their own bindings next to these.
type KeyMap struct {
	Up, Down         key.Binding
	PageUp, PageDown key.Binding
	Top, Bottom      key.Binding
	Enter            key.Binding
	Back             key.Binding
	Filter           key.Binding
	SortNext         key.Binding
	SortReverse      key.Binding
	Quit             key.Binding
	ForceQuit        key.Binding
	Help             key.Binding
	Palette          key.Binding
	Refresh          key.Binding
	Retry            key.Binding
}

// Keys is the shared key map. Treat it as read-only.
var Keys = KeyMap{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
	Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),
	Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	// The sort keys of a List (the digits are the list's own: 1-N).
	SortNext:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort column")),
	SortReverse: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
	Quit:        key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	ForceQuit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Palette:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "commands")),
	Refresh:     key.NewBinding(key.WithKeys("ctrl+r", "f5"), key.WithHelp("ctrl+r", "refresh")),
	Retry:       key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry")),
}

// TableKeys are the navigation bindings Table.HandleKey understands, for a
// screen's Help().
func TableKeys() []key.Binding {
	return []key.Binding{Keys.Up, Keys.Down, Keys.PageUp, Keys.PageDown, Keys.Top, Keys.Bottom}
}
