package lag

import (
	"testing"
	"time"
)

// A window grows with its samples up to its capacity (a one-shot command
// holds one sample per partition, not a full ring), then evicts the oldest.
func TestWindowGrowsToCapacity(t *testing.T) {
	w := NewWindow(5)
	w.Add(Sample{At: t0, Committed: 1, HighWatermark: 10})
	if len(w.buf) != 1 || cap(w.buf) > 2 {
		t.Fatalf("one sample holds a ring of len %d cap %d", len(w.buf), cap(w.buf))
	}
	for i := 1; i < 12; i++ {
		w.Add(Sample{At: t0.Add(time.Duration(i) * time.Second), Committed: int64(1 + i), HighWatermark: 10 + int64(i)})
	}
	got := w.Samples()
	if len(got) != 5 || len(w.buf) != 5 {
		t.Fatalf("%d samples kept in a ring of %d, want 5", len(got), len(w.buf))
	}
	for i, s := range got {
		if want := int64(8 + i); s.Committed != want || !s.At.Equal(t0.Add(time.Duration(7+i)*time.Second)) {
			t.Fatalf("sample %d: committed %d at %v, want %d (oldest evicted, order kept)", i, s.Committed, s.At, want)
		}
	}
}

// Every field of a sample survives the packed storage; the zero time stays
// zero.
func TestWindowPackedRoundTrip(t *testing.T) {
	var w Window
	in := Sample{At: t0.Add(123456789 * time.Nanosecond), Committed: -1, LogStart: 1 << 40, HighWatermark: 1<<62 + 3,
		CommitAt: t0.Add(-time.Hour), Active: true, TimeLag: 90 * time.Minute, TimeLagKnown: true}
	w.Add(in)
	got, _ := w.Last()
	if !got.At.Equal(in.At) || !got.CommitAt.Equal(in.CommitAt) || got.Committed != in.Committed || got.LogStart != in.LogStart ||
		got.HighWatermark != in.HighWatermark || got.Active != in.Active || got.TimeLag != in.TimeLag || got.TimeLagKnown != in.TimeLagKnown {
		t.Fatalf("stored %+v, read back %+v", in, got)
	}
	var z Window
	z.Add(Sample{At: t0, Committed: 5})
	if s, _ := z.Last(); !s.CommitAt.IsZero() {
		t.Fatalf("first sample's unknown CommitAt read back as %v", s.CommitAt)
	}
}
