package backend

// Seeding the demo world into the embedded log, once: markers that tell
// a finished seeding from an interrupted one, the topics, the records and
// the demo groups' starting positions.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func (e *Embedded) markerPath(name string) string { return filepath.Join(e.dir, name) }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// seedDemo makes sure the demo world exists. It reports whether the demo
// world is rewind's (so live traffic and consumers may run).
func (e *Embedded) seedDemo(ctx context.Context) (bool, error) {
	if fileExists(e.markerPath(demoSeededMarker)) {
		return true, nil
	}
	names := make([]string, 0, len(demoTopicDefs))
	for _, t := range demoTopicDefs {
		names = append(names, t.name)
	}
	if ours, err := e.beginSeeding(ctx, "the demo", names, demoSeedingMarker, e.dropDemo); !ours || err != nil {
		return false, err
	}

	start := time.Now()
	counts, err := e.seedDemoData(ctx, start)
	if err != nil {
		return false, err
	}
	marker, _ := json.MarshalIndent(map[string]any{
		"seeded_at": start.UTC().Format(time.RFC3339),
		"seed":      demoSeed,
		"records":   counts,
	}, "", " ")
	if err := writeFileAtomic(e.markerPath(demoSeededMarker), append(marker, '\n')); err != nil {
		return false, err
	}
	_ = os.Remove(e.markerPath(demoSeedingMarker))
	e.logf("demo: seeded in %v", time.Since(start).Round(time.Millisecond))
	return true, nil
}

// dropDemo deletes what an interrupted seeding left behind.
func (e *Embedded) dropDemo(ctx context.Context, topics []string) error {
	if err := e.dropTopics(ctx, topics); err != nil {
		return err
	}
	resps, err := e.adm.DeleteGroups(ctx, demoGroups...)
	if err != nil {
		return fmt.Errorf("deleting half-seeded demo groups: %w", err)
	}
	for _, r := range resps {
		if r.Err != nil && !errors.Is(r.Err, kerr.GroupIDNotFound) {
			return fmt.Errorf("deleting demo group %s: %w", r.Group, r.Err)
		}
	}
	return nil
}

// beginSeeding starts seeding the topics names (what names them in the
// log) under the marker seeding: an interrupted seeding before (the marker
// is there) is dropped and started over; topics that exist without it are
// not rewind's, so nothing is seeded (ours false).
func (e *Embedded) beginSeeding(ctx context.Context, what string, names []string, seeding string, drop func(context.Context, []string) error) (ours bool, err error) {
	existing, err := e.existingTopics(ctx, names)
	if err != nil {
		return false, err
	}
	if fileExists(e.markerPath(seeding)) {
		// An interrupted seeding: start over from nothing.
		e.logf("demo: previous seeding of %s was interrupted; seeding again", what)
		if err := drop(ctx, existing); err != nil {
			return false, err
		}
	} else if len(existing) > 0 {
		e.logf("demo: topics %s already exist and are not rewind's demo; not seeding", strings.Join(existing, ", "))
		return false, nil
	}
	if err := writeFileAtomic(e.markerPath(seeding), []byte("seeding started "+time.Now().UTC().Format(time.RFC3339)+"\n")); err != nil {
		return false, err
	}
	return true, nil
}

// existingTopics are those of names that exist.
func (e *Embedded) existingTopics(ctx context.Context, names []string) ([]string, error) {
	tds, err := e.adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	var existing []string
	for _, td := range tds {
		if td.Err == nil {
			existing = append(existing, td.Topic)
		}
	}
	return existing, nil
}

// dropTopics deletes the topics of a half-done seeding (gone already is fine).
func (e *Embedded) dropTopics(ctx context.Context, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	resps, err := e.adm.DeleteTopics(ctx, topics...)
	if err != nil {
		return fmt.Errorf("deleting half-seeded demo topics: %w", err)
	}
	if err := resps.Error(); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("deleting half-seeded demo topics: %w", err)
	}
	return nil
}

