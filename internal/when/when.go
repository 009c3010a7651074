// Package when is rewind's one grammar for durations and points in time:
// every flag and prompt that takes one parses it here, so "-15m", "1d12h",
// "PT1H", "2026-11-30 12:00" or "12:00" mean the same everywhere.
//
// Durations (ParseDuration):
//
//	90m  1h30m  1.5h  250ms  2d  1d12h  1w       units ns us µs ms s m h d(24h) w(7d)
//	PT1H  P1DT12H  PT0.5S  P2W                    ISO 8601 (case-insensitive)
//	-15m  +2h                                     an optional sign
//
// A duration must fit in 292 years (time.Duration); beyond that it is an
// error, never a wrapped value.
//
// Points in time (ParseTime, ParsePast):
//
//	now
//	-15m  +1h  -1d12h  -PT1H                      relative to now
//	2026-11-30T12:00:00Z  2026-11-30T12:00:00.5+01:00   RFC 3339
//	2026-11-30T12:00  2026-11-30 12:00:05  2026-11-30   no zone: loc (UTC in the CLI)
//	12:00  12:00:30                               today, in loc
//
// Where a past time is expected (ParsePast: --from, --by-duration, a seek
// prompt), an unsigned duration means that long ago: "1h" is "-1h".
// Years are 0001 to 9999. Kafka timestamps are milliseconds since 1970;
// KafkaMillis maps a time before 1970 to 0 (every record is at or after
// it), never to the special values -1 (latest) or -2 (earliest).
package when

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxLen bounds the input: a duration or time longer than this is not one.
const MaxLen = 64

// ErrRange is wrapped by errors for durations that do not fit.
var ErrRange = errors.New("out of range")

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// ParseDuration parses a duration (see the package doc).
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	if len(in) > MaxLen {
		return 0, fmt.Errorf("duration %q...: too long", in[:16])
	}
	neg := false
	v := in
	switch v[0] {
	case '-':
		neg, v = true, v[1:]
	case '+':
		v = v[1:]
	}
	var d time.Duration
	var err error
	if len(v) > 0 && (v[0] == 'P' || v[0] == 'p') {
		d, err = parseISO(strings.ToUpper(v))
	} else {
		d, err = parseUnits(v)
	}
	if errors.Is(err, ErrRange) {
		return 0, fmt.Errorf("duration %q: %w (at most 292 years)", in, ErrRange)
	}
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want e.g. 90m, 1h30m, 2d, 1d12h, 1w or PT1H, P1DT12H", in)
	}
	if neg {
		d = -d
	}
	return d, nil
}

// unitOf maps a unit to its length.
func unitOf(u string) (time.Duration, bool) {
	switch u {
	case "ns":
		return time.Nanosecond, true
	case "us", "µs", "μs":
		return time.Microsecond, true
	case "ms":
		return time.Millisecond, true
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	case "h":
		return time.Hour, true
	case "d":
		return day, true
	case "w":
		return week, true
	}
	return 0, false
}

// parseUnits parses number+unit terms ("1d12h30m", "1.5h"); every term
// needs a unit, except a lone "0".
func parseUnits(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	if v == "" {
		return 0, errors.New("no terms")
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
			i++
		}
		num := v[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, errors.New("no number")
		}
		v = v[i:]
		j := 0
		for j < len(v) && !(v[j] >= '0' && v[j] <= '9' || v[j] == '.') {
			j++
		}
		unit, ok := unitOf(v[:j])
		if !ok {
			return 0, errors.New("bad unit")
		}
		v = v[j:]
		d, err := scale(num, unit)
		if err != nil {
			return 0, err
		}
		if total, err = add(total, d); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// parseISO parses P[nW][nD][T[nH][nM][n[.n]S]] (upper case).
func parseISO(v string) (time.Duration, error) {
	if !strings.HasPrefix(v, "P") || len(v) < 3 {
		return 0, errors.New("not ISO")
	}
	v = v[1:]
	datePart, timePart, hasT := strings.Cut(v, "T")
	if hasT && timePart == "" {
		return 0, errors.New("empty time part")
	}
	var total time.Duration
	terms := func(part string, units string, lens map[byte]time.Duration) error {
		last := -1
		for part != "" {
			i := 0
			for i < len(part) && (part[i] >= '0' && part[i] <= '9' || part[i] == '.') {
				i++
			}
			if i == 0 || i == len(part) {
				return errors.New("bad term")
			}
			u := part[i]
			pos := strings.IndexByte(units, u)
			if pos <= last { // unknown unit, or out of order / repeated
				return errors.New("bad unit order")
			}
			last = pos
			num := part[:i]
			if strings.Contains(num, ".") && u != 'S' {
				return errors.New("fraction only on seconds")
			}
			d, err := scale(num, lens[u])
			if err != nil {
				return err
			}
			if total, err = add(total, d); err != nil {
				return err
			}
			part = part[i+1:]
		}
		return nil
	}
	if err := terms(datePart, "WD", map[byte]time.Duration{'W': week, 'D': day}); err != nil {
		return 0, err
	}
	if err := terms(timePart, "HMS", map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}); err != nil {
		return 0, err
	}
	return total, nil
}

