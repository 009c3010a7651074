package ui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/themes"
)

// ListScreen is the base a list screen embeds: a Loader fetching the rows,
// a List showing them, and the screen around them: the spinner or the
// error before the first result, a summary line above the table (the
// filter prompt while it is open), the error beside the last good rows,
// and the Screen plumbing (Init, Refresh, Back, CapturingInput, Close,
// SetSize, View). What stays in the screen is its own: columns, cells,
// the fetch, its keys, its summary. A screen then reads:
//
//	type brokersScreen struct{ *ui.ListScreen[backend.Broker] }
//
//	func (s *brokersScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }
//	func (s *brokersScreen) Title() string                         { return "brokers" }
//	func (s *brokersScreen) Help() []key.Binding                   { return ui.TableKeys() }
type ListScreen[T any] struct {
	*List[T]
	load  *Loader[func() []T]
	spec  ListScreenSpec[T]
	theme themes.Theme
	w, h  int
	// applied: rows have been set once (the cursor starts on Start).
	applied bool
}

// ListScreenSpec is what a list screen says beyond its rows.
type ListScreenSpec[T any] struct {
	ListSpec[T]
	// Loading is the placeholder's text: "loading topics…".
	Loading string
	// What names the data in the status bar's error (see LoaderSpec).
	What string
	// Every is the auto-refresh period; 0 reloads only on ctrl+r.
	Every time.Duration
	// Start picks the row the cursor starts on after the first load
	// (nil: the top one).
	Start func(row T) bool
	// Summary is the line above the table (nil: none); the screen's error
	// is appended to it.
	Summary func() string
	// Keys handles the screen's own keys before the list's, reporting
	// whether it used the key.
	Keys func(msg tea.KeyPressMsg) (tea.Cmd, bool)
	// Restyle may recolour the rendered table (a verdict column).
	Restyle func(view string) string
	// Detail is drawn under the table, DetailHeight(h) lines of the h the
	// screen has (nil: nothing).
	Detail       func(w, h int) []string
	DetailHeight func(h int) int
}

// NewListScreen returns a list screen whose rows fetch reads.
func NewListScreen[T any](theme themes.Theme, fetch func(ctx context.Context) ([]T, error), spec ListScreenSpec[T]) *ListScreen[T] {
	return NewListScreenOf(theme, fetch, func(rows []T) []T { return rows }, spec)
}

// NewListScreenOf returns a list screen whose rows are made in Update by
// rows(r) from what fetch read, for screens that combine a result with
// state only the event loop may touch (the lag history).
func NewListScreenOf[R, T any](theme themes.Theme, fetch func(ctx context.Context) (R, error), rows func(R) []T, spec ListScreenSpec[T]) *ListScreen[T] {
	s := &ListScreen[T]{List: NewList(theme, spec.ListSpec), spec: spec, theme: theme}
	s.load = NewLoader(theme, LoaderSpec[func() []T]{
		Fetch: func(ctx context.Context) (func() []T, error) {
			r, err := fetch(ctx)
			return func() []T { return rows(r) }, err
		},
		Apply: func(f func() []T) {
			first := !s.applied
			s.applied = true
			s.SetItems(f())
			if first {
				s.Table().Top()
				if spec.Start != nil {
					s.SelectWhere(spec.Start)
				}
			}
		},
		What:  spec.What,
		Every: spec.Every,
	})
	return s
}

// Loader is the screen's loader: its state (loading, paused, error) and
// pause.
func (s *ListScreen[T]) Loader() *Loader[func() []T] { return s.load }

// Init starts the first fetch.
func (s *ListScreen[T]) Init() tea.Cmd { return s.load.Start() }

// Refresh reloads now (or right after the fetch in flight).
func (s *ListScreen[T]) Refresh() tea.Cmd { return s.load.Refresh() }

// Close stops the fetch in flight and the refresh chain.
func (s *ListScreen[T]) Close() { s.load.Close() }

// CapturingInput: the filter prompt owns the keyboard while open.
func (s *ListScreen[T]) CapturingInput() bool { return s.PromptActive() }

// Back clears an applied filter before esc leaves the screen.
func (s *ListScreen[T]) Back() (bool, tea.Cmd) { return s.ClearFilter(), nil }

// Update handles the loader's messages, the mouse wheel, the screen's keys
// and then the list's. A screen's Update is one line:
// return s, s.ListScreen.Update(msg).
func (s *ListScreen[T]) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := s.load.Update(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		s.Table().HandleMouse(msg)
		return nil
	case tea.KeyPressMsg:
		if !s.PromptActive() && s.spec.Keys != nil {
			if cmd, ok := s.spec.Keys(msg); ok {
				return cmd
			}
		}
	}
	cmd, _ := s.HandleKey(msg)
	return cmd
}

func (s *ListScreen[T]) detailHeight() int {
	if s.spec.Detail == nil || s.spec.DetailHeight == nil {
		return 0
	}
	return s.spec.DetailHeight(s.h)
}

// SetSize gives the table what the summary and the detail leave.
func (s *ListScreen[T]) SetSize(w, h int) {
	s.w, s.h = w, h
	above := 0
	if s.spec.Summary != nil {
		above = 1
	}
	s.List.SetSize(w, max(0, h-above-s.detailHeight()))
}

// View draws the placeholder until the first result, then the summary,
// the table and the detail.
func (s *ListScreen[T]) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	if !s.load.Loaded() {
		return s.load.Placeholder(s.w, s.h, s.spec.Loading)
	}
	var b strings.Builder
	if s.spec.Summary != nil {
		top := ""
		if s.PromptActive() {
			top = s.PromptView()
		} else {
			top = s.spec.Summary()
			if err := s.load.Err(); err != nil {
				top += "  " + s.theme.Error.Render("✗ "+ErrText(err))
			}
		}
		b.WriteString(FitLine(top, s.w))
		b.WriteByte('\n')
	}
	body := s.List.View() // exactly the table's size already
	if s.spec.Restyle != nil {
		body = s.spec.Restyle(body)
	}
	b.WriteString(body)
	if n := s.detailHeight(); n > 0 {
		b.WriteByte('\n')
		b.WriteString(JoinLines(s.spec.Detail(s.w, n), s.w, n))
	}
	return b.String()
}
