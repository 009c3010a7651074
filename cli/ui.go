package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
	"github.com/rewind-log/rewind/views"
)

// UICmd opens the terminal UI.
type UICmd struct {
	MetricsFlag `embed:""`
	DecodeFlags `embed:""`
}

// Run opens the cluster, then the UI, and closes both on every exit path.
// Choosing another context in :contexts ends this cluster's UI, closes its
// session and opens the UI again on the new one, in the same process.
func (c *UICmd) Run(e *runEnv) error {
	theme, err := themes.FromEnv(e.g.Theme)
	if err != nil {
		return fmt.Errorf("--theme: %w", err)
	}
	e.tolerateDown = true
	s, err := e.open(true)
	if err != nil {
		return err
	}
	var toast string
	for {
		next, err := runUI(e, s, theme, toast, c.Metrics, &c.DecodeFlags)
		s.Close()
		if err != nil || next == "" {
			return err
		}
		prev := *e.g
		// The chosen context alone: -b, -F and -X named the previous cluster.
		e.g.Context, e.g.Brokers, e.g.Properties, e.g.Property = next, nil, "", nil
		toast = ""
		if s, err = e.open(true); err != nil {
			// Stay where we were and say why.
			*e.g = prev
			toast = fmt.Sprintf("cannot switch to %s: %s", next, oneLine(err))
			if s, err = e.open(true); err != nil {
				return err
			}
		}
	}
}

// runUI runs the UI on one session until quit (next "") or a context
// switch (next is the chosen context).
func runUI(e *runEnv, s *session, theme themes.Theme, toast, metrics string, df *DecodeFlags) (next string, err error) {
	// Lag is recorded in the background on every screen; the lag screens
	// and the metrics read the same history.
	smp, stopLag, err := e.recordLag(s, dataDir(e, s), metrics)
	if err != nil {
		return "", err
	}
	defer stopLag()

	env := &views.Env{Cluster: s.cluster, Theme: theme, DataDir: dataDir(e, s), Contexts: e.contextList(s), Lag: smp, Runs: views.NewRuns()}
	defer env.Runs.Close() // projection runs started from :projections stop, checkpointed
	if env.Contexts != nil {
		env.Contexts.Switch = func(name string) tea.Cmd {
			next = name
			return tea.Quit
		}
	}
	views.SetLagRefresh(env, e.g.Refresh)
	// Registry warnings (one when it stops answering, one when it is
	// back) reach the status bar; p is set before any screen decodes.
	var p *tea.Program
	dcfg, err := e.decodeConfig(s, "", df)
	if err != nil {
		return "", err
	}
	dcfg.Warn = func(msg string) {
		if p != nil {
			p.Send(ui.ToastMsg{Text: "warning: " + msg})
		}
	}
	if env.Decoder, err = decode.New(dcfg); err != nil {
		return "", err
	}
	status := ui.StatusInfo{
		Cluster:  s.label,
		Addr:     s.cluster.Addr(),
		Embedded: s.cluster.Embedded(),
		ReadOnly: s.cluster.ReadOnly(),
	}
	if s.profile != nil {
		status.Color = s.profile.StatusColor()
	}
	app := ui.New(ui.Options{
		Theme:    theme,
		Status:   status,
		Root:     views.NewTopics(env),
		Commands: views.Commands(env),
		Version:  buildVersion(),
	})
	defer app.Close() // screens holding resources (a live tail) close even on a signal
	p = tea.NewProgram(app, tea.WithContext(e.ctx))

	// The connection indicator: a ping every few seconds, off the event loop.
	pctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go func() {
		if toast != "" {
			p.Send(ui.ErrMsg{Err: errors.New(toast)})
		}
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		if s.pingFirst {
			err := s.cluster.Ping(pctx)
			if pctx.Err() != nil {
				return
			}
			p.Send(ui.ConnStateMsg{Connected: err == nil, Err: err})
		} else {
			p.Send(ui.ConnStateMsg{Connected: true}) // Connect just checked it
		}
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
				err := s.cluster.Ping(pctx)
				if pctx.Err() != nil {
					return
				}
				p.Send(ui.ConnStateMsg{Connected: err == nil, Err: err})
			}
		}
	}()

	_, err = p.Run()
	if err != nil && e.ctx.Err() != nil {
		return "", nil // SIGINT/SIGTERM: a clean exit
	}
	if e.ctx.Err() != nil {
		next = ""
	}
	return next, err
}

// contextList is what :contexts shows: the config file's contexts, built
// without running any password_command. Nil without a config file.
func (e *runEnv) contextList(s *session) *views.Contexts {
	f, _, err := connect.LoadFile(e.configPath())
	if err != nil {
		return nil
	}
	cur := ""
	if s.profile != nil {
		cur = s.profile.Name
	}
	out := &views.Contexts{Path: f.Path, Current: cur}
	for _, cx := range f.Contexts {
		it := views.ContextItem{Name: cx.Name, Label: cx.Label, ReadOnly: cx.ReadOnly, Brokers: strings.Join(cx.Brokers, ",")}
		if p, err := f.Profile(e.ctx, cx.Name, false); err == nil {
			it.Brokers, it.Security = strings.Join(p.Brokers, ","), securityText(p)
		} else {
			it.Security = "(error)"
		}
		out.Items = append(out.Items, it)
	}
	return out
}
