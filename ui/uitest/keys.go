// Package uitest helps tests drive screens: key presses built the way the
// terminal reader builds them. It imports nothing of rewind, so tests of
// package ui can use it too.
package uitest

import tea "charm.land/bubbletea/v2"

var named = map[string]rune{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"space": tea.KeySpace, "f5": tea.KeyF5,
}

// Key is the press of k: a name ("enter", "esc", "down", "pgdown",
// "space", …), "ctrl+" a letter, or one character ("q", "/", "G").
func Key(k string) tea.KeyPressMsg {
	if c, ok := named[k]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	if len(k) == len("ctrl+x") && k[:5] == "ctrl+" {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}
