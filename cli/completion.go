package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/project"
	"github.com/rewind-log/rewind/replay"
)

// Shell completion: kongplete walks the kong command tree (commands, flags,
// enum values), and the shell asks this binary for the words (bash's
// `complete -C`, the same protocol for zsh via bashcompinit and for fish).
// Topic and group names are looked up on the cluster the line being typed
// names, resolved as a command resolves it (--context, -F, -X, -b,
// $REWIND_BROKERS); without one, on an embedded log that already runs on
// --listen. Completion never starts an embedded log and gives up after a
// second. Context names come from the config file, replay names and
// projection run ids from the data dir.

// CompletionCmd prints the line that registers rewind's completion.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

// Run prints the snippet for the shell's rc file.
func (c *CompletionCmd) Run(e *runEnv) error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this binary's path: %w", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return fmt.Errorf("cannot find this binary's path: %w", err)
	}
	q := shellQuote(bin)
	switch c.Shell {
	case "bash":
		fmt.Fprintf(e.stdout, "# rewind completion for bash: add to ~/.bashrc, or: source <(rewind completion bash)\ncomplete -C %s rewind\n", q)
	case "zsh":
		fmt.Fprintf(e.stdout, "# rewind completion for zsh: add to ~/.zshrc, or: source <(rewind completion zsh)\nautoload -U +X bashcompinit && bashcompinit\ncomplete -C %s rewind\n", q)
	case "fish":
		fmt.Fprintf(e.stdout, `# rewind completion for fish: rewind completion fish > ~/.config/fish/completions/rewind.fish
function __complete_rewind
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    %s
end
complete -f -c rewind -a "(__complete_rewind)"
`, q)
	}
	if strings.Contains(bin, string(filepath.Separator)+"go-build") {
		fmt.Fprintln(e.stderr, "note: this is a temporary `go run` binary; install rewind (go install) and run this again from the installed one")
	}
	return nil
}

func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// completeArgs answers a completion request when the shell made one
// (COMP_LINE is set), then exits through the parser's exit function.
func completeArgs(parser *kong.Kong, cli *CLI) error {
	var cerr error
	names := func(list func(context.Context, *backend.Cluster) ([]string, error)) complete.Predictor {
		return complete.PredictFunc(func(complete.Args) []string { return predictNames(parser, cli, list) })
	}
	kongplete.Complete(parser,
		kongplete.WithPredictor("topic", names(listTopics)),
		kongplete.WithPredictor("group", names(listGroups)),
		kongplete.WithPredictor("context", complete.PredictFunc(func(complete.Args) []string { return contextNames(parser, cli) })),
		kongplete.WithPredictor("replay", complete.PredictFunc(func(complete.Args) []string { return localNames(parser, cli, replayNames) })),
		kongplete.WithPredictor("run", complete.PredictFunc(func(complete.Args) []string { return localNames(parser, cli, runIDs) })),
		kongplete.WithPredictor("file", complete.PredictOr(complete.PredictFiles("*.yaml"), complete.PredictFiles("*.yml"))),
		kongplete.WithErrorHandler(func(err error) { cerr = err }),
	)
	return cerr
}

// globalValueFlags are the global flags that take a value and say which
// cluster a command line means.
var globalValueFlags = map[string]bool{"-b": true, "--brokers": true, "--context": true, "--config": true, "-F": true,
	"--properties": true, "-X": true, "--property": true, "--listen": true, "--data-dir": true}

// lineGlobals parses the connection flags of the line being typed (the
// rest of it may be incomplete) into cli.Globals, as a command would.
func lineGlobals(parser *kong.Kong, cli *CLI) *Globals {
	words := strings.Fields(os.Getenv("COMP_LINE"))
	var args []string
	for i := 1; i < len(words); i++ {
		w := words[i]
		name, _, hasValue := strings.Cut(w, "=")
		if !globalValueFlags[name] {
			continue
		}
		if hasValue {
			args = append(args, w)
			continue
		}
		if i+1 >= len(words) {
			break // the value is being typed
		}
		args = append(args, w, words[i+1])
		i++
	}
	if _, err := parser.Parse(append(args, "topics")); err != nil {
		return nil
	}
	return &cli.Globals
}

func contextNames(parser *kong.Kong, cli *CLI) []string {
	g := lineGlobals(parser, cli)
	path := connect.DefaultConfigPath()
	if g != nil && g.Config != "" {
		path = g.Config
	}
	f, _, err := connect.LoadFile(path)
	if err != nil || f == nil {
		return nil
	}
	return f.Names()
}

// localNames lists names kept in the data dir of the line being typed.
func localNames(parser *kong.Kong, cli *CLI, list func(dir string) []string) []string {
	dir := backend.DefaultDataDir()
	if g := lineGlobals(parser, cli); g != nil && g.DataDir != "" {
		dir = g.DataDir
	}
	names := list(dir)
	sort.Strings(names)
	return names
}

func replayNames(dir string) []string {
	rs, _ := replay.ListReplays(dir)
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func runIDs(dir string) []string {
	ms, _ := project.ListRuns(dir)
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func listTopics(ctx context.Context, c *backend.Cluster) ([]string, error) {
	ts, err := c.Topics(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range ts {
		if !t.Internal {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

func listGroups(ctx context.Context, c *backend.Cluster) ([]string, error) {
	gs, err := c.Groups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Group
	}
	return out, nil
}

// completionTimeout bounds a completion's cluster look-up: a shell must
// not hang on a dead cluster.
var completionTimeout = time.Second

// predictNames lists names on the cluster the line names: its context,
// -F/-X properties and -b, resolved as commands resolve them; without
// any, an embedded log that already runs on --listen (never one started
// for a completion).
func predictNames(parser *kong.Kong, cli *CLI, list func(context.Context, *backend.Cluster) ([]string, error)) []string {
	g := lineGlobals(parser, cli)
	if g == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*completionTimeout)
	defer cancel()
	e := &runEnv{ctx: ctx, g: g, stdout: io.Discard, stderr: io.Discard}
	prof, err := e.profile()
	if err != nil {
		return nil
	}
	opts := backend.Options{Timeout: completionTimeout, Brokers: []string{g.Listen}}
	if prof != nil {
		opts.Brokers, opts.ClientID, opts.Security = prof.Brokers, prof.ClientID, prof.Security
	}
	c, err := backend.Connect(ctx, opts)
	if err != nil {
		return nil
	}
	defer c.Close()
	names, err := list(ctx, c)
	if err != nil {
		return nil
	}
	sort.Strings(names)
	return names
}
