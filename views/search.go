package views

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/ui"
)

// Search of the whole log, and export, from the records screen. The
// records screen keeps a window of ~1,000 records; a search runs the scan
// engine (backend/scan) over every partition from the cursor on (or back)
// in the background, with a progress bar, and streams its matches into a
// result list under the records. enter opens a match in the records
// window, n/N step through them. The "/" filter stays what it was: a quick
// filter of the loaded records.

var (
	keyRecSearch     = binding([]string{"s"}, "s", "search the log from the cursor")
	keyRecSearchBack = binding([]string{"S"}, "S", "search backwards")
	keyRecNext       = binding([]string{"n"}, "n/N", "next/previous match")
	keyRecPrev       = binding([]string{"N"}, "N", "previous match")
	keyRecExport     = binding([]string{"e"}, "e", "export to a file")
	keyRecFocus      = binding([]string{"tab"}, "tab", "matches ⇄ records")
	keyHitOpen       = binding([]string{"enter"}, "enter", "show in the records")
	keyHitBack       = binding([]string{"esc"}, "esc", "stop the search / close the matches")
	keyHitExport     = binding([]string{"e"}, "e", "export the matches")
	keyHitSearch     = binding([]string{"s", "S"}, "s/S", "new search")
)

// searchHelp is the records screen's help while the matches have the keys.
func (s *recordsScreen) searchHelp() []key.Binding {
	if p := s.search; !p.visible || !p.focus {
		return nil
	}
	return []key.Binding{keyHitOpen, keyRecNext, keyRecFocus, keyHitExport, keyHitRedrive, keyHitSearch, keyHitBack, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown}
}

const (
	// searchMaxHits bounds the result list (the scan goes on counting).
	searchMaxHits = 10000
	// Each hit keeps a preview of its key and value, not the record.
	searchKeyPreview   = 128
	searchValuePreview = 512
	// searchEvery paces progress and result updates: at most 10 a second.
	searchEvery = 100 * time.Millisecond
)

// searchHit is one match as the result list keeps it.
type searchHit struct {
	part       int32
	off        int64
	ts         time.Time
	key, value []byte // previews
	keyNil     bool
	valNil     bool
	size       int
}

func hitOf(m scan.Match) searchHit {
	cut := func(b []byte, n int) []byte { return append([]byte(nil), b[:min(len(b), n)]...) }
	size := m.KeySize + m.ValueSize
	for _, h := range m.Headers {
		size += len(h.Key) + len(h.Value)
	}
	// Decoded JSON (Avro, Protobuf, ...) when the scan had a decoder, as
	// the records list shows it; else the bytes.
	k, v := m.Key, m.Value
	if m.KeyShown != nil {
		k = m.KeyShown
	}
	if m.ValueShown != nil {
		v = m.ValueShown
	}
	return searchHit{part: m.Partition, off: m.Offset, ts: m.Timestamp, key: cut(k, searchKeyPreview),
		value: cut(v, searchValuePreview), keyNil: m.Key == nil, valNil: m.Value == nil, size: size}
}

// scanOp is a running scan (a search or an export), shared between its
// goroutine and the screen's poll commands.
type scanOp struct {
	export bool
	cancel context.CancelFunc

	mu     sync.Mutex
	hits   []searchHit
	stored int
	prog   scan.Progress
}

func (op *scanOp) add(h searchHit) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.stored < searchMaxHits {
		op.hits = append(op.hits, h)
		op.stored++
	}
}

func (op *scanOp) setProgress(p scan.Progress) {
	op.mu.Lock()
	op.prog = p
	op.mu.Unlock()
}

func (op *scanOp) take() ([]searchHit, scan.Progress) {
	op.mu.Lock()
	defer op.mu.Unlock()
	h := op.hits
	op.hits = nil
	return h, op.prog
}

// searchPollMsg asks a running op for what it found since the last poll.
type searchPollMsg struct{ op *scanOp }

// searchDoneMsg: an op ended.
type searchDoneMsg struct {
	op    *scanOp
	prog  scan.Progress
	err   error
	path  string // export: the file written
	wrote int64
}

