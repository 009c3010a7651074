package views

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Topic admin flows (from the topics and topic config screens), each an
// action screen over package admin: create, delete (type the name), add
// partitions (with the key-ordering warning), set or remove a config
// (with the broker-validated preview).

func (e *Env) auditEnv() replay.Env { return replay.Env{DataDir: e.DataDir, Now: e.Now} }

func validInt(what string, least int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: want a whole number", what)
		}
		if n < least {
			return fmt.Errorf("%s: at least %d", what, least)
		}
		return nil
	}
}

// parseConfigs parses "NAME=VALUE NAME=VALUE" (space separated).
func parseConfigs(v string) (map[string]string, []string, error) {
	out := map[string]string{}
	var order []string
	for _, kv := range strings.Fields(v) {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("%q: want NAME=VALUE", kv)
		}
		if _, dup := out[k]; dup {
			return nil, nil, fmt.Errorf("%q given twice", k)
		}
		out[k] = val
		order = append(order, k)
	}
	return out, order, nil
}

// NewTopicCreate asks a new topic's name, partitions, replication factor
// and configs, and creates it.
func NewTopicCreate(env *Env) ui.Screen {
	c := env.Cluster
	spec := func(vals []string) backend.TopicSpec {
		parts, _ := strconv.Atoi(strings.TrimSpace(vals[1]))
		rf, _ := strconv.Atoi(strings.TrimSpace(vals[2]))
		cfg, _, _ := parseConfigs(vals[3])
		return backend.TopicSpec{Name: strings.TrimSpace(vals[0]), Partitions: int32(parts), ReplicationFactor: int16(rf), Configs: cfg}
	}
	return newAction(env, actionSpec{
		Title: "create topic",
		Head:  "Create a topic on " + ui.Sanitize(c.Addr()),
		Fields: []actionField{
			{Label: "name:", Placeholder: "letters, digits, . _ -", Validate: func(v string) error { return backend.ValidTopicName(strings.TrimSpace(v)) }},
			{Label: "partitions:", Default: "1", Validate: validInt("partitions", 1)},
			{Label: "replication factor:", Placeholder: "(the broker's default)", Validate: func(v string) error {
				if strings.TrimSpace(v) == "" {
					return nil
				}
				return validInt("replication factor", 1)(v)
			}},
			{Label: "configs:", Placeholder: "NAME=VALUE ... e.g. retention.ms=86400000 cleanup.policy=compact (empty: none)", Validate: func(v string) error {
				_, _, err := parseConfigs(v)
				return err
			}},
		},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			s := spec(vals)
			if _, err := c.TopicConfig(ctx, s.Name); err == nil {
				return actionPlan{Block: fmt.Sprintf("topic %q already exists", s.Name)}, nil
			} else if !errors.Is(err, backend.ErrUnknownTopic) {
				return actionPlan{}, err
			}
			rf := "the broker's default"
			if s.ReplicationFactor > 0 {
				rf = strconv.Itoa(int(s.ReplicationFactor))
			}
			lines := []string{fmt.Sprintf("create topic %s: %s, replication factor %s", ui.Sanitize(s.Name), plural(int(s.Partitions), "partition"), rf)}
			_, order, _ := parseConfigs(vals[3])
			sort.Strings(order)
			for _, k := range order {
				lines = append(lines, "  "+ui.Sanitize(k+" = "+s.Configs[k]))
			}
			return actionPlan{Lines: lines}, nil
		},
		Execute: func(ctx context.Context, vals []string, _ actionPlan, _ string) (string, *replay.AuditEntry, error) {
			ct, en, err := admin.CreateTopic(ctx, c, env.auditEnv(), spec(vals))
			return fmt.Sprintf("created topic %s: %s, replication factor %d", ct.Name, plural(int(ct.Partitions), "partition"), ct.ReplicationFactor), en, err
		},
	})
}

// NewTopicDelete deletes topic after its name is typed again; the preview
// says what goes (partitions, records, groups with commits on it).
func NewTopicDelete(env *Env, topic string) ui.Screen {
	c := env.Cluster
	return newAction(env, actionSpec{
		Title: "delete " + topic,
		Head:  "Delete topic " + ui.Sanitize(topic),
		Preview: func(ctx context.Context, _ []string) (actionPlan, error) {
			d, err := admin.PreviewDeleteTopic(ctx, c, topic)
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Lines: []string{fmt.Sprintf("topic %s: %s, %s", ui.Sanitize(topic), plural(d.Partitions, "partition"), plural64(d.Records, "record"))}}
			p.Warn = append(p.Warn, "deleting it removes every record; it cannot be undone")
			if len(d.Groups) > 0 {
				p.Warn = append(p.Warn, "groups with committed offsets on it: "+ui.Sanitize(strings.Join(d.Groups, ", ")))
			}
			return p, nil
		},
		Confirm: func([]string, actionPlan) string { return topic },
		Execute: func(ctx context.Context, _ []string, _ actionPlan, typed string) (string, *replay.AuditEntry, error) {
			en, err := admin.DeleteTopic(ctx, c, env.auditEnv(), topic, typed)
			return "deleted topic " + topic, en, err
		},
	})
}

