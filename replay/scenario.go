package replay

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/internal/when"
)

// Kind is a reset scenario, named like kafka-consumer-groups' flags.
type Kind string

// Scenarios.
const (
	ToEarliest Kind = "to-earliest" // log start
	ToLatest   Kind = "to-latest"   // high watermark
	ToOffset   Kind = "to-offset"   // an absolute offset, clamped to [log start, HW]
	ShiftBy    Kind = "shift-by"    // committed + N, clamped; needs a commit
	ToDatetime Kind = "to-datetime" // first record at or after a time
	ByDuration Kind = "by-duration" // to-datetime with now - duration
	ToGroup    Kind = "to-group"    // another group's committed offsets
	FromFile   Kind = "from-file"   // a CSV of topic,partition,offset
)

// Kinds lists the scenarios in the order a chooser shows them.
var Kinds = []Kind{ToEarliest, ToLatest, ToOffset, ShiftBy, ToDatetime, ByDuration, ToGroup, FromFile}

// Scenario is a parsed scenario.
type Scenario struct {
	Kind Kind `json:"kind"`
	// Offset is the offset of to-offset and the N of shift-by.
	Offset int64 `json:"offset,omitempty"`
	// Time is the instant of to-datetime, and of by-duration (now - d,
	// fixed when parsed so the plan and its audit agree).
	Time time.Time `json:"time,omitzero"`
	// Arg is the argument as given (duration, file name, datetime).
	Arg string `json:"arg,omitempty"`
	// Group is the other group of to-group.
	Group string `json:"group,omitempty"`
	// File holds the offsets read from the CSV of from-file.
	File Offsets `json:"-"`
}

// String renders the scenario as its flag: "to-offset 42",
// "by-duration PT1H (2026-09-01T11:00:00Z)".
func (s Scenario) String() string {
	switch s.Kind {
	case ToOffset, ShiftBy:
		return fmt.Sprintf("%s %d", s.Kind, s.Offset)
	case ToDatetime:
		return fmt.Sprintf("%s %s", s.Kind, s.Time.UTC().Format(time.RFC3339Nano))
	case ByDuration:
		return fmt.Sprintf("%s %s (%s)", s.Kind, s.Arg, s.Time.UTC().Format(time.RFC3339))
	case ToGroup:
		return fmt.Sprintf("%s %s", s.Kind, s.Group)
	case FromFile:
		return fmt.Sprintf("%s %s", s.Kind, s.Arg)
	}
	return string(s.Kind)
}

// ParseScenario builds a scenario from its kind and argument (ignored by
// to-earliest and to-latest). now anchors by-duration. from-file reads
// the file.
func ParseScenario(kind Kind, arg string, now time.Time) (Scenario, error) {
	arg = strings.TrimSpace(arg)
	s := Scenario{Kind: kind, Arg: arg}
	switch kind {
	case ToEarliest, ToLatest:
		s.Arg = ""
	case ToOffset:
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return s, fmt.Errorf("--to-offset %q: want an offset >= 0", arg)
		}
		s.Offset = n
	case ShiftBy:
		n, err := strconv.ParseInt(strings.TrimPrefix(arg, "+"), 10, 64)
		if err != nil {
			return s, fmt.Errorf("--shift-by %q: want a signed number of records, e.g. -100 or 50", arg)
		}
		s.Offset = n
	case ToDatetime:
		t, err := parseDatetime(arg, now)
		if err != nil {
			return s, err
		}
		s.Time = t
	case ByDuration:
		d, err := ParseDuration(arg)
		if err != nil {
			return s, err
		}
		s.Time = now.Add(-d)
	case ToGroup:
		if arg == "" {
			return s, errors.New("--to-group: want a group name")
		}
		s.Group, s.Arg = arg, ""
	case FromFile:
		if arg == "" {
			return s, errors.New("--from-file: want a CSV file of topic,partition,offset")
		}
		f, err := os.Open(arg)
		if err != nil {
			return s, fmt.Errorf("--from-file: %w", err)
		}
		defer f.Close()
		o, err := ParseCSV(f)
		if err != nil {
			return s, fmt.Errorf("--from-file %s: %w", arg, err)
		}
		s.File = o
	default:
		return s, fmt.Errorf("unknown scenario %q (want one of %s)", kind, kindList())
	}
	return s, nil
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// ParseDatetime parses a --to-datetime in the one grammar of package when
// (RFC3339, Kafka's YYYY-MM-DDTHH:mm:SS.sss, 2026-09-01 12:00, -1h, ...);
// a time without a zone is UTC. Any year from 0001 to 9999 is a plan: a
// time before 1970 is before every record (the plan is the log start).
func ParseDatetime(s string) (time.Time, error) { return parseDatetime(s, time.Now()) }

func parseDatetime(s string, now time.Time) (time.Time, error) {
	t, err := when.ParseTime(s, now, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("--to-datetime: %w", err)
	}
	return t.UTC(), nil
}

