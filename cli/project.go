package cli

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/outfile"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/ui"
)

// Projections from the command line: `rewind project ...`. The engine is
// package project; this file parses flags and prints.

// ProjectCmd groups the projection subcommands.
type ProjectCmd struct {
	Run     ProjectRunCmd     `cmd:"" help:"Rebuild a projection from a spec file in its own isolated group (bounded to the end taken at start, or live)."`
	Resume  ProjectResumeCmd  `cmd:"" help:"Resume a stopped, failed or killed run from its checkpoint, with the spec it started with."`
	List    ProjectListCmd    `cmd:"" help:"List projection runs."`
	Show    ProjectShowCmd    `cmd:"" help:"Show a run: spec, window, progress, counters, checksum."`
	Diff    ProjectDiffCmd    `cmd:"" help:"Compare two runs' tables side by side (streamed in key order)."`
	Publish ProjectPublishCmd `cmd:"" help:"Publish a run's table to a compacted topic as a changelog (dry run without --yes)."`
	Export  ProjectExportCmd  `cmd:"" help:"Export a run's table to JSON lines or CSV."`
	Delete  ProjectDeleteCmd  `cmd:"" help:"Delete a run's state and metadata (and its isolated group, best effort)."`
}

// localDataDir is where runs live without opening a cluster: the embedded
// log's data dir is --data-dir or the default, the same place.
func localDataDir(e *runEnv) string {
	if e.g.DataDir != "" {
		return e.g.DataDir
	}
	return backend.DefaultDataDir()
}

// ProjectRunCmd is `rewind project run SPEC`.
type ProjectRunCmd struct {
	Spec         string `arg:"" placeholder:"SPEC" predictor:"file" help:"Projection spec file (YAML; see testdata/projections/README.md)."`
	From         string `placeholder:"POS" help:"Start: earliest, OFFSET, -N, RFC3339 time or -DURATION (default the spec's from, else earliest)."`
	Until        string `default:"end" enum:"end,live" help:"end: stop at the end of each partition taken at start (its last stable offset: committed records only); live: keep following until interrupted."`
	Name         string `placeholder:"RUNID" help:"Run id (default NAME-YYYYMMDD-HHMMSS). An existing id with the same spec resumes that run."`
	AllowPartial bool   `name:"allow-partial" help:"Replay what retention left of an expired window; the run is labelled partial."`
	OutputFlag   `embed:"" set:"output_what=Final summary"`
	DecodeFlags  `embed:""`
}

