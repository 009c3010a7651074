// Package cli is rewind's command line: the kong command tree, the global
// flags and how a command opens its cluster. main.go hands os.Args to Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/backend/registry"
	"github.com/rewind-log/rewind/internal/profiling"
	"github.com/rewind-log/rewind/ui"
)

// version is set with -ldflags "-X github.com/rewind-log/rewind/cli.version=...";
// otherwise the module build info is used.
var version = ""

// Globals are the flags every command shares.
type Globals struct {
	Brokers    []string `short:"b" env:"REWIND_BROKERS" sep:"," placeholder:"HOST:PORT" help:"Brokers of a remote cluster. Without brokers or a context rewind runs its embedded log."`
	Context    string   `env:"REWIND_CONTEXT" placeholder:"NAME" predictor:"context" help:"Context of the config file to connect to (default: its current-context)."`
	Config     string   `placeholder:"FILE" help:"Config file with the contexts (default ${default_config})."`
	Properties string   `short:"F" placeholder:"FILE" help:"Kafka client properties file (Java client.properties format: security.protocol, sasl.*, ssl.*)."`
	Property   []string `short:"X" sep:"none" placeholder:"KEY=VALUE" help:"Kafka client property, repeatable; overrides -F and the context (like kcat -X)."`
	DataDir    string   `name:"data-dir" placeholder:"DIR" help:"Data directory of the embedded log (default ${default_data_dir})."`
	Listen     string   `default:"${default_listen}" placeholder:"ADDR" help:"Address of the embedded log (default ${default_listen})."`
	NoDemo     bool     `name:"no-demo" help:"Do not seed demo data, run demo traffic or demo consumers in the embedded log."`
	ReadOnly   bool     `name:"read-only" help:"Refuse every write to the cluster (enforced in the backend)."`
	// AcceptDamage: the embedded log refuses a damaged data dir by default.
	AcceptDamage bool          `name:"accept-damage" help:"Start the embedded log on a damaged data dir (a truncated or corrupt segment, a damaged log-starts.json), dropping what cannot be read; without it rewind refuses, naming the file and the records."`
	Theme        string        `default:"dark" placeholder:"NAME" help:"Colour theme: dark, light, high-contrast, no-color (NO_COLOR is honoured)."`
	Timeout      time.Duration `default:"5s" help:"Connection and request timeout."`
	Refresh      time.Duration `default:"2s" help:"Refresh interval of the lag views and 'lag --watch'."`
	// Isolation and StallTimeout: how every read treats transactions and a
	// broker that stops answering (backend/reader.go).
	Isolation    string           `default:"read-committed" enum:"read-committed,read-uncommitted" help:"Transaction isolation of every read: read-committed (default: aborted and still-open transactional records are not data) or read-uncommitted (everything, labelled)."`
	StallTimeout time.Duration    `name:"stall-timeout" placeholder:"D" help:"How long a bounded read or a write retries a broker that does not answer before it fails saying how far it got (default 6 x --timeout)."`
	Version      kong.VersionFlag `help:"Print the version and exit."`

	// The embedded schema registry beside the embedded log.
	RegistryListen string `name:"registry-listen" placeholder:"ADDR" help:"Address of the embedded schema registry (default ${default_registry_listen}; a free port when --listen uses port 0)."`
}

