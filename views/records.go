package views

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
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
	keyRecFilter   = binding([]string{"/"}, "/", "filter loaded records")
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
	spin      spinner.Model
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

	// filter narrows the table to loaded records whose key or value
	// contains it (case-insensitive); match maps table rows to window
	// indexes while it is set.
	filter string
	match  []int

	cols []recCol
	w, h int
}

// NewRecords browses a topic's records: one partition in offset order, or
// partition -1 for all partitions merged by timestamp. Only a window of
// records around the cursor is held; more is fetched by offset as the
// cursor nears either edge.
func NewRecords(env *Env, topic string, partition int32) ui.Screen {
	s := &recordsScreen{env: env, topic: topic, partition: partition,
		spin: newSpinner(env), prompt: ui.NewPrompt(env.Theme), streams: &streamSet{}}
	if partition >= 0 {
		s.ids = []int32{partition}
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
	return []key.Binding{keyRecOpen, keyRecEarliest, keyRecLatest, keyRecOffset, keyRecTime,
		keyRecFollow, keyRecPause, keyRecFilter, ui.Keys.Up, ui.Keys.Down, ui.Keys.PageUp, ui.Keys.PageDown, ui.Keys.Refresh}
}

func (s *recordsScreen) CapturingInput() bool { return s.prompt.Active() }

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
	s.stopStream()
	s.streams.closeAll()
}

func (s *recordsScreen) stopStream() {
	if s.stream != nil {
		s.streams.close(s.stream)
		s.stream = nil
	}
	s.tailGen++
}

// streamSet tracks the tails a screen opened, shared with the commands that
// open them: a tail whose seek lands after the screen was closed (popped,
// so it never sees the message) is closed right away instead of leaking.
type streamSet struct {
	mu     sync.Mutex
	closed bool
	open   map[*backend.Stream]struct{}
}

func (ss *streamSet) add(st *backend.Stream) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		st.Close()
		return false
	}
	if ss.open == nil {
		ss.open = map[*backend.Stream]struct{}{}
	}
	ss.open[st] = struct{}{}
	return true
}

func (ss *streamSet) close(st *backend.Stream) {
	ss.mu.Lock()
	delete(ss.open, st)
	ss.mu.Unlock()
	st.Close()
}

func (ss *streamSet) closeAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for st := range ss.open {
		st.Close()
	}
	clear(ss.open)
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
	if s.filter != "" {
		i := s.winIndex()
		s.filter = ""
		s.setRows()
		s.cursorTo(max(0, i))
		return true, s.ensure()
	}
	return false, nil
}

// seek replaces the window with one around st.
func (s *recordsScreen) seek(st backend.Start) tea.Cmd {
	return s.seekCmd(st, false)
}

// startFollow jumps to the end and opens a live tail from there.
func (s *recordsScreen) startFollow() tea.Cmd {
	s.stopStream()
	s.follow, s.paused = true, false
	return s.seekCmd(backend.Start{Kind: backend.StartLatest}, true)
}