func (op *scanOp) poll() tea.Cmd {
	return tea.Tick(searchEvery, func(time.Time) tea.Msg { return searchPollMsg{op: op} })
}

type searchPrompt int

const (
	spNone searchPrompt = iota
	spSearch
	spExport
)

// searchPanel is the records screen's search state and result list.
type searchPanel struct {
	prompt   ui.Prompt
	pkind    searchPrompt
	backward bool // direction of the prompt being typed / the last search

	visible bool // the result list is shown
	focus   bool // the result list has the keys (else the records table)
	text    string
	spec    scan.Spec
	op      *scanOp // the running search, nil when none
	prog    scan.Progress
	err     error
	stopped bool // cancelled with esc
	hits    []searchHit
	table   *ui.Table
	moved   bool // the cursor was moved in the list: it stays on its match as more arrive

	exp     *scanOp // the running export
	expPath string
	expProg scan.Progress

	scope *redriveScope // the last search's range and header names, for R (redrive.go)
}

func newSearchPanel(env *Env) *searchPanel {
	p := &searchPanel{prompt: ui.NewPrompt(env.Theme), table: ui.NewTable(env.Theme, nil)}
	p.table.SetEmpty("no match yet")
	return p
}

// stop cancels what runs (the screen is closing).
func (p *searchPanel) stop() {
	if p.op != nil {
		p.op.cancel()
	}
	if p.exp != nil {
		p.exp.cancel()
	}
}

// panelHeight is the rows the result list takes from the records screen.
func (s *recordsScreen) panelHeight() int {
	if !s.search.visible {
		return 0
	}
	return min(max(6, s.h/3), max(0, s.h-4))
}

// hitBefore is the records view's order: offsets in one partition, time
// across partitions (as the window merges them).
func (s *recordsScreen) hitBefore(a, b *searchHit) bool {
	ra := backend.Record{Partition: a.part, Offset: a.off, Timestamp: a.ts}
	rb := backend.Record{Partition: b.part, Offset: b.off, Timestamp: b.ts}
	return before(&ra, &rb)
}

// searchKey handles the search keys; ok false passes the key on.
func (s *recordsScreen) searchKey(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	p := s.search
	switch {
	case key.Matches(msg, keyRecSearch), key.Matches(msg, keyRecSearchBack):
		p.pkind, p.backward = spSearch, key.Matches(msg, keyRecSearchBack)
		p.prompt.Validate = func(v string) error { _, err := scan.ParsePrompt(v); return err }
		p.prompt.SetWidth(s.w)
		label := "search ▸"
		if p.backward {
			label = "search ◂"
		}
		return true, p.prompt.OpenWith(label, `value.customer_id == "c-42" · key == "k1" · headers["x"] == "y" · "text"`, p.text)
	case key.Matches(msg, keyRecExport):
		if p.exp != nil {
			return true, ui.Toast("an export is already running (esc cancels it)")
		}
		p.pkind = spExport
		p.prompt.Validate = func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("a file name: .csv for CSV, anything else JSON lines")
			}
			return nil
		}
		p.prompt.SetWidth(s.w)
		return true, p.prompt.OpenWith(s.exportLabel(), "FILE.jsonl or FILE.csv", s.exportName())
	}
	if !p.visible {
		return false, nil
	}
	switch {
	case key.Matches(msg, keyRecNext), key.Matches(msg, keyRecPrev):
		return true, s.stepMatch(key.Matches(msg, keyRecNext))
	case key.Matches(msg, keyRecFocus):
		p.focus = !p.focus
		return true, nil
	}
	if !p.focus {
		return false, nil
	}
	switch {
	case key.Matches(msg, keyRecOpen):
		if i := p.table.Cursor(); i < len(p.hits) {
			p.focus = false
			return true, s.openHit(p.hits[i])
		}
		return true, nil
	case p.table.HandleKey(msg):
		p.moved = true
		return true, nil
	}
	return false, nil
}

