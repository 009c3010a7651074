package backend

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kgo"
)

// maxPendingTxn bounds the records a read-uncommitted read holds back
// while it waits for their transaction's marker; past it the oldest are
// delivered labelled open. Memory stays bounded by it, not by the topic.
const maxPendingTxn = 10_000

// txnLabeler labels records of a read-uncommitted read with what became of
// their transaction. A transactional record is held until its producer's
// commit or abort marker arrives (records behind it wait too, so delivery
// stays in offset order), or until the read catches up with the log: a
// record with no marker by then is open.
type txnLabeler struct {
	q     []pendingRec // in offset order, from the first undecided record
	ready []pendingRec // decided, in offset order, to be delivered
}

type pendingRec struct {
	r         *kgo.Record
	st        TxnState
	undecided bool
}

// add takes the next record of the partition (control records included).
func (l *txnLabeler) add(r *kgo.Record) {
	if r.Attrs.IsControl() {
		commit, ok := parseMarker(r.Key)
		if !ok {
			return // not a transaction marker (unknown control type): not data either
		}
		st := TxnAborted
		if commit {
			st = TxnCommitted
		}
		for i := range l.q {
			if l.q[i].undecided && l.q[i].r.ProducerID == r.ProducerID {
				l.q[i].st, l.q[i].undecided = st, false
			}
		}
		l.drain()
		return
	}
	if len(l.q) == 0 && !r.Attrs.IsTransactional() {
		l.ready = append(l.ready, pendingRec{r: r})
		return
	}
	l.q = append(l.q, pendingRec{r: r, undecided: r.Attrs.IsTransactional()})
	for len(l.q) > maxPendingTxn {
		h := l.q[0]
		if h.undecided {
			h.st = TxnOpen
		}
		l.ready = append(l.ready, h)
		l.q = l.q[1:]
		l.drain()
	}
}

// drain moves decided records from the head of the queue to ready.
func (l *txnLabeler) drain() {
	i := 0
	for i < len(l.q) && !l.q[i].undecided {
		i++
	}
	l.ready = append(l.ready, l.q[:i]...)
	l.q = l.q[i:]
	if len(l.q) == 0 {
		l.q = nil
	}
}

// flush labels every undecided record open and makes all of them ready.
func (l *txnLabeler) flush() {
	for i := range l.q {
		if l.q[i].undecided {
			l.q[i].st, l.q[i].undecided = TxnOpen, false
		}
	}
	l.drain()
}

// take returns the ready records and their states.
func (l *txnLabeler) take() ([]*kgo.Record, []TxnState) {
	if len(l.ready) == 0 {
		return nil, nil
	}
	recs := make([]*kgo.Record, len(l.ready))
	sts := make([]TxnState, len(l.ready))
	for i, p := range l.ready {
		recs[i], sts[i] = p.r, p.st
	}
	l.ready = l.ready[:0]
	return recs, sts
}

// head is the offset of the first record still held back.
func (l *txnLabeler) head() (int64, bool) {
	if len(l.q) == 0 {
		return 0, false
	}
	return l.q[0].r.Offset, true
}

// parseMarker reads a control record key: int16 version, int16 type
// (0 abort, 1 commit).
func parseMarker(key []byte) (commit, ok bool) {
	if len(key) < 4 {
		return false, false
	}
	switch binary.BigEndian.Uint16(key[2:4]) {
	case 0:
		return false, true
	case 1:
		return true, true
	}
	return false, false
}
