package backend

// Retention and compaction for the embedded log, driven by rewind instead of
// by kfake, because of what kfake (2026-09) does on its own:
//
//   - kfake applies retention only from a cleaner timer (log.cleaner.backoff.ms,
//     default 1h) that starts on some admin calls, or from Compact() /
//     ApplyRetention(). Its retention drops every batch whose max timestamp is
//     past retention.ms, so a partition whose newest record is old is emptied.
//     An emptied partition reopens at offset 0 after any restart (the snapshot
//     is ignored when no segment file is left), and consumers' committed
//     offsets then point past the end. We disable kfake's timer
//     (brokerNeverTick) and run time retention ourselves with DeleteRecords
//     clamped to HW-1: the newest record of a partition always stays.
//   - Compact() runs compaction (which always keeps a partition's last batch,
//     so cannot empty it) and then kfake's retention on every topic (which
//     can). We call it only after checking that no partition of any topic
//     would be emptied by that retention step.
//   - DeleteRecords' log start lives only in kfake's clean-shutdown snapshot,
//     so a kill -9 brings deleted records back. Every log start we set or
//     observe is written to log-starts.json (temp + fsync + rename) before
//     DeleteRecords runs, and re-applied on the next start.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const logStartsFile = "log-starts.json"

// compactSafetyMargin is how far from expiry a partition's newest record
// must be for Compact()'s retention step to be safe: it covers the time
// between our check and kfake running the compaction.
const compactSafetyMargin = 5 * time.Minute

// compactMinRetentionBytes: kfake's size retention can drop a partition's
// last batch only if that batch alone exceeds retention.bytes, and a batch
// is at most message.max.bytes (1 MiB by default). Below this we do not
// call Compact().
const compactMinRetentionBytes = 2 << 20

type logStartState struct {
	Version int `json:"version"`
	// Starts maps "topic\x00partition" to the entry; kept as a list on disk.
	starts map[string]logStartEntry
}

type logStartEntry struct {
	Topic     string `json:"topic"`
	TopicID   string `json:"topic_id"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"log_start"`
}

type logStartFile struct {
	Version int             `json:"version"`
	Starts  []logStartEntry `json:"log_starts"`
}

func lsKey(topic string, p int32) string { return topic + "\x00" + strconv.Itoa(int(p)) }

func (e *Embedded) loadState() error {
	e.state = logStartState{Version: 1, starts: map[string]logStartEntry{}}
	raw, err := os.ReadFile(filepath.Join(e.dir, logStartsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(e.dir, logStartsFile), err)
	}
	var f logStartFile
	if err := json.Unmarshal(raw, &f); err != nil {
		// A torn file cannot happen (rename is atomic), but a damaged or
		// hand-edited one can. Without it a crash can bring back records
		// retention deleted: say so, and go on only if told to.
		err = fmt.Errorf("data dir %s: %s is damaged (%v): it holds the log start offsets restored after a crash, without them records deleted by retention can reappear; restore it, or start with --accept-damage to do without", e.dir, logStartsFile, err)
		if !e.cfg.AcceptDamage {
			return err
		}
		e.logf("%v (accepted: --accept-damage)", err)
		return nil
	}
	for _, s := range f.Starts {
		e.state.starts[lsKey(s.Topic, s.Partition)] = s
	}
	return nil
}

// saveStateLocked writes the state atomically. Callers hold stateMu.
func (e *Embedded) saveStateLocked() error {
	f := logStartFile{Version: 1}
	for _, s := range e.state.starts {
		f.Starts = append(f.Starts, s)
	}
	slices.SortFunc(f.Starts, func(a, b logStartEntry) int { return ComparePartitions(a.Topic, a.Partition, b.Topic, b.Partition) })
	raw, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(e.dir, logStartsFile), raw)
}

