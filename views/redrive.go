package views

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Redrive from the records view of a dead-letter topic (DLQ): m marks
// records (they stay marked while paging), R re-produces the marked ones,
// else the one under the cursor, and R in the search's matches re-produces
// every match of that search — its expression over its range, re-run by
// admin.PlanRedrive/ExecuteRedrive, so no match list is held. The flow is
// an action (action.go): read-only refused first; the target (each
// record's origin header, or one topic); a checklist of the header names
// seen, trace ids and replication markers checked; the dry-run count per
// target; "yes"; the write with its progress (esc stops it after the
// current batch); one audit entry.

var (
	keyRecMark    = binding([]string{"m"}, "m", "mark/unmark for redrive")
	keyRecUnmark  = binding([]string{"M"}, "M", "clear the marks")
	keyRecRedrive = binding([]string{"R"}, "R", "redrive the marked records (else this one)")
	keyHitRedrive = binding([]string{"R"}, "R", "redrive every match")
)

// maxMarks bounds a selection (it is the operator's, one key per record).
const maxMarks = 10000

// maxSeenHeaders bounds the header names a search collects for the
// checklist.
const maxSeenHeaders = 64

// recMarks are the marked records of a view: the header names of each, for
// the checklist.
type recMarks map[recKey][]string

func headerNames(hs []backend.Header) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Key)
	}
	return out
}

// redriveKey handles m, M and R; ok false passes the key on.
func (s *recordsScreen) redriveKey(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch {
	case key.Matches(msg, keyRecMark):
		return true, s.toggleMark()
	case key.Matches(msg, keyRecUnmark):
		if len(s.marks) == 0 {
			return true, nil
		}
		n := len(s.marks)
		s.marks = nil
		s.layout()
		return true, ui.Toast(fmt.Sprintf("%s unmarked", plural(n, "record")))
	case key.Matches(msg, keyRecRedrive):
		if s.iso == backend.ReadUncommitted {
			return true, ui.Toast("redrive reads committed records only: press i for read-committed first")
		}
		if p := s.search; p.visible && p.focus {
			return true, s.redriveSearch()
		}
		return true, s.redriveSelection()
	}
	return false, nil
}

func (s *recordsScreen) toggleMark() tea.Cmd {
	r, ok := s.current()
	if !ok {
		return nil
	}
	k := recKey{r.Partition, r.Offset}
	had := len(s.marks) > 0
	if _, ok := s.marks[k]; ok {
		delete(s.marks, k)
	} else {
		if len(s.marks) >= maxMarks {
			return ui.Toast(fmt.Sprintf("at most %s marks: redrive a search's matches instead (s, then R)", ui.FormatCount(maxMarks)))
		}
		if s.marks == nil {
			s.marks = recMarks{}
		}
		s.marks[k] = headerNames(r.Headers)
	}
	if had != (len(s.marks) > 0) {
		s.layout() // the marker column comes or goes
	}
	return nil
}

// markCell is the marker column's cell.
func (s *recordsScreen) markCell(r *winRec) string {
	if _, ok := s.marks[recKey{r.Partition, r.Offset}]; ok {
		return "●"
	}
	return ""
}

// marksHeader is the header's part about marks.
func (s *recordsScreen) marksHeader() string {
	if len(s.marks) == 0 {
		return ""
	}
	return fmt.Sprintf(" · %d marked (R redrives, M clears)", len(s.marks))
}

// redriveSelection redrives the marked records, else the one under the
// cursor. The DLQ is read over their span only.
func (s *recordsScreen) redriveSelection() tea.Cmd {
	sel := s.marks
	what := ""
	if len(sel) == 0 {
		r, ok := s.current()
		if !ok {
			return ui.Toast("no record here to redrive")
		}
		sel = recMarks{{r.Partition, r.Offset}: headerNames(r.Headers)}
		what = fmt.Sprintf("record p%d offset %s", r.Partition, ui.FormatCount(r.Offset))
	} else {
		what = plural(len(sel), "marked record")
	}
	req := admin.RedriveRequest{Topic: s.topic, Range: map[int32][2]int64{}}
	names := map[string]bool{}
	for k, hs := range sel {
		req.Only = append(req.Only, admin.RecordRef{Partition: k.part, Offset: k.off})
		w, ok := req.Range[k.part]
		if !ok {
			w = [2]int64{k.off, k.off + 1}
		}
		req.Range[k.part] = [2]int64{min(w[0], k.off), max(w[1], k.off+1)}
		for _, h := range hs {
			names[h] = true
		}
	}
	sort.Slice(req.Only, func(i, j int) bool {
		a, b := req.Only[i], req.Only[j]
		return a.Partition < b.Partition || (a.Partition == b.Partition && a.Offset < b.Offset)
	})
	src := redriveSource{what: what, req: req, headers: names}
	if len(s.marks) > 0 {
		// Written: the marks are done with (R again would redrive them twice).
		src.done = func() tea.Cmd {
			s.marks = nil
			s.layout()
			return ui.Toast("marks cleared: the marked records were redriven")
		}
	}
	return ui.Push(newRedrive(s.env, src))
}

