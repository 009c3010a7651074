package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic administration: create, delete, describe and alter configs, add
// partitions. Every write calls CheckWrite first. Previews (config diffs,
// partition additions) are validated by the broker with validate-only
// requests, so a preview that passes is one the broker accepts.

// TopicSpec describes a topic to create.
type TopicSpec struct {
	Name       string
	Partitions int32
	// ReplicationFactor <= 0 uses the broker default.
	ReplicationFactor int16
	Configs           map[string]string
}

// CreatedTopic is what the broker says it created.
type CreatedTopic struct {
	Name              string `json:"name"`
	ID                string `json:"id,omitempty"`
	Partitions        int32  `json:"partitions"`
	ReplicationFactor int16  `json:"replication_factor"`
}

// ValidTopicName checks name against Kafka's rules (1-249 characters of
// [a-zA-Z0-9._-], not "." or ".."), so a bad name gets a clear sentence
// instead of the broker's INVALID_TOPIC_EXCEPTION.
func ValidTopicName(name string) error {
	switch {
	case name == "":
		return errors.New("topic name is empty")
	case name == "." || name == "..":
		return fmt.Errorf("topic name %q is not allowed", name)
	case len(name) > 249:
		return fmt.Errorf("topic name is %d characters long; at most 249", len(name))
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-') {
			return fmt.Errorf("topic name %q: character %q at %d is not allowed (letters, digits, '.', '_', '-')", name, rune(b), i+1)
		}
	}
	return nil
}

// CreateTopicSpec creates a topic. An existing topic is an error that says so.
func (c *Cluster) CreateTopicSpec(ctx context.Context, s TopicSpec) (CreatedTopic, error) {
	if err := c.CheckWrite(); err != nil {
		return CreatedTopic{}, err
	}
	if err := ValidTopicName(s.Name); err != nil {
		return CreatedTopic{}, err
	}
	if s.Partitions < 1 {
		return CreatedTopic{}, fmt.Errorf("create topic %q: partitions must be at least 1, got %d", s.Name, s.Partitions)
	}
	rf := s.ReplicationFactor
	if rf <= 0 {
		rf = -1
	}
	var cfgs map[string]*string
	if len(s.Configs) > 0 {
		cfgs = make(map[string]*string, len(s.Configs))
		for k, v := range s.Configs {
			cfgs[k] = kadm.StringPtr(v)
		}
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.CreateTopics(ctx, s.Partitions, rf, cfgs, s.Name)
	if err != nil {
		return CreatedTopic{}, fmt.Errorf("create topic %q: %w", s.Name, cleanErr(err))
	}
	r, ok := resps[s.Name]
	if !ok {
		return CreatedTopic{}, fmt.Errorf("create topic %q: the broker did not answer for it", s.Name)
	}
	if r.Err != nil {
		if errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return CreatedTopic{}, fmt.Errorf("create topic %q: it already exists", s.Name)
		}
		return CreatedTopic{}, fmt.Errorf("create topic %q: %w%s", s.Name, r.Err, errText(r.ErrMessage))
	}
	c.invalidate(s.Name)
	out := CreatedTopic{Name: s.Name, Partitions: r.NumPartitions, ReplicationFactor: r.ReplicationFactor}
	if r.ID != (kadm.TopicID{}) {
		out.ID = r.ID.String()
	}
	if out.Partitions <= 0 {
		out.Partitions = s.Partitions
	}
	return out, nil
}

// TopicExists reports whether the cluster has topic.
func (c *Cluster) TopicExists(ctx context.Context, topic string) (bool, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	tds, err := c.adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return false, fmt.Errorf("metadata for %q: %w", topic, cleanErr(err))
	}
	td, ok := tds[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return false, nil
	}
	if td.Err != nil {
		return false, fmt.Errorf("metadata for %q: %w", topic, td.Err)
	}
	return true, nil
}

// DeleteTopic deletes a topic and all its records. Internal topics are
// refused here (the broker refuses them too).
func (c *Cluster) DeleteTopic(ctx context.Context, topic string) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	if strings.HasPrefix(topic, "__") {
		return fmt.Errorf("delete topic %q: refused: internal topics are not deleted", topic)
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.DeleteTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("delete topic %q: %w", topic, cleanErr(err))
	}
	r, ok := resps[topic]
	if !ok {
		return fmt.Errorf("delete topic %q: the broker did not answer for it", topic)
	}
	c.invalidate(topic)
	if errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("delete topic: %w %q", ErrUnknownTopic, topic)
	}
	if r.Err != nil {
		return fmt.Errorf("delete topic %q: %w%s", topic, r.Err, errText(r.ErrMessage))
	}
	return nil
}