func (s *recordsScreen) seekCmd(st backend.Start, follow bool) tea.Cmd {
	s.gen++
	s.seeking, s.fwdBusy, s.bwdBusy = true, false, false
	if !follow {
		s.last = st
	}
	gen, c, topic, part, streams := s.gen, s.env.Cluster, s.topic, s.partition, s.streams
	dec := s.env.Decoder
	ids := append([]int32(nil), s.ids...)
	return func() tea.Msg {
		ctx := context.Background()
		m := recSeekMsg{gen: gen, kind: st.Kind}
		m.err = func() error {
			wm, err := c.Watermarks(ctx, topic)
			if err != nil {
				return err
			}
			if len(wm) == 0 {
				return fmt.Errorf("%w %q", backend.ErrUnknownTopic, topic)
			}
			if part >= 0 {
				if _, ok := wm[part]; !ok {
					return fmt.Errorf("topic %q has no partition %d", topic, part)
				}
			} else {
				ids = sortedIDs(wm)
			}
			start, err := resolveStart(ctx, c, topic, ids, wm, st)
			if err != nil {
				return err
			}
			if part < 0 && (st.Kind == backend.StartOffset || st.Kind == backend.StartFromEnd) {
				if start, m.target, err = offsetTimeCut(ctx, c, topic, ids, wm, start); err != nil {
					return err
				}
			}
			m.ids, m.wm, m.start = ids, wm, start
			m.per = perPartition(len(ids))
			fwd, bwd := map[int32]int64{}, map[int32]int64{}
			for _, p := range ids {
				if start[p] < wm[p][1] {
					fwd[p] = start[p]
				}
				if start[p] > wm[p][0] {
					bwd[p] = start[p]
				}
			}
			if m.fwd, err = fetchParts(ctx, c, dec, topic, fwd, m.per, true); err != nil {
				return err
			}
			if m.bwd, err = fetchParts(ctx, c, dec, topic, bwd, m.per, false); err != nil {
				return err
			}
			if follow {
				st, err := c.Stream(topic, start)
				if err != nil {
					return err
				}
				if !streams.add(st) {
					return errors.New("screen closed")
				}
				m.stream = st
			}
			return nil
		}()
		return m
	}
}

