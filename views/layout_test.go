package views

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/ui"
)

// Every screen fills exactly its area at 80x24 (21 content lines under the
// shell's chrome) and at 160x45, and reflows when resized.
func TestScreensFitAndReflow(t *testing.T) {
	env, cl := testEnv(t, "dark")
	createTopic(t, cl, "a-rather-long-topic-name-for-narrow-terminals", 3, nil)
	for i := range 120 {
		produce(t, cl, &kgo.Record{Topic: "a-rather-long-topic-name-for-narrow-terminals", Partition: int32(i % 3),
			Key:     []byte("customer-0000000000-" + strings.Repeat("k", i%40)),
			Value:   []byte(`{"order_id":"o-1","customer":"c-42","amount":12.5,"note":"` + strings.Repeat("long ", 60) + `"}`),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}, Timestamp: time.Now().Add(-time.Duration(i) * time.Second)})
	}
	topic := "a-rather-long-topic-name-for-narrow-terminals"
	screens := map[string]ui.Screen{
		"topics":      NewTopics(env),
		"partitions":  NewPartitions(env, topic),
		"records p1":  NewRecords(env, topic, 1),
		"records all": NewRecords(env, topic, -1),
		"record":      NewRecordAt(env, topic, 0, 3),
	}
	for name, s := range screens {
		d := newDriver(s, 80, 21)
		for _, sz := range [][2]int{{80, 21}, {160, 42}, {60, 15}, {80, 21}} {
			d.s.SetSize(sz[0], sz[1])
			v := d.s.View()
			lines := strings.Split(v, "\n")
			if len(lines) != sz[1] {
				t.Fatalf("%s at %dx%d: %d lines\n%s", name, sz[0], sz[1], len(lines), v)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != sz[0] {
					t.Fatalf("%s at %dx%d: line %d is %d cells wide: %q", name, sz[0], sz[1], i, w, ansi.Strip(l))
				}
			}
			if sz[0] == 80 && name != "record" && !strings.Contains(ansi.Strip(v), "customer") && strings.HasPrefix(name, "records") {
				t.Fatalf("%s at 80 columns hides the key:\n%s", name, ansi.Strip(v))
			}
		}
	}
}

func TestCommands(t *testing.T) {
	env, _ := testEnv(t, "dark")
	cmds := Commands(env)
	if len(cmds) == 0 || cmds[0].Name != "topics" || cmds[0].Open().Title() != "topics" {
		t.Fatalf("commands: %+v", cmds)
	}
}
