package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// txnTopic writes "pay" (3 partitions): plain records, committed, aborted
// and still-open transactions of several producers, interleaved across
// partitions, deterministic. Values are {"customer":..., "amount":...}.
func txnTopic(t *testing.T) *testkit.Broker {
	t.Helper()
	b := testkit.NewBroker(t)
	b.CreateTopic("pay", 3, nil)
	r := rand.New(rand.NewSource(7))
	n := 0
	rec := func() *kgo.Record {
		n++
		return &kgo.Record{Topic: "pay", Partition: int32(r.Intn(3)), Key: fmt.Appendf(nil, "k%d", n),
			Value: fmt.Appendf(nil, `{"customer":"c%d","amount":%d}`, r.Intn(5), 1+r.Intn(100))}
	}
	batch := func(k int) []*kgo.Record {
		out := make([]*kgo.Record, k)
		for i := range out {
			out[i] = rec()
		}
		return out
	}
	for round := range 6 {
		b.Produce(batch(3)...)
		b.CommittedTxn(fmt.Sprintf("ok-%d", round), batch(4)...)
		b.AbortedTxn(fmt.Sprintf("bad-%d", round), batch(5)...)
	}
	b.OpenTxn("open", batch(4)...) // holds the LSO of the partitions it wrote
	return b
}

type seen struct {
	P     int32
	O     int64
	Value string
}

// A read-committed librdkafka consumer (kcat) and rewind see the same
// records, and a projection over them equals the sums kcat's records give.
func TestTransactionsMatchKcatReadCommitted(t *testing.T) {
	kcat := needKcat(t)
	b := txnTopic(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.WaitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", b.Addr, "-C", "-t", "pay", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", "%p %o %s\n").Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	var want []seen
	sums := map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(l, " ", 3)
		p, _ := strconv.Atoi(f[0])
		o, _ := strconv.ParseInt(f[1], 10, 64)
		want = append(want, seen{int32(p), o, f[2]})
		var v struct {
			Customer string
			Amount   float64
		}
		if err := json.Unmarshal([]byte(f[2]), &v); err != nil {
			t.Fatalf("kcat line %q: %v", l, err)
		}
		sums[v.Customer] += v.Amount
	}
	sortSeen(want)
	if len(want) < 30 {
		t.Fatalf("kcat saw only %d records", len(want))
	}

	code, stdout, stderr := runCLI("-b", b.Addr, "consume", "pay", "--until", "end")
	if code != 0 {
		t.Fatalf("consume: %s", stderr)
	}
	var got []seen
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m struct {
			Partition int32
			Offset    int64
			Value     json.RawMessage // decoded JSON: an object
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, seen{m.Partition, m.Offset, string(m.Value)})
	}
	sortSeen(got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rewind consume (read-committed) differs from kcat:\n rewind %v\n kcat   %v", got, want)
	}

	dir := t.TempDir()
	spec := filepath.Join(dir, "sums.yaml")
	if err := os.WriteFile(spec, []byte("name: sums\ntopic: pay\nkey: value.customer\naggregate: sum\nvalue: value.amount\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI("-b", b.Addr, "--data-dir", dir, "project", "run", spec, "--name", "s")
	if code != 0 {
		t.Fatalf("project run: %s", stderr)
	}
	code, stdout, stderr = runCLI("-b", b.Addr, "--data-dir", dir, "project", "export", "s", "--file", "-")
	if code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	rows := map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m struct {
			Key   string
			Value float64
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("export line %q: %v", l, err)
		}
		rows[m.Key] = m.Value
	}
	if fmt.Sprint(rows) != fmt.Sprint(sums) {
		t.Fatalf("projection sums %v, kcat's records sum to %v", rows, sums)
	}
}

func sortSeen(s []seen) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].P != s[j].P {
			return s[i].P < s[j].P
		}
		return s[i].O < s[j].O
	})
}
