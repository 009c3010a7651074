package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/ui"
)

// Record detail keys.
var (
	keyDetNext    = binding([]string{"n", "]"}, "n/]", "next record")
	keyDetPrev    = binding([]string{"p", "["}, "p/[", "previous record")
	keyDetHex     = binding([]string{"x"}, "x", "hex view")
	keyDetSchema  = binding([]string{"s"}, "s", "schema of the value")
	keyDetCopy    = binding([]string{"c"}, "c", "copy value")
	keyDetCopyKey = binding([]string{"C"}, "C", "copy key")
	keyDetUp      = binding([]string{"up", "k"}, "↑/k", "scroll up")
	keyDetDown    = binding([]string{"down", "j"}, "↓/j", "scroll down")
	keyDetPgUp    = binding([]string{"pgup", "ctrl+b", "ctrl+u"}, "pgup", "page up")
	keyDetPgDown  = binding([]string{"pgdown", "ctrl+f", "ctrl+d", "space"}, "pgdn", "page down")
	keyDetTop     = binding([]string{"home", "g"}, "g/home", "top")
	keyDetBottom  = binding([]string{"end", "G"}, "G/end", "bottom")
	keyDetHeaders = binding([]string{"H"}, "H", "all headers ⇄ first 10")
)

// copyCap bounds what "c" puts on the clipboard: OSC 52 sends the value
// base64-encoded through the terminal, and terminals (and tmux) drop or
// choke on payloads of many megabytes.
const copyCap = 4 << 20

// recordLoadedMsg brings a whole record: the full copy of a record the
// window had capped, or the next/previous one.
type recordLoadedMsg struct {
	gen int64
	rec backend.Record
	ok  bool
	dir int // 0: the full copy of the current record
	err error
}

// valueRenderedMsg carries the formatted value, done off the event loop.
type valueRenderedMsg struct {
	gen   int64
	hex   bool
	lines []string
	kind  valueKind
	// dec, kdec: what the decoder made of the value and key (nil without
	// a decoder, or in the hex view).
	dec, kdec *decode.Result
}

type recordScreen struct {
	env *Env

	rec     backend.Record
	partial bool // rec is the window's capped copy; the full one is loading
	gen     int64
	busy    bool
	// pending counts n/p presses made while a move was loading, so fast
	// repeated presses are not lost.
	pending int

	hex    bool
	kind   valueKind
	cache  [2][]string // formatted value (pretty, hex) of rec; computed once
	head   []string    // metadata, key and headers lines
	lines  []string    // everything, wrapped to the width
	scroll int

	// allHeaders lists every header; by default the first headersShown.
	allHeaders bool

	// dec and kdec: the decoded value and key (see valueRenderedMsg).
	dec, kdec *decode.Result
	// schema: the value's registry schema is shown instead of the value.
	schema *schemaView

	w, h int
}

// headersShown is how many headers the detail lists until H shows all: a
// record with 200 headers still shows its value on the first page.
const headersShown = 10

// NewRecord shows one complete record: metadata, key, headers and the
// value (pretty-printed JSON, text, or a hex dump). n/p move to the next or
// previous offset of the same partition.
func NewRecord(env *Env, rec backend.Record) ui.Screen {
	return newRecordScreen(env, rec, false)
}

// NewRecordAt shows the record at an offset of a partition, fetched first.
func NewRecordAt(env *Env, topic string, partition int32, offset int64) ui.Screen {
	return newRecordScreen(env, backend.Record{Topic: topic, Partition: partition, Offset: offset}, true)
}

func newRecordScreen(env *Env, rec backend.Record, partial bool) *recordScreen {
	s := &recordScreen{env: env, rec: rec, partial: partial}
	s.rebuild()
	return s
}

func (s *recordScreen) Title() string { return "@" + strconv.FormatInt(s.rec.Offset, 10) }

func (s *recordScreen) Help() []key.Binding {
	return []key.Binding{keyDetNext, keyDetPrev, keyDetHex, keyDetSchema, keyDetCopy, keyDetCopyKey, keyDetResend,
		keyDetUp, keyDetDown, keyDetPgUp, keyDetPgDown, keyDetTop, keyDetBottom, keyDetHeaders}
}

