package connect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File is config.yaml:
//
//	current-context: staging
//	contexts:
//	  - name: staging
//	    brokers: [b1.example.com:9093]
//	    properties_file: ~/staging/client.properties   # optional, Java format
//	    properties:                                    # standard client properties
//	      security.protocol: SASL_SSL
//	      sasl.mechanism: SCRAM-SHA-512
//	      sasl.username: svc-rewind
//	      sasl.password: ${STAGING_KAFKA_PASSWORD}
//	    password_command: pass show kafka/staging      # or: stdout is the password
//	    read_only: false
//	    label: STAGING
//	    color: yellow
//	    schema_registry: {url: https://sr.example.com, username: u, password: ${SR_PASSWORD}}
//	    topics: {}    # per-topic decode settings (TopicSettings)
//	    groups: {}    # per-group lag settings (GroupSettings)
type File struct {
	CurrentContext string    `yaml:"current-context"`
	Contexts       []Context `yaml:"contexts"`
	// Path is where the file was read from (not in the YAML).
	Path string `yaml:"-"`
}

// Context is one named cluster.
type Context struct {
	Name           string            `yaml:"name"`
	Brokers        []string          `yaml:"brokers"`
	PropertiesFile string            `yaml:"properties_file"`
	Properties     map[string]string `yaml:"properties"`
	// PasswordCommand runs with sh -c; its stdout (one trailing newline
	// trimmed) is the SASL password, or the OAuth client secret with
	// OAUTHBEARER.
	PasswordCommand string                   `yaml:"password_command"`
	ReadOnly        bool                     `yaml:"read_only"`
	Label           string                   `yaml:"label"`
	Color           string                   `yaml:"color"`
	SchemaRegistry  *RegistryConfig          `yaml:"schema_registry"`
	Topics          map[string]TopicSettings `yaml:"topics"`
	Groups          map[string]GroupSettings `yaml:"groups"`
}