// writeFileAtomic is temp + fsync + rename + dir fsync, so a crash leaves
// either the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	werr := tmp.Chmod(0o644) // CreateTemp makes 0600; these are not secrets
	if werr == nil {
		_, werr = tmp.Write(data)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		_ = os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// recordLogStarts raises the remembered log starts (never lowers them) and
// persists when something changed.
func (e *Embedded) recordLogStarts(ids map[string]string, starts map[string]map[int32]int64) error {
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	changed := false
	for t, ps := range starts {
		id := ids[t]
		for p, off := range ps {
			k := lsKey(t, p)
			old, ok := e.state.starts[k]
			if ok && old.TopicID == id && old.Offset >= off {
				continue
			}
			if off <= 0 && !ok {
				continue // nothing to protect
			}
			e.state.starts[k] = logStartEntry{Topic: t, TopicID: id, Partition: p, Offset: off}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return e.saveStateLocked()
}

// topicSnapshot is what one retention or restore pass works from.
type topicSnapshot struct {
	ids    map[string]string // topic -> hex topic ID
	starts kadm.ListedOffsets
	ends   kadm.ListedOffsets
	names  []string
}

func (e *Embedded) snapshotTopics(ctx context.Context) (*topicSnapshot, error) {
	// A direct metadata request, not kadm.ListTopics: kadm answers "all
	// topics" from the client's metadata cache, which can predate a topic
	// created a moment ago by another client.
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, e.cl)
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	s := &topicSnapshot{ids: map[string]string{}}
	for _, t := range resp.Topics {
		if t.Topic == nil || t.ErrorCode != 0 || t.IsInternal {
			continue
		}
		s.ids[*t.Topic] = hex.EncodeToString(t.TopicID[:])
		s.names = append(s.names, *t.Topic)
	}
	sort.Strings(s.names)
	if len(s.names) == 0 {
		return s, nil
	}
	if s.starts, err = e.adm.ListStartOffsets(ctx, s.names...); err != nil {
		return nil, fmt.Errorf("listing log start offsets: %w", err)
	}
	if s.ends, err = e.adm.ListEndOffsets(ctx, s.names...); err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}
	return s, nil
}

// restoreLogStarts re-applies remembered log starts that a crash undid, and
// forgets entries whose topic is gone or was recreated (new topic ID).
func (e *Embedded) restoreLogStarts(ctx context.Context) error {
	e.stateMu.Lock()
	n := len(e.state.starts)
	e.stateMu.Unlock()
	if n == 0 {
		return nil
	}
	snap, err := e.snapshotTopics(ctx)
	if err != nil {
		return err
	}
	del := kadm.Offsets{}
	e.stateMu.Lock()
	pruned := false
	for k, s := range e.state.starts {
		if id, ok := snap.ids[s.Topic]; !ok || id != s.TopicID {
			delete(e.state.starts, k)
			pruned = true
			continue
		}
		start, ok1 := snap.starts.Lookup(s.Topic, s.Partition)
		end, ok2 := snap.ends.Lookup(s.Topic, s.Partition)
		if !ok1 || !ok2 || start.Err != nil || end.Err != nil {
			continue
		}
		// Clamp to HW-1: an emptied partition would reopen at offset 0
		// after the next restart, which is worse than one old record.
		target := min(s.Offset, end.Offset-1)
		if target > start.Offset {
			del.Add(kadm.Offset{Topic: s.Topic, Partition: s.Partition, At: target})
			e.logf("restoring log start of %s/%d to %d (was %d after restart)", s.Topic, s.Partition, target, start.Offset)
		}
	}
	var serr error
	if pruned {
		serr = e.saveStateLocked()
	}
	e.stateMu.Unlock()
	if len(del) > 0 {
		if err := e.deleteRecords(ctx, del); err != nil {
			return err
		}
	}
	return serr
}

func (e *Embedded) deleteRecords(ctx context.Context, del kadm.Offsets) error {
	defer e.allowOwn(del)() // a read-only log still runs rewind's retention
	resps, err := e.adm.DeleteRecords(ctx, del)
	if err != nil {
		return fmt.Errorf("deleting records: %w", err)
	}
	var errs []error
	resps.Each(func(r kadm.DeleteRecordsResponse) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("deleting records of %s/%d: %w", r.Topic, r.Partition, r.Err))
		}
	})
	return errors.Join(errs...)
}

