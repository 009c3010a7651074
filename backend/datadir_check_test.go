package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// damagedDir returns a data dir whose topic t (1 partition) holds 100
// records in 10 batches, closed cleanly.
func damagedDir(t *testing.T) (dir, seg string) {
	dir = t.TempDir()
	e := startEmb(t, dir, false, embeddedTuning{})
	cl, adm := embClient(t, e.Addr())
	embCreate(t, adm, "t", 1, nil)
	for range 10 {
		embProduce(t, cl, "t", 1, 10, time.Now())
	}
	cl.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "log", "partitions", "t-0", "0.dat")
}

// A truncated or corrupt segment: rewind refuses to start, one line naming
// the file and the records that cannot be read, and leaves the file as it
// was (kfake would have truncated it); --accept-damage starts anyway.
// Today kfake silently dropped the records after the damage.
func TestEmbeddedDamagedSegmentRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, seg string)
		want   []string
	}{
		{"truncated", func(t *testing.T, seg string) {
			st, _ := os.Stat(seg)
			if err := os.Truncate(seg, st.Size()*6/10+7); err != nil {
				t.Fatal(err)
			}
		}, []string{"cut short", "offsets 60 to 99 (40 records) of t/0 unreadable"}},
		{"bit flip", func(t *testing.T, seg string) {
			b, _ := os.ReadFile(seg)
			b[len(b)/2+40] ^= 0x40
			if err := os.WriteFile(seg, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"batch checksum mismatch", "records) of t/0 unreadable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, seg := damagedDir(t)
			tc.damage(t, seg)
			before, _ := os.ReadFile(seg)
			_, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
			var de *DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("start on a damaged dir: %v", err)
			}
			msg := err.Error()
			for _, w := range append(tc.want, filepath.Join("log", "partitions", "t-0", "0.dat")+" is damaged at byte", "--accept-damage") {
				if !strings.Contains(msg, w) {
					t.Fatalf("message lacks %q: %s", w, msg)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("not one line: %q", msg)
			}
			after, _ := os.ReadFile(seg)
			if string(before) != string(after) {
				t.Fatal("the refused start changed the segment file")
			}
			// The lock was released: accepting the damage starts.
			e, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0", AcceptDamage: true})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Damage() == nil {
				t.Fatal("accepted damage not reported")
			}
		})
	}
}

// A damaged log-starts.json refuses the start (without it a crash can
// bring back deleted records) unless accepted; it used to be ignored.
func TestEmbeddedDamagedLogStartsRefused(t *testing.T) {
	dir, _ := damagedDir(t)
	if err := os.WriteFile(filepath.Join(dir, logStartsFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "log-starts.json is damaged") || !strings.Contains(err.Error(), "--accept-damage") {
		t.Fatalf("start: %v", err)
	}
	e, err := StartEmbedded(context.Background(), EmbeddedConfig{DataDir: dir, Listen: "127.0.0.1:0", AcceptDamage: true})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}
