package laghist

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// tick builds a tick of two groups at t0+d, offsets growing with time.
func tick(d time.Duration) *Tick {
	n := int64(d / time.Second)
	return &Tick{At: t0.Add(d), Interval: 2 * time.Second, Groups: []GroupTick{
		{Group: "billing", Parts: []PartTick{
			{Topic: "orders", Partition: 0, Committed: n, HighWatermark: n + 2, Active: true, TimeLag: time.Second, TimeLagSource: "record"},
			{Topic: "orders", Partition: 1, Committed: -1, HighWatermark: n},
		}},
		{Group: `we"ird` + "\x1b", Err: "no such group", Parts: []PartTick{
			{Topic: "orders", Partition: 0, Committed: 5, LogStart: 10, HighWatermark: n + 10, Err: "boom"},
		}},
	}}
}

func mustOpen(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, "k", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func lead(t *testing.T, s *Store) {
	t.Helper()
	ok, err := s.TryLead()
	if err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
}

func TestRoundTripLeaderAndFollower(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{})
	lead(t, w)
	r := mustOpen(t, dir, Options{})
	if ok, _ := r.TryLead(); ok {
		t.Fatal("a second store took the lock")
	}
	if err := r.Append(tick(0)); err != ErrNotLeader {
		t.Fatalf("follower append: %v", err)
	}
	for i := range 10 {
		if err := w.Append(tick(time.Duration(i) * 2 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Load(t0.Add(20*time.Second), time.Minute, time.Hour, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("loaded %d ticks, want 10", len(got))
	}
	want := tick(18 * time.Second)
	last := got[9]
	if !last.At.Equal(want.At) || last.Interval != 2*time.Second || len(last.Groups) != 2 {
		t.Fatalf("last tick %+v", last)
	}
	if p := last.Groups[0].Parts[0]; p != want.Groups[0].Parts[0] {
		t.Fatalf("partition round trip: %+v want %+v", p, want.Groups[0].Parts[0])
	}
	if g := last.Groups[1]; g.Group != want.Groups[1].Group || g.Err != "no such group" || g.Parts[0].Err != "boom" || g.Parts[0].TimeLagSource != "" {
		t.Fatalf("group round trip: %+v", g)
	}
	// The follower sees exactly the ticks appended after its Load.
	if f, _ := r.Follow(); len(f) != 0 {
		t.Fatalf("follow right after load: %d ticks", len(f))
	}
	for i := 10; i < 13; i++ {
		if err := w.Append(tick(time.Duration(i) * 2 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := r.Follow()
	if err != nil || len(f) != 3 || !f[0].At.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("follow: %d ticks, %v", len(f), err)
	}
	// The leader goes away (exit, crash): the follower takes over and
	// appends after what it has.
	w.Close()
	lead(t, r)
	if err := r.Append(tick(26 * time.Second)); err != nil {
		t.Fatal(err)
	}
	all, _ := mustOpen(t, dir, Options{}).Load(t0.Add(30*time.Second), time.Hour, time.Hour, time.Minute)
	if len(all) != 14 {
		t.Fatalf("after take-over: %d ticks, want 14", len(all))
	}
}

func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{})
	lead(t, w)
	for i := range 3 {
		if err := w.Append(tick(time.Duration(i) * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	seg := filepath.Join(w.Path(), w.full.name)
	w.Close()
	// A crash mid-append leaves half a line.
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"t":1788264003000,"groups":[{"group":"bill`)
	f.Close()

	r := mustOpen(t, dir, Options{})
	got, err := r.Load(t0.Add(10*time.Second), time.Minute, time.Hour, time.Minute)
	if err != nil || len(got) != 3 {
		t.Fatalf("load with a torn line: %d ticks, %v", len(got), err)
	}
	lead(t, r)
	if err := r.Append(tick(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Every line of the segment parses: the torn one was cut.
	fh, _ := os.Open(seg)
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		if _, ok := lineTime(sc.Bytes()); !ok {
			if !strings.HasPrefix(sc.Text(), `{"rewind_lag_history"`) {
				t.Fatalf("damaged line %q", sc.Text())
			}
			continue
		}
		if _, err := decodeTick(sc.Bytes()); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d ticks in the segment, want 4", n)
	}
}

func TestRetentionAndDownsampling(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{FullRetention: 2 * time.Hour, Retention: 24 * time.Hour})
	lead(t, w)
	// 30 hours at one tick every 20s.
	end := 30 * time.Hour
	for d := time.Duration(0); d <= end; d += 20 * time.Second {
		if err := w.Append(tick(d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Prune(t0.Add(end)); err != nil {
		t.Fatal(err)
	}
	fulls, _ := w.segments("full-")
	downs, _ := w.segments("down-")
	// Full resolution: the current hour plus the two retained (a segment
	// goes once the next one starts before the cut).
	if len(fulls) < 2 || len(fulls) > 4 || nameTime(fulls[1]).Before(t0.Add(end-2*time.Hour)) {
		t.Fatalf("full segments %v", fulls)
	}
	if len(downs) < 1 || len(downs) > 3 {
		t.Fatalf("down segments %v", downs)
	}
	// Downsampled: one tick per minute, reaching back a day.
	pts, err := w.Series("billing", t0.Add(end-24*time.Hour), t0.Add(end), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) < 23*60 || len(pts) > 24*60+1 {
		t.Fatalf("%d downsampled points over 24h", len(pts))
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].At.Sub(pts[i-1].At) < time.Minute-time.Second {
			t.Fatalf("points %v and %v closer than a minute", pts[i-1].At, pts[i].At)
		}
	}
	// Full resolution for the last hour.
	pts, _ = w.Series("billing", t0.Add(end-time.Hour), t0.Add(end), 0)
	if len(pts) != 181 {
		t.Fatalf("%d full-resolution points over 1h, want 181", len(pts))
	}
	if pts[180].Lag != 2 || !pts[180].TimeLagKnown || pts[180].MaxTimeLag != time.Second {
		t.Fatalf("point %+v", pts[180])
	}
	// Chart-sized: at most 60 points, the largest lag of each slice.
	pts, _ = w.Series(`we"ird`+"\x1b", t0.Add(end-time.Hour), t0.Add(end), 60)
	if len(pts) > 61 || len(pts) < 55 || pts[len(pts)-1].Lag != 0 {
		t.Fatalf("%d bucketed points, last %+v", len(pts), pts[len(pts)-1])
	}
	// The load after a restart: downsampled for the long part, then full.
	got, err := mustOpen(t, dir, Options{}).Load(t0.Add(end), 2*time.Minute, 6*time.Hour, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 36+6 || len(got) > 37+7 || got[0].At.Before(t0.Add(end-6*time.Hour)) {
		t.Fatalf("load: %d ticks from %v", len(got), got[0].At)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].At.After(got[i-1].At) {
			t.Fatalf("load not in time order at %d", i)
		}
	}
}

func TestDiskBudget(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{MaxBytes: 300 << 10, SegmentBytes: 32 << 10})
	lead(t, w)
	for d := time.Duration(0); d <= 3*time.Hour; d += 2 * time.Second {
		if err := w.Append(tick(d)); err != nil {
			t.Fatal(err)
		}
	}
	w.Prune(t0.Add(3 * time.Hour))
	if u := w.DiskUsage(); u > 300<<10+2*32<<10 {
		t.Fatalf("disk usage %d over the budget", u)
	}
	got, _ := w.Series("billing", t0.Add(3*time.Hour-10*time.Minute), t0.Add(3*time.Hour), 0)
	if len(got) != 301 {
		t.Fatalf("the newest ten minutes were not kept: %d points", len(got))
	}
}

func TestKey(t *testing.T) {
	if k := Key("lkc-abc123", []string{"b:9092"}); k != "lkc-abc123" {
		t.Fatalf("real cluster id: %q", k)
	}
	a := Key("kfake", []string{"127.0.0.1:19092"})
	b := Key("kfake", []string{"127.0.0.1:19093"})
	if a == b || a != "kfake@127.0.0.1%3A19092" {
		t.Fatalf("kfake keys %q %q", a, b)
	}
	if k := Key("", []string{"h:1", "a:2"}); k != "cluster@a%3A2%2Ch%3A1" {
		t.Fatalf("no id: %q", k)
	}
	if k := Key("../../etc", nil); strings.Contains(k, "/") {
		t.Fatalf("path in key %q", k)
	}
}
