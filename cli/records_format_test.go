package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// formatTopic writes records that exercise every -f field: headers (one
// without a value), a null key, a null value, empty ones, binary bytes
// with an escape sequence and a newline, UTF-8.
func formatTopic(t *testing.T) *testkit.Broker {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("f", 1, nil)
	ts := time.UnixMilli(1_700_000_000_123)
	b.Produce(
		&kgo.Record{Topic: "f", Key: []byte("k1"), Value: []byte(`{"a":1}`), Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("x")}, {Key: "h2"}, {Key: "h3", Value: []byte("y z")}}},
		&kgo.Record{Topic: "f", Value: []byte("no key"), Timestamp: ts.Add(time.Millisecond)},
		&kgo.Record{Topic: "f", Key: []byte("no value"), Timestamp: ts.Add(2 * time.Millisecond)},
		&kgo.Record{Topic: "f", Key: []byte{}, Value: []byte{}, Timestamp: ts.Add(3 * time.Millisecond)},
		&kgo.Record{Topic: "f", Key: []byte("bin"), Value: []byte("\x1b[31mred\xff\x00\nnext"), Timestamp: ts.Add(4 * time.Millisecond)},
		&kgo.Record{Topic: "f", Key: []byte("ü"), Value: []byte("grüße"), Timestamp: ts.Add(5 * time.Millisecond)},
	)
	return b
}

// -f FORMAT writes byte for byte what kcat -f writes for the same records
// (to a pipe: as stored), and -o value what kcat -f '%s\n' writes.
func TestConsumeFormatMatchesKcat(t *testing.T) {
	kcat := needKcat(t)
	b := formatTopic(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, f := range []string{`%t|%p|%o|%k|%s|%T|%h|%K|%S\n`, `%s\n`, `[%k]\t%S %%\x41\r\n`, `%h%h`} {
		want, err := exec.CommandContext(ctx, kcat, "-C", "-e", "-q", "-b", b.Addr, "-t", "f", "-o", "beginning", "-f", f).Output()
		if err != nil {
			t.Fatalf("kcat -f %s: %v", f, err)
		}
		code, out, errb := runCLI("-b", b.Addr, "consume", "f", "--until", "end", "-f", f)
		if code != 0 {
			t.Fatalf("-f %s: exit %d: %s", f, code, errb)
		}
		if out != string(want) {
			t.Errorf("-f %s:\nrewind %q\nkcat   %q", f, out, want)
		}
		if f == `%s\n` {
			code, out, errb := runCLI("-b", b.Addr, "consume", "f", "--until", "end", "-o", "value")
			if code != 0 || out != string(want) {
				t.Errorf("-o value: exit %d %s\nrewind %q\nkcat   %q", code, errb, out, want)
			}
		}
	}
}

// -f and -o value go through the scan engine too (--filter), and -f goes
// with no -o.
func TestConsumeFormatFilterAndFlags(t *testing.T) {
	b := formatTopic(t)
	code, out, errb := runCLI("-b", b.Addr, "consume", "f", "--until", "end", "--filter", `key == "k1"`, "-f", `%o %s\n`)
	if code != 0 || out != "0 {\"a\":1}\n" {
		t.Fatalf("--filter -f: exit %d %q %s", code, out, errb)
	}
	code, out, _ = runCLI("-b", b.Addr, "consume", "f", "--until", "end", "--limit", "1", "-o", "value")
	if code != 0 || out != "{\"a\":1}\n" {
		t.Fatalf("--limit -o value: exit %d %q", code, out)
	}
	code, out, errb = runCLI("-b", b.Addr, "consume", "f", "--until", "end", "-f", `%s`, "-o", "json")
	if code != 1 || out != "" || !strings.Contains(errb, "give one") {
		t.Fatalf("-f with -o: exit %d %q %s", code, out, errb)
	}
}

func TestParseFormatErrors(t *testing.T) {
	for f, want := range map[string]string{
		`%z`:      "unknown field %z at byte 0",
		`ab%`:     "a lone % at the end",
		`%s\`:     `a lone \ at the end`,
		`%s\e`:    `unknown escape \e at byte 2`,
		`\x4`:     `\x at byte 0 needs two hex digits`,
		`\xzz%s`:  `\x at byte 0 needs two hex digits`,
		"\x1b[2J": "", // valid: a literal; quoted safely in no error
	} {
		_, err := parseFormat(f)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", f, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", f, err, want)
		}
	}
	// The format is echoed in errors without its control bytes.
	if _, err := parseFormat("\x1b]0;x\a%z"); err == nil || strings.ContainsAny(err.Error(), "\x1b\a") {
		t.Fatalf("unsafe error: %q", err)
	}
}

// On a terminal (safe) no record byte reaches the screen raw: no escape,
// control or invalid UTF-8 byte is written, printable text is unchanged.
func TestAppendFormattedSafe(t *testing.T) {
	ops, err := parseFormat(`%k %s %h %t`)
	if err != nil {
		t.Fatal(err)
	}
	r := &kgo.Record{Topic: "t\x1b", Key: []byte("k\x07"), Value: []byte("\x1b[31mred\xff\x9b\nnext grüße"),
		Headers: []kgo.RecordHeader{{Key: "h\x1b", Value: []byte("v\x1b")}}}
	out := appendFormatted(nil, ops, r, true)
	for _, c := range []byte("\x1b\x07\n\xff") {
		if bytes.IndexByte(out, c) >= 0 {
			t.Fatalf("raw byte 0x%02x reaches the terminal: %q", c, out)
		}
	}
	if bytes.Contains(out, []byte("\u009b")) {
		t.Fatalf("raw bytes reach the terminal: %q", out)
	}
	if !bytes.Contains(out, []byte("grüße")) || !bytes.Contains(out, []byte("red")) {
		t.Fatalf("text lost: %q", out)
	}
	raw := appendFormatted(nil, ops, r, false)
	if want := fmt.Sprintf("%s %s h\x1b=v\x1b t\x1b", r.Key, r.Value); string(raw) != want {
		t.Fatalf("raw: %q want %q", raw, want)
	}
}

// Lines of a multi-partition topic: every record once, fields per record.
func TestConsumeFormatPartitions(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("m", 3, nil)
	b.ProduceSeq("m", 3, 50, time.Now())
	code, out, errb := runCLI("-b", b.Addr, "consume", "m", "--until", "end", "-f", `%p/%o\n`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	sort.Strings(lines)
	var want []string
	for p := range 3 {
		for o := range 50 {
			want = append(want, fmt.Sprintf("%d/%d", p, o))
		}
	}
	sort.Strings(want)
	if strings.Join(lines, ",") != strings.Join(want, ",") {
		t.Fatalf("got %d lines: %v", len(lines), lines[:min(len(lines), 10)])
	}
}
