package connect

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Selection is what the command line says about the cluster.
type Selection struct {
	// ConfigPath is --config; "" means DefaultConfigPath (which may be
	// missing; an explicit --config must exist).
	ConfigPath string
	// Context is --context or REWIND_CONTEXT.
	Context string
	// Brokers is -b.
	Brokers []string
	// PropertiesFile is -F, Overrides the -X key=value list.
	PropertiesFile string
	Overrides      []string
}

// Resolved is the outcome of a Selection.
type Resolved struct {
	// Profile is nil for the embedded log (no context, no brokers).
	Profile *Profile
	// File is the config file, when one was read.
	File *File
	// Warnings are one-line warnings for stderr (file permissions).
	Warnings []string
}

// Resolve picks the profile. Precedence, lowest first: the context
// (--context, REWIND_CONTEXT, else current-context unless -b/-F/-X name
// a cluster), the -F file, -X overrides, then -b for the brokers. With no
// context and no brokers it returns a nil Profile: the embedded log.
// resolveSecrets false skips password_command (for display).
func Resolve(ctx context.Context, s Selection, resolveSecrets bool) (*Resolved, error) {
	out := &Resolved{}
	path := s.ConfigPath
	if path == "" {
		path = DefaultConfigPath()
	}
	if _, err := os.Stat(path); err == nil {
		f, warn, err := LoadFile(path)
		if err != nil {
			return nil, err
		}
		out.File = f
		if warn != "" {
			out.Warnings = append(out.Warnings, warn)
		}
	} else if s.ConfigPath != "" {
		return nil, fmt.Errorf("config %s: %w", s.ConfigPath, errors.Unwrap(err))
	}

	var overrides []Property
	for _, x := range s.Overrides {
		pr, err := ParseOverride(x)
		if err != nil {
			return nil, err
		}
		overrides = append(overrides, pr)
	}
	var fileProps []Property
	if s.PropertiesFile != "" {
		props, err := ReadPropertiesFile(s.PropertiesFile)
		if err != nil {
			return nil, err
		}
		if fileProps, err = ExpandEnv(props); err != nil {
			return nil, err
		}
		if w := PermWarning(s.PropertiesFile); w != "" && hasSecret(props) {
			out.Warnings = append(out.Warnings, w)
		}
	}
	// -b, -F or a bootstrap in -X name a cluster: current-context (a
	// default) then does not apply, or its credentials would be sent to
	// another cluster.
	namesCluster := len(s.Brokers) > 0 || hasBrokers(fileProps) || hasBrokers(overrides)
	name := s.Context
	if name == "" && !namesCluster && out.File != nil {
		name = out.File.CurrentContext
	}
	p := &Profile{}
	if name != "" {
		if out.File == nil {
			return nil, fmt.Errorf("context %q: no config file at %s", name, path)
		}
		cp, err := out.File.Profile(ctx, name, resolveSecrets)
		if err != nil {
			return nil, err
		}
		p = cp
	}
	if err := p.Apply(fileProps); err != nil {
		return nil, err
	}
	if err := p.Apply(overrides); err != nil {
		return nil, err
	}
	if len(s.Brokers) > 0 {
		p.Brokers = s.Brokers
	}
	if len(p.Brokers) == 0 {
		if name != "" {
			return nil, fmt.Errorf("context %q has no brokers: add brokers or bootstrap.servers", name)
		}
		if len(fileProps) > 0 || len(overrides) > 0 {
			return nil, errors.New("no brokers: set bootstrap.servers (in the -F file or with -X) or -b")
		}
		return out, nil // the embedded log
	}
	if p.Source == "" {
		switch {
		case s.PropertiesFile != "":
			p.Source = "-F " + s.PropertiesFile
		case len(overrides) > 0:
			p.Source = "-X"
		default:
			p.Source = "-b"
		}
	}
	out.Profile = p
	return out, nil
}

func hasBrokers(props []Property) bool {
	for _, p := range props {
		if p.Key == "bootstrap.servers" || p.Key == "metadata.broker.list" {
			return true
		}
	}
	return false
}

func hasSecret(props []Property) bool {
	for _, p := range props {
		if IsSecretKey(p.Key) {
			return true
		}
	}
	return false
}