func (s *recordScreen) Init() tea.Cmd {
	if s.partial {
		return s.load(0)
	}
	return s.render()
}

// load fetches the current record again in full (dir 0) or its neighbour
// in the partition (dir ±1).
func (s *recordScreen) load(dir int) tea.Cmd {
	s.gen++
	s.busy = true
	gen, c, r := s.gen, s.env.Cluster, s.rec
	return func() tea.Msg {
		ctx := context.Background()
		var recs []backend.Record
		var err error
		switch dir {
		case 0:
			recs, err = c.Fetch(ctx, r.Topic, r.Partition, r.Offset, 1)
		case 1:
			recs, err = c.Fetch(ctx, r.Topic, r.Partition, r.Offset+1, 1)
		default:
			recs, err = c.FetchBefore(ctx, r.Topic, r.Partition, r.Offset, 1)
		}
		m := recordLoadedMsg{gen: gen, dir: dir, err: err}
		if err == nil && len(recs) > 0 && (dir != 0 || recs[0].Offset == r.Offset) {
			m.rec, m.ok = recs[0], true
		}
		return m
	}
}

// render formats the value in a Cmd: JSON validation and pretty-printing of
// a large value take milliseconds that must not stall key handling.
func (s *recordScreen) render() tea.Cmd {
	idx := 0
	if s.hex {
		idx = 1
	}
	if s.cache[idx] != nil {
		s.rebuild()
		return nil
	}
	s.busy = true
	gen, hex, v := s.gen, s.hex, s.rec.Value
	pal := newJSONPalette(s.env.Theme)
	d, r := s.env.Decoder, s.rec
	return func() tea.Msg {
		if d != nil && !hex {
			return decodedRender(d, gen, r, pal)
		}
		m := valueRenderedMsg{gen: gen, hex: hex, kind: classify(v, true)}
		switch {
		case hex || m.kind == kindBinary:
			m.lines = hexDump(v, renderCap)
		case m.kind == kindJSON:
			m.lines = prettyJSON(v, renderCap, pal)
		case m.kind == kindText:
			m.lines = textLines(v, renderCap)
		default:
			m.lines = []string{}
		}
		return m
	}
}

func (s *recordScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case recordLoadedMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.pending = 0
			return s, func() tea.Msg { return ui.ErrMsg{Err: msg.err} }
		}
		if !msg.ok {
			s.pending = 0
			switch msg.dir {
			case 1:
				return s, ui.Toast("no newer record in this partition")
			case -1:
				return s, ui.Toast("no older record in this partition")
			}
			return s, func() tea.Msg {
				return ui.ErrMsg{Err: fmt.Errorf("record %d of partition %d is gone (retention or compaction)", s.rec.Offset, s.rec.Partition)}
			}
		}
		s.rec, s.partial = msg.rec, false
		s.cache = [2][]string{}
		s.kind = 0
		s.dec, s.kdec, s.schema = nil, nil, nil
		if msg.dir != 0 {
			s.scroll = 0
		}
		if s.pending != 0 {
			dir := 1
			if s.pending < 0 {
				dir = -1
			}
			s.pending -= dir
			s.rebuild()
			return s, s.load(dir)
		}
		s.rebuild()
		return s, s.render()

	case schemaLoadedMsg:
		if msg.gen == s.gen && s.schema != nil {
			s.schema = &msg.view
			s.rebuild()
		}
		return s, nil

	case valueRenderedMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.busy = false
		idx := 0
		if msg.hex {
			idx = 1
		}
		s.cache[idx] = msg.lines
		if !msg.hex || s.kind == 0 {
			s.kind = msg.kind
		}
		if !msg.hex {
			s.dec, s.kdec = msg.dec, msg.kdec
		}
		s.rebuild()
		return s, nil

	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			s.scrollBy(-3)
		case tea.MouseWheelDown:
			s.scrollBy(3)
		}

	case tea.KeyPressMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *recordScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	page := max(1, s.h-1)
	switch {
	case key.Matches(msg, keyDetNext):
		return s.move(1)
	case key.Matches(msg, keyDetPrev):
		return s.move(-1)
	case key.Matches(msg, keyDetSchema):
		return s.toggleSchema()
	case key.Matches(msg, keyDetHeaders):
		s.allHeaders = !s.allHeaders
		s.rebuild()
		return nil
	case key.Matches(msg, keyDetHex):
		s.schema = nil
		s.hex = !s.hex
		s.scroll = 0
		return s.render()
	case key.Matches(msg, keyDetCopy):
		if s.dec != nil && s.dec.Format.Structured() && s.rec.Value != nil {
			return s.copy(s.dec.JSON, "value (decoded "+string(s.dec.Format)+")")
		}
		return s.copy(s.rec.Value, "value")
	case key.Matches(msg, keyDetCopyKey):
		return s.copy(s.rec.Key, "key")
	case key.Matches(msg, keyDetResend):
		return ui.Push(NewResend(s.env, s.rec))
	case key.Matches(msg, keyDetUp):
		s.scrollBy(-1)
	case key.Matches(msg, keyDetDown):
		s.scrollBy(1)
	case key.Matches(msg, keyDetPgUp):
		s.scrollBy(-page)
	case key.Matches(msg, keyDetPgDown):
		s.scrollBy(page)
	case key.Matches(msg, keyDetTop):
		s.scroll = 0
	case key.Matches(msg, keyDetBottom):
		s.scrollBy(len(s.lines))
	}
	return nil
}

