package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// ProduceCmd writes records read from stdin, with kcat's conventions.
type ProduceCmd struct {
	Topic       string   `arg:"" predictor:"topic" help:"Topic to write to. It must exist (the embedded log does not auto-create): rewind topic create NAME."`
	Delim       string   `short:"D" placeholder:"DELIM" help:"Record delimiter, as kcat -D: a string with \\n \\t \\r \\0 \\xNN \\\\ escapes (default: newline)."`
	KeyDelim    string   `short:"K" placeholder:"DELIM" help:"Key delimiter, as kcat -K: each record is KEY<DELIM>VALUE; a record without it has no key."`
	Header      []string `short:"H" sep:"none" placeholder:"NAME=VALUE" help:"Header added to every record (repeatable)."`
	Partition   *int32   `short:"p" placeholder:"N" help:"Write every record to partition N (default: by key, murmur2 as the Java client; keyless records are spread)."`
	Null        bool     `short:"Z" help:"Send an empty key or value as null, as kcat -Z: 'KEY:' with -K: is a tombstone."`
	Compression string   `default:"none" enum:"none,gzip,snappy,lz4,zstd" help:"Batch compression: none, gzip, snappy, lz4, zstd."`
	Acks        string   `default:"all" enum:"all,1,0" help:"all (idempotent, default), 1 (leader only) or 0 (no acknowledgement: offsets unknown)."`
	ValueSchema string   `name:"value-schema" placeholder:"SUBJECT" help:"Encode each value (JSON) with SUBJECT's latest schema from the schema registry (Avro, Protobuf, JSON Schema), in the Confluent wire format."`
	ValueMsg    string   `name:"value-message" placeholder:"NAME" help:"With a Protobuf --value-schema: the message type (full name, e.g. shop.Order; default the schema's first message)."`
	KeySchema   string   `name:"key-schema" placeholder:"SUBJECT" help:"Encode each key (JSON) the same way."`
	KeyMsg      string   `name:"key-message" placeholder:"NAME" help:"With a Protobuf --key-schema: the message type."`
	Output      string   `short:"o" enum:"none,json,yaml" default:"none" help:"json or yaml: print the topic, partition and offset of each record written (as the broker assigned them)."`
}

// stdin is where produce reads; tests replace it.
var stdin io.Reader = os.Stdin

// maxRecordBytes bounds one input record; the broker's own limit
// (message.max.bytes, 1 MiB by default) usually refuses much less.
const maxRecordBytes = 16 << 20

type producedOut struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    *int64 `json:"offset"` // null with --acks 0
	Timestamp string `json:"timestamp"`
}

// Run reads records and writes them. Records are sent as they are read:
// a line typed on a terminal is written at once; piped input is batched.
// The first failure stops the command with how far it got.
func (c *ProduceCmd) Run(e *runEnv) error {
	delim := []byte("\n")
	if c.Delim != "" {
		d, err := parseDelim(c.Delim)
		if err != nil {
			return fmt.Errorf("-D: %w", err)
		}
		delim = d
	}
	var keyDelim []byte
	if c.KeyDelim != "" {
		d, err := parseDelim(c.KeyDelim)
		if err != nil {
			return fmt.Errorf("-K: %w", err)
		}
		keyDelim = d
	}
	headers, err := parseHeaders(c.Header)
	if err != nil {
		return err
	}
	if c.Partition != nil && *c.Partition < 0 {
		return fmt.Errorf("-p: partition must be >= 0, got %d", *c.Partition)
	}
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	// Read-only is refused here, before reading any input.
	prod, err := s.cluster.NewProducer(backend.ProduceOptions{Partition: c.Partition, Compression: c.Compression, Acks: c.Acks})
	if err != nil {
		return err
	}
	defer prod.Close()
	if err := prod.CheckPartition(e.ctx, c.Topic); err != nil {
		return err
	}
	keyEnc, valEnc, err := c.encoders(e, s)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	recs := make(chan inputRecord, 1024)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readRecords(ctx, stdin, delim, keyDelim, c.Null, recs)
	}()

	out := bufio.NewWriter(e.stdout)
	enc := newEncoder(out, c.Output)
	var written int64
	parts := map[int32]bool{}
	batch := make([]backend.ProduceRecord, 0, 1024)
	nums := make([]int64, 0, 1024)
	for {
		// SIGINT ends the command at once, even while stdin has nothing
		// to give (the reader goroutine ends with the process).
		var r inputRecord
		var ok bool
		select {
		case r, ok = <-recs:
		case <-e.ctx.Done():
			return fmt.Errorf("interrupted after writing %s to %s", countWord(int(written), "record"), c.Topic)
		}
		if !ok {
			break
		}
		batch, nums = batch[:0], nums[:0]
		if err := r.encode(keyEnc, valEnc); err != nil {
			return fmt.Errorf("wrote %s to %s; record %d: %w", countWord(int(written), "record"), c.Topic, r.n, err)
		}
		batch = append(batch, r.rec(c.Topic, headers))
		nums = append(nums, r.n)
		// Take what is already read, without waiting for more.
	drain:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-recs:
				if !ok {
					break drain
				}
				if err := r.encode(keyEnc, valEnc); err != nil {
					return fmt.Errorf("wrote %s to %s; record %d: %w", countWord(int(written), "record"), c.Topic, r.n, err)
				}
				batch = append(batch, r.rec(c.Topic, headers))
				nums = append(nums, r.n)
			default:
				break drain
			}
		}
		res, perr := prod.ProduceBatch(e.ctx, batch)
		for _, p := range res {
			if p.Err != nil {
				continue
			}
			written++
			parts[p.Partition] = true
			if structured(c.Output) {
				po := producedOut{Topic: p.Topic, Partition: p.Partition, Timestamp: backend.FormatTime(p.Timestamp)}
				if p.Offset >= 0 {
					po.Offset = &p.Offset
				}
				if err := enc.Encode(po); err != nil {
					return err
				}
			}
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if perr != nil {
			failed := 0
			first := int64(0)
			for i, p := range res {
				if p.Err != nil {
					if failed == 0 {
						first = nums[i]
					}
					failed++
				}
			}
			return fmt.Errorf("wrote %s to %s; record %d failed (%d of the last batch of %d): %w", countWord(int(written), "record"), c.Topic, first, failed, len(batch), perr)
		}
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("wrote %s to %s, then stopped: %w", countWord(int(written), "record"), c.Topic, err)
	}
	if e.ctx.Err() != nil {
		return fmt.Errorf("interrupted after writing %s to %s", countWord(int(written), "record"), c.Topic)
	}
	fmt.Fprintf(e.stderr, "wrote %s to %s%s\n", countWord(int(written), "record"), ui.Sanitize(c.Topic), partitionList(parts))
	return nil
}

