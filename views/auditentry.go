package views

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The audit entry screen (enter on :audit): every field of one entry —
// when, who, which cluster, what kind, the result, the confirmations
// given, every partition before → after, configs before → after, and what
// a redrive re-produced. n/p step to the next/previous entry.

var (
	keyAuditNext = binding([]string{"n"}, "n", "next (older) entry")
	keyAuditPrev = binding([]string{"p"}, "p", "previous (newer) entry")
)

type auditEntryScreen struct {
	env     *Env
	entries []replay.AuditEntry // newest first, as the list shows them
	i       int
	lines   []string
	off     int
	w, h    int
}

// NewAuditEntry shows entries[i] (entries as the :audit list holds them).
func NewAuditEntry(env *Env, entries []replay.AuditEntry, i int) ui.Screen {
	s := &auditEntryScreen{env: env, entries: entries, i: i}
	s.render()
	return s
}

func (s *auditEntryScreen) Init() tea.Cmd { return nil }

func (s *auditEntryScreen) Title() string { return fmt.Sprintf("entry %d", len(s.entries)-s.i) }

func (s *auditEntryScreen) Help() []key.Binding {
	return []key.Binding{keyAuditNext, keyAuditPrev, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown, ui.Keys.Top, ui.Keys.Bottom}
}

func (s *auditEntryScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.render()
}

func (s *auditEntryScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	page := max(1, s.h-1)
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			s.scroll(-3)
		} else if msg.Button == tea.MouseWheelDown {
			s.scroll(3)
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, keyAuditNext):
			if s.i < len(s.entries)-1 {
				s.i, s.off = s.i+1, 0
				s.render()
			}
		case key.Matches(msg, keyAuditPrev):
			if s.i > 0 {
				s.i, s.off = s.i-1, 0
				s.render()
			}
		case key.Matches(msg, ui.Keys.Up):
			s.scroll(-1)
		case key.Matches(msg, ui.Keys.Down):
			s.scroll(1)
		case key.Matches(msg, ui.Keys.PageUp):
			s.scroll(-page)
		case key.Matches(msg, ui.Keys.PageDown):
			s.scroll(page)
		case key.Matches(msg, ui.Keys.Top):
			s.off = 0
		case key.Matches(msg, ui.Keys.Bottom):
			s.scroll(len(s.lines))
		}
	}
	return s, nil
}

func (s *auditEntryScreen) scroll(n int) {
	s.off = max(0, min(s.off+n, len(s.lines)-s.h+1))
}

func (s *auditEntryScreen) View() string {
	if s.h <= 0 {
		return ""
	}
	body := s.lines[min(s.off+1, len(s.lines)):]
	out := append([]string{s.lines[0]}, body...)
	if len(out) > s.h && s.h > 1 {
		out = append(out[:s.h-1], s.env.Theme.Muted.Render(fmt.Sprintf("  … %d more lines (↓/pgdn)", len(body)-(s.h-2))))
	}
	return ui.JoinLines(out, s.w, s.h)
}

