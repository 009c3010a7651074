package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The reprocessing flow, opened from the group screen: choose a scenario
// (replaying beside the live group is the default; resetting the live
// group is the other mode), review the plan, answer the guards, execute,
// then follow the replay side by side with the live group.
//
// Every cluster call and file write runs in a tea.Cmd; the guards are
// package replay's, so the TUI cannot do what the CLI refuses.

// Reset screen keys.
var (
	keyResetMode    = binding([]string{"m"}, "m", "mode: replay beside / reset live group")
	keyResetScope   = binding([]string{"t"}, "t", "topics (scope)")
	keyResetPartial = binding([]string{"p"}, "p", "allow a partial window")
	keyResetChoose  = binding([]string{"enter"}, "enter", "choose / execute")
)

const (
	modeReplay = "replay"
	modeReset  = "reset"
)

type resetStep int

const (
	stepChoose resetStep = iota
	stepPlan
	stepDone
)

// What the prompt is asking.
const (
	askArg        = "arg"
	askScope      = "scope"
	askSkip       = "skip"
	askIdempotent = "idempotent"
	askConfirm    = "confirm"
	askName       = "name"
)

var kindHelp = map[replay.Kind]string{
	replay.ToEarliest: "the log start of each partition",
	replay.ToLatest:   "the end (high watermark)",
	replay.ToOffset:   "an offset, clamped to [log start, end]",
	replay.ShiftBy:    "the committed offset + N (negative re-reads)",
	replay.ToDatetime: "the first record at or after a time (RFC3339, UTC if no zone)",
	replay.ByDuration: "the first record at or after now - D (PT1H, 90m)",
	replay.ToGroup:    "another group's committed offsets",
	replay.FromFile:   "a CSV of topic,partition,offset",
}

var kindPrompt = map[replay.Kind][2]string{
	replay.ToOffset:   {"offset:", "N"},
	replay.ShiftBy:    {"shift by:", "-100 or 50"},
	replay.ToDatetime: {"time:", "2026-09-01T12:00:00Z"},
	replay.ByDuration: {"duration back:", "PT1H, 90m"},
	replay.ToGroup:    {"group:", "other group"},
	replay.FromFile:   {"CSV file:", "/path/plan.csv"},
}

type resetPlanMsg struct {
	plan *replay.Plan
	err  error
}

type resetDoneMsg struct {
	entry *replay.AuditEntry
	rp    *replay.Replay
	err   error
}

type resetScreen struct {
	env   *Env
	dir   string
	group string

	step    resetStep
	mode    string
	kindIdx int
	scen    replay.Scenario
	scope   replay.Scope
	partial bool

	prompt ui.Prompt
	asking string

	plan  *replay.Plan
	table *ui.Table
	conf  replay.Confirmations
	name  string

	busy    bool
	spin    spinner.Model
	err     error
	message string // result or refusal, shown under the plan
	ok      bool

	w, h int
}

// NewReset opens the reprocessing flow for group. dataDir holds the audit
// trail and the replay metadata (the embedded log's data dir, or
// --data-dir / the default one for remote clusters).
func NewReset(env *Env, dataDir, group string) ui.Screen {
	s := &resetScreen{env: env, dir: dataDir, group: group, mode: modeReplay,
		scope: replay.Scope{AllTopics: true}, prompt: ui.NewPrompt(env.Theme), spin: newSpinner(env)}
	s.table = ui.NewTable(env.Theme, nil)
	s.table.SetEmpty("no partitions")
	s.layout()
	return s
}

func (s *resetScreen) Title() string { return "reprocess" }

func (s *resetScreen) Help() []key.Binding {
	if s.step == stepChoose {
		return []key.Binding{keyResetChoose, keyResetMode, keyResetScope, keyResetPartial, ui.Keys.Up, ui.Keys.Down, ui.Keys.Back}
	}
	return append([]key.Binding{keyResetChoose, keyResetPartial, ui.Keys.Back}, ui.TableKeys()...)
}

func (s *resetScreen) Init() tea.Cmd { return nil }

// CapturingInput: the prompt owns the keyboard while open.
func (s *resetScreen) CapturingInput() bool { return s.prompt.Active() }

