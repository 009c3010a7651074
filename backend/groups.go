package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/backend/lag"
)

// Consumer groups and lag.
//
// One refresh (GroupLags for every group) costs a fixed handful of batched
// requests, whatever the number of groups and partitions:
//
//	ListGroups              1 per broker (groups and their type: classic / consumer)
//	DescribeGroups          1 per coordinator, classic groups only
//	ConsumerGroupDescribe   1 per coordinator, KIP-848 groups only (skipped if none)
//	OffsetFetch             1 per coordinator, all groups in one batch (v8+)
//	Metadata                at most 1 (kgo's metadata cache may answer it)
//	ListOffsets             2 per partition leader (log starts, high watermarks)
//
// plus one batched FindCoordinator the first time (kgo caches coordinators).
// KIP-848 groups ("consumer" type in ListGroups v5+) show no members in
// DescribeGroups (kfake of 2026-09 answers state "Stable", protocol type ""
// and zero members), so they are described with ConsumerGroupDescribe (key
// 69) instead. Its assignments name topics by ID only (kfake leaves the name
// empty, and kadm.DescribeConsumerGroups keys by that name, hence the raw
// request); the IDs are mapped to names with the same Metadata response.

// GroupSummary is one row of the groups list.
type GroupSummary struct {
	Group string `json:"group"`
	// Protocol is the group type: "classic", "consumer" (KIP-848) or
	// "share" (KIP-932; listed, but has no committed offsets).
	Protocol string `json:"protocol"`
	// ProtocolType is the classic embedded protocol: "consumer", "connect",
	// or "" for a group that only holds committed offsets (no member ever
	// joined). KIP-848 groups report "consumer".
	ProtocolType string `json:"protocol_type"`
	// Assignor is the partition assignor in use ("cooperative-sticky",
	// "range", "uniform" ...), when known.
	Assignor    string   `json:"assignor,omitempty"`
	State       string   `json:"state"`
	Members     int      `json:"members"`
	Topics      []string `json:"topics"`
	Coordinator int32    `json:"coordinator"`
	// Err is set when the group could not be described or its offsets
	// could not be fetched; the rest of the row is then partial.
	Err string `json:"error,omitempty"`
}

// MemberInfo is one member of a group.
type MemberInfo struct {
	MemberID   string `json:"member_id"`
	InstanceID string `json:"instance_id,omitempty"`
	ClientID   string `json:"client_id"`
	Host       string `json:"host"`
	// Assigned is the member's current assignment: topic -> sorted
	// partitions.
	Assigned map[string][]int32 `json:"assigned"`
}

// PartitionLag is a group's position on one partition.
//
// Lag is HighWatermark - Committed, clamped at 0. A partition with no commit
// (Committed -1) has Lag -1, "unknown", and is left out of TotalLag: where
// the group would start depends on the consumer's auto.offset.reset, which
// the cluster does not know (kafka-consumer-groups prints "-", Burrow ignores
// such partitions). Such rows are listed when a member is assigned the
// partition or subscribes to its topic, so every member's work shows.
//
// When Committed < LogStart the records in between were deleted before the
// group read them: BehindLogStart is set, Lag is still HighWatermark -
// Committed, and the evaluator says LOST.
type PartitionLag struct {
	Topic          string `json:"topic"`
	Partition      int32  `json:"partition"`
	Committed      int64  `json:"committed"`
	LogStart       int64  `json:"log_start"`
	HighWatermark  int64  `json:"high_watermark"`
	Lag            int64  `json:"lag"`
	BehindLogStart bool   `json:"behind_log_start,omitempty"`
	// Owner is the member id holding the partition ("" if none); Client
	// and Host are that member's client id and host.
	Owner  string `json:"owner,omitempty"`
	Client string `json:"client,omitempty"`
	Host   string `json:"host,omitempty"`
	// Active reports that a live member holds the partition, or that the
	// group is mid-rebalance with members (ownership in flux). It feeds
	// lag.Sample.Active.
	Active         bool   `json:"active"`
	CommitMetadata string `json:"commit_metadata,omitempty"`
	Err            string `json:"error,omitempty"`
}

// Position is an offset in a partition.
type Position struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Position returns the committed position of the row.
func (p PartitionLag) Position() Position {
	return Position{Topic: p.Topic, Partition: p.Partition, Offset: p.Committed}
}

