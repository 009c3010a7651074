package views

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Projection runs started or resumed from :projections run in this
// process, in the background (leaving the screen does not stop them):
// their progress is run.json, which the runs list reloads. Runs.Close,
// when the TUI exits, stops them cleanly (checkpointed: resumable).

// runs is the process's background runs; the screens' constructors (on
// the event loop) make one when the caller did not.
func (e *Env) runs() *Runs {
	if e.Runs == nil {
		e.Runs = NewRuns()
	}
	return e.Runs
}

// Runs are the projection runs this process executes.
type Runs struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	active map[string]bool
}

// NewRuns returns an empty set of background runs.
func NewRuns() *Runs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Runs{ctx: ctx, cancel: cancel, active: map[string]bool{}}
}

// Close stops every run and waits for them to checkpoint and end.
func (r *Runs) Close() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
}

// Running reports whether this process runs id.
func (r *Runs) Running(id string) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[id]
}

func (r *Runs) start(id string, run func(ctx context.Context)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return errors.New("the TUI is closing")
	}
	if r.active[id] {
		return fmt.Errorf("run %q is already running in this process", id)
	}
	r.active[id] = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			delete(r.active, id)
			r.mu.Unlock()
		}()
		run(r.ctx)
	}()
	return nil
}

// specFiles lists the YAML specs in dir.
func specFiles(dir string) []string {
	var out []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// checkSpecPath accepts a spec file; for a directory it names the specs
// in it to pick from.
func checkSpecPath(p string) error {
	p = strings.TrimSpace(p)
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("no spec file %s", p)
	}
	if st.IsDir() {
		fs := specFiles(p)
		if len(fs) == 0 {
			return fmt.Errorf("no *.yaml spec in %s", p)
		}
		for i, f := range fs {
			fs[i] = filepath.Base(f)
		}
		if len(fs) > 6 {
			fs = append(fs[:6], fmt.Sprintf("… %d more", len(fs)-6))
		}
		return fmt.Errorf("a directory: type one of %s", strings.Join(fs, ", "))
	}
	if _, _, err := project.LoadSpec(p); err != nil {
		return err
	}
	return nil
}

// defaultSpecDir is where the start flow looks for specs first.
func defaultSpecDir() string {
	for _, d := range []string{"projections", filepath.Join("testdata", "projections")} {
		if len(specFiles(d)) > 0 {
			return d + string(filepath.Separator)
		}
	}
	return "." + string(filepath.Separator)
}

type plannedRun struct {
	comp *project.Compiled
	id   string
}

// NewProjectionStart asks a spec, a start position and a run id, shows
// the plan (partitions, records in the window) and starts the run.
func NewProjectionStart(env *Env) ui.Screen {
	c, runs := env.Cluster, env.runs()
	opts := func(vals []string) project.Options {
		return project.Options{DataDir: env.DataDir, ID: strings.TrimSpace(vals[2]), From: strings.TrimSpace(vals[1]), Decoder: env.Decoder, Now: env.Now}
	}
	return newAction(env, actionSpec{
		Title:      "start run",
		Head:       "Start a projection run (it reads the cluster; nothing is written to it)",
		ReadOnlyOK: true,
		Fields: []actionField{
			{Label: "spec:", Prefill: defaultSpecDir(), Validate: checkSpecPath},
			{Label: "from:", Placeholder: "(the spec's from, else earliest) · earliest, OFFSET, -N, RFC3339, -15m", Validate: func(v string) error {
				if strings.TrimSpace(v) == "" {
					return nil
				}
				_, err := backend.ParseStart(v, env.now())
				return err
			}},
			{Label: "run id:", Placeholder: "(NAME-YYYYMMDD-HHMMSS)"},
		},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			_, comp, err := project.LoadSpec(strings.TrimSpace(vals[0]))
			if err != nil {
				return actionPlan{}, err
			}
			o := opts(vals)
			m, err := project.Plan(ctx, c, comp, o)
			if err != nil {
				return actionPlan{}, err
			}
			var window int64
			for _, p := range m.Partitions {
				window += max(p.Target-p.Start, 0)
			}
			p := actionPlan{Data: plannedRun{comp, m.ID}, Lines: []string{fmt.Sprintf("run %s of %s (%s) on %s: %s, %s to read, from %s until %s",
				ui.Sanitize(m.ID), ui.Sanitize(m.Name), ui.Sanitize(m.Aggregate), ui.Sanitize(strings.Join(m.Topics, ", ")),
				plural(len(m.Partitions), "partition"), plural64(window, "record"), ui.Sanitize(m.From), ui.Sanitize(m.Until))}}
			if _, err := os.Stat(project.RunDir(env.DataDir, m.ID)); err == nil {
				p.Block = fmt.Sprintf("run %q already exists: resume it from the list (c), or give another run id", m.ID)
			}
			if m.Partial {
				p.Warn = append(p.Warn, "PARTIAL: retention deleted part of the window")
			}
			return p, nil
		},
		Execute: func(_ context.Context, vals []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
			pr := p.Data.(plannedRun)
			o := opts(vals)
			o.ID = pr.id // the id the preview showed, not a new default
			err := runs.start(pr.id, func(ctx context.Context) { _, _ = project.Start(ctx, c, pr.comp, o) })
			return fmt.Sprintf("started run %s in the background: :projections shows its progress", pr.id), nil, err
		},
	})
}

// NewProjectionResume continues an interrupted, stopped or failed run
// from its last checkpoint, with the spec it started with.
func NewProjectionResume(env *Env, id string) ui.Screen {
	c, runs := env.Cluster, env.runs()
	return newAction(env, actionSpec{
		Title:      "resume " + id,
		Head:       "Resume projection run " + ui.Sanitize(id) + " from its last checkpoint",
		ReadOnlyOK: true,
		Preview: func(_ context.Context, _ []string) (actionPlan, error) {
			m, err := project.LoadMeta(env.DataDir, id)
			if err != nil {
				return actionPlan{}, err
			}
			p := actionPlan{Lines: []string{fmt.Sprintf("run %s of %s: %s", ui.Sanitize(id), ui.Sanitize(m.Name), m.Status)}}
			if pr := m.Progress; pr != nil {
				p.Lines[0] += fmt.Sprintf(", %s of %s checkpointed", ui.FormatCount(pr.Done), ui.FormatCount(pr.Total))
			}
			switch {
			case m.Status == project.StatusDone:
				p.Block = fmt.Sprintf("run %q is already done", id)
			case m.Status == project.StatusRunning || runs.Running(id):
				p.Block = fmt.Sprintf("run %q is running", id)
				if m.PID > 0 {
					p.Block += fmt.Sprintf(" (written by pid %d)", m.PID)
				}
			}
			if m.Error != "" {
				p.Warn = append(p.Warn, "it stopped with: "+ui.Sanitize(m.Error))
			}
			return p, nil
		},
		Execute: func(_ context.Context, _ []string, _ actionPlan, _ string) (string, *replay.AuditEntry, error) {
			o := project.Options{Decoder: env.Decoder, Now: env.Now}
			err := runs.start(id, func(ctx context.Context) { _, _ = project.Resume(ctx, c, env.DataDir, id, nil, o) })
			return fmt.Sprintf("resumed run %s in the background: :projections shows its progress", id), nil, err
		},
	})
}
