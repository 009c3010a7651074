package replay

import (
	"fmt"
	"strconv"
	"strings"
)

// A forward reset (a plan that moves a group's offsets past records it has
// not read) is a different risk from a re-read: the records it skips are
// never processed by the group. It needs its own confirmation, asked
// separately from the idempotency question.

// GuardSkip is the forward-reset confirmation.
const GuardSkip = "skip-accepted"

// skipped counts the partitions a plan skips records on.
func (p *Plan) skipped() int {
	n := 0
	for _, pp := range p.Partitions {
		if pp.Skip > 0 {
			n++
		}
	}
	return n
}

// SkipWarning says in a sentence what a forward reset does to the group;
// "" when the plan skips nothing.
func (p *Plan) SkipWarning() string {
	if p.Kind != PlanReset || p.Skip <= 0 {
		return ""
	}
	recs := "records"
	if p.Skip == 1 {
		recs = "record"
	}
	parts := "partitions"
	if p.skipped() == 1 {
		parts = "partition"
	}
	return fmt.Sprintf("%s %s on %d %s will never be processed by group %q: the reset moves it forward past them (they stay in the log, but the group will not read them)",
		thousands(p.Skip), recs, p.skipped(), parts, p.Group)
}

// skipRefusal refuses a forward reset the operator has not accepted.
func (p *Plan) skipRefusal(c Confirmations) *Refusal {
	w := p.SkipWarning()
	if w == "" || c.AcceptSkip {
		return nil
	}
	return refuse(GuardSkip, w+"; accept that explicitly (--accept-skip)")
}

// skipGuard is the plan-time status of the forward-reset confirmation;
// ok is false when the plan skips nothing (no guard to show).
func (p *Plan) skipGuard(c *Confirmations) (GuardStatus, bool) {
	w := p.SkipWarning()
	if w == "" {
		return GuardStatus{}, false
	}
	if c != nil && c.AcceptSkip {
		return GuardStatus{GuardSkip, GuardOK, "operator accepts: " + strings.TrimSuffix(w, ")") + ")"}, true
	}
	return GuardStatus{GuardSkip, GuardNeeded, w + "; accept that explicitly (--accept-skip)"}, true
}

// thousands writes n with comma separators, as the tables do (replay has
// no UI imports).
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
