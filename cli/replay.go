package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/outfile"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Guarded reprocessing from the command line: `rewind reset` (plans, and
// live-group writes behind the guards) and `rewind replay ...` (isolated
// replay groups, the default path). The logic is in package replay; this
// file parses flags and prints.

// ScenarioFlags are kafka-consumer-groups' --reset-offsets scenarios.
// Exactly one is required.
type ScenarioFlags struct {
	ToEarliest bool    `name:"to-earliest" group:"Scenario (exactly one)" help:"Scenario: the log start of each partition."`
	ToLatest   bool    `name:"to-latest" group:"Scenario (exactly one)" help:"Scenario: the end (high watermark)."`
	ToOffset   *string `name:"to-offset" placeholder:"N" group:"Scenario (exactly one)" help:"Scenario: offset N, clamped to [log start, end]."`
	ShiftBy    *string `name:"shift-by" placeholder:"N" group:"Scenario (exactly one)" help:"Scenario: the committed offset + N (negative re-reads), clamped; needs a commit on every partition."`
	ToDatetime *string `name:"to-datetime" placeholder:"TIME" group:"Scenario (exactly one)" help:"Scenario: the first record at or after TIME (RFC3339; no zone = UTC); none = the end."`
	ByDuration *string `name:"by-duration" placeholder:"D" group:"Scenario (exactly one)" help:"Scenario: to-datetime now - D (PT1H, P1DT2H, 90m, -1h)."`
	ToGroup    *string `name:"to-group" placeholder:"GROUP" group:"Scenario (exactly one)" help:"Scenario: another group's committed offsets."`
	FromFile   *string `name:"from-file" placeholder:"FILE" group:"Scenario (exactly one)" help:"Scenario: offsets from a CSV of topic,partition,offset (Kafka's --export format)."`
}

// scenario returns the one scenario given.
func (f *ScenarioFlags) scenario(now time.Time) (replay.Scenario, error) {
	type given struct {
		kind replay.Kind
		arg  string
	}
	var set []given
	add := func(k replay.Kind, on bool, arg *string) {
		switch {
		case arg != nil:
			set = append(set, given{k, *arg})
		case on:
			set = append(set, given{k, ""})
		}
	}
	add(replay.ToEarliest, f.ToEarliest, nil)
	add(replay.ToLatest, f.ToLatest, nil)
	add(replay.ToOffset, false, f.ToOffset)
	add(replay.ShiftBy, false, f.ShiftBy)
	add(replay.ToDatetime, false, f.ToDatetime)
	add(replay.ByDuration, false, f.ByDuration)
	add(replay.ToGroup, false, f.ToGroup)
	add(replay.FromFile, false, f.FromFile)
	switch len(set) {
	case 0:
		return replay.Scenario{}, errors.New("choose a scenario: one of --to-earliest, --to-latest, --to-offset N, --shift-by N, --to-datetime TIME, --by-duration D, --to-group GROUP, --from-file FILE")
	case 1:
		return replay.ParseScenario(set[0].kind, set[0].arg, now)
	}
	names := make([]string, len(set))
	for i, g := range set {
		names[i] = "--" + string(g.kind)
	}
	return replay.Scenario{}, fmt.Errorf("give exactly one scenario, got %s", strings.Join(names, " and "))
}

// ResetCmd plans, and with --execute writes, a change of a group's offsets.
type ResetCmd struct {
	Group string `arg:"" predictor:"group" help:"Consumer group whose offsets to change."`
	ScenarioFlags
	ScopeFlags
	Execute        bool   `help:"Write the plan. Without it, only the plan (a dry run) is printed."`
	SinkIdempotent string `name:"sink-idempotent" placeholder:"yes|no" help:"Is the group's sink idempotent (safe to see records again)? Required with --execute; anything else is refused."`
	Confirm        string `placeholder:"GROUP" help:"The group name, typed again: required with --sink-idempotent no."`
	NewGroup       bool   `name:"new-group" help:"The group does not exist yet: create it with the plan's offsets (without this a missing group is refused as a likely typo)."`
	AcceptSkip     bool   `name:"accept-skip" help:"A forward reset skips records: the group will never process them. Required with --execute when the plan skips any."`
	PlanFlags
	OutputFlag `embed:"" set:"json_shape= (one object)"`
}

