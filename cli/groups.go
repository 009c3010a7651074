package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/ui"
)

// GroupsCmd lists consumer groups.
type GroupsCmd struct {
	OutputFlag `embed:"" set:"json_shape= (one object per group per line)"`
	Samples    int `default:"1" placeholder:"N" help:"Without recorded history: samples to take, 1s apart, before judging health (one judges LOST, STOP and OK; trends need history or 'lag --watch')."`
}

// Run prints every group with its state, members, lag and verdict.
func (c *GroupsCmd) Run(e *runEnv) error {
	return runLag(e, nil, c.Output, c.Samples, false, false)
}

// LagCmd prints per-partition lag.
type LagCmd struct {
	Groups     []string `arg:"" optional:"" name:"group" predictor:"group" help:"Groups to show (default: every group)."`
	Watch      bool     `short:"w" help:"Redraw every --refresh until interrupted, like watch(1); samples are recorded in the lag history, so trends (WARN, BEHIND, STALL) appear."`
	OutputFlag `embed:"" set:"json_shape= (one object per group per line)"`
	Samples    int `default:"1" placeholder:"N" help:"Without --watch and without recorded history: samples to take, 1s apart (one judges LOST, STOP and OK at once; more, or history, judge trends)."`
}

// Run prints the lag of the groups, once or continuously.
func (c *LagCmd) Run(e *runEnv) error {
	return runLag(e, c.Groups, c.Output, c.Samples, c.Watch, true)
}

// sampleEvery spaces the samples of a one-shot `lag` or `groups` without
// history.
var sampleEvery = time.Second

// How verdicts are judged from the command line. Every rewind process
// connected to a cluster records lag in the data dir (laghist), so a
// one-shot `rewind lag` or `rewind groups` usually answers at once from the
// recorded history, with the verdict and the history it rests on:
//
//   - history fresh (another rewind holds the sampling lock and its newest
//     sample is at most two refreshes old): printed as recorded, no
//     sampling;
//   - history stale (nobody sampled lately): one fresh sample, added to the
//     history (recorded when no other process samples), judged with it;
//   - no history: --samples samples 1s apart, recorded. LOST, STOP and OK
//     need one sample; trends need history, so a live lagging partition is
//     UNKNOWN until there is some.

type groupReport struct {
	Group        string               `json:"group"`
	State        string               `json:"state"`
	Protocol     string               `json:"protocol"`
	ProtocolType string               `json:"protocol_type,omitempty"`
	Assignor     string               `json:"assignor,omitempty"`
	Members      int                  `json:"members"`
	Topics       []string             `json:"topics"`
	TotalLag     int64                `json:"total_lag"`
	MaxTimeLagMs *int64               `json:"max_time_lag_ms"` // null: unknown
	Status       lag.Status           `json:"status"`
	Reason       string               `json:"reason"`
	BasedOn      string               `json:"based_on"`
	BasisMs      int64                `json:"basis_ms"`
	Role         string               `json:"role,omitempty"` // replay | projection: rewind's own group
	Label        string               `json:"label,omitempty"`
	Error        string               `json:"error,omitempty"`
	Samples      int                  `json:"samples"` // taken by this command (0: from history)
	At           time.Time            `json:"at"`
	MembersInfo  []backend.MemberInfo `json:"members_info"`
	Partitions   []partReport         `json:"partitions"`
}

type partReport struct {
	Topic         string `json:"topic"`
	Partition     int32  `json:"partition"`
	Committed     int64  `json:"committed"` // -1: no commit
	LogStart      int64  `json:"log_start"`
	HighWatermark int64  `json:"high_watermark"`
	Lag           int64  `json:"lag"`         // -1: no commit
	TimeLagMs     *int64 `json:"time_lag_ms"` // null: unknown
	// TimeLagSource is "record" (age of the record at the committed
	// offset) or "estimate" (from high-watermark samples; record gone).
	TimeLagSource string     `json:"time_lag_source,omitempty"`
	Status        lag.Status `json:"status"`
	Reason        string     `json:"reason"`
	// LostRecords counts records deleted before the group read them.
	LostRecords int64  `json:"lost_records,omitempty"`
	Owner       string `json:"owner,omitempty"`
	Client      string `json:"client,omitempty"`
	Host        string `json:"host,omitempty"`
	Error       string `json:"error,omitempty"`
}

