package when

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "1.5h": 90 * time.Minute, "250ms": 250 * time.Millisecond,
		"2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "1w": 7 * 24 * time.Hour, "1w2d": 9 * 24 * time.Hour,
		"PT1H": time.Hour, "pt1h": time.Hour, "P1DT12H": 36 * time.Hour, "PT0.5S": 500 * time.Millisecond, "P2W": 14 * 24 * time.Hour,
		"PT1H30M": 90 * time.Minute, "-15m": -15 * time.Minute, "+2h": 2 * time.Hour, "-PT1H": -time.Hour, "0": 0, "0s": 0,
		" 5s ": 5 * time.Second, "1µs": time.Microsecond, "P106751D": 106751 * 24 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "+", "P", "PT", "P1Y", "P1M", "PT1H1H", "PT1M1H", "P1.5D", "1", "5x", "1..5h", "d", "h1", "--5m", "1h-5m", "15 m", strings.Repeat("1", 100) + "s"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) should fail", in)
		}
	}
	// Out of range is an error, never a wrapped value (P213504D wrapped to
	// about 25 minutes).
	for _, in := range []string{"P213504D", "106752d", "9223372036854775807h", "99999999999999999999s", "PT2562048H", "300000w", "P106751DT23H59M59S1"} {
		_, err := ParseDuration(in)
		if err == nil || (!errors.Is(err, ErrRange) && !strings.Contains(err.Error(), "bad duration")) {
			t.Errorf("ParseDuration(%q): want an out-of-range error, got %v", in, err)
		}
	}
	if _, err := ParseDuration("P213504D"); !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), "292 years") {
		t.Errorf("P213504D: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		in   string
		past bool
		loc  *time.Location
		want time.Time
	}{
		{"now", false, nil, now},
		{"-15m", false, nil, now.Add(-15 * time.Minute)},
		{"+1h", true, nil, now.Add(time.Hour)},
		{"1h", true, nil, now.Add(-time.Hour)},
		{"1d12h", true, nil, now.Add(-36 * time.Hour)},
		{"PT1H", true, nil, now.Add(-time.Hour)},
		{"2026-11-30T12:00:00Z", false, nil, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"2026-11-30T12:00:00.5+01:00", false, nil, time.Date(2026, 11, 30, 11, 0, 0, 5e8, time.UTC)},
		{"2026-11-30 12:00", false, nil, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"2026-11-30 12:00:05", false, nil, time.Date(2026, 11, 30, 12, 0, 5, 0, time.UTC)},
		{"2026-11-30T12:00", false, paris, time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)},
		{"2026-11-30", false, nil, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"12:00", false, nil, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)},
		{"12:00:30", false, nil, time.Date(2026, 11, 30, 12, 0, 30, 0, time.UTC)},
		{"1969-12-31T23:59:59.999Z", false, nil, time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{"0001-01-01T00:00:00Z", false, nil, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		var got time.Time
		var err error
		if c.past {
			got, err = ParsePast(c.in, now, c.loc)
		} else {
			got, err = ParseTime(c.in, now, c.loc)
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parse %q (past %v) = %v, %v; want %v", c.in, c.past, got, err, c.want)
		}
	}
	// ParseTime needs the sign of a relative time.
	if _, err := ParseTime("1h", now, nil); err == nil {
		t.Error("ParseTime(1h) must want a sign or a date")
	}
	for _, in := range []string{"", "yesterday", "2026-13-01", "25:00", "0000-01-01T00:00:00Z", "10000-01-01", "1700000000000", "-P213504D"} {
		if _, err := ParsePast(in, now, nil); err == nil {
			t.Errorf("ParsePast(%q) should fail", in)
		}
	}
}

func TestKafkaMillis(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want int64
	}{
		{time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC), 0}, // -1 ms would mean "latest"
		{time.Date(1969, 12, 31, 23, 59, 59, 998e6, time.UTC), 0}, // -2 ms would mean "earliest"
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 0},
		{time.UnixMilli(1234), 1234},
	} {
		if got := KafkaMillis(tc.t); got != tc.want {
			t.Errorf("KafkaMillis(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90m", "1d12h", "PT1H", "P1DT12H", "-15m", "1.5h", "P213504D", "9223372036854775807ns", "0.999999999999s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		// A parsed duration round-trips through Go's own grammar.
		if s2 := d.String(); s2 != "" {
			if d2, err := ParseDuration(s2); err != nil || d2 != d {
				t.Fatalf("%q -> %v -> %q -> %v, %v", s, d, s2, d2, err)
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	now := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
	for _, s := range []string{"now", "-15m", "1h", "2026-11-30T12:00:00Z", "2026-11-30 12:00", "12:00", "0001-01-01", "9999-12-31T23:59:59Z", "-P106751D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParsePast(s, now, nil)
		if err != nil {
			return
		}
		if y := tm.Year(); y < 1 || y > 9999 {
			t.Fatalf("%q parsed to year %d", s, y)
		}
		if ms := KafkaMillis(tm); ms < 0 {
			t.Fatalf("%q: Kafka millis %d", s, ms)
		}
	})
}
