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
	"github.com/rewind-log/rewind/ui"
	"github.com/rewind-log/rewind/views"
)

// GroupsCmd lists consumer groups.
type GroupsCmd struct {
	OutputFlag `embed:"" set:"json_shape= (one object per group per line)"`
	Samples    int `default:"1" placeholder:"N" help:"Samples to take, 1s apart, before judging health. One sample judges LOST, STOP and OK; WARN needs 3 or more; STALL needs 'lag --watch'."`
}

// Run prints every group with its state, members, lag and verdict.
func (c *GroupsCmd) Run(e *runEnv) error {
	return runLag(e, nil, c.Output, c.Samples, false, false)
}

// LagCmd prints per-partition lag.
type LagCmd struct {
	Groups     []string `arg:"" optional:"" name:"group" predictor:"group" help:"Groups to show (default: every group)."`
	Watch      bool     `short:"w" help:"Redraw every --refresh until interrupted, like watch(1); samples accumulate, so trends (WARN, STALL) appear."`
	OutputFlag `embed:"" set:"json_shape= (one object per group per line)"`
	Samples    int `default:"3" placeholder:"N" help:"Without --watch: samples to take, 1s apart, so verdicts that need a trend are judged (1: a single snapshot)."`
}

// Run prints the lag of the groups, once or continuously.
func (c *LagCmd) Run(e *runEnv) error {
	return runLag(e, c.Groups, c.Output, c.Samples, c.Watch, true)
}

// sampleEvery spaces the samples of a one-shot `lag` or `groups`.
var sampleEvery = time.Second

// How verdicts are judged from the command line: each sample is one
// GroupLags (a handful of batched requests) fed to a lag.Tracker, with the
// same sliding window as the UI (views.LagWindow of --refresh). A one-shot
// `rewind lag` takes --samples (3) samples 1s apart, about 2s, so:
//
//   - LOST (committed < log start), STOP (lag, no live member) and OK (no
//     lag) need one sample and are always judged;
//   - REWIND shows when the offset went back between two samples;
//   - WARN needs lag growing at every one of >= 3 samples;
//   - STALL needs the offset unchanged for longer than the window (1m at
//     the default --refresh): only --watch can see it. A live, lagging
//     partition with too few samples for a trend is UNKNOWN, honestly.
//
// `rewind groups` takes one sample by default: it is a listing.

// lagSampler keeps the history of one CLI run.
type lagSampler struct {
	c       *backend.Cluster
	tr      lag.Tracker
	window  time.Duration
	times   map[backend.Position]time.Time
	samples int
}

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
	Error        string               `json:"error,omitempty"`
	Samples      int                  `json:"samples"`
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
	// LostRecords counts records deleted before the group read them.
	LostRecords int64  `json:"lost_records,omitempty"`
	Owner       string `json:"owner,omitempty"`
	Client      string `json:"client,omitempty"`
	Host        string `json:"host,omitempty"`
	Error       string `json:"error,omitempty"`
}

// sample takes one sample of the groups and judges them.
func (s *lagSampler) sample(ctx context.Context, groups []string) ([]backend.GroupLag, [][]lag.Status, []lag.Status, error) {
	gls, err := s.c.GroupLags(ctx, groups)
	if err != nil {
		return nil, nil, nil, err
	}
	s.samples++
	per := make([][]lag.Status, len(gls))
	worst := make([]lag.Status, len(gls))
	for i := range gls {
		worst[i], per[i] = gls[i].Observe(&s.tr, gls[i].FetchedAt, s.window)
	}
	return gls, per, worst, nil
}

