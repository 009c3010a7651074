package ui

import (
	"errors"
	"strings"
	"testing"

	"charm.land/bubbles/v2/spinner"

	"github.com/rewind-log/rewind/themes"
)

// The spinner animates on its own frames while busy, stops asking for
// frames when idle, and leaves other spinners' frames to their owners.
func TestSpinnerTicksOnlyWhileBusy(t *testing.T) {
	th, _ := themes.Get("dark")
	s, other := NewSpinner(th), NewSpinner(th)
	frame := s.Tick()
	first := s.View()
	cmd, ok := s.Update(frame, true)
	if !ok || cmd == nil {
		t.Fatalf("busy: ok=%v cmd=%v, want the next frame asked for", ok, cmd != nil)
	}
	if s.View() == first {
		t.Fatalf("busy: the frame did not advance from %q", first)
	}
	if cmd, ok := s.Update(frame, false); !ok || cmd != nil {
		t.Fatalf("idle: ok=%v, next frame asked for=%v; want its frame taken and no more", ok, cmd != nil)
	}
	if cmd, ok := s.Update(other.Tick(), true); ok || cmd != nil {
		t.Fatalf("another spinner's frame was taken (ok=%v)", ok)
	}
	if _, ok := s.Update(spinner.TickMsg{}, true); ok {
		t.Fatal("a frame with no id was taken")
	}
}

// Waiting shows what loads, or the error with how to retry.
func TestSpinnerWaiting(t *testing.T) {
	th, _ := themes.Get(themes.NoColor)
	s := NewSpinner(th)
	if v := s.Waiting(nil, "loading things…", 40, 3); !strings.Contains(v, "loading things…") {
		t.Fatalf("loading: %q", v)
	}
	v := s.Waiting(errors.New("broker down"), "loading things…", 60, 3)
	if !strings.Contains(v, "✗ broker down") || !strings.Contains(v, "press R to retry") || strings.Contains(v, "loading") {
		t.Fatalf("error: %q", v)
	}
}
