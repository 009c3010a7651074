package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

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
// text/tabwriter does, which holds the whole table until the end.
type diffTable struct {
	w       *bufio.Writer
	head    [4]string
	pending []project.DiffRow
	widths  [3]int
	started bool
}

const (
	widthRows   = 256
	maxColWidth = 60
)

func newDiffTable(w io.Writer, left, right string) *diffTable {
	return &diffTable{w: bufio.NewWriterSize(w, 64<<10), head: [4]string{"KEY", strings.ToUpper(left), strings.ToUpper(right), "MARKER"}}
}

func (t *diffTable) row(r *project.DiffRow) error {
	if !t.started {
		t.pending = append(t.pending, r.Clone())
		if len(t.pending) < widthRows {
			return nil
		}
		return t.start()
	}
	return t.line(cell(r.Key), cellJSON(r.Left), cellJSON(r.Right), r.Marker)
}

func (t *diffTable) start() error {
	t.started = true
	for i := range 3 {
		t.widths[i] = utf8.RuneCountInString(t.head[i])
	}
	cells := make([][3]string, len(t.pending))
	for i, r := range t.pending {
		cells[i] = [3]string{cell(r.Key), cellJSON(r.Left), cellJSON(r.Right)}
		for j, c := range cells[i] {
			t.widths[j] = max(t.widths[j], min(utf8.RuneCountInString(c), maxColWidth))
		}
	}
	if err := t.line(t.head[0], t.head[1], t.head[2], t.head[3]); err != nil {
		return err
	}
	for i, c := range cells {
		if err := t.line(c[0], c[1], c[2], t.pending[i].Marker); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

func (t *diffTable) line(k, l, r, m string) error {
	for i, c := range [3]string{k, l, r} {
		t.w.WriteString(c)
		for n := utf8.RuneCountInString(c); n < t.widths[i]+2; n++ {
			t.w.WriteByte(' ')
		}
	}
	t.w.WriteString(m)
	return t.w.WriteByte('\n')
}

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
	val   bytes.Buffer
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

// value appends a stored row (JSON) compacted onto one line, or null.
func (d *diffJSON) value(b []byte, v json.RawMessage) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	d.val.Reset()
	if err := json.Compact(&d.val, v); err != nil {
		return b, err
	}
	return append(b, d.val.Bytes()...), nil
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
