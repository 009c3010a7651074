package project

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

// PublishOptions configures Publish.
type PublishOptions struct {
	Topic string
	// Execute writes; without it Publish only computes the plan.
	Execute bool
	// Partitions of the topic when Publish creates it (default 3).
	Partitions int32
	// Sample keeps up to this many keys of each kind in the plan.
	Sample int
}

// PublishPlan is what a publish writes (or would write).
type PublishPlan struct {
	Run          string   `json:"run"`
	Topic        string   `json:"topic"`
	CreateTopic  bool     `json:"create_topic"`
	Upserts      int64    `json:"upserts"`    // new or changed keys
	Tombstones   int64    `json:"tombstones"` // keys live in the topic, not in the table
	Unchanged    int64    `json:"unchanged"`  // already in the topic with the same value
	Rows         int64    `json:"rows"`
	Written      bool     `json:"written"`
	SampleUpsert []string `json:"sample_upserts,omitempty"`
	SampleDelete []string `json:"sample_tombstones,omitempty"`
}

// Publish emits a run's table to a compacted topic as a changelog: key ->
// the row's JSON for every key that is new or changed, and a tombstone for
// every key that is live in the topic (its latest record is not a
// tombstone) but not in the table. After it, the topic read as a table
// (latest per key, tombstones delete) equals the run's table, whoever
// published before; publishing again writes nothing. The topic's current
// state is read to its high watermark into a temporary Pebble store beside
// the run (bounded memory). The topic is created (compacted) when missing;
// an existing topic must be compacted. Writing goes through CheckWrite
// (--read-only refuses).
func Publish(ctx context.Context, cl *backend.Cluster, dataDir, id string, o PublishOptions) (*PublishPlan, error) {
	if o.Topic == "" {
		return nil, errors.New("publish: no topic given")
	}
	if o.Partitions <= 0 {
		o.Partitions = 3
	}
	if o.Sample <= 0 {
		o.Sample = 5
	}
	if o.Execute {
		if err := cl.CheckWrite(); err != nil {
			return nil, fmt.Errorf("publish %s to %s: %w", id, o.Topic, err)
		}
	}
	t, err := OpenTable(dataDir, id)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	plan := &PublishPlan{Run: id, Topic: o.Topic}
	topics, err := cl.Topics(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	exists := false
	for _, tp := range topics {
		if tp.Name == o.Topic {
			exists = true
			if tp.CleanupPolicy != "compact" {
				return nil, fmt.Errorf("publish: topic %q has cleanup.policy=%s: a table is published to a compacted topic (cleanup.policy=compact)", o.Topic, tp.CleanupPolicy)
			}
		}
	}
	plan.CreateTopic = !exists
	tmpDir := filepath.Join(RunDir(dataDir, id), "publish-tmp")
	_ = os.RemoveAll(tmpDir)
	cur, err := pebble.Open(tmpDir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("publish: temporary store: %w", err)
	}
	defer func() { _ = cur.Close(); _ = os.RemoveAll(tmpDir) }()
	if exists {
		if err := readTopicState(ctx, cl, o.Topic, cur); err != nil {
			return nil, fmt.Errorf("publish: read %s: %w", o.Topic, err)
		}
	}
	var p *producer
	if o.Execute {
		if plan.CreateTopic {
			if err := cl.CreateTopic(ctx, o.Topic, o.Partitions, map[string]*string{"cleanup.policy": ptr("compact")}); err != nil {
				return nil, fmt.Errorf("publish: %w", err)
			}
		}
		if p, err = newProducer(cl, o.Topic); err != nil {
			return nil, err
		}
		defer p.close()
	}
	ti, err := t.Iter()
	if err != nil {
		return nil, err
	}
	defer ti.Close()
	ci, err := cur.NewIter(nil)
	if err != nil {
		return nil, err
	}
	defer ci.Close()
	tok, cok := ti.Next(), ci.First()
	emit := func(k, v []byte) {
		if p != nil {
			p.send(ctx, k, v)
		}
	}
	sample := func(dst *[]string, k []byte) {
		if len(*dst) < o.Sample {
			*dst = append(*dst, string(k))
		}
	}
	for tok || cok {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		cmp := 0
		switch {
		case !cok:
			cmp = -1
		case !tok:
			cmp = 1
		default:
			cmp = bytes.Compare(ti.Key(), ci.Key())
		}
		switch {
		case cmp < 0:
			plan.Upserts++
			plan.Rows++
			sample(&plan.SampleUpsert, ti.Key())
			emit(ti.Key(), ti.Value())
			tok = ti.Next()
		case cmp > 0:
			plan.Tombstones++
			sample(&plan.SampleDelete, ci.Key())
			emit(ci.Key(), nil)
			cok = ci.Next()
		default:
			plan.Rows++
			if bytes.Equal(ti.Value(), ci.Value()) {
				plan.Unchanged++
			} else {
				plan.Upserts++
				sample(&plan.SampleUpsert, ti.Key())
				emit(ti.Key(), ti.Value())
			}
			tok, cok = ti.Next(), ci.Next()
		}
	}
	if err := errors.Join(ti.Err(), ci.Error()); err != nil {
		return nil, err
	}
	if p != nil {
		if err := p.flush(ctx); err != nil {
			return nil, fmt.Errorf("publish to %s: %w", o.Topic, err)
		}
		plan.Written = true
	}
	return plan, nil
}

func ptr(s string) *string { return &s }

type producer struct {
	cl   *backend.WriteClient
	mu   sync.Mutex
	ferr error
}

func newProducer(cl *backend.Cluster, topic string) (*producer, error) {
	// A write client: a broker that stops answering fails the publish
	// after the stall timeout instead of hanging it (TestPublishToFrozenBrokerFails).
	c, err := cl.NewWriteClient("publish",
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	return &producer{cl: c}, nil
}

func (p *producer) send(ctx context.Context, k, v []byte) {
	rec := &kgo.Record{Key: append([]byte(nil), k...)}
	if v != nil {
		rec.Value = append([]byte(nil), v...)
	}
	p.cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
		if err != nil {
			p.mu.Lock()
			if p.ferr == nil {
				p.ferr = err
			}
			p.mu.Unlock()
		}
	})
}

