package laghist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// One line of a segment is one tick: every group's position on every
// partition at one instant, as JSON with short keys and each partition as
// a number array:
//
//	{"t":1764610000123,"i":2000,"groups":[{"group":"billing-service","topics":[
//	  {"topic":"orders","p":[[0,1200,0,1203,1,4000],[1,...]]}]}]}
//
// p is [partition, committed, log start, high watermark, flags, time lag ms]
// with flags bit 0 = a live member holds the partition, bits 1-2 = where the
// time lag comes from (0 unknown, 1 record, 2 estimate, 3 at-least); time
// lag -1 is unknown. "pe" maps a partition to its error, "e" is a group's.
// The first line of a segment is a header ({"rewind_lag_history":1}).

const formatVersion = 1

var header = []byte(`{"rewind_lag_history":1}` + "\n")

// Tick is one sample of every group at one instant.
type Tick struct {
	At time.Time
	// Interval is the sampler's refresh interval when it was taken.
	Interval time.Duration
	Groups   []GroupTick
}

// GroupTick is one group in a tick.
type GroupTick struct {
	Group string
	Err   string
	Parts []PartTick
}

// PartTick is one partition of a group in a tick.
type PartTick struct {
	Topic         string
	Partition     int32
	Committed     int64
	LogStart      int64
	HighWatermark int64
	Active        bool
	// TimeLag is known when TimeLagSource is not "" (backend.TimeLagRecord,
	// TimeLagEstimate or TimeLagAtLeast).
	TimeLag       time.Duration
	TimeLagSource string
	Err           string
}

// Lag is HighWatermark - Committed clamped at 0; -1 without a commit.
func (p PartTick) Lag() int64 {
	if p.Committed < 0 {
		return -1
	}
	return max(p.HighWatermark-p.Committed, 0)
}

// TotalLag sums the lag of the partitions with a commit and no error.
func (g GroupTick) TotalLag() int64 {
	var n int64
	for _, p := range g.Parts {
		if p.Committed >= 0 && p.Err == "" {
			n += p.Lag()
		}
	}
	return n
}

type tickLine struct {
	T      int64       `json:"t"`
	I      int64       `json:"i,omitempty"`
	Groups []groupLine `json:"groups"`
}

type groupLine struct {
	Group  string      `json:"group"`
	E      string      `json:"e,omitempty"`
	Topics []topicLine `json:"topics"`
}

type topicLine struct {
	Topic string            `json:"topic"`
	P     [][6]int64        `json:"p"`
	PE    map[string]string `json:"pe,omitempty"`
}

var sources = []string{"", "record", "estimate", "at-least"}

func sourceCode(s string) int64 {
	for i, x := range sources {
		if x == s {
			return int64(i)
		}
	}
	return 0
}

// encodeTick renders t as one line, newline included.
func encodeTick(t *Tick) ([]byte, error) {
	l := tickLine{T: t.At.UnixMilli(), I: t.Interval.Milliseconds(), Groups: make([]groupLine, 0, len(t.Groups))}
	for _, g := range t.Groups {
		gl := groupLine{Group: g.Group, E: g.Err, Topics: []topicLine{}}
		idx := map[string]int{}
		for _, p := range g.Parts {
			i, ok := idx[p.Topic]
			if !ok {
				i = len(gl.Topics)
				idx[p.Topic] = i
				gl.Topics = append(gl.Topics, topicLine{Topic: p.Topic})
			}
			tl := &gl.Topics[i]
			var flags int64
			if p.Active {
				flags |= 1
			}
			tlms := int64(-1)
			if p.TimeLagSource != "" {
				flags |= sourceCode(p.TimeLagSource) << 1
				tlms = p.TimeLag.Milliseconds()
			}
			tl.P = append(tl.P, [6]int64{int64(p.Partition), p.Committed, p.LogStart, p.HighWatermark, flags, tlms})
			if p.Err != "" {
				if tl.PE == nil {
					tl.PE = map[string]string{}
				}
				tl.PE[strconv.Itoa(int(p.Partition))] = p.Err
			}
		}
		l.Groups = append(l.Groups, gl)
	}
	b, err := json.Marshal(&l)
	if err != nil {
		return nil, fmt.Errorf("encoding lag sample: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeTick parses one line (without its newline).
func decodeTick(line []byte) (Tick, error) {
	var l tickLine
	if err := json.Unmarshal(line, &l); err != nil {
		return Tick{}, err
	}
	t := Tick{At: time.UnixMilli(l.T), Interval: time.Duration(l.I) * time.Millisecond, Groups: make([]GroupTick, len(l.Groups))}
	for i := range l.Groups {
		t.Groups[i] = l.Groups[i].decode()
	}
	return t, nil
}

func (gl *groupLine) decode() GroupTick {
	g := GroupTick{Group: gl.Group, Err: gl.E}
	for _, tl := range gl.Topics {
		for _, p := range tl.P {
			pt := PartTick{Topic: tl.Topic, Partition: int32(p[0]), Committed: p[1], LogStart: p[2], HighWatermark: p[3], Active: p[4]&1 != 0}
			if src := (p[4] >> 1) & 3; src != 0 && p[5] >= 0 {
				pt.TimeLagSource = sources[src]
				pt.TimeLag = time.Duration(p[5]) * time.Millisecond
			}
			if tl.PE != nil {
				pt.Err = tl.PE[strconv.Itoa(int(p[0]))]
			}
			g.Parts = append(g.Parts, pt)
		}
	}
	return g
}

var tPrefix = []byte(`{"t":`)

// lineTime reads the tick time from the start of a line without parsing
// the rest; ok is false for the header or a damaged line.
func lineTime(line []byte) (time.Time, bool) {
	if !bytes.HasPrefix(line, tPrefix) {
		return time.Time{}, false
	}
	rest := line[len(tPrefix):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 18 {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(string(rest[:n]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// groupInLine decodes only one group of a line: found by its key, then
// decoded from there, so a chart of one group does not parse every group
// of every tick.
func groupInLine(line, needle []byte) (GroupTick, bool) {
	i := bytes.Index(line, needle)
	if i < 0 {
		return GroupTick{}, false
	}
	var gl groupLine
	if err := json.NewDecoder(bytes.NewReader(line[i:])).Decode(&gl); err != nil {
		return GroupTick{}, false
	}
	return gl.decode(), true
}

// groupNeedle is how a group's object starts in a line.
func groupNeedle(group string) []byte {
	b, _ := json.Marshal(group) // a string always marshals
	return append(append([]byte(`{"group":`), b...), ',')
}