// report adds time lags (one batched TimeLags) and builds the output rows.
func (s *lagSampler) report(ctx context.Context, gls []backend.GroupLag, per [][]lag.Status, worst []lag.Status) ([]groupReport, error) {
	times, err := s.c.TimeLags(ctx, gls, s.times)
	if err != nil {
		return nil, fmt.Errorf("time lags: %w", err)
	}
	s.times = times
	now := time.Now()
	out := make([]groupReport, len(gls))
	for i := range gls {
		g := &gls[i]
		r := groupReport{Group: g.Group, State: g.State, Protocol: g.Protocol, ProtocolType: g.ProtocolType,
			Assignor: g.Assignor, Members: g.Members, Topics: g.Topics, TotalLag: g.TotalLag, Status: worst[i],
			Error: g.Err, Samples: s.samples, At: g.FetchedAt, MembersInfo: g.MembersInfo, Partitions: []partReport{}}
		if r.Topics == nil {
			r.Topics = []string{}
		}
		if r.MembersInfo == nil {
			r.MembersInfo = []backend.MemberInfo{}
		}
		for j, p := range g.Partitions {
			w := s.tr.Window(lag.Key{Group: g.Group, Topic: p.Topic, Partition: p.Partition})
			tl := p.TimeLag(now, times, w)
			pr := partReport{Topic: p.Topic, Partition: p.Partition, Committed: p.Committed, LogStart: p.LogStart,
				HighWatermark: p.HighWatermark, Lag: p.Lag, TimeLagSource: tl.Source, Status: per[i][j],
				Owner: p.Owner, Client: p.Client, Host: p.Host, Error: p.Err}
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
		out[i] = r
	}
	return out, nil
}

// notFound reports a group the cluster does not know: kfake answers "no
// such group"; Kafka describes it as Dead with nothing in it.
func notFound(g *backend.GroupLag) bool {
	return g.Err == "no such group" || (g.State == "Dead" && g.Members == 0 && len(g.Partitions) == 0)
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
	smp := &lagSampler{c: s.cluster, window: views.LagWindow(refresh)}
	smp.tr.Capacity = min(120, max(lag.DefaultCapacity, int(smp.window/refresh)+2))

	if watch {
		return watchLag(e, smp, groups, output, refresh, detail)
	}
	var (
		gls   []backend.GroupLag
		per   [][]lag.Status
		worst []lag.Status
	)
	start := time.Now()
	for i := range samples {
		if i > 0 {
			if err := sleepCtx(e.ctx, time.Until(start.Add(time.Duration(i)*sampleEvery))); err != nil {
				return err
			}
		}
		if gls, per, worst, err = smp.sample(e.ctx, groups); err != nil {
			return err
		}
		if i == 0 {
			if err := checkKnown(groups, gls, s.cluster.Addr()); err != nil {
				return err
			}
		}
	}
	reps, err := smp.report(e.ctx, gls, per, worst)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	writeReports(&buf, reps, output, detail)
	if err := writeOut(e.stdout, buf.Bytes()); !errors.Is(err, errPipeClosed) {
		return err
	}
	return nil
}

// checkKnown fails, naming them, when requested groups do not exist.
func checkKnown(want []string, gls []backend.GroupLag, addr string) error {
	if len(want) == 0 {
		return nil
	}
	var missing []string
	for i := range gls {
		if notFound(&gls[i]) {
			missing = append(missing, strconv.Quote(ui.Sanitize(gls[i].Group)))
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

// watchLag redraws every refresh until SIGINT, like watch(1): the screen is
// cleared only when stdout is a terminal (a pipe gets frames one after the
// other; JSON gets one object per group per refresh, never cleared).
func watchLag(e *runEnv, smp *lagSampler, groups []string, output string, refresh time.Duration, detail bool) error {
	clear := output == "table" && isTerminal(e.stdout)
	for n := 0; ; n++ {
		start := time.Now()
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
				fmtDur(refresh), what, smp.samples+1, fmtDur(smp.window), start.Format("15:04:05"))
		}
		gls, per, worst, err := smp.sample(e.ctx, groups)
		if err == nil && n == 0 {
			if err := checkKnown(groups, gls, smp.c.Addr()); err != nil {
				return err
			}
		}
		var reps []groupReport
		if err == nil {
			reps, err = smp.report(e.ctx, gls, per, worst)
		}
		switch {
		case e.ctx.Err() != nil:
			return nil // SIGINT: a clean end
		case err != nil && structured(output):
			// Keep stdout parseable; the error goes to stderr and the
			// watch goes on.
			fmt.Fprintf(e.stderr, "rewind: %s\n", oneLine(err))
		case err != nil:
			fmt.Fprintf(&buf, "✗ %s (retrying every %s)\n", ui.Sanitize(oneLine(err)), fmtDur(refresh))
		default:
			writeReports(&buf, reps, output, detail)
		}
		if err := writeOut(e.stdout, buf.Bytes()); errors.Is(err, errPipeClosed) {
			return nil
		} else if err != nil {
			return err
		}
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
	fmt.Fprintln(tw, "GROUP\tPROTOCOL\tSTATE\tMEMBERS\tTOPICS\tLAG\tTIME LAG\tSTATUS\t")
	for i := range reps {
		r := &reps[i]
		state := r.State
		if r.Error != "" {
			state += " (" + r.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", ui.Sanitize(r.Group), r.Protocol, ui.Sanitize(state), r.Members,
			ui.Sanitize(strings.Join(r.Topics, ",")), groupLagText(r), fmtMs(r.MaxTimeLagMs, maxSource(r)), r.Status)
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
