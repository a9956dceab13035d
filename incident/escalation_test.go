package incident

import (
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

func TestLadder(t *testing.T) {
	want := []Rung{
		{Role: "Primary On-Call", Window: 5 * time.Minute, Rotation: RotationPrimary},
		{Role: "Secondary On-Call", Window: 10 * time.Minute, Rotation: RotationSecondary},
		{Role: "Team Lead", Window: 15 * time.Minute, OnP0: P0AtOnce},
		{Role: "Engineering Manager + CTO", OnP0: P0OnSchedule},
	}
	got := DefaultPolicy().Ladder
	if len(got) != len(want) {
		t.Fatalf("DefaultPolicy().Ladder = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rung %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	got[0].Role = "changed"
	if DefaultPolicy().Ladder[0].Role != "Primary On-Call" {
		t.Error("DefaultPolicy() returns shared state")
	}
}

// escalation is the default policy's state at now of an incident declared
// at declared with severity sev and acknowledged at acked (zero if not
// yet), folded as the journal would hold it.
func escalation(sev Severity, declared, acked, now time.Time) EscalationState {
	s := Fold([]Event{Declared("", "", sev, declared)})
	if !acked.IsZero() {
		s.Apply(Event{Time: acked, Kind: KindAck, Ack: &AckFields{}})
	}
	return DefaultPolicy().State(s, now)
}

func TestEscalationUnacked(t *testing.T) {
	cases := []struct {
		at     time.Duration
		rung   int
		role   string
		nextAt time.Duration // -1: none
	}{
		{0, 0, "Primary On-Call", 5 * time.Minute},
		{4*time.Minute + 59*time.Second, 0, "Primary On-Call", 5 * time.Minute},
		{5 * time.Minute, 1, "Secondary On-Call", 15 * time.Minute},
		{14 * time.Minute, 1, "Secondary On-Call", 15 * time.Minute},
		{15 * time.Minute, 2, "Team Lead", 30 * time.Minute},
		{29 * time.Minute, 2, "Team Lead", 30 * time.Minute},
		{31 * time.Minute, 3, "Engineering Manager + CTO", -1},
		{48 * time.Hour, 3, "Engineering Manager + CTO", -1},
		{-time.Minute, 0, "Primary On-Call", 5 * time.Minute}, // clock skew: before declaration
	}
	for _, sev := range []Severity{P1, P2, P3} { // P0: TestEscalationP0
		for _, c := range cases {
			st := escalation(sev, t0, time.Time{}, t0.Add(c.at))
			if st.Current != c.rung || st.Rung.Role != c.role {
				t.Errorf("%v at %v: rung %d %q, want %d %q", sev, c.at, st.Current, st.Rung.Role, c.rung, c.role)
			}
			var wantNext time.Time
			if c.nextAt >= 0 {
				wantNext = t0.Add(c.nextAt)
			}
			if !st.NextAt.Equal(wantNext) {
				t.Errorf("%v at %v: NextAt %v, want %v", sev, c.at, st.NextAt, wantNext)
			}
			if st.Acked {
				t.Errorf("%v at %v: Acked without ack", sev, c.at)
			}
		}
	}
}

func TestEscalationAckFreezesLadderBelowP0(t *testing.T) {
	acked := t0.Add(7 * time.Minute) // secondary had been paged
	for _, sev := range []Severity{P1, P2, P3} {
		for _, now := range []time.Duration{7 * time.Minute, 16 * time.Minute, 31 * time.Minute, 5 * time.Hour} {
			st := escalation(sev, t0, acked, t0.Add(now))
			if !st.Acked || st.Current != 1 || st.Rung.Role != "Secondary On-Call" || !st.NextAt.IsZero() {
				t.Errorf("%v acked@7m, now %v: %+v; want frozen at Secondary, no NextAt", sev, now, st)
			}
		}
	}
	// An ack timestamped after now is not effective yet.
	st := escalation(P2, t0, acked, t0.Add(6*time.Minute))
	if st.Acked || !st.NextAt.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("future ack treated as effective: %+v", st)
	}
}

// On a P0 the Team Lead is paged at once ("no response or P0") and the
// EM+CTO at 30m even after an ack ("P0 or extended outage"); the ack stops
// only the Secondary.
func TestEscalationP0(t *testing.T) {
	acked := t0.Add(1 * time.Minute)
	cases := []struct {
		at   time.Duration
		rung int
	}{
		{0, 2},
		{2 * time.Minute, 2},
		{5 * time.Minute, 2},
		{15 * time.Minute, 2},
		{30 * time.Minute, 3},
	}
	for _, c := range cases {
		st := escalation(P0, t0, acked, t0.Add(c.at))
		if st.Acked != (c.at >= time.Minute) || st.Current != c.rung {
			t.Errorf("P0 acked@1m, at %v: Acked=%v rung %d, want %d", c.at, st.Acked, st.Current, c.rung)
		}
	}
	// The same ack on a P1 stops at the primary.
	if st := escalation(P1, t0, acked, t0.Add(30*time.Minute)); st.Current != 0 {
		t.Errorf("P1 acked@1m at 30m: rung %d, want 0", st.Current)
	}
	// Invalid severities escalate like P0.
	if st := escalation(Severity(9), t0, acked, t0.Add(30*time.Minute)); st.Current != 3 || !st.ResponseDue.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("invalid severity: %+v", st)
	}
}

func TestEscalationBreach(t *testing.T) {
	for _, sev := range Severities() {
		rt := sev.ResponseTime()
		due := t0.Add(rt)
		if st := escalation(sev, t0, time.Time{}, due); st.Breached || !st.ResponseDue.Equal(due) {
			t.Errorf("%v at exactly due: %+v, want not breached, due %v", sev, st, due)
		}
		if st := escalation(sev, t0, time.Time{}, due.Add(time.Second)); !st.Breached {
			t.Errorf("%v unacked past %v: not breached", sev, rt)
		}
		if st := escalation(sev, t0, due.Add(-time.Second), due.Add(time.Hour)); st.Breached {
			t.Errorf("%v acked in time: breached", sev)
		}
		if st := escalation(sev, t0, due.Add(time.Second), due.Add(time.Hour)); !st.Breached {
			t.Errorf("%v acked late: not breached", sev)
		}
	}
}
