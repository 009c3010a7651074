package backend

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// On start-up kfake truncates a segment file at the first batch it cannot
// read (cut short, bad length, CRC mismatch) and carries on: the records
// from there to the end of the partition are gone, silently, for good.
// checkSegments reads every segment the way kfake will, before kfake
// opens the dir, and refuses to start on damage with one line naming the
// file, the partition and the records that would be lost, unless the
// operator accepts the loss (EmbeddedConfig.AcceptDamage). It reads every
// segment once; kfake reads them right after, from the page cache.

// DamagedError is a data dir whose log cannot be read whole.
type DamagedError struct {
	Dir     string
	Damages []SegmentDamage
}

// SegmentDamage is one partition whose segment is damaged.
type SegmentDamage struct {
	File       string // relative to the data dir
	Topic      string
	Partition  int32
	At         int64 // byte offset of the first unreadable batch
	Size       int64 // file size
	FromOffset int64 // first record offset lost (-1: unknown)
	HighWater  int64 // the partition's end at the last clean shutdown (-1: unknown)
	Why        string
}

func (d SegmentDamage) String() string {
	lost := "the records after it"
	switch {
	case d.FromOffset >= 0 && d.HighWater > d.FromOffset:
		lost = fmt.Sprintf("offsets %d to %d (%d records) of %s/%d", d.FromOffset, d.HighWater-1, d.HighWater-d.FromOffset, d.Topic, d.Partition)
	case d.FromOffset >= 0:
		lost = fmt.Sprintf("the records of %s/%d from offset %d on", d.Topic, d.Partition, d.FromOffset)
	}
	return fmt.Sprintf("%s is damaged at byte %d of %d (%s): %s unreadable", d.File, d.At, d.Size, d.Why, lost)
}

func (e *DamagedError) Error() string {
	parts := make([]string, len(e.Damages))
	for i, d := range e.Damages {
		parts[i] = d.String()
	}
	more := ""
	if len(parts) > 3 {
		more = fmt.Sprintf("; and %d more", len(parts)-3)
		parts = parts[:3]
	}
	return fmt.Sprintf("data dir %s: %s%s; nothing was changed: restore the file(s), or start with --accept-damage to drop the unreadable records", e.Dir, strings.Join(parts, "; "), more)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkSegments scans DIR/log/partitions/*/*.dat.
func checkSegments(dir string) error {
	root := filepath.Join(dir, "log", "partitions")
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir %s: reading %s: %w", dir, root, err)
	}
	var damages []SegmentDamage
	for _, ent := range ents {
		if !ent.IsDir() {
			continue
		}
		d, err := checkPartitionDir(dir, filepath.Join(root, ent.Name()), ent.Name())
		if err != nil {
			return err
		}
		if d != nil {
			damages = append(damages, *d)
		}
	}
	if len(damages) > 0 {
		return &DamagedError{Dir: dir, Damages: damages}
	}
	return nil
}

// checkPartitionDir checks one partition's segments in offset order and
// returns the first damage.
func checkPartitionDir(dataDir, pdir, name string) (*SegmentDamage, error) {
	files, err := os.ReadDir(pdir)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: reading %s: %w", dataDir, pdir, err)
	}
	type seg struct {
		base int64
		name string
	}
	var segs []seg
	for _, f := range files {
		n, ok := strings.CutSuffix(f.Name(), ".dat")
		if !ok {
			continue
		}
		base, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, seg{base, f.Name()})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].base < segs[j].base })
	topic, part := splitPartitionDir(name)
	hw := snapshotHighWater(filepath.Join(pdir, "snapshot.json"))
	for _, s := range segs {
		path := filepath.Join(pdir, s.name)
		at, size, first, why, err := scanSegment(path)
		if err != nil {
			return nil, fmt.Errorf("data dir %s: reading %s: %w", dataDir, path, err)
		}
		if why == "" {
			continue
		}
		rel, _ := filepath.Rel(dataDir, path)
		if first < 0 && at == 0 {
			first = s.base
		}
		return &SegmentDamage{File: rel, Topic: topic, Partition: part, At: at, Size: size, FromOffset: first,
			HighWater: hw, Why: why}, nil
	}
	return nil, nil
}

// scanSegment walks the batches of one segment file as kfake's loader
// does: an 8-byte base offset, a 4-byte length, the batch, its CRC-32C.
// why is "" when the whole file reads; else it is the first unreadable
// batch's byte offset, the file size, the first record offset it holds (or
// the offset after the last good batch; -1 if unknown) and why.
func scanSegment(path string) (at, size, first int64, why string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, -1, "", err
	}
	size = int64(len(raw))
	next := int64(-1) // offset after the last good batch
	pos := 0
	for pos < len(raw) {
		if pos+12 > len(raw) {
			return int64(pos), size, next, "cut short inside a batch header", nil
		}
		base := int64(binary.BigEndian.Uint64(raw[pos:]))
		n := int(binary.BigEndian.Uint32(raw[pos+8:]))
		if n < 49 || n > 1<<30 {
			return int64(pos), size, next, fmt.Sprintf("impossible batch length %d", n), nil
		}
		if pos+12+n > len(raw) {
			return int64(pos), size, base, fmt.Sprintf("batch cut short: %d of %d bytes", len(raw)-pos-12, n), nil
		}
		b := raw[pos : pos+12+n]
		if crc32.Checksum(b[21:], castagnoli) != binary.BigEndian.Uint32(b[17:21]) {
			return int64(pos), size, base, "batch checksum mismatch", nil
		}
		lastDelta := int64(int32(binary.BigEndian.Uint32(b[23:27])))
		next = base + lastDelta + 1
		pos += 12 + n
	}
	return 0, size, -1, "", nil
}

// splitPartitionDir splits "orders-3" into ("orders", 3).
func splitPartitionDir(name string) (string, int32) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name, -1
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return name, -1
	}
	return name[:i], int32(p)
}

// snapshotHighWater reads the high watermark kfake saved at its last
// clean shutdown (-1 when absent or unreadable).
func snapshotHighWater(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var s struct {
		HighWatermark *int64 `json:"high_watermark"`
	}
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&s); err != nil || s.HighWatermark == nil {
		return -1
	}
	return *s.HighWatermark
}