// Run prints the plan and, with --execute, applies it behind the guards.
func (c *ResetCmd) Run(e *runEnv) error {
	sc, scope, err := parseRequest(&c.ScenarioFlags, c.Topic, c.AllTopics)
	if err != nil {
		return err
	}
	// Read-only is said at the first step: refused before planning a
	// write, or a dry run labelled as one that cannot be executed here.
	s, err := e.openWrite(true, c.Execute, c.Output)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := replay.BuildPlan(e.ctx, s.cluster, replay.Request{Kind: replay.PlanReset, Group: c.Group, Scope: scope,
		Scenario: sc, AllowPartial: c.AllowPartial}, time.Now())
	if err != nil {
		return err
	}
	conf := replay.Confirmations{SinkIdempotent: c.SinkIdempotent, Confirm: c.Confirm, NewGroup: c.NewGroup, AcceptSkip: c.AcceptSkip}
	guards := p.Guards(&conf)
	out := planOutput{Plan: p, Guards: guards, DryRun: !c.Execute}
	wref, err := exportStanding(p, &out, c.Export, e.stdout)
	if err != nil {
		return err
	}
	if wref != nil || !c.Execute {
		if err := printPlan(e.stdout, &out, c.Output); err != nil {
			return err
		}
		if wref != nil {
			return wref
		}
		if c.Output == "table" {
			skip := ""
			if p.SkipWarning() != "" {
				skip = " --accept-skip"
			}
			fmt.Fprintf(e.stdout, "\nDry run: nothing was written. To apply it: add --execute%s --sink-idempotent yes|no (and --confirm GROUP when no).\n", skip)
		}
		return nil
	}
	entry, xerr := replay.ExecuteReset(e.ctx, s.cluster, replay.Env{DataDir: dataDir(e, s)}, p, conf)
	out.Executed = xerr == nil
	out.Result = resultText(entry, xerr)
	out.Audit = entry
	if c.Output == "table" {
		if err := printPlan(e.stdout, &out, c.Output); err != nil {
			return err
		}
		if xerr == nil {
			fmt.Fprintf(e.stdout, "\nDone: wrote the offsets of group %s on %s%s. Audited in %s.\n", ui.Sanitize(c.Group),
				countWord(len(p.Partitions), "partition"), partialWord(p.Partial), filepath.Join(dataDir(e, s), replay.AuditFile))
		}
	} else if err := printPlan(e.stdout, &out, c.Output); err != nil {
		return err
	}
	return xerr
}

func parseRequest(f *ScenarioFlags, topics []string, all bool) (replay.Scenario, replay.Scope, error) {
	sc, err := f.scenario(time.Now())
	if err != nil {
		return sc, replay.Scope{}, err
	}
	scope, err := replay.ParseScope(topics, all)
	if err != nil {
		return sc, scope, err
	}
	if sc.Kind != replay.FromFile && !scope.AllTopics && len(scope.Topics) == 0 {
		return sc, scope, errors.New("choose a scope: --topic TOPIC[:P,...] or --all-topics")
	}
	return sc, scope, nil
}

// dataDir is where the audit trail and replay metadata live: the embedded
// log's data dir, or --data-dir, or the default one (also for remote
// clusters: the trail records the cluster of each entry).
func dataDir(e *runEnv, s *session) string {
	if s != nil && s.embedded != nil {
		return s.embedded.DataDir()
	}
	if e.g.DataDir != "" {
		return e.g.DataDir
	}
	return backend.DefaultDataDir()
}

// exportStanding is the step after planning that reset and replay start
// share: it returns the plan's window refusal, and when the plan stands
// writes it to file (--export, when given).
func exportStanding(p *replay.Plan, out *planOutput, file string, stdout io.Writer) (*replay.Refusal, error) {
	wref := p.WindowRefusal()
	if wref == nil && file != "" {
		if err := exportPlan(p, file, stdout); err != nil {
			return nil, err
		}
		out.Exported = file
	}
	return wref, nil
}

