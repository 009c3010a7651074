package laghist

// What the screens and the metrics read from the sampler: the newest
// state of every group with its verdict judged from the history.

import (
	"sort"
	"strconv"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/lag"
)

// Snapshot is the newest state of every group with verdicts judged from
// the history. Read-only: shared between callers.
type Snapshot struct {
	// At is the newest sample's time (zero: no sample yet).
	At time.Time
	// Interval is the refresh the newest sample was taken at.
	Interval time.Duration
	// Seq increases with every sample applied.
	Seq uint64
	// Since is the oldest sample held (the start of the loaded history).
	Since  time.Time
	Groups []Group
	Poll   PollStats
}

// Group is one group of a snapshot.
type Group struct {
	backend.GroupLag
	Verdict lag.Verdict
	// Parts are aligned with GroupLag.Partitions.
	Parts      []Part
	MaxTimeLag backend.TimeLag
	// Role is lag.Replay or lag.Projection for rewind's own groups ("":
	// a live group); Label says whose ("replay of email-notifier").
	Role  lag.Status
	Label string
}

// Part is one partition of a snapshot group.
type Part struct {
	Verdict lag.Verdict
	TimeLag backend.TimeLag
}

// Group returns the named group of the snapshot.
func (sn *Snapshot) Group(name string) (*Group, bool) {
	i := sort.Search(len(sn.Groups), func(i int) bool { return sn.Groups[i].Group >= name })
	if i < len(sn.Groups) && sn.Groups[i].Group == name {
		return &sn.Groups[i], true
	}
	return nil, false
}

// Window returns the history window of one partition (for sparklines and
// rates); nil when unknown. The window is live: read it only under
// WithWindows.
func (s *Sampler) WithWindows(fn func(w func(group, topic string, partition int32) *lag.Window)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(func(g, t string, p int32) *lag.Window {
		return s.tr.Window(lag.Key{Group: g, Topic: t, Partition: p})
	})
}

// Snapshot returns the newest state, judged at the newest sample's time. It
// is computed once per sample, when the sample arrives, so this is cheap
// (no I/O): a UI's Update may call it.
func (s *Sampler) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap == nil {
		s.snap = s.snapshotLocked()
	}
	c := *s.snap // Groups are shared, read-only
	c.Poll = s.poll
	return &c
}

func (s *Sampler) snapshotLocked() *Snapshot {
	if s.snap != nil {
		return s.snap
	}
	sn := &Snapshot{Seq: s.seq, Since: s.since, Poll: s.poll}
	if s.last == nil {
		return sn
	}
	t := s.last
	sn.At, sn.Interval = t.At, t.Interval
	sn.Groups = make([]Group, 0, len(t.Groups))
	for _, gt := range t.Groups {
		sn.Groups = append(sn.Groups, s.judge(&gt, t.At))
	}
	sort.Slice(sn.Groups, func(i, j int) bool { return sn.Groups[i].Group < sn.Groups[j].Group })
	return sn
}

// judge rebuilds a group's row from a tick and its meta, and its verdict
// from the history.
func (s *Sampler) judge(gt *GroupTick, at time.Time) Group {
	m := s.meta[gt.Group]
	gl := backend.GroupLag{GroupSummary: m.GroupSummary, MembersInfo: m.MembersInfo, FetchedAt: at}
	gl.Group = gt.Group
	if gt.Err != "" {
		gl.Err = gt.Err
	}
	gl.Partitions = make([]backend.PartitionLag, 0, len(gt.Parts))
	g := Group{Parts: make([]Part, len(gt.Parts))}
	parts := make([]lag.Part, len(gt.Parts))
	for i, p := range gt.Parts {
		pl := backend.PartitionLag{Topic: p.Topic, Partition: p.Partition, Committed: p.Committed, LogStart: p.LogStart,
			HighWatermark: p.HighWatermark, Lag: p.Lag(), BehindLogStart: p.Committed >= 0 && p.Committed < p.LogStart,
			Active: p.Active, Err: p.Err}
		if p.Committed >= 0 && p.Committed < p.LogStart {
			pl.Lag = p.HighWatermark - p.Committed
		}
		if o, ok := m.Owners[p.Topic+"/"+strconv.Itoa(int(p.Partition))]; ok {
			pl.Owner, pl.Client, pl.Host = o.Member, o.Client, o.Host
		}
		if p.Committed >= 0 && p.Err == "" {
			gl.TotalLag += max(pl.Lag, 0)
		}
		gl.Partitions = append(gl.Partitions, pl)
		tl := backend.TimeLag{Lag: p.TimeLag, Source: p.TimeLagSource}
		g.Parts[i].TimeLag = tl
		if tl.Source != "" && (g.MaxTimeLag.Source == "" || tl.Lag > g.MaxTimeLag.Lag) {
			g.MaxTimeLag = tl
		}
		parts[i] = lag.Part{Name: p.Topic + "/" + strconv.Itoa(int(p.Partition)),
			W: s.tr.Window(lag.Key{Group: gt.Group, Topic: p.Topic, Partition: p.Partition})}
	}
	if gl.Topics == nil {
		gl.Topics = topicsOf(gt)
	}
	cfg := s.cfg.Eval
	if s.cfg.Threshold != nil {
		if th := s.cfg.Threshold(gt.Group); th != 0 {
			cfg.TimeLagThreshold = th
		}
	}
	if s.cfg.OffsetsSet != nil {
		cfg.OffsetsSetAt = s.cfg.OffsetsSet(gt.Group)
	}
	v, per := lag.EvaluateGroup(parts, at, cfg)
	for i := range per {
		g.Parts[i].Verdict = per[i]
	}
	if gl.Err != "" && len(gt.Parts) == 0 {
		v.Reason = gl.Err
	}
	if s.cfg.Role != nil {
		if role, label := s.cfg.Role(gt.Group); role != "" {
			g.Role, g.Label = role, label
			v = v.Own(role, label)
			for i := range g.Parts {
				g.Parts[i].Verdict = g.Parts[i].Verdict.Own(role, label)
			}
		}
	}
	g.GroupLag, g.Verdict = gl, v
	return g
}

func topicsOf(gt *GroupTick) []string {
	var out []string
	for _, p := range gt.Parts {
		if len(out) == 0 || out[len(out)-1] != p.Topic {
			out = append(out, p.Topic)
		}
	}
	return out
}
