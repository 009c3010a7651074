package backend

import (
	"math/rand/v2"
	"testing"
	"time"
)

// AppendTime writes what time's own formatter writes, for every kind of
// record timestamp: absent (-1 ms), the epoch, any millisecond of years
// 0–9999, years beyond, and times in other zones.
func TestAppendTimeMatchesFormat(t *testing.T) {
	zone := time.FixedZone("x", -(7*3600 + 30*60))
	times := []time.Time{time.UnixMilli(-1), time.UnixMilli(0), time.UnixMilli(1<<53 - 1), time.UnixMilli(-1 << 53),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, zone), time.Date(1, 1, 1, 0, 0, 0, 0, zone)}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		times = append(times, time.UnixMilli(rnd.Int64N(253402300800000+62135596800000)-62135596800000).In(zone))
	}
	for _, tm := range times {
		want := tm.UTC().Format(RecordTimeFormat)
		if got := string(AppendTime(nil, tm)); got != want {
			t.Fatalf("%v: got %s want %s", tm, got, want)
		}
	}
}
