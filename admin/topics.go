package admin

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
)

// KeyOrderingWarning is shown before partitions are added: the default
// partitioner maps a key by the partition count, so keys move.
const KeyOrderingWarning = "adding partitions changes which partition a key maps to: new records of an existing key may go to a new partition, so per-key ordering is broken across the change (consumers may see a key's newer records before its older ones), and a compacted topic keeps two latest values for such keys until the old partition's record is superseded; partitions can never be removed"

// CreateTopic creates a topic and audits it.
func CreateTopic(ctx context.Context, c *backend.Cluster, env replay.Env, s backend.TopicSpec) (backend.CreatedTopic, *replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return backend.CreatedTopic{}, nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditTopicCreate)
	en.Topic = s.Name
	en.Configs = append(en.Configs, replay.AuditConfig{Name: "partitions", After: strp(strconv.Itoa(int(s.Partitions)))})
	if s.ReplicationFactor > 0 {
		en.Configs = append(en.Configs, replay.AuditConfig{Name: "replication.factor", After: strp(strconv.Itoa(int(s.ReplicationFactor)))})
	}
	names := make([]string, 0, len(s.Configs))
	for k := range s.Configs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		en.Configs = append(en.Configs, replay.AuditConfig{Name: k, After: strp(s.Configs[k])})
	}
	var ct backend.CreatedTopic
	err := func() error {
		if err := backend.ValidTopicName(s.Name); err != nil {
			return err
		}
		if err := replay.CheckAuditWritable(env.DataDir); err != nil {
			return err
		}
		var err error
		ct, err = c.CreateTopicSpec(ctx, s)
		return err
	}()
	return ct, en, finish(env, en, err, fmt.Sprintf("topic %q was created", s.Name))
}

// DeleteTopic deletes topic after the operator typed its name; the audit
// entry keeps its partition count and records.
func DeleteTopic(ctx context.Context, c *backend.Cluster, env replay.Env, topic, confirm string) (*replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditTopicDelete)
	en.Topic = topic
	en.Confirmations.Confirm = confirm
	err := func() error {
		if err := confirmedWritable(env, "topic", topic, confirm); err != nil {
			return err
		}
		parts, recs, err := topicSize(ctx, c, topic)
		if err != nil {
			return err
		}
		en.Configs = []replay.AuditConfig{
			{Name: "partitions", Before: strp(strconv.Itoa(parts))},
			{Name: "records", Before: strp(strconv.FormatInt(recs, 10))},
		}
		env.Restamp(en)
		return c.DeleteTopic(ctx, topic)
	}()
	return en, finish(env, en, err, fmt.Sprintf("topic %q was deleted", topic))
}

// TopicDeletion is what deleting a topic removes, shown before its name is
// typed (the CLI's topic delete without --confirm, the TUI's D).
type TopicDeletion struct {
	Partitions int
	Records    int64
	// Groups have committed offsets on the topic. Best effort: empty when
	// the groups could not be listed, which does not stop the preview.
	Groups []string
}

// PreviewDeleteTopic says what deleting topic would remove.
func PreviewDeleteTopic(ctx context.Context, c *backend.Cluster, topic string) (TopicDeletion, error) {
	parts, recs, err := topicSize(ctx, c, topic)
	if err != nil {
		return TopicDeletion{}, err
	}
	d := TopicDeletion{Partitions: parts, Records: recs}
	if gls, err := c.GroupLags(ctx, nil); err == nil {
		for _, g := range gls {
			if slices.Contains(g.Topics, topic) {
				d.Groups = append(d.Groups, g.Group)
			}
		}
		sort.Strings(d.Groups)
	}
	return d, nil
}

// topicSize is topic's partition count and records (high - low watermark).
func topicSize(ctx context.Context, c *backend.Cluster, topic string) (int, int64, error) {
	wm, err := c.Watermarks(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	var recs int64
	for _, w := range wm {
		recs += w[1] - w[0]
	}
	return len(wm), recs, nil
}

// AlterTopicConfig applies config changes. The preview is made again right
// before the write, so the audit's "before" is what the topic had; when it
// differs from the preview the operator saw (want), the change is refused.
func AlterTopicConfig(ctx context.Context, c *backend.Cluster, env replay.Env, topic string, changes []backend.ConfigChange, want []backend.ConfigDiff) ([]backend.ConfigDiff, *replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditTopicConfig)
	en.Topic = topic
	var diffs []backend.ConfigDiff
	err := func() error {
		if err := replay.CheckAuditWritable(env.DataDir); err != nil {
			return err
		}
		var err error
		if diffs, err = c.PlanTopicConfig(ctx, topic, changes); err != nil {
			return err
		}
		for _, d := range diffs {
			en.Configs = append(en.Configs, replay.AuditConfig{Name: d.Name, Before: d.Before, After: d.After})
		}
		if want != nil {
			if moved := configMoved(want, diffs); len(moved) > 0 {
				return replay.Refuse(replay.GuardStalePlan, fmt.Sprintf("the configs of topic %q changed since the preview; review it again", topic), moved...)
			}
		}
		env.Restamp(en)
		return c.AlterTopicConfig(ctx, topic, changes)
	}()
	return diffs, en, finish(env, en, err, fmt.Sprintf("the configs of topic %q were changed", topic))
}

func configMoved(want, got []backend.ConfigDiff) []string {
	by := map[string]backend.ConfigDiff{}
	for _, d := range want {
		by[d.Name] = d
	}
	var moved []string
	for _, d := range got {
		w, ok := by[d.Name]
		if !ok || w.BeforeSource != d.BeforeSource || !sameStr(w.Before, d.Before) {
			moved = append(moved, fmt.Sprintf("%s: was %s (%s) in the preview, now %s (%s)", d.Name, strOr(w.Before), w.BeforeSource, strOr(d.Before), d.BeforeSource))
		}
	}
	return moved
}

func sameStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func strOr(s *string) string {
	if s == nil {
		return "(none)"
	}
	return strconv.Quote(*s)
}

// AddPartitions grows topic from the count the operator saw (current) to
// total; refused when the count changed since.
func AddPartitions(ctx context.Context, c *backend.Cluster, env replay.Env, topic string, current, total int) (*replay.AuditEntry, error) {
	if err := begin(c, env); err != nil {
		return nil, err
	}
	en := env.NewEntry(c.Addr(), replay.AuditTopicPartitions)
	en.Topic = topic
	en.Configs = []replay.AuditConfig{{Name: "partitions", Before: strp(strconv.Itoa(current)), After: strp(strconv.Itoa(total))}}
	err := func() error {
		if err := replay.CheckAuditWritable(env.DataDir); err != nil {
			return err
		}
		now, err := c.PlanAddPartitions(ctx, topic, total)
		if err != nil {
			return err
		}
		if now != current {
			return replay.Refuse(replay.GuardStalePlan, fmt.Sprintf("topic %q has %d partitions now, not %d as in the preview; review it again", topic, now, current))
		}
		env.Restamp(en)
		return c.AddPartitions(ctx, topic, total)
	}()
	return en, finish(env, en, err, fmt.Sprintf("partitions were added to topic %q", topic))
}
