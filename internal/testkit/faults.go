package testkit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Stall holds matching requests unanswered, with their connections open,
// until Release: to the client the broker looks frozen (as under SIGSTOP).
type Stall struct {
	b        *Broker
	release  chan struct{}
	once     sync.Once
	released atomic.Bool
	held     atomic.Int64
	mu       sync.Mutex
	cond     *sync.Cond
}

// Stall starts holding requests of the given keys (none: every request)
// that when accepts (nil: all of them). The stall is released at the end of
// the test at the latest.
func (b *Broker) Stall(when func(kmsg.Request) bool, keys ...kmsg.Key) *Stall {
	b.needKf()
	s := &Stall{b: b, release: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	ctl := func(req kmsg.Request) (kmsg.Response, error, bool) {
		if s.released.Load() {
			b.Kf.DropControl()
			return nil, nil, false
		}
		if when != nil && !when(req) {
			return nil, nil, false
		}
		s.mu.Lock()
		s.held.Add(1)
		s.cond.Broadcast()
		s.mu.Unlock()
		b.Kf.SleepControl(func() { <-s.release })
		return nil, nil, false
	}
	if len(keys) == 0 {
		b.Kf.Control(ctl)
	}
	for _, k := range keys {
		b.Kf.ControlKey(int16(k), ctl)
	}
	b.T.Cleanup(s.Release)
	return s
}

// StallFetches stalls every fetch (the consume path) of topic ("" = all).
func (b *Broker) StallFetches(topic string) *Stall {
	var id [16]byte
	if topic != "" {
		id = b.TopicID(topic) // not from inside the control: it runs on the broker's goroutine
	}
	return b.Stall(func(r kmsg.Request) bool {
		if topic == "" {
			return true
		}
		for _, t := range r.(*kmsg.FetchRequest).Topics {
			if t.Topic == topic || (id != [16]byte{} && t.TopicID == id) {
				return true
			}
		}
		return false
	}, kmsg.Fetch)
}

// Release answers the held requests (late) and stops holding new ones.
// Safe to call twice.
func (s *Stall) Release() {
	s.once.Do(func() {
		s.released.Store(true)
		close(s.release)
	})
}

// Held is how many requests the stall has held so far.
func (s *Stall) Held() int { return int(s.held.Load()) }

// WaitHeld blocks until the stall has held at least n requests or ctx ends.
func (s *Stall) WaitHeld(ctx context.Context, n int) error {
	done := make(chan struct{})
	go func() {
		s.mu.Lock()
		for int(s.held.Load()) < n && ctx.Err() == nil {
			s.cond.Wait()
		}
		s.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// errDrop is returned by a control function: kfake closes the connection.
var errDrop = errors.New("testkit: connection dropped on cue")

// Drop closes the client's connection instead of answering the next n
// requests of key that when accepts (nil: any): a broker that crashes
// mid-request. It returns a counter of the requests dropped so far.
func (b *Broker) Drop(key kmsg.Key, n int, when func(kmsg.Request) bool) *atomic.Int64 {
	b.needKf()
	var dropped atomic.Int64
	b.Kf.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if dropped.Load() >= int64(n) {
			b.Kf.DropControl()
			return nil, nil, false
		}
		if when != nil && !when(req) {
			return nil, nil, false
		}
		if dropped.Add(1) < int64(n) {
			b.Kf.KeepControl()
		}
		return nil, errDrop, true
	})
	return &dropped
}

// Fail installs kfake faults (error answers on cue, see kfake.Fault),
// removed at the end of the test.
func (b *Broker) Fail(f ...kfake.Fault) *kfake.FaultHandle {
	b.needKf()
	h := b.Kf.Fault(f...)
	b.T.Cleanup(h.Remove)
	return h
}

// TopicID is the topic's id (zero when unknown), for matching requests
// that name topics by id (fetch v13+).
func (b *Broker) TopicID(topic string) [16]byte {
	c, cancel := ctx()
	defer cancel()
	md, err := b.Adm.Metadata(c, topic)
	if err != nil {
		return [16]byte{}
	}
	return md.Topics[topic].ID
}

func (b *Broker) needKf() {
	if b.Kf == nil {
		b.T.Fatal("testkit: fault injection needs an in-process broker (NewBroker, not Connect)")
	}
}
