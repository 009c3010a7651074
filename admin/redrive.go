package admin

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// Redrive: re-produce records from a dead-letter topic (DLQ) to the topic
// they came from, named by an origin header, or to a topic chosen. A plan
// (dry run) reads the DLQ once, bounded by the high watermarks taken at its
// start, and counts the records per target; executing reads the same
// offsets again and produces them, so what is written is what the plan
// counted — records that arrive in the DLQ after the plan are left for the
// next redrive.

// OriginHeaders name the topic a dead-lettered record came from, looked up
// in this order: the common convention and Spring Kafka's
// DeadLetterPublishingRecoverer.
var OriginHeaders = []string{"x-original-topic", "kafka_dlt-original-topic"}

// Matcher selects records. project.Filter implements it; the shared scan
// engine (stream search) will too.
type Matcher interface {
	Match(r *kgo.Record) (bool, error)
}

// RecordRef names one record of the DLQ.
type RecordRef struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

// RedriveRequest says what to redrive.
type RedriveRequest struct {
	Topic string // the dead-letter topic
	// Filter selects records (nil: every record); FilterText is its
	// source, for the audit trail.
	Filter     Matcher
	FilterText string
	// Only restricts the redrive to these records (a selection in the
	// TUI); nil: every record that matches.
	Only []RecordRef
	// To sends every record to this topic instead of its origin.
	To string
	// DropHeaders are header names (or path.Match globs such as
	// "kafka_dlt-*") removed from the re-produced records.
	DropHeaders []string
	// Range, when set, bounds the dry run's read of the DLQ: per partition
	// [start, end) (a TUI search's range, or the span of a selection);
	// nil: every partition from its log start to its end now.
	Range map[int32][2]int64
	// Stop, when set, is asked after each batch is produced; true ends
	// the redrive there with ErrStopped (the batch in flight is finished,
	// never cut), the audit entry saying what was written.
	Stop func() bool
}

// ErrStopped: the operator stopped a redrive part-way (RedriveRequest.Stop).
var ErrStopped = errors.New("redrive stopped by the operator")

// TargetCount is one target topic of a plan.
type TargetCount struct {
	Topic   string `json:"topic"`
	Records int64  `json:"records"`
	// Problem is why records cannot go there ("does not exist", "is the
	// dead-letter topic itself"); empty when they can.
	Problem string `json:"problem,omitempty"`
}

// RedrivePlan is a dry run's result.
type RedrivePlan struct {
	Topic string `json:"topic"`
	// Range is per partition the offsets read: [start, end).
	Range   map[int32][2]int64 `json:"range"`
	Scanned int64              `json:"scanned"`
	Matched int64              `json:"matched"`
	Targets []TargetCount      `json:"targets"`
	// NoTarget counts matching records without a usable origin header
	// (and no To); they are not redriven.
	NoTarget int64 `json:"no_target"`
	// FilterErrors counts records the filter failed on (not matched);
	// FirstFilterError is the first message, with its record.
	FilterErrors     int64  `json:"filter_errors"`
	FirstFilterError string `json:"first_filter_error,omitempty"`
}

// Problems lists the reasons the plan cannot be executed.
func (p *RedrivePlan) Problems() []string {
	var out []string
	for _, t := range p.Targets {
		if t.Problem != "" {
			recs := "records"
			if t.Records == 1 {
				recs = "record"
			}
			out = append(out, fmt.Sprintf("%d %s for %q: %s", t.Records, recs, t.Topic, t.Problem))
		}
	}
	return out
}

// ToProduce is the number of records an execution would write.
func (p *RedrivePlan) ToProduce() int64 {
	var n int64
	for _, t := range p.Targets {
		n += t.Records
	}
	return n
}