func (p *producer) flush(ctx context.Context) error {
	err := p.cl.Flush(ctx)
	if stalled := p.cl.Stalled(); stalled != nil {
		return stalled
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ferr
}

func (p *producer) close() { p.cl.Close() }

// readTopicState reads a topic's committed records, to the ends taken at
// start, into db as a table: key -> latest value; a tombstone deletes.
// "Latest" does not depend on the order partitions are delivered in: a key
// written to two partitions keeps its newest record (timestamp, then
// partition), as a projection's latest does. A broker that stops answering
// fails the read after the stall timeout, never a partial table taken for
// the whole.
func readTopicState(ctx context.Context, cl *backend.Cluster, topic string, db *pebble.DB) error {
	wm, err := cl.Watermarks(ctx, topic)
	if err != nil {
		return err
	}
	lso, err := cl.StableOffsets(ctx, topic)
	if err != nil {
		return err
	}
	spec := backend.ReadSpec{Starts: map[backend.TP]int64{}, Targets: map[backend.TP]int64{}, What: "read back " + topic}
	for p, w := range wm {
		end := w[1]
		if o, ok := lso[p]; ok && o >= w[0] && o <= w[1] {
			end = o
		}
		tp := backend.TP{Topic: topic, Partition: p}
		spec.Starts[tp], spec.Targets[tp] = w[0], end
	}
	err = cl.Read(ctx, spec, func(bt *backend.Batch) error {
		if len(bt.Records) == 0 {
			return nil
		}
		b := db.NewIndexedBatch()
		defer b.Close()
		for _, r := range bt.Records {
			enc := encodeReadBack(r)
			old, closer, err := b.Get(r.Key)
			if err == nil {
				keep := readBackNewer(old, enc)
				closer.Close()
				if keep {
					continue
				}
			} else if !errors.Is(err, pebble.ErrNotFound) {
				return fmt.Errorf("read back %s: %w", topic, err)
			}
			if err := b.Set(r.Key, enc, nil); err != nil {
				return fmt.Errorf("read back %s: %w", topic, err)
			}
		}
		return b.Commit(pebble.NoSync)
	})
	if err != nil {
		return err
	}
	// Keep the table: tombstoned keys go, values lose their position.
	it, err := db.NewIter(nil)
	if err != nil {
		return err
	}
	b := db.NewBatch()
	defer b.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if v[readBackHeader-1] == 1 {
			err = b.Delete(it.Key(), nil)
		} else {
			err = b.Set(it.Key(), v[readBackHeader:], nil)
		}
		if err != nil {
			it.Close()
			return err
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// readBackHeader: timestamp ms (8), partition (4), offset (8), tombstone (1).
const readBackHeader = 21

func encodeReadBack(r *kgo.Record) []byte {
	out := make([]byte, readBackHeader, readBackHeader+len(r.Value))
	binary.BigEndian.PutUint64(out, uint64(r.Timestamp.UnixMilli()))
	binary.BigEndian.PutUint32(out[8:], uint32(r.Partition))
	binary.BigEndian.PutUint64(out[12:], uint64(r.Offset))
	if r.Value == nil {
		out[20] = 1
	}
	return append(out, r.Value...)
}

// readBackNewer reports whether stored record a is newer than b.
func readBackNewer(a, b []byte) bool {
	pa, pb := int32(binary.BigEndian.Uint32(a[8:])), int32(binary.BigEndian.Uint32(b[8:]))
	if pa == pb {
		return int64(binary.BigEndian.Uint64(a[12:])) > int64(binary.BigEndian.Uint64(b[12:]))
	}
	if ta, tb := int64(binary.BigEndian.Uint64(a)), int64(binary.BigEndian.Uint64(b)); ta != tb {
		return ta > tb
	}
	return pa > pb
}

// ReadTopicTable reads a compacted topic as a table (latest value per key,
// tombstones delete) and calls fn in key order; for checking a publish.
func ReadTopicTable(ctx context.Context, cl *backend.Cluster, topic, tmpDir string, fn func(key, value []byte) error) error {
	db, err := pebble.Open(tmpDir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer func() { _ = db.Close(); _ = os.RemoveAll(tmpDir) }()
	if err := readTopicState(ctx, cl, topic, db); err != nil {
		return err
	}
	it, err := db.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Export formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Export writes a run's table in key order: JSON lines
// {"key":"...","value":<row JSON>} or CSV with a key,value header (value is
// the row's JSON text). It returns the rows written.
func Export(ctx context.Context, dataDir, id string, w io.Writer, format string) (int64, error) {
	t, err := OpenTable(dataDir, id)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	it, err := t.Iter()
	if err != nil {
		return 0, err
	}
	defer it.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	switch format {
	case FormatJSONL, "":
	case FormatCSV:
		cw = csv.NewWriter(bw)
		if err := cw.Write([]string{"key", "value"}); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("export: unknown format %q (want jsonl or csv)", format)
	}
	var n int64
	var line []byte
	for it.Next() {
		if n%4096 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		if cw != nil {
			if err := cw.Write([]string{string(it.Key()), string(it.Value())}); err != nil {
				return n, err
			}
		} else {
			kb, _ := json.Marshal(string(it.Key()))
			line = append(line[:0], `{"key":`...)
			line = append(line, kb...)
			line = append(line, `,"value":`...)
			line = append(line, it.Value()...)
			line = append(line, "}\n"...)
			if _, err := bw.Write(line); err != nil {
				return n, err
			}
		}
		n++
	}
	if err := it.Err(); err != nil {
		return n, err
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// Delete removes a run's directory (state, metadata, spec copy). It refuses
// while the run's store is open (a run going in this or another process).
func Delete(dataDir, id string) error {
	if _, err := LoadMeta(dataDir, id); err != nil {
		return err
	}
	st, err := openStore(statePath(dataDir, id), true)
	if err != nil {
		return fmt.Errorf("delete run %q: %w", id, err)
	}
	shared := st.refs > 1
	if err := st.Close(); err != nil {
		return err
	}
	if shared {
		return fmt.Errorf("delete run %q: it is open in this process (running or being compared)", id)
	}
	if err := os.RemoveAll(RunDir(dataDir, id)); err != nil {
		return fmt.Errorf("delete run %q: %w", id, err)
	}
	return nil
}