// Config sources, short names for people and JSON.
const (
	SourceDefault        = "default"         // the broker's built-in default
	SourceStatic         = "static"          // the broker's config file
	SourceDynamicTopic   = "dynamic-topic"   // set on this topic
	SourceDynamicBroker  = "dynamic-broker"  // set on one broker at runtime
	SourceDynamicCluster = "dynamic-cluster" // set as the cluster-wide default at runtime
	SourceUnknown        = "unknown"
)

func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDefaultConfig:
		return SourceDefault
	case kmsg.ConfigSourceStaticBrokerConfig:
		return SourceStatic
	case kmsg.ConfigSourceDynamicTopicConfig:
		return SourceDynamicTopic
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return SourceDynamicBroker
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return SourceDynamicCluster
	}
	return SourceUnknown
}

// ConfigEntry is one configuration of a topic.
type ConfigEntry struct {
	Name string `json:"name"`
	// Value is nil when the broker reports none, or for a sensitive config
	// (its value is never shown).
	Value  *string `json:"value"`
	Source string  `json:"source"`
	// Override is set when the value is set on the topic itself (source
	// dynamic-topic): a non-default.
	Override  bool `json:"override"`
	Sensitive bool `json:"sensitive,omitempty"`
	// Inherited is the value the topic would have without its override:
	// the next synonym (broker or default), when the broker reports it.
	Inherited       *string `json:"inherited,omitempty"`
	InheritedSource string  `json:"inherited_source,omitempty"`
}

