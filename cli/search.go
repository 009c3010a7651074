package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/ui"
)

// SearchFlags turn consume into a search or an export through the scan
// engine (backend/scan): only matching records are printed, with a summary
// on stderr.
type SearchFlags struct {
	Filter        string   `placeholder:"EXPR" help:"Print only records for which EXPR is true (the projection expression language: value.field, key, headers[\"x\"], partition, offset, timestamp)."`
	Key           *string  `placeholder:"KEY" help:"Only records with exactly this key; reads only the partition the default partitioner (murmur2, as the Java client) puts it in, unless --all-partitions."`
	Contains      *string  `placeholder:"TEXT" help:"Only records whose key, value or a header contains TEXT (bytes, case-sensitive)."`
	Header        []string `sep:"none" placeholder:"NAME[=VALUE]" help:"Only records with this header (and value); repeatable, all must hold."`
	To            string   `placeholder:"POS" help:"End (exclusive), like --from: OFFSET, -N, RFC3339 time, -DURATION, latest. Implies --until end."`
	Limit         int64    `placeholder:"N" help:"Stop after N matches."`
	AllPartitions bool     `name:"all-partitions" help:"With --key: read every partition, not only the key's."`
	File          string   `placeholder:"FILE" help:"Write the records to FILE instead of stdout (written whole or not at all), with progress and a count on stderr."`
}

// scanning: a flag needs the scan engine.
func (c *ConsumeCmd) scanning() bool {
	f := &c.SearchFlags
	return f.Filter != "" || f.Key != nil || f.Contains != nil || len(f.Header) > 0 || f.To != "" ||
		f.Limit != 0 || f.AllPartitions || f.File != "" || c.Output == "csv"
}

// spec builds the scan from the flags.
func (c *ConsumeCmd) spec(now time.Time) (scan.Spec, error) {
	f := &c.SearchFlags
	s := scan.Spec{Topic: c.Topic, AllPartitions: f.AllPartitions, Query: scan.Query{Expr: f.Filter}}
	if f.Limit < 0 {
		return s, fmt.Errorf("--limit must be positive, got %d", f.Limit)
	}
	if f.Limit > 0 && c.Count > 0 && f.Limit != c.Count {
		return s, errors.New("--count and --limit both say when to stop: give one")
	}
	s.Limit = max(f.Limit, c.Count)
	if f.Key != nil {
		s.Query.Key, s.Query.HasKey = []byte(*f.Key), true
	} else if f.AllPartitions {
		return s, errors.New("--all-partitions goes with --key (without --key every partition is read)")
	}
	if f.Contains != nil {
		if *f.Contains == "" {
			return s, errors.New("--contains needs some text")
		}
		s.Query.Contains = []byte(*f.Contains)
	}
	for _, h := range f.Header {
		hc, err := scan.ParseHeader(h)
		if err != nil {
			return s, fmt.Errorf("--header: %w", err)
		}
		s.Query.Headers = append(s.Query.Headers, hc)
	}
	if _, err := scan.Compile(s.Query, nil); err != nil {
		return s, fmt.Errorf("--filter: %w", err)
	}
	var err error
	if s.From, err = backend.ParseStart(c.From, now); err != nil {
		return s, fmt.Errorf("--from: %w", err)
	}
	if f.To != "" {
		to, err := backend.ParseStart(f.To, now)
		if err != nil {
			return s, fmt.Errorf("--to: %w", err)
		}
		s.To = &to
	}
	s.Follow = s.To == nil && c.Until != "end"
	if c.Partition != nil {
		s.Partitions = []int32{*c.Partition}
	}
	return s, nil
}

