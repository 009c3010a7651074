package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/rewind-log/rewind/backend"
)

// Shell completion: kongplete walks the kong command tree (commands, flags,
// enum values), and the shell asks this binary for the words (bash's
// `complete -C`, the same protocol for zsh via bashcompinit and for fish).
// Topic and group names are looked up on the cluster the command line names
// (-b, $REWIND_BROKERS, or a running embedded log on --listen); completion
// never starts an embedded log and gives up after a second.

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
func completeArgs(parser *kong.Kong) error {
	var cerr error
	kongplete.Complete(parser,
		kongplete.WithPredictor("topic", complete.PredictFunc(func(a complete.Args) []string { return predictNames(a, listTopics) })),
		kongplete.WithPredictor("group", complete.PredictFunc(func(a complete.Args) []string { return predictNames(a, listGroups) })),
		kongplete.WithPredictor("context", complete.PredictFunc(func(a complete.Args) []string { return contextNames() })),
		kongplete.WithErrorHandler(func(err error) { cerr = err }),
	)
	return cerr
}

// contextNames lists the named contexts of the config file, for
// completion. The config file belongs to the connection profile (stream
// connect); until it lands there are none.
var contextNames = func() []string { return nil }

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

func predictNames(a complete.Args, list func(context.Context, *backend.Cluster) ([]string, error)) []string {
	// a holds only the words after the sub-command; -b comes before it.
	brokers := completionBrokers(strings.Fields(os.Getenv("COMP_LINE")))
	ctx, cancel := context.WithTimeout(context.Background(), 2*completionTimeout)
	defer cancel()
	c, err := backend.Connect(ctx, backend.Options{Brokers: brokers, Timeout: completionTimeout})
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

// completionBrokers finds the cluster of the command line being typed:
// -b/--brokers, else $REWIND_BROKERS, else the embedded log's --listen.
func completionBrokers(args []string) []string {
	var brokers, listen string
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-b" || a == "--brokers":
			brokers = next()
		case strings.HasPrefix(a, "--brokers="):
			brokers = strings.TrimPrefix(a, "--brokers=")
		case strings.HasPrefix(a, "-b") && len(a) > 2:
			brokers = a[2:]
		case a == "--listen":
			listen = next()
		case strings.HasPrefix(a, "--listen="):
			listen = strings.TrimPrefix(a, "--listen=")
		}
	}
	if brokers == "" {
		brokers = os.Getenv("REWIND_BROKERS")
	}
	if brokers != "" {
		return strings.Split(brokers, ",")
	}
	if listen == "" {
		listen = backend.DefaultListen
	}
	return []string{listen}
}