// Sample turns the row into an evaluator sample taken at `at`.
func (p PartitionLag) Sample(at time.Time) lag.Sample {
	return lag.Sample{At: at, Committed: p.Committed, LogStart: p.LogStart, HighWatermark: p.HighWatermark, Active: p.Active}
}

// GroupLag is a group with its members and per-partition lag.
type GroupLag struct {
	GroupSummary
	MembersInfo []MemberInfo   `json:"members_info"`
	Partitions  []PartitionLag `json:"partitions"`
	// TotalLag sums Lag over partitions with a commit.
	TotalLag int64 `json:"total_lag"`
	// FetchedAt is when the watermarks were listed: the sample time.
	FetchedAt time.Time `json:"fetched_at"`
}

// Observe adds one sample per partition of g to tr and returns the group
// verdict (the worst partition verdict) and the per-partition verdicts in
// the order of g.Partitions.
func (g *GroupLag) Observe(tr *lag.Tracker, now time.Time, window time.Duration) (lag.Status, []lag.Status) {
	st := make([]lag.Status, len(g.Partitions))
	for i, p := range g.Partitions {
		w := tr.Add(lag.Key{Group: g.Group, Topic: p.Topic, Partition: p.Partition}, p.Sample(g.FetchedAt))
		st[i] = w.Status(now, window)
	}
	return lag.Worst(st...), st
}

// Groups lists every group, classic and KIP-848, with its state, members and
// topics (subscribed, assigned, or committed to). It costs ListGroups,
// the describes and one batched OffsetFetch; no watermarks are listed.
func (c *Cluster) Groups(ctx context.Context) ([]GroupSummary, error) {
	gls, err := c.collectGroups(ctx, nil, false)
	if err != nil {
		return nil, err
	}
	out := make([]GroupSummary, len(gls))
	for i := range gls {
		out[i] = gls[i].GroupSummary
	}
	return out, nil
}

// GroupLags returns members and per-partition lag of the given groups (none:
// every group), sorted by name, in a handful of batched requests (see the
// top of this file). A requested group that does not exist is returned with
// Err set. Per-group and per-partition failures are reported in Err fields;
// the error is for failures that leave nothing to show.
func (c *Cluster) GroupLags(ctx context.Context, groups []string) ([]GroupLag, error) {
	return c.collectGroups(ctx, groups, true)
}

// listedGroup is one ListGroups entry.
type listedGroup struct {
	name, typ, protocolType, state string
	coordinator                    int32
}

func (c *Cluster) listGroups(ctx context.Context) (map[string]listedGroup, error) {
	req := kmsg.NewPtrListGroupsRequest()
	shards := c.cl.RequestSharded(ctx, req)
	out := make(map[string]listedGroup)
	var errs []error
	for _, sh := range shards {
		if sh.Err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", sh.Meta.NodeID, cleanErr(sh.Err)))
			continue
		}
		resp := sh.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", sh.Meta.NodeID, err))
			continue
		}
		for _, g := range resp.Groups {
			out[g.Group] = listedGroup{name: g.Group, typ: g.GroupType, protocolType: g.ProtocolType, state: g.GroupState, coordinator: sh.Meta.NodeID}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("list groups on %s: %w", c.Addr(), errors.Join(errs...))
	}
	return out, nil
}

// groupWork is one group being assembled.
type groupWork struct {
	gl         GroupLag
	subscribed []string                    // topics members subscribe to
	assigned   map[string]map[int32]member // topic -> partition -> owner
	committed  kadm.OffsetResponses
}

type member struct{ id, client, host string }

// rebalancing states: ownership is in flux, assignments may be hidden.
var rebalancing = map[string]bool{"PreparingRebalance": true, "CompletingRebalance": true, "Reconciling": true, "Assigning": true}