// render lays the entry out as lines; the first is the heading, kept
// while the rest scrolls.
func (s *auditEntryScreen) render() {
	th := s.env.Theme
	e := s.entries[s.i]
	var l []string
	l = append(l, th.Title.Render(ui.FitLine(fmt.Sprintf("Audit entry %d of %d · %s", len(s.entries)-s.i, len(s.entries),
		e.Time.Local().Format("2006-01-02 15:04:05 MST")), s.w)))
	field := func(name, v string) {
		if v == "" {
			v = "-"
		}
		l = append(l, fmt.Sprintf("  %-16s %s", name, ui.Sanitize(v)))
	}
	result := ui.Sanitize(e.Result)
	switch {
	case e.OK():
		result = th.OK.Render(result)
	case result != "":
		result = th.Error.Render(result)
	}
	l = append(l, fmt.Sprintf("  %-16s %s", "result", result))
	field("kind", e.Kind)
	field("time (UTC)", e.Time.UTC().Format("2006-01-02 15:04:05.000"))
	field("actor", e.Actor)
	field("cluster", e.Cluster)
	field("group", e.Group)
	if e.Source != "" {
		field("live group", e.Source)
	}
	if e.Replay != "" {
		field("replay", e.Replay)
	}
	if e.Topic != "" {
		field("topic", e.Topic)
	}
	if e.Scenario != "" {
		field("scenario", e.Scenario)
	}
	if e.Mode != "" {
		field("mode", e.Mode)
	}
	field("partial", yesNo(e.Partial))
	c := e.Confirmations
	l = append(l, th.Header.Render(ui.FitLine(" confirmations", s.w)))
	field("sink idempotent", c.SinkIdempotent)
	field("typed", c.Confirm)
	field("new group", yesNo(c.NewGroup))
	field("accept skip", yesNo(c.AcceptSkip))
	if len(e.Configs) > 0 {
		l = append(l, th.Header.Render(ui.FitLine(fmt.Sprintf(" %s", plural(len(e.Configs), "config")), s.w)))
		for _, cf := range e.Configs {
			l = append(l, fmt.Sprintf("  %-30s %s → %s", ui.Sanitize(cf.Name), cfgShown(cf.Before, false), cfgShown(cf.After, false)))
		}
	}
	if len(e.Partitions) > 0 {
		l = append(l, th.Header.Render(ui.FitLine(fmt.Sprintf(" %s: before → after", plural(len(e.Partitions), "partition")), s.w)))
		for _, p := range e.Partitions {
			line := fmt.Sprintf("  %-30s %14s → %-14s", ui.Sanitize(p.Topic)+"/"+strconv.Itoa(int(p.Partition)), auditOff(p.Before), auditOff(p.After))
			if p.Before != nil && p.After != nil {
				line += fmt.Sprintf(" %+d", *p.After-*p.Before)
			}
			l = append(l, line)
		}
	}
	if r := e.Redrive; r != nil {
		l = append(l, th.Header.Render(ui.FitLine(" redrive", s.w)))
		field("filter", r.Filter)
		field("to", r.To)
		field("drop headers", strings.Join(r.DropHeaders, ", "))
		field("matched", ui.FormatCount(r.Matched))
		field("skipped", ui.FormatCount(r.Skipped))
		topics := make([]string, 0, len(r.Produced))
		for t := range r.Produced {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		for _, t := range topics {
			field("produced", fmt.Sprintf("%s to %s", ui.FormatCount(r.Produced[t]), t))
		}
		ps := make([]int, 0, len(r.Range))
		for p := range r.Range {
			ps = append(ps, int(p))
		}
		sort.Ints(ps)
		for _, p := range ps {
			rg := r.Range[int32(p)]
			field("read", fmt.Sprintf("partition %d: offsets %s to %s", p, ui.FormatCount(rg[0]), ui.FormatCount(rg[1])))
		}
	}
	if p := e.Produced; p != nil {
		l = append(l, th.Header.Render(ui.FitLine(" record written", s.w)))
		ref := func(r replay.AuditRecord) string {
			if r.Offset < 0 {
				return fmt.Sprintf("%s (not written)", r.Topic)
			}
			return fmt.Sprintf("%s p%d offset %s", r.Topic, r.Partition, ui.FormatCount(r.Offset))
		}
		if p.From != nil {
			field("from", ref(*p.From))
		}
		field("to", ref(p.To))
		size := func(n int) string {
			if n < 0 {
				return "null"
			}
			return ui.FormatBytes(int64(n))
		}
		field("key", size(p.KeyBytes))
		field("value", size(p.ValueBytes))
		field("headers", strings.Join(p.Headers, ", "))
		if p.From != nil {
			field("drop headers", strings.Join(p.DropHeaders, ", "))
		}
		if p.ValueSchema != "" {
			field("value schema", p.ValueSchema)
		}
	}
	s.lines = l
	s.scroll(0)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
