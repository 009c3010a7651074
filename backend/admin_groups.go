package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// DeleteGroupOffsets deletes group's committed offsets on every partition
// of topic (Kafka's OffsetDelete, v2.4+). The broker refuses while the
// group's members are subscribed to the topic; that is said plainly.
func (c *Cluster) DeleteGroupOffsets(ctx context.Context, group, topic string) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	if group == "" {
		return errors.New("delete offsets: empty group name")
	}
	ids, err := c.PartitionIDs(ctx, topic)
	if err != nil {
		return fmt.Errorf("delete offsets of group %q on %q: %w", group, topic, err)
	}
	set := kadm.TopicsSet{}
	set.Add(topic, ids...)
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.DeleteOffsets(ctx, group, set)
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
		return fmt.Errorf("delete offsets of group %q: %w", group, ErrUnknownGroup)
	case errors.Is(err, kerr.NonEmptyGroup):
		return fmt.Errorf("delete offsets of group %q refused by the broker: the group has active members", group)
	case err != nil:
		return fmt.Errorf("delete offsets of group %q on %q: %w", group, topic, cleanErr(err))
	}
	var failed []string
	subscribed := false
	for t, ps := range resps {
		for p, perr := range ps {
			if perr == nil {
				continue
			}
			if errors.Is(perr, kerr.GroupSubscribedToTopic) {
				subscribed = true
			}
			failed = append(failed, fmt.Sprintf("%s/%d: %v", t, p, perr))
		}
	}
	if subscribed {
		return fmt.Errorf("delete offsets of group %q on %q refused by the broker: the group's consumers are subscribed to the topic; stop them first", group, topic)
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return fmt.Errorf("delete offsets of group %q on %q: %s", group, topic, strings.Join(failed, "; "))
	}
	return nil
}
