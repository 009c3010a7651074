package uitest

import "testing"

// Key gives the strings Bubble Tea's key matching sees for the keys tests
// press.
func TestKeyStrings(t *testing.T) {
	for in, want := range map[string]string{"enter": "enter", "esc": "esc", "down": "down", "pgdown": "pgdown",
		"space": "space", "ctrl+r": "ctrl+r", "ctrl+c": "ctrl+c", "q": "q", "G": "G", "/": "/", "backspace": "backspace"} {
		if got := Key(in).String(); got != want {
			t.Errorf("Key(%q).String() = %q, want %q", in, got, want)
		}
	}
}
