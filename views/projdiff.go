package views

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/ui"
)

// Side-by-side keys.
var (
	keyDiffOnly = binding([]string{"o"}, "o", "differences only")
)

// The window of rows a side-by-side screen keeps around its cursor: it
// never holds a whole table, it pages through the sorted merge by seek key.
const (
	diffWindowMax = 600
	diffPageMin   = 100
	diffMargin    = 10 // rows from an edge of the window that load the next page
)

// page request kinds.
const (
	pageReset  = iota // from a seek key (nil: the first key)
	pageAfter         // after the last row of the window
	pageBefore        // before the first row
	pageLast          // the last page (G/end)
)

type (
	pdOpenedMsg struct {
		gen int
		src *diffSource
		err error
	}
	pdPageMsg struct {
		gen  int
		kind int
		rows []project.DiffRow
		more bool
		err  error
	}
	pdSummaryMsg struct {
		gen int
		sum *project.DiffSummary
		err error
	}
	pdRetryMsg struct{}
)

// diffSource holds the two open tables (Pebble snapshots) of a comparison.
// Page and summary commands read them concurrently; close waits for them.
type diffSource struct {
	mu          sync.RWMutex
	left, right *project.Table
	closed      bool
}

var errSourceClosed = errors.New("comparison closed")

func (d *diffSource) do(fn func(l, r *project.Table) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return errSourceClosed
	}
	return fn(d.left, d.right)
}

func (d *diffSource) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		_ = d.left.Close()
		_ = d.right.Close()
	}
}

type projDiffScreen struct {
	env              *Env
	dataDir          string
	runA, runB       string
	ctx              context.Context
	cancel           context.CancelFunc
	table            *ui.Table
	spin             ui.Spinner
	prompt           ui.Prompt
	src              *diffSource
	gen              int
	opening, loading bool
	err              error

	rows                  []project.DiffRow
	moreBefore, moreAfter bool
	pendingCursor         int // cursor after a reset/last load: -1 = last row

	sum     *project.DiffSummary
	sumErr  error
	summing bool

	onlyDiff bool
	filter   string
	w, h     int
}

// NewProjectionDiff compares two projection runs side by side: key, left
// value, right value and a marker, with counts and each side's checksum. It
// streams both tables through Pebble snapshots (runs may still be going in
// this process; a run held by another process shows why it cannot be read).
func NewProjectionDiff(env *Env, dataDir, runA, runB string) ui.Screen {
	ctx, cancel := context.WithCancel(context.Background())
	s := &projDiffScreen{env: env, dataDir: dataDir, runA: runA, runB: runB,
		ctx: ctx, cancel: cancel, spin: ui.NewSpinner(env.Theme), prompt: ui.NewPrompt(env.Theme)}
	s.table = ui.NewTable(env.Theme, s.columns(false))
	s.apply()
	return s
}

// columns of the side-by-side; numeric right-aligns the values (both
// sides' values are all numbers, as a sum or count projection's are).
func (s *projDiffScreen) columns(numeric bool) []ui.Column {
	return []ui.Column{
		{Title: "KEY", MinWidth: 8, Flex: 2},
		{Title: "LEFT " + ui.Sanitize(s.runA), MinWidth: 8, Flex: 3, Right: numeric},
		{Title: "RIGHT " + ui.Sanitize(s.runB), MinWidth: 8, Flex: 3, Right: numeric},
		{Title: "DELTA", MinWidth: 6, Flex: 1, Right: true},
		{Title: "MARKER", Width: 9},
	}
}

// diffCells are a row's cells: numbers as project.ShowNumber shows them
// (23696.92, not 23696.920000000002), the delta right minus left where
// both are numbers and differ.
func diffCells(r *project.DiffRow) []string {
	show := func(v []byte) string {
		if v == nil {
			return "·"
		}
		if n, ok := project.ShowNumber(v); ok {
			return n
		}
		return ui.Preview(v, 200)
	}
	delta := ""
	if r.Left != nil && r.Right != nil {
		if d, ok := project.Delta(r.Left, r.Right); ok && d != "0" {
			delta = d
		}
	}
	return []string{ui.PreviewString(r.Key, 200), show(r.Left), show(r.Right), delta, markerCell(r.Marker)}
}

func (s *projDiffScreen) Title() string {
	return "diff " + ui.Sanitize(s.runA) + " ⇄ " + ui.Sanitize(s.runB)
}

func (s *projDiffScreen) Help() []key.Binding {
	return append([]key.Binding{keyDiffOnly, ui.Keys.Filter, ui.Keys.Refresh}, ui.TableKeys()...)
}

