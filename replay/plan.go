package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Partition flags.
const (
	// FlagClampedStart: the scenario asked for an offset below the log
	// start; the target is the log start (Kafka's clamping).
	FlagClampedStart = "clamped-to-log-start"
	// FlagClampedEnd: the scenario asked for an offset past the high
	// watermark; the target is the high watermark.
	FlagClampedEnd = "clamped-to-end"
	// FlagTimestampMiss: no record at or after the time; the target falls
	// back to the end (Kafka's behaviour).
	FlagTimestampMiss = "timestamp-miss"
	// FlagWindowExpired: records the window needs were deleted by
	// retention. Refused unless the plan allows partial.
	FlagWindowExpired = "window-expired"
	// FlagPartial: window-expired, and the operator chose to replay what
	// is left (--allow-partial).
	FlagPartial = "partial"
)

// Plan kinds.
const (
	PlanReset  = "reset"  // change the group's own offsets
	PlanReplay = "replay" // create an isolated replay group at the targets
)

// Request is what to plan.
type Request struct {
	// Kind is PlanReset (default) or PlanReplay.
	Kind string
	// Group is the group whose committed offsets are "current": the group
	// to reset, or the live group a replay starts beside.
	Group string
	// Target is the group to write: Group for a reset, the replay group's
	// name for a replay.
	Target   string
	Scope    Scope
	Scenario Scenario
	// AllowPartial accepts a window that retention has cut short: the
	// expired partitions start at the log start, labelled partial.
	AllowPartial bool
	// NewGroup (replays) accepts a live group that does not exist yet;
	// without it such a plan is refused as a likely typo.
	NewGroup bool
}

// PartitionPlan is one partition of a plan.
type PartitionPlan struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Current is the group's committed offset, -1 when it has none.
	Current int64 `json:"current"`
	// Requested is what the scenario asked for before clamping.
	Requested int64 `json:"requested"`
	// Target is the offset that will be committed.
	Target        int64 `json:"target"`
	LogStart      int64 `json:"log_start"`
	HighWatermark int64 `json:"high_watermark"`
	// Delta is Target - Current (nil when there is no commit): negative
	// re-reads, positive skips.
	Delta *int64 `json:"delta"`
	// Reread and Skip are the records the change re-reads or skips.
	Reread int64 `json:"reread"`
	Skip   int64 `json:"skip"`
	// Window is HighWatermark - Target: the records the group will read
	// from the target to today's end.
	Window int64    `json:"window"`
	Flags  []string `json:"flags,omitempty"`
	// Note explains the flags in a sentence.
	Note string `json:"note,omitempty"`
}

