package views

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// Records screen keys.
var (
	keyRecOpen     = binding([]string{"enter"}, "enter", "record detail")
	keyRecEarliest = binding([]string{"g", "home"}, "g/home", "earliest")
	keyRecLatest   = binding([]string{"G", "end"}, "G/end", "latest")
	keyRecOffset   = binding([]string{"o"}, "o", "seek to offset")
	keyRecTime     = binding([]string{"t"}, "t", "seek to time")
	keyRecFollow   = binding([]string{"f"}, "f", "follow (live tail)")
	keyRecPause    = binding([]string{"space"}, "space", "pause/resume tail")
	keyRecFilter   = binding([]string{"/"}, "/", "quick filter (loaded records)")
	keyRecIso      = binding([]string{"i"}, "i", "read-committed ⇄ read-uncommitted")
)

// filterScan bounds how much of each key and value the "/" filter searches,
// so re-filtering a full window stays well under a millisecond.
const filterScan = 4 << 10

const filterCountWidth = 18

const (
	tailMax      = 5000                  // records drained per tail batch
	tailInterval = 50 * time.Millisecond // ≤ 20 screen updates/s while tailing
	fetchWorkers = 8                     // concurrent per-partition fetches
)

// recSeekMsg carries a new window: watermarks, the start offset per
// partition and records fetched on both sides of it.
type recSeekMsg struct {
	gen      int64
	kind     backend.StartKind
	ids      []int32
	wm       map[int32][2]int64
	start    map[int32]int64
	fwd, bwd map[int32][]backend.Record
	per      int
	stream   *backend.Stream // follow mode
	// target, when set, is the record the cursor goes to (an offset seek
	// across partitions, see offsetTimeCut).
	target *recKey
	err    error

	// none: a time seek found no record at or after at; the window stays,
	// and the last seek is prev again.
	none bool
	prev backend.Start
	at   time.Time
}

// recKey names one record.
type recKey struct {
	part int32
	off  int64
}

// recFetchMsg extends the window in one direction.
type recFetchMsg struct {
	gen  int64
	fwd  bool
	from map[int32]int64
	recs map[int32][]backend.Record
	per  int
	err  error
}

// recTailMsg is one throttled batch from the live tail.
type recTailMsg struct {
	tailGen int64
	recs    []backend.Record
	err     error
}

type promptKind int

const (
	promptOffset promptKind = iota
	promptTime
	promptFilter
)

type recordsScreen struct {
	env       *Env
	topic     string
	partition int32 // -1: all partitions, merged by timestamp
	ids       []int32
	win       *window
	table     *ui.Table
	spin      ui.Spinner
	prompt    ui.Prompt
	pkind     promptKind

	// gen numbers seeks: fetch results of an older generation are dropped,
	// so a slow fetch never overwrites the window of a newer seek.
	gen              int64
	seeking          bool
	fwdBusy, bwdBusy bool
	loaded           bool
	last             backend.Start // the last seek, for refresh/retry
	err              error

	follow  bool
	paused  bool
	stream  *backend.Stream
	tailGen int64
	streams *streamSet

	// pauseBase is each partition's end when the tail paused, pauseNew how
	// many offsets were written past it since (records_tail.go).
	pauseBase map[int32]int64
	pauseNew  int64

	// filter narrows the table to loaded records whose key or value
	// contains it (case-insensitive); match maps table rows to window
	// indexes while it is set.
	filter string
	match  []int
	// keyWidth is the widest key seen (records_render.go), grown only, so
	// the columns do not move while scrolling.
	keyWidth int

	// search is the search of the whole log and export (search.go);
	// seekTarget is the record the next seek puts the cursor on.
	search     *searchPanel
	seekTarget *recKey

	// marks are the records marked for a redrive (redrive.go).
	marks recMarks

	// iso is the view's isolation (i flips it; it starts at --isolation);
	// isoC is env.Cluster at that isolation, isoBase the cluster it was made
	// from.
	iso           backend.Isolation
	isoBase, isoC *backend.Cluster

	cols []recCol
	w, h int
}

// cluster is the cluster the view reads with, at the view's isolation.
func (s *recordsScreen) cluster() *backend.Cluster {
	c := s.env.Cluster
	if c == nil {
		return nil
	}
	if s.isoBase != c {
		s.isoBase, s.isoC = c, c.WithIsolation(s.iso)
	}
	return s.isoC
}

