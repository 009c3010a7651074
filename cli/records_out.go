package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"

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
	// ops: -f FORMAT or -o value, written as stored (no decoding), or
	// sanitised when safe (a terminal).
	ops   []fmtOp
	safe  bool
	buf   []byte
	parts []encodePart // writeBatch's slices
	n     int64
}

func newRecordWriter(ctx context.Context, w io.Writer, output string, rd *recordDecoder, uncommitted bool) (*recordWriter, error) {
	rw := &recordWriter{output: output, w: bufio.NewWriterSize(w, 1<<20), rd: rd, uncommitted: uncommitted, safe: isTerminal(w)}
	if output == "value" {
		rw.ops = valueFormat
	}
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
	if rw.ops != nil {
		// Straight into the writer's buffer: no copy when it fits.
		_, err = rw.w.Write(appendFormatted(rw.w.AvailableBuffer(), rw.ops, r, rw.safe))
	} else {
		rw.buf, err = rw.encode(rw.buf[:0], rw.rd, r, st)
		if err == nil {
			_, err = rw.w.Write(rw.buf)
		}
	}
	if err == nil && rw.flushEach && rw.w.Buffered() > 0 {
		err = rw.w.Flush()
	}
	return err
}

// encode appends r, decoded, as one json, text or yaml record.
func (rw *recordWriter) encode(dst []byte, rd *recordDecoder, r *kgo.Record, st backend.TxnState) ([]byte, error) {
	k, v := rd.decode(r)
	if rw.output == "text" {
		if st == backend.TxnAborted || st == backend.TxnOpen {
			dst = append(dst, "["+st.String()+"] "...)
		}
		return append(appendText(dst, r, k, v), '\n'), nil
	}
	mark := len(dst)
	dst = backend.AppendDecodedRecordJSON(dst, r, k, v)
	if st != backend.TxnNone && rw.uncommitted {
		dst = backend.AppendTxnField(dst, st)
	}
	dst = append(dst, '\n')
	if rw.output != "yaml" {
		return dst, nil
	}
	js := append([]byte(nil), dst[mark:]...)
	out := bytes.NewBuffer(dst[:mark])
	err := writeYAML(out, js)
	return out.Bytes(), err
}

// parallelMin is the smallest batch whose records are encoded on several
// goroutines: below it handing them over costs more than it saves.
const parallelMin = 512

// writeBatch writes a batch of records. Decoding and encoding (JSON, text,
// YAML) run on every core, a slice of the batch each, while the read
// engine fetches the next response; the slices are then written in
// order. Output memory stays bounded by one batch (the fetch size).
func (rw *recordWriter) writeBatch(b *backend.Batch) error {
	workers := runtime.GOMAXPROCS(0)
	if rw.csv != nil || rw.ops != nil || rw.flushEach || workers < 2 || len(b.Records) < parallelMin {
		for i, r := range b.Records {
			if err := rw.write(r, b.State(i)); err != nil {
				return err
			}
		}
		return nil
	}
	size := max((len(b.Records)+workers-1)/workers, parallelMin/2)
	parts := (len(b.Records) + size - 1) / size
	for len(rw.parts) < parts {
		rw.parts = append(rw.parts, encodePart{rd: &recordDecoder{ctx: rw.rd.ctx, d: rw.rd.d}})
	}
	var wg sync.WaitGroup
	for p := range parts {
		part := &rw.parts[p]
		lo, hi := p*size, min((p+1)*size, len(b.Records))
		run := func() {
			part.buf, part.err = part.buf[:0], nil
			for i := lo; i < hi && part.err == nil; i++ {
				part.buf, part.err = rw.encode(part.buf, part.rd, b.Records[i], b.State(i))
			}
		}
		if p == parts-1 {
			run() // this goroutine takes the last slice
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	wg.Wait()
	if rw.before != nil {
		rw.before()
	}
	for p := range parts {
		if err := rw.parts[p].err; err != nil {
			return err
		}
		if _, err := rw.w.Write(rw.parts[p].buf); err != nil {
			return err
		}
	}
	rw.n += int64(len(b.Records))
	return nil
}

// encodePart is one goroutine's slice of a batch: its own decoder (results
// reuse its buffers) and output.
type encodePart struct {
	rd  *recordDecoder
	buf []byte
	err error
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