func (s *projDiffScreen) CapturingInput() bool { return s.prompt.Active() }

func (s *projDiffScreen) Close() {
	s.cancel()
	if s.src != nil {
		go s.src.close()
		s.src = nil
	}
}

func (s *projDiffScreen) Init() tea.Cmd { return tea.Batch(s.open(), s.spin.Tick) }

// Refresh takes new snapshots: a run still going shows its latest
// checkpoint.
func (s *projDiffScreen) Refresh() tea.Cmd { return s.open() }

func (s *projDiffScreen) open() tea.Cmd {
	s.gen++
	s.opening, s.err = true, nil
	gen, dir, a, b := s.gen, s.dataDir, s.runA, s.runB
	return func() tea.Msg {
		l, err := project.OpenTable(dir, a)
		if err != nil {
			return pdOpenedMsg{gen: gen, err: err}
		}
		r, err := project.OpenTable(dir, b)
		if err != nil {
			_ = l.Close()
			return pdOpenedMsg{gen: gen, err: err}
		}
		return pdOpenedMsg{gen: gen, src: &diffSource{left: l, right: r}}
	}
}

// keep is the row predicate of the current view, safe to use off the
// event loop (it captures values, not the screen).
func (s *projDiffScreen) keep() func(*project.DiffRow) bool {
	only, f := s.onlyDiff, strings.ToLower(s.filter)
	if !only && f == "" {
		return nil
	}
	return func(r *project.DiffRow) bool {
		if only && r.Marker == project.MarkSame {
			return false
		}
		return f == "" || strings.Contains(strings.ToLower(r.Key), f)
	}
}

func (s *projDiffScreen) pageSize() int { return max(diffPageMin, 2*s.table.Height()) }

// load fetches a page; kind says where it goes in the window.
func (s *projDiffScreen) load(kind int, seek []byte) tea.Cmd {
	if s.src == nil {
		return nil
	}
	s.loading = true
	o := project.DiffPageOptions{Seek: seek, Limit: s.pageSize(), Keep: s.keep()}
	switch kind {
	case pageAfter:
		o.Seek, o.After = []byte(s.rows[len(s.rows)-1].Key), true
	case pageBefore:
		o.Seek, o.Backward = []byte(s.rows[0].Key), true
	case pageLast:
		o.Seek, o.Backward = nil, true
	}
	gen, src, ctx := s.gen, s.src, s.ctx
	return func() tea.Msg {
		var rows []project.DiffRow
		var more bool
		err := src.do(func(l, r *project.Table) error {
			var err error
			rows, more, err = project.DiffPage(ctx, l, r, o)
			return err
		})
		return pdPageMsg{gen: gen, kind: kind, rows: rows, more: more, err: err}
	}
}

func (s *projDiffScreen) summarize() tea.Cmd {
	if s.src == nil {
		return nil
	}
	s.summing, s.sumErr = true, nil
	gen, src, ctx := s.gen, s.src, s.ctx
	return func() tea.Msg {
		var sum *project.DiffSummary
		err := src.do(func(l, r *project.Table) error {
			var err error
			sum, err = project.Diff(ctx, l, r, nil)
			return err
		})
		return pdSummaryMsg{gen: gen, sum: sum, err: err}
	}
}

// reload restarts the window at the cursor's key (or the first key).
func (s *projDiffScreen) reload(atCursor bool) tea.Cmd {
	s.gen++
	var seek []byte
	s.moreBefore = false
	if atCursor && len(s.rows) > 0 {
		seek = []byte(s.rows[s.table.Cursor()].Key)
		s.moreBefore = s.table.Cursor() > 0 || s.moreBefore
	}
	s.pendingCursor = 0
	return s.load(pageReset, seek)
}

func (s *projDiffScreen) Back() (bool, tea.Cmd) {
	if s.filter != "" {
		s.filter = ""
		s.prompt.SetValue("")
		return true, s.reload(false)
	}
	return false, nil
}