// Back steps back through the flow before the screen closes.
func (s *resetScreen) Back() (bool, tea.Cmd) {
	if s.step == stepChoose {
		return false, nil
	}
	s.step, s.plan, s.message, s.busy = stepChoose, nil, "", false
	return true, nil
}

func (s *resetScreen) kind() replay.Kind { return replay.Kinds[s.kindIdx] }

func (s *resetScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resetPlanMsg:
		s.busy = false
		if msg.err != nil {
			s.err = msg.err
			return s, nil
		}
		s.err, s.plan, s.step, s.message, s.ok = nil, msg.plan, stepPlan, "", false
		s.layout()
		s.setRows()
		return s, nil

	case resetDoneMsg:
		s.busy = false
		if msg.err != nil {
			s.ok, s.message = false, "✗ "+ui.ErrText(msg.err)
			return s, nil
		}
		s.ok, s.step = true, stepDone
		if msg.rp != nil {
			s.message = fmt.Sprintf("✓ created replay group %s%s; live group %s was not touched. Run your application with group.id=%s.",
				ui.Sanitize(msg.rp.Name), partialNote(msg.rp.Partial), ui.Sanitize(s.group), ui.Sanitize(msg.rp.Name))
			return s, ui.Push(NewReplayStatus(s.env, s.dir, msg.rp.Name))
		}
		s.message = fmt.Sprintf("✓ wrote the offsets of group %s on %d partition(s)%s; audited in %s",
			ui.Sanitize(s.group), len(s.plan.Partitions), partialNote(s.plan.Partial), replay.AuditFile)
		return s, nil

	case spinner.TickMsg:
		if !s.busy {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd

	case tea.MouseWheelMsg:
		if s.step != stepChoose {
			s.table.HandleMouse(msg)
		}
		return s, nil

	case tea.PasteMsg:
		if s.prompt.Active() {
			s.prompt.Update(msg)
		}
		return s, nil

	case tea.KeyPressMsg:
		if s.prompt.Active() {
			ev, cmd := s.prompt.Update(msg)
			if ev == ui.PromptSubmitted {
				return s, tea.Batch(cmd, s.answered(s.prompt.Value()))
			}
			return s, cmd
		}
		if s.busy {
			return s, nil
		}
		if s.step == stepChoose {
			return s, s.keyChoose(msg)
		}
		return s, s.keyPlan(msg)
	}
	return s, nil
}

func (s *resetScreen) keyChoose(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, ui.Keys.Up):
		s.kindIdx = max(0, s.kindIdx-1)
	case key.Matches(msg, ui.Keys.Down):
		s.kindIdx = min(len(replay.Kinds)-1, s.kindIdx+1)
	case key.Matches(msg, keyResetMode):
		if s.mode == modeReplay {
			s.mode = modeReset
		} else {
			s.mode = modeReplay
		}
	case key.Matches(msg, keyResetPartial):
		s.partial = !s.partial
	case key.Matches(msg, keyResetScope):
		s.ask(askScope, "topics:", "TOPIC[:P,...] ... (empty: every partition with a commit)", s.scopeText(), func(v string) error {
			_, err := parseScopeText(v)
			return err
		})
	case key.Matches(msg, keyResetChoose):
		k := s.kind()
		if p, ok := kindPrompt[k]; ok {
			s.ask(askArg, p[0], p[1], "", func(v string) error {
				_, err := replay.ParseScenario(k, v, s.env.now())
				return err
			})
			return nil
		}
		sc, err := replay.ParseScenario(k, "", s.env.now())
		if err != nil {
			s.err = err
			return nil
		}
		s.scen = sc
		return s.buildPlan()
	}
	return nil
}