func (c *Cluster) collectGroups(ctx context.Context, want []string, watermarks bool) ([]GroupLag, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*c.opts.Timeout)
	defer cancel()

	listed, err := c.listGroups(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(listed))
	if len(want) == 0 {
		for g := range listed {
			names = append(names, g)
		}
	} else {
		seen := map[string]bool{}
		for _, g := range want {
			if !seen[g] {
				seen[g] = true
				names = append(names, g)
			}
		}
	}
	sort.Strings(names)

	works := make(map[string]*groupWork, len(names))
	var classic, consumer, withOffsets []string
	for _, g := range names {
		l, ok := listed[g]
		w := &groupWork{assigned: map[string]map[int32]member{}}
		w.gl.Group = g
		w.gl.Protocol = l.typ
		if w.gl.Protocol == "" {
			w.gl.Protocol = "classic"
		}
		w.gl.ProtocolType = l.protocolType
		w.gl.State = l.state
		w.gl.Coordinator = l.coordinator
		if !ok {
			w.gl.Coordinator = -1
		}
		works[g] = w
		switch l.typ {
		case "consumer":
			consumer = append(consumer, g)
			if w.gl.ProtocolType == "" {
				w.gl.ProtocolType = "consumer"
			}
			withOffsets = append(withOffsets, g)
		case "share":
			// Share groups have no committed offsets (KIP-932); list only.
		default:
			classic = append(classic, g)
			withOffsets = append(withOffsets, g)
		}
	}
	if len(names) == 0 {
		return []GroupLag{}, nil
	}

	// Describe (both protocols), fetch every group's offsets and load
	// metadata at once: none depends on another.
	var (
		wg        sync.WaitGroup
		described kadm.DescribedGroups
		descErr   error
		cgShards  []kgo.ResponseShard
		fetched   kadm.FetchOffsetsResponses
		md        kadm.Metadata
		mdErr     error
	)
	if len(classic) > 0 {
		wg.Go(func() { described, descErr = c.adm.DescribeGroups(ctx, classic...) })
	}
	if len(consumer) > 0 {
		wg.Go(func() {
			req := kmsg.NewPtrConsumerGroupDescribeRequest()
			req.Groups = consumer
			cgShards = c.cl.RequestSharded(ctx, req)
		})
	}
	if len(withOffsets) > 0 {
		wg.Go(func() { fetched = c.adm.FetchManyOffsets(ctx, withOffsets...) })
	}
	needMeta := watermarks || len(consumer) > 0
	if needMeta {
		wg.Go(func() { md, mdErr = c.adm.Metadata(ctx) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("describe groups on %s: %w", c.Addr(), cleanErr(err))
	}
	if needMeta && mdErr != nil {
		return nil, fmt.Errorf("metadata from %s: %w", c.Addr(), cleanErr(mdErr))
	}
	id2t := make(map[[16]byte]string, len(md.Topics))
	for name, td := range md.Topics {
		id2t[td.ID] = name
	}

	// Classic describes. Shard errors leave the groups of that coordinator
	// undescribed; mark them.
	if descErr != nil {
		var se *kadm.ShardErrors
		if errors.As(descErr, &se) {
			for _, e := range se.Errs {
				if req, ok := e.Req.(*kmsg.DescribeGroupsRequest); ok {
					for _, g := range req.Groups {
						if w := works[g]; w != nil {
							w.gl.Err = "describe: " + cleanErr(e.Err).Error()
						}
					}
				}
			}
		} else {
			return nil, fmt.Errorf("describe groups on %s: %w", c.Addr(), cleanErr(descErr))
		}
	}
	for _, d := range described {
		w := works[d.Group]
		if w == nil {
			continue
		}
		applyClassic(w, d)
	}

	// KIP-848 describes.
	for _, sh := range cgShards {
		if sh.Err != nil {
			for _, g := range sh.Req.(*kmsg.ConsumerGroupDescribeRequest).Groups {
				if w := works[g]; w != nil {
					w.gl.Err = "describe: " + cleanErr(sh.Err).Error()
				}
			}
			continue
		}
		for _, rg := range sh.Resp.(*kmsg.ConsumerGroupDescribeResponse).Groups {
			if w := works[rg.Group]; w != nil {
				applyConsumer(w, rg, sh.Meta.NodeID, id2t)
			}
		}
	}

	// Offsets.
	for g, r := range fetched {
		w := works[g]
		if w == nil {
			continue
		}
		if r.Err != nil {
			if errors.Is(r.Err, kerr.GroupIDNotFound) && w.gl.Err == "" && w.gl.State == "" {
				w.gl.State = "Dead"
				w.gl.Err = "no such group"
				continue
			}
			if w.gl.Err == "" {
				w.gl.Err = "offsets: " + cleanErr(r.Err).Error()
			}
			continue
		}
		w.committed = r.Fetched
	}

	// Partitions of each group: committed ∪ assigned ∪ subscribed topics'
	// partitions (from metadata).
	type tp struct {
		t string
		p int32
	}
	parts := make(map[string][]tp, len(works))
	topicSet := map[string]struct{}{}
	for _, g := range names {
		w := works[g]
		set := map[tp]struct{}{}
		topics := map[string]struct{}{}
		for t, ps := range w.committed {
			for p, o := range ps {
				if o.Err == nil && o.At < 0 {
					continue // "no commit" placeholder
				}
				set[tp{t, p}] = struct{}{}
			}
			topics[t] = struct{}{}
		}
		for t, ps := range w.assigned {
			for p := range ps {
				set[tp{t, p}] = struct{}{}
			}
			topics[t] = struct{}{}
		}
		for _, t := range w.subscribed {
			topics[t] = struct{}{}
			if td, ok := md.Topics[t]; ok && td.Err == nil {
				for p := range td.Partitions {
					set[tp{t, p}] = struct{}{}
				}
			}
		}
		w.gl.Topics = make([]string, 0, len(topics))
		for t := range topics {
			w.gl.Topics = append(w.gl.Topics, t)
			if watermarks {
				topicSet[t] = struct{}{}
			}
		}
		sort.Strings(w.gl.Topics)
		if !watermarks {
			continue
		}
		list := make([]tp, 0, len(set))
		for k := range set {
			list = append(list, k)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].t != list[j].t {
				return list[i].t < list[j].t
			}
			return list[i].p < list[j].p
		})
		parts[g] = list
	}

	out := make([]GroupLag, 0, len(names))
	if !watermarks {
		for _, g := range names {
			out = append(out, works[g].gl)
		}
		return out, nil
	}

	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	marks, err := c.listWatermarks(ctx, md, topics)
	if err != nil {
		return nil, err
	}
	now := time.Now()

	for _, g := range names {
		w := works[g]
		gl := w.gl
		gl.FetchedAt = now
		gl.Partitions = make([]PartitionLag, 0, len(parts[g]))
		inFlux := rebalancing[gl.State] && gl.Members > 0
		for _, k := range parts[g] {
			pl := PartitionLag{Topic: k.t, Partition: k.p, Committed: -1, Lag: -1}
			if o, ok := w.committed.Lookup(k.t, k.p); ok {
				if o.Err != nil {
					pl.Err = "offset: " + o.Err.Error()
				} else if o.At >= 0 {
					pl.Committed = o.At
					pl.CommitMetadata = o.Metadata
				}
			}
			if m, ok := w.assigned[k.t][k.p]; ok {
				pl.Owner, pl.Client, pl.Host = m.id, m.client, m.host
			}
			pl.Active = pl.Owner != "" || inFlux
			wm := lookupWatermark(marks, k.t, k.p)
			if wm.err != nil {
				if pl.Err == "" {
					pl.Err = "watermarks: " + wm.err.Error()
				}
			} else {
				pl.LogStart, pl.HighWatermark = wm.start, wm.end
				if pl.Committed >= 0 {
					pl.Lag = max(pl.HighWatermark-pl.Committed, 0)
					pl.BehindLogStart = pl.Committed < pl.LogStart
					gl.TotalLag += pl.Lag
				}
			}
			gl.Partitions = append(gl.Partitions, pl)
		}
		out = append(out, gl)
	}
	return out, nil
}

