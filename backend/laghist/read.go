package laghist

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Load reads what a sampler needs to judge at now: the downsampled ticks
// of the last `long`, one per `step` at most, then the full-resolution ticks
// of the last `recent`, oldest first. It also positions Follow after the
// newest tick read, so a follower continues from there.
func (s *Store) Load(now time.Time, recent, long, step time.Duration) ([]Tick, error) {
	fulls, err := s.segments("full-")
	if err != nil {
		return nil, err
	}
	cutoff := now.Add(-recent)
	fine, err := s.loadRecent(fulls, cutoff)
	if err != nil {
		return nil, err
	}
	downTo := cutoff
	if len(fine) > 0 {
		downTo = fine[0].At
	}
	downs, err := s.segments("down-")
	if err != nil {
		return nil, err
	}
	var out []Tick
	var lastKept time.Time
	from := now.Add(-long)
	for i, name := range downs {
		if i+1 < len(downs) && !nameTime(downs[i+1]).After(from) {
			continue // ends before the range
		}
		if !nameTime(name).Before(downTo) {
			break
		}
		_, err := scanFile(filepath.Join(s.dir, name), 0, func(line []byte) bool {
			t, ok := lineTime(line)
			if !ok || t.Before(from) {
				return true
			}
			if !t.Before(downTo) {
				return false
			}
			if !lastKept.IsZero() && t.Sub(lastKept) < step {
				return true
			}
			if tk, err := decodeTick(line); err == nil {
				out = append(out, tk)
				lastKept = t
			}
			return true
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("lag history: %w", err)
		}
	}
	return append(out, fine...), nil
}

// loadRecent reads the full-resolution ticks at or after cutoff, reading
// the newest segments from their ends, and positions Follow.
func (s *Store) loadRecent(names []string, cutoff time.Time) ([]Tick, error) {
	s.follow.started = true
	if len(names) == 0 {
		s.follow.name, s.follow.off = "", 0
		return nil, nil
	}
	var out []Tick
	for i := len(names) - 1; i >= 0; i-- {
		path := filepath.Join(s.dir, names[i])
		ticks, end, reachedCutoff, err := tailTicks(path, cutoff)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		if i == len(names)-1 {
			s.follow.name, s.follow.off = names[i], end
		}
		out = append(ticks, out...)
		if reachedCutoff || !nameTime(names[i]).After(cutoff) {
			break
		}
	}
	return out, nil
}

// tailTicks reads a segment backwards, in growing chunks, until a tick
// older than cutoff or the start of the file; it returns the ticks at or
// after cutoff, the offset after the last complete line, and whether a
// tick older than cutoff was seen.
func tailTicks(path string, cutoff time.Time) ([]Tick, int64, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, false, err
	}
	size := st.Size()
	for n := int64(256 << 10); ; n *= 4 {
		// Bounded: on a huge cluster ten minutes of samples can be more
		// than is worth reading at start; take the newest maxTailBytes.
		n = min(n, maxTailBytes)
		buf, err := readTail(f, size, n)
		if err != nil {
			return nil, 0, false, err
		}
		end := size - int64(len(buf)) + int64(bytes.LastIndexByte(buf, '\n')+1)
		whole := int64(len(buf)) == size
		if !whole {
			// The chunk starts mid-line: drop up to the first newline.
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				continue
			}
			buf = buf[i+1:]
		}
		lines := completeLines(buf)
		older := false
		for _, l := range lines {
			if t, ok := lineTime(l); ok && t.Before(cutoff) {
				older = true
				break
			}
		}
		if !older && !whole && n < maxTailBytes {
			continue
		}
		var out []Tick
		for _, l := range lines {
			t, ok := lineTime(l)
			if !ok || t.Before(cutoff) {
				continue
			}
			if tk, err := decodeTick(l); err == nil {
				out = append(out, tk)
			}
		}
		return out, end, older || !whole, nil
	}
}

const maxTailBytes = 64 << 20

