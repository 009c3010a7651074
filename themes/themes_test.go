package themes

import (
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestGetKnownNames(t *testing.T) {
	for _, n := range Names() {
		th, err := Get(n)
		if err != nil {
			t.Fatalf("Get(%q): %v", n, err)
		}
		if th.Name != n {
			t.Errorf("Get(%q).Name = %q", n, th.Name)
		}
		if th.Accent == nil {
			t.Errorf("%s: Accent is nil", n)
		}
	}
	if Names()[0] != Default {
		t.Errorf("Names()[0] = %q, want the default %q", Names()[0], Default)
	}
}

func TestGetDefaultAndCase(t *testing.T) {
	for _, n := range []string{"", "DARK", " dark "} {
		th, err := Get(n)
		if err != nil || th.Name != "dark" {
			t.Errorf("Get(%q) = %q, %v; want dark", n, th.Name, err)
		}
	}
}

func TestGetUnknownListsValidNames(t *testing.T) {
	_, err := Get("solarized")
	if err == nil {
		t.Fatal("no error for an unknown theme")
	}
	if !errors.Is(err, ErrUnknown) {
		t.Errorf("error %v does not wrap ErrUnknown", err)
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %q", err, n)
		}
	}
}

func TestFromEnvNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	th, err := FromEnv("light")
	if err != nil || th.Name != NoColor {
		t.Fatalf("FromEnv(light) with NO_COLOR = %q, %v; want no-color", th.Name, err)
	}
	if _, err := FromEnv("bogus"); err == nil {
		t.Error("FromEnv(bogus) under NO_COLOR: a typo must still be reported")
	}
	t.Setenv("NO_COLOR", "")
	th, err = FromEnv("light")
	if err != nil || th.Name != "light" {
		t.Fatalf("FromEnv(light) with empty NO_COLOR = %q, %v; want light", th.Name, err)
	}
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourParams reports SGR parameters that set or reset a colour.
func colourParams(s string) []string {
	var bad []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			n, _ := strconv.Atoi(p)
			switch {
			case n >= 30 && n <= 39, n >= 40 && n <= 49, n >= 58 && n <= 59,
				n >= 90 && n <= 97, n >= 100 && n <= 107:
				bad = append(bad, p)
			}
		}
	}
	return bad
}

func eachStyle(th Theme, fn func(name string, s lipgloss.Style)) {
	v := reflect.ValueOf(th)
	for i := 0; i < v.NumField(); i++ {
		if s, ok := v.Field(i).Interface().(lipgloss.Style); ok {
			fn(v.Type().Field(i).Name, s)
		}
	}
}

func TestNoColorEmitsNoColour(t *testing.T) {
	th, _ := Get(NoColor)
	eachStyle(th, func(name string, s lipgloss.Style) {
		out := s.Border(lipgloss.NormalBorder()).Render("x")
		if bad := colourParams(out); len(bad) > 0 {
			t.Errorf("%s renders colour SGR params %v: %q", name, bad, out)
		}
		if _, ok := s.GetForeground().(lipgloss.NoColor); !ok {
			t.Errorf("%s has a foreground colour", name)
		}
		if _, ok := s.GetBackground().(lipgloss.NoColor); !ok {
			t.Errorf("%s has a background colour", name)
		}
	})
	// The cursor must still be visible without colour.
	if !th.SelectedRow.GetReverse() {
		t.Error("no-color SelectedRow is not reverse video")
	}
}

func TestColouredThemesUseColour(t *testing.T) {
	for _, n := range []string{"dark", "light", "high-contrast"} {
		th, _ := Get(n)
		if bad := colourParams(th.Error.Render("x")); len(bad) == 0 {
			t.Errorf("%s: Error renders without colour", n)
		}
		if th.SelectedRow.Render("x") == th.Row.Render("x") {
			t.Errorf("%s: selected row looks like an ordinary row", n)
		}
	}
}

func TestInlineStylesHaveNoLayout(t *testing.T) {
	// Widgets wrap pre-sized lines with these styles; padding, width or
	// borders would break the layout.
	for _, n := range Names() {
		th, _ := Get(n)
		eachStyle(th, func(name string, s lipgloss.Style) {
			if got := s.Render("ab"); lipgloss.Width(got) != 2 || strings.Contains(got, "\n") {
				t.Errorf("%s.%s changes the size of what it renders: %q", n, name, got)
			}
		})
	}
}
