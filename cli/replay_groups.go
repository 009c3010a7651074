package cli

// rewind replay start/list/status/cutover/delete: isolated replay groups
// beside a live group (the plan and its printing are replay.go's, shared
// with reset).

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

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

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
	wref, err := exportStanding(p, &out, c.Export, e.stdout)
	if err != nil {
		return err
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