// toggleIso flips the isolation and reloads what is shown with it: the
// tail restarted, or the window around the cursor refetched.
func (s *recordsScreen) toggleIso() tea.Cmd {
	if s.iso == backend.ReadCommitted {
		s.iso = backend.ReadUncommitted
	} else {
		s.iso = backend.ReadCommitted
	}
	s.isoBase, s.isoC = nil, nil
	return tea.Batch(ui.Toast(s.iso.String()), s.Refresh())
}

// NewRecords browses a topic's records: one partition in offset order, or
// partition -1 for all partitions merged by timestamp. Only a window of
// records around the cursor is held; more is fetched by offset as the
// cursor nears either edge.
func NewRecords(env *Env, topic string, partition int32) ui.Screen {
	s := &recordsScreen{env: env, topic: topic, partition: partition,
		spin: ui.NewSpinner(env.Theme), prompt: ui.NewPrompt(env.Theme), streams: &streamSet{}, search: newSearchPanel(env)}
	if partition >= 0 {
		s.ids = []int32{partition}
	}
	if env.Cluster != nil {
		s.iso = env.Cluster.Isolation()
	}
	s.table = ui.NewTable(env.Theme, nil)
	s.table.SetEmpty("no records")
	s.layout()
	return s
}

func (s *recordsScreen) Title() string {
	if s.partition < 0 {
		// Opened with `r` from the topics screen, the topic is not yet in
		// the breadcrumb; name it.
		return s.topic + " · all partitions"
	}
	return "p" + strconv.Itoa(int(s.partition))
}

func (s *recordsScreen) Help() []key.Binding {
	if h := s.searchHelp(); h != nil {
		return h
	}
	return []key.Binding{keyRecOpen, keyRecEarliest, keyRecLatest, keyRecOffset, keyRecTime,
		keyRecFollow, keyRecPause, keyRecSearch, keyRecSearchBack, keyRecNext, keyRecFocus, keyRecExport, keyRecFilter, keyRecIso, keyRecProduce,
		keyRecMark, keyRecUnmark, keyRecRedrive,
		ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown, ui.Keys.Refresh}
}

func (s *recordsScreen) CapturingInput() bool { return s.prompt.Active() || s.search.prompt.Active() }

func (s *recordsScreen) Init() tea.Cmd {
	return tea.Batch(s.seek(backend.Start{Kind: backend.StartEarliest}), s.spin.Tick)
}

// Refresh reloads around the record under the cursor (its offset, or its
// time when several partitions are merged).
func (s *recordsScreen) Refresh() tea.Cmd {
	if s.follow && !s.paused {
		return s.startFollow()
	}
	st := s.last
	if r, ok := s.current(); ok {
		if s.partition >= 0 {
			st = backend.Start{Kind: backend.StartOffset, Offset: r.Offset}
		} else {
			st = backend.Start{Kind: backend.StartTime, Time: r.Timestamp}
		}
	}
	return tea.Batch(s.seek(st), s.spin.Tick)
}

// Close stops the live tail, including one still being opened.
func (s *recordsScreen) Close() {
	s.search.stop()
	s.stopStream()
	s.streams.closeAll()
}

func (s *recordsScreen) current() (winRec, bool) {
	i := s.winIndex()
	if i < 0 {
		return winRec{}, false
	}
	return s.win.recs[i], true
}

// winIndex is the window index of the record under the cursor, -1 when
// there is none.
func (s *recordsScreen) winIndex() int {
	if s.win == nil || len(s.win.recs) == 0 {
		return -1
	}
	c := s.table.Cursor()
	if s.match != nil {
		if len(s.match) == 0 {
			return -1
		}
		return s.match[min(c, len(s.match)-1)]
	}
	return min(c, len(s.win.recs)-1)
}

// cursorTo puts the cursor on window index i (with a filter: on the first
// matching record at or after it).
func (s *recordsScreen) cursorTo(i int) {
	if s.match != nil {
		j, _ := slices.BinarySearch(s.match, i)
		s.table.SetCursor(min(j, len(s.match)-1))
		return
	}
	s.table.SetCursor(i)
}

// Back clears the filter before esc leaves the screen.
func (s *recordsScreen) Back() (bool, tea.Cmd) {
	if ok, cmd := s.searchBack(); ok {
		return true, cmd
	}
	if s.filter != "" {
		i := s.winIndex()
		s.filter = ""
		s.setRows()
		s.cursorTo(max(0, i))
		return true, s.ensure()
	}
	return false, nil
}

func (s *recordsScreen) fail(err error, retry tea.Cmd) tea.Cmd {
	s.err = err
	return func() tea.Msg { return ui.ErrMsg{Err: err, Retry: retry} }
}

