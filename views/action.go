package views

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// An action screen walks one write to the cluster the same way for every
// admin flow (create or delete a topic, alter its configs, add partitions,
// delete a group or its offsets, cut over or delete a replay):
//
//  1. under read-only (flag or context) it refuses before asking anything,
//     with Cluster.CheckWrite's reason;
//  2. it asks its fields one by one (each validated as typed);
//  3. it makes a preview off the event loop (nothing written yet);
//  4. it asks for the confirmation: the name typed again where the action
//     destroys something, "yes" otherwise;
//  5. it runs the write (package admin or replay: guards, re-check, audit)
//     and its state line says "written" or why not.
//
// The flows themselves are small actionSpecs (topicadmin.go, groupadmin.go).

// actionField is one question of a flow.
type actionField struct {
	Label       string // "partitions:"
	Placeholder string // shown while empty; Default when empty and Default is set
	// Default is the answer when nothing is typed; Prefill is the text
	// the prompt opens with (the current value, to edit).
	Default  string
	Prefill  string
	Validate func(string) error
	// Skip, when set, leaves the field out given the answers before it
	// (the idempotency question of a copy cut-over only).
	Skip func(vals []string) bool
	// Editor: ctrl+e opens $VISUAL or $EDITOR on the answer (a temp file)
	// for a multi-line value; the saved text is the answer.
	Editor bool
	// Repeat: the field is asked again after each answer until an empty
	// one (headers); vals[i] holds the answers one per line. Changing the
	// answers (e) asks it afresh.
	Repeat bool
	// Choices, when set, make the field a checklist instead of a prompt:
	// space checks and unchecks, enter answers with the checked names
	// joined by ", " ("" when none).
	Choices []actionChoice
}

// actionChoice is one line of a checklist field.
type actionChoice struct {
	Name    string
	Note    string // shown beside it: why it is suggested
	Checked bool   // checked when the list opens
}

// actionPlan is what a preview found: lines to show, warnings, and the
// flow's own data for the write. Block, when set, is why nothing can be
// done (the group is not empty): shown as a refusal, no confirmation.
type actionPlan struct {
	Lines []string
	Warn  []string
	Block string
	Data  any
}

// actionSpec is one flow.
type actionSpec struct {
	Title string // breadcrumb: "create topic"
	// ReadOnlyOK: the flow writes nothing to the cluster (a projection
	// run only reads it), so read-only does not refuse it.
	ReadOnlyOK bool
	Head       string   // first line: what is acted on
	Notes      []string // warnings shown from the first step
	// Info are plain lines under the head (what the fields choose from:
	// the record's header names).
	Info []string
	// Fields are asked in order; vals[i] is the answer to Fields[i].
	Fields []actionField
	// Preview runs after the last field, off the event loop (nil: the
	// answers are the preview).
	Preview func(ctx context.Context, vals []string) (actionPlan, error)
	// Confirm is what the operator types to confirm: the name of what is
	// destroyed, or "" for a yes.
	Confirm func(vals []string, p actionPlan) string
	// Execute writes and returns the state line's text ("topic x was
	// created"); the audit entry, when there is one, is named after it.
	Execute func(ctx context.Context, vals []string, p actionPlan, typed string) (string, *replay.AuditEntry, error)
	// Done, when set, is run after a successful write (open the new topic).
	Done func(vals []string) tea.Cmd
	// Again: after a write, e asks the fields again with the answers kept
	// (produce another record).
	Again bool
	// Progress, when set, is shown beside the spinner while the write
	// runs ("1,500 of 4,000 records"); read on each frame, so it must only
	// read memory.
	Progress func() string
	// Stoppable: esc while writing cancels Execute's ctx (the flow then
	// stops after its current batch) instead of leaving the screen.
	Stoppable bool
	// Wrote, when set, says what a write that failed or was stopped
	// part-way wrote nonetheless, from its audit entry ("" for nothing).
	Wrote func(en *replay.AuditEntry) string
}

type actionStep int

const (
	actRefused actionStep = iota // read-only: nothing asked
	actAsk                       // a field prompt is open
	actPreviewing
	actConfirm // the confirmation prompt is open
	actRunning
	actWritten
	actFailed  // the preview or the write failed, or the plan blocks
	actPartial // the write failed or was stopped part-way: no retry
)

type actionPreviewMsg struct {
	plan actionPlan
	err  error
}

type actionDoneMsg struct {
	text  string
	entry *replay.AuditEntry
	err   error
}

var (
	keyActionRetry  = binding([]string{"enter"}, "enter", "preview again")
	keyActionEdit   = binding([]string{"e"}, "e", "change the answers")
	keyActionAgain  = binding([]string{"e"}, "e", "write another (the answers kept)")
	keyActionToggle = binding([]string{"space"}, "space", "check/uncheck")
	keyActionNext   = binding([]string{"enter"}, "enter", "next")
	keyActionStop   = binding([]string{"esc"}, "esc", "stop after the current batch")
)

