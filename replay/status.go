package replay

// A replay's progress beside its live group: status, rate and ETA, and
// whether it has caught up.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// PartitionStatus is one partition of a replay's status.
type PartitionStatus struct {
	Topic         string `json:"topic"`
	Partition     int32  `json:"partition"`
	Start         int64  `json:"start"`
	WindowEnd     int64  `json:"window_end"`
	HighWatermark int64  `json:"high_watermark"`
	// Replay and Live are the two groups' committed offsets (-1: none).
	Replay int64 `json:"replay"`
	Live   int64 `json:"live"`
	// ReplayLag and LiveLag are HighWatermark - committed (-1: no commit).
	ReplayLag int64 `json:"replay_lag"`
	LiveLag   int64 `json:"live_lag"`
	// Consumed is how far the replay got through [Start, WindowEnd).
	Consumed int64 `json:"consumed"`
	Window   int64 `json:"window"`
	CaughtUp bool  `json:"caught_up"`
}

// Status is a replay beside its live group.
type Status struct {
	Name    string    `json:"name"`
	Group   string    `json:"source_group"`
	State   string    `json:"state"`
	Partial bool      `json:"partial"`
	At      time.Time `json:"at"`

	ReplayGroupState string `json:"replay_group_state"`
	ReplayMembers    int    `json:"replay_members"`
	LiveGroupState   string `json:"live_group_state"`
	LiveMembers      int    `json:"live_members"`

	Partitions []PartitionStatus `json:"partitions"`
	// Window is the records from the starts to the window ends; Consumed
	// the replay's progress through it; Progress = Consumed / Window.
	Window   int64   `json:"window"`
	Consumed int64   `json:"consumed"`
	Progress float64 `json:"progress"`
	// Lags summed over partitions with a commit.
	ReplayLag int64 `json:"replay_lag"`
	LiveLag   int64 `json:"live_lag"`
	// CaughtUp: on every partition the replay has read its whole window
	// and its lag is 0 or no more than the live group's.
	CaughtUp bool `json:"caught_up"`
	// Rate is records/s through the window (0: unknown or stalled); ETA
	// the time left to the window end at that rate (nil: unknown).
	Rate       float64  `json:"rate"`
	ETASeconds *float64 `json:"eta_seconds"`
}

// ETA returns the estimated time to the end of the window and whether it
// is known.
func (s *Status) ETA() (time.Duration, bool) {
	if s.ETASeconds == nil {
		return 0, false
	}
	return time.Duration(*s.ETASeconds * float64(time.Second)), true
}

// Sample is one progress observation.
type Sample struct {
	At       time.Time `json:"at"`
	Consumed int64     `json:"consumed"`
}

// Estimate sets Rate and ETA from an earlier sample (nil: only "done" is
// known).
func (s *Status) Estimate(prev *Sample) {
	s.Rate, s.ETASeconds = 0, nil
	left := max(s.Window-s.Consumed, 0)
	if left == 0 {
		z := 0.0
		s.ETASeconds = &z
	}
	if prev == nil {
		return
	}
	dt := s.At.Sub(prev.At).Seconds()
	if dt <= 0 || s.Consumed < prev.Consumed {
		return
	}
	s.Rate = float64(s.Consumed-prev.Consumed) / dt
	if s.Rate > 0 && left > 0 {
		eta := float64(left) / s.Rate
		s.ETASeconds = &eta
	}
}

// positionChecker is what a cluster offers to judge a position that stops
// short of an offset (*backend.Cluster has it).
type positionChecker interface {
	NoDataBetween(ctx context.Context, topic string, partition int32, from, to int64) (bool, error)
}

