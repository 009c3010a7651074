package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// TopicCmd groups topic administration.
type TopicCmd struct {
	Create        TopicCreateCmd        `cmd:"" help:"Create a topic (the embedded log does not auto-create topics)."`
	Delete        TopicDeleteCmd        `cmd:"" help:"Delete a topic and all its records (type its name to confirm)."`
	Config        TopicConfigCmd        `cmd:"" help:"Every config of a topic with its value and source; topic overrides marked *."`
	Alter         TopicAlterCmd         `cmd:"" help:"Change a topic's configs: a preview, then --execute."`
	AddPartitions TopicAddPartitionsCmd `cmd:"" name:"add-partitions" help:"Grow a topic's partition count: a preview with the key-ordering warning, then --execute."`
}

// openWrite opens the session of a command that may write. With write
// set, read-only refuses it before anything else is asked or shown;
// without, a dry run under read-only says at its first line that nothing
// can be written (readOnlyPreview).
func (e *runEnv) openWrite(demo, write bool, output string) (*session, error) {
	s, err := e.open(demo)
	if err != nil {
		return nil, err
	}
	if write {
		if err := s.cluster.CheckWrite(); err != nil {
			s.Close()
			return nil, err
		}
	}
	readOnlyPreview(e.stdout, s, output)
	return s, nil
}

// readOnlyPreview heads a dry run under read-only: it says at the first
// line that nothing can be written.
func readOnlyPreview(w io.Writer, s *session, output string) {
	if s.cluster.ReadOnly() && !structured(output) {
		fmt.Fprintln(w, "READ-ONLY: preview only; rewind is running with --read-only and refuses every write.")
	}
}

func auditedIn(e *runEnv, s *session) string {
	return "Audited in " + filepath.Join(dataDir(e, s), replay.AuditFile) + "."
}

func envFor(e *runEnv, s *session) replay.Env { return replay.Env{DataDir: dataDir(e, s)} }

// parseKV parses NAME=VALUE flags.
func parseKV(flag string, kvs []string) (map[string]string, []string, error) {
	out := map[string]string{}
	var order []string
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("%s %q: want NAME=VALUE", flag, kv)
		}
		if _, dup := out[k]; dup {
			return nil, nil, fmt.Errorf("%s: %q given twice", flag, k)
		}
		out[k] = v
		order = append(order, k)
	}
	return out, order, nil
}

// TopicCreateCmd creates a topic.
type TopicCreateCmd struct {
	Name              string   `arg:"" help:"Topic name: letters, digits, '.', '_', '-' (at most 249)."`
	Partitions        int32    `short:"p" default:"1" placeholder:"N" help:"Number of partitions."`
	ReplicationFactor int16    `short:"r" name:"replication-factor" default:"0" placeholder:"N" help:"Replicas per partition (default: the broker's default)."`
	Config            []string `short:"c" name:"topic-config" sep:"none" placeholder:"NAME=VALUE" help:"Topic config, e.g. retention.ms=86400000 or cleanup.policy=compact (repeatable)."`
	OutputFlag        `embed:""`
}

