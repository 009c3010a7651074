package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestParseStart(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	cases := map[string]Start{
		"earliest":             {Kind: StartEarliest},
		"latest":               {Kind: StartLatest},
		"42":                   {Kind: StartOffset, Offset: 42},
		"-10":                  {Kind: StartFromEnd, Offset: 10},
		"-15m":                 {Kind: StartTime, Time: now.Add(-15 * time.Minute)},
		"-2d":                  {Kind: StartTime, Time: now.Add(-48 * time.Hour)},
		"-1d12h":               {Kind: StartTime, Time: now.Add(-36 * time.Hour)},
		"2026-11-21T10:00:00Z": {Kind: StartTime, Time: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		"2026-11-21T10:00:00":  {Kind: StartTime, Time: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
	}
	for in, want := range cases {
		got, err := ParseStart(in, now)
		if err != nil || got.Kind != want.Kind || got.Offset != want.Offset || !got.Time.Equal(want.Time) {
			t.Errorf("ParseStart(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-", "--5m", "12abc", "-xd", "-2dd", "99999999999999999999", "-P213504D", "0000-01-01"} {
		if _, err := ParseStart(bad, now); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseStart(%q) should fail naming the input, got %v", bad, err)
		}
	}
}

func TestAppendRecordJSON(t *testing.T) {
	r := &kgo.Record{Topic: "t\"x", Partition: 3, Offset: 12345,
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC),
		Key:       []byte("k\x1b[31m\u2028"), Value: []byte{0xff, 0x00, 0x1b},
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}, {Key: "nil"}}}
	out := AppendRecordJSON(nil, r)
	if strings.ContainsAny(string(out), "\x1b\x00") {
		t.Fatalf("raw control bytes leaked: %q", out)
	}
	var got struct {
		Topic         string  `json:"topic"`
		Partition     int32   `json:"partition"`
		Offset        int64   `json:"offset"`
		Timestamp     string  `json:"timestamp"`
		Key           *string `json:"key"`
		Value         *string `json:"value"`
		ValueEncoding string  `json:"value_encoding"`
		Headers       []struct {
			Key   string  `json:"key"`
			Value *string `json:"value"`
		} `json:"headers"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", out, err)
	}
	if got.Topic != "t\"x" || got.Partition != 3 || got.Offset != 12345 || got.Timestamp != "2026-01-02T03:04:05.678Z" {
		t.Fatalf("fields: %+v", got)
	}
	if *got.Key != "k\x1b[31m\u2028" {
		t.Fatalf("key round trip: %q", *got.Key)
	}
	raw, _ := base64.StdEncoding.DecodeString(*got.Value)
	if got.ValueEncoding != "base64" || string(raw) != "\xff\x00\x1b" {
		t.Fatalf("binary value: %+v", got)
	}
	if len(got.Headers) != 2 || *got.Headers[0].Value != "abc" || got.Headers[1].Value != nil {
		t.Fatalf("headers: %+v", got.Headers)
	}
	// Bidi overrides, zero-width and tag characters are escaped too, and
	// still decode to the same string.
	tricky := "a\u202eb\u2066c\u200bd\U000E0041e"
	out = AppendRecordJSON(nil, &kgo.Record{Topic: "t", Value: []byte(tricky)})
	if strings.ContainsAny(string(out), "\u202e\u2066\u200b\U000E0041") {
		t.Fatalf("format characters leaked raw: %q", out)
	}
	var back struct{ Value string }
	if err := json.Unmarshal(out, &back); err != nil || back.Value != tricky {
		t.Fatalf("round trip: %q %v", back.Value, err)
	}
	null := AppendRecordJSON(nil, &kgo.Record{Topic: "t", Offset: -1})
	if !strings.Contains(string(null), `"key":null,"value":null`) || !strings.Contains(string(null), `"offset":-1`) {
		t.Fatalf("nulls: %s", null)
	}
}

func TestConsumeBounded(t *testing.T) {
	_, c := testCluster(t)
	createTopic(t, c, "c", 2, nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	produceN(t, c, "c", 0, 100, base)
	produceN(t, c, "c", 1, 50, base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	count := func(o ConsumeOptions) (int, map[int32]int64) {
		t.Helper()
		n, last := 0, map[int32]int64{}
		err := c.Consume(ctx, o, func(r *kgo.Record, _ TxnState) error {
			if prev, ok := last[r.Partition]; ok && r.Offset <= prev {
				t.Fatalf("out of order: %d after %d", r.Offset, prev)
			}
			last[r.Partition] = r.Offset
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	if n, last := count(ConsumeOptions{Topic: "c", From: Start{Kind: StartEarliest}, UntilEnd: true}); n != 150 || last[0] != 99 || last[1] != 49 {
		t.Fatalf("until end: %d %v", n, last)
	}
	if n, _ := count(ConsumeOptions{Topic: "c", From: Start{Kind: StartEarliest}, Count: 7}); n != 7 {
		t.Fatalf("count: %d", n)
	}
	if n, _ := count(ConsumeOptions{Topic: "c", Partitions: []int32{1}, From: Start{Kind: StartFromEnd, Offset: 5}, UntilEnd: true}); n != 5 {
		t.Fatalf("-5 on p1: %d", n)
	}
	if n, _ := count(ConsumeOptions{Topic: "c", From: Start{Kind: StartTime, Time: base.Add(90 * time.Second)}, UntilEnd: true}); n != 10 {
		t.Fatalf("from time: %d", n)
	}
	if n, _ := count(ConsumeOptions{Topic: "c", From: Start{Kind: StartLatest}, UntilEnd: true}); n != 0 {
		t.Fatalf("latest until end: %d", n)
	}
	err := c.Consume(ctx, ConsumeOptions{Topic: "c", Partitions: []int32{9}, UntilEnd: true}, func(*kgo.Record, TxnState) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no partition 9") {
		t.Fatalf("bad partition: %v", err)
	}
	err = c.Consume(ctx, ConsumeOptions{Topic: "missing", UntilEnd: true}, func(*kgo.Record, TxnState) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unknown topic") {
		t.Fatalf("missing topic: %v", err)
	}
}