func (s *resetScreen) keyPlan(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyResetPartial):
		if s.step == stepPlan {
			s.partial = !s.partial
			return s.buildPlan()
		}
	case key.Matches(msg, keyResetChoose):
		if s.step != stepPlan || s.plan == nil {
			return nil
		}
		if r := s.plan.WindowRefusal(); r != nil {
			s.ok, s.message = false, fmt.Sprintf("✗ refused: the window expired on %d partition(s) — press p to replay what is left (PARTIAL)", len(s.plan.Expired()))
			return nil
		}
		if s.mode == modeReplay {
			s.ask(askName, "replay group name:", "", s.plan.Target, func(v string) error {
				if strings.TrimSpace(v) == "" {
					return fmt.Errorf("a name is required")
				}
				return nil
			})
			return nil
		}
		if s.plan.GroupMembers > 0 || (s.plan.GroupState != "Empty" && s.plan.GroupState != "Dead") {
			s.ok, s.message = false, fmt.Sprintf("✗ refused: group %s is active: state %s, %d member(s); stop its consumers first",
				ui.Sanitize(s.group), ui.Sanitize(s.plan.GroupState), s.plan.GroupMembers)
			return nil
		}
		s.conf = replay.Confirmations{}
		// A forward reset is its own question, before idempotency.
		if s.plan.SkipWarning() != "" {
			label := fmt.Sprintf("%s records will never be processed by %s: type skip:", ui.FormatCount(s.plan.Skip), ui.Sanitize(s.group))
			s.ask(askSkip, label, "skip", "", func(v string) error {
				if strings.TrimSpace(v) != "skip" {
					return fmt.Errorf("type skip to accept that these records are never processed (esc: back)")
				}
				return nil
			})
			return nil
		}
		s.askIdempotent()
	default:
		s.table.HandleKey(msg)
	}
	return nil
}

func (s *resetScreen) askIdempotent() {
	s.ask(askIdempotent, fmt.Sprintf("is the sink of group %s idempotent? (yes/no)", ui.Sanitize(s.group)), "yes or no", "", func(v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes", "no":
			return nil
		}
		return fmt.Errorf("answer yes or no (unknown is refused)")
	})
}

func (s *resetScreen) ask(what, label, placeholder, value string, validate func(string) error) {
	s.asking = what
	s.prompt.Validate = validate
	s.prompt.OpenWith(label, placeholder, value)
	s.prompt.SetWidth(s.w)
}

// answered acts on a submitted prompt.
func (s *resetScreen) answered(v string) tea.Cmd {
	switch s.asking {
	case askArg:
		sc, err := replay.ParseScenario(s.kind(), v, s.env.now())
		if err != nil {
			s.err = err
			return nil
		}
		s.scen = sc
		return s.buildPlan()
	case askScope:
		sc, err := parseScopeText(v)
		if err != nil {
			s.err = err
			return nil
		}
		s.scope = sc
	case askName:
		s.name = strings.TrimSpace(v)
		return s.execute()
	case askSkip:
		s.conf.AcceptSkip = true
		s.askIdempotent()
		return nil
	case askIdempotent:
		s.conf.SinkIdempotent = strings.ToLower(strings.TrimSpace(v))
		if s.conf.SinkIdempotent == "no" {
			g := s.group
			s.ask(askConfirm, "not idempotent: its records are processed again. Type the group name to confirm:", g, "", func(v string) error {
				if v != g {
					return fmt.Errorf("does not match the group name")
				}
				return nil
			})
			return nil
		}
		return s.execute()
	case askConfirm:
		s.conf.Confirm = v
		return s.execute()
	}
	return nil
}

func (s *resetScreen) scopeText() string {
	if s.scope.AllTopics {
		return ""
	}
	return s.scope.String()
}

func parseScopeText(v string) (replay.Scope, error) {
	f := strings.Fields(v)
	return replay.ParseScope(f, len(f) == 0)
}

func (s *resetScreen) buildPlan() tea.Cmd {
	s.busy, s.err, s.message = true, nil, ""
	c, now := s.env.Cluster, s.env.now()
	req := replay.Request{Kind: replay.PlanReset, Group: s.group, Scope: s.scope, Scenario: s.scen, AllowPartial: s.partial}
	if s.mode == modeReplay {
		req.Kind, req.Target = replay.PlanReplay, replay.DefaultReplayName(s.group, now)
	}
	if req.Scenario.Kind == replay.FromFile && req.Scope.AllTopics {
		req.Scope = replay.Scope{} // the file names the partitions
	}
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		p, err := replay.BuildPlan(context.Background(), c, req, now)
		return resetPlanMsg{plan: p, err: err}
	})
}

