package backend

// Live part of the demo world: a producer adding a few records a second,
// and real franz-go consumer groups in the same process, each in a clearly
// different condition for the lag screens:
//
//	billing-service  orders    classic group, keeps up (autocommit)
//	inventory-sync   orders    KIP-848 group (kgo.ServerSideBalancer), keeps up
//	analytics-etl    payments  classic group, slower than production: lag grows
//	email-notifier   orders    stopped: committed offsets, no members
//	fraud-audit      audit-events  stopped, committed offset below log start
//
// Everything runs under the Embedded's context and wait group, so Close
// stops it before kfake shuts down.

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startDemo launches live traffic and the live demo consumers, unless a
// demo topic is gone (the user deleted it; auto-create is off, so producing
// to it would only log errors).
func (e *Embedded) startDemo(ctx context.Context) {
	tds, err := e.adm.ListTopics(ctx, demoOrders, demoCustomers, demoPayments, demoSensors, demoAudit)
	if err != nil {
		e.logf("demo: not starting live traffic: %v", err)
		return
	}
	for _, td := range tds {
		if td.Err != nil {
			e.logf("demo: topic %s is missing; not starting live traffic", td.Topic)
			return
		}
	}
	e.demoStarted = true
	e.wg.Add(1)
	go e.demoTraffic(ctx)

	e.runDemoConsumer(ctx, demoBilling, demoOrders, 0, false)
	e.runDemoConsumer(ctx, demoInventory, demoOrders, 0, true)
	e.runDemoConsumer(ctx, demoAnalytics, demoPayments, e.cfg.tune.analyticsDelay, false)
}

// liveOrder is an order the live producer may still move along.
type liveOrder struct {
	ev    orderEvent
	trace string
	src   string
}

func (e *Embedded) demoTraffic(ctx context.Context) {
	defer e.wg.Done()
	cl, err := NewClient(e.clientOptions(), "demo-producer",
		kgo.RecordDeliveryTimeout(30*time.Second),
	)
	if err != nil {
		e.logf("demo producer: %v", err)
		return
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = cl.Flush(fctx)
		cancel()
		cl.Close()
	}()

	if err := e.refreshStoppedGroups(ctx); err != nil && ctx.Err() == nil {
		e.logf("demo: %v", err)
	}

	// Order numbers continue past everything already in orders, so live
	// order ids never repeat across restarts.
	next := int64(10000)
	if ends, err := e.adm.ListEndOffsets(ctx, demoOrders); err == nil {
		ends.Each(func(lo kadm.ListedOffset) { next += lo.Offset })
	}
	// Live traffic need not be reproducible; seeding is.
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), demoSeed))
	nCust := scaled(400, e.cfg.tune.demoScale)
	var open []*liveOrder
	frameSeq := uint32(0)

	produce := func(rec *kgo.Record) {
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil && ctx.Err() == nil {
				e.logf("demo producer: %s: %v", rec.Topic, err)
			}
		})
	}
	now := func() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }
	orderRec := func(o *liveOrder) {
		produce(&kgo.Record{Topic: demoOrders, Key: []byte(o.ev.OrderID), Value: mustJSON(o.ev),
			Headers: []kgo.RecordHeader{hdr("trace-id", o.trace), hdr("source", o.src), hdr("schema", "orders.v1")}})
	}
	payRec := func(o *liveOrder, status string) {
		p := paymentEvent{
			PaymentID: fmt.Sprintf("pay-%s-%s", o.ev.OrderID[4:], status[:3]), OrderID: o.ev.OrderID, CustomerID: o.ev.CustomerID,
			Amount: o.ev.Amount, Currency: o.ev.Currency, Method: demoMethods[r.IntN(len(demoMethods))],
			Status: status, PSP: demoPSPs[r.IntN(len(demoPSPs))], At: now(),
		}
		produce(&kgo.Record{Topic: demoPayments, Key: []byte(o.ev.OrderID), Value: mustJSON(p),
			Headers: []kgo.RecordHeader{hdr("trace-id", o.trace), hdr("source", "psp-webhook"), hdr("schema", "payments.v1")}})
	}

	step := func() {
		if len(open) == 0 || r.IntN(10) < 5 {
			o := &liveOrder{trace: traceID(r), src: []string{"web", "mobile"}[r.IntN(2)]}
			o.ev = orderEvent{
				OrderID: fmt.Sprintf("ord-%06d", next), CustomerID: fmt.Sprintf("cus-%05d", 1+r.IntN(nCust)),
				Currency: []string{"EUR", "EUR", "USD", "GBP"}[r.IntN(4)], Status: "created", CreatedAt: now(),
			}
			next++
			total := 0.0
			for range 1 + r.IntN(3) {
				it := orderItem{SKU: fmt.Sprintf("SKU-%04d", 1000+r.IntN(200)), Qty: 1 + r.IntN(3), Price: round2(2.5 + r.Float64()*247.5)}
				o.ev.Items = append(o.ev.Items, it)
				total += float64(it.Qty) * float64(it.Price)
			}
			o.ev.Amount = round2(total)
			orderRec(o)
			open = append(open, o)
			if len(open) > 300 {
				open = open[1:]
			}
		} else {
			i := r.IntN(len(open))
			o := open[i]
			done := false
			switch o.ev.Status {
			case "created":
				if r.IntN(10) == 0 {
					o.ev.Status, done = "cancelled", true
				} else {
					payRec(o, "captured")
					o.ev.Status = "paid"
				}
			case "paid":
				o.ev.Status = "shipped"
				done = r.IntN(20) != 0
			case "shipped":
				payRec(o, "refunded")
				o.ev.Status, done = "refunded", true
			}
			orderRec(o)
			if done {
				open = append(open[:i], open[i+1:]...)
			}
		}
		if r.IntN(12) == 0 {
			id, name, email := demoCustomerIdentity(r.IntN(nCust))
			c := customerEvent{
				CustomerID: id, Name: name, Email: email,
				Tier: demoTiers[r.IntN(len(demoTiers))], Country: demoCountries[r.IntN(len(demoCountries))], UpdatedAt: now(),
			}
			produce(&kgo.Record{Topic: demoCustomers, Key: []byte(id), Value: customerValue(c),
				Headers: []kgo.RecordHeader{hdr("schema", "customers.v1"), hdr("source", "crm")}})
		}
		if r.IntN(4) == 0 {
			actor := demoActors[r.IntN(len(demoActors))]
			ev := auditEvent{EventID: fmt.Sprintf("evt-live-%d", time.Now().UnixNano()), Actor: actor,
				Action: demoActions[r.IntN(len(demoActions))], Resource: fmt.Sprintf("ord-%06d", next-1), At: now()}
			produce(&kgo.Record{Topic: demoAudit, Key: []byte(actor), Value: mustJSON(ev),
				Headers: []kgo.RecordHeader{hdr("schema", "audit.v1")}})
		}
		if r.IntN(4) == 0 {
			sensor := 1 + r.IntN(12)
			payload := make([]byte, 16+r.IntN(64))
			for j := range payload {
				payload[j] = byte(r.Uint32())
			}
			frame := []byte{0x89, 'R', 'W', 'F', 0x01}
			frame = binary.BigEndian.AppendUint16(frame, uint16(sensor))
			frame = binary.BigEndian.AppendUint32(frame, frameSeq)
			frame = binary.BigEndian.AppendUint64(frame, uint64(time.Now().UnixMilli()))
			frame = binary.BigEndian.AppendUint16(frame, uint16(len(payload)))
			frame = append(frame, payload...)
			frameSeq++
			produce(&kgo.Record{Topic: demoSensors, Key: []byte(fmt.Sprintf("sensor-%02d", sensor)), Value: frame,
				Headers: []kgo.RecordHeader{hdr("content-type", "application/x-rewind-frame"), hdr("encoding", "binary")}})
		}
	}

	tick := time.NewTicker(e.cfg.tune.trafficEvery)
	defer tick.Stop()
	refresh := time.NewTicker(6 * time.Hour)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			step()
		case <-refresh.C:
			if err := e.refreshStoppedGroups(ctx); err != nil && ctx.Err() == nil {
				e.logf("demo: %v", err)
			}
		}
	}
}