type actionScreen struct {
	env   *Env
	spec  actionSpec
	step  actionStep
	field int
	vals  []string
	plan  actionPlan
	form  ui.Form
	state string // the state line: refusal, error or result
	w, h  int

	// A checklist field: which choices are checked, the cursor.
	checked []bool
	ccur    int
	// stop cancels a Stoppable write; stopping is set once it was asked.
	stop     context.CancelFunc
	stopping bool
	// listAnswered: a checklist was answered (e reopens it as answered).
	listAnswered bool
	// wrote is what a write stopped or failed part-way wrote (actPartial).
	wrote string
}

func newAction(env *Env, spec actionSpec) *actionScreen {
	s := &actionScreen{env: env, spec: spec, form: ui.NewForm(env.Theme),
		vals: make([]string, len(spec.Fields))}
	for i, f := range spec.Fields {
		s.vals[i] = f.Prefill
	}
	if err := env.Cluster.CheckWrite(); err != nil && !spec.ReadOnlyOK {
		s.step, s.state = actRefused, "✗ "+refusal(err)+" — nothing can be written from here"
		return s
	}
	s.start()
	return s
}

// start asks the first field (or previews at once).
func (s *actionScreen) start() {
	s.field = 0
	s.state = ""
	for i, f := range s.spec.Fields {
		if f.Repeat {
			s.vals[i] = "" // asked afresh
		}
	}
	if len(s.spec.Fields) == 0 {
		s.step = actPreviewing
		return
	}
	s.ask()
}

func (s *actionScreen) ask() {
	f := s.spec.Fields[s.field]
	s.step = actAsk
	if len(f.Choices) > 0 {
		s.openChecklist(f)
		return
	}
	validate := func(v string) error {
		v = s.answer(v)
		if v == "" && f.Repeat {
			return nil // the end of the list
		}
		if f.Validate != nil {
			return f.Validate(v)
		}
		return nil
	}
	ph := f.Placeholder
	if ph == "" && f.Default != "" {
		ph = f.Default
	}
	prefill := s.vals[s.field]
	switch {
	case f.Repeat:
		prefill = ""
	case strings.Contains(prefill, "\n"):
		// A one-line prompt cannot hold it: enter keeps it.
		ph, prefill = fmt.Sprintf("(%s from the editor: enter keeps it · ctrl+e edits it)", plural(strings.Count(prefill, "\n")+1, "line")), ""
	}
	s.form.Ask("field", f.Label, ph, prefill, validate)
	s.form.SetWidth(s.w)
}

// answer is what the typed v means for the field being asked: its
// default when empty, or the editor's multi-line text kept.
func (s *actionScreen) answer(v string) string {
	f := s.spec.Fields[s.field]
	if v == "" && !f.Repeat {
		if cur := s.vals[s.field]; strings.Contains(cur, "\n") {
			return cur
		}
		return f.Default
	}
	return v
}

func (s *actionScreen) Init() tea.Cmd {
	if s.step == actPreviewing {
		return s.preview()
	}
	return nil
}

func (s *actionScreen) Title() string { return s.spec.Title }

func (s *actionScreen) Help() []key.Binding {
	switch {
	case s.step == actFailed:
		return []key.Binding{keyActionRetry, keyActionEdit}
	case s.step == actWritten:
		if s.spec.Again {
			return []key.Binding{keyActionAgain}
		}
	case s.checklist():
		return []key.Binding{keyActionToggle, keyActionNext, ui.Keys.Up, ui.Keys.Down}
	case s.step == actRunning && s.spec.Stoppable:
		return []key.Binding{keyActionStop}
	}
	return nil // a prompt owns the keys; its line says enter/esc
}

func (s *actionScreen) CapturingInput() bool { return s.form.Active() }

func (s *actionScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.form.SetWidth(w)
}

func (s *actionScreen) preview() tea.Cmd {
	s.step, s.state, s.plan = actPreviewing, "", actionPlan{}
	vals := append([]string(nil), s.vals...)
	if s.spec.Preview == nil {
		return func() tea.Msg { return actionPreviewMsg{} }
	}
	pf := s.spec.Preview
	return s.form.Run(func() tea.Msg {
		p, err := pf(context.Background(), vals)
		return actionPreviewMsg{plan: p, err: err}
	})
}

