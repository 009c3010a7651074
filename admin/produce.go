package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
)

// One record written by the operator: the TUI produce form (Produce) and
// "re-send this record" from the record detail (PlanResend, then
// ExecuteResend) — the dead-letter-queue move for one record. Both are
// audited; the trail keeps where the record went and its sizes and header
// names, never its bytes.

// ProduceRequest is one record to write.
type ProduceRequest struct {
	Record backend.ProduceRecord
	// Partition writes to this partition; nil: by key (murmur2, as the
	// Java client; a keyless record goes where the partitioner spreads it).
	Partition *int32
	// ValueSchema names the registry subject Record.Value was encoded
	// with, for the audit trail ("" = none).
	ValueSchema string
}

// Produce writes one record: refused under read-only before anything else,
// checks the topic (and partition) exist, needs a writable audit trail,
// and audits the result with the partition and offset the broker gave.
func Produce(ctx context.Context, c *backend.Cluster, env replay.Env, req ProduceRequest) (backend.Produced, *replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return backend.Produced{}, nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditProduceKind)
	en.Topic = req.Record.Topic
	en.Produced = producedEntry(req.Record, req.Partition)
	en.Produced.ValueSchema = req.ValueSchema
	out, err := produceOne(ctx, c, env, en, req.Record, req.Partition)
	return out, en, finish(env, en, err, fmt.Sprintf("the record was written to %s", req.Record.Topic))
}

// produceOne writes rec once and records where it went in en.Produced.
func produceOne(ctx context.Context, c *backend.Cluster, env replay.Env, en *replay.AuditEntry, rec backend.ProduceRecord, partition *int32) (backend.Produced, error) {
	if err := backend.ValidTopicName(rec.Topic); err != nil {
		return backend.Produced{}, err
	}
	if err := replay.CheckAuditWritable(env.DataDir); err != nil {
		return backend.Produced{}, err
	}
	prod, err := c.NewProducer(backend.ProduceOptions{Partition: partition})
	if err != nil {
		return backend.Produced{}, err
	}
	defer prod.Close()
	if err := prod.CheckPartition(ctx, rec.Topic); err != nil {
		return backend.Produced{}, err
	}
	env.Restamp(en)
	res, err := prod.ProduceBatch(ctx, []backend.ProduceRecord{rec})
	if err != nil {
		return backend.Produced{}, err
	}
	en.Produced.To = replay.AuditRecord{Topic: res[0].Topic, Partition: res[0].Partition, Offset: res[0].Offset}
	return res[0], nil
}

func producedEntry(rec backend.ProduceRecord, partition *int32) *replay.AuditProduced {
	size := func(b []byte) int {
		if b == nil {
			return -1
		}
		return len(b)
	}
	p := int32(-1)
	if partition != nil {
		p = *partition
	}
	ap := &replay.AuditProduced{To: replay.AuditRecord{Topic: rec.Topic, Partition: p, Offset: -1},
		KeyBytes: size(rec.Key), ValueBytes: size(rec.Value)}
	for _, h := range rec.Headers {
		ap.Headers = append(ap.Headers, h.Key)
	}
	return ap
}

// ResendRequest names the record to re-send and where.
type ResendRequest struct {
	Topic     string
	Partition int32
	Offset    int64
	// To is the target topic ("" = the record's own topic).
	To string
	// DropHeaders are header names or path.Match globs ("x-trace-*")
	// left out of the copy, as redrive's --drop-header.
	DropHeaders []string
}

func (r ResendRequest) target() string {
	if r.To == "" {
		return r.Topic
	}
	return r.To
}

// ResendPlan is what a resend will write, read from the cluster.
type ResendPlan struct {
	// Record is written as it is: the stored key, value and the headers
	// kept (a new timestamp, set by the producer).
	Record backend.ProduceRecord
	// Original is the record as it is stored (its timestamp, all headers).
	Original backend.Record
	// Dropped are the names of the headers left out, in record order.
	Dropped []string
	// Partitions is the target topic's partition count; KeyPartition the
	// partition its key hashes to there (-1: no key, spread).
	Partitions   int
	KeyPartition int32
}

func (r ResendRequest) check() error {
	if err := backend.ValidTopicName(r.Topic); err != nil {
		return err
	}
	if r.To != "" {
		if err := backend.ValidTopicName(r.To); err != nil {
			return fmt.Errorf("target topic: %w", err)
		}
	}
	return CheckDropHeaders(r.DropHeaders)
}

// PlanResend reads the record again, in full, from the cluster (what the
// screen shows may be capped for display) and checks the target topic
// exists. It writes nothing.
func PlanResend(ctx context.Context, c *backend.Cluster, req ResendRequest) (*ResendPlan, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	recs, err := c.Fetch(ctx, req.Topic, req.Partition, req.Offset, 1)
	if err != nil {
		return nil, fmt.Errorf("reading %s/%d@%d: %w", req.Topic, req.Partition, req.Offset, err)
	}
	if len(recs) == 0 || recs[0].Offset != req.Offset {
		return nil, fmt.Errorf("record %s/%d@%d is gone (retention or compaction)", req.Topic, req.Partition, req.Offset)
	}
	to := req.target()
	ids, err := c.PartitionIDs(ctx, to)
	if errors.Is(err, backend.ErrUnknownTopic) {
		return nil, fmt.Errorf("topic %q does not exist (create it first: topics screen n, or rewind topic create %s)", to, to)
	}
	if err != nil {
		return nil, err
	}
	orig := recs[0]
	p := &ResendPlan{Original: orig, Partitions: len(ids), KeyPartition: -1}
	kr := &kgo.Record{Key: orig.Key, Value: orig.Value}
	for _, h := range orig.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		if dropped(req.DropHeaders, h.Key) {
			p.Dropped = append(p.Dropped, h.Key)
		}
	}
	p.Record = reproduce(kr, to, req.DropHeaders)
	if orig.Key != nil {
		p.KeyPartition = scan.KeyPartition(orig.Key, len(ids))
	}
	return p, nil
}

// ExecuteResend writes what plan read, by key to the target topic, and
// audits it (kind "resend", with the source record and where it went).
func ExecuteResend(ctx context.Context, c *backend.Cluster, env replay.Env, req ResendRequest, plan *ResendPlan) (backend.Produced, *replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return backend.Produced{}, nil, err
	}
	if plan == nil || plan.Original.Topic != req.Topic || plan.Original.Partition != req.Partition || plan.Original.Offset != req.Offset ||
		plan.Record.Topic != req.target() {
		return backend.Produced{}, nil, errors.New("resend: execute needs the plan of the same request")
	}
	en := env.NewEntry(c.Addr(), replay.AuditResendKind)
	en.Topic = req.Topic
	en.Produced = producedEntry(plan.Record, nil)
	en.Produced.From = &replay.AuditRecord{Topic: req.Topic, Partition: req.Partition, Offset: req.Offset}
	en.Produced.DropHeaders = req.DropHeaders
	out, err := func() (backend.Produced, error) {
		if err := req.check(); err != nil {
			return backend.Produced{}, err
		}
		return produceOne(ctx, c, env, en, plan.Record, nil)
	}()
	return out, en, finish(env, en, err, fmt.Sprintf("the record was re-sent to %s", plan.Record.Topic))
}
