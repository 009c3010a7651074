package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ServeCmd runs the embedded log headless.
type ServeCmd struct {
	MetricsFlag `embed:""`
	Sync        bool `help:"fsync every produced batch before acknowledging it: acknowledged records survive a power loss, at a cost in produce throughput (see the README)."`
}

// Run starts the embedded log and blocks until SIGINT/SIGTERM.
func (c *ServeCmd) Run(e *runEnv) error {
	if len(e.g.Brokers) > 0 {
		return errors.New("serve runs the embedded log; do not pass --brokers")
	}
	dir := e.g.DataDir
	if dir == "" {
		dir = backend.DefaultDataDir()
	}
	cfg := backend.EmbeddedConfig{DataDir: dir, Listen: e.g.Listen, RegistryListen: e.g.RegistryListen,
		Demo: !e.g.NoDemo && !e.g.ReadOnly, ReadOnly: e.g.ReadOnly, AcceptDamage: e.g.AcceptDamage, Sync: c.Sync}
	if e.g.ReadOnly {
		cfg.OnRefused = auditRefusal(dir, e.stderr)
	}
	emb, err := backend.StartEmbedded(e.ctx, cfg)
	if err != nil {
		return err
	}
	if d := emb.Damage(); d != nil {
		fmt.Fprintf(e.stderr, "rewind: %v (started anyway: --accept-damage)\n", d)
	}
	fmt.Fprintf(e.stdout, "listening on %s\n", emb.Addr())
	fmt.Fprintf(e.stdout, "schema registry on %s\n", emb.RegistryURL())
	if e.g.ReadOnly {
		fmt.Fprintln(e.stdout, "read-only: every client's writes are refused (produce, topics, configs, offsets, groups, transactions, schemas); no demo traffic")
	}
	fmt.Fprintf(e.stdout, "data dir %s\n", emb.DataDir())
	// A connected rewind records lag, serve included, so the history is
	// there when a screen opens.
	cl, err := backend.Connect(e.ctx, backend.Options{Brokers: []string{emb.Addr()}, Embedded: true, ReadOnly: e.g.ReadOnly, Timeout: e.g.Timeout})
	if err != nil {
		_ = emb.Close()
		return err
	}
	_, stopLag, err := e.recordLag(&session{cluster: cl, label: "embedded"}, emb.DataDir(), c.Metrics)
	if err != nil {
		cl.Close()
		_ = emb.Close()
		return err
	}
	<-e.ctx.Done()
	stopLag()
	cl.Close()
	if err := emb.Close(); err != nil {
		return fmt.Errorf("closing embedded log: %w", err)
	}
	fmt.Fprintln(e.stdout, "closed cleanly")
	return nil
}

// auditRefusal writes each write the read-only log refused to the audit
// trail, like a guard refusal (the client is not known: any Kafka client
// may have sent it).
func auditRefusal(dir string, stderr io.Writer) func(backend.Refusal) {
	return func(r backend.Refusal) {
		en := &replay.AuditEntry{Time: time.Now().UTC(), Actor: "a client of rewind serve --read-only", Cluster: "embedded",
			Kind: replay.AuditWriteRefused, Group: r.Group, Partitions: []replay.AuditPartition{},
			Result: "refused: " + r.What() + ": the embedded log is served read-only (rewind serve --read-only)"}
		if len(r.Topics) > 0 {
			en.Topic = strings.Join(r.Topics, ",")
		}
		if err := replay.AppendAudit(dir, en); err != nil {
			fmt.Fprintf(stderr, "rewind: %v\n", err)
		}
	}
}

// TopicsCmd lists topics.
type TopicsCmd struct {
	OutputFlag `embed:"" set:"json_shape= (one object per line)"`
	Internal   bool `help:"Include internal topics (__consumer_offsets, ...)."`
}