func applyClassic(w *groupWork, d kadm.DescribedGroup) {
	if d.Err != nil {
		if errors.Is(d.Err, kerr.GroupIDNotFound) {
			w.gl.State = "Dead"
			w.gl.Err = "no such group"
			return
		}
		w.gl.Err = "describe: " + d.Err.Error()
		return
	}
	w.gl.State = d.State
	if d.ProtocolType != "" {
		w.gl.ProtocolType = d.ProtocolType
	}
	w.gl.Assignor = d.Protocol
	w.gl.Coordinator = d.Coordinator.NodeID
	w.gl.Members = len(d.Members)
	subs := map[string]struct{}{}
	for _, m := range d.Members {
		mi := MemberInfo{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: map[string][]int32{}}
		if m.InstanceID != nil {
			mi.InstanceID = *m.InstanceID
		}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				mi.Assigned[t.Topic] = append(mi.Assigned[t.Topic], t.Partitions...)
			}
		}
		if j, ok := m.Join.AsConsumer(); ok {
			for _, t := range j.Topics {
				subs[t] = struct{}{}
			}
		}
		w.addMember(mi)
	}
	for t := range subs {
		w.subscribed = append(w.subscribed, t)
	}
}

func applyConsumer(w *groupWork, rg kmsg.ConsumerGroupDescribeResponseGroup, coordinator int32, id2t map[[16]byte]string) {
	if err := kerr.ErrorForCode(rg.ErrorCode); err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			w.gl.State = "Dead"
			w.gl.Err = "no such group"
			return
		}
		w.gl.Err = "describe: " + err.Error()
		return
	}
	w.gl.State = rg.State
	w.gl.Assignor = rg.AssignorName
	w.gl.Coordinator = coordinator
	w.gl.Members = len(rg.Members)
	subs := map[string]struct{}{}
	for _, m := range rg.Members {
		mi := MemberInfo{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: map[string][]int32{}}
		if m.InstanceID != nil {
			mi.InstanceID = *m.InstanceID
		}
		for _, a := range m.Assignment.TopicPartitions {
			name := a.Topic
			if name == "" {
				name = id2t[a.TopicID]
			}
			if name == "" {
				name = fmt.Sprintf("<unknown topic id %x>", a.TopicID)
			}
			mi.Assigned[name] = append(mi.Assigned[name], a.Partitions...)
		}
		for _, t := range m.SubscribedTopics {
			subs[t] = struct{}{}
		}
		w.addMember(mi)
	}
	for t := range subs {
		w.subscribed = append(w.subscribed, t)
	}
}

