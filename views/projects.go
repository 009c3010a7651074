package views

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/ui"
)

// projRefresh is how often the runs list and a run's details reload
// run.json (a run in progress rewrites it every 2s).
var projRefresh = time.Second

// Projections screen keys.
var (
	keyProjOpen = binding([]string{"enter"}, "enter", "run details")
	keyProjMark = binding([]string{"space", " "}, "space", "mark left/right")
	keyProjDiff = binding([]string{"d"}, "d", "side by side (marked runs, or marked + cursor)")
)

type (
	projListMsg struct {
		runs []*project.Meta
		err  error
	}
	projTickMsg struct {
		gen int
	}
	projRetryMsg struct{}
)

type projectsScreen struct {
	env     *Env
	ctx     context.Context
	cancel  context.CancelFunc
	table   *ui.Table
	spin    spinner.Model
	runs    []*project.Meta
	marks   []string // run ids marked, left first
	loaded  bool
	loading bool
	tickGen int
	err     error
	w, h    int
}

// NewProjections lists the projection runs in env.DataDir: name, status,
// progress, rows, partial flag. enter shows a run's details and progress;
// space marks runs (the first is the left side, the second the right) and d
// opens the side-by-side comparison.
func NewProjections(env *Env) ui.Screen {
	ctx, cancel := context.WithCancel(context.Background())
	s := &projectsScreen{env: env, ctx: ctx, cancel: cancel, spin: newSpinner(env)}
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "MARK", Width: 5},
		{Title: "RUN", MinWidth: 10, Flex: 2},
		{Title: "PROJECTION", MinWidth: 8, Flex: 1},
		{Title: "AGG", Width: 6},
		{Title: "STATUS", Width: 8},
		{Title: "PROGRESS", Width: 22},
		{Title: "ROWS", Width: 9, Right: true},
		{Title: "WINDOW", MinWidth: 8, Flex: 1},
	})
	s.table.SetEmpty("no projection runs (rewind project run SPEC)")
	s.apply()
	return s
}

func (s *projectsScreen) Title() string { return "projections" }

func (s *projectsScreen) Help() []key.Binding {
	return append([]key.Binding{keyProjOpen, keyProjMark, keyProjDiff, ui.Keys.Refresh}, ui.TableKeys()...)
}

func (s *projectsScreen) Close() { s.cancel() }

func (s *projectsScreen) Init() tea.Cmd { return tea.Batch(s.load(), s.spin.Tick) }

func (s *projectsScreen) Refresh() tea.Cmd {
	if s.loading {
		return nil
	}
	return s.load()
}

func (s *projectsScreen) load() tea.Cmd {
	s.loading = true
	s.tickGen++
	dir := s.env.DataDir
	return func() tea.Msg {
		runs, err := project.ListRuns(dir)
		return projListMsg{runs: runs, err: err}
	}
}

// Back clears the marks before esc leaves.
func (s *projectsScreen) Back() (bool, tea.Cmd) {
	if len(s.marks) > 0 {
		s.marks = nil
		s.apply()
		return true, nil
	}
	return false, nil
}