// redriveSearch redrives every match of the current search: its
// expression over the range its scan resolved.
func (s *recordsScreen) redriveSearch() tea.Cmd {
	p := s.search
	if p.scope == nil {
		return ui.Toast("no search to redrive")
	}
	pl, names, ok := p.scope.get()
	if !ok {
		return ui.Toast("the search has not started yet")
	}
	m, err := scan.Compile(p.spec.Query, s.env.Decoder)
	if err != nil {
		return ui.Toast("search: " + ui.ErrText(err))
	}
	dir := "▸"
	if p.backward {
		dir = "◂"
	}
	req := admin.RedriveRequest{Topic: s.topic, Filter: m, FilterText: p.text, Range: pl.Ranges}
	what := fmt.Sprintf("every match of search %s %s (%s of the log)", dir, p.text, plural64(pl.Total(), "offset"))
	return ui.Push(newRedrive(s.env, redriveSource{what: what, req: req, headers: names}))
}

// redriveScope is what a search keeps for a redrive of its matches: the
// range it resolved and the header names of its matches (bounded).
type redriveScope struct {
	mu      sync.Mutex
	plan    scan.Plan
	planned bool
	names   map[string]bool
}

func (r *redriveScope) setPlan(pl scan.Plan) {
	r.mu.Lock()
	r.plan, r.planned = pl, true
	r.mu.Unlock()
}

func (r *redriveScope) see(hs []kgo.RecordHeader) {
	if len(hs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]bool{}
	}
	for _, h := range hs {
		if len(r.names) >= maxSeenHeaders {
			return
		}
		r.names[h.Key] = true
	}
}

func (r *redriveScope) get() (scan.Plan, map[string]bool, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make(map[string]bool, len(r.names))
	for n := range r.names {
		names[n] = true
	}
	return r.plan, names, r.planned
}

// redriveSource is what a redrive flow re-produces.
type redriveSource struct {
	what    string               // for the head: "3 marked records"
	req     admin.RedriveRequest // Topic, Only / Filter, Range
	headers map[string]bool      // header names seen, for the checklist
	// done, when set, runs on the event loop after a successful write.
	done func() tea.Cmd
}

// Suggested headers to drop: trace context (the redriven record starts a
// new trace) and replication markers (a replicator would take the record
// for one it already copied, or skip it).
var (
	traceHeaders   = []string{"traceparent", "tracestate", "b3", "x-b3-*", "*trace-id*", "uberctx-*", "x-datadog-*", "sw8*", "elastic-apm-traceparent"}
	replicaHeaders = []string{"*replicat*", "__mm2*", "mm2-*", "__amzn*", "__msk*"}
)

// dropSuggestion says why a header is suggested for dropping ("" if not).
func dropSuggestion(name string) string {
	n := strings.ToLower(name)
	for _, g := range traceHeaders {
		if ok, _ := path.Match(g, n); ok {
			return "trace id"
		}
	}
	for _, g := range replicaHeaders {
		if ok, _ := path.Match(g, n); ok {
			return "replication marker"
		}
	}
	for _, o := range admin.OriginHeaders {
		if n == o {
			return "origin (names the target)"
		}
	}
	return ""
}