// runDemoConsumer starts one live demo group member. delay > 0 makes it a
// slow consumer (see slowConsumer) that commits only what it has processed;
// kip848 uses the broker-side (KIP-848) group protocol.
func (e *Embedded) runDemoConsumer(ctx context.Context, group, topic string, delay time.Duration, kip848 bool) {
	opts := []kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		// Without committed offsets, start near the end: these groups
		// model services that are live, not replaying history.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd().Relative(-25)),
		kgo.FetchMaxWait(time.Second),
	}
	if kip848 {
		// kgo uses KIP-848 only with a sticky or range balancer.
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.CooperativeStickyBalancer()))
	}
	var sc *slowConsumer
	if delay > 0 {
		sc = &slowConsumer{e: e, group: group, delay: delay, queues: map[int32][]*kgo.Record{}, paused: map[int32]bool{}}
		opts = append(opts,
			kgo.DisableAutoCommit(),
			// Rebalances (and so the revoke callbacks) wait while
			// a poll's records are being queued; see slowConsumer.poll.
			kgo.BlockRebalanceOnPoll(),
			kgo.OnPartitionsRevoked(sc.onRevoked),
			kgo.OnPartitionsLost(sc.onRevoked),
			// Keep fetches small: the queues hold what was fetched.
			kgo.FetchMaxPartitionBytes(64<<10),
		)
	}
	cl, err := NewClient(e.clientOptions(), "demo-"+group, opts...)
	if err != nil {
		e.logf("demo consumer %s: %v", group, err)
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cl.Close() // leaves the group; commits what autocommit owes
		if sc != nil {
			sc.cl = cl
			sc.run(ctx)
			return
		}
		for {
			fs := cl.PollRecords(ctx, 500)
			if ctx.Err() != nil || fs.IsClientClosed() {
				return
			}
			fs.EachError(func(t string, p int32, err error) {
				e.logf("demo consumer %s: %s/%d: %v", group, t, p, err)
			})
			// autocommit covers what was polled
		}
	}()
}

