package views

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/ui"
)

// projRefresh is how often the runs list and a run's details reload
// run.json (a run in progress rewrites it every 2s).
var projRefresh = time.Second

// Projections screen keys.
var (
	keyProjOpen   = binding([]string{"enter"}, "enter", "run details")
	keyProjMark   = binding([]string{"space", " "}, "space", "mark left/right")
	keyProjDiff   = binding([]string{"d"}, "d", "side by side (marked runs, or marked + cursor)")
	keyProjStart  = binding([]string{"n"}, "n", "start a run (spec, start position)")
	keyProjResume = binding([]string{"c"}, "c", "continue (resume) an interrupted run")
)

type projectsScreen struct {
	*ui.ListScreen[*project.Meta]
	env   *Env
	marks []string // run ids marked, left first
}

// NewProjections lists the projection runs in env.DataDir: name, status,
// progress, rows, partial flag. enter shows a run's details and progress;
// space marks runs (the first is the left side, the second the right) and d
// opens the side-by-side comparison.
func NewProjections(env *Env) ui.Screen {
	s := &projectsScreen{env: env}
	fetch := func(context.Context) ([]*project.Meta, error) { return project.ListRuns(env.DataDir) }
	s.ListScreen = ui.NewListScreen(env.Theme, fetch, ui.ListScreenSpec[*project.Meta]{
		ListSpec: ui.ListSpec[*project.Meta]{
			Columns: func(int) []ui.Column {
				return []ui.Column{
					{Title: "MARK", Width: 5},
					{Title: "RUN", MinWidth: 10, Flex: 2},
					{Title: "PROJECTION", MinWidth: 8, Flex: 1},
					{Title: "AGG", Width: 6},
					{Title: "STATUS", Width: 8},
					{Title: "PROGRESS", Width: 22},
					{Title: "ROWS", Width: 9, Right: true},
					{Title: "WINDOW", MinWidth: 8, Flex: 1},
				}
			},
			Cells: s.cells,
			Key:   func(m *project.Meta) string { return m.ID },
			Empty: func(string) string { return "no projection runs (n: start one, or rewind project run SPEC)" },
		},
		Loading: "loading projection runs…",
		Every:   projRefresh,
		Summary: s.summary,
		Keys:    s.keys,
	})
	return s
}

func (s *projectsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *projectsScreen) Title() string { return "projections" }

func (s *projectsScreen) Help() []key.Binding {
	return append([]key.Binding{keyProjOpen, keyProjMark, keyProjDiff, keyProjStart, keyProjResume}, ui.TableKeys()...)
}

// Back clears the marks before esc leaves.
func (s *projectsScreen) Back() (bool, tea.Cmd) {
	if len(s.marks) > 0 {
		s.marks = nil
		s.Apply()
		return true, nil
	}
	return false, nil
}

func (s *projectsScreen) selectedID() string {
	if m, ok := s.Selected(); ok {
		return m.ID
	}
	return ""
}

func (s *projectsScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, keyProjOpen):
		if id := s.selectedID(); id != "" {
			return ui.Push(NewProjectionRun(s.env, id)), true
		}
	case key.Matches(msg, keyProjStart):
		return ui.Push(NewProjectionStart(s.env)), true
	case key.Matches(msg, keyProjResume):
		if id := s.selectedID(); id != "" {
			return ui.Push(NewProjectionResume(s.env, id)), true
		}
	case key.Matches(msg, keyProjMark) || msg.String() == "space":
		id := s.selectedID()
		if id == "" {
			return nil, true
		}
		if i := slices.Index(s.marks, id); i >= 0 {
			s.marks = slices.Delete(s.marks, i, i+1)
		} else {
			if len(s.marks) == 2 {
				s.marks = s.marks[1:] // the older right becomes the left
			}
			s.marks = append(s.marks, id)
		}
		s.Apply()
		s.Table().MoveDown(1)
	case key.Matches(msg, keyProjDiff):
		var a, b string
		switch {
		case len(s.marks) == 2:
			a, b = s.marks[0], s.marks[1]
		case len(s.marks) == 1 && s.selectedID() != "" && s.selectedID() != s.marks[0]:
			a, b = s.marks[0], s.selectedID()
		default:
			return ui.Toast("mark the left run with space, then press d on the right one"), true
		}
		return ui.Push(NewProjectionDiff(s.env, s.env.DataDir, a, b)), true
	default:
		return nil, false
	}
	return nil, true
}

func (s *projectsScreen) cells(m *project.Meta) []string {
	mark := ""
	switch slices.Index(s.marks, m.ID) {
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
}

func (s *projectsScreen) summary() string {
	line := " " + plural(len(s.Items()), "run") + " in " + ui.Sanitize(project.RunsDir(s.env.DataDir))
	switch len(s.marks) {
	case 0:
		line += " · space marks the left run"
	case 1:
		line += " · left " + ui.Sanitize(s.marks[0]) + " · space or d on the right run"
	case 2:
		line += " · " + ui.Sanitize(s.marks[0]) + " ⇄ " + ui.Sanitize(s.marks[1]) + " · d compares"
	}
	return s.env.Theme.Muted.Render(line)
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

// runScreen shows one run's details and progress, reloading run.json (and,
// when the store is free or shared in this process, the live checkpoint)
// while it runs.
type runScreen struct {
	env  *Env
	run  string
	load *ui.Loader[*project.Meta]
	m    *project.Meta
	w, h int
}

// NewProjectionRun shows a run: spec, window, status, counters, and a
// progress bar per partition, refreshed every second while it runs.
func NewProjectionRun(env *Env, run string) ui.Screen {
	s := &runScreen{env: env, run: run}
	s.load = ui.NewLoader(env.Theme, ui.LoaderSpec[*project.Meta]{
		Fetch: func(context.Context) (*project.Meta, error) { return project.LoadMeta(env.DataDir, run) },
		Apply: func(m *project.Meta) {
			s.m = m
			if m.Status != project.StatusRunning {
				s.load.SetEvery(0) // it will not change any more
			}
		},
		What:  "run " + run,
		Every: projRefresh,
	})
	return s
}

func (s *runScreen) Title() string       { return ui.Sanitize(s.run) }
func (s *runScreen) Help() []key.Binding { return []key.Binding{ui.Keys.Refresh} }
func (s *runScreen) Close()              { s.load.Close() }
func (s *runScreen) Init() tea.Cmd       { return s.load.Start() }
func (s *runScreen) SetSize(w, h int)    { s.w, s.h = w, h }
func (s *runScreen) Refresh() tea.Cmd    { return s.load.Refresh() }

func (s *runScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	cmd, _ := s.load.Update(msg)
	return s, cmd
}

func (s *runScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if s.m == nil {
		return s.load.Placeholder(s.w, s.h, "loading run…")
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
	if err := s.load.Err(); err != nil {
		lines = append(lines, "", th.Error.Render("✗ "+ui.ErrText(err)))
	}
	return ui.JoinLines(lines, s.w, s.h)
}