// scale is num (decimal, maybe with a fraction) times unit, overflow-checked.
func scale(num string, unit time.Duration) (time.Duration, error) {
	whole, frac, _ := strings.Cut(num, ".")
	var d time.Duration
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, ErrRange
			}
			return 0, err
		}
		if n > int64(math.MaxInt64/unit) {
			return 0, ErrRange
		}
		d = time.Duration(n) * unit
	}
	if frac != "" {
		// At most 9 fraction digits matter at nanosecond resolution.
		if len(frac) > 18 {
			frac = frac[:18]
		}
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, err
		}
		var e error
		if d, e = add(d, time.Duration(f*float64(unit))); e != nil {
			return 0, e
		}
	}
	return d, nil
}

func add(a, b time.Duration) (time.Duration, error) {
	if b > 0 && a > math.MaxInt64-b {
		return 0, ErrRange
	}
	return a + b, nil
}

// ParseTime parses a point in time (see the package doc); a relative
// duration needs its sign. now anchors relative times and "today"; loc is
// the zone of times written without one (nil: UTC).
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	return parseTime(s, now, loc, false)
}

// ParsePast is ParseTime where a past time is expected: an unsigned
// duration means that long ago ("1h" is an hour ago).
func ParsePast(s string, now time.Time, loc *time.Location) (time.Time, error) {
	return parseTime(s, now, loc, true)
}

var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

var clock = []string{"15:04:05.999999999", "15:04"}

func parseTime(s string, now time.Time, loc *time.Location, past bool) (time.Time, error) {
	in := strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	if in == "" {
		return time.Time{}, errors.New("empty time")
	}
	if len(in) > MaxLen {
		return time.Time{}, fmt.Errorf("time %q...: too long", in[:16])
	}
	if strings.EqualFold(in, "now") {
		return now, nil
	}
	if looksLikeDuration(in) {
		d, err := ParseDuration(in)
		if err != nil {
			return time.Time{}, err
		}
		if in[0] != '+' && in[0] != '-' {
			if !past {
				return time.Time{}, fmt.Errorf("time %q: a relative time needs its sign (-%s ago, +%s ahead)", in, in, in)
			}
			d = -d
		}
		return shift(now, d)
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, in, loc); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("time %q: %w (years 0001 to 9999)", in, ErrRange)
			}
			return t, nil
		}
	}
	for _, l := range clock {
		if c, err := time.Parse(l, in); err == nil {
			n := now.In(loc)
			return time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q: want now, -15m, 1h (ago), RFC3339 like 2026-11-30T12:00:00Z, 2026-11-30 12:00, 2026-11-30 or 12:00 (today); no zone means %s", in, loc)
}

// looksLikeDuration: a sign, or a start that no date or clock has.
func looksLikeDuration(s string) bool {
	if s[0] == '-' || s[0] == '+' || s[0] == 'P' || s[0] == 'p' {
		return true
	}
	// "12:00" and "2026-11-30" contain ':' or '-'; a duration never does.
	if strings.ContainsAny(s, ":-") {
		return false
	}
	first, last := rune(s[0]), rune(s[len(s)-1])
	return (unicode.IsDigit(first) || first == '.') && unicode.IsLetter(last)
}

// shift is now+d, refusing results outside years 1-9999.
func shift(now time.Time, d time.Duration) (time.Time, error) {
	t := now.Add(d)
	if (d > 0 && t.Before(now)) || (d < 0 && t.After(now)) || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%s from now: %w", d, ErrRange)
	}
	return t, nil
}

// KafkaMillis is t as a Kafka timestamp for a lookup by time (ListOffsets):
// milliseconds since 1970, with times before 1970 as 0, so they find the
// first record, never the special -1 (latest) or -2 (earliest).
func KafkaMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return ms
}
