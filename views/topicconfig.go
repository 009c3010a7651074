package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// The topic configuration screen (C on a topic): every config with its
// value, its source (default, static broker, dynamic broker, set on the
// topic) and, for a value set on the topic, what it would inherit; values
// set on the topic (non-defaults) are marked and highlighted. enter sets
// the selected config, u removes the topic's own value, a sets any.

var (
	keyConfigSet       = binding([]string{"enter", "e"}, "enter/e", "set this config (preview first)")
	keyConfigUnset     = binding([]string{"u"}, "u", "remove the topic's own value (inherit again)")
	keyConfigAdd       = binding([]string{"a"}, "a", "set configs NAME=VALUE ...")
	keyConfigOverrides = binding([]string{"o"}, "o", "only values set on the topic")
)

type topicConfigScreen struct {
	*ui.ListScreen[backend.ConfigEntry]
	env       *Env
	topic     string
	overrides bool
}

// NewTopicConfig shows topic's configuration.
func NewTopicConfig(env *Env, topic string) ui.Screen {
	s := &topicConfigScreen{env: env, topic: topic}
	s.ListScreen = ui.NewListScreen(env.Theme, func(ctx context.Context) ([]backend.ConfigEntry, error) {
		return env.Cluster.TopicConfig(ctx, topic)
	}, ui.ListScreenSpec[backend.ConfigEntry]{
		ListSpec: ui.ListSpec[backend.ConfigEntry]{
			Columns:    configColumns,
			Cells:      configCells,
			Key:        func(e backend.ConfigEntry) string { return e.Name },
			Match:      func(e backend.ConfigEntry, f string) bool { return strings.Contains(strings.ToLower(e.Name), f) },
			FilterHint: "filter configs by name",
			Keep:       func(e backend.ConfigEntry) bool { return !s.overrides || e.Override },
			Empty: func(f string) string {
				switch {
				case f != "":
					return "no config matches " + strconv.Quote(f)
				case s.overrides:
					return "no config is set on the topic (o: show all)"
				}
				return "the broker reports no configs"
			},
		},
		Loading: "loading the configs of " + ui.Sanitize(topic) + "…",
		What:    "configs of " + topic,
		Every:   refreshEvery,
		Summary: s.summary,
		Keys:    s.keys,
		Restyle: s.restyle,
	})
	return s
}

func (s *topicConfigScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	return s, s.ListScreen.Update(msg)
}

func (s *topicConfigScreen) Title() string { return "config of " + s.topic }

func (s *topicConfigScreen) Help() []key.Binding {
	return append([]key.Binding{keyConfigSet, keyConfigUnset, keyConfigAdd, keyConfigOverrides, ui.Keys.Filter, ui.Keys.Refresh}, ui.TableKeys()...)
}

func (s *topicConfigScreen) keys(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	e, ok := s.Selected()
	switch {
	case key.Matches(msg, keyConfigSet):
		if ok {
			return ui.Push(NewAlterConfig(s.env, s.topic, &e, false)), true
		}
	case key.Matches(msg, keyConfigUnset):
		if !ok {
			return nil, true
		}
		if !e.Override {
			return ui.Toast(fmt.Sprintf("%s is not set on the topic (source %s): nothing to remove", e.Name, e.Source)), true
		}
		return ui.Push(NewAlterConfig(s.env, s.topic, &e, true)), true
	case key.Matches(msg, keyConfigAdd):
		return ui.Push(NewAlterConfig(s.env, s.topic, nil, false)), true
	case key.Matches(msg, keyConfigOverrides):
		s.overrides = !s.overrides
		s.Apply()
		return nil, true
	default:
		return nil, false
	}
	return nil, true
}

func configColumns(w int) []ui.Column {
	return []ui.Column{
		{Title: "", Width: 1},
		{Title: "NAME", MinWidth: 22, Flex: 2},
		{Title: "VALUE", MinWidth: 12, Flex: 3},
		{Title: "SOURCE", Width: 15},
		{Title: "INHERITS", MinWidth: 12, Flex: 2},
	}
}

func configCells(e backend.ConfigEntry) []string {
	mark, inh := "", ""
	if e.Override {
		mark = "●"
		inh = "(none)"
		switch {
		case e.Sensitive:
			inh = "(sensitive)"
		case e.Inherited != nil:
			inh = ui.Sanitize(*e.Inherited)
		}
		if e.InheritedSource != "" {
			inh += " (" + e.InheritedSource + ")"
		}
	}
	val := "(none)"
	switch {
	case e.Sensitive:
		val = "(sensitive)"
	case e.Value != nil:
		val = ui.Sanitize(*e.Value)
	}
	return []string{mark, ui.Sanitize(e.Name), val, e.Source, inh}
}

// restyle highlights the rows set on the topic (the selected row keeps
// its own highlight).
func (s *topicConfigScreen) restyle(view string) string {
	rows, t := s.Rows(), s.Table()
	return restyleRows(view, t, func(i int) (lipgloss.Style, bool) {
		return s.env.Theme.Warn, rows[i].Override
	})
}

func (s *topicConfigScreen) summary() string {
	set := 0
	for _, e := range s.Items() {
		if e.Override {
			set++
		}
	}
	parts := []string{" topic " + ui.Sanitize(s.topic), plural(len(s.Items()), "config"), fmt.Sprintf("● %d set on the topic", set)}
	if s.overrides {
		parts = append(parts, "only those (o)")
	}
	if f := s.FilterLabel(); f != "" {
		parts = append(parts, f)
	}
	return s.env.Theme.Muted.Render(strings.Join(parts, " · "))
}