// ReplayStatus compares the replay group with its live group now. It only
// reads the cluster.
func ReplayStatus(ctx context.Context, cl Cluster, r *Replay, now time.Time) (*Status, error) {
	if err := checkCluster(cl, r); err != nil {
		return nil, err
	}
	s := &Status{Name: r.Name, Group: r.Group, State: r.State, Partial: r.Partial, At: now.UTC()}
	var err error
	if s.ReplayGroupState, s.ReplayMembers, _, err = cl.GroupState(ctx, r.Name); err != nil {
		return nil, err
	}
	if s.LiveGroupState, s.LiveMembers, _, err = cl.GroupState(ctx, r.Group); err != nil {
		return nil, err
	}
	rc, err := cl.CommittedOffsets(ctx, r.Name)
	if err != nil {
		return nil, err
	}
	lc, err := cl.CommittedOffsets(ctx, r.Group)
	if err != nil {
		return nil, err
	}
	marks := map[string]map[int32][2]int64{}
	s.CaughtUp = len(r.Partitions) > 0
	for _, rp := range r.Partitions {
		wm, ok := marks[rp.Topic]
		if !ok {
			if wm, err = cl.Watermarks(ctx, rp.Topic); err != nil {
				return nil, err
			}
			marks[rp.Topic] = wm
		}
		ps := PartitionStatus{Topic: rp.Topic, Partition: rp.Partition, Start: rp.Start, WindowEnd: rp.WindowEnd,
			HighWatermark: wm[rp.Partition][1], Replay: -1, Live: -1, ReplayLag: -1, LiveLag: -1,
			Window: max(rp.WindowEnd-rp.Start, 0)}
		eff := int64(-1) // the replay's position, judged by what is left to read
		if v, ok := lookup(rc, rp.Topic, rp.Partition); ok {
			ps.Replay, eff = v, v
			ps.ReplayLag = max(ps.HighWatermark-v, 0)
			if v < rp.WindowEnd {
				// A consumer commits after its last record: the window may
				// end in transaction markers or aborted records it never
				// reads, so "through the window" is judged by what is left
				// to read, not by the offset alone.
				if pc, ok := cl.(positionChecker); ok {
					if empty, err := pc.NoDataBetween(ctx, rp.Topic, rp.Partition, v, rp.WindowEnd); err != nil {
						return nil, err
					} else if empty {
						eff = rp.WindowEnd
					}
				}
			}
			ps.Consumed = min(max(eff, rp.Start), rp.WindowEnd) - rp.Start
			s.ReplayLag += ps.ReplayLag
		}
		if v, ok := lookup(lc, rp.Topic, rp.Partition); ok {
			ps.Live = v
			ps.LiveLag = max(ps.HighWatermark-v, 0)
			s.LiveLag += ps.LiveLag
		}
		// Caught up: through the whole window, and now no further behind
		// than the live group (or at the end). A replay that starts ahead
		// of a lagging live group is not caught up before it has read its
		// window.
		effLag := max(ps.HighWatermark-eff, 0)
		ps.CaughtUp = eff >= rp.WindowEnd && (effLag == 0 || (ps.LiveLag >= 0 && effLag <= ps.LiveLag))
		s.CaughtUp = s.CaughtUp && ps.CaughtUp
		s.Window += ps.Window
		s.Consumed += ps.Consumed
		s.Partitions = append(s.Partitions, ps)
	}
	if s.Window > 0 {
		s.Progress = float64(s.Consumed) / float64(s.Window)
	} else {
		s.Progress = 1
	}
	s.Estimate(nil)
	return s, nil
}

// LoadSample returns the replay's last saved progress sample (nil: none).
func LoadSample(dir, name string) *Sample {
	b, err := os.ReadFile(samplePath(dir, name))
	if err != nil {
		return nil
	}
	var s Sample
	if json.Unmarshal(b, &s) != nil || s.At.IsZero() {
		return nil
	}
	return &s
}

// SaveSample stores a progress sample for the next status's rate.
func SaveSample(dir, name string, s Sample) error {
	if _, err := os.Stat(replayPath(dir, name)); err != nil {
		return nil // the replay is gone: nothing to keep
	}
	return writeJSONAtomic(samplePath(dir, name), s)
}

// Tracker turns successive statuses into a rate over a sliding window
// (for views that poll).
type Tracker struct {
	// Span is how far back the rate looks (default 30s).
	Span    time.Duration
	samples []Sample
}

// Observe records s and sets its Rate and ETA.
func (t *Tracker) Observe(s *Status) {
	span := t.Span
	if span <= 0 {
		span = 30 * time.Second
	}
	cur := Sample{At: s.At, Consumed: s.Consumed}
	// A consumed count going back (replay group reset) restarts the window.
	if n := len(t.samples); n > 0 && cur.Consumed < t.samples[n-1].Consumed {
		t.samples = t.samples[:0]
	}
	t.samples = append(t.samples, cur)
	i := 0
	for i < len(t.samples)-2 && cur.At.Sub(t.samples[i+1].At) >= span {
		i++
	}
	t.samples = t.samples[i:]
	if len(t.samples) > 1 {
		first := t.samples[0]
		s.Estimate(&first)
	} else {
		s.Estimate(nil)
	}
}

// notCaughtUp explains the partitions that have not caught up.
func notCaughtUp(s *Status) []string {
	var out []string
	for _, p := range s.Partitions {
		if p.CaughtUp {
			continue
		}
		out = append(out, fmt.Sprintf("%s/%d: replay at %s of window end %d, replay lag %s, live lag %s",
			p.Topic, p.Partition, offText(p.Replay), p.WindowEnd, offText(p.ReplayLag), offText(p.LiveLag)))
	}
	return out
}
