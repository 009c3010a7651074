package views

import (
	"context"
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The audit trail (:audit): every executed or refused change of offsets,
// newest first, with the selected entry's partitions before → after.

type auditScreen struct {
	*ui.ListScreen[replay.AuditEntry]
	env *Env
	dir string
}

// NewAudit shows the audit trail of dataDir.
func NewAudit(env *Env, dataDir string) ui.Screen {
	s := &auditScreen{env: env, dir: dataDir}
	fetch := func(context.Context) ([]replay.AuditEntry, error) {
		es, err := replay.ReadAudit(dataDir)
		slices.Reverse(es) // newest first
		return es, err
	}
	s.ListScreen = ui.NewListScreen(env.Theme, fetch, ui.ListScreenSpec[replay.AuditEntry]{
		ListSpec: ui.ListSpec[replay.AuditEntry]{
			Columns: func(int) []ui.Column {
				return []ui.Column{
					{Title: "TIME", Width: 19},
					{Title: "KIND", Width: 16},
					{Title: "GROUP", MinWidth: 10, Flex: 2},
					{Title: "TOPIC", MinWidth: 8, Flex: 2},
					{Title: "SCENARIO", MinWidth: 10, Flex: 2},
					{Title: "PARTIAL", Width: 7},
					{Title: "ACTOR", MinWidth: 8, Flex: 1},
					{Title: "RESULT", MinWidth: 8, Flex: 3},
				}
			},
			Cells: auditCells,
			Empty: func(string) string { return "no changes audited yet" },
		},
		Loading:      "loading the audit trail…",
		Keys:         s.keys,
		Summary:      s.summary,
		Detail:       s.detail,
		DetailHeight: func(h int) int { return min(8, max(0, h/3)) },
	})
	return s
}

func (s *auditScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *auditScreen) Title() string { return "audit" }

var keyAuditOpen = binding([]string{"enter"}, "enter", "the entry: every field")

func (s *auditScreen) Help() []key.Binding {
	return append([]key.Binding{keyAuditOpen, ui.Keys.Refresh}, ui.TableKeys()...)
}

func (s *auditScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if !key.Matches(msg, keyAuditOpen) {
		return nil, false
	}
	rows := s.Rows()
	if i := s.Table().Cursor(); i >= 0 && i < len(rows) {
		return ui.Push(NewAuditEntry(s.env, slices.Clone(rows), i)), true
	}
	return nil, true
}

func auditCells(e replay.AuditEntry) []string {
	partial := ""
	if e.Partial {
		partial = "PARTIAL"
	}
	kind := e.Kind
	if e.Mode != "" {
		kind += " " + e.Mode
	}
	return []string{e.Time.Local().Format("2006-01-02 15:04:05"), kind, ui.Sanitize(e.Group), ui.Sanitize(e.Topic), ui.Sanitize(e.Scenario),
		partial, ui.Sanitize(e.Actor), ui.Sanitize(e.Result)}
}

func (s *auditScreen) summary() string {
	return s.env.Theme.Muted.Render(fmt.Sprintf(" %s in %s · enter: every field", plural(len(s.Items()), "change"), ui.Sanitize(s.dir+"/"+replay.AuditFile)))
}

// detail is the selected entry: its confirmations and every partition,
// before → after, in n lines.
func (s *auditScreen) detail(w, n int) []string {
	e, ok := s.Selected()
	if !ok {
		return nil
	}
	th := s.env.Theme
	d := []string{th.Header.Render(ui.FitLine(fmt.Sprintf("%s %s · cluster %s · idempotent %s · confirm %s", e.Kind, ui.Sanitize(e.Group),
		ui.Sanitize(e.Cluster), dashIfEmpty(e.Confirmations.SinkIdempotent), dashIfEmpty(ui.Sanitize(e.Confirmations.Confirm))), w))}
	for _, p := range e.Partitions {
		d = append(d, fmt.Sprintf("  %s/%d  %s → %s", ui.Sanitize(p.Topic), p.Partition, auditOff(p.Before), auditOff(p.After)))
	}
	if len(d) > n && n > 1 {
		d = append(d[:n-1], th.Muted.Render(fmt.Sprintf("  … %d more partitions", len(e.Partitions)-(n-2))))
	}
	return d
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
