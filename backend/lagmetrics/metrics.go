// Package lagmetrics exposes the lag history's newest snapshot as
// Prometheus metrics, named and labelled like kafka-lag-exporter's so the
// dashboards and alerts written for it work unchanged:
//
//	kafka_consumergroup_group_offset{cluster_name,group,topic,partition,member_host,consumer_id,client_id}
//	kafka_consumergroup_group_lag{...same}          lag in records
//	kafka_consumergroup_group_lag_seconds{...same}  time lag (age of the oldest unconsumed record)
//	kafka_consumergroup_group_max_lag{cluster_name,group,is_simple_consumer}
//	kafka_consumergroup_group_max_lag_seconds{cluster_name,group,is_simple_consumer}
//	kafka_consumergroup_group_sum_lag{cluster_name,group}
//	kafka_consumergroup_group_topic_sum_lag{cluster_name,group,topic}
//	kafka_partition_latest_offset{cluster_name,topic,partition}
//	kafka_partition_earliest_offset{cluster_name,topic,partition}
//	kafka_consumergroup_poll_time_ms{cluster_name}
//
// and rewind's own:
//
//	rewind_consumergroup_status{cluster_name,group,status,role}   1 for the verdict, 0 for the others
//	rewind_consumergroup_status_severity{cluster_name,group}      0 UNKNOWN/own group, 1 OK ... 8 LOST
//	rewind_lag_sample_timestamp_seconds{cluster_name}             when the newest sample was taken
//	rewind_lag_sample_age_seconds{cluster_name}                   how old it is at scrape time
//	rewind_lag_history_seconds{cluster_name}                      span of history held
//	rewind_lag_sampler_leader{cluster_name}                       1 if this process samples the cluster
//	rewind_lag_polls_total{cluster_name}, rewind_lag_poll_errors_total{cluster_name}
//
// Values come from the same snapshot `rewind lag -o json` reports, so the
// two agree for a given sample. A partition without a commit has no offset,
// lag or time-lag series (kafka-lag-exporter skips them too); a time lag is
// exported only when known. rewind's own groups (role "replay" or
// "projection") report status REPLAY or PROJECTION with severity 0: an
// alert on severity > 1 never fires for them.
package lagmetrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rewind-log/rewind/backend/lag"
	"github.com/rewind-log/rewind/backend/laghist"
)

var (
	partLabels = []string{"cluster_name", "group", "topic", "partition", "member_host", "consumer_id", "client_id"}
	maxLabels  = []string{"cluster_name", "group", "is_simple_consumer"}

	descOffset     = prometheus.NewDesc("kafka_consumergroup_group_offset", "The last committed offset of the group on the partition.", partLabels, nil)
	descLag        = prometheus.NewDesc("kafka_consumergroup_group_lag", "High watermark minus committed offset of the group on the partition.", partLabels, nil)
	descLagSec     = prometheus.NewDesc("kafka_consumergroup_group_lag_seconds", "Age of the oldest record the group has not consumed on the partition.", partLabels, nil)
	descMaxLag     = prometheus.NewDesc("kafka_consumergroup_group_max_lag", "The largest partition lag of the group, in records.", maxLabels, nil)
	descMaxLagSec  = prometheus.NewDesc("kafka_consumergroup_group_max_lag_seconds", "The largest partition time lag of the group.", maxLabels, nil)
	descSumLag     = prometheus.NewDesc("kafka_consumergroup_group_sum_lag", "The group's lag summed over its partitions.", []string{"cluster_name", "group"}, nil)
	descTopicSum   = prometheus.NewDesc("kafka_consumergroup_group_topic_sum_lag", "The group's lag summed over the partitions of one topic.", []string{"cluster_name", "group", "topic"}, nil)
	descLatest     = prometheus.NewDesc("kafka_partition_latest_offset", "The high watermark of the partition.", []string{"cluster_name", "topic", "partition"}, nil)
	descEarliest   = prometheus.NewDesc("kafka_partition_earliest_offset", "The log start offset of the partition.", []string{"cluster_name", "topic", "partition"}, nil)
	descPollMs     = prometheus.NewDesc("kafka_consumergroup_poll_time_ms", "How long the last lag poll of every group took, in milliseconds.", []string{"cluster_name"}, nil)
	descStatus     = prometheus.NewDesc("rewind_consumergroup_status", "1 for the group's current verdict, 0 for the other verdicts.", []string{"cluster_name", "group", "status", "role"}, nil)
	descSeverity   = prometheus.NewDesc("rewind_consumergroup_status_severity", "Severity of the verdict: 0 UNKNOWN or one of rewind's own groups, 1 OK, 2 WARN, 3 LATE, 4 BEHIND, 5 STOP, 6 STALL, 7 REWIND, 8 LOST.", []string{"cluster_name", "group"}, nil)
	descSampleTS   = prometheus.NewDesc("rewind_lag_sample_timestamp_seconds", "When the newest lag sample was taken (Unix seconds).", []string{"cluster_name"}, nil)
	descSampleAge  = prometheus.NewDesc("rewind_lag_sample_age_seconds", "Age of the newest lag sample at scrape time.", []string{"cluster_name"}, nil)
	descHistory    = prometheus.NewDesc("rewind_lag_history_seconds", "Span of lag history held, oldest to newest sample.", []string{"cluster_name"}, nil)
	descLeader     = prometheus.NewDesc("rewind_lag_sampler_leader", "1 if this process samples the cluster; 0 if it follows the process that does.", []string{"cluster_name"}, nil)
	descPolls      = prometheus.NewDesc("rewind_lag_polls_total", "Lag polls made by this process.", []string{"cluster_name"}, nil)
	descPollErrors = prometheus.NewDesc("rewind_lag_poll_errors_total", "Lag polls of this process that failed (wholly or in part).", []string{"cluster_name"}, nil)
)

