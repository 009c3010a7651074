package views

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/scan"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The produce form (records view P): one record to the topic — key, value
// (inline or in $EDITOR), headers, partition and, with a schema registry,
// the value's subject — through the action flow: refused under read-only
// at once, a preview of exactly what will be written, a yes, then
// admin.Produce (audited) and the partition and offset the broker gave.

var keyRecProduce = binding([]string{"P"}, "P", "produce a record")

// previewLines and previewWidth bound how much of a value the preview
// shows: lines of at most previewWidth characters, so that a value reads
// whole (wrapped, not cut at the screen's edge) on an 80-column terminal.
const (
	previewLines = 8
	previewWidth = 56
)

// NewProduce asks for one record to write to topic; partition is the
// view's partition (the default), or -1 for "by key".
func NewProduce(env *Env, topic string, partition int32) ui.Screen {
	c := env.Cluster
	defPart := "by key"
	if partition >= 0 {
		defPart = strconv.Itoa(int(partition))
	}
	registry := env.Decoder.RegistryURL() != ""
	return newAction(env, actionSpec{
		Title: "produce",
		Again: true,
		Head:  "Produce a record to " + ui.Sanitize(topic) + " on " + ui.Sanitize(c.Addr()),
		Fields: []actionField{
			{Label: "key:", Placeholder: "(none: a null key)"},
			{Label: "value:", Placeholder: "(empty) · ctrl+e: write it in $EDITOR", Editor: true},
			{Label: "header:", Placeholder: "NAME=VALUE, one at a time (enter on empty: no more)", Repeat: true, Validate: func(v string) error {
				_, err := parseHeader(v)
				return err
			}},
			{Label: "partition:", Default: defPart, Validate: func(v string) error {
				_, err := parsePartition(v)
				return err
			}},
			{Label: "value schema:", Placeholder: "(none: the value as typed) · SUBJECT [PROTOBUF-MESSAGE]",
				Skip: func([]string) bool { return !registry }},
		},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			return previewProduce(ctx, env, topic, vals)
		},
		Execute: func(ctx context.Context, _ []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
			req := p.Data.(admin.ProduceRequest)
			out, en, err := admin.Produce(ctx, c, env.auditEnv(), req)
			return fmt.Sprintf("p%d offset %s of %s", out.Partition, ui.FormatCount(out.Offset), out.Topic), en, err
		},
	})
}

func parseHeader(v string) (backend.Header, error) {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return backend.Header{}, fmt.Errorf("header %q: want NAME=VALUE", v)
	}
	return backend.Header{Key: name, Value: []byte(value)}, nil
}

// parsePartition reads "by key" (nil) or a partition number.
func parsePartition(v string) (*int32, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "by key", "key":
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return nil, errors.New("partition: a number (0, 1, …) or by key")
	}
	p := int32(n)
	return &p, nil
}

