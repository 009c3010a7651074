package ui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func typeText(p *Prompt, s string) (last PromptEvent) {
	for _, r := range s {
		last, _ = p.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return last
}

func keyMsg(code rune, mod tea.KeyMod) tea.KeyPressMsg { return tea.KeyPressMsg{Code: code, Mod: mod} }

func TestPromptTypeSubmitCancel(t *testing.T) {
	p := NewPrompt(theme(t, "dark"))
	if p.Active() || p.View() != "" {
		t.Fatal("a new prompt is open")
	}
	p.SetWidth(40)
	p.Open("/", "filter topics")
	if !p.Active() {
		t.Fatal("Open did not activate the prompt")
	}
	if v := ansi.Strip(p.View()); !strings.Contains(v, "/ filter topics") {
		t.Errorf("placeholder view = %q", v)
	}
	if ev := typeText(&p, "ordrs"); ev != PromptChanged {
		t.Errorf("typing: event %v, want PromptChanged", ev)
	}
	// Fix the typo: left, left, insert "e".
	p.Update(keyMsg(tea.KeyLeft, 0))
	p.Update(keyMsg(tea.KeyLeft, 0))
	typeText(&p, "e")
	if p.Value() != "orders" {
		t.Errorf("value = %q, want orders", p.Value())
	}
	if v := ansi.Strip(p.View()); !strings.HasPrefix(v, "/ orders") {
		t.Errorf("view = %q", v)
	}
	if ev, _ := p.Update(keyMsg(tea.KeyEnter, 0)); ev != PromptSubmitted {
		t.Errorf("enter: event %v, want PromptSubmitted", ev)
	}
	if p.Active() || p.Value() != "orders" {
		t.Errorf("after enter: active %v value %q", p.Active(), p.Value())
	}
	if ev, _ := p.Update(keyMsg(tea.KeyEnter, 0)); ev != PromptNone {
		t.Error("a closed prompt reacted to a key")
	}

	p.OpenWith("/", "", "orders")
	p.Update(keyMsg(tea.KeyBackspace, 0))
	if p.Value() != "order" {
		t.Errorf("backspace on pre-filled value: %q", p.Value())
	}
	if ev, _ := p.Update(keyMsg(tea.KeyEscape, 0)); ev != PromptCancelled || p.Active() {
		t.Errorf("esc: event %v active %v", ev, p.Active())
	}
}

func TestPromptEditingKeys(t *testing.T) {
	p := NewPrompt(theme(t, "dark"))
	p.Open("seek", "")
	typeText(&p, "foo bar baz")
	p.Update(keyMsg('w', tea.ModCtrl)) // delete word
	if p.Value() != "foo bar " {
		t.Errorf("ctrl+w: %q", p.Value())
	}
	p.Update(keyMsg('a', tea.ModCtrl)) // home
	typeText(&p, ">")
	p.Update(keyMsg('e', tea.ModCtrl)) // end
	typeText(&p, "!")
	if p.Value() != ">foo bar !" {
		t.Errorf("home/end insert: %q", p.Value())
	}
	p.Update(keyMsg('u', tea.ModCtrl))
	if p.Value() != "" {
		t.Errorf("ctrl+u at end: %q", p.Value())
	}
}

func TestPromptPasteIsCleaned(t *testing.T) {
	p := NewPrompt(theme(t, "dark"))
	p.Open("/", "")
	p.Update(tea.PasteMsg{Content: "a\x1b[31mb\nc\u202e"})
	if p.Value() != "a[31mb c" {
		t.Errorf("pasted value = %q", p.Value())
	}
}

func TestPromptValidate(t *testing.T) {
	p := NewPrompt(theme(t, "dark"))
	p.SetWidth(60)
	p.Validate = func(s string) error {
		if s != "earliest" {
			return errors.New("want earliest, latest, an offset or a time")
		}
		return nil
	}
	p.Open("seek:", "earliest | latest | offset | time")
	typeText(&p, "nope")
	if ev, _ := p.Update(keyMsg(tea.KeyEnter, 0)); ev != PromptNone || !p.Active() {
		t.Fatalf("invalid value submitted: event %v active %v", ev, p.Active())
	}
	if v := ansi.Strip(p.View()); !strings.Contains(v, "want earliest") {
		t.Errorf("error not shown: %q", v)
	}
	p.Update(keyMsg('u', tea.ModCtrl))
	if v := ansi.Strip(p.View()); strings.Contains(v, "want earliest") {
		t.Errorf("error not cleared by editing: %q", v)
	}
	typeText(&p, "earliest")
	if ev, _ := p.Update(keyMsg(tea.KeyEnter, 0)); ev != PromptSubmitted {
		t.Errorf("valid value: event %v", ev)
	}
}

func TestPromptScrollsLongValues(t *testing.T) {
	p := NewPrompt(theme(t, "dark"))
	p.SetWidth(12)
	p.Open("/", "")
	typeText(&p, "abcdefghijklmnopqrstuvwxyz")
	v := ansi.Strip(p.View())
	if w := ansi.StringWidth(v); w > 12 {
		t.Errorf("view %q is %d cells wide, want <= 12", v, w)
	}
	if !strings.Contains(v, "xyz") {
		t.Errorf("the end of a long value (where the cursor is) is not visible: %q", v)
	}
}

func TestPaletteRanking(t *testing.T) {
	p := newPalette(theme(t, "dark"), []Command{
		{Name: "partitions", Desc: "partitions of a topic"},
		{Name: "groups", Desc: "consumer groups"},
		{Name: "topics", Desc: "list topics"},
		{Name: "replays", Desc: "isolated replay groups"},
	})
	p.show(80)
	names := func() string {
		var ns []string
		for _, i := range p.matches {
			ns = append(ns, p.commands[i].Name)
		}
		return strings.Join(ns, ",")
	}
	cases := map[string]string{
		"":    "partitions,groups,topics,replays",
		"t":   "topics,partitions,replays", // prefix, substring, then description
		"gr":  "groups,replays",            // name, then description
		"rpl": "replays",                   // letters in order
		"zzz": "",
	}
	for q, want := range cases {
		p.input.SetValue(q)
		p.filter()
		if got := names(); got != want {
			t.Errorf("query %q: %s, want %s", q, got, want)
		}
	}
}