func (s *resetScreen) execute() tea.Cmd {
	s.busy, s.message = true, ""
	c, p, conf := s.env.Cluster, s.plan, s.conf
	env := replay.Env{DataDir: s.dir, Now: s.env.Now}
	if s.mode == modeReplay {
		cp := *p
		cp.Target = s.name
		return tea.Batch(s.spin.Tick, func() tea.Msg {
			r, e, err := replay.StartReplay(context.Background(), c, env, &cp)
			return resetDoneMsg{entry: e, rp: r, err: err}
		})
	}
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		e, err := replay.ExecuteReset(context.Background(), c, env, p, conf)
		return resetDoneMsg{entry: e, err: err}
	})
}

func partialNote(partial bool) string {
	if partial {
		return " (PARTIAL: retention had cut the window short)"
	}
	return ""
}

func (s *resetScreen) setRows() {
	p := s.plan
	s.table.SetRows(len(p.Partitions), func(i int) []string {
		pp := p.Partitions[i]
		delta := "-"
		if pp.Delta != nil {
			delta = strconv.FormatInt(*pp.Delta, 10)
			if *pp.Delta > 0 {
				delta = "+" + delta
			}
		}
		cur := "-"
		if pp.Current >= 0 {
			cur = ui.FormatCount(pp.Current)
		}
		return []string{ui.Sanitize(pp.Topic), strconv.Itoa(int(pp.Partition)), cur, ui.FormatCount(pp.Target),
			ui.FormatCount(pp.LogStart), ui.FormatCount(pp.HighWatermark), delta, ui.FormatCount(pp.Reread),
			ui.FormatCount(pp.Skip), shortFlags(pp.Flags)}
	})
}

// shortFlags fits the plan flags in a table cell; the notes under the
// table explain them in full.
func shortFlags(flags []string) string {
	short := map[string]string{
		replay.FlagClampedStart:  "clamped-start",
		replay.FlagClampedEnd:    "clamped-end",
		replay.FlagTimestampMiss: "no-record-after-time",
		replay.FlagWindowExpired: "EXPIRED",
		replay.FlagPartial:       "PARTIAL",
	}
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = short[f]
		if out[i] == "" {
			out[i] = f
		}
	}
	return strings.Join(out, ",")
}

func (s *resetScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.prompt.SetWidth(w)
	s.layout()
}

func (s *resetScreen) layout() {
	cur := "CURRENT"
	if s.mode == modeReplay {
		cur = "LIVE"
	}
	s.table.SetColumns([]ui.Column{
		{Title: "TOPIC", MinWidth: 8, Flex: 1},
		{Title: "P", Width: 3, Right: true},
		{Title: cur, Width: 9, Right: true},
		{Title: "TARGET", Width: 9, Right: true},
		{Title: "LOG START", Width: 9, Right: true},
		{Title: "HIGH WM", Width: 9, Right: true},
		{Title: "DELTA", Width: 8, Right: true},
		{Title: "RE-READ", Width: 8, Right: true},
		{Title: "SKIP", Width: 8, Right: true},
		{Title: "FLAGS", MinWidth: 6, Flex: 3},
	})
	s.table.SetSize(s.w, max(3, s.tableHeight()))
}

// tableHeight leaves room for the header, notes and guards.
func (s *resetScreen) tableHeight() int {
	extra := 3 // header, partial/blank, prompt/message
	if s.plan != nil {
		extra += 1 + len(s.plan.Guards(&s.conf)) + min(len(s.notes()), 4)
	}
	return min(s.h-extra, 1+max(1, s.table.Len()))
}

func (s *resetScreen) notes() []string {
	if s.plan == nil {
		return nil
	}
	var out []string
	for _, pp := range s.plan.Partitions {
		if pp.Note != "" {
			out = append(out, fmt.Sprintf("%s/%d: %s", ui.Sanitize(pp.Topic), pp.Partition, ui.Sanitize(pp.Note)))
		}
	}
	return out
}

func (s *resetScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	if s.step == stepChoose {
		return s.viewChoose()
	}
	return s.viewPlan()
}

