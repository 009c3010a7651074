package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// A broker whose fetches stall: consume --until end reports it on stderr,
// retries, and after --stall-timeout exits 1 saying how far it got. Today
// it exited 0 with partial output and nothing on stderr.
func TestCLIConsumeStalledBrokerFails(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("s", 2, nil)
	b.ProduceSeq("s", 2, 100, time.Now())
	b.StallFetches("s")
	code, out, errb := runCLI("-b", b.Addr, "--timeout", "500ms", "--stall-timeout", "3s", "consume", "s", "--until", "end")
	if code != 1 || out != "" {
		t.Fatalf("exit %d (want 1), stdout %q", code, out)
	}
	for _, want := range []string{"not answering for", "retrying", "consume s incomplete", "read 0 records, 0 of 200 offsets", "stopped at s/0 at 0 of 100"} {
		if !strings.Contains(errb, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
}

// consume reads committed data only by default, and labels everything
// under --isolation read-uncommitted.
func TestCLIConsumeTransactions(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("tx", 1, nil)
	rec := func(v string) *kgo.Record { return &kgo.Record{Topic: "tx", Value: []byte(v)} }
	b.Produce(rec("plain"))
	b.CommittedTxn("t1", rec("kept"))
	b.AbortedTxn("t2", rec("dropped"))
	b.OpenTxn("t3", rec("pending"))
	values := func(out string) (vs []string, txn []string) {
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var m struct{ Value, Txn string }
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			vs, txn = append(vs, m.Value), append(txn, m.Txn)
		}
		return
	}
	code, out, errb := runCLI("-b", b.Addr, "consume", "tx", "--until", "end")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if vs, _ := values(out); strings.Join(vs, ",") != "plain,kept" {
		t.Fatalf("read-committed: %v", vs)
	}
	code, out, errb = runCLI("-b", b.Addr, "--isolation", "read-uncommitted", "consume", "tx", "--until", "end")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	vs, txn := values(out)
	if strings.Join(vs, ",") != "plain,kept,dropped,pending" || strings.Join(txn, ",") != ",committed,aborted,open" {
		t.Fatalf("read-uncommitted: %v %v", vs, txn)
	}
	code, out, _ = runCLI("-b", b.Addr, "--isolation", "read-uncommitted", "consume", "tx", "--until", "end", "-o", "text")
	if code != 0 || !strings.Contains(out, "[aborted] 0/") || !strings.Contains(out, "[open] 0/") {
		t.Fatalf("text labels: %s", out)
	}
}

// `rewind consume ... | head -1` ends quietly with status 0 once head has
// its line (today the process died of SIGPIPE: status 141).
func TestCLIConsumePipeClosedExitsZero(t *testing.T) {
	b := testkit.NewBroker(t)
	b.CreateTopic("big", 1, nil)
	var recs []*kgo.Record
	for i := range 30000 {
		recs = append(recs, &kgo.Record{Topic: "big", Value: []byte(strings.Repeat("x", 100) + string(rune('a'+i%26)))})
	}
	b.Produce(recs...)
	bin := testkit.Binary(t) // built before the clock starts: a loaded machine builds slowly
	ctx, cancel := context.WithTimeout(context.Background(), 2*testkit.WaitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-b", b.Addr, "consume", "big", "--until", "end")
	cmd.Env = testkit.CleanEnv(t.TempDir())
	out, errb := testkit.Start(t, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, `"topic":"big"`) {
		t.Fatalf("first line %q: %v", line, err)
	}
	out.Close() // what head does after its line
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("after the reader closed the pipe: %v (stderr %q); want exit 0", err, errb.String())
	}
	if errb.Len() != 0 {
		t.Fatalf("stderr not quiet: %q", errb.String())
	}
}
