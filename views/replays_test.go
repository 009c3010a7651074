package views

import (
	"testing"
)

// :replays lists the replay groups recorded in the data dir and reopens the
// side-by-side view of one (it was reachable only right after creating it).
func TestReplaysScreenReopensSideBySide(t *testing.T) {
	goroutinesSettle(t)
	env, _, dir := resetWorld(t)
	startTestReplay(t, env, dir, "g", "g.replay.test")

	h := startApp(t, env, NewReplays(env, dir), 120, 24)
	s := h.waitText(t, "1 replay in", "g.replay.test", "orders", "running")
	lineHas(t, s, "g.replay.test", "g", "orders", "to-earliest", "50", "running")
	h.keys("enter")
	h.waitText(t, "Replay g.replay.test", "LIVE g", "REPLAY g.replay.test", "progress")
	h.quit(t)
}