// advanceLogStarts moves log starts forward to the wanted offsets, clamped
// to HW-1 so no partition is ever emptied. The intent is persisted before
// the delete so that a crash in between still ends with the records gone.
// It returns the log starts it set.
func (e *Embedded) advanceLogStarts(ctx context.Context, snap *topicSnapshot, want map[string]map[int32]int64) (map[string]map[int32]int64, error) {
	set := map[string]map[int32]int64{}
	del := kadm.Offsets{}
	for t, ps := range want {
		for p, off := range ps {
			start, ok1 := snap.starts.Lookup(t, p)
			end, ok2 := snap.ends.Lookup(t, p)
			if !ok1 || !ok2 || start.Err != nil || end.Err != nil {
				continue
			}
			target := min(off, end.Offset-1)
			if target <= start.Offset {
				continue
			}
			if set[t] == nil {
				set[t] = map[int32]int64{}
			}
			set[t][p] = target
			del.Add(kadm.Offset{Topic: t, Partition: p, At: target})
		}
	}
	if len(del) == 0 {
		return set, nil
	}
	if err := e.recordLogStarts(snap.ids, set); err != nil {
		return nil, err
	}
	return set, e.deleteRecords(ctx, del)
}

// topicConfigs returns name -> config value for the given topics, with
// kfake's defaults filled in (DescribeConfigs reports them).
func (e *Embedded) topicConfigs(ctx context.Context, names []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(names) == 0 {
		return out, nil
	}
	rcs, err := e.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describing topic configs: %w", err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			continue
		}
		m := map[string]string{}
		for _, c := range rc.Configs {
			if c.Value != nil {
				m[c.Key] = *c.Value
			}
		}
		out[rc.Name] = m
	}
	return out, nil
}

