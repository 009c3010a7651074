package views

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
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

	form ui.Form // the guards' questions and the planning/writing spinner

	plan  *replay.Plan
	table *ui.Table
	conf  replay.Confirmations
	name  string

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
		scope: replay.Scope{AllTopics: true}, form: ui.NewForm(env.Theme)}
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
func (s *resetScreen) CapturingInput() bool { return s.form.Active() }

// Back steps back through the flow before the screen closes.
func (s *resetScreen) Back() (bool, tea.Cmd) {
	if s.step == stepChoose {
		return false, nil
	}
	s.step, s.plan, s.message = stepChoose, nil, ""
	s.form.Stop()
	return true, nil
}

func (s *resetScreen) kind() replay.Kind { return replay.Kinds[s.kindIdx] }

func (s *resetScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if a, cmd, ok := s.form.Update(msg); ok {
		if a.Event == ui.PromptSubmitted {
			return s, tea.Batch(cmd, s.answered(a.What, a.Value))
		}
		return s, cmd
	}
	switch msg := msg.(type) {
	case resetPlanMsg:
		s.form.Stop()
		if msg.err != nil {
			s.err = msg.err
			return s, nil
		}
		s.err, s.plan, s.step, s.message, s.ok = nil, msg.plan, stepPlan, "", false
		s.layout()
		s.setRows()
		return s, nil

	case resetDoneMsg:
		s.form.Stop()
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
		s.message = fmt.Sprintf("✓ wrote the offsets of group %s on %s%s; audited in %s",
			ui.Sanitize(s.group), plural(len(s.plan.Partitions), "partition"), partialNote(s.plan.Partial), replay.AuditFile)
		return s, nil

	case tea.MouseWheelMsg:
		if s.step != stepChoose {
			s.table.HandleMouse(msg)
		}
		return s, nil

	case tea.KeyPressMsg:
		if s.form.Busy() {
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
			s.ok, s.message = false, fmt.Sprintf("✗ refused: the window expired on %s — press p to replay what is left (PARTIAL)", plural(len(s.plan.Expired()), "partition"))
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
			s.ok, s.message = false, fmt.Sprintf("✗ refused: group %s is active: state %s, %s; stop its consumers first",
				ui.Sanitize(s.group), ui.Sanitize(s.plan.GroupState), plural(s.plan.GroupMembers, "member"))
			return nil
		}
		s.conf = replay.Confirmations{}
		// A forward reset is its own question, before idempotency.
		if s.plan.SkipWarning() != "" {
			label := fmt.Sprintf("%s records will never be processed by %s: type skip:", ui.FormatCount(s.plan.Skip), ui.Sanitize(s.group))
			s.ask(askSkip, label, "skip", "", ui.MustType("skip", "type skip to accept that these records are never processed (esc: back)"))
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
	s.form.Ask(what, label, placeholder, value, validate)
	s.form.SetWidth(s.w)
}

// answered acts on a submitted question.
func (s *resetScreen) answered(what, v string) tea.Cmd {
	switch what {
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
			s.ask(askConfirm, "not idempotent: its records are processed again. Type the group name to confirm:", g, "", ui.MustMatch(g, "does not match the group name"))
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
	s.err, s.message = nil, ""
	c, now := s.env.Cluster, s.env.now()
	req := replay.Request{Kind: replay.PlanReset, Group: s.group, Scope: s.scope, Scenario: s.scen, AllowPartial: s.partial}
	if s.mode == modeReplay {
		req.Kind, req.Target = replay.PlanReplay, replay.DefaultReplayName(s.group, now)
	}
	if req.Scenario.Kind == replay.FromFile && req.Scope.AllTopics {
		req.Scope = replay.Scope{} // the file names the partitions
	}
	return s.form.Run(func() tea.Msg {
		p, err := replay.BuildPlan(context.Background(), c, req, now)
		return resetPlanMsg{plan: p, err: err}
	})
}

func (s *resetScreen) execute() tea.Cmd {
	s.message = ""
	c, p, conf := s.env.Cluster, s.plan, s.conf
	env := replay.Env{DataDir: s.dir, Now: s.env.Now}
	if s.mode == modeReplay {
		cp := *p
		cp.Target = s.name
		return s.form.Run(func() tea.Msg {
			r, e, err := replay.StartReplay(context.Background(), c, env, &cp)
			return resetDoneMsg{entry: e, rp: r, err: err}
		})
	}
	return s.form.Run(func() tea.Msg {
		e, err := replay.ExecuteReset(context.Background(), c, env, p, conf)
		return resetDoneMsg{entry: e, err: err}
	})
}