// TopicConfig describes every configuration of topic, sorted by name.
func (c *Cluster) TopicConfig(ctx context.Context, topic string) ([]ConfigEntry, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	rcs, err := c.adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("describe configs of %q: %w", topic, cleanErr(err))
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || errors.Is(rc.Err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("%w %q", ErrUnknownTopic, topic)
	}
	if rc.Err != nil {
		return nil, fmt.Errorf("describe configs of %q: %w%s", topic, rc.Err, errText(rc.ErrMessage))
	}
	out := make([]ConfigEntry, 0, len(rc.Configs))
	for _, cf := range rc.Configs {
		e := ConfigEntry{Name: cf.Key, Value: cf.Value, Source: sourceName(cf.Source), Sensitive: cf.Sensitive,
			Override: cf.Source == kmsg.ConfigSourceDynamicTopicConfig}
		if cf.Sensitive {
			e.Value = nil
		}
		for _, syn := range cf.Synonyms {
			if syn.Source == kmsg.ConfigSourceDynamicTopicConfig {
				continue
			}
			if !cf.Sensitive {
				e.Inherited = syn.Value
			}
			e.InheritedSource = sourceName(syn.Source)
			break
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func errText(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// ConfigChange sets a config on a topic (Value non-nil) or removes the
// topic's override so it inherits again (Value nil).
type ConfigChange struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// ConfigDiff is one config before and after a change, for the preview and
// the audit trail. After for a removed override is the inherited value
// when the broker reports it.
type ConfigDiff struct {
	Name         string  `json:"name"`
	Before       *string `json:"before"`
	BeforeSource string  `json:"before_source"`
	After        *string `json:"after"`
	AfterSource  string  `json:"after_source"`
	Sensitive    bool    `json:"sensitive,omitempty"`
}

// Changed reports whether the change alters anything.
func (d ConfigDiff) Changed() bool {
	if d.BeforeSource != d.AfterSource {
		return true
	}
	if (d.Before == nil) != (d.After == nil) {
		return true
	}
	return d.Before != nil && *d.Before != *d.After
}

// PlanTopicConfig previews changes: the configs before and after, checked
// by the broker with a validate-only request (nothing is changed).
func (c *Cluster) PlanTopicConfig(ctx context.Context, topic string, changes []ConfigChange) ([]ConfigDiff, error) {
	if len(changes) == 0 {
		return nil, errors.New("no config changes given")
	}
	seen := map[string]bool{}
	for _, ch := range changes {
		if strings.TrimSpace(ch.Name) == "" {
			return nil, errors.New("a config change has an empty name")
		}
		if seen[ch.Name] {
			return nil, fmt.Errorf("config %q is changed twice", ch.Name)
		}
		seen[ch.Name] = true
	}
	cur, err := c.TopicConfig(ctx, topic)
	if err != nil {
		return nil, err
	}
	by := make(map[string]ConfigEntry, len(cur))
	for _, e := range cur {
		by[e.Name] = e
	}
	out := make([]ConfigDiff, 0, len(changes))
	for _, ch := range changes {
		e, ok := by[ch.Name]
		d := ConfigDiff{Name: ch.Name, Before: e.Value, BeforeSource: e.Source, Sensitive: e.Sensitive}
		if !ok {
			// The broker describes every config a topic can have; a name
			// it does not list is a typo (kfake's validate-only accepts
			// anything, Kafka would refuse it).
			return nil, fmt.Errorf("topic %q has no config %q (see `rewind topic config %s`)", topic, ch.Name, topic)
		}
		if ch.Value != nil {
			d.After, d.AfterSource = ch.Value, SourceDynamicTopic
		} else {
			if !e.Override {
				return nil, fmt.Errorf("config %q of topic %q is not set on the topic (source %s): nothing to remove", ch.Name, topic, d.BeforeSource)
			}
			d.After, d.AfterSource = e.Inherited, e.InheritedSource
			if d.AfterSource == "" {
				d.AfterSource = SourceDefault
			}
		}
		if d.Sensitive {
			d.Before, d.After = nil, nil
		}
		out = append(out, d)
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.ValidateAlterTopicConfigs(ctx, alterConfigs(changes), topic)
	if err != nil {
		return nil, fmt.Errorf("validate config change of %q: %w", topic, cleanErr(err))
	}
	if err := alterErr(resps, topic); err != nil {
		return nil, fmt.Errorf("the broker refuses the change of %q: %w", topic, err)
	}
	return out, nil
}

func alterConfigs(changes []ConfigChange) []kadm.AlterConfig {
	acs := make([]kadm.AlterConfig, len(changes))
	for i, ch := range changes {
		acs[i] = kadm.AlterConfig{Op: kadm.SetConfig, Name: ch.Name, Value: ch.Value}
		if ch.Value == nil {
			acs[i].Op = kadm.DeleteConfig
		}
	}
	return acs
}

func alterErr(resps kadm.AlterConfigsResponses, topic string) error {
	for _, r := range resps {
		if r.Name != topic || r.Err == nil {
			continue
		}
		if errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("%w %q", ErrUnknownTopic, topic)
		}
		return fmt.Errorf("%w%s", r.Err, errText(r.ErrMessage))
	}
	return nil
}

// AlterTopicConfig applies changes with an incremental alter (other
// configs of the topic are left as they are).
func (c *Cluster) AlterTopicConfig(ctx context.Context, topic string, changes []ConfigChange) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	if len(changes) == 0 {
		return errors.New("no config changes given")
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.AlterTopicConfigs(ctx, alterConfigs(changes), topic)
	if err != nil {
		return fmt.Errorf("alter configs of %q: %w", topic, cleanErr(err))
	}
	if err := alterErr(resps, topic); err != nil {
		return fmt.Errorf("alter configs of %q: %w", topic, err)
	}
	return nil
}

// PlanAddPartitions checks that topic can grow to total partitions (a
// validate-only request) and returns its current count.
func (c *Cluster) PlanAddPartitions(ctx context.Context, topic string, total int) (current int, err error) {
	ids, err := c.PartitionIDs(ctx, topic)
	if err != nil {
		return 0, err
	}
	current = len(ids)
	if total <= current {
		return current, fmt.Errorf("topic %q has %d partitions; the new count must be larger (partitions can only be added), got %d", topic, current, total)
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.ValidateUpdatePartitions(ctx, total, topic)
	if err != nil {
		return current, fmt.Errorf("validate adding partitions to %q: %w", topic, cleanErr(err))
	}
	if r, ok := resps[topic]; ok && r.Err != nil {
		return current, fmt.Errorf("the broker refuses %d partitions for %q: %w%s", total, topic, r.Err, errText(r.ErrMessage))
	}
	return current, nil
}

// AddPartitions grows topic to total partitions.
func (c *Cluster) AddPartitions(ctx context.Context, topic string, total int) error {
	if err := c.CheckWrite(); err != nil {
		return err
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	resps, err := c.adm.UpdatePartitions(ctx, total, topic)
	if err != nil {
		return fmt.Errorf("add partitions to %q: %w", topic, cleanErr(err))
	}
	c.invalidate(topic)
	r, ok := resps[topic]
	if !ok {
		return fmt.Errorf("add partitions to %q: the broker did not answer for it", topic)
	}
	if r.Err != nil {
		if errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("add partitions: %w %q", ErrUnknownTopic, topic)
		}
		return fmt.Errorf("add partitions to %q: %w%s", topic, r.Err, errText(r.ErrMessage))
	}
	return nil
}
