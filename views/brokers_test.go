package views

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/ui"
)

// :brokers on a three-broker cluster: every broker with its address, the
// controller marked once, partitions led adding up to the partitions
// created, and the selected broker's log dirs with their sizes.
func TestBrokersScreen(t *testing.T) {
	goroutinesSettle(t)
	env, cl, _ := testEnvN(t, "dark", 3)
	createTopic(t, cl, "orders", 6, nil)
	seq(t, cl, "orders", 0, 50, time.Now(), time.Millisecond)
	info, err := env.Cluster.DescribeBrokers(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	h := startApp(t, env, NewBrokers(env), 160, 45)
	s := h.waitText(t, "3 brokers", "controller "+strconv.Itoa(int(info.Controller)))
	ctrl, led, size := 0, 0, int64(0)
	for _, b := range info.Brokers {
		want := []string{b.Addr}
		if b.Controller {
			want = append(want, "yes")
			ctrl++
		}
		want = append(want, strconv.Itoa(b.Leader), strconv.Itoa(b.Replicas), ui.FormatBytes(b.LogDirBytes))
		size += b.LogDirBytes
		lineHas(t, s, strconv.Itoa(int(b.ID))+" ", want...)
		led += b.Leader
	}
	if ctrl != 1 || led < 6 || size <= 0 {
		t.Fatalf("controllers %d, partitions led %d, log bytes %d (want 1, >= 6, > 0)", ctrl, led, size)
	}
	// the first row (id order) is selected: its log dirs are listed below
	first, last := info.Brokers[0], info.Brokers[2]
	h.waitText(t, "broker "+strconv.Itoa(int(first.ID))+" · "+first.Addr+" · log dirs")
	// filtering by the last broker's address leaves one row, selected
	h.keys("/")
	s = h.answer(t, last.Addr, "1 broker ", "broker "+strconv.Itoa(int(last.ID))+" · "+last.Addr+" · log dirs")
	if strings.Contains(s, first.Addr+" ") {
		t.Fatalf("filter kept %s:\n%s", first.Addr, s)
	}
	h.quit(t)
}