func (s *recordsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if ok, cmd := s.searchUpdate(msg); ok {
		return s, cmd
	}
	switch msg := msg.(type) {
	case recSeekMsg:
		if msg.gen != s.gen {
			if msg.stream != nil {
				s.streams.close(msg.stream)
			}
			return s, nil
		}
		return s, s.applySeek(msg)

	case recFetchMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		return s, s.applyFetch(msg)

	case recTailMsg:
		if msg.tailGen != s.tailGen || s.stream == nil {
			return s, nil
		}
		return s, s.applyTail(msg)

	case recPausedMsg:
		return s, s.applyPaused(msg)

	case retryMsg:
		return s, msg.do()

	case spinner.TickMsg:
		cmd, _ := s.spin.Update(msg, s.seeking)
		return s, cmd

	case tea.MouseWheelMsg:
		if s.table.HandleMouse(msg) {
			return s, s.moved()
		}

	case tea.PasteMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}

	case tea.KeyPressMsg:
		if s.prompt.Active() {
			return s, s.updatePrompt(msg)
		}
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *recordsScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if ok, cmd := s.searchKey(msg); ok {
		return cmd
	}
	if ok, cmd := s.redriveKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, keyRecEarliest):
		return tea.Batch(s.pauseTail(), s.seek(backend.Start{Kind: backend.StartEarliest}), s.spin.Tick)
	case key.Matches(msg, keyRecLatest):
		if s.follow && !s.paused {
			return nil // already at the live end
		}
		return tea.Batch(s.pauseTail(), s.seek(backend.Start{Kind: backend.StartLatest}), s.spin.Tick)
	case key.Matches(msg, keyRecOffset):
		s.pkind = promptOffset
		s.prompt.Validate = s.validateStart
		s.prompt.SetWidth(s.w)
		return s.prompt.Open("offset:", "500 · -100 (from end) · earliest · latest")
	case key.Matches(msg, keyRecTime):
		s.pkind = promptTime
		s.prompt.Validate = s.validateStart
		s.prompt.SetWidth(s.w)
		return s.prompt.Open("time:", "2026-11-30 12:00 · 12:00 (today) · 15m (ago) · RFC3339 · in "+zoneName(s.env.clock()))
	case key.Matches(msg, keyRecFollow):
		if s.follow {
			s.follow, s.paused = false, false
			s.stopStream()
			return ui.Toast("stopped following")
		}
		return tea.Batch(s.startFollow(), s.spin.Tick)
	case key.Matches(msg, keyRecPause):
		if !s.follow {
			return tea.Batch(s.startFollow(), s.spin.Tick)
		}
		if s.paused {
			return tea.Batch(s.startFollow(), s.spin.Tick)
		}
		return s.pauseTail()
	case key.Matches(msg, keyRecFilter):
		s.pkind = promptFilter
		s.prompt.Validate = nil
		s.prompt.SetWidth(max(10, s.w-filterCountWidth)) // room for the match count
		return s.prompt.OpenWith("/", "quick filter: key or value contains… (loaded records only; s searches the log)", s.filter)
	case key.Matches(msg, keyRecIso):
		return s.toggleIso()
	case key.Matches(msg, keyRecProduce):
		return ui.Push(NewProduce(s.env, s.topic, s.partition))
	case key.Matches(msg, keyRecOpen):
		if r, ok := s.current(); ok {
			return ui.Push(newRecordScreen(s.env, r.Record, r.trunc))
		}
	case s.table.HandleKey(msg):
		return s.moved()
	}
	return nil
}

func (s *recordsScreen) updatePrompt(msg tea.Msg) tea.Cmd {
	ev, cmd := s.prompt.Update(msg)
	if s.pkind == promptFilter {
		switch ev {
		case ui.PromptChanged, ui.PromptSubmitted, ui.PromptCancelled:
			f := strings.TrimSpace(s.prompt.Value())
			if ev == ui.PromptCancelled {
				f = ""
			}
			if f != s.filter && s.win != nil {
				i := s.winIndex()
				s.filter = f
				s.setRows()
				s.cursorTo(max(0, i))
				return tea.Batch(cmd, s.ensure())
			}
			s.filter = f
		}
		return cmd
	}
	if ev != ui.PromptSubmitted {
		return cmd
	}
	st, err := backend.ParseStartIn(s.prompt.Value(), s.env.now(), s.env.clock().Location())
	if err != nil {
		return cmd
	}
	return tea.Batch(cmd, s.pauseTail(), s.seek(st), s.spin.Tick)
}

const (
	colOffset recCol = iota
	colPartition
	colTime
	colTimeShort
	colKey
	colValue
	colSize
	colHeaders
	colMark // shown while records are marked for a redrive
)