func (r *RedriveRequest) check() error {
	if r.Topic == "" {
		return errors.New("redrive: no dead-letter topic given")
	}
	if r.To != "" {
		if err := backend.ValidTopicName(r.To); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	return CheckDropHeaders(r.DropHeaders)
}

// CheckDropHeaders checks header-name patterns (names or path.Match globs
// such as "kafka_dlt-*"), as redrive and resend take them.
func CheckDropHeaders(patterns []string) error {
	for _, h := range patterns {
		if _, err := path.Match(h, ""); err != nil {
			return fmt.Errorf("drop header %q: bad pattern: %w", h, err)
		}
	}
	return nil
}

// target returns the topic a record goes to, or "" when it has none.
func (r *RedriveRequest) target(rec *kgo.Record) string {
	if r.To != "" {
		return r.To
	}
	for _, name := range OriginHeaders {
		for _, h := range rec.Headers {
			if h.Key == name {
				t := strings.TrimSpace(string(h.Value))
				if backend.ValidTopicName(t) == nil {
					return t
				}
				return ""
			}
		}
	}
	return ""
}

// dropped reports whether header name matches one of the patterns
// (names or path.Match globs).
func dropped(patterns []string, name string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// reproduce is the copy of rec that a redrive or a resend writes to topic:
// the same key, value and headers (copied), minus the headers dropped; the
// producer sets a new timestamp.
func reproduce(rec *kgo.Record, topic string, drop []string) backend.ProduceRecord {
	pr := backend.ProduceRecord{Topic: topic, Key: clone(rec.Key), Value: clone(rec.Value)}
	for _, h := range rec.Headers {
		if !dropped(drop, h.Key) {
			pr.Headers = append(pr.Headers, backend.Header{Key: h.Key, Value: clone(h.Value)})
		}
	}
	return pr
}

// scan reads the DLQ over rng (nil: now to the current end) and calls fn
// with each selected record and its target ("" = none). It returns the
// range read.
func (r *RedriveRequest) scan(ctx context.Context, c *backend.Cluster, rng map[int32][2]int64, plan *RedrivePlan,
	fn func(rec *kgo.Record, target string) error) (map[int32][2]int64, error) {
	var only map[RecordRef]bool
	if r.Only != nil {
		only = make(map[RecordRef]bool, len(r.Only))
		for _, ref := range r.Only {
			only[ref] = true
		}
	}
	if rng == nil && r.Range != nil {
		rng = r.Range
	}
	if rng == nil {
		start, end, err := c.ResolveStart(ctx, r.Topic, nil, backend.Start{Kind: backend.StartEarliest})
		if err != nil {
			return nil, err
		}
		rng = make(map[int32][2]int64, len(start))
		for p, s := range start {
			rng[p] = [2]int64{s, end[p]}
		}
	}
	// One bounded read of exactly rng: targets taken when the range was
	// (the last stable offsets under read-committed), completion by
	// position, a stalled broker or records deleted under the read fail it
	// loudly with how far it got.
	spec := backend.ReadSpec{Starts: map[backend.TP]int64{}, Targets: map[backend.TP]int64{}, What: "redrive from " + r.Topic}
	for p, w := range rng {
		if w[1] > w[0] {
			tp := backend.TP{Topic: r.Topic, Partition: p}
			spec.Starts[tp], spec.Targets[tp] = w[0], w[1]
		}
	}
	if len(spec.Starts) == 0 {
		return rng, nil
	}
	each := func(rec *kgo.Record) error {
		if w := rng[rec.Partition]; rec.Offset < w[0] || rec.Offset >= w[1] {
			return nil
		}
		plan.Scanned++
		if only != nil && !only[RecordRef{rec.Partition, rec.Offset}] {
			return nil
		}
		if r.Filter != nil {
			ok, err := r.Filter.Match(rec)
			if err != nil {
				plan.FilterErrors++
				if plan.FirstFilterError == "" {
					plan.FirstFilterError = fmt.Sprintf("%s/%d@%d: %v", rec.Topic, rec.Partition, rec.Offset, err)
				}
				return nil
			}
			if !ok {
				return nil
			}
		}
		plan.Matched++
		t := r.target(rec)
		if t == "" {
			plan.NoTarget++
			return nil
		}
		return fn(rec, t)
	}
	err := c.Read(ctx, spec, func(b *backend.Batch) error {
		for _, rec := range b.Records {
			if err := each(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rng, fmt.Errorf("reading %q: %w", r.Topic, err)
	}
	if ctx.Err() != nil {
		return rng, fmt.Errorf("reading %q: %w", r.Topic, ctx.Err())
	}
	return rng, nil
}

// PlanRedrive reads the DLQ and counts the records per target topic. It
// writes nothing.
func PlanRedrive(ctx context.Context, c *backend.Cluster, req RedriveRequest) (*RedrivePlan, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	plan := &RedrivePlan{Topic: req.Topic, Targets: []TargetCount{}}
	counts := map[string]int64{}
	rng, err := req.scan(ctx, c, nil, plan, func(_ *kgo.Record, t string) error {
		counts[t]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	plan.Range = rng
	for t, n := range counts {
		tc := TargetCount{Topic: t, Records: n}
		switch ok, err := c.TopicExists(ctx, t); {
		case t == req.Topic:
			tc.Problem = "is the dead-letter topic itself (choose --to)"
		case err != nil:
			tc.Problem = err.Error()
		case !ok:
			tc.Problem = "does not exist (create it, or choose --to)"
		}
		plan.Targets = append(plan.Targets, tc)
	}
	sort.Slice(plan.Targets, func(i, j int) bool { return plan.Targets[i].Topic < plan.Targets[j].Topic })
	return plan, nil
}

// redriveBatch bounds the records held before producing.
var redriveBatch = 500

// ExecuteRedrive produces what plan counted: the same offsets of the DLQ,
// the same selection. Refused under read-only, when the plan has problems,
// or when retention deleted part of the planned range since. progress (may
// be nil) is called after every batch with records produced and to produce.
// On a failure part-way, the audit entry and the error say how many records
// went where and up to which DLQ offsets.
func ExecuteRedrive(ctx context.Context, c *backend.Cluster, env replay.Env, req RedriveRequest, plan *RedrivePlan,
	progress func(done, total int64)) (*replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, err
	}
	if plan == nil || plan.Topic != req.Topic {
		return nil, errors.New("redrive: execute needs the plan of the same request")
	}
	en := env.NewEntry(c.Addr(), replay.AuditRedriveKind)
	en.Topic = req.Topic
	total := plan.ToProduce()
	ra := &replay.AuditRedrive{Filter: req.FilterText, To: req.To, DropHeaders: req.DropHeaders, Produced: map[string]int64{}}
	en.Redrive = ra
	var done int64
	err := func() error {
		if err := req.check(); err != nil {
			return err
		}
		if ps := plan.Problems(); len(ps) > 0 {
			return replay.Refuse("targets", "some records have no usable target", ps...)
		}
		if total == 0 {
			return replay.Refuse("targets", "nothing to redrive: no record matches with a target")
		}
		if err := replay.CheckAuditWritable(env.DataDir); err != nil {
			return err
		}
		wm, err := c.Watermarks(ctx, req.Topic)
		if err != nil {
			return err
		}
		var moved []string
		for p, w := range plan.Range {
			if w[1] > w[0] && wm[p][0] > w[0] {
				moved = append(moved, fmt.Sprintf("%s/%d: log start moved from %d to %d", req.Topic, p, w[0], wm[p][0]))
			}
		}
		if len(moved) > 0 {
			sort.Strings(moved)
			return replay.Refuse(replay.GuardStalePlan, "retention deleted records of the dead-letter topic since the dry run; make a new one", moved...)
		}
		prod, err := c.NewProducer(backend.ProduceOptions{})
		if err != nil {
			return err
		}
		defer prod.Close()
		ra.Range = map[int32][2]int64{}
		var batch []backend.ProduceRecord
		var refs []RecordRef
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			res, err := prod.ProduceBatch(ctx, batch)
			for i, r := range res {
				if r.Err != nil {
					break
				}
				ra.Produced[r.Topic]++
				done++
				w, ok := ra.Range[refs[i].Partition]
				if !ok {
					w[0] = refs[i].Offset
				}
				w[1] = refs[i].Offset + 1
				ra.Range[refs[i].Partition] = w
			}
			batch, refs = batch[:0], refs[:0]
			if progress != nil {
				progress(done, total)
			}
			if err == nil && done < total && req.Stop != nil && req.Stop() {
				return ErrStopped
			}
			return err
		}
		env.Restamp(en)
		var scanned RedrivePlan
		_, err = req.scan(ctx, c, plan.Range, &scanned, func(rec *kgo.Record, t string) error {
			batch = append(batch, reproduce(rec, t, req.DropHeaders))
			refs = append(refs, RecordRef{rec.Partition, rec.Offset})
			if len(batch) >= redriveBatch {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return err
		}
		if done != total {
			return fmt.Errorf("the dead-letter topic gave %d records to redrive where the dry run counted %d", done, total)
		}
		return nil
	}()
	ra.Matched, ra.Skipped = plan.Matched, plan.NoTarget
	switch {
	case errors.Is(err, ErrStopped):
		err = fmt.Errorf("%w after %d of %d records; the rest stay in the DLQ (the audit entry has the DLQ offsets done)", ErrStopped, done, total)
	case err != nil && done > 0:
		err = fmt.Errorf("%w (re-produced %d of %d records before the failure; see the audit entry for the DLQ offsets done)", err, done, total)
	}
	return en, finish(env, en, err, fmt.Sprintf("%d records were redriven", done))
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
