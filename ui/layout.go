package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Laying out a screen's area: every View returns exactly the size it was
// given, so a screen never pushes the chrome.

// FitLine pads or cuts a (possibly styled) line to exactly w cells.
func FitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// JoinLines stacks lines into exactly h lines of width w.
func JoinLines(lines []string, w, h int) string {
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(FitLine(lines[i], w))
		} else {
			b.WriteString(strings.Repeat(" ", max(0, w)))
		}
	}
	return b.String()
}

// ErrText is an error for a screen body: sanitised (errors carry topic
// names and broker messages) and on one line.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return Sanitize(strings.TrimSpace(err.Error()))
}

// Centered draws a message (loading, error, empty) in the middle of an
// area of exactly w x h cells.
func Centered(msg string, w, h int) string {
	lines := make([]string, h)
	mid := h / 2
	msgs := strings.Split(msg, "\n")
	for i, m := range msgs {
		if j := mid - len(msgs)/2 + i; j >= 0 && j < h {
			pad := max(0, (w-lipgloss.Width(m))/2)
			lines[j] = strings.Repeat(" ", pad) + m
		}
	}
	return JoinLines(lines, w, h)
}