// Collector is a prometheus.Collector over a sampler's snapshots.
type Collector struct {
	s       *laghist.Sampler
	cluster string
	now     func() time.Time
}

// New returns the collector of s; cluster is the cluster_name label.
func New(s *laghist.Sampler, cluster string) *Collector {
	return &Collector{s: s, cluster: cluster, now: time.Now}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOffset, descLag, descLagSec, descMaxLag, descMaxLagSec, descSumLag, descTopicSum,
		descLatest, descEarliest, descPollMs, descStatus, descSeverity, descSampleTS, descSampleAge, descHistory, descLeader,
		descPolls, descPollErrors} {
		ch <- d
	}
}

// Collect sends the newest snapshot's values.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	sn := c.s.Snapshot()
	cl := c.cluster
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	leader := 0.0
	if sn.Poll.Leader {
		leader = 1
	}
	gauge(descLeader, leader, cl)
	counter(descPolls, float64(sn.Poll.Polls), cl)
	counter(descPollErrors, float64(sn.Poll.Errors), cl)
	if sn.Poll.Polls > 0 {
		gauge(descPollMs, float64(sn.Poll.Took.Milliseconds()), cl)
	}
	if sn.At.IsZero() {
		return
	}
	gauge(descSampleTS, float64(sn.At.UnixMilli())/1000, cl)
	gauge(descSampleAge, c.now().Sub(sn.At).Seconds(), cl)
	gauge(descHistory, sn.At.Sub(sn.Since).Seconds(), cl)

	type tp struct {
		topic string
		p     int32
	}
	marks := map[tp][2]int64{}
	for i := range sn.Groups {
		g := &sn.Groups[i]
		var maxLag int64
		var maxSec float64
		hasLag, hasSec := false, false
		topicSum := map[string]int64{}
		for j, p := range g.Partitions {
			if p.Err == "" {
				marks[tp{p.Topic, p.Partition}] = [2]int64{p.LogStart, p.HighWatermark}
			}
			if p.Committed < 0 || p.Err != "" {
				continue
			}
			part := strconv.Itoa(int(p.Partition))
			labels := []string{cl, g.Group, p.Topic, part, p.Host, p.Owner, p.Client}
			gauge(descOffset, float64(p.Committed), labels...)
			gauge(descLag, float64(p.Lag), labels...)
			topicSum[p.Topic] += p.Lag
			if !hasLag || p.Lag > maxLag {
				maxLag, hasLag = p.Lag, true
			}
			if tl := g.Parts[j].TimeLag; tl.Source != "" {
				sec := tl.Lag.Seconds()
				gauge(descLagSec, sec, labels...)
				if !hasSec || sec > maxSec {
					maxSec, hasSec = sec, true
				}
			}
		}
		simple := strconv.FormatBool(g.ProtocolType == "" && g.Members == 0)
		if hasLag {
			gauge(descMaxLag, float64(maxLag), cl, g.Group, simple)
			gauge(descSumLag, float64(g.TotalLag), cl, g.Group)
		}
		if hasSec {
			gauge(descMaxLagSec, maxSec, cl, g.Group, simple)
		}
		for t, n := range topicSum {
			gauge(descTopicSum, float64(n), cl, g.Group, t)
		}
		role := strings.ToLower(string(g.Role))
		if g.Role != "" {
			gauge(descStatus, 1, cl, g.Group, string(g.Role), role)
		} else {
			for _, st := range lag.Statuses {
				v := 0.0
				if st == g.Verdict.Status {
					v = 1
				}
				gauge(descStatus, v, cl, g.Group, string(st), role)
			}
		}
		gauge(descSeverity, float64(g.Verdict.Status.Severity()), cl, g.Group)
	}
	for k, m := range marks {
		part := strconv.Itoa(int(k.p))
		gauge(descEarliest, float64(m[0]), cl, k.topic, part)
		gauge(descLatest, float64(m[1]), cl, k.topic, part)
	}
}

// Handler serves the collector (plus Go runtime and process metrics) in
// the Prometheus text format.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "rewind lag metrics: /metrics")
	})
	return mux
}

// Server is a running metrics endpoint.
type Server struct {
	srv  *http.Server
	addr string
	done chan error
}

// Serve listens on addr ("127.0.0.1:9308", ":0") and serves /metrics until
// Close. The error names the address when it cannot listen.
func Serve(addr string, c *Collector) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	s := &Server{srv: &http.Server{Handler: Handler(c), ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address it listens on.
func (s *Server) Addr() string { return s.addr }

// Close stops the server and waits for it.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