func dropChoices(names map[string]bool) []actionChoice {
	out := make([]actionChoice, 0, len(names))
	for n := range names {
		note := dropSuggestion(n)
		out = append(out, actionChoice{Name: n, Note: note, Checked: note == "trace id" || note == "replication marker"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// newRedrive is the redrive flow for src.
func newRedrive(env *Env, src redriveSource) ui.Screen {
	c := env.Cluster
	var done, total atomic.Int64
	fields := []actionField{{Label: "target topic:",
		Placeholder: "(empty: each record's origin header, " + strings.Join(admin.OriginHeaders, " or ") + ")",
		Validate: func(v string) error {
			if v = strings.TrimSpace(v); v == "" {
				return nil
			}
			return backend.ValidTopicName(v)
		}}}
	drop := actionField{Label: "headers to drop:", Choices: dropChoices(src.headers)}
	if len(drop.Choices) == 0 {
		drop.Placeholder = "(none) · names or globs, comma-separated: traceparent, kafka_dlt-*"
		drop.Validate = func(v string) error { return admin.CheckDropHeaders(dropList(v)) }
	}
	fields = append(fields, drop)
	request := func(vals []string) admin.RedriveRequest {
		r := src.req
		r.To = strings.TrimSpace(vals[0])
		r.DropHeaders = dropList(vals[1])
		return r
	}
	return newAction(env, actionSpec{
		Title:  "redrive",
		Head:   "Redrive from " + ui.Sanitize(src.req.Topic) + ": " + ui.Sanitize(src.what),
		Notes:  []string{"the records are produced again, with new timestamps; they also stay in " + ui.Sanitize(src.req.Topic)},
		Fields: fields,
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			req := request(vals)
			plan, err := admin.PlanRedrive(ctx, c, req)
			if err != nil {
				return actionPlan{}, err
			}
			return redrivePreview(req, plan), nil
		},
		Execute: func(ctx context.Context, vals []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
			req := request(vals)
			req.Stop = func() bool { return ctx.Err() != nil } // esc: after the current batch
			plan := p.Data.(*admin.RedrivePlan)
			total.Store(plan.ToProduce())
			en, err := admin.ExecuteRedrive(context.WithoutCancel(ctx), c, env.auditEnv(), req, plan,
				func(d, _ int64) { done.Store(d) })
			return "re-produced " + producedText(en) + "; they stay in " + req.Topic, en, err
		},
		Progress: func() string {
			return fmt.Sprintf("%s of %s records", ui.FormatCount(done.Load()), ui.FormatCount(total.Load()))
		},
		Stoppable: true,
		Done: func([]string) tea.Cmd {
			if src.done == nil {
				return nil
			}
			return src.done()
		},
		Wrote: func(en *replay.AuditEntry) string {
			if en.Redrive == nil || sum(en.Redrive.Produced) == 0 {
				return ""
			}
			return "re-produced " + producedText(en) + " before that"
		},
	})
}

// redrivePreview is the dry run's count per target topic.
func redrivePreview(req admin.RedriveRequest, plan *admin.RedrivePlan) actionPlan {
	p := actionPlan{Data: plan}
	read := fmt.Sprintf("dry run: read %s of %s, %s matched", plural64(plan.Scanned, "record"), req.Topic, ui.FormatCount(plan.Matched))
	if req.Only != nil {
		read = fmt.Sprintf("dry run: %d of %s found in %s", plan.Matched, plural(len(req.Only), "selected record"), req.Topic)
	}
	p.Lines = append(p.Lines, ui.Sanitize(read))
	for _, t := range plan.Targets {
		l := fmt.Sprintf("  → %s: %s", ui.Sanitize(t.Topic), plural64(t.Records, "record"))
		if t.Problem != "" {
			l += " — REFUSED: " + ui.Sanitize(t.Problem)
		}
		p.Lines = append(p.Lines, l)
	}
	if req.Only != nil && plan.Matched < int64(len(req.Only)) {
		p.Warn = append(p.Warn, fmt.Sprintf("%s not found in the DLQ any more (retention?)", plural64(int64(len(req.Only))-plan.Matched, "selected record")))
	}
	if plan.NoTarget > 0 {
		p.Warn = append(p.Warn, fmt.Sprintf("%s without an origin header (%s) left out: e, then a target topic, sends them somewhere",
			plural64(plan.NoTarget, "record"), strings.Join(admin.OriginHeaders, ", ")))
	}
	if plan.FilterErrors > 0 {
		p.Warn = append(p.Warn, fmt.Sprintf("%s where the expression failed (not matched); first: %s", plural64(plan.FilterErrors, "record"), ui.Sanitize(plan.FirstFilterError)))
	}
	switch probs := plan.Problems(); {
	case len(probs) > 0:
		p.Block = "some records have no usable target: " + strings.Join(probs, "; ")
	case plan.ToProduce() == 0:
		p.Block = "nothing to redrive: no selected record has a target"
	}
	return p
}

// producedText is "3 records: 2 to orders, 1 to payments", from the audit
// entry (what was written).
func producedText(en *replay.AuditEntry) string {
	if en == nil || en.Redrive == nil {
		return "no record"
	}
	pr := en.Redrive.Produced
	var topics []string
	for t := range pr {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var parts []string
	for _, t := range topics {
		parts = append(parts, fmt.Sprintf("%s to %s", ui.FormatCount(pr[t]), t))
	}
	return plural64(sum(pr), "record") + ": " + strings.Join(parts, ", ")
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
