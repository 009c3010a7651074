package project

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run whose state store lost records (its write-ahead log truncated:
// Pebble recovers silently with what is left) is refused by show, diff,
// export and publish with one line naming the store, never read as if it
// were whole; a store Pebble cannot open is one line too.
func TestDamagedRunStateRefused(t *testing.T) {
	w := newWorld(t)
	w.topic("orders", 3, nil)
	w.orders(300)
	w.run("name: r\ntopic: orders\nkey: value.customer_id\naggregate: sum\nvalue: value.amount\n", "r", Options{keepWAL: true}) // the rows in the WAL, as after a kill -9
	state := statePath(w.dir, "r")
	logs, _ := filepath.Glob(filepath.Join(state, "*.log"))
	if ssts, _ := filepath.Glob(filepath.Join(state, "*.sst")); len(logs) == 0 || len(ssts) > 0 {
		t.Fatalf("want the rows in the WAL only: logs %v ssts %v", logs, ssts)
	}
	for _, l := range logs {
		if err := os.Truncate(l, 64); err != nil {
			t.Fatal(err)
		}
	}
	oneLine := func(what string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s on a damaged run: no error", what)
		}
		for _, s := range append(want, state) {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%s: %v; want %q", what, err, s)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("%s: not one line: %q", what, err)
		}
	}
	_, err := OpenTable(w.dir, "r")
	oneLine("open", err, `run "r": the state store`, "is damaged: it holds 0 of the 300 records")
	_, err = Export(context.Background(), w.dir, "r", io.Discard, "jsonl")
	oneLine("export", err, "is damaged")
	_, err = Publish(context.Background(), w.c, w.dir, "r", PublishOptions{Topic: "pub"})
	oneLine("publish", err, "is damaged")

	if err := os.WriteFile(filepath.Join(state, "MANIFEST-000001"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenTable(w.dir, "r")
	oneLine("open (manifest)", err, `run "r"`)
}
