package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/rewind-log/rewind/replay"
	"github.com/rewind-log/rewind/ui"
)

// The replay status screen: a replay beside its live group, polled until
// it catches up (the reprocess flow opens it; so does :replays).

var (
	keyReplayRefresh = binding([]string{"ctrl+r"}, "ctrl+r", "refresh now")
	keyReplayCutover = binding([]string{"C"}, "C", "cut over (copy or keep)")
	keyReplayDelete  = binding([]string{"D"}, "D", "delete the replay group")
)

// replayPollEvery is the status poll period of the replay screen.
var replayPollEvery = time.Second

// replayPoll is one poll of the replay screen.
type replayPoll struct {
	r  *replay.Replay
	st *replay.Status
}

type replayStatusScreen struct {
	env   *Env
	dir   string
	name  string
	load  *ui.Loader[replayPoll]
	table *ui.Table
	tr    replay.Tracker

	r      *replay.Replay
	st     *replay.Status
	caught time.Time // when "caught up" was first seen

	w, h int
}

// NewReplayStatus follows a replay beside its live group: both groups'
// lag, the replay's progress through its window, rate, ETA and the moment
// it catches up.
func NewReplayStatus(env *Env, dataDir, name string) ui.Screen {
	s := &replayStatusScreen{env: env, dir: dataDir, name: name}
	s.load = ui.NewLoader(env.Theme, ui.LoaderSpec[replayPoll]{Fetch: s.fetch, Apply: s.apply,
		What: "replay " + name, Every: replayPollEvery})
	s.table = ui.NewTable(env.Theme, []ui.Column{
		{Title: "TOPIC", MinWidth: 8, Flex: 1},
		{Title: "P", Width: 3, Right: true},
		{Title: "START", Width: 9, Right: true},
		{Title: "WINDOW END", Width: 10, Right: true},
		{Title: "HIGH WM", Width: 9, Right: true},
		{Title: "REPLAY", Width: 9, Right: true},
		{Title: "LIVE", Width: 9, Right: true},
		{Title: "REPLAY LAG", Width: 10, Right: true},
		{Title: "LIVE LAG", Width: 9, Right: true},
		{Title: "PROGRESS", Width: 11, Right: true},
	})
	return s
}

func (s *replayStatusScreen) Title() string { return s.name }

func (s *replayStatusScreen) Help() []key.Binding {
	return append([]key.Binding{keyReplayCutover, keyReplayDelete, keyReplayRefresh}, ui.TableKeys()...)
}

// Close stops the poll timer.
func (s *replayStatusScreen) Close() { s.load.Close() }

func (s *replayStatusScreen) Init() tea.Cmd { return s.load.Start() }

// Refresh polls now.
func (s *replayStatusScreen) Refresh() tea.Cmd { return s.load.Refresh() }

func (s *replayStatusScreen) fetch(ctx context.Context) (replayPoll, error) {
	r, err := replay.LoadReplay(s.dir, s.name)
	if err != nil {
		return replayPoll{}, err
	}
	st, err := replay.ReplayStatus(ctx, s.env.Cluster, r, s.env.now())
	return replayPoll{r: r, st: st}, err
}

func (s *replayStatusScreen) apply(p replayPoll) {
	s.r, s.st = p.r, p.st
	s.tr.Observe(s.st)
	if s.st.CaughtUp && s.caught.IsZero() {
		s.caught = s.st.At
	}
	s.setRows()
}

func (s *replayStatusScreen) Update(msg tea.Msg) (ui.Screen, tea.Cmd) {
	if cmd, ok := s.load.Update(msg); ok {
		return s, cmd
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		s.table.HandleMouse(msg)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, keyReplayCutover):
			return s, ui.Push(NewReplayCutover(s.env, s.dir, s.name))
		case key.Matches(msg, keyReplayDelete):
			return s, ui.Push(NewReplayDelete(s.env, s.dir, s.name))
		}
		s.table.HandleKey(msg)
	}
	return s, nil
}

