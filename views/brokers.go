package views

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/ui"
)

// The brokers screen (:brokers): every broker with its address, rack,
// whether it is the controller, the partitions it leads and holds, and its
// log dirs with their sizes where the broker reports them (DescribeLogDirs);
// the selected broker's log dirs are listed under the table.

type brokersScreen struct {
	*ui.ListScreen[backend.BrokerInfo]
	env  *Env
	info backend.ClusterInfo // the last listing, for the summary
}

// NewBrokers lists the cluster's brokers.
func NewBrokers(env *Env) ui.Screen {
	s := &brokersScreen{env: env}
	byID := func(a, b backend.BrokerInfo) int { return cmp.Compare(a.ID, b.ID) }
	desc := func(name, col string, f func(a, b backend.BrokerInfo) int) ui.Sort[backend.BrokerInfo] {
		return ui.Sort[backend.BrokerInfo]{Name: name, Column: col, Compare: f, Desc: true}
	}
	s.ListScreen = ui.NewListScreenOf(env.Theme, env.Cluster.DescribeBrokers, func(ci backend.ClusterInfo) []backend.BrokerInfo {
		s.info = ci
		return ci.Brokers
	}, ui.ListScreenSpec[backend.BrokerInfo]{
		ListSpec: ui.ListSpec[backend.BrokerInfo]{
			Columns: brokerColumns,
			Cells:   BrokerCells,
			Key:     func(b backend.BrokerInfo) string { return strconv.Itoa(int(b.ID)) },
			Match: func(b backend.BrokerInfo, f string) bool {
				return strings.Contains(strings.ToLower(b.Addr), f) || (b.Rack != nil && strings.Contains(strings.ToLower(*b.Rack), f))
			},
			FilterHint: "filter brokers: address, rack",
			Sorts: []ui.Sort[backend.BrokerInfo]{
				{Name: "id", Column: "ID", Compare: byID},
				desc("leads", "LEADS", func(a, b backend.BrokerInfo) int { return cmp.Compare(a.Leader, b.Leader) }),
				desc("replicas", "REPLICAS", func(a, b backend.BrokerInfo) int { return cmp.Compare(a.Replicas, b.Replicas) }),
				desc("size", "SIZE", func(a, b backend.BrokerInfo) int { return cmp.Compare(a.LogDirBytes, b.LogDirBytes) }),
			},
			Tie:      byID,
			SortHelp: "sort: id, leads, replicas, size",
			Empty: func(f string) string {
				if f != "" {
					return "no broker matches " + strconv.Quote(f)
				}
				return "no brokers in the metadata"
			},
		},
		Loading:      "loading brokers…",
		What:         "brokers",
		Every:        refreshEvery,
		Summary:      s.summary,
		Detail:       s.detail,
		DetailHeight: func(h int) int { return min(6, max(0, h/3)) },
	})
	return s
}

func (s *brokersScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) { return s, s.ListScreen.Update(msg) }

func (s *brokersScreen) Title() string { return "brokers" }

func (s *brokersScreen) Help() []key.Binding {
	return append([]key.Binding{ui.Keys.Filter, ui.Keys.SortNext, ui.Keys.SortReverse, s.SortKeys(), ui.Keys.Refresh}, ui.TableKeys()...)
}

func brokerColumns(w int) []ui.Column {
	cols := []ui.Column{
		{Title: "ID", Width: 5, Right: true},
		{Title: "ADDRESS", MinWidth: 14, Flex: 1},
		{Title: "RACK", MinWidth: 6, Flex: 1},
		{Title: "CONTROLLER", Width: 10},
		{Title: "LEADS", Width: 7, Right: true},
		{Title: "REPLICAS", Width: 8, Right: true},
		{Title: "LOG DIRS", MinWidth: 8, Flex: 3},
		{Title: "SIZE", Width: 10, Right: true},
	}
	if w > 0 && w < 90 {
		cols[3] = ui.Column{Title: "CTRL", ID: "CONTROLLER", Width: 4}
		cols[0].Width = 4
		cols[1] = ui.Column{Title: "ADDRESS", MinWidth: 14, Flex: 2}
		cols[4] = ui.Column{Title: "LEAD", ID: "LEADS", Width: 5, Right: true}
		cols[5] = ui.Column{Title: "REPL", ID: "REPLICAS", Width: 5, Right: true}
		cols[7].Width = 9
	}
	return cols
}