func (s *actionScreen) confirm() {
	want := ""
	if s.spec.Confirm != nil {
		want = s.spec.Confirm(s.vals, s.plan)
	}
	s.step = actConfirm
	label, ph := "write it? type yes:", "yes"
	if s.spec.ReadOnlyOK {
		label = "go ahead? type yes:"
	}
	valid := ui.MustType("yes", "type yes to write (esc: cancel)")
	if want != "" {
		label, ph = fmt.Sprintf("type %s to confirm:", ui.Sanitize(want)), want
		valid = ui.MustMatch(want, fmt.Sprintf("does not match %q (esc: cancel)", ui.Sanitize(want)))
	}
	s.form.Ask("confirm", label, ph, "", valid)
	s.form.SetWidth(s.w)
}

func (s *actionScreen) execute(typed string) tea.Cmd {
	s.step, s.state = actRunning, ""
	vals, p, ex := append([]string(nil), s.vals...), s.plan, s.spec.Execute
	ctx, cancel := context.WithCancel(context.Background())
	if s.spec.Stoppable {
		s.stop, s.stopping = cancel, false
	}
	return s.form.Run(func() tea.Msg {
		defer cancel()
		text, en, err := ex(ctx, vals, p, typed)
		return actionDoneMsg{text: text, entry: en, err: err}
	})
}

// Back is esc while a Stoppable write runs: it asks the write to stop
// after its current batch; the screen stays to say how far it got.
func (s *actionScreen) Back() (bool, tea.Cmd) {
	if s.step != actRunning || s.stop == nil {
		return false, nil
	}
	s.stop()
	s.stopping = true
	return true, nil
}

func (s *actionScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if s.checklist() {
			return s, s.checklistKey(k)
		}
		if s.step == actAsk && s.spec.Fields[s.field].Editor && k.String() == "ctrl+e" {
			return s, s.edit()
		}
	}
	if a, cmd, ok := s.form.Update(msg); ok {
		switch a.Event {
		case ui.PromptSubmitted:
			return s, tea.Batch(cmd, s.answered(a.Value))
		case ui.PromptCancelled:
			return s, tea.Batch(cmd, ui.Pop()) // esc leaves the flow: nothing was written
		}
		return s, cmd
	}
	switch msg := msg.(type) {
	case actionPreviewMsg:
		s.form.Stop()
		if msg.err != nil {
			s.step, s.state = actFailed, "✗ "+ui.ErrText(msg.err)
			return s, nil
		}
		s.plan = msg.plan
		if msg.plan.Block != "" {
			s.step, s.state = actFailed, "✗ refused: "+ui.Sanitize(msg.plan.Block)
			return s, nil
		}
		s.confirm()
		return s, nil
	case actionDoneMsg:
		s.form.Stop()
		s.stop = nil
		if msg.err != nil && s.spec.Wrote != nil && msg.entry != nil {
			if w := s.spec.Wrote(msg.entry); w != "" {
				s.step, s.state, s.wrote = actPartial, "✗ "+ui.ErrText(msg.err), ui.Sanitize(w)+" · audited in "+replay.AuditFile
				return s, nil
			}
		}
		if msg.err != nil {
			s.step, s.state = actFailed, "✗ "+ui.ErrText(msg.err)+" — nothing was written"
			if msg.entry != nil && msg.entry.OK() {
				s.step, s.state = actWritten, "written, but: "+ui.ErrText(msg.err)
			}
			return s, nil
		}
		s.step, s.state = actWritten, "✓ written: "+ui.Sanitize(msg.text)
		if s.spec.ReadOnlyOK {
			s.state = "✓ " + ui.Sanitize(msg.text) // nothing was written to the cluster
		}
		if msg.entry != nil {
			s.state += " · audited in " + replay.AuditFile
		}
		if s.spec.Done != nil {
			return s, s.spec.Done(s.vals)
		}
		return s, nil
	case actionEditMsg:
		return s, s.edited(msg)
	case tea.KeyPressMsg:
		if s.step == actWritten && s.spec.Again && key.Matches(msg, keyActionAgain) {
			s.start()
			return s, nil
		}
		if s.step == actFailed {
			switch {
			case key.Matches(msg, keyActionRetry):
				return s, s.preview()
			case key.Matches(msg, keyActionEdit) && len(s.spec.Fields) > 0:
				s.start()
			}
		}
	}
	return s, nil
}

func (s *actionScreen) answered(v string) tea.Cmd {
	switch s.step {
	case actAsk:
		f := s.spec.Fields[s.field]
		v = s.answer(v)
		if f.Repeat {
			if v != "" {
				s.vals[s.field] = strings.TrimPrefix(s.vals[s.field]+"\n"+v, "\n")
				s.ask() // the next one
				return nil
			}
		} else {
			s.vals[s.field] = v
		}
		for s.field++; s.field < len(s.spec.Fields); s.field++ {
			if f := s.spec.Fields[s.field]; f.Skip == nil || !f.Skip(s.vals) {
				s.ask()
				return nil
			}
			s.vals[s.field] = ""
		}
		return s.preview()
	case actConfirm:
		return s.execute(v)
	}
	return nil
}