// searchUpdate handles the search's messages and its prompt's input.
func (s *recordsScreen) searchUpdate(msg tea.Msg) (bool, tea.Cmd) {
	p := s.search
	switch msg := msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		if !p.prompt.Active() {
			return false, nil
		}
		return true, s.updateSearchPrompt(msg)
	case searchPollMsg:
		if msg.op != p.op && msg.op != p.exp {
			return true, nil
		}
		hits, prog := msg.op.take()
		if msg.op.export {
			p.expProg = prog
		} else {
			s.addHits(hits, prog)
		}
		return true, msg.op.poll()
	case searchDoneMsg:
		return true, s.opDone(msg)
	}
	return false, nil
}

func (s *recordsScreen) updateSearchPrompt(msg tea.Msg) tea.Cmd {
	p := s.search
	ev, cmd := p.prompt.Update(msg)
	switch ev {
	case ui.PromptChanged:
		if p.pkind == spSearch && strings.TrimSpace(p.prompt.Value()) != "" {
			// Inline validation: the expression's error shows as it is typed.
			_, err := scan.ParsePrompt(p.prompt.Value())
			p.prompt.SetError(err)
		}
	case ui.PromptSubmitted:
		v := p.prompt.Value()
		switch p.pkind {
		case spSearch:
			q, err := scan.ParsePrompt(v)
			if err != nil {
				return cmd
			}
			return tea.Batch(cmd, s.startSearch(q, strings.TrimSpace(v), p.backward))
		case spExport:
			return tea.Batch(cmd, s.startExport(strings.TrimSpace(v)))
		}
	}
	return cmd
}

// startSearch runs q over every partition of the view from the record
// under the cursor forward (or back).
func (s *recordsScreen) startSearch(q scan.Query, text string, backward bool) tea.Cmd {
	p := s.search
	if p.op != nil {
		p.op.cancel()
	}
	spec := scan.Spec{Topic: s.topic, Query: q, Backward: backward, Preview: searchValuePreview,
		ProgressEvery: searchEvery, Decoder: s.env.Decoder} // value.field reads Avro/Protobuf too
	if s.partition >= 0 {
		spec.Partitions = []int32{s.partition}
	}
	if r, ok := s.current(); ok {
		if s.partition >= 0 {
			spec.Starts = map[int32]int64{s.partition: r.Offset}
		} else {
			spec.From = backend.Start{Kind: backend.StartTime, Time: r.Timestamp}
		}
	} else if backward {
		spec.From = backend.Start{Kind: backend.StartLatest}
	}
	op := &scanOp{}
	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	spec.Progress = op.setProgress
	p.op, p.spec, p.text, p.backward = op, spec, text, backward
	p.hits, p.prog, p.err, p.stopped, p.moved = nil, scan.Progress{}, nil, false, false
	p.table.SetCursor(0)
	p.visible, p.focus = true, true
	s.layout()
	s.setHitRows()
	c := s.cluster()
	scope := &redriveScope{}
	p.scope = scope
	run := func() tea.Msg {
		defer cancel()
		pl, err := scan.Resolve(ctx, c, spec)
		if err != nil {
			return searchDoneMsg{op: op, prog: scan.Progress{Topic: spec.Topic, Finished: true}, err: err}
		}
		scope.setPlan(pl) // R redrives every match: this range, this query
		prog, err := scan.RunPlan(ctx, c, spec, pl, func(m scan.Match) error {
			op.add(hitOf(m))
			scope.see(m.Headers)
			return nil
		})
		return searchDoneMsg{op: op, prog: prog, err: err}
	}
	return tea.Batch(run, op.poll())
}

func (s *recordsScreen) addHits(hits []searchHit, prog scan.Progress) {
	p := s.search
	p.prog = prog
	if len(hits) == 0 {
		return
	}
	cur := p.table.Cursor()
	for _, h := range hits {
		// Forward: ascending view order; backward: newest first.
		i := sort.Search(len(p.hits), func(i int) bool {
			if p.backward {
				return s.hitBefore(&p.hits[i], &h)
			}
			return s.hitBefore(&h, &p.hits[i])
		})
		p.hits = append(p.hits, searchHit{})
		copy(p.hits[i+1:], p.hits[i:])
		p.hits[i] = h
		if p.moved && i <= cur && len(p.hits) > 1 {
			cur++ // the cursor stays on the match it was put on
		}
	}
	s.setHitRows()
	p.table.SetCursor(cur)
}

