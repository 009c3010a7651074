package backend

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
)

// BrokerInfo is one row of the brokers listing.
type BrokerInfo struct {
	ID         int32   `json:"id"`
	Host       string  `json:"host"`
	Port       int32   `json:"port"`
	Addr       string  `json:"addr"`
	Rack       *string `json:"rack"`
	Controller bool    `json:"controller"`
	// Leader counts the partitions this broker leads; Replicas the
	// partitions it holds a replica of.
	Leader   int `json:"partitions_led"`
	Replicas int `json:"replicas"`
	// LogDirs are the broker's log directories with the bytes of the
	// partitions in them, when the broker reports them (DescribeLogDirs).
	LogDirs []LogDirInfo `json:"log_dirs"`
	// LogDirBytes sums the partition bytes of every log dir; -1 when the
	// broker did not report log dirs.
	LogDirBytes int64  `json:"log_dir_bytes"`
	LogDirErr   string `json:"log_dir_error,omitempty"`
}

// LogDirInfo is one log directory of a broker.
type LogDirInfo struct {
	Dir        string `json:"dir"`
	Bytes      int64  `json:"bytes"`
	Partitions int    `json:"partitions"`
	// TotalBytes and UsableBytes describe the volume; -1 when unreported
	// (brokers before Kafka 3.3).
	TotalBytes  int64  `json:"total_bytes"`
	UsableBytes int64  `json:"usable_bytes"`
	Err         string `json:"error,omitempty"`
}

// ClusterInfo is the brokers listing with the cluster's id and controller.
type ClusterInfo struct {
	ClusterID  string       `json:"cluster_id"`
	Controller int32        `json:"controller"` // -1: unknown
	Brokers    []BrokerInfo `json:"brokers"`
}

// DescribeBrokers lists the brokers: address, rack, controller, partitions
// led and held, and log dir sizes where the brokers report them. A broker
// that does not answer DescribeLogDirs still shows, with the reason.
func (c *Cluster) DescribeBrokers(ctx context.Context) (ClusterInfo, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	md, err := c.adm.Metadata(ctx)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("metadata of %s: %w", c.Addr(), cleanErr(err))
	}
	out := ClusterInfo{ClusterID: md.Cluster, Controller: md.Controller}
	idx := map[int32]int{}
	for _, b := range md.Brokers {
		idx[b.NodeID] = len(out.Brokers)
		out.Brokers = append(out.Brokers, BrokerInfo{ID: b.NodeID, Host: b.Host, Port: b.Port,
			Addr: net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), Rack: b.Rack,
			Controller: b.NodeID == md.Controller, LogDirBytes: -1, LogDirs: []LogDirInfo{}})
	}
	for _, td := range md.Topics {
		for _, p := range td.Partitions {
			if i, ok := idx[p.Leader]; ok {
				out.Brokers[i].Leader++
			}
			for _, r := range p.Replicas {
				if i, ok := idx[r]; ok {
					out.Brokers[i].Replicas++
				}
			}
		}
	}
	dirs, derr := c.adm.DescribeAllLogDirs(ctx, nil)
	for i := range out.Brokers {
		b := &out.Brokers[i]
		if derr != nil {
			b.LogDirErr = cleanErr(derr).Error()
			continue
		}
		ds, ok := dirs[b.ID]
		if !ok {
			b.LogDirErr = "not reported"
			continue
		}
		b.LogDirBytes = 0
		for _, d := range ds.Sorted() {
			li := LogDirInfo{Dir: d.Dir, TotalBytes: d.TotalBytes, UsableBytes: d.UsableBytes}
			if d.Err != nil {
				li.Err = d.Err.Error()
			} else {
				d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
					li.Bytes += p.Size
					li.Partitions++
				})
			}
			b.LogDirBytes += li.Bytes
			b.LogDirs = append(b.LogDirs, li)
		}
	}
	sort.Slice(out.Brokers, func(i, j int) bool { return out.Brokers[i].ID < out.Brokers[j].ID })
	return out, nil
}
