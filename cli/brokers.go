package cli

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rewind-log/rewind/ui"
	"github.com/rewind-log/rewind/views"
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
		fmt.Fprintln(tw, strings.Join(views.BrokerCells(b), "\t")+"\t")
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