func (s *recordScreen) move(dir int) tea.Cmd {
	if s.partial || s.busy {
		if !s.partial {
			s.pending += dir
		}
		return nil
	}
	return s.load(dir)
}

// copy puts b on the clipboard through OSC 52 (works over ssh and in
// tmux with set-clipboard on).
func (s *recordScreen) copy(b []byte, what string) tea.Cmd {
	switch {
	case s.partial:
		return ui.Toast("still loading the record")
	case b == nil:
		return ui.Toast("the " + what + " is null; nothing copied")
	case len(b) > copyCap:
		return ui.Toast(fmt.Sprintf("%s too large to copy (%s > %s)", what, ui.FormatBytes(int64(len(b))), ui.FormatBytes(copyCap)))
	}
	return tea.Batch(tea.SetClipboard(string(b)), ui.Toast("copied "+what+" ("+ui.FormatBytes(int64(len(b)))+")"))
}

func (s *recordScreen) scrollBy(n int) {
	s.scroll = max(0, min(s.scroll+n, len(s.lines)-max(1, s.h-1)))
}

func (s *recordScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.rebuild()
}

// rebuild lays out the metadata, key, headers and the formatted value,
// wrapped to the width. It runs on record change, render and resize only.
func (s *recordScreen) rebuild() {
	th := s.env.Theme
	r := &s.rec
	label := func(l string) string { return th.Muted.Render(fmt.Sprintf("%-10s", l)) }
	section := func(t string) string {
		// One line, even for a long schema label on a narrow terminal.
		t = ansi.Truncate(t, max(8, s.w-5), "…")
		return th.Header.Render("── "+t+" ") + th.Muted.Render(strings.Repeat("─", max(0, s.w-ansi.StringWidth(t)-6)))
	}
	var l []string
	l = append(l,
		label("topic")+" "+ui.Sanitize(r.Topic),
		label("partition")+" "+strconv.Itoa(int(r.Partition))+"   "+label("offset")+" "+strconv.FormatInt(r.Offset, 10),
		label("timestamp")+" "+fmtTime(r.Timestamp)+th.Muted.Render("  ("+fmtAge(s.env.now(), r.Timestamp)+")"),
		label("size")+" "+fmt.Sprintf("%s · key %s · value %s · %s", ui.FormatBytes(int64(r.Size())),
			sizeOrNull(r.Key), sizeOrNull(r.Value), plural(len(r.Headers), "header")),
	)
	if s.partial {
		l = append(l, "", th.Muted.Render("loading the full record…"))
		s.head, s.lines = l, l
		s.scrollBy(0)
		return
	}
	l = append(l, "", section("key"))
	switch {
	case r.Key == nil:
		l = append(l, th.Muted.Render("null"))
	case len(r.Key) == 0:
		l = append(l, th.Muted.Render("empty"))
	case s.kdec != nil && s.kdec.Format.Structured():
		l[len(l)-1] = section("key · " + decodedLabel(s.kdec))
		l = append(l, shortBytes(s.kdec.JSON, 4096))
	default:
		l = append(l, shortBytes(r.Key, 4096))
	}
	if len(r.Headers) > 0 {
		l = append(l, "", section(fmt.Sprintf("headers (%d)", len(r.Headers))))
		hs := r.Headers
		if !s.allHeaders && len(hs) > headersShown {
			hs = hs[:headersShown]
		}
		for _, h := range hs {
			l = append(l, th.JSONKey.Render(ui.Sanitize(h.Key))+th.Muted.Render(": ")+shortBytes(h.Value, 1024))
		}
		if n := len(r.Headers) - len(hs); n > 0 {
			l = append(l, th.Muted.Render("… "+plural(n, "more header")+" (H shows all)"))
		}
	}
	idx := 0
	if s.hex {
		idx = 1
	}
	if s.schema != nil {
		s.lines = wrapLines(append(l, s.schema.lines(section, th)...), s.w-1)
		s.head = l
		s.scrollBy(0)
		return
	}
	title := "value"
	if s.hex {
		title += " · hex"
	} else if s.cache[0] != nil && s.dec != nil && r.Value != nil {
		title += " · " + decodedLabel(s.dec)
	} else if s.cache[0] != nil {
		title += " · " + s.kind.String()
	}
	if len(r.Value) > renderCap {
		title += " · truncated for display: " + ui.FormatBytes(int64(len(r.Value))) + " total"
	}
	l = append(l, "", section(title))
	if !s.hex {
		l = append(l, reasonLines(s.dec, th)...)
	}
	s.head = l
	switch {
	case s.cache[idx] == nil:
		l = append(l, th.Muted.Render("formatting…"))
	case r.Value == nil:
		l = append(l, th.Muted.Render("null (a tombstone on a compacted topic)"))
	case len(r.Value) == 0:
		l = append(l, th.Muted.Render("empty"))
	default:
		l = append(l, s.cache[idx]...)
		if len(r.Value) > renderCap {
			l = append(l, th.Warn.Render(fmt.Sprintf("… value truncated for display: %s total, first %s shown",
				ui.FormatBytes(int64(len(r.Value))), ui.FormatBytes(renderCap))))
		}
	}
	s.lines = wrapLines(l, s.w-1) // one cell of margin, as in the tables
	s.scrollBy(0)
}