func (s *resetScreen) viewChoose() string {
	th := s.env.Theme
	var lines []string
	lines = append(lines, th.Title.Render("Reprocess group "+ui.Sanitize(s.group)))
	mode := th.OK.Render("replay beside the live group") + th.Muted.Render(" (default; live group untouched)")
	if s.mode == modeReset {
		mode = th.Warn.Render("reset the live group's offsets") + th.Muted.Render(" (guarded)")
	}
	lines = append(lines, "mode   "+mode+th.Muted.Render("   m: switch"))
	scope := "every partition the group has a commit on"
	if !s.scope.AllTopics {
		scope = ui.Sanitize(s.scope.String())
	}
	lines = append(lines, "scope  "+scope+th.Muted.Render("   t: change"))
	partial := "no (a window retention cut short is refused)"
	if s.partial {
		partial = th.Warn.Render("yes: replay what is left, labelled PARTIAL")
	}
	lines = append(lines, "partial "+partial+th.Muted.Render("   p: toggle"), "", th.Header.Render("scenario"))
	for i, k := range replay.Kinds {
		row := fmt.Sprintf("  %-12s %s", k, kindHelp[k])
		if i == s.kindIdx {
			row = th.SelectedRow.Render(ui.FitLine("> "+row[2:], s.w))
		}
		lines = append(lines, row)
	}
	lines = append(lines, "")
	switch {
	case s.prompt.Active():
		lines = append(lines, s.prompt.View())
	case s.busy:
		lines = append(lines, s.spin.View()+" planning…")
	case s.err != nil:
		lines = append(lines, th.Error.Render("✗ "+ui.ErrText(s.err)))
	default:
		lines = append(lines, th.Muted.Render("enter: plan (a dry run; nothing is written before you confirm)"))
	}
	return ui.JoinLines(lines, s.w, s.h)
}

func (s *resetScreen) viewPlan() string {
	th := s.env.Theme
	p := s.plan
	head := fmt.Sprintf("Reset plan for group %s · %s · group %s, %d member(s) (%s)", ui.Sanitize(p.Group), ui.Sanitize(p.ScenarioText),
		ui.Sanitize(p.GroupState), p.GroupMembers, replay.ProtocolName(p.GroupProtocol))
	if p.Kind == replay.PlanReplay {
		head = fmt.Sprintf("Replay plan: new group beside live group %s · %s · live group %s, %d member(s)", ui.Sanitize(p.Group),
			ui.Sanitize(p.ScenarioText), ui.Sanitize(p.GroupState), p.GroupMembers)
	}
	lines := []string{th.Title.Render(ui.FitLine(head, s.w))}
	if p.Partial {
		lines = append(lines, th.Warn.Render(fmt.Sprintf("PARTIAL: %d partition(s) replay only what retention left", len(p.Expired()))))
	} else {
		lines = append(lines, th.Muted.Render(fmt.Sprintf("re-read %s · skip %s · to read %s records · a dry run: nothing written yet",
			ui.FormatCount(p.Reread), ui.FormatCount(p.Skip), ui.FormatCount(p.Window))))
	}
	s.table.SetSize(s.w, max(3, s.tableHeight()))
	lines = append(lines, strings.Split(s.table.View(), "\n")...)
	notes := s.notes()
	for i, n := range notes {
		if i == 3 && len(notes) > 4 {
			lines = append(lines, th.Muted.Render(fmt.Sprintf("  … %d more notes", len(notes)-3)))
			break
		}
		lines = append(lines, th.Warn.Render("  "+n))
	}
	for _, g := range p.Guards(&s.conf) {
		mark, st := "✓", th.OK
		switch g.State {
		case replay.GuardRefused:
			mark, st = "✗", th.Error
		case replay.GuardNeeded:
			mark, st = "?", th.Warn
		}
		lines = append(lines, st.Render(mark+" "+g.Name)+"  "+ui.Sanitize(g.Message))
	}
	switch {
	case s.prompt.Active():
		lines = append(lines, s.prompt.View())
	case s.busy:
		lines = append(lines, s.spin.View()+" working…")
	case s.message != "" && s.ok:
		lines = append(lines, th.OK.Render(s.message))
	case s.message != "":
		lines = append(lines, th.Error.Render(s.message))
	case s.err != nil:
		lines = append(lines, th.Error.Render("✗ "+ui.ErrText(s.err)))
	default:
		verb := "create the replay group"
		if p.Kind == replay.PlanReset {
			verb = "answer the guards and write"
		}
		lines = append(lines, th.Muted.Render("enter: "+verb+" · p: toggle partial · esc: back"))
	}
	return ui.JoinLines(lines, s.w, s.h)
}