// Follow returns the ticks appended to the full tier since the last Load
// or Follow, oldest first (a follower's view of what the leader writes).
func (s *Store) Follow() ([]Tick, error) {
	names, err := s.segments("full-")
	if err != nil || len(names) == 0 {
		return nil, err
	}
	if !s.follow.started {
		s.follow.started = true
		s.follow.name = ""
	}
	i := 0
	if s.follow.name != "" {
		i = sort.SearchStrings(names, s.follow.name)
		if i == len(names) || names[i] != s.follow.name {
			// Deleted by retention under us: go on with the next one.
			s.follow.off = 0
		}
	}
	var out []Tick
	for ; i < len(names); i++ {
		if names[i] != s.follow.name {
			s.follow.name, s.follow.off = names[i], 0
		}
		off, err := scanFile(filepath.Join(s.dir, names[i]), s.follow.off, func(line []byte) bool {
			if _, ok := lineTime(line); ok {
				if tk, err := decodeTick(line); err == nil {
					out = append(out, tk)
				}
			}
			return true
		})
		if err != nil && !os.IsNotExist(err) {
			return out, fmt.Errorf("lag history: %w", err)
		}
		s.follow.off = off
	}
	return out, nil
}

// Point is one point of a group's lag history.
type Point struct {
	At  time.Time
	Lag int64 // total lag over partitions with a commit
	// MaxTimeLag is the largest known time lag, if TimeLagKnown.
	MaxTimeLag   time.Duration
	TimeLagKnown bool
}

// Series returns a group's total lag over [from, to], oldest first, at
// most maxPoints points (each the largest lag of its slice of time, so a
// spike is not averaged away). Spans up to two hours come from the full
// tier, longer ones from the downsampled tier.
func (s *Store) Series(group string, from, to time.Time, maxPoints int) ([]Point, error) {
	prefix := "full-"
	if to.Sub(from) > 2*time.Hour {
		prefix = "down-"
	}
	names, err := s.segments(prefix)
	if err != nil {
		return nil, err
	}
	needle := groupNeedle(group)
	var pts []Point
	for i, name := range names {
		if i+1 < len(names) && nameTime(names[i+1]).Before(from) {
			continue
		}
		if nameTime(name).After(to) {
			break
		}
		_, err := scanFile(filepath.Join(s.dir, name), 0, func(line []byte) bool {
			t, ok := lineTime(line)
			if !ok || t.Before(from) {
				return true
			}
			if t.After(to) {
				return false
			}
			g, ok := groupInLine(line, needle)
			if !ok {
				return true
			}
			p := Point{At: t, Lag: g.TotalLag()}
			for _, pt := range g.Parts {
				if pt.TimeLagSource != "" && (!p.TimeLagKnown || pt.TimeLag > p.MaxTimeLag) {
					p.MaxTimeLag, p.TimeLagKnown = pt.TimeLag, true
				}
			}
			pts = append(pts, p)
			return true
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("lag history: %w", err)
		}
	}
	return bucket(pts, from, to, maxPoints), nil
}

// bucket keeps at most n points: the largest lag of each of n equal slices
// of [from, to], at the slice's newest time.
func bucket(pts []Point, from, to time.Time, n int) []Point {
	if n <= 0 || len(pts) <= n || !to.After(from) {
		return pts
	}
	width := to.Sub(from) / time.Duration(n)
	if width <= 0 {
		return pts
	}
	var out []Point
	cur := -1
	for _, p := range pts {
		b := int(p.At.Sub(from) / width)
		if b != cur || len(out) == 0 {
			out = append(out, p)
			cur = b
			continue
		}
		last := &out[len(out)-1]
		at := p.At
		if p.Lag >= last.Lag {
			*last = p
		}
		last.At = at
		if p.TimeLagKnown && (!last.TimeLagKnown || p.MaxTimeLag > last.MaxTimeLag) {
			last.MaxTimeLag, last.TimeLagKnown = p.MaxTimeLag, true
		}
	}
	return out
}

// Series is the store's Series for a chart, nil without a store. Unlike the
// rest of the store it is safe from any goroutine while the sampler
// appends: it reads only complete lines of segment files (a segment pruned
// meanwhile is skipped).
func (s *Sampler) Series(group string, from, to time.Time, maxPoints int) ([]Point, error) {
	st := s.Store()
	if st == nil {
		return nil, nil
	}
	return st.Series(group, from, to, maxPoints)
}
