package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/ui"
)

// ContextCmd manages the connection contexts of config.yaml.
type ContextCmd struct {
	List ContextListCmd `cmd:"" default:"1" help:"List the contexts (* marks current-context)."`
	Show ContextShowCmd `cmd:"" help:"Show a context's settings (secrets masked)."`
	Use  ContextUseCmd  `cmd:"" help:"Make a context the current-context."`
}

// ContextListCmd lists contexts.
type ContextListCmd struct{}

// ContextShowCmd shows one context (default: the one rewind would use).
type ContextShowCmd struct {
	Name string `arg:"" optional:"" help:"Context name (default: the one in use)."`
}

// ContextUseCmd sets current-context.
type ContextUseCmd struct {
	Name string `arg:"" help:"Context name."`
}

func (e *runEnv) configPath() string {
	if e.g.Config != "" {
		return e.g.Config
	}
	return connect.DefaultConfigPath()
}

func (e *runEnv) loadConfig() (*connect.File, error) {
	f, warn, err := connect.LoadFile(e.configPath())
	if err != nil {
		return nil, err
	}
	if warn != "" {
		fmt.Fprintf(e.stderr, "rewind: %s\n", warn)
	}
	return f, nil
}

// Run lists the contexts.
func (c *ContextListCmd) Run(e *runEnv) error {
	f, err := e.loadConfig()
	if err != nil {
		return err
	}
	if len(f.Contexts) == 0 {
		fmt.Fprintf(e.stdout, "no contexts in %s\n", f.Path)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CURRENT\tNAME\tBROKERS\tSECURITY\tMODE\tLABEL")
	for _, cx := range f.Contexts {
		cur := ""
		if cx.Name == f.CurrentContext {
			cur = "*"
		}
		brokers := strings.Join(cx.Brokers, ",")
		sec := "(error: see context show)"
		// Built without secrets (no password_command runs for a list).
		if p, err := f.Profile(e.ctx, cx.Name, false); err == nil {
			brokers, sec = strings.Join(p.Brokers, ","), securityText(p)
		}
		mode := "read-write"
		if cx.ReadOnly {
			mode = "read-only"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cur, ui.Sanitize(cx.Name), ui.Sanitize(brokers), sec, mode, ui.Sanitize(cx.Label))
	}
	return tw.Flush()
}

// Run shows one context.
func (c *ContextShowCmd) Run(e *runEnv) error {
	var p *connect.Profile
	if c.Name != "" {
		f, err := e.loadConfig()
		if err != nil {
			return err
		}
		if p, err = f.Profile(e.ctx, c.Name, false); err != nil {
			return err
		}
	} else {
		r, err := connect.Resolve(e.ctx, e.selection(), false)
		if err != nil {
			return err
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(e.stderr, "rewind: %s\n", w)
		}
		if r.Profile == nil {
			fmt.Fprintln(e.stdout, "no context or brokers: rewind uses the embedded log")
			return nil
		}
		p = r.Profile
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, f := range p.Describe() {
		fmt.Fprintf(tw, "%s\t%s\n", f.Key, ui.Sanitize(f.Value))
	}
	return tw.Flush()
}

// Run sets current-context.
func (c *ContextUseCmd) Run(e *runEnv) error {
	if c.Name == "" {
		return errors.New("context use: give a context name")
	}
	if err := connect.SetCurrent(e.configPath(), c.Name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "current-context is now %s\n", c.Name)
	return nil
}

func (e *runEnv) selection() connect.Selection {
	g := e.g
	return connect.Selection{ConfigPath: g.Config, Context: g.Context, Brokers: g.Brokers,
		PropertiesFile: g.Properties, Overrides: g.Property}
}

// remoteSelected reports whether the flags or the config file select a
// remote cluster (without running any password_command).
func (e *runEnv) remoteSelected() bool {
	r, err := connect.Resolve(e.ctx, e.selection(), false)
	return err == nil && r.Profile != nil
}

// securityText is "PROTOCOL[/MECHANISM]" for listings.
func securityText(p *connect.Profile) string {
	s := connect.Plaintext
	if p.Security.Protocol != "" {
		s = p.Security.Protocol
	}
	if m := p.Security.SASL.Mechanism; m != "" {
		s += "/" + m
	}
	return s
}