func (s *recordsScreen) opDone(m searchDoneMsg) tea.Cmd {
	p := s.search
	cancelled := errors.Is(m.err, context.Canceled)
	if m.op.export {
		if m.op != p.exp {
			return nil
		}
		p.exp = nil
		switch {
		case cancelled:
			return ui.Toast("export cancelled: nothing written")
		case m.err != nil:
			return func() tea.Msg { return ui.ErrMsg{Err: fmt.Errorf("export: %w", m.err)} }
		}
		return ui.Toast(fmt.Sprintf("exported %s to %s", countNoun(m.wrote, "record"), m.path))
	}
	if m.op != p.op {
		return nil
	}
	hits, _ := m.op.take()
	s.addHits(hits, m.prog)
	p.op = nil
	if cancelled {
		p.stopped = true
		return nil
	}
	p.err = m.err
	return nil
}

// searchBack is esc: cancel what runs, else close the result list.
func (s *recordsScreen) searchBack() (bool, tea.Cmd) {
	p := s.search
	switch {
	case p.exp != nil:
		p.exp.cancel()
		return true, nil
	case p.op != nil:
		p.op.cancel()
		return true, nil
	case p.visible:
		p.visible, p.focus, p.hits = false, false, nil
		s.layout()
		return true, nil
	}
	return false, nil
}

// stepMatch moves the records cursor to the next (or previous) match
// after the record under it, and the result list with it.
func (s *recordsScreen) stepMatch(next bool) tea.Cmd {
	p := s.search
	if len(p.hits) == 0 {
		return ui.Toast("no match yet")
	}
	r, ok := s.current()
	at := -1
	if ok {
		cur := searchHit{part: r.Partition, off: r.Offset, ts: r.Timestamp}
		// hits are in view order (reversed for a backward search).
		for i := range p.hits {
			j := i
			if next == p.backward {
				j = len(p.hits) - 1 - i
			}
			h := &p.hits[j]
			if (next && s.hitBefore(&cur, h)) || (!next && s.hitBefore(h, &cur)) {
				at = j
				break
			}
		}
	} else {
		at = 0
	}
	if at < 0 {
		what := "after"
		if !next {
			what = "before"
		}
		if p.op != nil {
			return ui.Toast("no match " + what + " this record yet (the search is running)")
		}
		return ui.Toast("no match " + what + " this record")
	}
	p.table.SetCursor(at)
	p.moved = true
	return s.openHit(p.hits[at])
}

// hitAtCursor is the index of the match the records cursor is on, -1
// when it is on none.
func (s *recordsScreen) hitAtCursor() int {
	p := s.search
	r, ok := s.current()
	if !ok || len(p.hits) == 0 {
		return -1
	}
	cur := searchHit{part: r.Partition, off: r.Offset, ts: r.Timestamp}
	i := sort.Search(len(p.hits), func(i int) bool {
		if p.backward {
			return !s.hitBefore(&cur, &p.hits[i])
		}
		return !s.hitBefore(&p.hits[i], &cur)
	})
	if i < len(p.hits) && p.hits[i].part == cur.part && p.hits[i].off == cur.off {
		return i
	}
	return -1
}

// openHit moves the records window to a match.
func (s *recordsScreen) openHit(h searchHit) tea.Cmd {
	pause := s.pauseTail()
	if s.filter != "" {
		s.filter = "" // the quick filter would hide the match
	}
	if s.partition >= 0 {
		return tea.Batch(pause, s.seek(backend.Start{Kind: backend.StartOffset, Offset: h.off}), s.spin.Tick)
	}
	s.seekTarget = &recKey{h.part, h.off}
	return tea.Batch(pause, s.seek(backend.Start{Kind: backend.StartTime, Time: h.ts}), s.spin.Tick)
}
