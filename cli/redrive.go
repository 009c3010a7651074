package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// RedriveCmd re-produces records from a dead-letter topic.
type RedriveCmd struct {
	Topic      string   `arg:"" name:"dlq-topic" predictor:"topic" help:"The dead-letter topic to read."`
	Filter     string   `placeholder:"EXPR" help:"Only records matching this expression (the projection expression language: value.field, key, headers[\"x\"], partition, offset, timestamp)."`
	To         string   `placeholder:"TOPIC" predictor:"topic" help:"Send every record to TOPIC instead of the topic named in its origin header (x-original-topic, or Spring's kafka_dlt-original-topic)."`
	DropHeader []string `name:"drop-header" sep:"none" placeholder:"NAME" help:"Header to remove from the re-produced records, a name or a glob such as 'kafka_dlt-*' (repeatable): trace ids, replication markers."`
	Record     []string `sep:"none" placeholder:"P:OFFSET" help:"Only this record of the DLQ (repeatable)."`
	Execute    bool     `help:"Re-produce. Without it, a dry run: the count per target topic."`
	OutputFlag `embed:"" set:"json_shape= (one object)"`
}

type redriveOutput struct {
	Plan     *admin.RedrivePlan `json:"plan"`
	DryRun   bool               `json:"dry_run"`
	Executed bool               `json:"executed"`
	Audit    *replay.AuditEntry `json:"audit,omitempty"`
	Problems []string           `json:"problems,omitempty"`
}

// Run plans and, with --execute, redrives.
func (c *RedriveCmd) Run(e *runEnv) error {
	req := admin.RedriveRequest{Topic: c.Topic, To: c.To, DropHeaders: c.DropHeader}
	if c.Filter != "" {
		f, err := project.CompileFilter(c.Filter)
		if err != nil {
			return fmt.Errorf("--filter: %w", err)
		}
		req.Filter, req.FilterText = f, c.Filter
	}
	for _, r := range c.Record {
		ps, os, ok := strings.Cut(r, ":")
		p, perr := strconv.ParseInt(ps, 10, 32)
		o, oerr := strconv.ParseInt(os, 10, 64)
		if !ok || perr != nil || oerr != nil || p < 0 || o < 0 {
			return fmt.Errorf("--record %q: want PARTITION:OFFSET", r)
		}
		req.Only = append(req.Only, admin.RecordRef{Partition: int32(p), Offset: o})
	}
	s, err := e.openWrite(true, c.Execute, c.Output)
	if err != nil {
		return err
	}
	defer s.Close()
	plan, err := admin.PlanRedrive(e.ctx, s.cluster, req)
	if err != nil {
		return err
	}
	out := redriveOutput{Plan: plan, DryRun: !c.Execute, Problems: plan.Problems()}
	if !structured(c.Output) {
		writeRedrivePlan(e, plan, req)
	}
	if !c.Execute {
		if structured(c.Output) {
			return newEncoder(e.stdout, c.Output).Encode(out)
		}
		if len(out.Problems) == 0 && plan.ToProduce() > 0 {
			fmt.Fprintln(e.stdout, "Dry run: nothing was produced. To re-produce these records, add --execute.")
		} else {
			fmt.Fprintln(e.stdout, "Dry run: nothing was produced.")
		}
		return nil
	}
	pr := newCountProgress(e.stderr, "re-produced")
	en, xerr := admin.ExecuteRedrive(e.ctx, s.cluster, envFor(e, s), req, plan, pr.print)
	pr.end()
	out.Executed, out.Audit = xerr == nil, en
	if structured(c.Output) {
		if err := newEncoder(e.stdout, c.Output).Encode(out); err != nil {
			return err
		}
		return xerr
	}
	if xerr != nil {
		return xerr
	}
	var parts []string
	for _, t := range plan.Targets {
		parts = append(parts, fmt.Sprintf("%s to %s", ui.FormatCount(en.Redrive.Produced[t.Topic]), ui.Sanitize(t.Topic)))
	}
	fmt.Fprintf(e.stdout, "Re-produced %s. The records stay in %s. %s\n", strings.Join(parts, ", "), ui.Sanitize(c.Topic), auditedIn(e, s))
	return nil
}

// countProgress shows done/total on stderr: redrawn in place on a
// terminal (at most 5 times a second), a line every 5s otherwise.
type countProgress struct {
	w     io.Writer
	what  string
	tty   bool
	last  time.Time
	drawn bool
}

func newCountProgress(w io.Writer, what string) *countProgress {
	return &countProgress{w: w, what: what, tty: isTerminal(w)}
}

func (p *countProgress) print(done, total int64) {
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every && done < total {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("%s %s/%s records", p.what, ui.FormatCount(done), ui.FormatCount(total))
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *countProgress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func writeRedrivePlan(e *runEnv, p *admin.RedrivePlan, req admin.RedriveRequest) {
	w := e.stdout
	what := "every record"
	if req.FilterText != "" {
		what = "records matching " + ui.Sanitize(req.FilterText)
	}
	if req.Only != nil {
		what += fmt.Sprintf(" among %s chosen", countWord(len(req.Only), "record"))
	}
	fmt.Fprintf(w, "Redrive from %s: %s · scanned %s, matched %s\n", ui.Sanitize(p.Topic), what, ui.FormatCount(p.Scanned), ui.FormatCount(p.Matched))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TARGET\tRECORDS\t\t")
	for _, t := range p.Targets {
		prob := ""
		if t.Problem != "" {
			prob = "REFUSED: " + ui.Sanitize(t.Problem)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", ui.Sanitize(t.Topic), ui.FormatCount(t.Records), prob)
	}
	_ = tw.Flush()
	if p.NoTarget > 0 {
		verb := "are"
		if p.NoTarget == 1 {
			verb = "is"
		}
		fmt.Fprintf(w, "  %s without an origin header (%s) %s left out; --to TOPIC sends them somewhere\n",
			countWord(int(p.NoTarget), "record"), strings.Join(admin.OriginHeaders, ", "), verb)
	}
	if p.FilterErrors > 0 {
		fmt.Fprintf(w, "  %s where the filter failed (not matched); first: %s\n", countWord(int(p.FilterErrors), "record"), ui.Sanitize(p.FirstFilterError))
	}
	if len(req.DropHeaders) > 0 {
		fmt.Fprintf(w, "  headers dropped: %s\n", ui.Sanitize(strings.Join(req.DropHeaders, ", ")))
	}
}