func sortedIDs(wm map[int32][2]int64) []int32 {
	ids := make([]int32, 0, len(wm))
	for p := range wm {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	return ids
}

// perPartition keeps one fetch round near fetchChunk records in total.
func perPartition(n int) int { return max(minPartChunk, fetchChunk/max(1, n)) }

// resolveStart turns a start position into an offset per partition, clamped
// to the watermarks (the same rules as backend.ResolveStart, without
// listing the watermarks a second time).
func resolveStart(ctx context.Context, c *backend.Cluster, topic string, ids []int32, wm map[int32][2]int64, st backend.Start) (map[int32]int64, error) {
	var byTime map[int32]int64
	if st.Kind == backend.StartTime {
		var err error
		if byTime, err = c.OffsetsForTime(ctx, topic, st.Time); err != nil {
			return nil, err
		}
	}
	out := make(map[int32]int64, len(ids))
	for _, p := range ids {
		lo, hi := wm[p][0], wm[p][1]
		var o int64
		switch st.Kind {
		case backend.StartEarliest:
			o = lo
		case backend.StartLatest:
			o = hi
		case backend.StartOffset:
			o = st.Offset
		case backend.StartFromEnd:
			o = hi - st.Offset
		case backend.StartTime:
			o = hi
			if v, ok := byTime[p]; ok {
				o = v
			}
		}
		out[p] = min(max(o, lo), hi)
	}
	return out, nil
}

// offsetTimeCut turns an offset seek across merged partitions into a time
// cut: cutting every partition at the same offset would put a partition's
// later records before another's earlier ones. It reads the first record at
// or after each partition's offset cut, takes the earliest timestamp T among
// them and starts every partition at its first record at or after T, so the
// window stays in time order and every record at or after the requested
// offsets follows the start. The target is the cut record with the earliest
// timestamp (display order breaks ties). When no partition has a record at
// or after its cut the offsets are kept: they are all at the end.
func offsetTimeCut(ctx context.Context, c *backend.Cluster, topic string, ids []int32, wm map[int32][2]int64, start map[int32]int64) (map[int32]int64, *recKey, error) {
	at := map[int32]int64{}
	for _, p := range ids {
		if start[p] < wm[p][1] {
			at[p] = start[p]
		}
	}
	first, err := c.FetchAt(ctx, topic, at)
	if err != nil {
		return nil, nil, err
	}
	var best *backend.Record
	for _, p := range ids {
		if r, ok := first[p]; ok && (best == nil || before(&r, best)) {
			best = &r
		}
	}
	if best == nil {
		return start, nil, nil
	}
	cut, err := resolveStart(ctx, c, topic, ids, wm, backend.Start{Kind: backend.StartTime, Time: best.Timestamp})
	if err != nil {
		return nil, nil, err
	}
	// Every cut record has a timestamp >= T, so each partition's time cut
	// lies at or before its offset cut: the requested records all follow
	// the start.
	return cut, &recKey{best.Partition, best.Offset}, nil
}

// fetchParts runs one Fetch (fwd) or FetchBefore per partition, a few at a
// time, and decodes what it got (dec may be nil).
func fetchParts(ctx context.Context, c *backend.Cluster, dec *decode.Decoder, topic string, at map[int32]int64, per int, fwd bool) (map[int32][]backend.Record, error) {
	out := make(map[int32][]backend.Record, len(at))
	if len(at) == 0 {
		return out, nil
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	sem := make(chan struct{}, fetchWorkers)
	for p, o := range at {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var recs []backend.Record
			var err error
			if fwd {
				recs, err = c.Fetch(ctx, topic, p, o, per)
			} else {
				recs, err = c.FetchBefore(ctx, topic, p, o, per)
			}
			backend.DecodeRecords(ctx, dec, recs)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out[p] = recs
		}()
	}
	wg.Wait()
	return out, firstErr
}

func (s *recordsScreen) fetchCmd(fwd bool, at map[int32]int64) tea.Cmd {
	if fwd {
		s.fwdBusy = true
	} else {
		s.bwdBusy = true
	}
	gen, c, topic, per, d := s.gen, s.env.Cluster, s.topic, perPartition(len(s.ids)), s.env.Decoder
	return func() tea.Msg {
		recs, err := fetchParts(context.Background(), c, d, topic, at, per, fwd)
		return recFetchMsg{gen: gen, fwd: fwd, from: at, recs: recs, per: per, err: err}
	}
}

func (s *recordsScreen) pollCmd(notBefore time.Time) tea.Cmd {
	tg, st, dec := s.tailGen, s.stream, s.env.Decoder
	return func() tea.Msg {
		if d := time.Until(notBefore); d > 0 {
			time.Sleep(d) // throttle: let records pile up into one batch
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		recs, err := st.Poll(ctx, tailMax)
		backend.DecodeRecords(context.Background(), dec, recs) // the registry has its own timeout
		return recTailMsg{tailGen: tg, recs: recs, err: err}
	}
}

func (s *recordsScreen) fail(err error, retry tea.Cmd) tea.Cmd {
	s.err = err
	return func() tea.Msg { return ui.ErrMsg{Err: err, Retry: retry} }
}

func (s *recordsScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
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

	case retryMsg:
		return s, msg.do()

	case spinner.TickMsg:
		if !s.seeking {
			return s, nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
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
	switch {
	case key.Matches(msg, keyRecEarliest):
		s.pauseTail()
		return tea.Batch(s.seek(backend.Start{Kind: backend.StartEarliest}), s.spin.Tick)
	case key.Matches(msg, keyRecLatest):
		if s.follow && !s.paused {
			return nil // already at the live end
		}
		s.pauseTail()
		return tea.Batch(s.seek(backend.Start{Kind: backend.StartLatest}), s.spin.Tick)
	case key.Matches(msg, keyRecOffset):
		s.pkind = promptOffset
		s.prompt.Validate = s.validateStart
		s.prompt.SetWidth(s.w)
		return s.prompt.Open("offset:", "500 · -100 (from end) · earliest · latest")
	case key.Matches(msg, keyRecTime):
		s.pkind = promptTime
		s.prompt.Validate = s.validateStart
		s.prompt.SetWidth(s.w)
		return s.prompt.Open("time:", "2026-01-02T15:04:05Z · -15m · -2h")
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
		s.pauseTail()
		return nil
	case key.Matches(msg, keyRecFilter):
		s.pkind = promptFilter
		s.prompt.Validate = nil
		s.prompt.SetWidth(max(10, s.w-filterCountWidth)) // room for the match count
		return s.prompt.OpenWith("/", "key or value contains… (loaded records)", s.filter)
	case key.Matches(msg, keyRecOpen):
		if r, ok := s.current(); ok {
			return ui.Push(newRecordScreen(s.env, r.Record, r.trunc))
		}
	case s.table.HandleKey(msg):
		return s.moved()
	}
	return nil
}

// pauseTail stops the live tail but stays in follow mode; space resumes at
// the (new) end.
func (s *recordsScreen) pauseTail() {
	if s.follow && !s.paused {
		s.paused = true
		s.stopStream()
	}
}

// moved runs after the cursor moved: moving off the newest record pauses
// the tail (so it stops dragging the cursor down), and the window is
// extended when the cursor nears an edge.
func (s *recordsScreen) moved() tea.Cmd {
	if s.follow && !s.paused && s.win != nil && s.table.Cursor() < s.table.Len()-1 {
		s.pauseTail()
	}
	return s.ensure()
}

func (s *recordsScreen) validateStart(v string) error {
	st, err := backend.ParseStart(v, s.env.now())
	if err != nil {
		return errors.New("want an offset, -N, earliest, latest, an RFC3339 time or -15m")
	}
	if s.pkind == promptTime && (st.Kind == backend.StartOffset || st.Kind == backend.StartFromEnd) {
		return errors.New("want an RFC3339 time or a duration like -15m")
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
	st, err := backend.ParseStart(s.prompt.Value(), s.env.now())
	if err != nil {
		return cmd
	}
	s.pauseTail()
	return tea.Batch(cmd, s.seek(st), s.spin.Tick)
}

func (s *recordsScreen) applySeek(m recSeekMsg) tea.Cmd {
	s.seeking = false
	if m.err != nil {
		if s.follow {
			s.paused = true // a failed (re)start of the tail leaves it paused
		}
		retry := s.Refresh
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: retry} })
	}
	var clearErr tea.Cmd
	if s.err != nil {
		s.err, clearErr = nil, ui.ClearErr()
	}
	if s.win == nil || !sameIDs(s.ids, m.ids) || len(s.win.parts) != len(m.ids) {
		s.win = newWindow(m.ids)
	}
	s.ids = m.ids
	s.win.reset(m.wm, m.start)
	for p, recs := range m.fwd {
		s.win.addFwd(p, m.start[p], recs, m.per)
	}
	for p, recs := range m.bwd {
		s.win.addBwd(p, m.start[p], recs, m.per)
	}
	back := fetchChunk / 2
	if m.kind == backend.StartLatest {
		back = fetchChunk
	}
	nb := s.win.mergeBwd(back)
	s.win.mergeFwd(fetchChunk)
	s.loaded = true
	s.setRows()
	cur := nb
	switch m.kind {
	case backend.StartEarliest:
		cur = 0
	case backend.StartLatest:
		cur = len(s.win.recs) - 1
	}
	if m.target != nil {
		for i := nb; i < len(s.win.recs); i++ {
			if r := &s.win.recs[i]; r.Partition == m.target.part && r.Offset == m.target.off {
				cur = i
				break
			}
		}
	}
	s.cursorTo(cur)
	// Centre the target row a little: the user seeked to it and wants its
	// context, not the rows before it filling the screen.
	if m.kind != backend.StartLatest && m.kind != backend.StartEarliest && s.match == nil {
		page := max(1, s.table.Height()-1)
		s.table.SetCursor(cur - page/3)
		s.table.SetCursor(cur)
	}
	cmds := []tea.Cmd{clearErr, s.ensure()}
	if m.stream != nil {
		s.stopStream()
		if s.follow && !s.paused {
			s.stream = m.stream
			cmds = append(cmds, s.pollCmd(time.Time{}))
		} else {
			s.streams.close(m.stream) // paused while the tail was opening
		}
	}
	return tea.Batch(cmds...)
}

func sameIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *recordsScreen) applyFetch(m recFetchMsg) tea.Cmd {
	if m.fwd {
		s.fwdBusy = false
	} else {
		s.bwdBusy = false
	}
	if m.err != nil {
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: s.ensure} })
	}
	var clearErr tea.Cmd
	if s.err != nil {
		s.err, clearErr = nil, ui.ClearErr()
	}
	for p, from := range m.from {
		recs := m.recs[p]
		if m.fwd {
			s.win.addFwd(p, from, recs, m.per)
		} else {
			s.win.addBwd(p, from, recs, m.per)
		}
	}
	return tea.Batch(clearErr, s.ensure())
}