func (s *actionScreen) View() string {
	th := s.env.Theme
	lines := []string{th.Title.Render(ui.FitLine(s.spec.Head, s.w))}
	for _, n := range s.spec.Notes {
		lines = append(lines, wrapStyled(th.Warn.Render, "! "+n, s.w)...)
	}
	if s.step != actRefused {
		for _, n := range s.spec.Info {
			lines = append(lines, ui.FitLine(n, s.w))
		}
	}
	// The answers given so far.
	for i, f := range s.spec.Fields {
		if s.step == actRefused || (s.step == actAsk && (i > s.field || i == s.field && !f.Repeat)) {
			break
		}
		if f.Skip != nil && f.Skip(s.vals) {
			continue
		}
		if f.Repeat && s.vals[i] != "" {
			for _, v := range strings.Split(s.vals[i], "\n") {
				lines = append(lines, ui.FitLine(th.Muted.Render(f.Label)+" "+ui.Sanitize(v), s.w))
			}
			continue
		}
		if s.step == actAsk && i == s.field {
			continue // asked now, nothing given yet
		}
		v := answerShown(s.vals[i])
		if v == "" {
			v = "(none)"
			if strings.HasPrefix(f.Placeholder, "(") {
				v = f.Placeholder
			}
			v = th.Muted.Render(v)
		}
		lines = append(lines, th.Muted.Render(f.Label)+" "+v)
	}
	if s.step >= actConfirm {
		for _, l := range s.plan.Lines {
			lines = append(lines, ui.FitLine(l, s.w))
		}
		for _, wn := range s.plan.Warn {
			lines = append(lines, wrapStyled(th.Warn.Render, "! "+wn, s.w)...)
		}
	}
	lines = append(lines, "")
	switch s.step {
	case actPartial:
		lines = append(lines, wrapStyled(th.Error.Render, s.state, s.w)...)
		lines = append(lines, wrapStyled(th.Warn.Render, s.wrote, s.w)...)
	case actRefused, actFailed:
		lines = append(lines, wrapStyled(th.Error.Render, s.state, s.w)...)
		if s.step == actFailed {
			hint := "enter: preview again · esc: back"
			if len(s.spec.Fields) > 0 {
				hint = "enter: preview again · e: change the answers · esc: back"
			}
			lines = append(lines, th.Muted.Render(hint))
		}
	case actWritten:
		lines = append(lines, wrapStyled(th.OK.Render, s.state, s.w)...)
		if s.spec.Again {
			lines = append(lines, th.Muted.Render("e: write another (the answers kept) · esc: back"))
		}
	case actPreviewing:
		lines = append(lines, s.form.Spinning("preview… nothing written yet"))
	case actRunning:
		line := s.form.Spinning("writing…")
		if s.spec.Progress != nil {
			line += " " + s.spec.Progress()
		}
		switch {
		case s.stopping:
			line += th.Warn.Render(" · stopping after the current batch…")
		case s.spec.Stoppable:
			line += th.Muted.Render(" · esc: stop after the current batch")
		}
		lines = append(lines, line)
	case actAsk, actConfirm:
		if s.checklist() {
			lines = append(lines, s.checklistView()...)
			break
		}
		if s.step == actConfirm {
			lines = append(lines, th.Muted.Render("preview: nothing written yet · enter: confirm · esc: cancel"))
		} else {
			hint := "nothing written yet · enter: next · esc: cancel"
			switch f := s.spec.Fields[s.field]; {
			case f.Editor:
				hint = "nothing written yet · enter: next · ctrl+e: $EDITOR · esc: cancel"
			case f.Repeat:
				hint = "nothing written yet · enter: add · enter on empty: next · esc: cancel"
			}
			lines = append(lines, th.Muted.Render(hint))
		}
		lines = append(lines, s.form.View())
	}
	if len(lines) > s.h && s.h > 0 {
		// Keep the head and the state/prompt at the bottom.
		tail := lines[len(lines)-(s.h-1):]
		lines = append([]string{lines[0]}, tail...)
	}
	return ui.JoinLines(lines, s.w, s.h)
}

// wrapStyled wraps text to width and styles each line.
func wrapStyled(style func(...string) string, text string, w int) []string {
	if w <= 0 {
		return []string{style(text)}
	}
	var out []string
	for _, l := range strings.Split(ansi.Wrap(text, w, ""), "\n") {
		out = append(out, style(l))
	}
	return out
}

// refusal is err's text starting with "refused".
func refusal(err error) string {
	t := ui.ErrText(err)
	if strings.HasPrefix(t, "refused") {
		return t
	}
	return "refused: " + t
}
