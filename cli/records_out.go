package cli

import (
	"bufio"
	"context"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
)

// recordWriter prints records in consume's output formats: json (jsonl:
// the same JSON lines), yaml, text, csv. Keys and values are decoded.
type recordWriter struct {
	output      string
	w           *bufio.Writer
	rd          *recordDecoder
	uncommitted bool
	// flushEach: every record is flushed as it is written (following the
	// log, or a terminal), not when the buffer fills.
	flushEach bool
	// before, if set, runs before output reaches the writer (the progress
	// line clears itself when both share a terminal).
	before func()
	csv    *scan.Encoder
	buf    []byte
	n      int64
}

func newRecordWriter(ctx context.Context, w io.Writer, output string, rd *recordDecoder, uncommitted bool) (*recordWriter, error) {
	rw := &recordWriter{output: output, w: bufio.NewWriterSize(w, 1<<20), rd: rd, uncommitted: uncommitted}
	if output == "csv" {
		enc, err := scan.NewEncoder(w, scan.CSV, rd.d, uncommitted) // buffers itself
		if err != nil {
			return nil, err
		}
		rw.csv = enc
	}
	return rw, nil
}

func (rw *recordWriter) write(r *kgo.Record, st backend.TxnState) error {
	rw.n++
	if rw.before != nil {
		rw.before()
	}
	var err error
	if rw.csv != nil {
		err = rw.csv.Encode(rw.rd.ctx, r, st)
		if err == nil && rw.flushEach {
			err = rw.csv.Flush()
		}
		return err
	}
	rw.buf = rw.buf[:0]
	k, v := rw.rd.decode(r)
	if rw.output != "text" {
		rw.buf = backend.AppendDecodedRecordJSON(rw.buf, r, k, v)
		if st != backend.TxnNone && rw.uncommitted {
			rw.buf = backend.AppendTxnField(rw.buf, st)
		}
	} else {
		if st == backend.TxnAborted || st == backend.TxnOpen {
			rw.buf = append(rw.buf, "["+st.String()+"] "...)
		}
		rw.buf = appendText(rw.buf, r, k, v)
	}
	rw.buf = append(rw.buf, '\n')
	if rw.output == "yaml" {
		err = writeYAML(rw.w, rw.buf)
	} else {
		_, err = rw.w.Write(rw.buf)
	}
	if err == nil && rw.flushEach && rw.w.Buffered() > 0 {
		err = rw.w.Flush()
	}
	return err
}

func (rw *recordWriter) flush() error {
	if rw.before != nil && rw.w.Buffered() > 0 {
		rw.before()
	}
	if rw.csv != nil {
		return rw.csv.Flush()
	}
	return rw.w.Flush()
}
