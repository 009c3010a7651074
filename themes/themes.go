// Package themes turns a theme name into the lipgloss styles the whole app
// uses, so no screen hard-codes a colour.
//
// Four themes exist: "dark" (the default), "light", "high-contrast" and
// "no-color". The no-color theme emits no colour escape codes at all; it uses
// only bold, underline and reverse so the cursor and headers stay visible.
// FromEnv picks no-color whenever the NO_COLOR environment variable is set
// and non-empty (https://no-color.org), whatever theme was asked for.
//
// Styles that frame text inline (Row, SelectedRow, Header, StatusBar, ...)
// carry only colours and attributes, never padding, width or borders, so
// widgets can wrap a pre-sized line with them cheaply.
package themes

import (
	"errors"
	"fmt"
	"image/color"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme is the set of styles shared by the shell and every screen.
type Theme struct {
	// Name is the theme's name as accepted by Get.
	Name string

	// Title is the app name in the header line.
	Title lipgloss.Style
	// Breadcrumb is the header's trail of screen titles.
	Breadcrumb lipgloss.Style
	// Header is a table's column header row.
	Header lipgloss.Style
	// Row is an ordinary table row.
	Row lipgloss.Style
	// SelectedRow is the row under the cursor. It is visible without colour
	// (reverse video) in every theme.
	SelectedRow lipgloss.Style
	// Muted is secondary text: placeholders, hints, empty states, units.
	Muted lipgloss.Style
	// Key is a key name in help texts ("enter", "?").
	Key lipgloss.Style
	// Match highlights the part of a cell matching the current filter.
	Match lipgloss.Style

	Error lipgloss.Style
	Warn  lipgloss.Style
	OK    lipgloss.Style
	Info  lipgloss.Style

	// Badge is a short label that must stand out, e.g. READ-ONLY.
	Badge lipgloss.Style
	// StatusBar is the bottom line of the shell.
	StatusBar lipgloss.Style
	// Border styles boxes (overlays, panels): use it with .Border(...); its
	// foreground also suits separator lines.
	Border lipgloss.Style

	// JSON syntax colours for record values.
	JSONKey    lipgloss.Style
	JSONString lipgloss.Style
	JSONNumber lipgloss.Style
	JSONBool   lipgloss.Style // true, false and null
	JSONPunct  lipgloss.Style // { } [ ] : ,

	// Accent is a raw colour for widgets that take a color.Color rather than
	// a style (charts, sparklines, the prompt cursor). It is lipgloss.NoColor
	// in the no-color theme, never nil.
	Accent color.Color
	// Dark reports whether the theme is designed for a dark background.
	Dark bool
}

// Default is the theme used when no name is given.
const Default = "dark"

// NoColor is the name of the colourless theme.
const NoColor = "no-color"

var names = []string{"dark", "light", "high-contrast", NoColor}

// Names lists the valid theme names, the default first.
func Names() []string { return append([]string(nil), names...) }

// ErrUnknown is wrapped by Get's error for an unknown name.
var ErrUnknown = errors.New("unknown theme")

// Get returns the theme called name ("" means the default). Names are
// matched case-insensitively.
func Get(name string) (Theme, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "dark":
		return dark(), nil
	case "light":
		return light(), nil
	case "high-contrast":
		return highContrast(), nil
	case NoColor:
		return noColor(), nil
	}
	return Theme{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknown, name, strings.Join(names, ", "))
}

// FromEnv is Get, except that a non-empty NO_COLOR environment variable
// forces the no-color theme (https://no-color.org). The name is still
// checked, so a typo in --theme is reported even under NO_COLOR.
func FromEnv(name string) (Theme, error) {
	t, err := Get(name)
	if err != nil {
		return Theme{}, err
	}
	if os.Getenv("NO_COLOR") != "" {
		return noColor(), nil
	}
	return t, nil
}

// palette is the handful of colours a coloured theme is built from.
type palette struct {
	fg, muted, accent, header       color.Color
	selFg, selBg                    color.Color
	err, warn, ok, info             color.Color
	badgeFg, badgeBg, barFg, barBg  color.Color
	border                          color.Color
	jKey, jStr, jNum, jBool, jPunct color.Color
	match                           color.Color
}

