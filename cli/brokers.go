package cli

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rewind-log/rewind/ui"
)

// BrokersCmd lists the brokers.
type BrokersCmd struct {
	OutputFlag `embed:"" set:"json_shape= (one object)"`
}

// Run prints the brokers.
func (c *BrokersCmd) Run(e *runEnv) error {
	s, err := e.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	info, err := s.cluster.DescribeBrokers(e.ctx)
	if err != nil {
		return err
	}
	if structured(c.Output) {
		return newEncoder(e.stdout, c.Output).Encode(info)
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	ctrl := "unknown"
	if info.Controller >= 0 {
		ctrl = strconv.Itoa(int(info.Controller))
	}
	fmt.Fprintf(w, "Cluster %s · %s · controller %s\n", ui.Sanitize(orDash(info.ClusterID)), countWord(len(info.Brokers), "broker"), ctrl)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tRACK\tCONTROLLER\tLEADS\tREPLICAS\tLOG DIRS\tSIZE\t")
	for _, b := range info.Brokers {
		rack := "-"
		if b.Rack != nil {
			rack = ui.Sanitize(*b.Rack)
		}
		ctl := ""
		if b.Controller {
			ctl = "yes"
		}
		size, dirs := "-", "-"
		if b.LogDirBytes >= 0 {
			size = ui.FormatBytes(b.LogDirBytes)
			names := make([]string, len(b.LogDirs))
			for i, d := range b.LogDirs {
				names[i] = ui.Sanitize(d.Dir)
				if d.Err != "" {
					names[i] += " (" + ui.Sanitize(d.Err) + ")"
				}
			}
			dirs = strings.Join(names, ",")
		} else if b.LogDirErr != "" {
			dirs = "not reported: " + ui.Sanitize(b.LogDirErr)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", b.ID, ui.Sanitize(b.Addr), rack, ctl, ui.FormatCount(int64(b.Leader)),
			ui.FormatCount(int64(b.Replicas)), dirs, size)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