// createTopics creates the demo topics defs (one replica; existing is fine).
func (e *Embedded) createTopics(ctx context.Context, defs []demoTopic) error {
	for _, t := range defs {
		cfgs := map[string]*string{}
		for k, v := range t.configs {
			cfgs[k] = &v
		}
		resp, err := e.adm.CreateTopic(ctx, t.partitions, 1, cfgs, t.name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("creating topic %s: %w", t.name, err)
		}
	}
	return nil
}

// seedDemoData creates the topics, produces the records, commits the demo
// groups' starting positions, and runs retention and compaction once.
func (e *Embedded) seedDemoData(ctx context.Context, now time.Time) (map[string]int, error) {
	if err := e.createTopics(ctx, demoTopicDefs); err != nil {
		return nil, err
	}

	base := now.Add(-demoWindow)
	data := generateDemo(base, e.cfg.tune.demoScale)
	counts := map[string]int{}
	for _, t := range demoTopicDefs {
		recs := data.byTopic[t.name]
		counts[t.name] = len(recs)
		// The changelog goes out in several rounds so it spans many
		// batches: compaction always keeps a partition's last batch, and
		// one batch per partition would leave nothing to compact.
		rounds := 1
		if t.name == demoCustomers {
			rounds = 12
		}
		per := (len(recs) + rounds - 1) / rounds
		for i := 0; i < len(recs); i += per {
			chunk := recs[i:min(i+per, len(recs))]
			krs := make([]*kgo.Record, len(chunk))
			for j, rec := range chunk {
				krs[j] = &kgo.Record{Topic: rec.topic, Key: rec.key, Value: rec.value, Headers: rec.headers, Timestamp: base.Add(rec.at)}
			}
			if err := e.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
				return nil, fmt.Errorf("producing demo records to %s: %w", t.name, err)
			}
		}
	}

	ends, err := e.adm.ListEndOffsets(ctx, demoOrders, demoPayments, demoAudit)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}
	at := func(topic string, frac float64) kadm.Offsets {
		offs := kadm.Offsets{}
		ends.Each(func(lo kadm.ListedOffset) {
			if lo.Topic == topic && lo.Err == nil {
				offs.Add(kadm.Offset{Topic: topic, Partition: lo.Partition, At: int64(float64(lo.Offset) * frac), LeaderEpoch: -1})
			}
		})
		return offs
	}
	// Starting positions: billing keeps up from the end; analytics starts
	// well behind; email-notifier stopped a while ago; fraud-audit stopped
	// so long ago that retention has since passed it.
	for _, g := range []struct {
		group string
		offs  kadm.Offsets
	}{
		{demoBilling, at(demoOrders, 1)},
		{demoAnalytics, at(demoPayments, 0.7)},
		{demoEmail, at(demoOrders, 0.85)},
		{demoFraud, at(demoAudit, 0.1)},
	} {
		if err := e.adm.CommitAllOffsets(ctx, g.group, g.offs); err != nil {
			return nil, fmt.Errorf("committing offsets for demo group %s: %w", g.group, err)
		}
	}

	if err := e.applyRetention(ctx, demoAudit); err != nil {
		return nil, fmt.Errorf("applying retention to %s: %w", demoAudit, err)
	}
	if _, err := e.compactIfSafe(ctx); err != nil {
		return nil, fmt.Errorf("compacting %s: %w", demoCustomers, err)
	}
	return counts, nil
}

// refreshStoppedGroups re-commits the stopped demo groups' offsets. They
// have no members, so Kafka (and kfake) expire their offsets after
// offsets.retention.minutes (7 days); re-committing the same offsets keeps
// the demo's "stopped" and "behind log start" groups alive.
func (e *Embedded) refreshStoppedGroups(ctx context.Context) error {
	for _, g := range []string{demoEmail, demoFraud} {
		resps, err := e.adm.FetchOffsets(ctx, g)
		if err != nil {
			return fmt.Errorf("fetching offsets of %s: %w", g, err)
		}
		offs := resps.Offsets()
		if len(offs) == 0 {
			continue // expired while rewind was not running: leave it gone
		}
		if err := e.adm.CommitAllOffsets(ctx, g, offs); err != nil {
			return fmt.Errorf("refreshing offsets of %s: %w", g, err)
		}
	}
	return nil
}
