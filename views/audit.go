package views

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The audit trail (:audit): every executed or refused change of offsets,
// newest first, with the selected entry's partitions before → after.

type auditLoadedMsg struct {
	entries []replay.AuditEntry
	err     error
}

type auditScreen struct {
	env     *Env
	dir     string
	table   *ui.Table
	entries []replay.AuditEntry // newest first
	err     error
	loaded  bool
	w, h    int
}

// NewAudit shows the audit trail of dataDir.
func NewAudit(env *Env, dataDir string) ui.Screen {
	s := &auditScreen{env: env, dir: dataDir}
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "TIME", Width: 19},
		{Title: "KIND", Width: 13},
		{Title: "GROUP", MinWidth: 10, Flex: 2},
		{Title: "SCENARIO", MinWidth: 10, Flex: 2},
		{Title: "PARTIAL", Width: 7},
		{Title: "ACTOR", MinWidth: 8, Flex: 1},
		{Title: "RESULT", MinWidth: 8, Flex: 3},
	})
	s.table.SetEmpty("no changes audited yet")
	return s
}

func (s *auditScreen) Title() string { return "audit" }

func (s *auditScreen) Help() []key.Binding {
	return append(ui.TableKeys(), ui.Keys.Refresh)
}

func (s *auditScreen) Init() tea.Cmd { return s.load() }

// Refresh reloads the trail.
func (s *auditScreen) Refresh() tea.Cmd { return s.load() }

func (s *auditScreen) load() tea.Cmd {
	dir := s.dir
	return func() tea.Msg {
		es, err := replay.ReadAudit(dir)
		return auditLoadedMsg{entries: es, err: err}
	}
}

func (s *auditScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case auditLoadedMsg:
		s.loaded, s.err = true, msg.err
		s.entries = make([]replay.AuditEntry, len(msg.entries))
		for i, e := range msg.entries {
			s.entries[len(msg.entries)-1-i] = e
		}
		es := s.entries
		s.table.SetRows(len(es), func(i int) []string {
			e := es[i]
			partial := ""
			if e.Partial {
				partial = "PARTIAL"
			}
			kind := e.Kind
			if e.Mode != "" {
				kind += " " + e.Mode
			}
			return []string{e.Time.Local().Format("2006-01-02 15:04:05"), kind, ui.Sanitize(e.Group), ui.Sanitize(e.Scenario),
				partial, ui.Sanitize(e.Actor), ui.Sanitize(e.Result)}
		})
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		s.table.HandleKey(msg)
	}
	return s, nil
}

func (s *auditScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(3, h-1-s.detailHeight()))
}

func (s *auditScreen) detailHeight() int { return min(8, max(0, s.h/3)) }

func (s *auditScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	head := th.Muted.Render(fmt.Sprintf(" %d change(s) in %s", len(s.entries), ui.Sanitize(s.dir+"/"+replay.AuditFile)))
	if s.err != nil {
		head += "  " + th.Error.Render("✗ "+errText(s.err))
	}
	lines := []string{head}
	lines = append(lines, strings.Split(s.table.View(), "\n")...)
	if c := s.table.Cursor(); c >= 0 && c < len(s.entries) {
		e := s.entries[c]
		d := []string{th.Header.Render(fitLine(fmt.Sprintf("%s %s · cluster %s · idempotent %s · confirm %s", e.Kind, ui.Sanitize(e.Group),
			ui.Sanitize(e.Cluster), dashIfEmpty(e.Confirmations.SinkIdempotent), dashIfEmpty(ui.Sanitize(e.Confirmations.Confirm))), s.w))}
		for _, p := range e.Partitions {
			d = append(d, fmt.Sprintf("  %s/%d  %s → %s", ui.Sanitize(p.Topic), p.Partition, auditOff(p.Before), auditOff(p.After)))
		}
		if n := s.detailHeight(); len(d) > n && n > 1 {
			d = append(d[:n-1], th.Muted.Render(fmt.Sprintf("  … %d more partitions", len(e.Partitions)-(n-2))))
		}
		lines = append(lines, d...)
	}
	return joinLines(lines, s.w, s.h)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func auditOff(o *int64) string {
	if o == nil {
		return "none"
	}
	return ui.FormatCount(*o)
}