// RegistryConfig is a context's schema_registry block.
type RegistryConfig struct {
	URL                string `yaml:"url"`
	Username           string `yaml:"username"`
	Password           string `yaml:"password"`
	PasswordCommand    string `yaml:"password_command"`
	BearerToken        string `yaml:"bearer_token"`
	CA                 string `yaml:"ca"`
	Cert               string `yaml:"cert"`
	Key                string `yaml:"key"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// DefaultConfigPath is $XDG_CONFIG_HOME/rewind/config.yaml, else
// ~/.config/rewind/config.yaml.
func DefaultConfigPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "rewind", "config.yaml")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "rewind", "config.yaml")
	}
	return filepath.Join(".config", "rewind", "config.yaml")
}

// LoadFile reads and checks config.yaml. Unknown keys are errors (a typo
// must not silently drop a setting). warn is a one-line warning when the
// file is readable by other users.
func LoadFile(path string) (f *File, warn string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("config %s: %w", path, err)
	}
	f = &File{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("config %s: %s", path, oneLine(err.Error()))
	}
	f.Path = path
	seen := map[string]bool{}
	for i, c := range f.Contexts {
		if c.Name == "" {
			return nil, "", fmt.Errorf("config %s: context #%d has no name", path, i+1)
		}
		if seen[c.Name] {
			return nil, "", fmt.Errorf("config %s: context %q is defined twice", path, c.Name)
		}
		seen[c.Name] = true
	}
	if f.CurrentContext != "" && !seen[f.CurrentContext] {
		return nil, "", fmt.Errorf("config %s: current-context %q is not a context", path, f.CurrentContext)
	}
	return f, PermWarning(path), nil
}

// PermWarning is a one-line warning when a file that may hold secrets is
// readable by group or others; "" otherwise.
func PermWarning(path string) string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o044 == 0 {
		return ""
	}
	return fmt.Sprintf("warning: %s is readable by other users (mode %04o) and may hold secrets: chmod 600 %s", path, st.Mode().Perm(), path)
}

// Names lists the context names in file order.
func (f *File) Names() []string {
	out := make([]string, len(f.Contexts))
	for i, c := range f.Contexts {
		out[i] = c.Name
	}
	return out
}

// Find returns the named context or an error listing the known ones.
func (f *File) Find(name string) (*Context, error) {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			return &f.Contexts[i], nil
		}
	}
	msg := fmt.Sprintf("no context %q in %s", name, f.Path)
	if len(f.Contexts) > 0 {
		msg += " (contexts: " + strings.Join(f.Names(), ", ") + ")"
	}
	return nil, errors.New(msg)
}

// Profile builds the named context's profile. With resolve false, secrets
// from password_command are not fetched (for `context show`); ${ENV}
// references are always expanded.
func (f *File) Profile(ctx context.Context, name string, resolve bool) (*Profile, error) {
	c, err := f.Find(name)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("%s: context %s", f.Path, name)
	p := &Profile{Name: name, Source: where, ReadOnly: c.ReadOnly, Label: c.Label, Color: c.Color,
		Topics: c.Topics, Groups: c.Groups}
	if c.PropertiesFile != "" {
		pf := expandHome(c.PropertiesFile)
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(filepath.Dir(f.Path), pf)
		}
		props, err := ReadPropertiesFile(pf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if props, err = ExpandEnv(props); err != nil {
			return nil, err
		}
		if err := p.Apply(props); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(c.Properties))
	for k := range c.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic; sasl.jaas.config before sasl.mechanism
	var props []Property
	for _, k := range keys {
		props = append(props, Property{Key: k, Value: c.Properties[k], Where: where})
	}
	if props, err = ExpandEnv(props); err != nil {
		return nil, err
	}
	if err := p.Apply(props); err != nil {
		return nil, err
	}
	if len(c.Brokers) > 0 {
		bs, err := expandAll(c.Brokers, where+": brokers")
		if err != nil {
			return nil, err
		}
		p.Brokers = bs
	}
	if c.PasswordCommand != "" {
		sec := NewSecret("", "password_command")
		if resolve {
			v, err := RunPasswordCommand(ctx, c.PasswordCommand, where)
			if err != nil {
				return nil, err
			}
			sec = NewSecret(v, "password_command")
		}
		if p.Security.SASL.Mechanism == MechOAuthBearer {
			p.Security.SASL.OAuth.ClientSecret = sec
		} else {
			p.Security.SASL.Password = sec
		}
	}
	if r := c.SchemaRegistry; r != nil {
		if err := p.applyRegistry(ctx, r, where+": schema_registry", resolve); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Profile) applyRegistry(ctx context.Context, r *RegistryConfig, where string, resolve bool) error {
	vals, err := expandAll([]string{r.URL, r.Username, r.Password, r.BearerToken, r.CA, r.Cert, r.Key}, where)
	if err != nil {
		return err
	}
	reg := &p.SchemaRegistry
	if vals[0] != "" {
		reg.URL = vals[0]
	}
	if vals[1] != "" {
		reg.Username = vals[1]
	}
	if vals[2] != "" {
		reg.Password = NewSecret(vals[2], secretFrom(r.Password))
	}
	if r.PasswordCommand != "" {
		reg.Password = NewSecret("", "password_command")
		if resolve {
			v, err := RunPasswordCommand(ctx, r.PasswordCommand, where)
			if err != nil {
				return err
			}
			reg.Password = NewSecret(v, "password_command")
		}
	}
	if vals[3] != "" {
		reg.BearerToken = NewSecret(vals[3], secretFrom(r.BearerToken))
	}
	if vals[4] != "" {
		reg.TLS.CAFile = expandHome(vals[4])
	}
	if vals[5] != "" {
		reg.TLS.CertFile = expandHome(vals[5])
	}
	if vals[6] != "" {
		reg.TLS.KeyFile = expandHome(vals[6])
	}
	reg.TLS.SkipVerify = reg.TLS.SkipVerify || r.InsecureSkipVerify
	return nil
}

func secretFrom(raw string) string {
	if m := envRef.FindStringSubmatch(raw); m != nil {
		return "env " + m[1]
	}
	return "config file"
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ExpandEnv replaces ${VAR} in values with the environment variable; an
// unset variable is an error naming it and where it is used. A secret that
// came from the environment is marked so.
func ExpandEnv(props []Property) ([]Property, error) {
	out := make([]Property, len(props))
	for i, p := range props {
		v, err := expand(p.Value, p.Where+": "+p.Key)
		if err != nil {
			return nil, err
		}
		if m := envRef.FindStringSubmatch(p.Value); m != nil {
			p.Where = "env " + m[1]
		}
		p.Value = v
		out[i] = p
	}
	return out, nil
}

func expandAll(vals []string, where string) ([]string, error) {
	out := make([]string, len(vals))
	for i, v := range vals {
		e, err := expand(v, where)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func expand(v, where string) (string, error) {
	var missing string
	out := envRef.ReplaceAllStringFunc(v, func(ref string) string {
		name := ref[2 : len(ref)-1]
		val, ok := os.LookupEnv(name)
		if !ok && missing == "" {
			missing = name
		}
		return val
	})
	if missing != "" {
		return "", fmt.Errorf("%s: environment variable %s is not set", where, missing)
	}
	return out, nil
}

// RunPasswordCommand runs cmd with sh -c and returns its stdout without
// the trailing newline. The command's stderr is kept out of the terminal
// (a UI may be running) and its first line reported only on failure.
func RunPasswordCommand(ctx context.Context, cmd, where string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(firstLine(stderr.String()))
		if msg != "" {
			msg = ": " + msg
		}
		return "", fmt.Errorf("%s: password_command failed (%v)%s", where, err, msg)
	}
	v := strings.TrimSuffix(stdout.String(), "\n")
	v = strings.TrimSuffix(v, "\r")
	if v == "" {
		return "", fmt.Errorf("%s: password_command printed nothing", where)
	}
	return v, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// SetCurrent rewrites current-context in the file at path, keeping the
// rest of the file (comments included) as it is.
func SetCurrent(path, name string) error {
	f, _, err := LoadFile(path)
	if err != nil {
		return err
	}
	if _, err := f.Find(name); err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("config %s: not a mapping", path)
	}
	m := doc.Content[0]
	found := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "current-context" {
			m.Content[i+1].Value = name
			m.Content[i+1].Tag = "!!str"
			m.Content[i+1].Style = 0
			found = true
		}
	}
	if !found {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: "current-context", Tag: "!!str"}
		v := &yaml.Node{Kind: yaml.ScalarNode, Value: name, Tag: "!!str"}
		m.Content = append([]*yaml.Node{k, v}, m.Content...)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), st.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
