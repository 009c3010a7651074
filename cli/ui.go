package cli

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/rewind-log/rewind/themes"
	"github.com/rewind-log/rewind/ui"
	"github.com/rewind-log/rewind/views"
)

// UICmd opens the terminal UI.
type UICmd struct{}

// Run opens the cluster, then the UI, and closes both on every exit path.
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
	defer s.Close()

	env := &views.Env{Cluster: s.cluster, Theme: theme, DataDir: dataDir(e, s)}
	views.SetLagRefresh(env, e.g.Refresh)
	app := ui.New(ui.Options{
		Theme: theme,
		Status: ui.StatusInfo{
			Cluster:  s.label,
			Addr:     s.cluster.Addr(),
			Embedded: s.cluster.Embedded(),
			ReadOnly: s.cluster.ReadOnly(),
		},
		Root:     views.NewTopics(env),
		Commands: views.Commands(env),
		Version:  buildVersion(),
	})
	defer app.Close() // screens holding resources (a live tail) close even on a signal
	p := tea.NewProgram(app, tea.WithContext(e.ctx))

	// The connection indicator: a ping every few seconds, off the event loop.
	pctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go func() {
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
		return nil // SIGINT/SIGTERM: a clean exit
	}
	return err
}