func (s *projectsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case projListMsg:
		s.loading = false
		next := tickCmd(s.ctx, projRefresh, projTickMsg{gen: s.tickGen})
		if msg.err != nil {
			first := s.err == nil
			s.err = msg.err
			if !first {
				return s, next
			}
			return s, tea.Batch(next, func() tea.Msg {
				return ui.ErrMsg{Err: msg.err, Retry: func() tea.Msg { return projRetryMsg{} }}
			})
		}
		var clr tea.Cmd
		if s.err != nil {
			clr = ui.ClearErr()
		}
		s.err = nil
		s.loaded = true
		keep := s.selectedID()
		s.runs = msg.runs
		s.apply()
		for i, m := range s.runs {
			if m.ID == keep {
				s.table.SetCursor(i)
			}
		}
		return s, tea.Batch(clr, next)
	case projTickMsg:
		if msg.gen != s.tickGen || s.loading {
			return s, nil
		}
		return s, s.load()
	case projRetryMsg:
		return s, s.Refresh()
	case spinner.TickMsg:
		if s.loaded {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *projectsScreen) selectedID() string {
	if len(s.runs) == 0 {
		return ""
	}
	return s.runs[s.table.Cursor()].ID
}

func (s *projectsScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyProjOpen):
		if id := s.selectedID(); id != "" {
			return ui.Push(NewProjectionRun(s.env, id))
		}
	case key.Matches(msg, keyProjMark) || msg.String() == "space":
		id := s.selectedID()
		if id == "" {
			return nil
		}
		if i := indexOf(s.marks, id); i >= 0 {
			s.marks = append(s.marks[:i], s.marks[i+1:]...)
		} else {
			if len(s.marks) == 2 {
				s.marks = s.marks[1:] // the older right becomes the left
			}
			s.marks = append(s.marks, id)
		}
		s.apply()
		s.table.MoveDown(1)
	case key.Matches(msg, keyProjDiff):
		var a, b string
		switch {
		case len(s.marks) == 2:
			a, b = s.marks[0], s.marks[1]
		case len(s.marks) == 1 && s.selectedID() != "" && s.selectedID() != s.marks[0]:
			a, b = s.marks[0], s.selectedID()
		default:
			return ui.Toast("mark the left run with space, then press d on the right one")
		}
		return ui.Push(NewProjectionDiff(s.env, s.env.DataDir, a, b))
	default:
		s.table.HandleKey(msg)
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func (s *projectsScreen) apply() {
	runs, marks := s.runs, s.marks
	s.table.SetRows(len(runs), func(i int) []string {
		m := runs[i]
		mark := ""
		switch indexOf(marks, m.ID) {
		case 0:
			mark = "L"
		case 1:
			mark = "R"
		}
		rows := "-"
		if m.Progress != nil {
			rows = ui.FormatCount(m.Progress.Rows)
		}
		win := "from " + m.From + " until " + m.Until
		if m.Partial {
			win = "PARTIAL · " + win
		}
		return []string{mark, ui.Sanitize(m.ID), ui.Sanitize(m.Name), m.Aggregate, m.Status, progressCell(m, 10), rows, ui.Sanitize(win)}
	})
}

// progressCell is "████░░░░░░  42%" (or done/total for a live run).
func progressCell(m *project.Meta, width int) string {
	p := m.Progress
	if p == nil {
		return "-"
	}
	if p.Total <= 0 {
		if m.Status == project.StatusDone {
			return bar(1, width) + " 100%"
		}
		return ui.FormatCount(p.Done) + " records"
	}
	f := float64(p.Done) / float64(p.Total)
	return bar(f, width) + fmt.Sprintf(" %3.0f%%", 100*f)
}

func bar(f float64, width int) string {
	f = max(0, min(1, f))
	n := int(f*float64(width) + 0.5)
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

func (s *projectsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(0, h-1))
}

func (s *projectsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		if s.err != nil {
			return centered(th.Error.Render("✗ "+errText(s.err))+"\n"+th.Muted.Render("press R to retry"), s.w, s.h)
		}
		return centered(s.spin.View()+" loading projection runs…", s.w, s.h)
	}
	line := " " + plural(len(s.runs), "run") + " in " + ui.Sanitize(project.RunsDir(s.env.DataDir))
	switch len(s.marks) {
	case 0:
		line += " · space marks the left run"
	case 1:
		line += " · left " + ui.Sanitize(s.marks[0]) + " · space or d on the right run"
	case 2:
		line += " · " + ui.Sanitize(s.marks[0]) + " ⇄ " + ui.Sanitize(s.marks[1]) + " · d compares"
	}
	top := th.Muted.Render(line)
	if s.err != nil {
		top += "  " + th.Error.Render("✗ "+errText(s.err))
	}
	return fitLine(top, s.w) + "\n" + s.table.View()
}

// runScreen shows one run's details and progress, reloading run.json (and,
// when the store is free or shared in this process, the live checkpoint).
type runScreen struct {
	env     *Env
	run     string
	ctx     context.Context
	cancel  context.CancelFunc
	spin    spinner.Model
	m       *project.Meta
	loading bool
	tickGen int
	err     error
	w, h    int
}

type runLoadedMsg struct {
	m   *project.Meta
	err error
}

// NewProjectionRun shows a run: spec, window, status, counters, and a
// progress bar per partition, refreshed every second while it runs.
func NewProjectionRun(env *Env, run string) ui.Screen {
	ctx, cancel := context.WithCancel(context.Background())
	return &runScreen{env: env, run: run, ctx: ctx, cancel: cancel, spin: newSpinner(env)}
}

