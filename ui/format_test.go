package ui

import (
	"math"
	"testing"
	"time"
)

func TestFormatCount(t *testing.T) {
	cases := map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567",
		-1234: "-1,234", 100000: "100,000",
		math.MaxInt64: "9,223,372,036,854,775,807",
		math.MinInt64: "-9,223,372,036,854,775,808",
	}
	for in, want := range cases {
		if got := FormatCount(in); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatCompact(t *testing.T) {
	cases := map[int64]string{
		0: "0", 999: "999", 1000: "1.0k", 1234: "1.2k", 999_499: "999k", 999_500: "1.0M", 99_949: "99.9k", 99_950: "100k",
		999_999: "1.0M", 1_234_567: "1.2M", 123_456_789: "123M", 5_000_000_000: "5.0G", -1500: "-1.5k",
	}
	for in, want := range cases {
		if got := FormatCompact(in); got != want {
			t.Errorf("FormatCompact(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	cases := map[int64]string{
		0: "0 B", 512: "512 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		10 << 20: "10.0 MiB", 1 << 40: "1.0 TiB", 1048575: "1.0 MiB",
	}
	for in, want := range cases {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatAge(t *testing.T) {
	cases := map[time.Duration]string{
		0:                                 "0s",
		500 * time.Millisecond:            "0s",
		45 * time.Second:                  "45s",
		3*time.Minute + 12*time.Second:    "3m12s",
		3 * time.Minute:                   "3m",
		12*time.Minute + 5*time.Second:    "12m",
		2*time.Hour + 5*time.Minute:       "2h5m",
		14 * time.Hour:                    "14h",
		(3*24 + 4) * time.Hour:            "3d4h",
		12 * 24 * time.Hour:               "12d",
		(365 + 20) * 24 * time.Hour:       "1y20d",
		-(3*time.Minute + 12*time.Second): "-3m12s",
	}
	for in, want := range cases {
		if got := FormatAge(in); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", in, got, want)
		}
	}
}
