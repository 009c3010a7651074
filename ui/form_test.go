package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/ui/uitest"
)

// A form asks one tagged question at a time: typing goes to it, a bad
// answer keeps it open with the validator's error, enter hands the answer
// back with its tag, esc closes it unanswered.
func TestFormAsksTaggedQuestions(t *testing.T) {
	f := NewForm(theme(t, "dark"))
	f.SetWidth(80)
	if f.Active() || f.Asking() != "" || f.View() != "" {
		t.Fatal("a new form has a question open")
	}
	if _, _, ok := f.Update(uitest.Key("x")); ok {
		t.Fatal("a form with no question took a key")
	}
	f.Ask("skip", "type skip:", "skip", "", MustType("skip", "type skip to accept"))
	if !f.Active() || f.Asking() != "skip" {
		t.Fatalf("after Ask: active %v asking %q", f.Active(), f.Asking())
	}
	for _, k := range []string{"s", "k", "i"} {
		if a, _, ok := f.Update(uitest.Key(k)); !ok || a.Event != PromptChanged || a.What != "skip" {
			t.Fatalf("typing %q: ok %v answer %+v", k, ok, a)
		}
	}
	if a, _, _ := f.Update(uitest.Key("enter")); a.Event != PromptNone {
		t.Fatalf("enter on a wrong answer: %+v, want the question kept open", a)
	}
	if v := ansi.Strip(f.View()); !strings.Contains(v, "✗ type skip to accept") {
		t.Fatalf("the validator's error is not shown: %q", v)
	}
	f.Update(uitest.Key("p"))
	if a, _, _ := f.Update(uitest.Key("enter")); a.Event != PromptSubmitted || a.What != "skip" || a.Value != "skip" {
		t.Fatalf("enter on skip: %+v", a)
	}
	if f.Active() || f.Asking() != "" {
		t.Fatal("the question stayed open after its answer")
	}

	f.Ask("name", "type orders to confirm:", "orders", "", MustMatch("orders", "does not match"))
	f.Update(tea.PasteMsg{Content: " orders"})
	if a, _, _ := f.Update(uitest.Key("enter")); a.Event != PromptNone {
		t.Fatalf("MustMatch took %q: %+v", " orders", a)
	}
	if a, _, _ := f.Update(uitest.Key("esc")); a.Event != PromptCancelled || a.What != "name" || f.Active() {
		t.Fatalf("esc: %+v active %v", a, f.Active())
	}
}

// Run turns the spinner while the work is out; after Stop its frames are
// taken but no more are asked for.
func TestFormRunSpinsUntilStop(t *testing.T) {
	f := NewForm(theme(t, "dark"))
	var ran bool
	cmd := f.Run(func() tea.Msg { ran = true; return nil })
	if !f.Busy() || cmd == nil {
		t.Fatalf("Run: busy %v cmd %v", f.Busy(), cmd != nil)
	}
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("Run's command is %T, want the spinner and the work batched", cmd())
	}
	frame := batch[0]()
	batch[1]()
	if !ran {
		t.Fatal("the work did not run")
	}
	if _, next, ok := f.Update(frame); !ok || next == nil {
		t.Fatalf("busy: frame taken %v, next asked %v", ok, next != nil)
	}
	if !strings.HasSuffix(f.Spinning("writing…"), " writing…") {
		t.Fatalf("Spinning = %q", f.Spinning("writing…"))
	}
	f.Stop()
	if _, next, ok := f.Update(frame); !ok || next != nil || f.Busy() {
		t.Fatalf("stopped: frame taken %v, next asked %v, busy %v", ok, next != nil, f.Busy())
	}
}