// Per-partition queue bounds of the slow consumer: a partition whose queue
// reaches slowQueueHigh records is paused (no more fetching) until the queue
// is down to slowQueueLow.
const (
	slowQueueHigh = 100
	slowQueueLow  = 10
)

// slowConsumer is the lagging demo group member: it processes one record
// every delay, taking the partitions of its assignment in turn, so every
// partition advances, each at 1/(delay*partitions) records a second. At the
// default 8s that is about 0.125 records/s in total against the ~0.5
// payments/s the live producer writes (~0.04 vs ~0.17 per partition): the
// lag grows on every partition. It commits exactly what it has processed
// (offset+1, per partition) after each record, never anything it has only
// fetched.
//
// kgo hands out one partition's whole buffered fetch before the next one's,
// so taking one record per poll would work through a single partition for
// hours; hence the local per-partition queues, filled by draining all
// buffered fetches at once.
type slowConsumer struct {
	e     *Embedded
	cl    *kgo.Client
	group string
	delay time.Duration

	// Owned by the run goroutine.
	queues map[int32][]*kgo.Record
	paused map[int32]bool
	topic  string
	last   int32 // partition of the last processed record

	mu      sync.Mutex
	revoked map[string][]int32 // from the rebalance callbacks, applied by run
}

// onRevoked records partitions taken away from this member; run drops their
// queued records before queueing anything fetched afterwards.
func (s *slowConsumer) onRevoked(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked == nil {
		s.revoked = map[string][]int32{}
	}
	for t, ps := range lost {
		s.revoked[t] = append(s.revoked[t], ps...)
	}
}

// takeRevoked drops the queues of revoked partitions.
func (s *slowConsumer) takeRevoked() {
	s.mu.Lock()
	rev := s.revoked
	s.revoked = nil
	s.mu.Unlock()
	for t, ps := range rev {
		for _, p := range ps {
			if t != s.topic {
				continue
			}
			delete(s.queues, p)
			s.resume(p) // a partition assigned again must be fetched again
		}
	}
}

func (s *slowConsumer) isRevoked(topic string, p int32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.revoked[topic], p)
}

func (s *slowConsumer) resume(p int32) {
	if s.paused[p] {
		s.cl.ResumeFetchPartitions(map[string][]int32{s.topic: {p}})
		delete(s.paused, p)
	}
}

// poll drains every buffered fetch into the queues; it blocks only when
// there is nothing queued.
func (s *slowConsumer) poll(ctx context.Context) bool {
	var fs kgo.Fetches
	if s.queued() == 0 {
		fs = s.cl.PollFetches(ctx)
	} else {
		fs = s.cl.PollFetches(nil) // nil: take what is buffered, do not wait
	}
	// Rebalances are blocked from here until AllowRebalance: every
	// revoke callback that ran has been seen, and what this poll returned
	// belongs to the current assignment.
	defer s.cl.AllowRebalance()
	if ctx.Err() != nil || fs.IsClientClosed() {
		return false
	}
	s.takeRevoked()
	fs.EachError(func(t string, p int32, err error) {
		s.e.logf("demo consumer %s: %s/%d: %v", s.group, t, p, err)
	})
	fs.EachRecord(func(r *kgo.Record) {
		s.topic = r.Topic // the consumer reads one topic
		s.queues[r.Partition] = append(s.queues[r.Partition], r)
	})
	for p, q := range s.queues {
		if len(q) >= slowQueueHigh && !s.paused[p] {
			s.cl.PauseFetchPartitions(map[string][]int32{s.topic: {p}})
			s.paused[p] = true
		}
	}
	return true
}

func (s *slowConsumer) queued() (n int) {
	for _, q := range s.queues {
		n += len(q)
	}
	return n
}

// next picks the first non-empty partition after the last processed one,
// wrapping around.
func (s *slowConsumer) next() (int32, bool) {
	var first, after int32 = -1, -1
	for p, q := range s.queues {
		if len(q) == 0 {
			continue
		}
		if first < 0 || p < first {
			first = p
		}
		if p > s.last && (after < 0 || p < after) {
			after = p
		}
	}
	if after >= 0 {
		return after, true
	}
	return first, first >= 0
}

func (s *slowConsumer) run(ctx context.Context) {
	s.last = -1
	tick := time.NewTicker(s.delay)
	defer tick.Stop()
	for {
		if !s.poll(ctx) {
			return
		}
		p, ok := s.next()
		if !ok {
			continue // PollFetches waits for records
		}
		// "Processing" one record takes delay.
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rec := s.queues[p][0]
		if s.isRevoked(rec.Topic, p) {
			continue // dropped by the next poll, not ours to commit
		}
		s.queues[p] = s.queues[p][1:]
		if len(s.queues[p]) == 0 {
			delete(s.queues, p)
		}
		if len(s.queues[p]) <= slowQueueLow {
			s.resume(p)
		}
		s.last = p
		// Commit even if Close has just begun: the record is processed.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		err := s.cl.CommitRecords(cctx, rec)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.e.logf("demo consumer %s: commit %s/%d@%d: %v", s.group, rec.Topic, p, rec.Offset+1, err)
		}
	}
}
