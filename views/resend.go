package views

import (
	"context"
	"fmt"
	"strings"

	"github.com/rewind-log/rewind/admin"
	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// Re-send this record (record detail r): the dead-letter-queue move for one
// record. The target defaults to the topic named by the record's origin
// header (x-original-topic, Spring's kafka_dlt-original-topic), else its
// own topic; the headers to drop are checked in a list (trace ids and
// replication markers suggested, as redrive does). The preview re-reads the
// stored record (the screen's copy may be capped) and shows what will be
// written; admin.ExecuteResend writes it by key and audits it ("resend").

var keyDetResend = binding([]string{"r"}, "r", "re-send to this or another topic")

type resendData struct {
	req  admin.ResendRequest
	plan *admin.ResendPlan
}

// originTopic is the topic the record's origin header names, or "".
func originTopic(rec backend.Record) string {
	for _, name := range admin.OriginHeaders {
		for _, h := range rec.Headers {
			if h.Key == name {
				if t := strings.TrimSpace(string(h.Value)); backend.ValidTopicName(t) == nil {
					return t
				}
			}
		}
	}
	return ""
}

func dropList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// NewResend re-sends rec (its topic, partition and offset; the bytes are
// read again) to a topic asked for.
func NewResend(env *Env, rec backend.Record) ui.Screen {
	c := env.Cluster
	to, ph := rec.Topic, "(this topic)"
	if o := originTopic(rec); o != "" {
		to, ph = o, "(the origin header's topic)"
	}
	var names []string
	nameSet := map[string]bool{}
	for _, h := range rec.Headers {
		if !nameSet[h.Key] {
			names = append(names, ui.Sanitize(h.Key))
		}
		nameSet[h.Key] = true
	}
	var info []string
	if len(names) > 0 {
		info = append(info, "headers: "+strings.Join(names, ", "))
	}
	req := func(vals []string) admin.ResendRequest {
		r := admin.ResendRequest{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset,
			To: strings.TrimSpace(vals[0]), DropHeaders: dropList(vals[1])}
		if r.To == rec.Topic {
			r.To = ""
		}
		return r
	}
	return newAction(env, actionSpec{
		Title: "re-send",
		Head:  fmt.Sprintf("Re-send %s p%d offset %s", ui.Sanitize(rec.Topic), rec.Partition, ui.FormatCount(rec.Offset)),
		Info:  info,
		Fields: []actionField{
			{Label: "to topic:", Default: to, Placeholder: to + " " + ph, Validate: func(v string) error {
				return backend.ValidTopicName(strings.TrimSpace(v))
			}},
			// The record's headers, trace ids and replication markers
			// checked (as redrive suggests them).
			{Label: "drop headers:", Choices: dropChoices(nameSet), Skip: func([]string) bool { return len(rec.Headers) == 0 }},
		},
		Preview: func(ctx context.Context, vals []string) (actionPlan, error) {
			r := req(vals)
			plan, err := admin.PlanResend(ctx, c, r)
			if err != nil {
				return actionPlan{}, err
			}
			return resendPlan(r, plan), nil
		},
		Execute: func(ctx context.Context, _ []string, p actionPlan, _ string) (string, *replay.AuditEntry, error) {
			d := p.Data.(resendData)
			out, en, err := admin.ExecuteResend(ctx, c, env.auditEnv(), d.req, d.plan)
			return fmt.Sprintf("re-sent to %s: p%d offset %s", out.Topic, out.Partition, ui.FormatCount(out.Offset)), en, err
		},
	})
}

func resendPlan(r admin.ResendRequest, plan *admin.ResendPlan) actionPlan {
	o, to := plan.Original, plan.Record.Topic
	var lines, warn []string
	add := func(label, v string) { lines = append(lines, fmt.Sprintf("%-10s %s", label, v)) }
	add("from", fmt.Sprintf("%s p%d offset %s", ui.Sanitize(o.Topic), o.Partition, ui.FormatCount(o.Offset)))
	if plan.KeyPartition >= 0 {
		add("to", fmt.Sprintf("%s partition %d (by key: murmur2 of the key over %s)", ui.Sanitize(to), plan.KeyPartition, plural(plan.Partitions, "partition")))
	} else {
		add("to", fmt.Sprintf("%s, the partition the producer picks (no key; %s)", ui.Sanitize(to), plural(plan.Partitions, "partition")))
	}
	lines = append(lines, recordLines(plan.Record)...)
	for _, d := range plan.Dropped {
		add("dropped", ui.Sanitize(d))
	}
	add("timestamp", "set by the producer (now); the original's was "+fmtTime(o.Timestamp))
	if to == o.Topic {
		warn = append(warn, "the same topic: the record will be in "+ui.Sanitize(to)+" twice, and its consumers read it again")
	}
	return actionPlan{Lines: lines, Warn: warn, Data: resendData{req: r, plan: plan}}
}