// runScan is consume through the scan engine.
func (c *ConsumeCmd) runScan(e *runEnv) error {
	spec, err := c.spec(time.Now())
	if err != nil {
		return err
	}
	if spec.Follow && c.File != "" && spec.Limit == 0 {
		return errors.New("--file writes a bounded range: add --until end (or --to, --limit)")
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	dec, err := e.decoder(s, c.Topic, &c.DecodeFlags)
	if err != nil {
		return err
	}
	spec.Decoder = dec
	spec.OnHealth = func(h backend.Health) { fmt.Fprintf(e.stderr, "rewind: %s\n", h) }

	out := e.stdout
	var file *scan.File
	if c.File != "" && c.File != "-" { // "-": stdout
		if file, err = scan.Create(c.File, true); err != nil {
			return err
		}
		defer file.Abort() // after a Commit it does nothing
		out = file
	}
	rw, err := newRecordWriter(e.ctx, out, c.Output, &recordDecoder{ctx: e.ctx, d: dec}, s.cluster.Isolation() == backend.ReadUncommitted)
	if err != nil {
		return err
	}
	if c.ops != nil {
		rw.ops = c.ops
	}
	// Matches appear as they are found when following or on a terminal.
	rw.flushEach = spec.Follow || (file == nil && isTerminal(e.stdout))
	var pl *progressLine
	if isTerminal(e.stderr) {
		pl = &progressLine{w: e.stderr}
		spec.Progress = pl.draw
		if file == nil && isTerminal(e.stdout) {
			rw.before = pl.clear
		}
		spec.OnHealth = func(h backend.Health) {
			pl.clear()
			fmt.Fprintf(e.stderr, "rewind: %s\n", h)
		}
	}
	prog, err := scan.Run(e.ctx, s.cluster, spec, func(m scan.Match) error { return rw.write(m.Record, m.Txn) })
	if ferr := rw.flush(); err == nil {
		err = ferr
	}
	if pl != nil {
		pl.clear()
	}
	if errors.Is(err, syscall.EPIPE) {
		return nil // `| head` closed the pipe: not an error
	}
	fmt.Fprintf(e.stderr, "rewind: %s\n", summary(prog, spec, err))
	if err == nil && file != nil {
		if err = file.Commit(); err == nil {
			fmt.Fprintf(e.stderr, "rewind: wrote %s to %s\n", plural(rw.n, "record"), ui.Sanitize(c.File))
		}
	}
	if err != nil && file != nil {
		err = fmt.Errorf("%w (nothing written to %s)", err, ui.Sanitize(c.File))
	}
	return err
}

// summary is the last line of a scan: how much was read, what matched,
// what could not be evaluated, and how it ended.
func summary(p scan.Progress, s scan.Spec, err error) string {
	var b strings.Builder
	secs := p.Elapsed.Round(100 * time.Millisecond)
	if p.Elapsed < time.Second {
		secs = p.Elapsed.Round(time.Millisecond)
	}
	switch {
	case p.Following:
		fmt.Fprintf(&b, "scanned %s in %s", plural(p.Scanned, "record"), secs)
	case p.Scanned == p.Done:
		fmt.Fprintf(&b, "scanned %s of %s records in %s", ui.FormatCount(p.Scanned), ui.FormatCount(p.Total), secs)
	default:
		fmt.Fprintf(&b, "scanned %s (%s of %s offsets; the others are transaction markers, aborted or compacted away) in %s",
			plural(p.Scanned, "record"), ui.FormatCount(p.Done), ui.FormatCount(p.Total), secs)
	}
	if !s.Query.Empty() {
		fmt.Fprintf(&b, ", %s matched", ui.FormatCount(p.Matched))
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, ", %s the expression failed on (first: %s)", plural(p.Failed, "record"), p.FirstError)
	}
	if p.Unreadable > 0 {
		fmt.Fprintf(&b, ", %s with a value that is not JSON and does not decode to it (not matched)", plural(p.Unreadable, "record"))
	}
	switch {
	case p.Limited:
		fmt.Fprintf(&b, " (limit %s reached)", ui.FormatCount(s.Limit))
	case err != nil:
		b.WriteString(" (incomplete)")
	case p.Following:
		b.WriteString(" (following; stopped)")
	}
	return ui.Sanitize(b.String())
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return ui.FormatCount(n) + " " + what + "s"
}

// progressLine is the live progress of a scan on a terminal's stderr: one
// line redrawn in place, cleared before anything else is printed.
type progressLine struct {
	w     io.Writer
	shown bool
}

func (pl *progressLine) draw(p scan.Progress) {
	if p.Finished {
		return
	}
	var b strings.Builder
	b.WriteString("\r\x1b[K")
	fmt.Fprintf(&b, "scanning %s: ", ui.Sanitize(p.Topic))
	if p.Following {
		fmt.Fprintf(&b, "%s records", ui.FormatCount(p.Scanned))
	} else {
		fmt.Fprintf(&b, "%3.0f%% %s/%s", 100*p.Fraction(), ui.FormatCount(p.Done), ui.FormatCount(p.Total))
	}
	fmt.Fprintf(&b, " · %s matched · %s/s", ui.FormatCount(p.Matched), rate(p.Rate()))
	if eta := p.ETA(); eta >= 0 {
		fmt.Fprintf(&b, " · ETA %s", ui.FormatAge(eta))
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, " · %s failed", ui.FormatCount(p.Failed))
	}
	if p.Health != "" {
		fmt.Fprintf(&b, " · %s", ui.Sanitize(p.Health))
	}
	_, _ = io.WriteString(pl.w, b.String())
	pl.shown = true
}

func (pl *progressLine) clear() {
	if pl.shown {
		_, _ = io.WriteString(pl.w, "\r\x1b[K")
		pl.shown = false
	}
}

func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}