// Run creates the topic.
func (c *TopicCreateCmd) Run(e *runEnv) error {
	cfg, _, err := parseKV("-c", c.Config)
	if err != nil {
		return err
	}
	if err := backend.ValidTopicName(c.Name); err != nil {
		return err
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	ct, _, err := admin.CreateTopic(e.ctx, s.cluster, envFor(e, s), backend.TopicSpec{Name: c.Name, Partitions: c.Partitions, ReplicationFactor: c.ReplicationFactor, Configs: cfg})
	if err != nil {
		return err
	}
	if structured(c.Output) {
		return newEncoder(e.stdout, c.Output).Encode(ct)
	}
	fmt.Fprintf(e.stdout, "Created topic %s: %s, replication factor %d%s. %s\n", ui.Sanitize(ct.Name), countWord(int(ct.Partitions), "partition"),
		ct.ReplicationFactor, configList(cfg), auditedIn(e, s))
	return nil
}

func configList(cfg map[string]string) string {
	if len(cfg) == 0 {
		return ""
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = ui.Sanitize(k + "=" + cfg[k])
	}
	return ", " + strings.Join(keys, ", ")
}

// TopicDeleteCmd deletes a topic.
type TopicDeleteCmd struct {
	Name    string `arg:"" predictor:"topic" help:"Topic to delete."`
	Confirm string `placeholder:"NAME" help:"The topic name, typed again. Without it, only what would be deleted is shown."`
}

// Run shows what would go and, with --confirm NAME, deletes it.
func (c *TopicDeleteCmd) Run(e *runEnv) error {
	s, err := e.openWrite(true, true, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	if c.Confirm == "" {
		d, err := admin.PreviewDeleteTopic(e.ctx, s.cluster, c.Name)
		if err != nil {
			return err
		}
		n := ui.Sanitize(c.Name)
		fmt.Fprintf(e.stdout, "Topic %s: %s, %s records. Deleting it removes every record; it cannot be undone.\n", n, countWord(d.Partitions, "partition"), ui.FormatCount(d.Records))
		if len(d.Groups) > 0 {
			fmt.Fprintf(e.stdout, "Groups with committed offsets on it: %s\n", ui.Sanitize(strings.Join(d.Groups, ", ")))
		}
		fmt.Fprintf(e.stdout, "Not deleted. To delete it, type its name: rewind topic delete %s --confirm %s\n", n, n)
		return nil
	}
	if _, err := admin.DeleteTopic(e.ctx, s.cluster, envFor(e, s), c.Name, c.Confirm); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Deleted topic %s. %s\n", ui.Sanitize(c.Name), auditedIn(e, s))
	return nil
}

// TopicConfigCmd shows a topic's configs.
type TopicConfigCmd struct {
	Name       string `arg:"" predictor:"topic" help:"Topic."`
	Overrides  bool   `help:"Only the configs set on the topic (non-defaults)."`
	OutputFlag `embed:"" set:"json_shape= (one object per config)"`
}

// Run prints the configs.
func (c *TopicConfigCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	cfg, err := s.cluster.TopicConfig(e.ctx, c.Name)
	if err != nil {
		return err
	}
	total, n := len(cfg), 0
	for _, ce := range cfg {
		if ce.Override {
			n++
		}
	}
	if c.Overrides {
		cfg = slices.DeleteFunc(cfg, func(ce backend.ConfigEntry) bool { return !ce.Override })
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	if structured(c.Output) {
		return encodeEach(w, c.Output, cfg)
	}
	fmt.Fprintf(w, "Topic %s: %s, %d set on the topic (*)\n", ui.Sanitize(c.Name), countWord(total, "config"), n)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tVALUE\tSOURCE\tINHERITED\t")
	for _, ce := range cfg {
		mark := ""
		inh := ""
		if ce.Override {
			mark = "*"
			if ce.InheritedSource != "" {
				inh = cfgValue(ce.Inherited, ce.Sensitive) + " (" + ce.InheritedSource + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", mark, ui.Sanitize(ce.Name), cfgValue(ce.Value, ce.Sensitive), ce.Source, inh)
	}
	return tw.Flush()
}

func cfgValue(v *string, sensitive bool) string {
	switch {
	case sensitive:
		return "(sensitive)"
	case v == nil:
		return "(none)"
	case *v == "":
		return `""`
	}
	return ui.Sanitize(*v)
}

// TopicAlterCmd changes configs.
type TopicAlterCmd struct {
	Name       string   `arg:"" predictor:"topic" help:"Topic."`
	Set        []string `sep:"none" placeholder:"NAME=VALUE" help:"Set a config on the topic (repeatable)."`
	Unset      []string `sep:"none" placeholder:"NAME" help:"Remove the topic's own value so it inherits the broker/default value again (repeatable)."`
	Execute    bool     `help:"Apply the change. Without it, only the preview is printed."`
	OutputFlag `embed:"" set:"json_shape= (one object)"`
}

type alterOutput struct {
	Topic    string               `json:"topic"`
	Changes  []backend.ConfigDiff `json:"changes"`
	DryRun   bool                 `json:"dry_run"`
	Executed bool                 `json:"executed"`
}

// Run previews and, with --execute, applies.
func (c *TopicAlterCmd) Run(e *runEnv) error {
	set, order, err := parseKV("--set", c.Set)
	if err != nil {
		return err
	}
	var changes []backend.ConfigChange
	for _, k := range order {
		v := set[k]
		changes = append(changes, backend.ConfigChange{Name: k, Value: &v})
	}
	for _, k := range c.Unset {
		if _, dup := set[k]; dup {
			return fmt.Errorf("%q is both --set and --unset", k)
		}
		changes = append(changes, backend.ConfigChange{Name: strings.TrimSpace(k)})
	}
	if len(changes) == 0 {
		return errors.New("nothing to change: give --set NAME=VALUE or --unset NAME")
	}
	s, err := e.openWrite(true, c.Execute, c.Output)
	if err != nil {
		return err
	}
	defer s.Close()
	diffs, err := s.cluster.PlanTopicConfig(e.ctx, c.Name, changes)
	if err != nil {
		return err
	}
	out := alterOutput{Topic: c.Name, Changes: diffs, DryRun: !c.Execute}
	if c.Execute {
		if diffs, _, err = admin.AlterTopicConfig(e.ctx, s.cluster, envFor(e, s), c.Name, changes, diffs); err != nil {
			return err
		}
		out.Changes, out.Executed = diffs, true
	}
	if structured(c.Output) {
		return newEncoder(e.stdout, c.Output).Encode(out)
	}
	fmt.Fprintf(e.stdout, "Config change of topic %s:\n", ui.Sanitize(c.Name))
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tBEFORE\t\tAFTER\t")
	for _, d := range diffs {
		same := ""
		if !d.Changed() {
			same = "  (unchanged)"
		}
		fmt.Fprintf(tw, "  %s\t%s (%s)\t→\t%s (%s)%s\t\n", ui.Sanitize(d.Name), cfgValue(d.Before, d.Sensitive), d.BeforeSource, cfgValue(d.After, d.Sensitive), d.AfterSource, same)
	}
	_ = tw.Flush()
	if !c.Execute {
		fmt.Fprintln(e.stdout, "Preview (checked by the broker): nothing was changed. To apply it, add --execute.")
		return nil
	}
	fmt.Fprintf(e.stdout, "Changed. %s\n", auditedIn(e, s))
	return nil
}

// TopicAddPartitionsCmd grows a topic.
type TopicAddPartitionsCmd struct {
	Name       string `arg:"" predictor:"topic" help:"Topic."`
	Partitions int    `required:"" placeholder:"N" help:"The new total number of partitions (as kafka-topics --alter --partitions)."`
	Execute    bool   `help:"Add them. Without it, only the preview and the warning are printed."`
}

// Run previews and, with --execute, adds partitions.
func (c *TopicAddPartitionsCmd) Run(e *runEnv) error {
	s, err := e.openWrite(true, c.Execute, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	cur, err := s.cluster.PlanAddPartitions(e.ctx, c.Name, c.Partitions)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Topic %s: %d → %d partitions.\nWARNING: %s.\n", ui.Sanitize(c.Name), cur, c.Partitions, admin.KeyOrderingWarning)
	if !c.Execute {
		fmt.Fprintln(e.stdout, "Preview (checked by the broker): nothing was changed. To add them, add --execute.")
		return nil
	}
	if _, err := admin.AddPartitions(e.ctx, s.cluster, envFor(e, s), c.Name, cur, c.Partitions); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Added %d partitions to %s (now %d). %s\n", c.Partitions-cur, ui.Sanitize(c.Name), c.Partitions, auditedIn(e, s))
	return nil
}