// Replay status screen: the replay beside its live group.

var keyReplayRefresh = binding([]string{"ctrl+r"}, "ctrl+r", "refresh now")

// replayPollEvery is the status poll period of the replay screen.
var replayPollEvery = time.Second

type replayStatusMsg struct {
	r   *replay.Replay
	st  *replay.Status
	err error
}

type replayTickMsg struct{}

type replayStatusScreen struct {
	env   *Env
	dir   string
	name  string
	ctx   context.Context
	stop  context.CancelFunc
	table *ui.Table
	spin  spinner.Model
	tr    replay.Tracker

	r       *replay.Replay
	st      *replay.Status
	err     error
	loading bool
	caught  time.Time // when "caught up" was first seen

	w, h int
}

// NewReplayStatus follows a replay beside its live group: both groups'
// lag, the replay's progress through its window, rate, ETA and the moment
// it catches up.
func NewReplayStatus(env *Env, dataDir, name string) ui.Screen {
	ctx, cancel := context.WithCancel(context.Background())
	s := &replayStatusScreen{env: env, dir: dataDir, name: name, ctx: ctx, stop: cancel, spin: newSpinner(env)}
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "TOPIC", MinWidth: 8, Flex: 1},
		{Title: "P", Width: 3, Right: true},
		{Title: "START", Width: 9, Right: true},
		{Title: "WINDOW END", Width: 10, Right: true},
		{Title: "HIGH WM", Width: 9, Right: true},
		{Title: "REPLAY", Width: 9, Right: true},
		{Title: "LIVE", Width: 9, Right: true},
		{Title: "REPLAY LAG", Width: 10, Right: true},
		{Title: "LIVE LAG", Width: 9, Right: true},
		{Title: "PROGRESS", Width: 11, Right: true},
	})
	return s
}

func (s *replayStatusScreen) Title() string { return s.name }

func (s *replayStatusScreen) Help() []key.Binding {
	return append([]key.Binding{keyReplayRefresh}, ui.TableKeys()...)
}

// Close stops the poll timer.
func (s *replayStatusScreen) Close() { s.stop() }

func (s *replayStatusScreen) Init() tea.Cmd {
	s.loading = true
	return tea.Batch(s.load(), s.spin.Tick)
}

// Refresh polls now.
func (s *replayStatusScreen) Refresh() tea.Cmd {
	if s.loading {
		return nil
	}
	s.loading = true
	return s.load()
}

func (s *replayStatusScreen) load() tea.Cmd {
	c, dir, name, ctx, now := s.env.Cluster, s.dir, s.name, s.ctx, s.env.now()
	return func() tea.Msg {
		r, err := replay.LoadReplay(dir, name)
		if err != nil {
			return replayStatusMsg{err: err}
		}
		st, err := replay.ReplayStatus(ctx, c, r, now)
		return replayStatusMsg{r: r, st: st, err: err}
	}
}

func (s *replayStatusScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case replayStatusMsg:
		s.loading = false
		next := ui.Tick(s.ctx, replayPollEvery, replayTickMsg{})
		if msg.err != nil {
			s.err = msg.err
			return s, next
		}
		s.err, s.r, s.st = nil, msg.r, msg.st
		s.tr.Observe(s.st)
		if s.st.CaughtUp && s.caught.IsZero() {
			s.caught = s.st.At
		}
		s.setRows()
		return s, next
	case replayTickMsg:
		if s.loading {
			return s, nil
		}
		s.loading = true
		return s, s.load()
	case spinner.TickMsg:
		if s.st != nil || !s.loading {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return s, cmd
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		s.table.HandleKey(msg)
	}
	return s, nil
}

