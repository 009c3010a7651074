package ui

import (
	"reflect"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestRouteBatchesAndRuntime: the commands of a batch or a sequence are
// routed one by one (the runtime must still see the batch to run it); the
// runtime's own messages (quit) are not wrapped, or it would never see them.
func TestRouteBatchesAndRuntime(t *testing.T) {
	data := func() tea.Msg { return dataMsg{"x"} }
	for name, cmd := range map[string]tea.Cmd{"batch": tea.Batch(data, data), "sequence": tea.Sequence(data, data)} {
		msg := route(7, cmd)()
		v := reflect.ValueOf(msg)
		if v.Kind() != reflect.Slice || v.Len() != 2 {
			t.Fatalf("%s: got %T, want tea's command list", name, msg)
		}
		for i := range v.Len() {
			got := v.Index(i).Interface().(tea.Cmd)()
			if r, ok := got.(routedMsg); !ok || r.to != 7 || r.msg != (dataMsg{"x"}) {
				t.Fatalf("%s[%d]: got %#v, want dataMsg routed to 7", name, i, got)
			}
		}
	}
	if msg := route(7, tea.Quit)(); msg != (tea.QuitMsg{}) {
		t.Fatalf("quit was wrapped: %#v", msg)
	}
	if route(7, nil) != nil {
		t.Fatal("a nil command must stay nil")
	}
}
