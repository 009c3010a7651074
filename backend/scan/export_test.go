package scan

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
)

func TestEncoderCSVAndJSONL(t *testing.T) {
	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recs := []*kgo.Record{
		{Topic: "t", Partition: 1, Offset: 7, Timestamp: ts, Key: []byte("k"), Value: []byte(`{"a": 1}`),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}, {Key: "bin", Value: []byte{0xff}}}},
		{Topic: "t", Partition: 1, Offset: 8, Timestamp: ts, Value: []byte("plain text, with \"quotes\"\nand a line")},
		{Topic: "t", Partition: 1, Offset: 9, Timestamp: ts, Key: []byte("k2"), Value: []byte("\x1b]0;title\x07\x1b[2J hi")}, // text to the decoder, not to a terminal
		{Topic: "t", Partition: 1, Offset: 10, Timestamp: ts, Key: []byte("tomb")},
	}
	var buf bytes.Buffer
	enc, err := NewEncoder(&buf, CSV, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := enc.Encode(context.Background(), r, backend.TxnNone); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(buf.Bytes(), "\x1b\x07") {
		t.Fatalf("control characters in CSV: %q", buf.String())
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 5 || enc.Count() != 4 {
		t.Fatalf("%d rows, count %d: %v", len(rows), enc.Count(), err)
	}
	want := [][]string{
		{"t", "1", "7", "2026-03-01T12:00:00.000Z", "k", `{"a":1}`, "text", "json", `[{"key":"h","value":"v"},{"key":"bin","value":"/w==","value_encoding":"base64"}]`},
		{"t", "1", "8", "2026-03-01T12:00:00.000Z", "", "plain text, with \"quotes\"\nand a line", "null", "text", "[]"},
		{"t", "1", "9", "2026-03-01T12:00:00.000Z", "k2", "G10wO3RpdGxlBxtbMkogaGk=", "text", "base64", "[]"},
		{"t", "1", "10", "2026-03-01T12:00:00.000Z", "tomb", "", "text", "null", "[]"},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}

	buf.Reset()
	enc, _ = NewEncoder(&buf, JSONL, nil, true)
	_ = enc.Encode(context.Background(), recs[0], backend.TxnAborted)
	_ = enc.Flush()
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["txn"] != "aborted" || m["offset"] != 7.0 {
		t.Fatalf("jsonl: %s %v", buf.String(), err)
	}
}

func TestFileIsCompleteOrAbsent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("partial\n")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the file exists before it is complete")
	}
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("abort left %v", entries)
	}
	f, _ = Create(path, false)
	_, _ = f.WriteString("done\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing
	if b, err := os.ReadFile(path); err != nil || string(b) != "done\n" {
		t.Fatalf("committed: %q %v", b, err)
	}
	if _, err := Create(path, false); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("existing file: %v", err)
	}
	if FormatFor("x.CSV") != CSV || FormatFor("x.json") != JSONL {
		t.Fatal("FormatFor")
	}
}