// CLI is the command tree. `rewind` alone runs the UI.
type CLI struct {
	Globals

	UI      UICmd      `cmd:"" default:"withargs" help:"Open the terminal UI (default)."`
	Ctx     ContextCmd `cmd:"" name:"context" help:"Connection contexts of the config file: list, show, use."`
	Serve   ServeCmd   `cmd:"" help:"Run the embedded log headless until SIGINT/SIGTERM."`
	Topics  TopicsCmd  `cmd:"" help:"List topics."`
	Consume ConsumeCmd `cmd:"" help:"Print records of a topic."`
	Groups  GroupsCmd  `cmd:"" help:"List consumer groups with state, members, lag and health."`
	Lag     LagCmd     `cmd:"" help:"Per-partition lag of consumer groups."`
	Reset   ResetCmd   `cmd:"" help:"Plan (dry run) and, with --execute, apply a change of a group's offsets behind guards."`
	Replay  ReplayCmd  `cmd:"" help:"Isolated replay groups beside the live group: start, list, status, cutover, delete."`
	Project ProjectCmd `cmd:"" help:"Projections: rebuild a view of topics in an isolated group, diff two runs, publish, export."`
	Produce ProduceCmd `cmd:"" help:"Write records read from stdin (kcat -P conventions: -D, -K, -H, -p, -Z)."`
	Topic   TopicCmd   `cmd:"" help:"Topic administration: create, delete, config, alter, add-partitions."`
	Brokers BrokersCmd `cmd:"" help:"List the brokers: address, rack, controller, partitions led, log dir sizes."`
	Group   GroupCmd   `cmd:"" help:"Consumer group administration: delete, delete-offsets."`
	Redrive RedriveCmd `cmd:"" help:"Re-produce records from a dead-letter topic to their origin topic (dry run unless --execute)."`

	Completion CompletionCmd `cmd:"" help:"Print the shell completion set-up for bash, zsh or fish (commands, flags, topic and group names)."`
}

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	// A closed pipe (`rewind consume ... | head -1`) must end the command
	// quietly with status 0, not kill it with SIGPIPE (141): ignored, a
	// write returns EPIPE, which run treats as the reader being done.
	signal.Ignore(syscall.SIGPIPE)
	defer profiling.Start()() // REWIND_PPROF / REWIND_CPUPROFILE (bench/)
	return run(args, os.Stdout, os.Stderr)
}