func sizeOrNull(b []byte) string {
	if b == nil {
		return "null"
	}
	return ui.FormatBytes(int64(len(b)))
}

// shortBytes shows a key or header value on one line: sanitised text, or
// hex when binary; at most limit bytes.
func shortBytes(b []byte, limit int) string {
	cut := len(b) > limit
	if cut {
		b = b[:limit]
	}
	var s string
	if isText(b) {
		s = ui.SanitizeBytes(b)
	} else {
		s = "0x" + fmt.Sprintf("%x", b)
	}
	if cut {
		s += "…"
	}
	return s
}

// wrapLines hard-wraps lines wider than w (styles are carried over).
func wrapLines(lines []string, w int) []string {
	if w <= 0 {
		return lines
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		// A line of no more bytes than cells always fits (no rune is wider
		// than its UTF-8 encoding is long); this skips measuring most lines.
		if len(l) <= w || ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Hardwrap(l, w, true), "\n")...)
	}
	return out
}

func (s *recordScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	end := min(len(s.lines), s.scroll+s.h-1)
	view := s.lines[min(s.scroll, end):end]
	status := fmt.Sprintf(" lines %d–%d of %d", min(s.scroll+1, len(s.lines)), end, len(s.lines))
	if s.busy {
		status += " · loading…"
	}
	out := make([]string, 0, s.h)
	for _, l := range view {
		out = append(out, " "+l)
	}
	for len(out) < s.h-1 {
		out = append(out, "")
	}
	out = append(out, s.env.Theme.Muted.Render(status))
	return ui.JoinLines(out, s.w, s.h)
}
