package scan

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
	"github.com/rewind-log/rewind/internal/outfile"
)

// Format is an export format.
type Format string

// Export formats.
const (
	// JSONL is one JSON object per line, as `consume -o json` prints.
	JSONL Format = "jsonl"
	// CSV has a header row and the columns of CSVColumns.
	CSV Format = "csv"
)

// CSVColumns are the columns of a CSV export. key and value are the
// decoded JSON (Avro, Protobuf, JSON Schema, JSON), the text, or base64
// for bytes that are neither (and for text holding control characters,
// so a CSV file shown on a terminal cannot drive it); key_format and
// value_format say which (null for an absent key or a tombstone);
// headers is a JSON array as in JSON lines.
var CSVColumns = []string{"topic", "partition", "offset", "timestamp", "key", "value", "key_format", "value_format", "headers"}

// FormatFor picks the format from a file name: .csv is CSV, anything
// else JSON lines.
func FormatFor(path string) Format {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return CSV
	}
	return JSONL
}

// Encoder writes records in an export format. Not safe for concurrent use.
type Encoder struct {
	w           *bufio.Writer
	f           Format
	dec         *decode.Decoder
	uncommitted bool
	csv         *csv.Writer
	k, v        decode.Result
	buf         []byte
	row         []string
	n           int64
}

// NewEncoder writes to w. dec decodes keys and values (nil: auto-detect
// JSON, text and binary only). uncommitted labels transactional records
// ("txn" in JSON lines) as read-uncommitted output does.
func NewEncoder(w io.Writer, f Format, dec *decode.Decoder, uncommitted bool) (*Encoder, error) {
	if f != JSONL && f != CSV {
		return nil, fmt.Errorf("export format %q: want jsonl or csv", f)
	}
	if dec == nil {
		var err error
		if dec, err = decode.New(decode.Config{}); err != nil {
			return nil, err
		}
	}
	e := &Encoder{w: bufio.NewWriterSize(w, 1<<20), f: f, dec: dec, uncommitted: uncommitted}
	if f == CSV {
		e.csv = csv.NewWriter(e.w)
		if err := e.csv.Write(CSVColumns); err != nil {
			return nil, err
		}
		e.row = make([]string, len(CSVColumns))
	}
	return e, nil
}

// Count is how many records were written.
func (e *Encoder) Count() int64 { return e.n }

// Encode writes one record.
func (e *Encoder) Encode(ctx context.Context, r *kgo.Record, st backend.TxnState) error {
	e.k = e.dec.Decode(ctx, r.Topic, true, r.Key, e.k.JSON)
	e.v = e.dec.Decode(ctx, r.Topic, false, r.Value, e.v.JSON)
	e.n++
	if e.f == JSONL {
		e.buf = backend.AppendDecodedRecordJSON(e.buf[:0], r, &e.k, &e.v)
		if e.uncommitted && st != backend.TxnNone {
			e.buf = backend.AppendTxnField(e.buf, st)
		}
		e.buf = append(e.buf, '\n')
		_, err := e.w.Write(e.buf)
		return err
	}
	row := e.row
	row[0] = r.Topic
	row[1] = strconv.Itoa(int(r.Partition))
	row[2] = strconv.FormatInt(r.Offset, 10)
	row[3] = backend.FormatTime(r.Timestamp)
	row[4], row[6] = cell(r.Key, &e.k)
	row[5], row[7] = cell(r.Value, &e.v)
	row[8] = headersJSON(r.Headers)
	return e.csv.Write(row)
}

// Flush writes what is buffered.
func (e *Encoder) Flush() error {
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	}
	return e.w.Flush()
}

// cell is a key or value as a CSV cell, with its format.
func cell(b []byte, res *decode.Result) (string, string) {
	switch {
	case b == nil || res.Format == decode.FormatNull:
		return "", string(decode.FormatNull)
	case res.Format.Structured():
		return string(res.JSON), string(res.Format)
	case res.Format == decode.FormatText && plainText(b):
		return string(b), string(decode.FormatText)
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// plainText: no character that could move a terminal's cursor or change
// how text reads (controls but tab and newline, DEL, C1, bidi and other
// format characters).
func plainText(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
		i += n
	}
	return true
}

func headersJSON(hs []kgo.RecordHeader) string { return string(backend.AppendHeadersJSON(nil, hs)) }

// File is an export file (internal/outfile): a regular file is written
// under a temporary name and renamed into place by Commit, so the named
// file is either complete or absent; a device, pipe or FIFO (/dev/stdout)
// is written directly and never replaced.
type File struct {
	*outfile.File
}

// Create starts an export to path. Without overwrite an existing file
// is refused. "-" (stdout) is the caller's: it needs no file.
func Create(path string, overwrite bool) (*File, error) {
	if path == "" || path == "-" {
		return nil, fmt.Errorf("export: no file name")
	}
	f, err := outfile.Create(path, nil, overwrite)
	if err != nil {
		return nil, err // names the path ("x.csv exists: choose another name")
	}
	return &File{File: f}, nil
}