// reports builds the output rows of the wanted groups (none: all) from a
// snapshot.
func reports(sn *laghist.Snapshot, want []string, taken int) []groupReport {
	var out []groupReport
	add := func(g *laghist.Group) {
		r := groupReport{Group: g.Group, State: g.State, Protocol: g.Protocol, ProtocolType: g.ProtocolType,
			Assignor: g.Assignor, Members: g.Members, Topics: g.Topics, TotalLag: g.TotalLag, Status: g.Verdict.Status,
			Reason: g.Verdict.Reason, BasedOn: g.Verdict.BasisText(), BasisMs: g.Verdict.Basis.Milliseconds(),
			Role: strings.ToLower(string(g.Role)), Label: g.Label,
			Error: g.Err, Samples: taken, At: g.FetchedAt, MembersInfo: g.MembersInfo, Partitions: []partReport{}}
		if r.Topics == nil {
			r.Topics = []string{}
		}
		if r.MembersInfo == nil {
			r.MembersInfo = []backend.MemberInfo{}
		}
		for j, p := range g.Partitions {
			tl := g.Parts[j].TimeLag
			pr := partReport{Topic: p.Topic, Partition: p.Partition, Committed: p.Committed, LogStart: p.LogStart,
				HighWatermark: p.HighWatermark, Lag: p.Lag, TimeLagSource: tl.Source, Status: g.Parts[j].Verdict.Status,
				Reason: g.Parts[j].Verdict.Reason, Owner: p.Owner, Client: p.Client, Host: p.Host, Error: p.Err}
			if p.BehindLogStart {
				pr.LostRecords = p.LogStart - p.Committed
			}
			if tl.Source != "" {
				ms := tl.Lag.Milliseconds()
				pr.TimeLagMs = &ms
				if r.MaxTimeLagMs == nil || ms > *r.MaxTimeLagMs {
					r.MaxTimeLagMs = &ms
				}
			}
			r.Partitions = append(r.Partitions, pr)
		}
		out = append(out, r)
	}
	if len(want) == 0 {
		for i := range sn.Groups {
			add(&sn.Groups[i])
		}
		return out
	}
	for _, name := range want {
		if g, ok := sn.Group(name); ok {
			add(g)
		}
	}
	return out
}

