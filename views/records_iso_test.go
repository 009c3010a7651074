package views

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/internal/testkit"
)

// TestRecordsIsolationToggle: i flips the records view between
// read-committed (aborted and open transactional records are not shown) and
// read-uncommitted (shown, labelled), refetching the window and restarting
// the tail.
func TestRecordsIsolationToggle(t *testing.T) {
	b := testkit.NewBroker(t)
	env := kitEnv(t, b, "dark")
	b.CreateTopic("tx", 1, nil)
	rec := func(k string) *kgo.Record { return &kgo.Record{Topic: "tx", Key: []byte(k), Value: []byte("val-" + k)} }
	b.CommittedTxn("t1", rec("com-0"), rec("com-1"))
	b.AbortedTxn("t2", rec("abo-0"), rec("abo-1"))
	b.Produce(rec("plain-0"))
	open := b.OpenTxn("t3", rec("opn-0"))

	h := startApp(t, env, NewRecords(env, "tx", 0), 160, 30)
	s := h.waitText(t, "val-com-0", "val-com-1", "val-plain-0")
	for _, gone := range []string{"abo-0", "abo-1", "opn-0", "read-uncommitted", "[aborted]"} {
		if strings.Contains(s, gone) {
			t.Fatalf("read-committed view shows %q:\n%s", gone, s)
		}
	}

	h.keys("i")
	s = h.waitText(t, "read-uncommitted: aborted and open transactions shown, labelled", "val-opn-0")
	lineHas(t, s, "abo-0", "[aborted] val-abo-0")
	lineHas(t, s, "abo-1", "[aborted] val-abo-1")
	lineHas(t, s, "opn-0", "[open] val-opn-0")
	for _, k := range []string{"com-0", "com-1", "plain-0"} {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, k) && strings.Contains(l, "[") {
				t.Fatalf("%s is labelled: %q", k, l)
			}
		}
	}

	// The tail restarted at this isolation labels what arrives.
	h.keys("f")
	h.waitText(t, "following")
	open.Produce(rec("opn-1"))
	h.waitLine(t, "opn-1", "[open] val-opn-1")

	h.keys("f", "i")
	s = h.waitFor(t, "read-committed window", func(s string) bool {
		return strings.Contains(s, "val-com-0") && !strings.Contains(s, "read-uncommitted") && !strings.Contains(s, "abo-0")
	})
	for _, gone := range []string{"abo-1", "opn-0", "opn-1", "[aborted]", "[open]"} {
		if strings.Contains(s, gone) {
			t.Fatalf("after toggling back the view shows %q:\n%s", gone, s)
		}
	}
	open.Commit()
	h.quit(t)
}
