package cli

import (
	"bufio"
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
	wref := p.WindowRefusal()
	if wref == nil && c.Export != "" {
		if err := exportPlan(p, c.Export, e.stdout); err != nil {
			return err
		}
		out.Exported = c.Export
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

// ReplayCmd groups the isolated replay group commands.
type ReplayCmd struct {
	Start   ReplayStartCmd   `cmd:"" help:"Create an isolated replay group at a plan's targets, beside the live group (which is not touched)."`
	List    ReplayListCmd    `cmd:"" help:"List replays with their progress."`
	Status  ReplayStatusCmd  `cmd:"" help:"A replay beside its live group: lag, progress, rate, ETA, caught up."`
	Cutover ReplayCutoverCmd `cmd:"" help:"Once caught up: copy the replay's offsets onto the live group, or keep the replay group as the new one."`
	Delete  ReplayDeleteCmd  `cmd:"" help:"Delete a replay group (refused while it has members)."`
}

// ReplayStartCmd creates a replay group.
type ReplayStartCmd struct {
	Group string `arg:"" predictor:"group" help:"The live consumer group to replay beside."`
	ScenarioFlags
	ScopeFlags `embed:"" set:"commits_of=the live group"`
	Name       string `placeholder:"NAME" help:"Name of the replay group (default GROUP.replay.YYYYMMDD-HHMMSS, UTC)."`
	DryRun     bool   `name:"dry-run" help:"Only print the plan."`
	NewGroup   bool   `name:"new-group" help:"The live group does not exist yet: replay beside it anyway (without this a missing live group is refused as a likely typo)."`
	PlanFlags
	OutputFlag `embed:"" set:"json_shape= (one object)"`
}

// Run plans the replay, prints the plan and creates the group.
func (c *ReplayStartCmd) Run(e *runEnv) error {
	sc, scope, err := parseRequest(&c.ScenarioFlags, c.Topic, c.AllTopics)
	if err != nil {
		return err
	}
	name := c.Name
	if name == "" {
		name = replay.DefaultReplayName(c.Group, time.Now())
	}
	s, err := e.openWrite(true, !c.DryRun, c.Output)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := replay.BuildPlan(e.ctx, s.cluster, replay.Request{Kind: replay.PlanReplay, Group: c.Group, Target: name,
		Scope: scope, Scenario: sc, AllowPartial: c.AllowPartial, NewGroup: c.NewGroup}, time.Now())
	if err != nil {
		return err
	}
	out := planOutput{Plan: p, Guards: p.Guards(nil), DryRun: c.DryRun}
	wref := p.WindowRefusal()
	if wref == nil && c.Export != "" {
		if err := exportPlan(p, c.Export, e.stdout); err != nil {
			return err
		}
		out.Exported = c.Export
	}
	if wref != nil || c.DryRun {
		if err := printPlan(e.stdout, &out, c.Output); err != nil {
			return err
		}
		if wref != nil {
			return wref
		}
		if c.Output == "table" {
			fmt.Fprintln(e.stdout, "\nDry run: nothing was created.")
		}
		return nil
	}
	dir := dataDir(e, s)
	r, entry, xerr := replay.StartReplay(e.ctx, s.cluster, replay.Env{DataDir: dir}, p)
	out.Executed = xerr == nil
	out.Result = resultText(entry, xerr)
	out.Audit, out.Replay = entry, r
	if err := printPlan(e.stdout, &out, c.Output); err != nil {
		return err
	}
	if xerr != nil {
		return xerr
	}
	if c.Output == "table" {
		n := ui.Sanitize(name)
		fmt.Fprintf(e.stdout, "\nCreated replay group %s at the targets%s: %s records to replay. Live group %s was not touched.\n",
			n, partialWord(p.Partial), ui.FormatCount(r.Window()), ui.Sanitize(c.Group))
		fmt.Fprintf(e.stdout, "Run a second instance of your application with group.id=%s, then follow it:\n  rewind replay status %s\n", n, n)
	}
	return nil
}

// ReplayListCmd lists replays.
type ReplayListCmd struct {
	OutputFlag `embed:"" set:"json_shape= (one object per replay per line)"`
}

type replayListRow struct {
	*replay.Replay
	Status *replay.Status `json:"status,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// Run lists the replays of the data dir, with the status of those on this
// cluster.
func (c *ReplayListCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	rs, lerr := replay.ListReplays(dataDir(e, s))
	rows := make([]replayListRow, len(rs))
	for i, r := range rs {
		rows[i].Replay = r
		if r.Cluster != s.cluster.Addr() || r.State != replay.StateRunning {
			continue
		}
		st, err := replay.ReplayStatus(e.ctx, s.cluster, r, time.Now())
		if err != nil {
			rows[i].Error = err.Error()
			continue
		}
		rows[i].Status = st
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	if structured(c.Output) {
		if err := encodeEach(w, c.Output, rows); err != nil {
			return err
		}
		return lerr
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no replays (start one with `rewind replay start GROUP --topic T --to-earliest`)")
		return lerr
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE GROUP\tTOPICS\tCREATED\tSTATE\tPROGRESS\tREPLAY LAG\tLIVE LAG\tCAUGHT UP\t")
	for _, row := range rows {
		state := row.State
		if row.Partial {
			state += " PARTIAL"
		}
		progress, rl, ll, cu := "-", "-", "-", "-"
		switch {
		case row.Status != nil:
			progress = fmt.Sprintf("%.1f%%", 100*row.Status.Progress)
			rl, ll = strconv.FormatInt(row.Status.ReplayLag, 10), strconv.FormatInt(row.Status.LiveLag, 10)
			cu = map[bool]string{true: "yes", false: "no"}[row.Status.CaughtUp]
		case row.Error != "":
			progress = "error: " + row.Error
		case row.Cluster != s.cluster.Addr():
			progress = "other cluster " + row.Cluster
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", ui.Sanitize(row.Name), ui.Sanitize(row.Group),
			ui.Sanitize(strings.Join(row.Topics, ",")), row.CreatedAt.Local().Format("2006-01-02 15:04:05"), state,
			ui.Sanitize(progress), rl, ll, cu)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return lerr
}

// ReplayStatusCmd shows one replay beside its live group.
type ReplayStatusCmd struct {
	Name       string `arg:"" predictor:"replay" help:"Replay name (see 'replay list')."`
	Watch      bool   `short:"w" help:"Redraw every --refresh until interrupted; the rate is measured over the last 30s."`
	OutputFlag `embed:"" set:"json_shape= (one object per refresh)"`
}

// Run prints the status, once or continuously.
func (c *ReplayStatusCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	dir := dataDir(e, s)
	r, err := replay.LoadReplay(dir, c.Name)
	if err != nil {
		return err
	}
	// One shot: the rate is measured since the previous status of this
	// replay (saved in the data dir). --watch: over the last 30s.
	prev := replay.LoadSample(dir, c.Name)
	tr := replay.Tracker{Span: 30 * time.Second}
	clear := c.Watch && c.Output == "table" && isTerminal(e.stdout)
	for {
		start := time.Now()
		st, err := replay.ReplayStatus(e.ctx, s.cluster, r, start)
		if err != nil {
			if e.ctx.Err() != nil {
				return nil
			}
			return err
		}
		if c.Watch {
			tr.Observe(st)
		} else if prev != nil && st.At.Sub(prev.At) < 15*time.Minute {
			st.Estimate(prev)
		}
		_ = replay.SaveSample(dir, c.Name, replay.Sample{At: st.At, Consumed: st.Consumed})
		var buf bytes.Buffer
		if clear {
			buf.WriteString("\x1b[H\x1b[2J")
		}
		if structured(c.Output) {
			_ = newEncoder(&buf, c.Output).Encode(st)
		} else {
			writeStatus(&buf, r, st)
			if c.Watch {
				fmt.Fprintln(&buf)
			}
		}
		if err := writeOut(e.stdout, buf.Bytes()); errors.Is(err, errPipeClosed) {
			return nil
		} else if err != nil {
			return err
		}
		if !c.Watch {
			return nil
		}
		if err := sleepCtx(e.ctx, time.Until(start.Add(e.g.Refresh))); err != nil {
			return nil
		}
	}
}

func writeStatus(w io.Writer, r *replay.Replay, st *replay.Status) {
	partial := ""
	if st.Partial {
		partial = " · PARTIAL window (retention had cut it short)"
	}
	fmt.Fprintf(w, "Replay %s of group %s · %s · %s · created %s by %s%s\n", ui.Sanitize(r.Name), ui.Sanitize(r.Group), st.State,
		ui.Sanitize(r.Scenario), r.CreatedAt.Local().Format("2006-01-02 15:04:05"), ui.Sanitize(r.CreatedBy), partial)
	fmt.Fprintf(w, "replay group: %s, %s · live group: %s, %s\n", st.ReplayGroupState, countWord(st.ReplayMembers, "member"),
		st.LiveGroupState, countWord(st.LiveMembers, "member"))
	rate, eta := "-", "-"
	if st.Rate > 0 {
		rate = fmt.Sprintf("%s/s", ui.FormatCount(int64(st.Rate+0.5)))
	}
	if d, ok := st.ETA(); ok {
		eta = ui.FormatAge(d)
	}
	verdict := "catching up"
	if st.CaughtUp {
		verdict = fmt.Sprintf("CAUGHT UP: cut over with `rewind replay cutover %s --mode copy|keep`", ui.Sanitize(r.Name))
	}
	if st.State != replay.StateRunning {
		verdict = "cut over (" + st.State + ")"
	}
	fmt.Fprintf(w, "progress %s/%s (%.1f%%) · rate %s · ETA %s · replay lag %s · live lag %s · %s\n",
		ui.FormatCount(st.Consumed), ui.FormatCount(st.Window), 100*st.Progress, rate, eta,
		ui.FormatCount(st.ReplayLag), ui.FormatCount(st.LiveLag), verdict)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tSTART\tWINDOW END\tHIGH WM\tREPLAY\tLIVE\tREPLAY LAG\tLIVE LAG\tPROGRESS\tCAUGHT UP\t")
	for _, p := range st.Partitions {
		prog := "100%"
		if p.Window > 0 {
			prog = fmt.Sprintf("%d/%d", p.Consumed, p.Window)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", ui.Sanitize(p.Topic), p.Partition, p.Start, p.WindowEnd, p.HighWatermark,
			offCell(p.Replay), offCell(p.Live), offCell(p.ReplayLag), offCell(p.LiveLag), prog, map[bool]string{true: "yes", false: "no"}[p.CaughtUp])
	}
	_ = tw.Flush()
}

// ReplayCutoverCmd ends a caught-up replay.
type ReplayCutoverCmd struct {
	Name           string `arg:"" predictor:"replay" help:"Replay name."`
	Mode           string `required:"" enum:"copy,keep" placeholder:"copy|keep" help:"copy: the replay's offsets onto the live group (live-group guards apply), then delete the replay group. keep: the replay group is the new one; the live group is deleted."`
	SinkIdempotent string `name:"sink-idempotent" placeholder:"yes|no" help:"Copy mode: is the live group's sink idempotent? Required."`
	Confirm        string `placeholder:"GROUP" help:"The live group's name: required by keep mode (it deletes the live group) and by copy mode with --sink-idempotent no."`
}

// Run cuts over.
func (c *ReplayCutoverCmd) Run(e *runEnv) error {
	s, err := e.openWrite(true, true, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	dir := dataDir(e, s)
	entries, err := replay.Cutover(e.ctx, s.cluster, replay.Env{DataDir: dir}, c.Name, c.Mode, replay.Confirmations{SinkIdempotent: c.SinkIdempotent, Confirm: c.Confirm})
	for _, en := range entries {
		if !en.OK() {
			continue
		}
		switch {
		case en.Kind == replay.AuditCutover && c.Mode == replay.CutoverCopy:
			fmt.Fprintf(e.stdout, "Copied the offsets of replay group %s onto live group %s (%s)%s.\n", ui.Sanitize(c.Name), ui.Sanitize(en.Group),
				countWord(len(en.Partitions), "partition"), partialWord(en.Partial))
		case en.Kind == replay.AuditCutover:
			fmt.Fprintf(e.stdout, "Kept replay group %s as the group in use%s; deleted the old live group %s (its offsets are in the audit trail).\n",
				ui.Sanitize(c.Name), partialWord(en.Partial), ui.Sanitize(en.Group))
		case en.Kind == replay.AuditDelete:
			fmt.Fprintf(e.stdout, "Deleted replay group %s.\n", ui.Sanitize(en.Group))
		}
	}
	if len(entries) > 0 && entries[0].OK() {
		fmt.Fprintf(e.stdout, "Audited in %s.\n", filepath.Join(dir, replay.AuditFile))
	}
	return err
}

// ReplayDeleteCmd deletes a replay group.
type ReplayDeleteCmd struct {
	Name string `arg:"" predictor:"replay" help:"Replay name."`
}

// Run deletes the replay group and its metadata.
func (c *ReplayDeleteCmd) Run(e *runEnv) error {
	s, err := e.openWrite(true, true, "table")
	if err != nil {
		return err
	}
	defer s.Close()
	dir := dataDir(e, s)
	if _, err := replay.DeleteReplay(e.ctx, s.cluster, replay.Env{DataDir: dir}, c.Name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Deleted replay group %s. Audited in %s.\n", ui.Sanitize(c.Name), filepath.Join(dir, replay.AuditFile))
	return nil
}
