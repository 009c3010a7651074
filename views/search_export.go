// Export from the records view (e): the matches of the search shown, or
// every record of the view, to a .jsonl or .csv file (see search.go).

package views

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/ui"
)

// exportLabel says what e writes: the matches of the search shown, or
// every record of the view.
func (s *recordsScreen) exportLabel() string {
	if p := s.search; p.visible && !p.spec.Query.Empty() {
		// Narrow screens keep room for the file name.
		return "export the matches of " + ui.PreviewString(p.text, max(8, min(30, s.w/2-36))) + " to:"
	}
	if s.partition >= 0 {
		return "export p" + strconv.Itoa(int(s.partition)) + " to:"
	}
	return "export every partition to:"
}

func (s *recordsScreen) exportName() string {
	name := strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s.topic)
	if s.partition >= 0 {
		name += "-p" + strconv.Itoa(int(s.partition))
	}
	if p := s.search; p.visible && !p.spec.Query.Empty() {
		name += "-matches"
	}
	return name + ".jsonl"
}

// startExport writes the matches of the search shown (its whole range,
// not only the listed ones) or every record of the view, up to the end
// taken now, to path; the file appears only once complete.
func (s *recordsScreen) startExport(path string) tea.Cmd {
	p := s.search
	spec := scan.Spec{Topic: s.topic}
	if s.partition >= 0 {
		spec.Partitions = []int32{s.partition}
	}
	if p.visible && !p.spec.Query.Empty() {
		spec = p.spec
		spec.Preview = 0
	}
	spec.ProgressEvery = searchEvery
	op := &scanOp{export: true}
	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	spec.Progress = op.setProgress
	p.exp, p.expPath, p.expProg = op, path, scan.Progress{}
	c, dec := s.cluster(), s.env.Decoder
	run := func() tea.Msg {
		defer cancel()
		done := searchDoneMsg{op: op, path: path}
		if abs, err := filepath.Abs(path); err == nil {
			done.path = abs
		}
		f, err := scan.Create(path, false)
		if err != nil {
			done.err = err
			return done
		}
		defer f.Abort() // after Commit it does nothing
		enc, err := scan.NewEncoder(f, scan.FormatFor(path), dec, c.Isolation() == backend.ReadUncommitted)
		if err != nil {
			done.err = err
			return done
		}
		done.prog, done.err = scan.Run(ctx, c, spec, func(m scan.Match) error { return enc.Encode(ctx, m.Record, m.Txn) })
		if done.err == nil {
			done.err = enc.Flush()
		}
		if done.err == nil {
			done.err = f.Commit()
		}
		done.wrote = enc.Count()
		return done
	}
	return tea.Batch(run, op.poll())
}