// Has reports whether the partition carries flag.
func (p PartitionPlan) Has(flag string) bool {
	for _, f := range p.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Plan is a dry run: what a reset or replay would write, and why.
type Plan struct {
	Kind     string   `json:"kind"`
	Group    string   `json:"group"`
	Target   string   `json:"target_group"`
	Scenario Scenario `json:"scenario"`
	// ScenarioText is Scenario.String(), for readers of the JSON.
	ScenarioText string    `json:"scenario_text"`
	Scope        Scope     `json:"scope"`
	Cluster      string    `json:"cluster"`
	At           time.Time `json:"planned_at"`
	AllowPartial bool      `json:"allow_partial"`
	// NewGroup: a replay beside a live group that does not exist yet was
	// asked for (--new-group).
	NewGroup bool `json:"new_group,omitempty"`
	// Partial is set when an expired window was accepted: the plan
	// replays only what retention left.
	Partial bool `json:"partial"`
	// Group state when planned (re-checked before any write).
	GroupState    string          `json:"group_state"`
	GroupMembers  int             `json:"group_members"`
	GroupProtocol string          `json:"group_protocol"`
	Partitions    []PartitionPlan `json:"partitions"`
	// Totals.
	Reread int64 `json:"reread"`
	Skip   int64 `json:"skip"`
	Window int64 `json:"window"`
}

// Targets returns the offsets the plan writes.
func (p *Plan) Targets() Offsets {
	o := Offsets{}
	for _, pp := range p.Partitions {
		put(o, pp.Topic, pp.Partition, pp.Target)
	}
	return o
}

// Current returns the committed offsets the plan was made against
// (partitions without a commit are left out).
func (p *Plan) Current() Offsets {
	o := Offsets{}
	for _, pp := range p.Partitions {
		if pp.Current >= 0 {
			put(o, pp.Topic, pp.Partition, pp.Current)
		}
	}
	return o
}

// Topics returns the plan's topics, sorted.
func (p *Plan) Topics() []string {
	var out []string
	for _, pp := range p.Partitions {
		if len(out) == 0 || out[len(out)-1] != pp.Topic {
			out = append(out, pp.Topic)
		}
	}
	return out
}

// Expired returns the partitions whose window retention cut short.
func (p *Plan) Expired() []PartitionPlan {
	var out []PartitionPlan
	for _, pp := range p.Partitions {
		if pp.Has(FlagWindowExpired) {
			out = append(out, pp)
		}
	}
	return out
}

// WindowRefusal is the expired-window guard: nil when every partition's
// window still exists, or when the plan accepted a partial replay.
func (p *Plan) WindowRefusal() *Refusal {
	exp := p.Expired()
	if len(exp) == 0 || p.AllowPartial {
		return nil
	}
	details := make([]string, len(exp))
	for i, pp := range exp {
		details[i] = fmt.Sprintf("%s/%d: %s", pp.Topic, pp.Partition, pp.Note)
	}
	return refuse(GuardWindow,
		fmt.Sprintf("the requested window no longer exists on %d partition(s): retention deleted records it needs; replaying what is left is a separate choice (--allow-partial), labelled partial", len(exp)),
		details...)
}

// WriteCSV exports the plan's targets in Kafka's format
// (topic,partition,offset), readable by --from-file and by
// kafka-consumer-groups --from-file.
func (p *Plan) WriteCSV(w io.Writer) error { return WriteCSV(w, p.Targets()) }

// BuildPlan computes a plan: it only reads. Scenario arithmetic follows
// kafka-consumer-groups --reset-offsets (to-offset and shift-by clamp to
// [log start, high watermark]; a time with no record after it goes to the
// end; shift-by without a commit is an error), and adds the window guard:
// a target below the log start means retention deleted part of the
// window, flagged window-expired (refused later unless AllowPartial).
func BuildPlan(ctx context.Context, cl Cluster, req Request, now time.Time) (*Plan, error) {
	if req.Group == "" {
		return nil, errors.New("plan: no group given")
	}
	if req.Kind == "" {
		req.Kind = PlanReset
	}
	if req.Target == "" {
		req.Target = req.Group
	}
	sc := req.Scenario
	if sc.Kind == "" {
		return nil, fmt.Errorf("plan: no scenario given (one of %s)", kindList())
	}
	p := &Plan{Kind: req.Kind, Group: req.Group, Target: req.Target, Scenario: sc, ScenarioText: sc.String(),
		Scope: req.Scope, Cluster: cl.Addr(), At: now.UTC(), AllowPartial: req.AllowPartial, NewGroup: req.NewGroup}

	st, members, proto, err := cl.GroupState(ctx, req.Group)
	if err != nil {
		return nil, err
	}
	p.GroupState, p.GroupMembers, p.GroupProtocol = st, members, proto
	committed, err := cl.CommittedOffsets(ctx, req.Group)
	if err != nil {
		return nil, err
	}
	var other Offsets
	if sc.Kind == ToGroup {
		if other, err = cl.CommittedOffsets(ctx, sc.Group); err != nil {
			return nil, err
		}
		if len(other) == 0 {
			return nil, fmt.Errorf("--to-group %q: that group has no committed offsets", sc.Group)
		}
	}

	tps, err := resolveScope(ctx, cl, req, committed, other)
	if err != nil {
		return nil, err
	}

	// Watermarks (and time lookups) once per topic.
	marks := map[string]map[int32][2]int64{}
	times := map[string]map[int32]int64{}
	var missingCommit, missingOther, noPartition []string
	for _, tp := range tps {
		wm, ok := marks[tp.Topic]
		if !ok {
			if wm, err = cl.Watermarks(ctx, tp.Topic); err != nil {
				return nil, err
			}
			marks[tp.Topic] = wm
			if sc.Kind == ToDatetime || sc.Kind == ByDuration {
				ts, err := cl.OffsetsForTime(ctx, tp.Topic, sc.Time)
				if err != nil {
					return nil, err
				}
				times[tp.Topic] = ts
			}
		}
		w, ok := wm[tp.Partition]
		if !ok {
			noPartition = append(noPartition, fmt.Sprintf("topic %q has no partition %d (it has %d)", tp.Topic, tp.Partition, len(wm)))
			continue
		}
		pp := PartitionPlan{Topic: tp.Topic, Partition: tp.Partition, Current: -1, LogStart: w[0], HighWatermark: w[1]}
		if c, ok := lookup(committed, tp.Topic, tp.Partition); ok {
			pp.Current = c
		}
		timeMiss := false
		switch sc.Kind {
		case ToEarliest:
			pp.Requested = pp.LogStart
		case ToLatest:
			pp.Requested = pp.HighWatermark
		case ToOffset:
			pp.Requested = sc.Offset
		case ShiftBy:
			if pp.Current < 0 {
				missingCommit = append(missingCommit, tp.String())
				continue
			}
			pp.Requested = pp.Current + sc.Offset
			if sc.Offset > 0 && pp.Requested < pp.Current {
				// Saturate: +9223372036854775807 means "past the end"
				// (clamped to the high watermark), never a wrap below 0.
				pp.Requested = math.MaxInt64
			}
		case ToDatetime, ByDuration:
			o, ok := times[tp.Topic][tp.Partition]
			if !ok || o >= pp.HighWatermark {
				o, timeMiss = pp.HighWatermark, true
			}
			pp.Requested = o
		case ToGroup:
			o, ok := lookup(other, tp.Topic, tp.Partition)
			if !ok {
				missingOther = append(missingOther, tp.String())
				continue
			}
			pp.Requested = o
		case FromFile:
			o, _ := lookup(sc.File, tp.Topic, tp.Partition)
			pp.Requested = o
		default:
			return nil, fmt.Errorf("plan: unknown scenario %q", sc.Kind)
		}
		classify(&pp, sc, timeMiss, req.AllowPartial)
		p.Partitions = append(p.Partitions, pp)
	}
	var errs []string
	if len(noPartition) > 0 {
		errs = append(errs, strings.Join(noPartition, "; "))
	}
	if len(missingCommit) > 0 {
		errs = append(errs, fmt.Sprintf("shift-by needs a committed offset, and group %q has none on %s", req.Group, strings.Join(missingCommit, ", ")))
	}
	if len(missingOther) > 0 {
		errs = append(errs, fmt.Sprintf("--to-group %q has no committed offset on %s", sc.Group, strings.Join(missingOther, ", ")))
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	if len(p.Partitions) == 0 {
		return nil, errors.New("plan: no partitions in scope")
	}
	for _, pp := range p.Partitions {
		p.Reread += pp.Reread
		p.Skip += pp.Skip
		p.Window += pp.Window
		if pp.Has(FlagPartial) {
			p.Partial = true
		}
	}
	return p, nil
}

// classify clamps the requested offset, sets flags, delta and counts.
func classify(pp *PartitionPlan, sc Scenario, timeMiss, allowPartial bool) {
	lo, hi := pp.LogStart, pp.HighWatermark
	t := pp.Requested
	var notes []string
	switch {
	case timeMiss:
		pp.Flags = append(pp.Flags, FlagTimestampMiss)
		notes = append(notes, fmt.Sprintf("no record at or after %s: target is the end (%d)", sc.Time.UTC().Format(time.RFC3339), hi))
		t = hi
	case t < lo && max(t, 0) < lo && lo > 0:
		from := max(t, 0)
		pp.Flags = append(pp.Flags, FlagClampedStart, FlagWindowExpired)
		notes = append(notes, fmt.Sprintf("needs offset %d but the log starts at %d: %d records were deleted by retention", from, lo, lo-from))
		t = lo
	case t < lo:
		// Before offset 0 of a log that never lost a record: Kafka's clamp.
		pp.Flags = append(pp.Flags, FlagClampedStart)
		notes = append(notes, fmt.Sprintf("offset %d is before the start: target is the log start (%d)", t, lo))
		t = lo
	case t > hi:
		pp.Flags = append(pp.Flags, FlagClampedEnd)
		notes = append(notes, fmt.Sprintf("offset %d is past the end: target is the end (%d)", t, hi))
		t = hi
	case (sc.Kind == ToDatetime || sc.Kind == ByDuration) && t == lo && lo > 0:
		// The first record at or after the time is the oldest one left:
		// the window may have started in the records retention deleted.
		pp.Flags = append(pp.Flags, FlagWindowExpired)
		notes = append(notes, fmt.Sprintf("the oldest remaining record (offset %d) is at or after %s and offsets 0-%d were deleted by retention: the window may have started in them",
			lo, sc.Time.UTC().Format(time.RFC3339), lo-1))
	}
	if pp.Has(FlagWindowExpired) && allowPartial {
		pp.Flags = append(pp.Flags, FlagPartial)
		notes = append(notes, fmt.Sprintf("PARTIAL: replaying only what is left, from %d", lo))
	}
	pp.Target = t
	pp.Window = max(hi-t, 0)
	if pp.Current >= 0 {
		d := t - pp.Current
		pp.Delta = &d
		if d < 0 {
			pp.Reread = -d
		} else {
			pp.Skip = d
		}
	}
	pp.Note = strings.Join(notes, "; ")
}

// resolveScope lists the partitions a request covers, sorted.
func resolveScope(ctx context.Context, cl Cluster, req Request, committed, other Offsets) ([]TP, error) {
	sc := req.Scenario
	set := map[TP]bool{}
	switch {
	case sc.Kind == FromFile:
		// The file names the partitions; --topic narrows them.
		for _, tp := range sortedTPs(sc.File) {
			if inScope(req.Scope, tp) {
				set[tp] = true
			}
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("--from-file: no partition of the file is in scope %s", req.Scope)
		}
	case req.Scope.AllTopics:
		src, whose := committed, fmt.Sprintf("group %q", req.Group)
		if sc.Kind == ToGroup {
			src, whose = other, fmt.Sprintf("group %q", sc.Group)
		}
		for _, tp := range sortedTPs(src) {
			set[tp] = true
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("--all-topics: %s has no committed offsets", whose)
		}
	case len(req.Scope.Topics) > 0:
		for _, ts := range req.Scope.Topics {
			if len(ts.Partitions) > 0 {
				for _, p := range ts.Partitions {
					set[TP{ts.Topic, p}] = true
				}
				continue
			}
			wm, err := cl.Watermarks(ctx, ts.Topic)
			if err != nil {
				return nil, err
			}
			for p := range wm {
				set[TP{ts.Topic, p}] = true
			}
		}
	default:
		return nil, errors.New("no scope: give --topic TOPIC[:P,...] or --all-topics")
	}
	out := make([]TP, 0, len(set))
	for tp := range set {
		out = append(out, tp)
	}
	sortTPs(out)
	return out, nil
}

func inScope(s Scope, tp TP) bool {
	if s.AllTopics || len(s.Topics) == 0 {
		return true
	}
	for _, ts := range s.Topics {
		if ts.Topic != tp.Topic {
			continue
		}
		if len(ts.Partitions) == 0 {
			return true
		}
		if slices.Contains(ts.Partitions, tp.Partition) {
			return true
		}
	}
	return false
}
