package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/project"
)

// A diff is printed as it is read (project.Diff streams both tables in key
// order): memory stays bounded whatever the size of the tables.
type diffOut interface {
	row(*project.DiffRow) error
	end(*project.DiffSummary) error
}

// diffTable prints aligned columns. Widths come from the first rows (up to
// widthRows, each column capped at maxColWidth) instead of from every row as
// text/tabwriter does, which holds the whole table until the end. Rows are
// made safe and padded in reused buffers: a 1M-row diff allocates nothing
// per row.
type diffTable struct {
	w       *bufio.Writer
	head    [5]string
	pending []project.DiffRow
	widths  [4]int
	right   [4]bool // numbers are right-aligned
	started bool
	cells   [4][]byte // key, left, right, delta
	cellW   [4]int    // their widths, in runes
}

const (
	widthRows   = 256
	maxColWidth = 60
)

func newDiffTable(w io.Writer, left, right string) *diffTable {
	return &diffTable{w: bufio.NewWriterSize(w, 64<<10), head: [5]string{"KEY", strings.ToUpper(left), strings.ToUpper(right), "DELTA", "MARKER"},
		right: [4]bool{3: true}}
}

func (t *diffTable) row(r *project.DiffRow) error {
	if !t.started {
		t.pending = append(t.pending, r.Clone())
		if len(t.pending) < widthRows {
			return nil
		}
		return t.start()
	}
	t.fill(r)
	return t.line(r.Marker)
}

// fill puts a row's cells, made safe, in t.cells: numbers as
// project.AppendNumber shows them (23696.92, not 23696.920000000002; ASCII,
// so their width is their length), the delta right minus left where both
// are numbers and differ; -o json keeps the exact values.
func (t *diffTable) fill(r *project.DiffRow) {
	t.cells[0], t.cellW[0] = appendCell(t.cells[0][:0], unsafeBytes(r.Key))
	for i, v := range [2][]byte{r.Left, r.Right} {
		if v == nil {
			t.cells[1+i], t.cellW[1+i] = append(t.cells[1+i][:0], '-'), 1
		} else if b, ok := project.AppendNumber(t.cells[1+i][:0], v); ok {
			t.cells[1+i], t.cellW[1+i] = b, len(b)
		} else {
			t.cells[1+i], t.cellW[1+i] = appendCell(t.cells[1+i][:0], v)
		}
	}
	t.cells[3], t.cellW[3] = t.cells[3][:0], 0
	if r.Left != nil && r.Right != nil {
		if d, ok := project.AppendDelta(t.cells[3], r.Left, r.Right); ok && string(d) != "0" {
			t.cells[3], t.cellW[3] = d, len(d)
		}
	}
}

func (t *diffTable) start() error {
	t.started = true
	for i := range 4 {
		t.widths[i] = utf8.RuneCountInString(t.head[i])
	}
	// The value columns are right-aligned when the first rows' values are
	// all numbers (a sum or count projection).
	numeric := len(t.pending) > 0
	var scratch []byte
	for i := range t.pending {
		r := &t.pending[i]
		t.fill(r)
		for j, w := range t.cellW {
			t.widths[j] = max(t.widths[j], min(w, maxColWidth))
		}
		for _, v := range [2][]byte{r.Left, r.Right} {
			var ok bool
			if scratch, ok = project.AppendNumber(scratch[:0], v); v != nil && !ok {
				numeric = false
			}
		}
	}
	t.right[1], t.right[2] = numeric, numeric
	for i, h := range t.head[:4] {
		t.cells[i], t.cellW[i] = append(t.cells[i][:0], h...), utf8.RuneCountInString(h)
	}
	if err := t.line(t.head[4]); err != nil {
		return err
	}
	for i := range t.pending {
		t.fill(&t.pending[i])
		if err := t.line(t.pending[i].Marker); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

const spaces = "                                                                "

// line writes t.cells padded to the column widths, then the marker.
func (t *diffTable) line(m string) error {
	pad := func(n int) {
		for ; n > 0; n -= len(spaces) {
			t.w.WriteString(spaces[:min(n, len(spaces))])
		}
	}
	for i, c := range t.cells {
		n := t.widths[i] - t.cellW[i]
		if t.right[i] {
			pad(n)
			n = 0
		}
		t.w.Write(c)
		pad(n + 2)
	}
	t.w.WriteString(m)
	return t.w.WriteByte('\n')
}

func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (t *diffTable) end(sum *project.DiffSummary) error {
	if !t.started {
		if err := t.start(); err != nil {
			return err
		}
	}
	fmt.Fprintf(t.w, "\n%s (%s, %d rows) vs %s (%s, %d rows): %d added, %d removed, %d changed, %d same\n",
		sum.Left, sum.LeftStatus, sum.LeftRows, sum.Right, sum.RightStatus, sum.RightRows, sum.Added, sum.Removed, sum.Changed, sum.Same)
	fmt.Fprintf(t.w, "checksum %s %s\nchecksum %s %s\n", sum.Left, sum.LeftChecksum, sum.Right, sum.RightChecksum)
	return t.w.Flush()
}

// diffJSON prints one JSON object: the rows first, one per line, as they
// come, then rows_truncated and the summary (counts and checksums are known
// only at the end; JSON objects have no key order).
type diffJSON struct {
	w     *bufio.Writer
	limit int // rows to print; -1 all
	n     int
	trunc bool
	buf   []byte
}

func newDiffJSON(w io.Writer, limit int) *diffJSON {
	return &diffJSON{w: bufio.NewWriterSize(w, 64<<10), limit: limit}
}

func (d *diffJSON) row(r *project.DiffRow) error {
	if d.limit >= 0 && d.n >= d.limit {
		d.trunc = true
		return nil
	}
	b := d.buf[:0]
	if d.n == 0 {
		b = append(b, "{\n  \"rows\": [\n    "...)
	} else {
		b = append(b, ",\n    "...)
	}
	b = append(b, `{"key":`...)
	b = appendJSONString(b, r.Key)
	var err error
	b = append(b, `,"left":`...)
	if b, err = d.value(b, r.Left); err != nil {
		return fmt.Errorf("key %q: left row: %w", r.Key, err)
	}
	b = append(b, `,"right":`...)
	if b, err = d.value(b, r.Right); err != nil {
		return fmt.Errorf("key %q: right row: %w", r.Key, err)
	}
	b = append(b, `,"marker":"`...)
	b = append(append(b, r.Marker...), "\"}"...)
	d.buf = b
	d.n++
	_, err = d.w.Write(b)
	return err
}

// value appends a stored row (JSON) compacted onto one line, or null: in
// one pass that also validates it and keeps it terminal-safe (the
// encoder consume uses; json.Compact took most of a 1M-row diff's CPU).
func (d *diffJSON) value(b []byte, v json.RawMessage) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	return decode.AppendCompactJSON(b, v)
}

func (d *diffJSON) end(sum *project.DiffSummary) error {
	if d.n == 0 {
		d.w.WriteString("{\n  \"rows\": [],\n")
	} else {
		d.w.WriteString("\n  ],\n")
	}
	fmt.Fprintf(d.w, "  \"rows_truncated\": %t,\n", d.trunc)
	s, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	// The summary's fields, without its braces, close the object.
	s = bytes.TrimSpace(s)
	s = bytes.TrimSuffix(bytes.TrimPrefix(s, []byte("{")), []byte("}"))
	d.w.Write(bytes.Trim(s, "\n"))
	d.w.WriteString("\n}\n")
	return d.w.Flush()
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (invalid UTF-8 becomes U+FFFD; <, > and & are escaped too).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