func cfgInt(m map[string]string, key string, def int64) int64 {
	if v, ok := m[key]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// retentionMsOf mirrors kfake's effective retention.ms (topic, else its
// 7-day default, which DescribeConfigs reports).
func retentionMsOf(m map[string]string) int64 { return cfgInt(m, "retention.ms", 604800000) }

// applyRetention runs one time-retention pass over delete-policy topics
// (only the given topics when non-empty) and records the log starts seen.
func (e *Embedded) applyRetention(ctx context.Context, only ...string) error {
	snap, err := e.snapshotTopics(ctx)
	if err != nil {
		return err
	}
	names := snap.names
	if len(only) > 0 {
		names = nil
		for _, t := range only {
			if _, ok := snap.ids[t]; ok {
				names = append(names, t)
			}
		}
	}
	cfgs, err := e.topicConfigs(ctx, names)
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	want := map[string]map[int32]int64{}
	for _, t := range names {
		c := cfgs[t]
		if !strings.Contains(c["cleanup.policy"], "delete") && c["cleanup.policy"] != "" {
			continue // compact-only topics are not time-retained (as in Kafka)
		}
		cutoff := now - retentionMsOf(c)
		// Negative means "nothing expired" here, and negative timestamps
		// are special values (-1 latest, -2 earliest) to ListOffsets.
		if retentionMsOf(c) < 0 || cutoff <= 0 {
			continue
		}
		after, err := e.adm.ListOffsetsAfterMilli(ctx, cutoff, t)
		if err != nil {
			return fmt.Errorf("listing offsets of %s by time: %w", t, err)
		}
		after.Each(func(lo kadm.ListedOffset) {
			if lo.Err != nil || lo.Partition < 0 {
				return
			}
			// The first record at or after the cutoff; the end offset
			// when all records are older (clamped to HW-1 later).
			if want[t] == nil {
				want[t] = map[int32]int64{}
			}
			want[t][lo.Partition] = lo.Offset
		})
	}
	set, err := e.advanceLogStarts(ctx, snap, want)
	if err != nil {
		return err
	}
	for t, ps := range set {
		for p, off := range ps {
			e.logf("retention: %s/%d log start -> %d", t, p, off)
		}
	}
	// Remember log starts moved by anyone (another client's DeleteRecords,
	// compaction) so a crash cannot bring those records back either.
	observed := map[string]map[int32]int64{}
	snap.starts.Each(func(lo kadm.ListedOffset) {
		if lo.Err != nil {
			return
		}
		if observed[lo.Topic] == nil {
			observed[lo.Topic] = map[int32]int64{}
		}
		observed[lo.Topic][lo.Partition] = lo.Offset
	})
	return e.recordLogStarts(snap.ids, observed)
}

// compactIfSafe calls kfake's Compact() when a topic is compacted and the
// retention step Compact() also runs cannot empty any partition. It reports
// whether compaction ran.
func (e *Embedded) compactIfSafe(ctx context.Context) (bool, error) {
	snap, err := e.snapshotTopics(ctx)
	if err != nil {
		return false, err
	}
	cfgs, err := e.topicConfigs(ctx, snap.names)
	if err != nil {
		return false, err
	}
	anyCompact := false
	for _, t := range snap.names {
		if strings.Contains(cfgs[t]["cleanup.policy"], "compact") {
			anyCompact = true
		}
	}
	if !anyCompact {
		return false, nil
	}
	now := time.Now()
	for _, t := range snap.names {
		c := cfgs[t]
		if rb := cfgInt(c, "retention.bytes", -1); rb >= 0 && rb < compactMinRetentionBytes {
			e.logf("compaction skipped: %s has retention.bytes=%d, kfake could empty a partition", t, rb)
			return false, nil
		}
		rms := retentionMsOf(c)
		if rms < 0 {
			continue
		}
		// A partition is at risk when no record is younger than the
		// retention minus the margin: then every batch, including the
		// last, may be past retention when Compact() runs.
		cutoff := now.Add(-time.Duration(rms) * time.Millisecond).Add(compactSafetyMargin).UnixMilli()
		if cutoff <= 0 {
			continue
		}
		after, err := e.adm.ListOffsetsAfterMilli(ctx, cutoff, t)
		if err != nil {
			return false, fmt.Errorf("listing offsets of %s by time: %w", t, err)
		}
		risky := ""
		after.Each(func(lo kadm.ListedOffset) {
			if lo.Err != nil || lo.Partition < 0 || risky != "" {
				return
			}
			start, _ := snap.starts.Lookup(t, lo.Partition)
			end, ok := snap.ends.Lookup(t, lo.Partition)
			if !ok || end.Offset <= start.Offset {
				return // empty already; nothing to lose
			}
			if lo.Offset >= end.Offset {
				risky = fmt.Sprintf("%s/%d", t, lo.Partition)
			}
		})
		if risky != "" {
			e.logf("compaction skipped: newest record of %s is near retention; kfake's compaction pass would empty it", risky)
			return false, nil
		}
	}
	e.kf.Compact()
	return true, nil
}

// retentionLoop drives retention every retentionEvery and compaction every
// compactEvery until ctx ends. Errors are logged: a failed pass is retried
// on the next tick.
func (e *Embedded) retentionLoop(ctx context.Context) {
	defer e.wg.Done()
	ret := time.NewTicker(e.cfg.tune.retentionEvery)
	defer ret.Stop()
	cmp := time.NewTicker(e.cfg.tune.compactEvery)
	defer cmp.Stop()
	pass := func() {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := e.applyRetention(pctx); err != nil && ctx.Err() == nil {
			e.logf("retention pass: %v", err)
		}
	}
	pass()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ret.C:
			pass()
		case <-cmp.C:
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			if _, err := e.compactIfSafe(cctx); err != nil && ctx.Err() == nil {
				e.logf("compaction: %v", err)
			}
			cancel()
			pass() // record log starts compaction moved
		}
	}
}