func partitionList(parts map[int32]bool) string {
	if len(parts) == 0 {
		return ""
	}
	ids := make([]int, 0, len(parts))
	for p := range parts {
		ids = append(ids, int(p))
	}
	sort.Ints(ids)
	s := make([]string, len(ids))
	for i, p := range ids {
		s[i] = strconv.Itoa(p)
	}
	word := "partition"
	if len(ids) > 1 {
		word = "partitions"
	}
	return fmt.Sprintf(" (%s %s)", word, strings.Join(s, ", "))
}

// inputRecord is one record read from the input; n counts from 1.
type inputRecord struct {
	n          int64
	key, value []byte
}

func (r inputRecord) rec(topic string, headers []backend.Header) backend.ProduceRecord {
	return backend.ProduceRecord{Topic: topic, Key: r.key, Value: r.value, Headers: headers}
}

// readRecords splits in by delim, and each record by keyDelim when given,
// and sends them on out (closed at the end). Empty records are skipped, as
// a trailing newline is not a record.
func readRecords(ctx context.Context, in io.Reader, delim, keyDelim []byte, null bool, out chan<- inputRecord) error {
	defer close(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxRecordBytes)
	sc.Split(splitOn(delim))
	var n int64
	for sc.Scan() {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		n++
		r := inputRecord{n: n}
		v := b
		if keyDelim != nil {
			if i := bytes.Index(b, keyDelim); i >= 0 {
				r.key = append([]byte{}, b[:i]...)
				v = b[i+len(keyDelim):]
				if len(r.key) == 0 && null {
					r.key = nil
				}
			}
		}
		r.value = append([]byte{}, v...)
		if len(v) == 0 && null {
			r.value = nil
		}
		select {
		case out <- r:
		case <-ctx.Done():
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("record %d is longer than %d MiB", n+1, maxRecordBytes>>20)
		}
		return fmt.Errorf("reading input: %w", err)
	}
	return nil
}

func splitOn(delim []byte) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.Index(data, delim); i >= 0 {
			return i + len(delim), data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
}

// parseDelim reads a delimiter as kcat does: a string with \n, \t, \r,
// \0, \xNN and \\ escapes.
func parseDelim(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '0':
			out = append(out, 0)
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("delimiter %q: \\x needs two hex digits", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("delimiter %q: \\x needs two hex digits", s)
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf("delimiter %q: unknown escape \\%c (use \\n \\t \\r \\0 \\xNN \\\\)", s, s[i])
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty delimiter")
	}
	return out, nil
}

func parseHeaders(hs []string) ([]backend.Header, error) {
	var out []backend.Header
	for _, h := range hs {
		name, value, ok := strings.Cut(h, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("-H %q: want NAME=VALUE", h)
		}
		out = append(out, backend.Header{Key: name, Value: []byte(value)})
	}
	return out, nil
}