func (s *recordsScreen) applyTail(m recTailMsg) tea.Cmd {
	if m.err != nil {
		s.stopStream()
		s.paused = true
		return s.fail(m.err, func() tea.Msg { return retryMsg{do: s.startFollow} })
	}
	if len(m.recs) > 0 && s.win != nil {
		oldOff, oldCur, oldIdx := s.table.Offset(), s.table.Cursor(), s.winIndex()
		s.win.appendLive(m.recs)
		s.win.mergeFwd(len(m.recs) + s.win.buffered())
		over := max(0, len(s.win.recs)-maxWindow)
		s.win.trimFront(over)
		s.setRows()
		switch {
		case !s.paused:
			s.table.Bottom()
		case s.match != nil:
			s.cursorTo(max(0, oldIdx-over))
		default:
			s.shiftView(oldOff, oldCur, -over)
		}
	}
	return s.pollCmd(time.Now().Add(tailInterval))
}

// ensure merges buffered records into the window and asks for more when
// the cursor is within edgeRows of either end, then trims the far side so
// the window never holds more than maxWindow records.
func (s *recordsScreen) ensure() tea.Cmd {
	if s.win == nil || s.seeking || (s.match != nil && len(s.match) == 0) {
		return nil
	}
	var cmds []tea.Cmd
	oldOff, oldCur := s.table.Offset(), s.table.Cursor()
	cur := max(0, s.winIndex())
	shift, changed := 0, false
	if len(s.win.recs)-1-cur < edgeRows {
		if s.win.mergeFwd(fetchChunk) > 0 {
			changed = true
			if over := len(s.win.recs) - maxWindow; over > 0 {
				s.win.trimFront(over)
				shift -= over
				cur -= over
			}
		}
		if len(s.win.recs)-1-cur < edgeRows && !s.fwdBusy && !(s.follow && !s.paused) {
			if at := s.win.needFwd(); at != nil {
				cmds = append(cmds, s.fetchCmd(true, at))
			}
		}
	}
	if cur < edgeRows {
		if n := s.win.mergeBwd(fetchChunk); n > 0 {
			changed = true
			shift += n
			cur += n
			if over := len(s.win.recs) - maxWindow; over > 0 {
				s.win.trimBack(over)
			}
		}
		if cur < edgeRows && !s.bwdBusy {
			if at := s.win.needBwd(); at != nil {
				cmds = append(cmds, s.fetchCmd(false, at))
			}
		}
	}
	if changed {
		s.setRows()
		if s.match != nil {
			s.cursorTo(cur)
		} else {
			s.shiftView(oldOff, oldCur, shift)
		}
	}
	return tea.Batch(cmds...)
}

