package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A read-only embedded log (EmbeddedConfig.ReadOnly, `rewind serve
// --read-only`) refuses every write from every client the way a Kafka ACL
// denial does: kfake faults answer produce, topic, partition and config
// changes, record deletion, offset commits, group deletion and
// transactions with the matching *_AUTHORIZATION_FAILED code. rewind's own
// retention still trims the log (its DeleteRecords are let through by
// content, see ownDelete). While it runs, DATA_DIR/read-only says so, so a
// rewind attaching through the data dir refuses writes before it sends
// them.

// readOnlyFile marks a data dir whose embedded log is served read-only.
const readOnlyFile = "read-only"

// Refusal is one write the read-only embedded log refused.
type Refusal struct {
	Request  string   // Kafka request name: Produce, CreateTopics, OffsetCommit, ...
	Topics   []string // topics it named, if any
	Group    string   // consumer group, if any
	TxnID    string   // transactional id, if any
	Resource string   // config resource, if any

	ids [][16]byte // topics named by id (Produce v13+), resolved before reporting
}

func (r Refusal) String() string { return r.What() + " refused: the embedded log is served read-only" }

// What names the request and what it named: "Produce of orders".
func (r Refusal) What() string {
	var b strings.Builder
	b.WriteString(r.Request)
	if len(r.Topics) > 0 {
		b.WriteString(" of " + strings.Join(r.Topics, ", "))
	}
	if r.Group != "" {
		b.WriteString(" by group " + r.Group)
	}
	if r.TxnID != "" {
		b.WriteString(" (transactional id " + r.TxnID + ")")
	}
	if r.Resource != "" {
		b.WriteString(" on " + r.Resource)
	}
	return b.String()
}

// readOnlyKeys are the write requests refused, by the error they get.
var readOnlyKeys = []struct {
	err  *kerr.Error
	keys []kmsg.Key
}{
	{kerr.TopicAuthorizationFailed, []kmsg.Key{kmsg.Produce, kmsg.CreateTopics, kmsg.DeleteTopics, kmsg.DeleteRecords,
		kmsg.CreatePartitions, kmsg.AlterConfigs, kmsg.IncrementalAlterConfigs, kmsg.AlterPartitionAssignments,
		kmsg.ElectLeaders, kmsg.AlterReplicaLogDirs}},
	{kerr.GroupAuthorizationFailed, []kmsg.Key{kmsg.OffsetCommit, kmsg.TxnOffsetCommit, kmsg.OffsetDelete,
		kmsg.DeleteGroups, kmsg.AlterShareGroupOffsets, kmsg.DeleteShareGroupOffsets}},
	{kerr.TransactionalIDAuthorizationFailed, []kmsg.Key{kmsg.AddPartitionsToTxn, kmsg.AddOffsetsToTxn, kmsg.EndTxn,
		kmsg.WriteTxnMarkers}},
	{kerr.ClusterAuthorizationFailed, []kmsg.Key{kmsg.InitProducerID, kmsg.CreateACLs, kmsg.DeleteACLs,
		kmsg.AlterClientQuotas, kmsg.AlterUserSCRAMCredentials, kmsg.UpdateFeatures}},
}

// readOnlyState is the embedded log's read-only machinery.
type readOnlyState struct {
	mu      sync.Mutex
	own     map[string]int64 // rewind's own pending DeleteRecords: topic\x00partition -> offset
	refused chan Refusal
}

// refuseWrites installs the faults. It runs before the listener accepts.
func (e *Embedded) refuseWrites() {
	e.ro = &readOnlyState{own: map[string]int64{}, refused: make(chan Refusal, 64)}
	for _, g := range readOnlyKeys {
		// Top-level codes for requests that have one (InitProducerID,
		// EndTxn, ...), per entity for the others (Produce, CreateTopics).
		for _, top := range []bool{true, false} {
			e.kf.Fault(kfake.Fault{Keys: g.keys, TopLevel: top, Err: g.err, Count: -1, When: e.refuse})
		}
	}
}

// refuse is the faults' When: every write but rewind's own retention. It
// runs on the broker's goroutine: no blocking, no calls into the cluster.
func (e *Embedded) refuse(req kmsg.Request) bool {
	if d, ok := req.(*kmsg.DeleteRecordsRequest); ok && e.ro.ownDelete(d) {
		return false
	}
	select {
	case e.ro.refused <- describeRefusal(req):
	default: // a flood: the audit trail gets what fits
	}
	return true
}

// ownDelete reports whether d deletes exactly what the retention driver is
// deleting right now. A client sending the same request at the same moment
// would do no more than retention does anyway.
func (s *readOnlyState) ownDelete(d *kmsg.DeleteRecordsRequest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range d.Topics {
		for _, p := range t.Partitions {
			at, ok := s.own[t.Topic+"\x00"+strconv.Itoa(int(p.Partition))]
			if !ok || at != p.Offset {
				return false
			}
			n++
		}
	}
	return n > 0
}

// allowOwn lets del through the faults until the returned func is called.
func (e *Embedded) allowOwn(del kadm.Offsets) func() {
	if e.ro == nil {
		return func() {}
	}
	e.ro.mu.Lock()
	del.Each(func(o kadm.Offset) { e.ro.own[o.Topic+"\x00"+strconv.Itoa(int(o.Partition))] = o.At })
	e.ro.mu.Unlock()
	return func() {
		e.ro.mu.Lock()
		del.Each(func(o kadm.Offset) { delete(e.ro.own, o.Topic+"\x00"+strconv.Itoa(int(o.Partition))) })
		e.ro.mu.Unlock()
	}
}