func exportPlan(p *replay.Plan, file string, stdout io.Writer) error {
	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		return err
	}
	// Never over a device or pipe (written directly instead); "-" is stdout.
	if err := outfile.WriteFile(file, stdout, buf.Bytes()); err != nil {
		return fmt.Errorf("--export: %w", err)
	}
	return nil
}

func resultText(entry *replay.AuditEntry, err error) string {
	if entry != nil && entry.Result != "" {
		return entry.Result
	}
	if err != nil {
		return "refused: " + err.Error()
	}
	return "ok"
}

func countWord(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func partialWord(partial bool) string {
	if partial {
		return " (PARTIAL: retention had cut the window short)"
	}
	return ""
}

// planOutput is what `reset` and `replay start` print; its JSON form is
// the one object of -o json.
type planOutput struct {
	Plan     *replay.Plan         `json:"plan"`
	Guards   []replay.GuardStatus `json:"guards"`
	DryRun   bool                 `json:"dry_run"`
	Exported string               `json:"exported,omitempty"`
	Executed bool                 `json:"executed"`
	Result   string               `json:"result,omitempty"`
	Audit    *replay.AuditEntry   `json:"audit,omitempty"`
	Replay   *replay.Replay       `json:"replay,omitempty"`
}

func printPlan(w io.Writer, o *planOutput, output string) error {
	if structured(output) {
		return newEncoder(w, output).Encode(o)
	}
	var buf bytes.Buffer
	writePlanTable(&buf, o.Plan)
	if w := o.Plan.SkipWarning(); w != "" {
		fmt.Fprintf(&buf, "\nFORWARD RESET: %s.\n", ui.Sanitize(w))
	}
	fmt.Fprintln(&buf)
	writeGuards(&buf, o.Guards)
	if o.Exported != "" {
		fmt.Fprintf(&buf, "\nExported the targets to %s (topic,partition,offset).\n", o.Exported)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func offCell(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

func writePlanTable(w io.Writer, p *replay.Plan) {
	what := "Reset plan for group " + ui.Sanitize(p.Group)
	cur := "CURRENT"
	if p.Kind == replay.PlanReplay {
		what = fmt.Sprintf("Replay plan: new group %s beside live group %s", ui.Sanitize(p.Target), ui.Sanitize(p.Group))
		cur = "LIVE"
	}
	fmt.Fprintf(w, "%s · %s · group %s, %s (%s) · cluster %s\n", what, ui.Sanitize(p.ScenarioText),
		ui.Sanitize(p.GroupState), countWord(p.GroupMembers, "member"), replay.ProtocolName(p.GroupProtocol), ui.Sanitize(p.Cluster))
	if p.Partial {
		fmt.Fprintf(w, "PARTIAL: %d partition(s) replay only what retention left (--allow-partial)\n", len(p.Expired()))
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "TOPIC\tPARTITION\t%s\tTARGET\tLOG START\tHIGH WM\tDELTA\tRE-READ\tSKIP\tTO READ\tFLAGS\t\n", cur)
	for _, pp := range p.Partitions {
		delta := "-"
		if pp.Delta != nil {
			delta = strconv.FormatInt(*pp.Delta, 10)
			if *pp.Delta > 0 {
				delta = "+" + delta
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%s\t\n", ui.Sanitize(pp.Topic), pp.Partition, offCell(pp.Current),
			pp.Target, pp.LogStart, pp.HighWatermark, delta, pp.Reread, pp.Skip, pp.Window, strings.Join(pp.Flags, ","))
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t\t\t\t\t%d\t%d\t%d\t\t\n", p.Reread, p.Skip, p.Window)
	_ = tw.Flush()
	for _, pp := range p.Partitions {
		if pp.Note != "" {
			fmt.Fprintf(w, "  %s/%d: %s\n", ui.Sanitize(pp.Topic), pp.Partition, ui.Sanitize(pp.Note))
		}
	}
}

func writeGuards(w io.Writer, gs []replay.GuardStatus) {
	fmt.Fprintln(w, "Guards:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, g := range gs {
		mark := map[string]string{replay.GuardOK: "ok", replay.GuardRefused: "REFUSED", replay.GuardNeeded: "NEEDED"}[g.State]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, g.Name, ui.Sanitize(g.Message))
	}
	_ = tw.Flush()
}