// shiftView keeps the same records on screen after delta rows were added
// (delta > 0) or removed (< 0) above them: the table only knows indexes, so
// both its scroll offset and its cursor move by delta.
func (s *recordsScreen) shiftView(oldOff, oldCur, delta int) {
	off, cur := max(0, oldOff+delta), max(0, oldCur+delta)
	page := max(1, s.table.Height()-1)
	// SetCursor scrolls minimally: park the cursor where the wanted offset
	// makes it the last (scrolling down) or first (up) visible row, then
	// put it back on its record.
	if off > s.table.Offset() {
		s.table.SetCursor(off + page - 1)
	} else {
		s.table.SetCursor(off)
	}
	s.table.SetCursor(cur)
}

// Columns of the records table; which are shown depends on the width.
type recCol int

const (
	colOffset recCol = iota
	colPartition
	colTime
	colTimeShort
	colKey
	colValue
	colSize
	colHeaders
)

func (s *recordsScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	if s.pkind == promptFilter {
		s.prompt.SetWidth(max(10, w-filterCountWidth))
	} else {
		s.prompt.SetWidth(w)
	}
	s.layout()
}

func (s *recordsScreen) layout() {
	var cols []ui.Column
	s.cols = s.cols[:0]
	add := func(k recCol, c ui.Column) {
		s.cols = append(s.cols, k)
		cols = append(cols, c)
	}
	wide := s.w >= 110
	add(colOffset, ui.Column{Title: "OFFSET", Width: 10, Right: true})
	if s.partition < 0 || wide {
		add(colPartition, ui.Column{Title: "P", Width: 3, Right: true})
	}
	if wide {
		add(colTime, ui.Column{Title: "TIMESTAMP", Width: 23})
	} else {
		add(colTimeShort, ui.Column{Title: "TIME", Width: 12})
	}
	// Keys are usually ids ("ord-000123"): wide enough to read them whole.
	add(colKey, ui.Column{Title: "KEY", MinWidth: map[bool]int{true: 14, false: 8}[wide], Flex: 1})
	add(colValue, ui.Column{Title: "VALUE", MinWidth: 10, Flex: 3})
	add(colSize, ui.Column{Title: "SIZE", Width: 9, Right: true})
	if s.w >= 90 {
		add(colHeaders, ui.Column{Title: "HDRS", Width: 4, Right: true})
	}
	s.table.SetColumns(cols)
	s.table.SetSize(s.w, max(0, s.h-1))
	if s.win != nil {
		s.setRows()
	}
}