// reportRefusals hands refusals to cfg.OnRefused, one per request: the
// faults' When runs once per entity, and a client's retries of the same
// request within a second count once.
func (e *Embedded) reportRefusals(ctx context.Context) {
	defer e.wg.Done()
	var last string
	var lastAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-e.ro.refused:
			e.resolveTopicIDs(ctx, &r)
			s := r.String()
			if s == last && time.Since(lastAt) < time.Second {
				continue
			}
			last, lastAt = s, time.Now()
			e.logf("%s", s)
			if e.cfg.OnRefused != nil {
				e.cfg.OnRefused(r)
			}
		}
	}
}

// resolveTopicIDs names the topics a refusal gave by id.
func (e *Embedded) resolveTopicIDs(ctx context.Context, r *Refusal) {
	if len(r.ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	td, err := e.adm.ListTopics(ctx)
	if err != nil {
		return
	}
	for _, id := range r.ids {
		for _, d := range td {
			if [16]byte(d.ID) == id && !containsString(r.Topics, d.Topic) {
				r.Topics = append(r.Topics, d.Topic)
			}
		}
	}
	r.ids = nil
}

func describeRefusal(req kmsg.Request) Refusal {
	r := Refusal{Request: kmsg.NameForKey(req.Key())}
	addTopic := func(t string) {
		if t != "" && !containsString(r.Topics, t) {
			r.Topics = append(r.Topics, t)
		}
	}
	switch q := req.(type) {
	case *kmsg.ProduceRequest:
		for _, t := range q.Topics {
			addTopic(t.Topic)
			if t.Topic == "" && t.TopicID != [16]byte{} {
				r.ids = append(r.ids, t.TopicID)
			}
		}
		if q.TransactionID != nil {
			r.TxnID = *q.TransactionID
		}
	case *kmsg.CreateTopicsRequest:
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.DeleteTopicsRequest:
		for _, t := range q.TopicNames {
			addTopic(t)
		}
		for _, t := range q.Topics {
			if t.Topic != nil {
				addTopic(*t.Topic)
			}
		}
	case *kmsg.DeleteRecordsRequest:
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.CreatePartitionsRequest:
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.AlterConfigsRequest:
		for _, c := range q.Resources {
			r.Resource = c.ResourceName
		}
	case *kmsg.IncrementalAlterConfigsRequest:
		for _, c := range q.Resources {
			r.Resource = c.ResourceName
		}
	case *kmsg.OffsetCommitRequest:
		r.Group = q.Group
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.TxnOffsetCommitRequest:
		r.Group, r.TxnID = q.Group, q.TransactionalID
	case *kmsg.OffsetDeleteRequest:
		r.Group = q.Group
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.DeleteGroupsRequest:
		r.Group = strings.Join(q.Groups, ", ")
	case *kmsg.InitProducerIDRequest:
		if q.TransactionalID != nil {
			r.TxnID = *q.TransactionalID
		}
	case *kmsg.AddPartitionsToTxnRequest:
		r.TxnID = q.TransactionalID
		for _, t := range q.Topics {
			addTopic(t.Topic)
		}
	case *kmsg.EndTxnRequest:
		r.TxnID = q.TransactionalID
	case *kmsg.AddOffsetsToTxnRequest:
		r.TxnID, r.Group = q.TransactionalID, q.Group
	}
	return r
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// writeReadOnlyMark records in the data dir that the log is served
// read-only, with the serving pid.
func (e *Embedded) writeReadOnlyMark() error {
	return writeFileAtomic(filepath.Join(e.dir, readOnlyFile), []byte(strconv.Itoa(os.Getpid())+"\n"))
}

func (e *Embedded) removeReadOnlyMark() {
	if e.ro != nil {
		_ = os.Remove(filepath.Join(e.dir, readOnlyFile))
	}
}

// ServedReadOnly reports whether a running embedded log (perhaps in another
// process) serves dataDir read-only, and a reason naming it. A mark left
// by a killed process is ignored: the data dir's lock says whether anyone
// still serves it.
func ServedReadOnly(dataDir string) (bool, string) {
	b, err := os.ReadFile(filepath.Join(dataDir, readOnlyFile))
	if err != nil {
		return false, ""
	}
	if !dataDirLocked(dataDir) {
		return false, ""
	}
	pid := strings.TrimSpace(string(b))
	return true, fmt.Sprintf("the embedded log in %s is served read-only (rewind serve --read-only, pid %s)", dataDir, pid)
}

// gatedListener accepts nothing until open is closed: the read-only faults
// are installed before the first client connects.
type gatedListener struct {
	net.Listener
	open   <-chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (l *gatedListener) Accept() (net.Conn, error) {
	select {
	case <-l.open:
	case <-l.closed:
	}
	return l.Listener.Accept()
}

func (l *gatedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// dataDirLocked reports whether some process holds dir's lock (taking and
// dropping it at once when nobody does).
func dataDirLocked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "LOCK"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return errors.Is(err, errDirLocked)
	}
	_ = unlockFile(f)
	return false
}