func build(name string, dark bool, p palette) Theme {
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	return Theme{
		Name:        name,
		Title:       fg(p.accent).Bold(true),
		Breadcrumb:  fg(p.fg),
		Header:      fg(p.header).Bold(true),
		Row:         lipgloss.NewStyle(),
		SelectedRow: lipgloss.NewStyle().Foreground(p.selFg).Background(p.selBg).Bold(true),
		Muted:       fg(p.muted),
		Key:         fg(p.info).Bold(true),
		Match:       fg(p.match).Bold(true).Underline(true),
		Error:       fg(p.err).Bold(true),
		Warn:        fg(p.warn),
		OK:          fg(p.ok),
		Info:        fg(p.info),
		Badge:       lipgloss.NewStyle().Foreground(p.badgeFg).Background(p.badgeBg).Bold(true),
		StatusBar:   lipgloss.NewStyle().Foreground(p.barFg).Background(p.barBg),
		Border:      fg(p.border).BorderForeground(p.border),
		JSONKey:     fg(p.jKey),
		JSONString:  fg(p.jStr),
		JSONNumber:  fg(p.jNum),
		JSONBool:    fg(p.jBool),
		JSONPunct:   fg(p.jPunct),
		Accent:      p.accent,
		Dark:        dark,
	}
}

// dark follows the Tokyo Night palette.
func dark() Theme {
	c := lipgloss.Color
	return build("dark", true, palette{
		fg: c("#C0CAF5"), muted: c("#737AA2"), accent: c("#7AA2F7"), header: c("#7DCFFF"),
		selFg: c("#FFFFFF"), selBg: c("#364A82"),
		err: c("#F7768E"), warn: c("#E0AF68"), ok: c("#9ECE6A"), info: c("#7DCFFF"),
		badgeFg: c("#1A1B26"), badgeBg: c("#E0AF68"), barFg: c("#C0CAF5"), barBg: c("#24283B"),
		border: c("#565F89"),
		jKey:   c("#7AA2F7"), jStr: c("#9ECE6A"), jNum: c("#FF9E64"), jBool: c("#BB9AF7"), jPunct: c("#89DDFF"),
		match: c("#FF9E64"),
	})
}

func light() Theme {
	c := lipgloss.Color
	return build("light", false, palette{
		fg: c("#3760BF"), muted: c("#6172B0"), accent: c("#2E7DE9"), header: c("#007197"),
		selFg: c("#1A1B26"), selBg: c("#B7C1E3"),
		err: c("#C4174C"), warn: c("#8C6C3E"), ok: c("#387068"), info: c("#007197"),
		badgeFg: c("#FFFFFF"), badgeBg: c("#B15C00"), barFg: c("#3760BF"), barBg: c("#D0D5E3"),
		border: c("#8990B3"),
		jKey:   c("#2E7DE9"), jStr: c("#587539"), jNum: c("#B15C00"), jBool: c("#9854F1"), jPunct: c("#006A83"),
		match: c("#B15C00"),
	})
}

// highContrast sticks to the 16 basic ANSI colours, which every terminal
// maps to its own high-contrast palette, and avoids dim greys entirely.
func highContrast() Theme {
	c := lipgloss.Color
	t := build("high-contrast", true, palette{
		fg: c("15"), muted: c("7"), accent: c("14"), header: c("15"),
		selFg: c("0"), selBg: c("11"),
		err: c("9"), warn: c("11"), ok: c("10"), info: c("14"),
		badgeFg: c("0"), badgeBg: c("11"), barFg: c("0"), barBg: c("15"),
		border: c("15"),
		jKey:   c("14"), jStr: c("10"), jNum: c("11"), jBool: c("13"), jPunct: c("15"),
		match: c("11"),
	})
	t.Header = t.Header.Underline(true)
	t.Key = t.Key.Foreground(c("11"))
	return t
}

// noColor uses attributes only. Selection is reverse video so the cursor is
// visible on any terminal.
func noColor() Theme {
	s := lipgloss.NewStyle
	return Theme{
		Name:        NoColor,
		Title:       s().Bold(true),
		Breadcrumb:  s(),
		Header:      s().Bold(true).Underline(true),
		Row:         s(),
		SelectedRow: s().Reverse(true).Bold(true),
		Muted:       s(),
		Key:         s().Bold(true),
		Match:       s().Underline(true),
		Error:       s().Bold(true),
		Warn:        s().Bold(true),
		OK:          s(),
		Info:        s(),
		Badge:       s().Reverse(true).Bold(true),
		StatusBar:   s().Reverse(true),
		Border:      s(),
		JSONKey:     s().Bold(true),
		JSONString:  s(),
		JSONNumber:  s(),
		JSONBool:    s(),
		JSONPunct:   s(),
		Accent:      lipgloss.NoColor{},
		Dark:        true,
	}
}