// setRows points the table at the window. Cells are built for visible rows
// only, on View; previews read a bounded prefix of each value.
func (s *recordsScreen) setRows() {
	recs := s.win.recs
	cols := s.cols
	widths := s.valueWidth()
	n, match := len(recs), []int(nil)
	if s.filter != "" {
		match = filterRecs(recs, s.filter)
		n = len(match)
		s.table.SetEmpty("no loaded record matches " + strconv.Quote(s.filter) + " (esc clears, g/G/o/t load others)")
	} else {
		s.table.SetEmpty("no records")
	}
	s.match = match
	s.table.SetRows(n, func(i int) []string {
		if match != nil {
			i = match[i]
		}
		r := &recs[i]
		cells := make([]string, len(cols))
		for j, c := range cols {
			switch c {
			case colOffset:
				cells[j] = strconv.FormatInt(r.Offset, 10)
			case colPartition:
				cells[j] = strconv.Itoa(int(r.Partition))
			case colTime:
				cells[j] = fmtTime(r.Timestamp)
			case colTimeShort:
				cells[j] = fmtShortTime(r.Timestamp)
			case colKey:
				if r.Key == nil {
					cells[j] = "∅"
				} else {
					cells[j] = ui.Preview(r.ShownKey(), max(1, widths[0]-1))
				}
			case colValue:
				if r.Value == nil {
					cells[j] = "∅ (tombstone)"
				} else {
					cells[j] = ui.Preview(r.ShownValue(), max(1, widths[1]-1))
				}
			case colSize:
				cells[j] = ui.FormatBytes(int64(r.size))
			case colHeaders:
				cells[j] = strconv.Itoa(len(r.Headers))
			}
		}
		return cells
	})
}

