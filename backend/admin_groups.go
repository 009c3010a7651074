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

// OffsetsDeleteRefusal says why Kafka would refuse to delete group's
// committed offsets on topic now ("" when it would not), with the group's
// member count: a group with members may only lose the offsets of topics
// none of them subscribes to or is assigned (GROUP_SUBSCRIBED_TO_TOPIC),
// and a classic group whose protocol is not "consumer" (Connect, ...) only
// while it is empty (NON_EMPTY_GROUP). The broker checks again on the
// write; this is the reason said before it.
func (c *Cluster) OffsetsDeleteRefusal(ctx context.Context, group, topic string) (members int, reason string, err error) {
	gls, err := c.collectGroups(ctx, []string{group}, false)
	if err != nil {
		return 0, "", fmt.Errorf("describe group %q: %w", group, err)
	}
	if len(gls) != 1 {
		return 0, "", fmt.Errorf("describe group %q: %d answers", group, len(gls))
	}
	g := gls[0]
	if g.Err != "" && g.Err != "no such group" {
		return 0, "", fmt.Errorf("describe group %q: %s", group, g.Err)
	}
	if g.Members == 0 {
		return 0, "", nil
	}
	mem := "members"
	if g.Members == 1 {
		mem = "member"
	}
	who := fmt.Sprintf("group %q has %d %s (state %s)", group, g.Members, mem, g.State)
	switch {
	case g.Protocol == "classic" && g.ProtocolType != "consumer":
		return g.Members, fmt.Sprintf("%s of protocol type %q: Kafka deletes its offsets only once it is empty (NON_EMPTY_GROUP); stop its members first", who, g.ProtocolType), nil
	case g.consuming[topic]:
		return g.Members, fmt.Sprintf("%s consuming %q: Kafka refuses to delete the offsets of a topic the group is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC); stop its consumers first", who, topic), nil
	}
	return g.Members, "", nil
}
