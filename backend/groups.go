package backend

import (
	"cmp"
	"context"
	"time"

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

// ComparePartitions orders partitions as every listing prints them: by
// topic, then partition number.
func ComparePartitions(topicA string, partA int32, topicB string, partB int32) int {
	return cmp.Or(cmp.Compare(topicA, topicB), cmp.Compare(partA, partB))
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
	// consuming is the topics the members subscribe to or are assigned.
	consuming map[string]bool
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
