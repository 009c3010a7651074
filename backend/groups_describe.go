package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Describing groups: ListGroups, the classic and KIP-848 describes and the
// committed offsets, assembled into GroupLag rows (see groups.go for the cost).

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
		w.gl.consuming = map[string]bool{}
		for t := range w.assigned {
			w.gl.consuming[t] = true
		}
		for _, t := range w.subscribed {
			w.gl.consuming[t] = true
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
