package ui

import (
	"reflect"

	tea "charm.land/bubbletea/v2"
)

// Message routing: the shell wraps every command a screen returns (from
// Init, Update, Refresh, Back, an ErrMsg's Retry) so that its result comes
// back addressed to that screen, and delivers it to that screen only, or
// drops it when the screen is gone. Screens never tag or filter their
// messages by identity; a result that arrives while its screen is covered
// still reaches it.

// routedMsg is a screen command's result on its way back to the screen.
type routedMsg struct {
	to  int // entry id on the stack
	msg tea.Msg
}

var (
	teaPkg  = reflect.TypeOf(tea.QuitMsg{}).PkgPath()
	cmdType = reflect.TypeOf(tea.Cmd(nil))
)

// route makes cmd's result, and the results of the commands it batches,
// come back addressed to entry to.
func route(to int, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return routeMsg(to, cmd()) }
}

func routeMsg(to int, msg tea.Msg) tea.Msg {
	switch m := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		out := make(tea.BatchMsg, len(m))
		for i, c := range m {
			out[i] = route(to, c)
		}
		return out
	}
	t := reflect.TypeOf(msg)
	if t.PkgPath() != teaPkg {
		return routedMsg{to: to, msg: msg}
	}
	// The runtime's own messages (quit, clipboard, window title, a
	// tea.Sequence) go to the runtime unchanged; a sequence's commands are
	// routed like a batch's.
	if t.Kind() == reflect.Slice && t.Elem() == cmdType {
		v := reflect.ValueOf(msg)
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c, _ := v.Index(i).Interface().(tea.Cmd)
			out.Index(i).Set(reflect.ValueOf(route(to, c)))
		}
		return out.Interface()
	}
	return msg
}

// global reports messages every screen receives: what changes for all of
// them at once (connection state, the terminal's colours). Window sizes
// reach screens through SetSize.
func global(msg tea.Msg) bool {
	switch msg.(type) {
	case ConnStateMsg, tea.BackgroundColorMsg, tea.ColorProfileMsg:
		return true
	}
	return false
}