// previewProduce builds the record from the answers, encodes the value
// with the subject when one is given, and checks the topic and partition:
// the plan's lines are what will be written.
func previewProduce(ctx context.Context, env *Env, topic string, vals []string) (actionPlan, error) {
	rec := backend.ProduceRecord{Topic: topic, Value: []byte(vals[1])}
	if vals[0] != "" {
		rec.Key = []byte(vals[0])
	}
	if vals[2] != "" {
		for _, l := range strings.Split(vals[2], "\n") {
			h, err := parseHeader(l)
			if err != nil {
				return actionPlan{}, err
			}
			rec.Headers = append(rec.Headers, h)
		}
	}
	part, err := parsePartition(vals[3])
	if err != nil {
		return actionPlan{}, err
	}
	ids, err := env.Cluster.PartitionIDs(ctx, topic)
	if errors.Is(err, backend.ErrUnknownTopic) {
		return actionPlan{Block: fmt.Sprintf("topic %q does not exist", topic)}, nil
	}
	if err != nil {
		return actionPlan{}, err
	}
	var lines []string
	add := func(label, v string) { lines = append(lines, fmt.Sprintf("%-10s %s", label, v)) }
	switch {
	case part != nil && !hasPartition(ids, *part):
		return actionPlan{Block: fmt.Sprintf("topic %s has no partition %d (it has %s)", topic, *part, plural(len(ids), "partition"))}, nil
	case part != nil:
		add("to", fmt.Sprintf("%s partition %d", ui.Sanitize(topic), *part))
	case rec.Key != nil:
		add("to", fmt.Sprintf("%s partition %d (by key: murmur2 of the key over %s)", ui.Sanitize(topic), scan.KeyPartition(rec.Key, len(ids)), plural(len(ids), "partition")))
	default:
		add("to", fmt.Sprintf("%s, the partition the producer picks (no key; %s)", ui.Sanitize(topic), plural(len(ids), "partition")))
	}
	req := admin.ProduceRequest{Record: rec, Partition: part}
	if subj := strings.Fields(vals[4]); len(subj) > 0 {
		msg := ""
		if len(subj) > 1 {
			msg = subj[1]
		}
		enc, info, err := env.Decoder.SubjectEncoder(ctx, subj[0], msg)
		if err != nil {
			return actionPlan{}, err
		}
		b, err := enc.Encode(nil, rec.Value)
		if err != nil {
			return actionPlan{}, fmt.Errorf("the value does not fit %s version %d (%s, id %d): %w", info.Subject, info.Version, info.Type, info.ID, err)
		}
		req.Record.Value, req.ValueSchema = b, info.Subject
		lines = append(lines, recordLines(rec)...)
		add("encoded", fmt.Sprintf("%s with %s version %d (%s, schema id %d), Confluent wire format", ui.FormatBytes(int64(len(b))),
			ui.Sanitize(info.Subject), info.Version, info.Type, info.ID))
	} else {
		lines = append(lines, recordLines(rec)...)
	}
	add("timestamp", "set by the producer (now)")
	return actionPlan{Lines: lines, Data: req}, nil
}

func hasPartition(ids []int32, p int32) bool {
	for _, id := range ids {
		if id == p {
			return true
		}
	}
	return false
}

// recordLines shows a record's key, value and headers as they will be
// written: sanitised, a long value cut after previewLines lines.
func recordLines(rec backend.ProduceRecord) []string {
	var lines []string
	add := func(label, v string) { lines = append(lines, fmt.Sprintf("%-10s %s", label, v)) }
	if rec.Key == nil {
		add("key", "null")
	} else {
		add("key", shortBytes(rec.Key, 1024)+" ("+ui.FormatBytes(int64(len(rec.Key)))+")")
	}
	switch {
	case rec.Value == nil:
		add("value", "null (a tombstone)")
	case len(rec.Value) == 0:
		add("value", "empty (0 bytes)")
	case !isText(rec.Value):
		add("value", ui.FormatBytes(int64(len(rec.Value)))+", binary: "+shortBytes(rec.Value, 64))
	default:
		shown, rest := valuePreview(rec.Value)
		add("value", ui.FormatBytes(int64(len(rec.Value)))+": "+shown[0])
		for _, l := range shown[1:] {
			add("", l)
		}
		if rest > 0 {
			add("", "… "+ui.FormatBytes(int64(rest))+" more, not shown")
		}
	}
	for _, h := range rec.Headers {
		add("header", ui.Sanitize(h.Key)+" = "+shortBytes(h.Value, 1024))
	}
	if len(rec.Headers) == 0 {
		add("headers", "none")
	}
	return lines
}

// valuePreview cuts a text value into at most previewLines sanitised lines
// of at most previewWidth characters (its own line breaks kept), and says
// how many bytes are left over.
func valuePreview(v []byte) (lines []string, rest int) {
	s := string(v)
	for len(s) > 0 && len(lines) < previewLines {
		line, next, nl := strings.Cut(s, "\n")
		if n := runeIndex(line, previewWidth); n < len(line) {
			lines = append(lines, ui.Sanitize(line[:n]))
			s = s[n:]
			continue
		}
		lines = append(lines, ui.Sanitize(line))
		if !nl {
			next = ""
		}
		s = next
	}
	return lines, len(s)
}

// runeIndex is the byte index after the first n runes of s (len(s) when
// it has fewer).
func runeIndex(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