func (s *projDiffScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if cmd, ok := s.spin.Update(msg, s.opening || s.summing || s.loading); ok {
		return s, cmd
	}
	if s.prompt.Takes(msg) {
		return s, s.updatePrompt(msg)
	}
	switch msg := msg.(type) {
	case pdOpenedMsg:
		if msg.gen != s.gen {
			if msg.src != nil {
				go msg.src.close()
			}
			return s, nil
		}
		s.opening = false
		if msg.err != nil {
			s.err = msg.err
			return s, func() tea.Msg {
				return ui.ErrMsg{Err: fmt.Errorf("side by side: %w", msg.err), Retry: func() tea.Msg { return pdRetryMsg{} }}
			}
		}
		if s.src != nil {
			go s.src.close()
		}
		s.src = msg.src
		var seek []byte
		if len(s.rows) > 0 {
			seek = []byte(s.rows[s.table.Cursor()].Key) // a refresh stays where it was
		}
		s.moreBefore = seek != nil && s.table.Cursor() > 0
		s.pendingCursor = 0
		return s, tea.Batch(ui.ClearErr(), s.load(pageReset, seek), s.summarize())

	case pdPageMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.loading = false
		if msg.err != nil {
			s.err = msg.err
			s.apply() // drop the "loading…" placeholder
			return s, func() tea.Msg {
				return ui.ErrMsg{Err: fmt.Errorf("side by side: %w", msg.err), Retry: func() tea.Msg { return pdRetryMsg{} }}
			}
		}
		s.err = nil
		s.onPage(msg)
		return s, s.maybeLoad()

	case pdSummaryMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.summing = false
		s.sum, s.sumErr = msg.sum, msg.err
		return s, nil

	case pdRetryMsg:
		return s, s.open()

	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
		return s, s.maybeLoad()

	case tea.KeyPressMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *projDiffScreen) onPage(msg pdPageMsg) {
	cur := s.table.Cursor()
	switch msg.kind {
	case pageReset, pageLast:
		s.rows = msg.rows
		if msg.kind == pageReset {
			s.moreAfter = msg.more
			cur = 0
		} else {
			s.moreBefore, s.moreAfter = msg.more, false
			cur = len(s.rows) - 1
		}
	case pageAfter:
		s.moreAfter = msg.more
		s.rows = append(s.rows, msg.rows...)
		if drop := len(s.rows) - diffWindowMax; drop > 0 {
			s.rows = append([]project.DiffRow(nil), s.rows[drop:]...)
			cur -= drop
			s.moreBefore = true
		}
	case pageBefore:
		s.moreBefore = msg.more
		s.rows = append(append([]project.DiffRow(nil), msg.rows...), s.rows...)
		cur += len(msg.rows)
		if len(s.rows) > diffWindowMax {
			s.rows = s.rows[:diffWindowMax]
			s.moreAfter = true
		}
	}
	s.apply()
	s.table.SetCursor(cur)
}

// maybeLoad fetches the next page when the cursor nears an edge of the
// window.
func (s *projDiffScreen) maybeLoad() tea.Cmd {
	if s.loading || s.src == nil || len(s.rows) == 0 {
		return nil
	}
	c := s.table.Cursor()
	switch {
	case s.moreAfter && c >= len(s.rows)-diffMargin:
		return s.load(pageAfter, nil)
	case s.moreBefore && c < diffMargin:
		return s.load(pageBefore, nil)
	}
	return nil
}

func (s *projDiffScreen) updatePrompt(msg tea.Msg) tea.Cmd {
	ev, cmd := s.prompt.Update(msg)
	switch ev {
	case ui.PromptChanged, ui.PromptSubmitted, ui.PromptCancelled:
		f := strings.TrimSpace(s.prompt.Value())
		if ev == ui.PromptCancelled {
			f = ""
		}
		if f != s.filter {
			s.filter = f
			return tea.Batch(cmd, s.reload(false))
		}
	}
	return cmd
}

func (s *projDiffScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, ui.Keys.Filter):
		s.prompt.SetWidth(s.w)
		return s.prompt.OpenWith("/", "filter keys", s.filter)
	case key.Matches(msg, keyDiffOnly):
		s.onlyDiff = !s.onlyDiff
		return s.reload(true)
	case key.Matches(msg, ui.Keys.Top) && s.moreBefore:
		s.gen++
		s.moreBefore = false
		return s.load(pageReset, nil)
	case key.Matches(msg, ui.Keys.Bottom) && s.moreAfter:
		s.gen++
		return s.load(pageLast, nil)
	default:
		if s.table.HandleKey(msg) {
			return s.maybeLoad()
		}
	}
	return nil
}

func markerCell(m string) string {
	switch m {
	case project.MarkAdded:
		return "+ added"
	case project.MarkRemoved:
		return "- removed"
	case project.MarkChanged:
		return "~ changed"
	}
	return "= same"
}