// NewAddPartitions grows topic (which had current partitions when the
// operator looked) to a new total, after the key-ordering warning.
func NewAddPartitions(env *Env, topic string, current int) ui.Screen {
	c := env.Cluster
	return newAction(env, actionSpec{
		Title:  "add partitions",
		Head:   fmt.Sprintf("Add partitions to %s (%s now)", ui.Sanitize(topic), plural(current, "partition")),
		Notes:  []string{admin.KeyOrderingWarning},
		Fields: []actionField{{Label: "new total partitions:", Default: strconv.Itoa(current + 1), Validate: validInt("partitions", current+1)}},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			total, _ := strconv.Atoi(strings.TrimSpace(vals[0]))
			cur, err := c.PlanAddPartitions(ctx, topic, total)
			if err != nil {
				return actionPlan{}, err
			}
			return actionPlan{Lines: []string{fmt.Sprintf("topic %s: %d → %d partitions (checked by the broker)", ui.Sanitize(topic), cur, total)}, Data: cur}, nil
		},
		Execute: func(ctx context.Context, vals []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
			total, _ := strconv.Atoi(strings.TrimSpace(vals[0]))
			cur := p.Data.(int)
			en, err := admin.AddPartitions(ctx, c, env.auditEnv(), topic, cur, total)
			return fmt.Sprintf("added %d to %s (now %d)", total-cur, topic, total), en, err
		},
	})
}

// NewAlterConfig sets (value != nil) or removes the topic's own value of
// a config; with name "" it asks NAME=VALUE. The preview is checked by
// the broker (validate only) and re-checked right before the write.
func NewAlterConfig(env *Env, topic string, e *backend.ConfigEntry, remove bool) ui.Screen {
	c := env.Cluster
	as := actionSpec{Title: "set configs"}
	changes := func(vals []string) []backend.ConfigChange {
		switch {
		case remove:
			return []backend.ConfigChange{{Name: e.Name}}
		case e != nil:
			v := vals[0]
			return []backend.ConfigChange{{Name: e.Name, Value: &v}}
		}
		set, order, _ := parseConfigs(vals[0])
		var out []backend.ConfigChange
		for _, k := range order {
			v := set[k]
			out = append(out, backend.ConfigChange{Name: k, Value: &v})
		}
		return out
	}
	switch {
	case remove:
		as.Title = "unset " + e.Name
		as.Head = fmt.Sprintf("Remove topic %s's own value of %s (it inherits again)", ui.Sanitize(topic), ui.Sanitize(e.Name))
	case e != nil:
		as.Title = "set " + e.Name
		as.Head = fmt.Sprintf("Set %s on topic %s", ui.Sanitize(e.Name), ui.Sanitize(topic))
		cur := ""
		if e.Value != nil && !e.Sensitive {
			cur = *e.Value
		}
		as.Fields = []actionField{{Label: e.Name + " =", Prefill: cur}}
	default:
		as.Head = "Set configs on topic " + ui.Sanitize(topic)
		as.Fields = []actionField{{Label: "set:", Placeholder: "NAME=VALUE ...", Validate: func(v string) error {
			m, _, err := parseConfigs(v)
			if err == nil && len(m) == 0 {
				err = errors.New("give at least one NAME=VALUE")
			}
			return err
		}}}
	}
	as.Preview = func(ctx context.Context, vals []string) (actionPlan, error) {
		diffs, err := c.PlanTopicConfig(ctx, topic, changes(vals))
		if err != nil {
			return actionPlan{}, err
		}
		p := actionPlan{Data: diffs, Lines: []string{"preview (checked by the broker):"}}
		changed := false
		for _, d := range diffs {
			same := ""
			if !d.Changed() {
				same = "  (unchanged)"
			} else {
				changed = true
			}
			p.Lines = append(p.Lines, fmt.Sprintf("  %s: %s (%s) → %s (%s)%s", ui.Sanitize(d.Name), cfgShown(d.Before, d.Sensitive),
				d.BeforeSource, cfgShown(d.After, d.Sensitive), d.AfterSource, same))
		}
		if !changed {
			p.Block = "nothing changes"
		}
		return p, nil
	}
	as.Execute = func(ctx context.Context, vals []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
		_, en, err := admin.AlterTopicConfig(ctx, c, env.auditEnv(), topic, changes(vals), p.Data.([]backend.ConfigDiff))
		return "changed the configs of " + topic, en, err
	}
	return newAction(env, as)
}

func cfgShown(v *string, sensitive bool) string {
	switch {
	case sensitive:
		return "(sensitive)"
	case v == nil:
		return "(none)"
	}
	return strconv.Quote(ui.Sanitize(*v))
}

// plural64 is plural with thousands separators.
func plural64(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return ui.FormatCount(n) + " " + word + "s"
}