// checkKnown fails, naming them, when requested groups are not in the
// snapshot (the cluster does not know them).
func checkKnown(want []string, sn *laghist.Snapshot, addr string) error {
	var missing []string
	for _, name := range want {
		if _, ok := sn.Group(name); !ok {
			missing = append(missing, strconv.Quote(ui.Sanitize(name)))
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("unknown consumer group %s on %s", missing[0], addr)
	}
	return fmt.Errorf("unknown consumer groups %s on %s", strings.Join(missing, ", "), addr)
}

func runLag(e *runEnv, groups []string, output string, samples int, watch, detail bool) error {
	if samples < 1 {
		return fmt.Errorf("--samples must be at least 1, got %d", samples)
	}
	refresh := e.g.Refresh
	if refresh <= 0 {
		return fmt.Errorf("--refresh must be positive, got %v", refresh)
	}
	s, err := e.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	smp, err := e.newSampler(s)
	if err != nil {
		return err
	}
	defer smp.Close()
	if watch {
		return watchLag(e, smp, s.cluster.Addr(), groups, output, refresh, detail)
	}
	if err := smp.OpenStore(e.ctx); err != nil {
		fmt.Fprintf(e.stderr, "rewind: lag history not used: %s\n", oneLine(err))
	}
	sn := smp.Snapshot()
	// Another process holds the sampling lock when it keeps the history
	// current; otherwise this command samples (and records) itself.
	leading := lead(e, smp)
	taken := 0
	switch {
	case !leading && fresh(sn, refresh) && checkKnown(groups, sn, "") == nil:
		// Answered from the history another rewind keeps current.
	case !sn.At.IsZero():
		// Stale history: one sample now, judged with the history.
		if err := smp.Sample(e.ctx); err != nil && len(smp.Snapshot().Groups) == 0 {
			return err
		}
		taken = 1
	default:
		start := time.Now()
		for i := range samples {
			if i > 0 {
				if err := sleepCtx(e.ctx, time.Until(start.Add(time.Duration(i)*sampleEvery))); err != nil {
					return err
				}
			}
			if err := smp.Sample(e.ctx); err != nil && smp.Snapshot().At.IsZero() {
				return err
			}
			taken++
			if i == 0 {
				if err := checkKnown(groups, smp.Snapshot(), s.cluster.Addr()); err != nil {
					return err
				}
			}
		}
	}
	sn = smp.Snapshot()
	if err := checkKnown(groups, sn, s.cluster.Addr()); err != nil {
		return err
	}
	var buf bytes.Buffer
	writeReports(&buf, reports(sn, groups, taken), output, detail)
	if err := writeOut(e.stdout, buf.Bytes()); !errors.Is(err, errPipeClosed) {
		return err
	}
	return nil
}

// fresh: the newest recorded sample is at most two refreshes old (of this
// command's or the sampling process's, whichever is longer).
func fresh(sn *laghist.Snapshot, refresh time.Duration) bool {
	if sn.At.IsZero() {
		return false
	}
	return time.Since(sn.At) <= 2*max(refresh, sn.Interval)+time.Second
}

// lead makes this command record its samples when no other process
// samples the cluster; it reports whether it does (true without a store).
func lead(e *runEnv, smp *laghist.Sampler) bool {
	st := smp.Store()
	if st == nil {
		return true
	}
	ok, err := st.TryLead()
	if err != nil {
		fmt.Fprintf(e.stderr, "rewind: lag history: %s (samples not recorded)\n", oneLine(err))
		return true
	}
	return ok
}

// watchLag redraws on every new sample (at most every refresh) until
// SIGINT, like watch(1): the screen is cleared only when stdout is a
// terminal (a pipe gets frames one after the other; JSON gets one object
// per group per refresh, never cleared). The sampler runs in the
// background: it records the cluster's history, or follows the rewind
// process that does.
func watchLag(e *runEnv, smp *laghist.Sampler, addr string, groups []string, output string, refresh time.Duration, detail bool) error {
	clear := output == "table" && isTerminal(e.stdout)
	changed := smp.Changed()
	stop := smp.Start(e.ctx)
	defer stop()
	var lastSeq uint64
	for n := 0; ; n++ {
		select {
		case <-e.ctx.Done():
			return nil // SIGINT: a clean end
		case <-changed:
		}
		changed = smp.Changed()
		start := time.Now()
		sn := smp.Snapshot()
		if sn.Seq+sn.Poll.Errors<<32 == lastSeq {
			continue // nothing new: no frame
		}
		lastSeq = sn.Seq + sn.Poll.Errors<<32
		var buf bytes.Buffer
		if clear {
			buf.WriteString("\x1b[H\x1b[2J")
		}
		if output == "table" {
			what := "every group"
			if len(groups) > 0 {
				what = ui.Sanitize(strings.Join(groups, " "))
			}
			fmt.Fprintf(&buf, "Every %s: rewind lag %s · %d samples, window %s · %s\n\n",
				fmtDur(refresh), what, sn.Seq, fmtDur(smp.Eval().Window), sn.At.Format("15:04:05"))
		}
		err := checkKnown(groups, sn, addr)
		if err != nil && n == 0 {
			return err
		}
		if pe := sn.Poll.LastErr; pe != "" && err == nil {
			err = errors.New(pe)
		}
		switch {
		case err != nil && structured(output):
			// Keep stdout parseable; the error goes to stderr and the
			// watch goes on.
			fmt.Fprintf(e.stderr, "rewind: %s\n", oneLine(err))
		case err != nil:
			fmt.Fprintf(&buf, "✗ %s (retrying every %s)\n", ui.Sanitize(oneLine(err)), fmtDur(refresh))
		}
		writeReports(&buf, reports(sn, groups, 0), output, detail)
		if err := writeOut(e.stdout, buf.Bytes()); errors.Is(err, errPipeClosed) {
			return nil
		} else if err != nil {
			return err
		}
		// At most one frame per refresh, whatever the sampling process's
		// rate.
		if err := sleepCtx(e.ctx, time.Until(start.Add(refresh))); err != nil {
			return nil
		}
	}
}

// fmtDur renders an interval the way it was probably typed: "2s", "1m",
// "500ms".
func fmtDur(d time.Duration) string {
	if d < time.Second || d%time.Second != 0 {
		return d.String()
	}
	return ui.FormatAge(d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// errPipeClosed: the reader of stdout went away (`| head`). Not a failure;
// it ends a --watch.
var errPipeClosed = errors.New("stdout closed")

// writeOut writes one frame at once (no flicker in --watch).
func writeOut(w io.Writer, b []byte) error {
	bw := bufio.NewWriterSize(w, len(b)+1)
	_, err := bw.Write(b)
	if err == nil {
		err = bw.Flush()
	}
	if errors.Is(err, syscall.EPIPE) {
		return errPipeClosed
	}
	return err
}

func writeReports(w io.Writer, reps []groupReport, output string, detail bool) {
	if structured(output) {
		enc := newEncoder(w, output)
		for i := range reps {
			_ = enc.Encode(&reps[i]) // a bytes.Buffer does not fail
		}
		return
	}
	if !detail {
		writeGroupsTable(w, reps)
		return
	}
	if len(reps) == 0 {
		fmt.Fprintln(w, "no consumer groups")
		return
	}
	for i := range reps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeLagTable(w, &reps[i])
	}
}

func fmtMs(ms *int64, source string) string {
	if ms == nil {
		return "-"
	}
	s := ui.FormatAge(time.Duration(*ms) * time.Millisecond)
	switch source {
	case backend.TimeLagEstimate:
		s = "~" + s
	case backend.TimeLagAtLeast:
		s = ">" + s
	}
	return s
}

// maxSource is the source of the group's largest time lag, for its "~".
func maxSource(r *groupReport) string {
	for _, p := range r.Partitions {
		if p.TimeLagMs != nil && r.MaxTimeLagMs != nil && *p.TimeLagMs == *r.MaxTimeLagMs {
			return p.TimeLagSource
		}
	}
	return ""
}

func fmtCLILag(l int64) string {
	if l < 0 {
		return "-"
	}
	return strconv.FormatInt(l, 10)
}

func groupLagText(r *groupReport) string {
	for _, p := range r.Partitions {
		if p.Committed >= 0 && p.Error == "" {
			return strconv.FormatInt(r.TotalLag, 10)
		}
	}
	return "-" // no commit anywhere: unknown, not zero
}

func writeGroupsTable(w io.Writer, reps []groupReport) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tPROTOCOL\tSTATE\tMEMBERS\tTOPICS\tLAG\tTIME LAG\tSTATUS\tREASON\t")
	for i := range reps {
		r := &reps[i]
		state := r.State
		if r.Error != "" {
			state += " (" + r.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", ui.Sanitize(r.Group), r.Protocol, ui.Sanitize(state), r.Members,
			ui.Sanitize(strings.Join(r.Topics, ",")), groupLagText(r), fmtMs(r.MaxTimeLagMs, maxSource(r)), r.Status,
			ui.Sanitize(r.Reason+" ("+r.BasedOn+")"))
	}
	_ = tw.Flush()
}

// writeLagTable prints one group like kafka-consumer-groups --describe,
// with a header line and a LOST note that cannot be missed.
func writeLagTable(w io.Writer, r *groupReport) {
	proto := r.Protocol
	if r.Assignor != "" {
		proto += "/" + r.Assignor
	}
	fmt.Fprintf(w, "GROUP %s  state %s  protocol %s  members %d  lag %s  max time lag %s  status %s\n",
		ui.Sanitize(r.Group), ui.Sanitize(r.State), ui.Sanitize(proto), r.Members, groupLagText(r),
		fmtMs(r.MaxTimeLagMs, maxSource(r)), r.Status)
	fmt.Fprintf(w, "  %s: %s (%s)\n", r.Status, ui.Sanitize(r.Reason), r.BasedOn)
	if r.Error != "" {
		fmt.Fprintf(w, "  ! %s\n", ui.Sanitize(r.Error))
	}
	if len(r.Partitions) == 0 {
		fmt.Fprintln(w, "  (no partitions: no commits, assignments or subscriptions)")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tLOG START\tHIGH WM\tLAG\tTIME LAG\tSTATUS\tOWNER\t")
	for _, p := range r.Partitions {
		status := string(p.Status)
		if p.LostRecords > 0 {
			status = fmt.Sprintf("LOST: %d records deleted before read", p.LostRecords)
		}
		if p.Error != "" {
			status += " (" + p.Error + ")"
		}
		owner := "-"
		if p.Owner != "" {
			owner = p.Client + "@" + p.Host
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", ui.Sanitize(p.Topic), p.Partition, fmtCLILag(p.Committed),
			p.LogStart, p.HighWatermark, fmtCLILag(p.Lag), fmtMs(p.TimeLagMs, p.TimeLagSource), ui.Sanitize(status), ui.Sanitize(owner))
	}
	_ = tw.Flush()
}