func (s *runScreen) Title() string       { return ui.Sanitize(s.run) }
func (s *runScreen) Help() []key.Binding { return []key.Binding{ui.Keys.Refresh} }
func (s *runScreen) Close()              { s.cancel() }
func (s *runScreen) Init() tea.Cmd       { return tea.Batch(s.load(), s.spin.Tick) }
func (s *runScreen) SetSize(w, h int)    { s.w, s.h = w, h }
func (s *runScreen) Refresh() tea.Cmd {
	if s.loading {
		return nil
	}
	return s.load()
}

func (s *runScreen) load() tea.Cmd {
	s.loading = true
	s.tickGen++
	dir, run := s.env.DataDir, s.run
	return func() tea.Msg {
		m, err := project.LoadMeta(dir, run)
		return runLoadedMsg{m: m, err: err}
	}
}

func (s *runScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case runLoadedMsg:
		s.loading = false
		s.err = msg.err
		if msg.m != nil {
			s.m = msg.m
		}
		var next tea.Cmd
		if s.m == nil || s.m.Status == project.StatusRunning {
			next = tickCmd(s.ctx, projRefresh, projTickMsg{gen: s.tickGen})
		}
		return s, next
	case projTickMsg:
		if msg.gen == s.tickGen && !s.loading {
			return s, s.load()
		}
	case spinner.TickMsg:
		if s.m != nil {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd
	}
	return s, nil
}

func (s *runScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if s.m == nil {
		if s.err != nil {
			return centered(th.Error.Render("✗ "+errText(s.err)), s.w, s.h)
		}
		return centered(s.spin.View()+" loading run…", s.w, s.h)
	}
	m := s.m
	kv := func(k, v string) string { return " " + th.Muted.Render(fmt.Sprintf("%-10s", k)) + v }
	lines := []string{
		kv("run", ui.Sanitize(m.ID)),
		kv("name", ui.Sanitize(m.Name)+" ("+m.Aggregate+")"),
		kv("spec", ui.Sanitize(m.SpecFile)),
		kv("topics", ui.Sanitize(strings.Join(m.Topics, ", "))),
		kv("group", ui.Sanitize(m.Group)),
		kv("window", ui.Sanitize("from "+m.From+" until "+m.Until)),
	}
	st := m.Status
	if m.Partial {
		st += "  " + th.Warn.Render("PARTIAL window (retention deleted part of it)")
	}
	lines = append(lines, kv("status", st))
	if m.Error != "" {
		lines = append(lines, kv("error", th.Error.Render(ui.Sanitize(m.Error))))
	}
	if p := m.Progress; p != nil {
		eta := "-"
		if p.ETA > 0 {
			eta = ui.FormatAge(p.ETA)
		}
		lines = append(lines,
			kv("progress", progressCell(m, 30)+fmt.Sprintf("  %s / %s records · %s rec/s · ETA %s",
				ui.FormatCount(p.Done), ui.FormatCount(p.Total), ui.FormatCount(int64(p.Rate)), eta)),
			kv("rows", ui.FormatCount(p.Rows)),
			kv("records", fmt.Sprintf("%d consumed, %d applied, %d filtered, %d tombstones, %d not JSON, %d errors",
				p.Stats.Records, p.Stats.Applied, p.Stats.Filtered, p.Stats.Tombstones, p.Stats.Invalid, p.Stats.Errors)))
		if p.Stats.FirstError != "" {
			lines = append(lines, kv("1st error", ui.Sanitize(p.Stats.FirstError)))
		}
		lines = append(lines, "", th.Header.Render(" PARTITION            PROGRESS                          DONE / TOTAL"))
		for _, pp := range p.Partitions {
			f := 1.0
			if pp.Total > 0 {
				f = float64(pp.Done) / float64(pp.Total)
			}
			lines = append(lines, fmt.Sprintf(" %-20s %s %3.0f%%  %s / %s",
				ui.PreviewString(fmt.Sprintf("%s/%d", pp.Topic, pp.Partition), 20), bar(f, 24), 100*f,
				ui.FormatCount(pp.Done), ui.FormatCount(pp.Total)))
		}
	}
	if s.err != nil {
		lines = append(lines, "", th.Error.Render("✗ "+errText(s.err)))
	}
	return joinLines(lines, s.w, s.h)
}
