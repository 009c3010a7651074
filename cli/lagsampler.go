package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
	"github.com/rewind-log/rewind/backend/lagmetrics"
	"github.com/rewind-log/rewind/internal/when"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// newSampler returns the lag history sampler of a session: its store in
// the data dir (opened once the cluster answers its id),
// the per-group time-lag thresholds of the context, and the labels of
// rewind's own groups. The caller runs it (Start) or samples it once, and
// closes it.
func (e *runEnv) newSampler(s *session) (*laghist.Sampler, error) {
	return e.newSamplerIn(s, dataDir(e, s))
}

func (e *runEnv) newSamplerIn(s *session, dir string) (*laghist.Sampler, error) {
	cfg := laghist.Config{Refresh: e.g.Refresh}
	if s.profile != nil {
		th, err := groupThresholds(s.profile.Name, s.profile.Groups)
		if err != nil {
			return nil, err
		}
		if len(th) > 0 {
			cfg.Threshold = func(g string) time.Duration { return th[g] }
		}
	}
	own := &ownGroups{dir: dir, addr: s.cluster.Addr(), embedded: s.cluster.Embedded()}
	cfg.Role, cfg.OffsetsSet = own.role, own.offsetsSet
	cfg.Open = func(ctx context.Context) (*laghist.Store, error) { return laghist.OpenStore(ctx, s.cluster, dir) }
	return laghist.NewSampler(s.cluster, nil, cfg), nil
}

// groupThresholds reads the contexts[].groups.<g>.lag_threshold settings.
func groupThresholds(ctxName string, groups map[string]connect.GroupSettings) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for g, gs := range groups {
		v := strings.TrimSpace(gs.LagThreshold)
		switch v {
		case "":
			continue
		case "off":
			out[g] = -1
			continue
		}
		d, err := when.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("context %q: groups.%s.lag_threshold %q: want a duration such as 30m, 2h or 1d, or off",
				ui.Sanitize(ctxName), ui.Sanitize(g), ui.Sanitize(v))
		}
		out[g] = d
	}
	return out, nil
}

// ownGroups tells rewind's own groups apart: replay groups (from the
// replays recorded in the data dir, or named GROUP.replay.YYYYMMDD-HHMMSS)
// and projection groups (rewind.projection.NAME.RUN). A replay that was cut
// over with --mode keep is the live group now, and is judged as one. What
// the data dir says is re-read at most every few seconds.
type ownGroups struct {
	dir string
	// addr and embedded pick this cluster's entries of the audit trail
	// (the embedded log's data dir holds one cluster, whatever its port).
	addr     string
	embedded bool

	mu    sync.Mutex
	read  time.Time
	known map[string]ownRole
	// set is when rewind last changed each group's offsets (audit trail).
	set map[string]time.Time
}

type ownRole struct {
	status lag.Status
	label  string
}

var defaultReplayName = regexp.MustCompile(`^(.+)\.replay\.\d{8}-\d{6}$`)

// offsetsSet is when rewind last changed group's offsets: an audited,
// successful reset, cut-over or deletion of offsets (zero: never).
func (o *ownGroups) offsetsSet(group string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.read) > 5*time.Second {
		o.reload()
	}
	return o.set[group]
}

func (o *ownGroups) role(group string) (lag.Status, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.read) > 5*time.Second {
		o.reload()
	}
	if r, ok := o.known[group]; ok {
		return r.status, r.label
	}
	if m := defaultReplayName.FindStringSubmatch(group); m != nil {
		return lag.Replay, "replay of " + m[1]
	}
	if rest, ok := strings.CutPrefix(group, "rewind.projection."); ok {
		return lag.Projection, "projection " + rest
	}
	return "", ""
}

func (o *ownGroups) reload() {
	o.read = time.Now()
	o.known = map[string]ownRole{}
	rs, _ := replay.ListReplays(o.dir) // unreadable files: the name patterns still apply
	for _, r := range rs {
		if r.State == replay.StatePromoted {
			o.known[r.Name] = ownRole{} // the group in use now: a live group
			continue
		}
		o.known[r.Name] = ownRole{lag.Replay, "replay of " + r.Group}
	}
	runs, _ := project.ListRuns(o.dir)
	for _, m := range runs {
		o.known[m.Group] = ownRole{lag.Projection, "projection " + m.Name + " run " + m.ID}
	}
	o.set = map[string]time.Time{}
	es, _ := replay.ReadAudit(o.dir) // unreadable lines: the readable ones still count
	for i := range es {
		e := &es[i]
		if !e.OK() || (!o.embedded && e.Cluster != "" && e.Cluster != o.addr) {
			continue
		}
		switch e.Kind {
		case replay.AuditReset, replay.AuditCutover, replay.AuditDeleteOffsets:
			if e.Time.After(o.set[e.Group]) {
				o.set[e.Group] = e.Time
			}
		}
	}
}

// MetricsFlag is --metrics ADDR of the commands that keep the lag history
// (serve, the UI).
type MetricsFlag struct {
	Metrics string `placeholder:"ADDR" help:"Serve Prometheus metrics of consumer lag on ADDR (e.g. 127.0.0.1:9308), at /metrics, named like kafka-lag-exporter's."`
}

// recordLag runs the lag history sampler of a session in the background
// (recording or following, see laghist) and, with --metrics, serves its
// metrics. stop ends both; it is safe to call once.
func (e *runEnv) recordLag(s *session, dir, metrics string) (smp *laghist.Sampler, stop func(), err error) {
	smp, err = e.newSamplerIn(s, dir)
	if err != nil {
		return nil, nil, err
	}
	var srv *lagmetrics.Server
	if metrics != "" {
		name := s.cluster.Addr()
		if s.profile != nil && s.profile.Name != "" {
			name = s.profile.Name
		}
		srv, err = lagmetrics.Serve(metrics, lagmetrics.New(smp, name))
		if err != nil {
			smp.Close()
			return nil, nil, err
		}
		fmt.Fprintf(e.stdout, "metrics on http://%s/metrics\n", srv.Addr())
	}
	stopRun := smp.Start(e.ctx)
	return smp, func() {
		if srv != nil {
			_ = srv.Close()
		}
		stopRun()
		_ = smp.Close()
	}, nil
}
