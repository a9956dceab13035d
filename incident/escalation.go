package incident

import (
	"slices"
	"time"
)

// Rung is one step of the escalation ladder. Window is how long the rung
// has to respond before the next rung is paged; the last rung has no
// window (0): there is nobody left to page.
type Rung struct {
	Role   string
	Window time.Duration
}

// ladder is the playbook's escalation path:
//
//	Primary On-Call (5 min) → Secondary On-Call (10 min) → Team Lead (15 min)
//	→ Engineering Manager + CTO
//
// The minute figures are read as response windows, so rungs are paged
// cumulatively: primary at 0, secondary at 5m, team lead at 15m, EM+CTO at 30m.
var ladder = []Rung{
	{Role: "Primary On-Call", Window: 5 * time.Minute},
	{Role: "Secondary On-Call", Window: 10 * time.Minute},
	{Role: "Team Lead", Window: 15 * time.Minute},
	{Role: "Engineering Manager + CTO"},
}

// Ladder returns a copy of the escalation ladder, first rung first.
func Ladder() []Rung { return slices.Clone(ladder) }

// rungStart is when rung i is paged, relative to declaration.
func rungStart(i int) time.Duration {
	var d time.Duration
	for _, r := range ladder[:i] {
		d += r.Window
	}
	return d
}

// rungAt is the highest rung paged after elapsed time since declaration.
func rungAt(elapsed time.Duration) int {
	cur := 0
	for i := 1; i < len(ladder); i++ {
		if elapsed >= rungStart(i) {
			cur = i
		}
	}
	return cur
}

// EscalationState is where an incident stands on the escalation ladder.
type EscalationState struct {
	Current     int       // index into Ladder() of the highest rung paged so far
	Rung        Rung      // Ladder()[Current]
	NextAt      time.Time // when the next rung is paged; zero if none will be
	ResponseDue time.Time // declared + severity response time
	Breached    bool      // response time passed without (or before) acknowledgement
	Acked       bool      // acknowledged at or before now
}

// Escalation computes the escalation state at now for an incident declared
// at declared with severity sev and acknowledged at acked (zero if not yet;
// an ack later than now is not yet effective).
//
// Interpretation of the playbook's ladder:
//
//   - Rungs are paged on the cumulative schedule 0 / 5m / 15m / 30m after
//     declaration (see Ladder).
//   - P1–P3: the ladder advances only while nobody has responded ("no
//     response"). An acknowledgement freezes it at the rung that was paged
//     when the ack arrived; NextAt is then zero. Reaching EM+CTO after 30
//     unacknowledged minutes is the playbook's "extended outage" case.
//   - P0: the arrows before Team Lead ("no response or P0") and before
//     EM+CTO ("P0 or extended outage") are taken regardless of response, so
//     an ack does not stop the ladder: Team Lead is paged right after the
//     Secondary window (15m) and EM+CTO (30m) are always part of a P0.
//   - An invalid severity is treated as P0, so a bad value fails loud rather
//     than quiet.
//   - Breached: unacknowledged and now is past ResponseDue, or acknowledged
//     after ResponseDue (a late ack stays a breach).
func Escalation(sev Severity, declared, acked, now time.Time) EscalationState {
	if !sev.Valid() {
		sev = P0
	}
	st := EscalationState{ResponseDue: declared.Add(sev.ResponseTime())}
	st.Acked = !acked.IsZero() && !acked.After(now)
	frozen := st.Acked && sev != P0

	at := now
	if frozen {
		at = acked
	}
	st.Current = rungAt(at.Sub(declared))
	st.Rung = ladder[st.Current]
	if !frozen && st.Current < len(ladder)-1 {
		st.NextAt = declared.Add(rungStart(st.Current + 1))
	}

	if st.Acked {
		st.Breached = acked.After(st.ResponseDue)
	} else {
		st.Breached = now.After(st.ResponseDue)
	}
	return st
}