// filterRecs returns the indexes of records whose key or value (their
// first filterScan bytes) contain f, ignoring ASCII case. Never nil.
func filterRecs(recs []winRec, f string) []int {
	needle := []byte(strings.ToLower(f))
	out := make([]int, 0, 64)
	var buf []byte
	has := func(b []byte) bool {
		if len(b) > filterScan {
			b = b[:filterScan]
		}
		buf = append(buf[:0], b...)
		for i, c := range buf {
			if 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		return bytes.Contains(buf, needle)
	}
	for i := range recs {
		if has(recs[i].ShownKey()) || has(recs[i].ShownValue()) {
			out = append(out, i)
		}
	}
	return out
}

// valueWidth returns the key and value column widths (the table's own
// layout rule: fixed columns first, the rest shared by Flex, the last
// flexible column taking the remainder), so a preview reads no more of a
// value than fits and usually needs no further truncation by the table.
func (s *recordsScreen) valueWidth() [2]int {
	cols := s.table.Columns()
	rest, shares := s.w-len(cols), 0
	for _, c := range cols {
		if c.Width > 0 {
			rest -= c.Width
		} else {
			shares += max(1, c.Flex)
		}
	}
	rest = max(0, rest)
	var out [2]int
	k := 0
	for _, c := range cols {
		if c.Width > 0 {
			continue
		}
		share := max(1, c.Flex)
		w := rest * share / max(1, shares)
		rest -= w
		shares -= share
		if k < 2 {
			out[k] = max(w, c.MinWidth)
		}
		k++
	}
	return out
}

func (s *recordsScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if !s.loaded {
		if s.err != nil {
			return ui.Centered(th.Error.Render("✗ "+ui.ErrText(s.err))+"\n"+th.Muted.Render("press R to retry, ctrl+r to reload"), s.w, s.h)
		}
		return ui.Centered(s.spin.View()+" loading records of "+ui.Sanitize(s.topic)+"…", s.w, s.h)
	}
	var top string
	switch {
	case s.prompt.Active() && s.pkind == promptFilter:
		top = ui.FitLine(s.prompt.View(), max(10, s.w-filterCountWidth)) +
			th.Muted.Render(fmt.Sprintf(" %d match", len(s.match)))
	case s.prompt.Active():
		top = s.prompt.View()
	default:
		top = s.header()
	}
	return ui.FitLine(top, s.w) + "\n" + s.table.View()
}

// header is the position line: what part of the log the window covers and
// whether it is following.
func (s *recordsScreen) header() string {
	th := s.env.Theme
	var b strings.Builder
	b.WriteByte(' ')
	recs := s.win.recs
	lo, hi := s.win.bounds()
	if s.partition >= 0 {
		b.WriteString("p" + strconv.Itoa(int(s.partition)) + " · ")
		if len(recs) > 0 {
			fmt.Fprintf(&b, "offsets %s–%s of %s–%s", ui.FormatCount(recs[0].Offset),
				ui.FormatCount(recs[len(recs)-1].Offset), ui.FormatCount(lo), ui.FormatCount(hi))
		} else {
			fmt.Fprintf(&b, "no records in %s–%s", ui.FormatCount(lo), ui.FormatCount(hi))
		}
	} else {
		fmt.Fprintf(&b, "%d partitions by time · ", len(s.ids))
		if len(recs) > 0 {
			from, to := fmtTime(recs[0].Timestamp), fmtTime(recs[len(recs)-1].Timestamp)
			if s.w < 110 {
				from, to = fmtShortTime(recs[0].Timestamp), fmtShortTime(recs[len(recs)-1].Timestamp)
			}
			fmt.Fprintf(&b, "%s loaded, %s → %s", ui.FormatCount(int64(len(recs))), from, to)
		} else {
			b.WriteString("no records")
		}
		var total int64
		for _, p := range s.win.parts {
			total += max(0, p.hw-p.logStart)
		}
		b.WriteString(" · " + ui.FormatCount(total) + " in log")
	}
	if s.filter != "" {
		fmt.Fprintf(&b, " · filter %q: %d match", ui.Sanitize(s.filter), len(s.match))
	}
	line := th.Muted.Render(b.String())
	switch {
	case s.follow && !s.paused:
		line += th.Muted.Render(" · ") + th.OK.Render("● following")
	case s.follow && s.paused:
		line += th.Muted.Render(" · ") + th.Warn.Render("paused") + th.Muted.Render(" (space resumes)")
	}
	if s.seeking || s.fwdBusy || s.bwdBusy {
		line += " " + s.spin.View()
	}
	if s.err != nil {
		line += "  " + th.Error.Render("✗ "+ui.ErrText(s.err))
	}
	return line
}