func (w *groupWork) addMember(mi MemberInfo) {
	for t, ps := range mi.Assigned {
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		if w.assigned[t] == nil {
			w.assigned[t] = map[int32]member{}
		}
		for _, p := range ps {
			w.assigned[t][p] = member{mi.MemberID, mi.ClientID, mi.Host}
		}
	}
	w.gl.MembersInfo = append(w.gl.MembersInfo, mi)
}

type topicPartition struct {
	topic     string
	partition int32
}

type watermark struct {
	start, end int64
	err        error
}

// listWatermarks lists log starts and high watermarks of every partition of
// topics with one ListOffsets per leader for each, sent straight to the
// leaders named in md (no extra metadata round trip). Partitions whose
// leader moved are retried once through kadm, which reloads metadata.
func (c *Cluster) listWatermarks(ctx context.Context, md kadm.Metadata, topics []string) (map[topicPartition]watermark, error) {
	out := make(map[topicPartition]watermark)
	byLeader := map[int32]map[string][]int32{}
	for _, t := range topics {
		td, ok := md.Topics[t]
		if !ok || td.Err != nil {
			var err error = kerr.UnknownTopicOrPartition
			if ok {
				err = td.Err
			}
			out[topicPartition{t, -1}] = watermark{err: err}
			continue
		}
		for p, pd := range td.Partitions {
			if pd.Leader < 0 {
				out[topicPartition{t, p}] = watermark{err: kerr.LeaderNotAvailable}
				continue
			}
			m := byLeader[pd.Leader]
			if m == nil {
				m = map[string][]int32{}
				byLeader[pd.Leader] = m
			}
			m[t] = append(m[t], p)
		}
	}

	type result struct {
		leader int32
		start  bool
		resp   *kmsg.ListOffsetsResponse
		err    error
	}
	results := make(chan result, 2*len(byLeader))
	var wg sync.WaitGroup
	for leader, tps := range byLeader {
		for _, start := range []bool{true, false} {
			wg.Go(func() {
				req := kmsg.NewPtrListOffsetsRequest()
				req.ReplicaID = -1
				ts := int64(-1)
				if start {
					ts = -2
				}
				for t, ps := range tps {
					rt := kmsg.NewListOffsetsRequestTopic()
					rt.Topic = t
					for _, p := range ps {
						rp := kmsg.NewListOffsetsRequestTopicPartition()
						rp.Partition = p
						rp.Timestamp = ts
						rt.Partitions = append(rt.Partitions, rp)
					}
					req.Topics = append(req.Topics, rt)
				}
				resp, err := req.RequestWith(ctx, c.cl.Broker(int(leader)))
				results <- result{leader, start, resp, err}
			})
		}
	}
	wg.Wait()
	close(results)

	retry := map[string]struct{}{}
	for r := range results {
		if r.err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("list offsets on %s: %w", c.Addr(), cleanErr(r.err))
			}
			for t := range byLeader[r.leader] {
				retry[t] = struct{}{}
			}
			continue
		}
		for _, t := range r.resp.Topics {
			for _, p := range t.Partitions {
				k := topicPartition{t.Topic, p.Partition}
				wm := out[k]
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					if retriableLeaderErr(err) {
						retry[t.Topic] = struct{}{}
					}
					wm.err = err
				} else if r.start {
					wm.start = p.Offset
				} else {
					wm.end = p.Offset
				}
				out[k] = wm
			}
		}
	}
	if len(retry) > 0 {
		ts := make([]string, 0, len(retry))
		for t := range retry {
			ts = append(ts, t)
		}
		starts, err1 := c.adm.ListStartOffsets(ctx, ts...)
		ends, err2 := c.adm.ListEndOffsets(ctx, ts...)
		if err := errors.Join(err1, err2); err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("list offsets on %s: %w", c.Addr(), cleanErr(err))
		}
		for _, t := range ts {
			for p := range md.Topics[t].Partitions {
				k := topicPartition{t, p}
				s, ok1 := starts.Lookup(t, p)
				e, ok2 := ends.Lookup(t, p)
				switch {
				case !ok1 || !ok2:
					out[k] = watermark{err: errors.New("missing from list offsets")}
				case s.Err != nil:
					out[k] = watermark{err: s.Err}
				case e.Err != nil:
					out[k] = watermark{err: e.Err}
				default:
					out[k] = watermark{start: s.Offset, end: e.Offset}
				}
			}
		}
	}
	return out, nil
}

