package backend

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A writeWatch fails a write whose brokers stopped answering. kgo's
// RecordDeliveryTimeout cannot do it alone: with idempotent writes (the
// default, and what keeps a retried batch from being written twice) kgo
// never fails a record whose produce request got no answer, because its
// sequence number might have been taken; a broker frozen mid-request made
// a publish or produce wait forever. The watch counts records buffered and
// finished through kgo's hooks; when records are outstanding and none has
// finished for the stall timeout it closes the client, which fails every
// buffered record, and Stalled says why.
type writeWatch struct {
	stall    time.Duration
	buffered atomic.Int64
	finished atomic.Int64

	mu      sync.Mutex
	cl      *kgo.Client
	stalled error
	stop    chan struct{}
	once    sync.Once
}

func newWriteWatch(stall time.Duration) *writeWatch {
	return &writeWatch{stall: stall, stop: make(chan struct{})}
}

// OnProduceRecordBuffered implements kgo.HookProduceRecordBuffered.
func (w *writeWatch) OnProduceRecordBuffered(*kgo.Record) { w.buffered.Add(1) }

// OnProduceRecordUnbuffered implements kgo.HookProduceRecordUnbuffered.
func (w *writeWatch) OnProduceRecordUnbuffered(*kgo.Record, error) { w.finished.Add(1) }

// start watches cl until close.
func (w *writeWatch) start(cl *kgo.Client) {
	w.mu.Lock()
	w.cl = cl
	w.mu.Unlock()
	go w.loop()
}

func (w *writeWatch) loop() {
	tick := time.NewTicker(max(w.stall/8, 10*time.Millisecond))
	defer tick.Stop()
	last, since := w.finished.Load(), time.Now()
	for {
		select {
		case <-w.stop:
			return
		case now := <-tick.C:
			done := w.finished.Load()
			if done != last || w.buffered.Load() == done {
				last, since = done, now // progress, or nothing outstanding
				continue
			}
			if now.Sub(since) < w.stall {
				continue
			}
			w.mu.Lock()
			w.stalled = fmt.Errorf("no broker answered a write for %s (--stall-timeout): stopped with %s unacknowledged",
				w.stall.Round(time.Millisecond), records(w.buffered.Load()-done))
			cl := w.cl
			w.mu.Unlock()
			go cl.Close() // fails every buffered record; Close itself may take a moment
			return
		}
	}
}

// Stalled is why the watch stopped the write, or nil.
func (w *writeWatch) Stalled() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}

// close stops watching (the caller closes the client).
func (w *writeWatch) close() { w.once.Do(func() { close(w.stop) }) }

// WriteClient is a client for writes that fails them, instead of waiting
// forever, when the brokers stop answering for the stall timeout.
type WriteClient struct {
	*kgo.Client
	w *writeWatch
}

// NewWriteClient builds a producing client (see NewClient) with records
// that fail after DeliveryTimeout and a watch that stops the write when no
// record finishes for the stall timeout while some are outstanding.
func (c *Cluster) NewWriteClient(role string, extra ...kgo.Opt) (*WriteClient, error) {
	w := newWriteWatch(c.StallTimeout())
	opts := append([]kgo.Opt{kgo.RecordDeliveryTimeout(c.DeliveryTimeout()), kgo.WithHooks(w)}, extra...)
	cl, err := c.NewClient(role, opts...)
	if err != nil {
		return nil, err
	}
	w.start(cl)
	return &WriteClient{Client: cl, w: w}, nil
}

// Stalled is why the write was stopped (brokers not answering), or nil.
// When set, it is the cause to report rather than the records' own errors
// (they say only that the client was closed).
func (wc *WriteClient) Stalled() error { return wc.w.Stalled() }

// Close stops the watch and closes the client.
func (wc *WriteClient) Close() {
	wc.w.close()
	wc.Client.Close()
}

func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