// Run prints the topics.
func (c *TopicsCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	topics, err := s.cluster.Topics(e.ctx)
	if err != nil {
		return err
	}
	if !c.Internal {
		topics = slices.DeleteFunc(topics, func(t backend.Topic) bool { return t.Internal })
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	if structured(c.Output) {
		return encodeEach(w, c.Output, topics)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "NAME\tPARTITIONS\tREPLICATION\tRECORDS\tCLEANUP\tRETENTION\t")
	for _, t := range topics {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", ui.Sanitize(t.Name), t.Partitions, t.ReplicationFactor, t.Records, t.CleanupPolicy, retention(t.RetentionMs))
	}
	return tw.Flush()
}

func retention(ms int64) string {
	if ms < 0 {
		return "infinite"
	}
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}

// ConsumeCmd prints records.
type ConsumeCmd struct {
	Topic     string `arg:"" predictor:"topic" help:"Topic to read."`
	From      string `default:"earliest" placeholder:"POS" help:"Start: earliest, latest, OFFSET, -N (N before the end), RFC3339 time, or -DURATION (e.g. -15m)."`
	Partition *int32 `short:"p" placeholder:"N" help:"Read only this partition."`
	Count     int64  `short:"c" placeholder:"N" help:"Stop after N records."`
	Until     string `enum:",end" default:"" placeholder:"end" help:"'end': stop at the end of each partition taken at start (its last stable offset under read-committed). Without --until or --count, follow the log."`
	Output    string `short:"o" enum:",json,jsonl,yaml,text,csv,value" default:"" placeholder:"FORMAT" help:"json or jsonl (one object per line; the default), yaml (one document per record), text, csv (a header row; see the README), or value (each value as stored and a newline, like kcat -f '%s\\n'). With --file the default follows its name: .csv is csv."`
	Format    string `short:"f" placeholder:"FORMAT" help:"Print each record as FORMAT says, like kcat -f: %t topic, %p partition, %o offset, %k key, %s value, %T timestamp (ms), %h headers (k=v,...), %K and %S key and value length (-1: null), %% a percent sign, \\n \\t \\r \\\\ \\xHH. Keys, values and headers as stored (not decoded); sanitised on a terminal."`

	SearchFlags `embed:""`
	DecodeFlags `embed:""`

	ops []fmtOp // -f FORMAT, parsed
}

// Run streams records to stdout.
func (c *ConsumeCmd) Run(e *runEnv) error {
	if c.Count < 0 {
		return fmt.Errorf("--count must be positive, got %d", c.Count)
	}
	if c.Format != "" {
		if c.Output != "" {
			return errors.New("-f FORMAT and -o both say how to print records: give one")
		}
		ops, err := parseFormat(c.Format)
		if err != nil {
			return err
		}
		c.ops, c.Output = ops, "format"
	}
	switch {
	case c.Output == "jsonl":
		c.Output = "json"
	case c.Output == "" && scan.FormatFor(c.File) == scan.CSV:
		c.Output = "csv"
	case c.Output == "":
		c.Output = "json"
	}
	if c.scanning() {
		return c.runScan(e)
	}
	start, err := backend.ParseStart(c.From, time.Now())
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	opts := backend.ConsumeOptions{Topic: c.Topic, From: start, Count: c.Count, UntilEnd: c.Until == "end",
		OnHealth: func(h backend.Health) { fmt.Fprintf(e.stderr, "rewind: %s\n", h) }}
	if c.Partition != nil {
		opts.Partitions = []int32{*c.Partition}
	}
	dec, err := e.decoder(s, c.Topic, &c.DecodeFlags)
	if err != nil {
		return err
	}
	rw, err := newRecordWriter(e.ctx, e.stdout, c.Output, &recordDecoder{ctx: e.ctx, d: dec}, s.cluster.Isolation() == backend.ReadUncommitted)
	if err != nil {
		return err
	}
	if c.ops != nil {
		rw.ops = c.ops
	}
	// Following: a record must appear as it arrives, not when the buffer
	// fills. Bounded reads keep the big buffer for speed.
	rw.flushEach = !opts.UntilEnd && opts.Count == 0
	if !rw.flushEach {
		defer batchGC()()
	}
	err = s.cluster.ConsumeBatches(e.ctx, opts, rw.writeBatch)
	if ferr := rw.flush(); err == nil {
		err = ferr
	}
	if errors.Is(err, syscall.EPIPE) {
		return nil // `| head` closed the pipe: not an error
	}
	return err
}

// appendText renders one record as a line for humans. Everything from the
// record is sanitised: text output goes to terminals.
func appendText(dst []byte, r *kgo.Record, key, value *decode.Result) []byte {
	dst = append(dst, fmt.Sprintf("%d/%d\t%s\t", r.Partition, r.Offset, backend.FormatTime(r.Timestamp))...)
	if r.Key == nil {
		dst = append(dst, "(null)"...)
	} else {
		dst = append(dst, ui.SanitizeBytes(shown(r.Key, key))...)
	}
	dst = append(dst, '\t')
	if r.Value == nil {
		dst = append(dst, "(null)"...)
	} else {
		dst = append(dst, ui.SanitizeBytes(shown(r.Value, value))...)
	}
	if len(r.Headers) > 0 {
		parts := make([]string, len(r.Headers))
		for i, h := range r.Headers {
			parts[i] = ui.Sanitize(h.Key) + "=" + ui.SanitizeBytes(h.Value)
		}
		dst = append(dst, "\t["+strings.Join(parts, " ")+"]"...)
	}
	return dst
}