// lookupWatermark finds a partition's watermarks; a topic missing from
// metadata (deleted while the group still has commits on it) reports its
// topic-level error on every partition.
func lookupWatermark(marks map[topicPartition]watermark, t string, p int32) watermark {
	if wm, ok := marks[topicPartition{t, p}]; ok {
		return wm
	}
	if wm, ok := marks[topicPartition{t, -1}]; ok {
		return wm
	}
	return watermark{err: kerr.UnknownTopicOrPartition}
}

func retriableLeaderErr(err error) bool {
	return errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.LeaderNotAvailable) ||
		errors.Is(err, kerr.FencedLeaderEpoch) || errors.Is(err, kerr.UnknownLeaderEpoch) ||
		errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.NotCoordinator)
}

// Time lag.
//
// A group's time lag on a partition is the age of the oldest record it has
// not consumed: now - the timestamp of the record at the committed offset.
// RecordTimes reads many such records at once: each round sends one Fetch per
// leader broker carrying every pending partition (all topics), starting at
// that partition's lowest pending offset; every pending offset the returned
// batches cover is answered from the same response. Groups on the same
// partition a few records apart therefore share a fetch. A timestamp at an
// offset never changes, so callers pass the previous answer as `known` and
// only new positions are fetched: a stopped group costs nothing after the
// first refresh.

const (
	timeFetchRounds    = 6
	timePartitionBytes = 64 << 10 // one pending offset: one batch is enough
	timeSpreadBytes    = 1 << 20  // several pending offsets: read further
	timeMaxPartBytes   = 16 << 20
	timeRequestBytes   = 32 << 20
)

var timeDecompressor = kgo.DefaultDecompressor()

// Where a time lag comes from.
const (
	TimeLagRecord   = "record"   // age of the record at the committed offset (exact)
	TimeLagEstimate = "estimate" // that record is gone or unread: from high-watermark samples
	// TimeLagAtLeast: the committed offset is below the log start; the oldest
	// surviving record's age is a lower bound (the unread records were older).
	TimeLagAtLeast = "at-least"
)

// TimeLag is how far behind a group is on a partition in wall-clock time.
type TimeLag struct {
	Lag time.Duration
	// Source is TimeLagRecord, TimeLagEstimate, or "" when unknown.
	Source string
}

// TimeLag returns the partition's time lag at now: the age of the record at
// the committed offset when times (from TimeLags) has it, 0 when there is no
// lag, else the estimate from w's high-watermark history (w may be nil).
func (p PartitionLag) TimeLag(now time.Time, times map[Position]time.Time, w *lag.Window) TimeLag {
	if p.Committed < 0 || p.Err != "" {
		return TimeLag{}
	}
	if p.Lag == 0 {
		return TimeLag{Source: TimeLagRecord}
	}
	if t, ok := times[p.Position()]; ok {
		return TimeLag{Lag: max(now.Sub(t), 0), Source: TimeLagRecord}
	}
	if p.Committed < p.LogStart {
		// The record at the commit was deleted; the oldest record left is
		// younger than it, so its age is a floor, and unlike an estimate from
		// the produce rate it never goes down while the group is stopped.
		if t, ok := times[Position{p.Topic, p.Partition, p.LogStart}]; ok {
			return TimeLag{Lag: max(now.Sub(t), 0), Source: TimeLagAtLeast}
		}
	}
	if w != nil {
		if d, ok := w.TimeLag(p.Committed); ok {
			last, _ := w.Last()
			return TimeLag{Lag: d + max(now.Sub(last.At), 0), Source: TimeLagEstimate}
		}
	}
	return TimeLag{}
}