// ParseDuration parses a --by-duration in the one grammar of package when:
// ISO-8601 as Kafka's tool takes it (PT1H, P1DT12H) or 90m, 1h30m, 2d, with
// an optional sign: both "PT1H" and "-1h" mean "one hour back". Zero, and
// anything beyond 292 years, is refused.
func ParseDuration(s string) (time.Duration, error) {
	d, err := when.ParseDuration(s)
	if errors.Is(err, when.ErrRange) {
		return 0, fmt.Errorf("--by-duration %q: %w (at most 292 years)", strings.TrimSpace(s), when.ErrRange)
	}
	if err != nil {
		return 0, fmt.Errorf("--by-duration %q: want an ISO-8601 duration like PT1H or P1DT12H, or 90m, 1h30m, 2d, 1d12h", strings.TrimSpace(s))
	}
	if d < 0 {
		d = -d
	}
	if d == 0 {
		return 0, fmt.Errorf("--by-duration %q: the duration must be more than zero", strings.TrimSpace(s))
	}
	return d, nil
}

// TopicScope is one --topic value: a topic and, optionally, partitions.
type TopicScope struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions,omitempty"` // nil = all
}

// Scope is which partitions a plan covers.
type Scope struct {
	// AllTopics: every partition the group has a commit on (for to-group,
	// the other group's; for from-file, the file's).
	AllTopics bool         `json:"all_topics,omitempty"`
	Topics    []TopicScope `json:"topics,omitempty"`
}

func (s Scope) String() string {
	if s.AllTopics {
		return "all topics"
	}
	parts := make([]string, len(s.Topics))
	for i, t := range s.Topics {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}

func (t TopicScope) String() string {
	if len(t.Partitions) == 0 {
		return t.Topic
	}
	ps := make([]string, len(t.Partitions))
	for i, p := range t.Partitions {
		ps[i] = strconv.Itoa(int(p))
	}
	return t.Topic + ":" + strings.Join(ps, ",")
}

// ParseTopicScope parses "topic" or "topic:0,1,2".
func ParseTopicScope(s string) (TopicScope, error) {
	s = strings.TrimSpace(s)
	topic, list, hasParts := strings.Cut(s, ":")
	if topic == "" {
		return TopicScope{}, fmt.Errorf("--topic %q: want TOPIC or TOPIC:P,P,...", s)
	}
	ts := TopicScope{Topic: topic}
	if !hasParts {
		return ts, nil
	}
	seen := map[int32]bool{}
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || n < 0 {
			return TopicScope{}, fmt.Errorf("--topic %q: bad partition %q", s, f)
		}
		if !seen[int32(n)] {
			seen[int32(n)] = true
			ts.Partitions = append(ts.Partitions, int32(n))
		}
	}
	sort.Slice(ts.Partitions, func(i, j int) bool { return ts.Partitions[i] < ts.Partitions[j] })
	return ts, nil
}

// ParseScope parses --topic values, or --all-topics.
func ParseScope(topics []string, all bool) (Scope, error) {
	if all && len(topics) > 0 {
		return Scope{}, errors.New("give either --topic or --all-topics, not both")
	}
	sc := Scope{AllTopics: all}
	for _, t := range topics {
		ts, err := ParseTopicScope(t)
		if err != nil {
			return Scope{}, err
		}
		sc.Topics = append(sc.Topics, ts)
	}
	return sc, nil
}

// ParseCSV reads offsets in the format of kafka-consumer-groups --export:
// one "topic,partition,offset" per line, no header (a header line
// "topic,partition,offset" is accepted). Blank lines are skipped; a
// partition given twice is an error.
func ParseCSV(r io.Reader) (Offsets, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	out := Offsets{}
	for i, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want topic,partition,offset, got %q", i+1, line)
		}
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		if i == 0 && strings.EqualFold(f[0], "topic") && strings.EqualFold(f[1], "partition") {
			continue
		}
		p, err := strconv.ParseInt(f[1], 10, 32)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("line %d: bad partition %q", i+1, f[1])
		}
		o, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || o < 0 {
			return nil, fmt.Errorf("line %d: bad offset %q", i+1, f[2])
		}
		if f[0] == "" {
			return nil, fmt.Errorf("line %d: empty topic", i+1)
		}
		if _, dup := lookup(out, f[0], int32(p)); dup {
			return nil, fmt.Errorf("line %d: %s/%d given twice", i+1, f[0], p)
		}
		put(out, f[0], int32(p), o)
	}
	if len(out) == 0 {
		return nil, errors.New("no offsets in the file")
	}
	return out, nil
}

// WriteCSV writes offsets in Kafka's export format, sorted.
func WriteCSV(w io.Writer, o Offsets) error {
	for _, tp := range sortedTPs(o) {
		v, _ := lookup(o, tp.Topic, tp.Partition)
		if _, err := fmt.Fprintf(w, "%s,%d,%d\n", tp.Topic, tp.Partition, v); err != nil {
			return err
		}
	}
	return nil
}

func sortedTPs(o Offsets) []TP {
	var out []TP
	for t, ps := range o {
		for p := range ps {
			out = append(out, TP{t, p})
		}
	}
	sortTPs(out)
	return out
}

func sortTPs(s []TP) {
	slices.SortFunc(s, func(a, b TP) int { return backend.ComparePartitions(a.Topic, a.Partition, b.Topic, b.Partition) })
}
