package views

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/ui"
)

// A multi-line answer (a record value) is written in the operator's own
// editor: ctrl+e in an Editor field writes the answer so far to a temp
// file, runs $VISUAL or $EDITOR on it with the terminal handed over
// (tea.ExecProcess), and takes the saved text as the answer.

// maxEdited bounds what is read back from the editor's file: the produce
// CLI's own limit for one record.
const maxEdited = 16 << 20

var errNoEditor = errors.New("no $EDITOR (or $VISUAL) is set: type the value here on one line, or start rewind with EDITOR=vi")

// actionEditMsg is one step of an edit: the temp file is ready (path set,
// done false), or the editor has exited (done: text or err).
type actionEditMsg struct {
	field int
	path  string
	done  bool
	text  string
	err   error
}

// editorArgs is the editor command line ("code -w" is two words), or nil.
func editorArgs() []string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if f := strings.Fields(os.Getenv(v)); len(f) > 0 {
			return f
		}
	}
	return nil
}

// edit starts an edit of the field being asked: the temp file is written
// off the event loop.
func (s *actionScreen) edit() tea.Cmd {
	if editorArgs() == nil {
		s.form.SetError(errNoEditor)
		return nil
	}
	cur := s.form.Value()
	if v := s.vals[s.field]; cur == "" && strings.Contains(v, "\n") {
		cur = v
	}
	field := s.field
	return func() tea.Msg {
		f, err := os.CreateTemp("", "rewind-value-*.txt")
		if err != nil {
			return actionEditMsg{field: field, done: true, err: fmt.Errorf("editor temp file: %w", err)}
		}
		_, err = f.WriteString(cur)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return actionEditMsg{field: field, done: true, err: fmt.Errorf("editor temp file: %w", err)}
		}
		return actionEditMsg{field: field, path: f.Name()}
	}
}

// edited runs the editor on the ready file, then takes its text.
func (s *actionScreen) edited(msg actionEditMsg) tea.Cmd {
	if msg.field != s.field || s.step != actAsk {
		if msg.path != "" && !msg.done {
			p := msg.path
			return func() tea.Msg { os.Remove(p); return nil }
		}
		return nil
	}
	if !msg.done {
		args := editorArgs()
		if args == nil {
			s.form.SetError(errNoEditor)
			return nil
		}
		path, field := msg.path, msg.field
		c := exec.Command(args[0], append(args[1:], path)...) //nolint:gosec // the operator's own editor
		return tea.ExecProcess(c, func(err error) tea.Msg {
			defer os.Remove(path)
			if err != nil {
				return actionEditMsg{field: field, done: true, err: fmt.Errorf("editor %s: %w", args[0], err)}
			}
			text, err := readEdited(path)
			return actionEditMsg{field: field, done: true, text: text, err: err}
		})
	}
	if msg.err != nil {
		s.form.SetError(msg.err)
		return nil
	}
	if v := s.spec.Fields[s.field].Validate; v != nil {
		if err := v(msg.text); err != nil {
			s.form.SetError(err)
			return nil
		}
	}
	s.form.Close()
	s.vals[s.field] = msg.text
	if !strings.Contains(msg.text, "\n") {
		// One line: as if typed (answer keeps multi-line text only).
		return s.answered(msg.text)
	}
	return s.answered("")
}

// readEdited reads the editor's file: at most maxEdited bytes, and without
// the one trailing newline editors add.
func readEdited(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the edited value: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEdited+1))
	if err != nil {
		return "", fmt.Errorf("reading the edited value: %w", err)
	}
	if len(b) > maxEdited {
		return "", fmt.Errorf("the edited value is larger than %s", ui.FormatBytes(maxEdited))
	}
	s := string(b)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	return s, nil
}

// answerShown is an answer on one line: a multi-line one as its first line
// and how many lines it has.
func answerShown(v string) string {
	first, rest, ok := strings.Cut(v, "\n")
	if !ok {
		return ui.Sanitize(v)
	}
	return ui.Sanitize(first) + " … (" + plural(strings.Count(rest, "\n")+2, "line") + ", " + ui.FormatBytes(int64(len(v))) + ")"
}