func (s *projDiffScreen) apply() {
	rows := s.rows
	// Column widths and alignment from the rows loaded (a window of at most
	// diffWindowMax): numbers right-aligned, no column wider than its cells.
	numeric := len(rows) > 0
	nat := make([]int, 5)
	for j, c := range s.table.Columns() {
		nat[j] = ansi.StringWidth(c.Title)
	}
	for i := range rows {
		for _, v := range [][]byte{rows[i].Left, rows[i].Right} {
			if _, ok := project.ShowNumber(v); v != nil && !ok {
				numeric = false
			}
		}
		for j, c := range diffCells(&rows[i])[:4] {
			nat[j] = max(nat[j], ansi.StringWidth(c))
		}
	}
	if cols := s.table.Columns(); len(cols) < 2 || cols[1].Right != numeric {
		s.table.SetColumns(s.columns(numeric))
	}
	s.table.SetNatural(nat)
	s.table.SetRows(len(rows), func(i int) []string { return diffCells(&rows[i]) })
	switch {
	case s.opening || s.loading:
		s.table.SetEmpty("loading…") // not "empty" before the first page arrives
	case s.filter != "":
		s.table.SetEmpty("no key matches " + strconv.Quote(ui.Sanitize(s.filter)))
	case s.onlyDiff:
		s.table.SetEmpty("no differences")
	default:
		s.table.SetEmpty("both tables are empty")
	}
}

func (s *projDiffScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.prompt.SetWidth(w)
	s.table.SetSize(w, max(0, h-2))
}

func (s *projDiffScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if s.src == nil {
		return s.spin.Waiting(s.err, "opening "+ui.Sanitize(s.runA)+" and "+ui.Sanitize(s.runB)+"…", s.w, s.h)
	}
	top := s.countsLine()
	if s.prompt.Active() {
		top = s.prompt.View()
	}
	rows := s.rows
	mw := 9
	start := s.table.Width() - mw
	body := restyleCells(s.table.View(), s.table, start, s.table.Width(), func(i int) (lipgloss.Style, bool) {
		switch rows[i].Marker {
		case project.MarkAdded:
			return th.OK, true
		case project.MarkRemoved:
			return th.Error, true
		case project.MarkChanged:
			return th.Warn, true
		}
		return th.Muted, true
	})
	return ui.FitLine(top, s.w) + "\n" + ui.FitLine(s.sumLine(), s.w) + "\n" + body
}

func (s *projDiffScreen) countsLine() string {
	th := s.env.Theme
	var parts []string
	if s.sum == nil {
		if s.sumErr != nil {
			parts = append(parts, th.Error.Render("✗ counts: "+ui.ErrText(s.sumErr)))
		} else {
			parts = append(parts, s.spin.View()+th.Muted.Render(" counting…"))
		}
	} else {
		parts = append(parts,
			th.OK.Render(fmt.Sprintf("+%s added", ui.FormatCount(s.sum.Added))),
			th.Error.Render(fmt.Sprintf("-%s removed", ui.FormatCount(s.sum.Removed))),
			th.Warn.Render(fmt.Sprintf("~%s changed", ui.FormatCount(s.sum.Changed))),
			th.Muted.Render(fmt.Sprintf("=%s same", ui.FormatCount(s.sum.Same))))
	}
	var rest []string
	if s.onlyDiff {
		rest = append(rest, "differences only (o)")
	}
	if s.filter != "" {
		rest = append(rest, "filter "+strconv.Quote(ui.Sanitize(s.filter)))
	}
	if s.loading {
		rest = append(rest, "loading…")
	}
	if s.err != nil {
		rest = append(rest, th.Error.Render("✗ "+ui.ErrText(s.err)))
	}
	line := " " + strings.Join(parts, "  ")
	if len(rest) > 0 {
		line += th.Muted.Render(" · ") + strings.Join(rest, th.Muted.Render(" · "))
	}
	return line
}

// sumLine names each side with its status, rows and checksum.
func (s *projDiffScreen) sumLine() string {
	th := s.env.Theme
	side := func(label string, m *project.Meta, rows int64, sum string) string {
		st := m.Status
		if m.Partial {
			st += ", PARTIAL"
		}
		out := label + " " + ui.Sanitize(m.ID) + " (" + st
		if s.sum != nil {
			out += ", " + plural(int(rows), "row")
		}
		out += ")"
		if sum != "" {
			out += " sha256 " + sum[:min(16, len(sum))]
		}
		return out
	}
	var ls, rs string
	var lr, rr int64
	if s.sum != nil {
		ls, rs, lr, rr = s.sum.LeftChecksum, s.sum.RightChecksum, s.sum.LeftRows, s.sum.RightRows
	}
	l, r := side("L", s.src.left.Meta, lr, ls), side("R", s.src.right.Meta, rr, rs)
	line := " " + l + "   " + r
	if s.sum != nil && s.sum.LeftChecksum == s.sum.RightChecksum {
		return th.OK.Render(line + "  identical")
	}
	return th.Muted.Render(line)
}