func (s *replayStatusScreen) setRows() {
	ps := s.st.Partitions
	s.table.SetRows(len(ps), func(i int) []string {
		p := ps[i]
		prog := "100%"
		if p.Window > 0 {
			prog = fmt.Sprintf("%d/%d", p.Consumed, p.Window)
		}
		return []string{ui.Sanitize(p.Topic), strconv.Itoa(int(p.Partition)), ui.FormatCount(p.Start), ui.FormatCount(p.WindowEnd),
			ui.FormatCount(p.HighWatermark), offOrDash(p.Replay), offOrDash(p.Live), offOrDash(p.ReplayLag), offOrDash(p.LiveLag), prog}
	})
}

func offOrDash(o int64) string {
	if o < 0 {
		return "-"
	}
	return ui.FormatCount(o)
}

func (s *replayStatusScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	s.table.SetSize(w, max(0, h-8))
}

// progressBar draws frac (0..1) in width cells.
func progressBar(frac float64, width int) string {
	width = max(width, 4)
	n := int(frac*float64(width) + 0.5)
	n = min(max(n, 0), width)
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

func (s *replayStatusScreen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	th := s.env.Theme
	if s.st == nil {
		return s.load.Placeholder(s.w, s.h, "loading replay "+ui.Sanitize(s.name)+"…")
	}
	st, r := s.st, s.r
	head := fmt.Sprintf("Replay %s of group %s · %s · %s", ui.Sanitize(r.Name), ui.Sanitize(r.Group), st.State, ui.Sanitize(r.Scenario))
	lines := []string{th.Title.Render(ui.FitLine(head, s.w))}
	if st.Partial {
		lines = append(lines, th.Warn.Render("PARTIAL window: retention had deleted part of it; this replay rebuilds only what was left"))
	} else {
		lines = append(lines, th.Muted.Render(fmt.Sprintf("created %s by %s", r.CreatedAt.Local().Format("2006-01-02 15:04:05"), ui.Sanitize(r.CreatedBy))))
	}
	col := max(24, (s.w-12)/2)
	lines = append(lines,
		fmt.Sprintf("%-10s %s %s", "", ui.FitLine(th.Header.Render("LIVE "+ui.Sanitize(r.Group)), col), th.Header.Render("REPLAY "+ui.Sanitize(r.Name))),
		fmt.Sprintf("%-10s %s %s", "group", ui.FitLine(st.LiveGroupState+", "+plural(st.LiveMembers, "member"), col),
			st.ReplayGroupState+", "+plural(st.ReplayMembers, "member")),
		fmt.Sprintf("%-10s %s %s", "lag", ui.FitLine(ui.FormatCount(st.LiveLag), col), ui.FormatCount(st.ReplayLag)))
	rate, eta := "-", "-"
	if st.Rate > 0 {
		rate = ui.FormatCount(int64(st.Rate+0.5)) + "/s"
	}
	if d, ok := st.ETA(); ok {
		eta = ui.FormatAge(d)
	}
	barW := min(40, max(10, s.w-60))
	lines = append(lines, fmt.Sprintf("progress   %s %s/%s %5.1f%% · rate %s · ETA %s", progressBar(st.Progress, barW),
		ui.FormatCount(st.Consumed), ui.FormatCount(st.Window), 100*st.Progress, rate, eta))
	switch {
	case st.State != replay.StateRunning:
		lines = append(lines, th.Muted.Render("cut over ("+st.State+")"))
	case st.CaughtUp:
		lines = append(lines, th.OK.Render(fmt.Sprintf("✓ CAUGHT UP (since %s) — C: cut over (copy or keep) · D: delete the replay group",
			s.caught.Local().Format("15:04:05"))))
	case st.ReplayMembers == 0:
		lines = append(lines, th.Warn.Render("waiting: no consumer on the replay group yet — run your application with group.id="+ui.Sanitize(r.Name)))
	default:
		lines = append(lines, th.Info.Render("catching up…"))
	}
	if err := s.load.Err(); err != nil {
		lines[len(lines)-1] += "  " + th.Error.Render("✗ "+ui.ErrText(err))
	}
	lines = append(lines, strings.Split(s.table.View(), "\n")...)
	return ui.JoinLines(lines, s.w, s.h)
}