// RecordTime returns the timestamp of the record at offset (the first record
// at or after it, on a compacted log). ok is false when there is no such
// record: the offset is below the log start (deleted) or at/after the high
// watermark.
func (c *Cluster) RecordTime(ctx context.Context, topic string, partition int32, offset int64) (time.Time, bool, error) {
	pos := Position{topic, partition, offset}
	ts, err := c.RecordTimes(ctx, []Position{pos}, nil)
	if err != nil {
		return time.Time{}, false, err
	}
	t, ok := ts[pos]
	return t, ok, nil
}

// TimeLags returns the timestamp of the record at the committed offset of
// every partition in lags that has a record there (Committed in [LogStart,
// HighWatermark)), keyed by PartitionLag.Position(). Time lag is then
// FetchedAt (or now) minus that timestamp. Partitions with no lag are absent
// (time lag 0), as are those whose record is gone (BehindLogStart): use
// lag.EstimateTimeLag from the sample history for those, and say it is an
// estimate. Pass the previous result as known to skip positions already read.
func (c *Cluster) TimeLags(ctx context.Context, lags []GroupLag, known map[Position]time.Time) (map[Position]time.Time, error) {
	var pos []Position
	for i := range lags {
		for _, p := range lags[i].Partitions {
			if p.Err == "" && p.Committed >= 0 && p.Committed >= p.LogStart && p.Committed < p.HighWatermark {
				pos = append(pos, p.Position())
			} else if p.Err == "" && p.Committed >= 0 && p.Committed < p.LogStart && p.LogStart < p.HighWatermark {
				pos = append(pos, Position{p.Topic, p.Partition, p.LogStart})
			}
		}
	}
	return c.RecordTimes(ctx, pos, known)
}

// RecordTimes returns, for each position that has a record, its timestamp,
// with a few batched fetches (see above). Positions whose record is gone or
// not yet written are absent. Entries of known that are asked for again are
// reused without a fetch.
func (c *Cluster) RecordTimes(ctx context.Context, positions []Position, known map[Position]time.Time) (map[Position]time.Time, error) {
	out := make(map[Position]time.Time, len(positions))
	pending := map[topicPartition][]int64{}
	for _, p := range positions {
		if t, ok := known[p]; ok {
			out[p] = t
			continue
		}
		if p.Offset < 0 {
			continue
		}
		k := topicPartition{p.Topic, p.Partition}
		pending[k] = append(pending[k], p.Offset)
	}
	if len(pending) == 0 {
		return out, nil
	}
	topicSet := map[string]struct{}{}
	for k, offs := range pending {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		pending[k] = dedupe(offs)
		topicSet[k.topic] = struct{}{}
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	sort.Strings(topics)

	ctx, cancel := context.WithTimeout(ctx, 2*c.opts.Timeout)
	defer cancel()
	md, err := c.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", strings.Join(topics, ","), cleanErr(err))
	}
	partBytes := map[topicPartition]int32{}
	reloaded := false
	for round := 0; round < timeFetchRounds && len(pending) > 0; round++ {
		resps, retry, err := c.fetchPositions(ctx, md, pending, partBytes)
		if err != nil {
			return nil, err
		}
		for k, fp := range resps {
			offs := pending[k]
			if errors.Is(fp.Err, kerr.OffsetOutOfRange) {
				// Below the log start (gone) or at/after the end: no record.
				keep := offs[:0]
				for _, o := range offs {
					if o >= fp.LogStartOffset && o < fp.HighWatermark {
						keep = append(keep, o)
					}
				}
				pending[k] = keep
				if len(keep) == 0 || keep[0] == offs[0] {
					delete(pending, k) // no progress possible
				}
				continue
			}
			if fp.Err != nil {
				delete(pending, k)
				continue
			}
			// Drop offsets past the end; answer those the records cover.
			recs := fp.Records
			keep := offs[:0]
			ri := 0
			for _, o := range offs {
				if o >= fp.HighWatermark {
					continue
				}
				for ri < len(recs) && recs[ri].Offset < o {
					ri++
				}
				if ri < len(recs) {
					out[Position{k.topic, k.partition, o}] = recs[ri].Timestamp
					continue
				}
				keep = append(keep, o)
			}
			if len(keep) == 0 {
				delete(pending, k)
				continue
			}
			if len(recs) == 0 {
				// Nothing returned below the end: the batch was larger than
				// this partition's share of the response. Ask for more.
				b := max(partBytes[k]*4, timeSpreadBytes)
				if b > timeMaxPartBytes {
					delete(pending, k)
					continue
				}
				partBytes[k] = b
			}
			pending[k] = keep
		}
		if len(retry) > 0 {
			if reloaded {
				for k := range retry {
					delete(pending, k)
				}
				continue
			}
			reloaded = true
			if md, err = c.adm.Metadata(ctx, topics...); err != nil {
				return nil, fmt.Errorf("metadata for %s: %w", strings.Join(topics, ","), cleanErr(err))
			}
		}
	}
	return out, nil
}

