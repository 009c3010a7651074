package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rewind-log/rewind/internal/testkit"
)

// A produce to a broker that stops answering fails after the stall
// timeout, saying so, instead of waiting forever (kgo cannot fail an
// idempotent record whose request got no answer); a produce that is
// answered is not stopped by the watch.
func TestProduceToFrozenBrokerFails(t *testing.T) {
	b := testkit.NewBroker(t)
	c, err := Connect(context.Background(), Options{Brokers: b.Addrs(), Timeout: 500 * time.Millisecond, StallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	b.CreateTopic("p", 2, nil)
	pr, err := c.NewProducer(ProduceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	ctx := context.Background()
	if _, err := pr.ProduceBatch(ctx, []ProduceRecord{{Topic: "p", Value: []byte("before")}}); err != nil {
		t.Fatalf("produce to a live broker: %v", err)
	}
	b.Stall(nil, kmsg.Produce)
	done := make(chan error, 1)
	go func() {
		_, err := pr.ProduceBatch(ctx, []ProduceRecord{{Topic: "p", Value: []byte("a")}, {Topic: "p", Value: []byte("b")}})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "produce to p: no broker answered a write for 2s (--stall-timeout): stopped with 2 records unacknowledged") {
			t.Fatalf("produce to a frozen broker: %v", err)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("produce to a frozen broker still waiting")
	}
}