func (s *replayStatusScreen) setRows() {
	ps := s.st.Partitions
	s.table.SetRows(len(ps), func(i int) []string {
		p := ps[i]
		prog := "100%"
		if p.Window > 0 {
			prog = fmt.Sprintf("%d/%d", p.Consumed, p.Window)
		}
		return []string{ui.Sanitize(p.Topic), strconv.Itoa(int(p.Partition)), ui.FormatCount(p.Start), ui.FormatCount(p.WindowEnd),
			ui.FormatCount(p.HighWatermark), offOrDash(p.Replay), offOrDash(p.Live), offOrDash(p.ReplayLag), offOrDash(p.LiveLag), prog}
	})
}

func offOrDash(o int64) string {
	if o < 0 {
		return "-"
	}
	return ui.FormatCount(o)
}

func (s *replayStatusScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(0, h-8))
}

// progressBar draws frac (0..1) in width cells.
func progressBar(frac float64, width int) string {
	width = max(width, 4)
	n := int(frac*float64(width) + 0.5)
	n = min(max(n, 0), width)
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

func (s *replayStatusScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if s.st == nil {
		if s.err != nil {
			return ui.Centered(th.Error.Render("✗ "+ui.ErrText(s.err)), s.w, s.h)
		}
		return ui.Centered(s.spin.View()+" loading replay "+ui.Sanitize(s.name)+"…", s.w, s.h)
	}
	st, r := s.st, s.r
	head := fmt.Sprintf("Replay %s of group %s · %s · %s", ui.Sanitize(r.Name), ui.Sanitize(r.Group), st.State, ui.Sanitize(r.Scenario))
	lines := []string{th.Title.Render(ui.FitLine(head, s.w))}
	if st.Partial {
		lines = append(lines, th.Warn.Render("PARTIAL window: retention had deleted part of it; this replay rebuilds only what was left"))
	} else {
		lines = append(lines, th.Muted.Render(fmt.Sprintf("created %s by %s", r.CreatedAt.Local().Format("2006-01-02 15:04:05"), ui.Sanitize(r.CreatedBy))))
	}
	col := max(24, (s.w-12)/2)
	lines = append(lines,
		fmt.Sprintf("%-10s %s %s", "", ui.FitLine(th.Header.Render("LIVE "+ui.Sanitize(r.Group)), col), th.Header.Render("REPLAY "+ui.Sanitize(r.Name))),
		fmt.Sprintf("%-10s %s %s", "group", ui.FitLine(fmt.Sprintf("%s, %d member(s)", st.LiveGroupState, st.LiveMembers), col),
			fmt.Sprintf("%s, %d member(s)", st.ReplayGroupState, st.ReplayMembers)),
		fmt.Sprintf("%-10s %s %s", "lag", ui.FitLine(ui.FormatCount(st.LiveLag), col), ui.FormatCount(st.ReplayLag)))
	rate, eta := "-", "-"
	if st.Rate > 0 {
		rate = ui.FormatCount(int64(st.Rate+0.5)) + "/s"
	}
	if d, ok := st.ETA(); ok {
		eta = ui.FormatAge(d)
	}
	barW := min(40, max(10, s.w-60))
	lines = append(lines, fmt.Sprintf("progress   %s %s/%s %5.1f%% · rate %s · ETA %s", progressBar(st.Progress, barW),
		ui.FormatCount(st.Consumed), ui.FormatCount(st.Window), 100*st.Progress, rate, eta))
	switch {
	case st.State != replay.StateRunning:
		lines = append(lines, th.Muted.Render("cut over ("+st.State+")"))
	case st.CaughtUp:
		lines = append(lines, th.OK.Render(fmt.Sprintf("✓ CAUGHT UP (since %s) — cut over: rewind replay cutover %s --mode copy|keep",
			s.caught.Local().Format("15:04:05"), ui.Sanitize(r.Name))))
	case st.ReplayMembers == 0:
		lines = append(lines, th.Warn.Render("waiting: no consumer on the replay group yet — run your application with group.id="+ui.Sanitize(r.Name)))
	default:
		lines = append(lines, th.Info.Render("catching up…"))
	}
	if s.err != nil {
		lines[len(lines)-1] += "  " + th.Error.Render("✗ "+ui.ErrText(s.err))
	}
	lines = append(lines, strings.Split(s.table.View(), "\n")...)
	return ui.JoinLines(lines, s.w, s.h)
}