// Run runs the projection.
func (c *ProjectRunCmd) Run(e *runEnv) error {
	spec, comp, err := project.LoadSpec(c.Spec)
	if err != nil {
		return err // file:line:col: field: what is wrong, before connecting
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	dir := dataDir(e, s)
	o := project.Options{DataDir: dir, ID: c.Name, From: c.From, Live: c.Until == project.UntilLive, AllowPartial: c.AllowPartial}
	if o.Decoder, err = e.decoder(s, "", &c.DecodeFlags); err != nil {
		return err
	}
	pr := newProgressPrinter(e.stderr)
	o.Progress, o.ProgressEvery, o.OnHealth = pr.print, pr.every, pr.health
	var m *project.Meta
	if c.Name != "" {
		if old, lerr := project.LoadMeta(dir, c.Name); lerr == nil {
			if c.From != "" {
				return fmt.Errorf("run %q exists: it resumes from its checkpoint; --from applies to new runs only", c.Name)
			}
			fmt.Fprintf(e.stderr, "resuming run %s (%s) from its checkpoint\n", old.ID, old.Status)
			m, err = project.Resume(e.ctx, s.cluster, dir, c.Name, comp, o)
			pr.end()
			if err != nil {
				return runFailed(m, err)
			}
			return printRunResult(e, m, c.Output)
		}
	}
	m, err = project.Start(e.ctx, s.cluster, comp, o)
	pr.end()
	if err != nil {
		return runFailed(m, err)
	}
	_ = spec
	return printRunResult(e, m, c.Output)
}

// ProjectResumeCmd is `rewind project resume RUNID`.
type ProjectResumeCmd struct {
	ID           string `arg:"" placeholder:"RUNID" predictor:"run"`
	Live         bool   `help:"Keep following the log after the targets (turns a bounded run live)."`
	AllowPartial bool   `name:"allow-partial" help:"Continue from the log start if retention deleted records past the checkpoint; the run is labelled partial."`
	OutputFlag   `embed:"" set:"output_what=Final summary"`
	DecodeFlags  `embed:""`
}

// Run resumes the run.
func (c *ProjectResumeCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	pr := newProgressPrinter(e.stderr)
	o := project.Options{Live: c.Live, AllowPartial: c.AllowPartial, Progress: pr.print, ProgressEvery: pr.every, OnHealth: pr.health}
	if o.Decoder, err = e.decoder(s, "", &c.DecodeFlags); err != nil {
		return err
	}
	m, err := project.Resume(e.ctx, s.cluster, dataDir(e, s), c.ID, nil, o)
	pr.end()
	if err != nil {
		return runFailed(m, err)
	}
	return printRunResult(e, m, c.Output)
}

// runFailed adds to a failed run's error how far it got and how to go on:
// everything up to the checkpoint is kept.
func runFailed(m *project.Meta, err error) error {
	if m == nil || m.Status != project.StatusFailed {
		return err
	}
	got := ""
	if p := m.Progress; p != nil {
		got = fmt.Sprintf(" at %d/%d records", p.Done, p.Total)
	}
	return fmt.Errorf("%w (checkpointed%s; continue with: rewind project resume %s)", err, got, m.ID)
}

func printRunResult(e *runEnv, m *project.Meta, output string) error {
	if structured(output) {
		return writeStructured(e.stdout, output, m)
	}
	p := m.Progress
	if p == nil {
		p = &project.Progress{}
	}
	fmt.Fprintf(e.stdout, "run %s: %s%s, %d/%d records, %d rows in the table (group %s)\n",
		m.ID, m.Status, partialLabel(m.Partial), p.Done, p.Total, p.Rows, m.Group)
	st := p.Stats
	if st.Errors > 0 || st.Invalid > 0 {
		fmt.Fprintf(e.stdout, "skipped: %d records whose value is not JSON, %d expression errors (first: %s)\n", st.Invalid, st.Errors, st.FirstError)
		for _, fe := range st.FirstErrors {
			fmt.Fprintf(e.stdout, "  error %s\n", ui.Sanitize(fe))
		}
	}
	if st.Records > 0 && st.Errors+st.Invalid == st.Records {
		// Nothing of the window made it into the table: the spec does not
		// fit the data. Not a success.
		first := st.FirstError
		if first == "" {
			first = "values are not JSON"
		}
		return fmt.Errorf("run %s: every record (%d) failed: %d expression errors, %d not JSON; first: %s", m.ID, st.Records, st.Errors, st.Invalid, first)
	}
	return nil
}

func partialLabel(p bool) string {
	if p {
		return " (PARTIAL: part of the window was deleted by retention)"
	}
	return ""
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// progressPrinter draws a progress bar on a terminal, periodic lines
// otherwise.
type progressPrinter struct {
	w     io.Writer
	tty   bool
	every time.Duration
	drawn bool
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w, tty: isTerminal(w), every: 5 * time.Second}
	if p.tty {
		p.every = 200 * time.Millisecond
	}
	return p
}

func (p *progressPrinter) print(pr project.Progress) {
	pct := 100.0
	if pr.Total > 0 {
		pct = 100 * float64(pr.Done) / float64(pr.Total)
	}
	eta := "-"
	if pr.ETA > 0 {
		eta = pr.ETA.Round(time.Second).String()
	}
	line := fmt.Sprintf("%d/%d records (%.1f%%)  %.0f rec/s  ETA %s  %d rows", pr.Done, pr.Total, pct, pr.Rate, eta, pr.Rows)
	if !p.tty {
		if !pr.Final {
			fmt.Fprintln(p.w, line)
		}
		return
	}
	const width = 30
	n := int(pct / 100 * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	fmt.Fprintf(p.w, "\r\x1b[K%s %s", bar, line)
	p.drawn = true
}

// health reports a broker that stopped answering, or answers again, on a
// line of its own.
func (p *progressPrinter) health(h backend.Health) {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintf(p.w, "rewind: %s\n", h)
}

func (p *progressPrinter) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// ProjectListCmd is `rewind project list`.
type ProjectListCmd struct {
	OutputFlag
}

// Run lists runs.
func (c *ProjectListCmd) Run(e *runEnv) error {
	runs, err := project.ListRuns(localDataDir(e))
	if err != nil {
		return err
	}
	if structured(c.Output) {
		if runs == nil {
			runs = []*project.Meta{}
		}
		return writeStructured(e.stdout, c.Output, runs)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tNAME\tSTATUS\tTOPICS\tAGGREGATE\tFROM\tUNTIL\tPROGRESS\tROWS\tCREATED")
	for _, m := range runs {
		prog, rows := "-", "-"
		if p := m.Progress; p != nil {
			prog = fmt.Sprintf("%d/%d", p.Done, p.Total)
			rows = fmt.Sprint(p.Rows)
		}
		st := m.Status
		if m.Partial {
			st += " PARTIAL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, st, strings.Join(m.Topics, ","), m.Aggregate,
			m.From, m.Until, prog, rows, m.Created.Local().Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

// ProjectShowCmd is `rewind project show RUNID`.
type ProjectShowCmd struct {
	ID string `arg:"" placeholder:"RUNID" predictor:"run"`
	OutputFlag
}

type showJSON struct {
	*project.Meta
	Checkpoint map[string]map[int32]int64 `json:"checkpoint,omitempty"`
	Stats      *project.Stats             `json:"stats,omitempty"`
	Checksum   string                     `json:"checksum,omitempty"`
	Rows       *int64                     `json:"rows,omitempty"`
	Note       string                     `json:"note,omitempty"`
}

// Run shows a run.
func (c *ProjectShowCmd) Run(e *runEnv) error {
	dir := localDataDir(e)
	m, err := project.LoadMeta(dir, c.ID)
	if err != nil {
		return err
	}
	out := showJSON{Meta: m}
	if t, err := project.OpenTable(dir, c.ID); err == nil {
		offs, oerr := t.Offsets()
		st, serr := t.Stats()
		sum, rows, cerr := t.Checksum(e.ctx)
		t.Close()
		if err := errors.Join(oerr, serr, cerr); err != nil {
			return fmt.Errorf("run %q: %w", c.ID, err)
		}
		out.Checkpoint, out.Stats, out.Checksum, out.Rows = offs, &st, sum, &rows
	} else if errors.Is(err, project.ErrInUse) {
		out.Note = "the state store is held by the process running it: progress is its last periodic copy"
	} else {
		return err
	}
	if structured(c.Output) {
		return writeStructured(e.stdout, c.Output, out)
	}
	w := e.stdout
	fmt.Fprintf(w, "run       %s\nname      %s (%s)\nspec      %s (hash %s)\nstatus    %s%s\n", m.ID, m.Name, m.Aggregate, m.SpecFile, m.SpecHash, m.Status, partialLabel(m.Partial))
	if m.Error != "" {
		fmt.Fprintf(w, "error     %s\n", m.Error)
	}
	fmt.Fprintf(w, "group     %s\ncluster   %s\nwindow    from %s until %s\n", m.Group, m.Cluster, m.From, m.Until)
	if out.Rows != nil {
		fmt.Fprintf(w, "rows      %d\nchecksum  %s\n", *out.Rows, out.Checksum)
	}
	if st := out.Stats; st != nil {
		fmt.Fprintf(w, "records   %d consumed, %d applied, %d filtered, %d tombstones, %d not JSON, %d errors\n",
			st.Records, st.Applied, st.Filtered, st.Tombstones, st.Invalid, st.Errors)
		if st.FirstError != "" {
			fmt.Fprintf(w, "first err %s\n", st.FirstError)
		}
	}
	if out.Note != "" {
		fmt.Fprintf(w, "note      %s\n", out.Note)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tLOG START\tSTART\tNEXT\tTARGET\tDONE\tNOTE")
	for _, p := range m.Partitions {
		next := "-"
		if o, ok := out.Checkpoint[p.Topic][p.Partition]; ok {
			next = fmt.Sprint(o)
		} else if out.Checkpoint != nil {
			next = fmt.Sprint(p.Start)
		}
		done := "-"
		if next != "-" {
			var n int64
			fmt.Sscan(next, &n)
			done = fmt.Sprintf("%d/%d", max(min(n, max(p.Target, n))-p.Start, 0), max(p.Target-p.Start, 0))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%s\t%s\n", p.Topic, p.Partition, p.LogStart, p.Start, next, p.Target, done, p.Note)
	}
	return tw.Flush()
}

// ProjectDiffCmd is `rewind project diff RUN_A RUN_B`.
type ProjectDiffCmd struct {
	Left        string `arg:"" placeholder:"RUN_A" predictor:"run" help:"Left run (typically the old version)."`
	Right       string `arg:"" placeholder:"RUN_B" predictor:"run" help:"Right run (typically the new version)."`
	OnlyChanges bool   `name:"only-changes" help:"Only keys that differ (added, removed, changed)."`
	OutputFlag
	Rows int `default:"1000" help:"JSON: include at most this many rows (0 = none, -1 = all); the table prints every row."`
}

// Run compares two runs, printing rows as the merge reads them.
func (c *ProjectDiffCmd) Run(e *runEnv) error {
	dir := localDataDir(e)
	lt, err := project.OpenTable(dir, c.Left)
	if err != nil {
		return err
	}
	defer lt.Close()
	rt, err := project.OpenTable(dir, c.Right)
	if err != nil {
		return err
	}
	defer rt.Close()
	var out diffOut = newDiffTable(e.stdout, c.Left, c.Right)
	if c.Output == "json" {
		out = newDiffJSON(e.stdout, c.Rows)
	}
	sum, err := project.Diff(e.ctx, lt, rt, func(r *project.DiffRow) error {
		if c.OnlyChanges && r.Marker == project.MarkSame {
			return nil
		}
		return out.row(r)
	})
	if err != nil {
		return err
	}
	return out.end(sum)
}

// cell keeps untrusted record bytes on one safe line.
func cell(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			b, _ := appendCell(nil, []byte(s)) // control or non-ASCII
			return string(b)
		}
	}
	return s
}

// appendCell appends b made safe as cell does: tabs and newlines become
// spaces, control characters and invalid UTF-8 \xNN. It returns the width
// of what it appended, in runes.
func appendCell(dst, b []byte) ([]byte, int) {
	i := printableASCII(b)
	dst = append(dst, b[:i]...)
	w := i
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			dst = append(dst, ' ')
			w++
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD':
			k := len(dst)
			dst = fmt.Appendf(dst, "\\x%02x", r)
			w += len(dst) - k
		default:
			dst = utf8.AppendRune(dst, r)
			w++
		}
	}
	return dst, w
}

// printableASCII is the length of b's leading run of printable ASCII
// (0x20-0x7e), eight bytes at a time: a diff's rows are mostly that.
func printableASCII(b []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte < 0x20 borrows (its high bit set after -0x20), one
		// >= 0x80 has it, 0x7f gets it from +1; a borrow or a carry
		// only flags a neighbour, which the byte loop below clears up.
		if ((w-0x20*lo)|w|(w+lo))&hi != 0 {
			break
		}
	}
	for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
		i++
	}
	return i
}

// ProjectPublishCmd is `rewind project publish RUNID --topic T`.
type ProjectPublishCmd struct {
	ID         string `arg:"" placeholder:"RUNID" predictor:"run"`
	Topic      string `required:"" placeholder:"TOPIC" help:"Compacted topic to publish to (created compacted when missing)."`
	Yes        bool   `help:"Write. Without it the plan is printed and nothing is written (exit 0)."`
	Partitions int32  `default:"3" help:"Partitions of the topic when it is created."`
	OutputFlag
}

// Run publishes.
func (c *ProjectPublishCmd) Run(e *runEnv) error {
	if e.g.ReadOnly && c.Yes {
		return fmt.Errorf("publish %s to %s: %w", c.ID, c.Topic, backend.ErrReadOnly)
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	plan, err := project.Publish(e.ctx, s.cluster, dataDir(e, s), c.ID, project.PublishOptions{Topic: c.Topic, Execute: c.Yes, Partitions: c.Partitions})
	if err != nil {
		return err
	}
	if structured(c.Output) {
		if err := writeStructured(e.stdout, c.Output, plan); err != nil {
			return err
		}
	} else {
		verb := "would write"
		if plan.Written {
			verb = "wrote"
		}
		create := ""
		if plan.CreateTopic {
			create = fmt.Sprintf(" (%s create topic %s, compacted)", strings.TrimSuffix(verb, " write"), c.Topic)
			if plan.Written {
				create = fmt.Sprintf(" (created topic %s, compacted)", c.Topic)
			}
		}
		fmt.Fprintf(e.stdout, "publish %s -> %s%s: %s %d upserts and %d tombstones; %d keys unchanged; %d rows in the table\n",
			c.ID, c.Topic, create, verb, plan.Upserts, plan.Tombstones, plan.Unchanged, plan.Rows)
		if len(plan.SampleUpsert) > 0 {
			fmt.Fprintf(e.stdout, "  upserts e.g.:    %s\n", cell(strings.Join(plan.SampleUpsert, ", ")))
		}
		if len(plan.SampleDelete) > 0 {
			fmt.Fprintf(e.stdout, "  tombstones e.g.: %s\n", cell(strings.Join(plan.SampleDelete, ", ")))
		}
	}
	if !plan.Written {
		// A dry run that worked exits 0, like a reset dry run.
		fmt.Fprintf(e.stderr, "rewind: dry run: nothing written; add --yes to publish\n")
	}
	return nil
}

// ProjectExportCmd is `rewind project export RUNID --file FILE`.
type ProjectExportCmd struct {
	ID     string `arg:"" placeholder:"RUNID" predictor:"run"`
	File   string `required:"" placeholder:"FILE" help:"Output file ('-' for stdout)."`
	Format string `default:"jsonl" enum:"jsonl,csv" help:"jsonl ({\"key\":...,\"value\":...} per line) or csv (key,value)."`
}

// Run exports.
func (c *ProjectExportCmd) Run(e *runEnv) error {
	dir := localDataDir(e)
	// A regular file is complete or absent; a device or pipe
	// (/dev/stdout) is written, never replaced; "-" is stdout.
	f, err := outfile.Create(c.File, e.stdout, true)
	if err != nil {
		return fmt.Errorf("export %s: %w", c.ID, err)
	}
	n, err := project.Export(e.ctx, dir, c.ID, f, c.Format)
	if err != nil {
		f.Abort()
		return fmt.Errorf("export %s: %w", c.ID, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("export %s: %w", c.ID, err)
	}
	if c.File != "-" {
		fmt.Fprintf(e.stderr, "exported %d rows of %s to %s (%s)\n", n, c.ID, c.File, c.Format)
	}
	return nil
}

// ProjectDeleteCmd is `rewind project delete RUNID`.
type ProjectDeleteCmd struct {
	ID        string `arg:"" placeholder:"RUNID" predictor:"run"`
	KeepGroup bool   `name:"keep-group" help:"Do not delete the run's isolated consumer group."`
}

// Run deletes a run.
func (c *ProjectDeleteCmd) Run(e *runEnv) error {
	dir := localDataDir(e)
	m, err := project.LoadMeta(dir, c.ID)
	if err != nil {
		return err
	}
	if err := project.Delete(dir, c.ID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted run %s\n", c.ID)
	if c.KeepGroup || e.g.ReadOnly {
		return nil
	}
	if e.remoteSelected() {
		s, err := e.open(false)
		if err != nil {
			fmt.Fprintf(e.stderr, "group %s not deleted: %v\n", m.Group, err)
			return nil
		}
		defer s.Close()
		if err := s.cluster.DeleteGroup(e.ctx, m.Group); err != nil && !errors.Is(err, backend.ErrUnknownGroup) {
			fmt.Fprintf(e.stderr, "group %s not deleted: %v\n", m.Group, err)
		}
	}
	return nil
}