// BrokerCells are a broker's row, sanitised: the :brokers table's and the
// CLI's brokers table's.
func BrokerCells(b backend.BrokerInfo) []string {
	rack := "-"
	if b.Rack != nil && *b.Rack != "" {
		rack = ui.Sanitize(*b.Rack)
	}
	ctl := ""
	if b.Controller {
		ctl = "yes"
	}
	dirs, size := "-", "-"
	switch {
	case b.LogDirBytes >= 0:
		size = ui.FormatBytes(b.LogDirBytes)
		names := make([]string, len(b.LogDirs))
		for i, d := range b.LogDirs {
			names[i] = ui.Sanitize(d.Dir)
			if d.Err != "" {
				names[i] += " (" + ui.Sanitize(d.Err) + ")"
			}
		}
		dirs = strings.Join(names, ", ")
		if dirs == "" {
			dirs = "none reported"
		}
	case b.LogDirErr != "":
		dirs = "not reported: " + ui.Sanitize(b.LogDirErr)
	}
	return []string{strconv.Itoa(int(b.ID)), ui.Sanitize(b.Addr), rack, ctl, ui.FormatCount(int64(b.Leader)),
		ui.FormatCount(int64(b.Replicas)), dirs, size}
}

func (s *brokersScreen) summary() string {
	ctrl := "unknown"
	if s.info.Controller >= 0 {
		ctrl = strconv.Itoa(int(s.info.Controller))
	}
	id := s.info.ClusterID
	if id == "" {
		id = "-"
	}
	parts := []string{fmt.Sprintf(" cluster %s", ui.Sanitize(id)), plural(len(s.Rows()), "broker"), "controller " + ctrl}
	if f := s.FilterLabel(); f != "" {
		parts = append(parts, f)
	}
	parts = append(parts, s.SortLabel())
	return s.env.Theme.Muted.Render(strings.Join(parts, " · "))
}

// detail lists the selected broker's log dirs: path, partitions, bytes and
// the volume's usable/total space when the broker reports it.
func (s *brokersScreen) detail(w, n int) []string {
	b, ok := s.Selected()
	if !ok || n <= 0 {
		return nil
	}
	th := s.env.Theme
	out := []string{th.Header.Render(ui.FitLine(fmt.Sprintf(" broker %d · %s · log dirs", b.ID, ui.Sanitize(b.Addr)), w))}
	if b.LogDirBytes < 0 {
		why := "the broker did not report them"
		if b.LogDirErr != "" {
			why = ui.Sanitize(b.LogDirErr)
		}
		return append(out, th.Muted.Render("  not reported: "+why))
	}
	if len(b.LogDirs) == 0 {
		return append(out, th.Muted.Render("  none reported"))
	}
	for i, d := range b.LogDirs {
		if len(out) == n-1 && i < len(b.LogDirs)-1 {
			out = append(out, th.Muted.Render(fmt.Sprintf("  … %s more", plural(len(b.LogDirs)-i, "log dir"))))
			break
		}
		line := fmt.Sprintf("  %s  %s in %s", ui.Sanitize(d.Dir), ui.FormatBytes(d.Bytes), plural(d.Partitions, "partition"))
		if d.TotalBytes > 0 && d.UsableBytes >= 0 && d.UsableBytes <= d.TotalBytes { // kfake reports nonsense here
			line += fmt.Sprintf(" · volume %s free of %s", ui.FormatBytes(d.UsableBytes), ui.FormatBytes(d.TotalBytes))
		}
		if d.Err != "" {
			line += "  " + th.Error.Render("✗ "+ui.Sanitize(d.Err))
		}
		out = append(out, line)
	}
	return out
}