// run parses args and runs the command; it returns the exit code so tests
// can drive the CLI in-process.
func run(args []string, stdout, stderr io.Writer) int {
	var cli CLI
	exitCode := -1
	parser, err := kong.New(&cli,
		kong.Name("rewind"),
		kong.Description("A terminal UI and CLI for Kafka-protocol logs: browse, watch lag, reprocess safely."),
		kong.Vars{
			"version":          versionLine(),
			"default_listen":   backend.DefaultListen,
			"default_data_dir": backend.DefaultDataDir(),
			"default_config":   connect.DefaultConfigPath(),

			"default_registry_listen": registry.DefaultListen,
		},
		kong.Vars(flagVars),
		kong.Writers(stdout, stderr),
		kong.WithHyphenPrefixedParameters(true), // --from -15m, --from -100
		kong.Exit(func(code int) { exitCode = code }),
		durationMapper(), // one duration grammar for every flag (internal/when)
	)
	if err != nil {
		fmt.Fprintf(stderr, "rewind: %v\n", err)
		return 2
	}
	// A shell asking for completions (COMP_LINE set) is answered here.
	if err := completeArgs(parser, &cli); err != nil {
		fmt.Fprintf(stderr, "rewind: completion: %s\n", oneLine(err))
		return 1
	}
	if exitCode >= 0 {
		return exitCode
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help or --version
		return exitCode
	}
	if err == nil {
		err = checkGlobals(&cli.Globals, kctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rewind: %s\n", ui.Sanitize(oneLine(err)))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &runEnv{ctx: ctx, g: &cli.Globals, stdout: stdout, stderr: stderr}
	if err := kctx.Run(env); err != nil {
		if errors.Is(err, errQuiet) {
			return 1
		}
		if errors.Is(err, syscall.EPIPE) {
			return 0 // the reader of our output went away: it has what it wanted
		}
		fmt.Fprintf(stderr, "rewind: %s\n", ui.Sanitize(oneLine(err)))
		return 1
	}
	return 0
}

// errQuiet ends a command with exit code 1 after it already said why.
var errQuiet = errors.New("quiet")

// oneLine keeps errors to one line: a multi-line broker message must not
// scroll the terminal or smuggle in a second fake line.
func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	return strings.ReplaceAll(s, "\r", " ")
}

// runEnv is bound into every command's Run.
type runEnv struct {
	ctx    context.Context
	g      *Globals
	stdout io.Writer
	stderr io.Writer
	// tolerateDown opens a remote cluster that does not answer yet (the UI
	// shows the error and retries); CLI commands fail fast instead.
	tolerateDown bool
}

// session is an open cluster, plus the embedded log when rewind started it.
type session struct {
	cluster  *backend.Cluster
	embedded *backend.Embedded
	label    string
	// profile is the connection profile of a remote cluster (nil for the
	// embedded log): context name, label and colour for the status bar.
	profile *connect.Profile
	// pingFirst: the cluster was dialled without a check; the status bar
	// learns its state from a first ping.
	pingFirst bool
}

func (s *session) Close() {
	if s.cluster != nil {
		s.cluster.Close()
	}
	if s.embedded != nil {
		_ = s.embedded.Close()
	}
}

// profile resolves the connection profile from --context / the config
// file, -F, -X and -b; nil means the embedded log. Warnings (a config file
// readable by others) go to stderr once.
func (e *runEnv) profile() (*connect.Profile, error) {
	r, err := connect.Resolve(e.ctx, e.selection(), true)
	if err != nil {
		return nil, err
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(e.stderr, "rewind: %s\n", w)
	}
	return r.Profile, nil
}

// open connects to the remote cluster given by --brokers, or else to the
// embedded log: an already running one on --listen (a `rewind serve` or
// another rewind) or one started here. demo says whether a log started here
// runs demo traffic and consumers.
func (e *runEnv) open(demo bool) (*session, error) {
	g := e.g
	iso, err := backend.ParseIsolation(g.Isolation)
	if err != nil {
		return nil, err
	}
	opts := backend.Options{ReadOnly: g.ReadOnly, Timeout: g.Timeout, Isolation: iso, StallTimeout: g.StallTimeout}
	prof, err := e.profile()
	if err != nil {
		return nil, err
	}
	if prof != nil {
		opts.Brokers = prof.Brokers
		opts.ClientID = prof.ClientID
		opts.Security = prof.Security
		// A read-only context is enforced like --read-only.
		if prof.ReadOnly && !opts.ReadOnly {
			opts.ReadOnly = true
			opts.ReadOnlyReason = fmt.Sprintf("context %q is read-only (read_only: true in %s)", prof.Name, e.configPath())
		}
		label := "remote"
		if b := prof.Badge(); b != "" {
			label = b
		}
		if e.tolerateDown {
			// The UI opens at once, even on a dead cluster: its screens
			// show loading, then the error with retry.
			c, err := backend.Dial(opts)
			if err != nil {
				return nil, err
			}
			return &session{cluster: c, label: label, profile: prof, pingFirst: true}, nil
		}
		c, err := backend.Connect(e.ctx, opts)
		if err != nil {
			return nil, err
		}
		return &session{cluster: c, label: label, profile: prof}, nil
	}
	opts.Embedded = true
	opts.Brokers = []string{g.Listen}
	// Another rewind may already own the embedded log: share it over the
	// protocol instead of failing on the data dir lock.
	quick := opts
	quick.Timeout = 700 * time.Millisecond
	dir := g.DataDir
	if dir == "" {
		dir = backend.DefaultDataDir()
	}
	if c, err := backend.Connect(e.ctx, quick); err == nil {
		c.Close()
		// A `rewind serve --read-only` on this data dir: refuse writes
		// here, before they are sent, naming why.
		if ro, why := backend.ServedReadOnly(dir); ro && !opts.ReadOnly {
			opts.ReadOnly, opts.ReadOnlyReason = true, why
		}
		c, err := backend.Connect(e.ctx, opts)
		if err != nil {
			return nil, err
		}
		return &session{cluster: c, label: "attached"}, nil
	}
	emb, err := backend.StartEmbedded(e.ctx, backend.EmbeddedConfig{
		DataDir:  dir,
		Listen:   g.Listen,
		Demo:     demo && !g.NoDemo && !g.ReadOnly,
		ReadOnly: g.ReadOnly,

		AcceptDamage: g.AcceptDamage,
		// The terminal may be the TUI's: audit errors are not printed.
		OnRefused: auditRefusal(dir, io.Discard),

		RegistryListen: g.RegistryListen,
	})
	if err != nil {
		return nil, err
	}
	opts.Brokers = []string{emb.Addr()}
	c, err := backend.Connect(e.ctx, opts)
	if err != nil {
		_ = emb.Close()
		return nil, err
	}
	return &session{cluster: c, embedded: emb, label: "embedded"}, nil
}
