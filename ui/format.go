package ui

import (
	"strconv"
	"time"
)

// FormatCount renders n with thousands separators: 1234567 -> "1,234,567".
func FormatCount(n int64) string {
	var buf [32]byte
	s := strconv.AppendInt(buf[:0], n, 10)
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) <= 3 {
		return string(s)
	}
	out := make([]byte, 0, len(s)+len(digits)/3)
	if neg {
		out = append(out, '-')
	}
	lead := len(digits) % 3
	if lead == 0 {
		lead = 3
	}
	out = append(out, digits[:lead]...)
	for i := lead; i < len(digits); i += 3 {
		out = append(out, ',')
		out = append(out, digits[i:i+3]...)
	}
	return string(out)
}

// FormatCompact renders n in at most about 5 cells for narrow columns:
// 999 -> "999", 1234 -> "1.2k", 1234567 -> "1.2M", 5e9 -> "5.0G".
func FormatCompact(n int64) string {
	if n < 0 {
		return "-" + FormatCompact(-n)
	}
	const units = "kMGTPE"
	if n < 1000 {
		return strconv.FormatInt(n, 10)
	}
	f := float64(n)
	i := -1
	// Thresholds sit where rounding would carry into the next unit, so the
	// output is never "1000k".
	for f >= 999.5 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if f >= 99.95 {
		return strconv.FormatFloat(f, 'f', 0, 64) + string(units[i])
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + string(units[i])
}

// FormatBytes renders a size with binary units: 512 -> "512 B",
// 1536 -> "1.5 KiB", 10<<20 -> "10.0 MiB".
func FormatBytes(n int64) string {
	if n < 0 {
		return "-" + FormatBytes(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	const units = "KMGTPE"
	f := float64(n)
	i := -1
	for f >= 1023.95 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + string(units[i]) + "iB"
}

// FormatAge renders a duration compactly, with a second unit only while the
// first is a single digit: "45s", "3m12s", "12m", "2h5m", "14h", "3d4h",
// "12d", "1y20d". Sub-second durations are "0s"; negative ones (a record
// time in the future, clock skew) get a leading "-".
func FormatAge(d time.Duration) string {
	if d < 0 {
		return "-" + FormatAge(-d)
	}
	const (
		day  = 24 * time.Hour
		year = 365 * day
	)
	two := func(a int64, au string, b int64, bu string) string {
		s := strconv.FormatInt(a, 10) + au
		if a < 10 && b > 0 {
			s += strconv.FormatInt(b, 10) + bu
		}
		return s
	}
	switch {
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Hour:
		return two(int64(d/time.Minute), "m", int64(d%time.Minute/time.Second), "s")
	case d < day:
		return two(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	case d < year:
		return two(int64(d/day), "d", int64(d%day/time.Hour), "h")
	}
	return two(int64(d/year), "y", int64(d%year/day), "d")
}
