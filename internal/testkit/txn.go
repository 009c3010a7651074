package testkit

import (
	"github.com/twmb/franz-go/pkg/kgo"
)

// Txn is a transactional producer (the kind Kafka Streams, Flink or Connect
// with exactly-once run). Records produced inside a transaction are on the
// broker, but a read-committed reader sees them only after Commit, never
// after Abort; a transaction left open holds the last stable offset back.
type Txn struct {
	b  *Broker
	cl *kgo.Client
	ID string
}

// Txn returns a transactional producer with transactional id id. Each id
// fences the previous producer of the same id.
func (b *Broker) Txn(id string, opts ...kgo.Opt) *Txn {
	b.T.Helper()
	cl := b.NewClient(append([]kgo.Opt{
		kgo.TransactionalID(id),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
	}, opts...)...)
	return &Txn{b: b, cl: cl, ID: id}
}

// Begin starts a transaction.
func (x *Txn) Begin() *Txn {
	x.b.T.Helper()
	if err := x.cl.BeginTransaction(); err != nil {
		x.b.T.Fatalf("testkit: txn %s: begin: %v", x.ID, err)
	}
	return x
}

// Produce writes records inside the open transaction and waits until the
// broker has them (they are in the log, not yet committed).
func (x *Txn) Produce(recs ...*kgo.Record) *Txn {
	x.b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	if err := x.cl.ProduceSync(c, recs...).FirstErr(); err != nil {
		x.b.T.Fatalf("testkit: txn %s: produce: %v", x.ID, err)
	}
	return x
}

// Commit commits the open transaction (the broker writes commit markers).
func (x *Txn) Commit() { x.end(kgo.TryCommit) }

// Abort aborts the open transaction (the broker writes abort markers).
func (x *Txn) Abort() { x.end(kgo.TryAbort) }

func (x *Txn) end(how kgo.TransactionEndTry) {
	x.b.T.Helper()
	c, cancel := ctx()
	defer cancel()
	if err := x.cl.EndTransaction(c, how); err != nil {
		x.b.T.Fatalf("testkit: txn %s: end (commit=%v): %v", x.ID, how, err)
	}
}

// CommittedTxn writes recs in one committed transaction of a fresh producer.
func (b *Broker) CommittedTxn(id string, recs ...*kgo.Record) {
	b.T.Helper()
	b.Txn(id).Begin().Produce(recs...).Commit()
}

// AbortedTxn writes recs in one aborted transaction of a fresh producer.
func (b *Broker) AbortedTxn(id string, recs ...*kgo.Record) {
	b.T.Helper()
	b.Txn(id).Begin().Produce(recs...).Abort()
}

// OpenTxn writes recs in a transaction that stays open until the returned
// producer ends it (or the test ends and the broker times it out).
func (b *Broker) OpenTxn(id string, recs ...*kgo.Record) *Txn {
	b.T.Helper()
	return b.Txn(id).Begin().Produce(recs...)
}