func dedupe(s []int64) []int64 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// fetchPositions sends one Fetch per leader for every pending partition at
// its lowest pending offset. It returns the decoded partitions and the
// partitions to retry after a metadata reload (leader moved, unknown topic).
func (c *Cluster) fetchPositions(ctx context.Context, md kadm.Metadata, pending map[topicPartition][]int64, partBytes map[topicPartition]int32) (map[topicPartition]kgo.FetchPartition, map[topicPartition]struct{}, error) {
	retry := map[topicPartition]struct{}{}
	byLeader := map[int32]map[string][]int32{}
	for k := range pending {
		td, ok := md.Topics[k.topic]
		pd, pok := td.Partitions[k.partition]
		if !ok || td.Err != nil || !pok || pd.Leader < 0 {
			retry[k] = struct{}{}
			continue
		}
		m := byLeader[pd.Leader]
		if m == nil {
			m = map[string][]int32{}
			byLeader[pd.Leader] = m
		}
		m[k.topic] = append(m[k.topic], k.partition)
	}
	type result struct {
		resp *kmsg.FetchResponse
		err  error
		req  *kmsg.FetchRequest
	}
	results := make(chan result, len(byLeader))
	var wg sync.WaitGroup
	for leader, tps := range byLeader {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 1
		req.MaxBytes = timeRequestBytes
		req.SessionEpoch = -1
		for t, ps := range tps {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = t
			rt.TopicID = md.Topics[t].ID
			for _, p := range ps {
				k := topicPartition{t, p}
				rp := kmsg.NewFetchRequestTopicPartition()
				rp.Partition = p
				rp.FetchOffset = pending[k][0]
				rp.PartitionMaxBytes = partBytes[k]
				if rp.PartitionMaxBytes == 0 {
					rp.PartitionMaxBytes = timePartitionBytes
					if len(pending[k]) > 1 {
						rp.PartitionMaxBytes = timeSpreadBytes
					}
				}
				rp.CurrentLeaderEpoch = -1
				rp.LastFetchedEpoch = -1
				rp.LogStartOffset = -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		wg.Go(func() {
			resp, err := req.RequestWith(ctx, c.cl.Broker(int(leader)))
			results <- result{resp, err, req}
		})
	}
	wg.Wait()
	close(results)

	id2t := make(map[[16]byte]string, len(md.Topics))
	for name, td := range md.Topics {
		id2t[td.ID] = name
	}
	out := map[topicPartition]kgo.FetchPartition{}
	for r := range results {
		if r.err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("fetch record times from %s: %w", c.Addr(), cleanErr(r.err))
			}
			for _, t := range r.req.Topics {
				for _, p := range t.Partitions {
					retry[topicPartition{t.Topic, p.Partition}] = struct{}{}
				}
			}
			continue
		}
		if err := kerr.ErrorForCode(r.resp.ErrorCode); err != nil {
			return nil, nil, fmt.Errorf("fetch record times from %s: %w", c.Addr(), err)
		}
		for i := range r.resp.Topics {
			rt := &r.resp.Topics[i]
			name := rt.Topic
			if name == "" {
				name = id2t[rt.TopicID]
			}
			for j := range rt.Partitions {
				rp := &rt.Partitions[j]
				k := topicPartition{name, rp.Partition}
				offs, ok := pending[k]
				if !ok {
					continue
				}
				fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
					Offset:    offs[0],
					Topic:     name,
					Partition: rp.Partition,
				}, rp, timeDecompressor, nil)
				if retriableLeaderErr(fp.Err) || errors.Is(fp.Err, kerr.UnknownTopicID) {
					retry[k] = struct{}{}
					continue
				}
				out[k] = fp
			}
		}
	}
	return out, retry, nil
}
