package incident

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// book is a test journal: events with IDs as the journal gives them, and
// consoles that record what Due returns.
type book struct {
	evs []Event
	n   int
}

// newBook declares a sev incident at minute 0, with an ID as Append gives
// it (NewID).
func newBook(sev Severity) *book {
	d := Declared("alice", "checkout 5xx", sev, t0)
	d.ID = NewID(d.Time)
	return &book{evs: []Event{d}}
}

func (b *book) add(evs ...Event) *book {
	for _, ev := range evs {
		b.n++
		if ev.ID == "" {
			ev = ided(ev, 7000+b.n)
		}
		b.evs = append(b.evs, ev)
	}
	return b
}

func (b *book) s() Session { return Fold(b.evs) }

// run is a console at now: fold the journal, record what is due.
func (b *book) run(p Policy, now time.Time) []Event {
	due := p.Due(b.s(), now)
	b.evs = append(b.evs, due...)
	return due
}

func mt(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }

func ackEv(who string, m float64) Event {
	return Event{Time: mt(m), Actor: who, Kind: KindAck, Ack: &AckFields{Who: who}}
}
func sevEv(from, to Severity, m float64) Event { return SeverityChange("alice", from, to, "", mt(m)) }
func resolveEv(m float64) Event                { return Event{Time: mt(m), Actor: "alice", Kind: KindResolved} }
func reopenEv(m float64) Event                 { return Event{Time: mt(m), Actor: "alice", Kind: KindReopened} }

// paged lists the paged rungs as "index@minute".
func paged(st EscalationState) string {
	var out []string
	for i, r := range st.Rungs {
		if r.Paged {
			out = append(out, fmt.Sprintf("%d@%v", i, r.At.Sub(t0)))
		}
	}
	return strings.Join(out, " ")
}

// steps lists escalation events as "level@minute", breaches as "breach P1@minute".
func steps(evs []Event) string {
	var out []string
	for _, ev := range evs {
		if ev.Kind != KindEscalation {
			continue
		}
		if ev.Escalation != nil {
			out = append(out, fmt.Sprintf("%d@%v", ev.Escalation.Level, ev.Time.Sub(t0)))
		} else {
			out = append(out, fmt.Sprintf("breach %s@%v", strings.Fields(strings.TrimPrefix(ev.Summary, "Response time breached: "))[0], ev.Time.Sub(t0)))
		}
	}
	return strings.Join(out, " ")
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	ok := DefaultPolicy()
	cases := []struct {
		name string
		edit func(p *Policy)
		want []string
	}{
		{"no rung", func(p *Policy) { p.Ladder = nil }, []string{"no rung"}},
		{"zero window", func(p *Policy) { p.Ladder[1].Window = 0 }, []string{"rung 2 (Secondary On-Call): window 0s must be positive"}},
		{"negative window", func(p *Policy) { p.Ladder[0].Window = -time.Minute }, []string{"rung 1", "must be positive"}},
		{"window on the last", func(p *Policy) { p.Ladder[3].Window = time.Hour }, []string{"rung 4", "is the last"}},
		{"no role", func(p *Policy) { p.Ladder[2].Role = "  " }, []string{"rung 3 has no role"}},
		{"same role", func(p *Policy) { p.Ladder[1].Role = "primary on-call" }, []string{"appears twice"}},
		{"bad rule", func(p *Policy) { p.Ladder[1].OnP0 = 7 }, []string{"unknown P0 rule 7"}},
		{"team without name", func(p *Policy) { p.Teams[1].Name = "" }, []string{"team 2 has no name"}},
		{"same team", func(p *Policy) { p.Teams[2].Name = " platform" }, []string{`team "platform" appears twice`}},
		{"several", func(p *Policy) { p.Ladder[1].Window = 0; p.Teams[0].Name = "" }, []string{"rung 2", "team 1 has no name"}},
	}
	for _, c := range cases {
		p := DefaultPolicy()
		c.edit(&p)
		err := p.Validate()
		if err == nil {
			t.Errorf("%s: valid", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
	}
	if !reflect.DeepEqual(ok, DefaultPolicy()) {
		t.Error("DefaultPolicy shares state between calls")
	}
	// A one-rung ladder is a valid (if short) policy.
	if err := (Policy{Ladder: []Rung{{Role: "Everyone"}}}).Validate(); err != nil {
		t.Errorf("one rung: %v", err)
	}
}

func TestDefaultPolicyTeamsUnknown(t *testing.T) {
	p := DefaultPolicy()
	var names []string
	for _, tm := range p.Teams {
		names = append(names, tm.Name)
		if tm.Primary.Known() || tm.Secondary.Known() || tm.Primary.Contact != "" || tm.Secondary.Contact != "" {
			t.Errorf("team %s invents someone: %+v", tm.Name, tm)
		}
	}
	if want := []string{"Platform", "Infrastructure", "Security"}; !slices.Equal(names, want) {
		t.Errorf("teams %v, want %v", names, want)
	}
	if tm, ok := p.Team("security "); !ok || tm.Name != "Security" {
		t.Errorf("Team(security) = %+v %v", tm, ok)
	}
	if _, ok := p.Team("Payments"); ok {
		t.Error("Team(Payments) found")
	}
	if (Contact{Name: " "}).Known() || !(Contact{Name: "Ana"}).Known() {
		t.Error("Contact.Known")
	}
}

func TestStateNotDeclared(t *testing.T) {
	p := DefaultPolicy()
	st := p.State(Fold([]Event{Note("a", "hi", t0)}), t0)
	if st.Current != -1 || st.Next != -1 || !st.NextAt.IsZero() || len(st.Rungs) != 4 || st.Rungs[0].Paged || st.Breached || st.Amber {
		t.Errorf("undeclared: %+v", st)
	}
	if due := p.Due(Fold(nil), t0); due != nil {
		t.Errorf("undeclared Due: %v", due)
	}
}

// Unacknowledged P1: 0, 5m, 15m, 30m; the events carry the times they fell
// due, derived IDs and readable summaries.
func TestLadderTimings(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1)
	cases := []struct {
		m      float64
		paged  string
		cur    int
		next   int
		nextAt float64
	}{
		{0, "0@0s", 0, 1, 5},
		{4.99, "0@0s", 0, 1, 5},
		{5, "0@0s 1@5m0s", 1, 2, 15},
		{14.9, "0@0s 1@5m0s", 1, 2, 15},
		{15, "0@0s 1@5m0s 2@15m0s", 2, 3, 30},
		{30, "0@0s 1@5m0s 2@15m0s 3@30m0s", 3, -1, -1},
		{600, "0@0s 1@5m0s 2@15m0s 3@30m0s", 3, -1, -1},
		{-3, "0@0s", 0, 1, 5}, // a clock behind the declaration
	}
	for _, c := range cases {
		st := p.State(b.s(), mt(c.m))
		if got := paged(st); got != c.paged || st.Current != c.cur || st.Next != c.next || st.Rung != p.Ladder[c.cur] {
			t.Errorf("at %vm: paged %q cur %d next %d, want %q %d %d", c.m, got, st.Current, st.Next, c.paged, c.cur, c.next)
		}
		if c.next >= 0 && (!st.NextAt.Equal(mt(c.nextAt)) || !st.Rungs[c.next].At.Equal(mt(c.nextAt)) || st.Stopped != StopNone) {
			t.Errorf("at %vm: NextAt %v stopped %q, want %vm", c.m, st.NextAt.Sub(t0), st.Stopped, c.nextAt)
		}
		if c.next < 0 && (!st.NextAt.IsZero() || st.Stopped != StopTop) {
			t.Errorf("at %vm: NextAt %v stopped %q, want none, top", c.m, st.NextAt, st.Stopped)
		}
	}
	due := p.Due(b.s(), mt(31))
	if got := steps(due); got != "0@0s 1@5m0s 2@15m0s 3@30m0s breach P1@30m0s" {
		t.Fatalf("Due at 31m: %s", got)
	}
	id := b.s().ID
	wantSum := []string{
		"Paged Primary On-Call (P1 declared)",
		"Escalated to Secondary On-Call (no ack within 5m)",
		"Escalated to Team Lead (no ack within 15m)",
		"Escalated to Engineering Manager + CTO (no ack within 30m)",
		"Response time breached: P1 not acknowledged within 30m",
	}
	for i, ev := range due {
		if ev.Summary != wantSum[i] || ev.Actor != "warroom" || ev.V != SchemaVersion {
			t.Errorf("event %d: %q by %q v%d, want %q by warroom", i, ev.Summary, ev.Actor, ev.V, wantSum[i])
		}
		if i < 4 && (ev.ID != EscalationID(id, i) || ev.Escalation.Role != p.Ladder[i].Role || ev.Escalation.Who != "") {
			t.Errorf("event %d: %+v %+v", i, ev, ev.Escalation)
		}
	}
	if due[4].ID != BreachID(id, P1) || due[4].Escalation != nil {
		t.Errorf("breach event: %+v", due[4])
	}
	// Applied as the journal would: the session's level and steps agree.
	s := Fold(append(slices.Clone(b.evs), due...))
	if s.Level != 3 || len(s.Escalations) != 4 || s.Escalations[0].Level != 0 {
		t.Errorf("folded: level %d, %+v", s.Level, s.Escalations)
	}
}

// A P0 pages the Team Lead at once, beside the primary; the Secondary
// still comes at 5m without an ack.
func TestP0FastPath(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P0)
	st := p.State(b.s(), t0)
	if paged(st) != "0@0s 2@0s" || st.Current != 2 || st.Next != 1 || !st.NextAt.Equal(mt(5)) || st.Rungs[2].Why != "P0" {
		t.Fatalf("P0 at 0: paged %q cur %d next %d@%v why %q", paged(st), st.Current, st.Next, st.NextAt.Sub(t0), st.Rungs[2].Why)
	}
	due := b.run(p, t0)
	if steps(due) != "0@0s 2@0s" || due[1].Summary != "Escalated to Team Lead (P0)" {
		t.Fatalf("P0 Due at 0: %s %q", steps(due), due[1].Summary)
	}
	// Recorded at the declaration's time, they still count after it (their
	// IDs sort after the declaration's): the session says level 2.
	if s := b.s(); s.Level != 2 {
		t.Errorf("session level %d after the P0 pages, want 2", s.Level)
	}
	if got := steps(b.run(p, mt(5))); got != "1@5m0s" {
		t.Errorf("P0 at 5m: %s", got)
	}
	if got := steps(b.run(p, mt(16))); got != "breach P0@15m0s" {
		t.Errorf("P0 at 16m: %s", got)
	}
	if got := steps(b.run(p, mt(30))); got != "3@30m0s" {
		t.Errorf("P0 at 30m: %s", got)
	}
	// An unparsable severity runs as a P0 (and says so).
	u := &book{evs: []Event{ided(Event{Time: t0, Actor: "a", Kind: KindDeclared, Summary: "x", Severity: &SeverityFields{To: "P7"}}, 1)}}
	st = p.State(u.s(), t0)
	if paged(st) != "0@0s 2@0s" || st.Severity != SeverityUnknown || !st.ResponseDue.Equal(mt(15)) {
		t.Errorf("unknown severity: paged %q sev %v due %v", paged(st), st.Severity, st.ResponseDue.Sub(t0))
	}
}

func TestAckStopsLadder(t *testing.T) {
	p := DefaultPolicy()
	for _, sev := range []Severity{P1, P2, P3} {
		b := newBook(sev).add(ackEv("bob", 7))
		st := p.State(b.s(), mt(600))
		if paged(st) != "0@0s 1@5m0s" || st.Current != 1 || st.Next != -1 || !st.NextAt.IsZero() || st.Stopped != StopAcked {
			t.Errorf("%v acked@7m: paged %q next %d stopped %q", sev, paged(st), st.Next, st.Stopped)
		}
		if st.Rungs[2].At != (time.Time{}) {
			t.Errorf("%v acked: Team Lead still scheduled at %v", sev, st.Rungs[2].At)
		}
		if got := steps(p.Due(b.s(), mt(600))); got != "0@0s 1@5m0s" {
			t.Errorf("%v acked@7m Due: %s", sev, got)
		}
	}
	// An ack at the very moment a rung falls due wins.
	b := newBook(P1).add(ackEv("bob", 5))
	if got := paged(p.State(b.s(), mt(60))); got != "0@0s" {
		t.Errorf("ack at 5m: paged %s", got)
	}
	// An ack timed after now is not effective yet.
	b = newBook(P1).add(ackEv("bob", 20))
	if st := p.State(b.s(), mt(16)); st.Acked || st.Current != 2 || st.Next != 3 {
		t.Errorf("future ack effective: %+v", st)
	}
}

// A P0 ack stops the Secondary only: the Team Lead is in already and the
// EM+CTO comes at 30m while it is still a P0 and open.
func TestP0AckStopsOnlyNoResponsePages(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P0).add(ackEv("bob", 2))
	st := p.State(b.s(), mt(10))
	if paged(st) != "0@0s 2@0s" || st.Next != 3 || !st.NextAt.Equal(mt(30)) || st.Stopped != StopNone || st.Rungs[1].At != (time.Time{}) {
		t.Errorf("P0 acked@2m at 10m: paged %q next %d@%v stopped %q", paged(st), st.Next, st.NextAt.Sub(t0), st.Stopped)
	}
	st = p.State(b.s(), mt(30))
	if paged(st) != "0@0s 2@0s 3@30m0s" || st.Rungs[3].Why != "P0 open 30m" || st.Stopped != StopAcked {
		t.Errorf("P0 acked@2m at 30m: paged %q why %q stopped %q", paged(st), st.Rungs[3].Why, st.Stopped)
	}
	// Lowered to P2 before 30m: the EM+CTO is not paged, nobody is un-paged.
	b.add(sevEv(P0, P2, 10))
	st = p.State(b.s(), mt(60))
	if paged(st) != "0@0s 2@0s" || st.Stopped != StopAcked || st.Next != -1 {
		t.Errorf("P0→P2 acked: paged %q stopped %q next %d", paged(st), st.Stopped, st.Next)
	}
	// A policy whose EM+CTO follows the schedule only: a P0 ack stops all.
	q := DefaultPolicy()
	q.Ladder[3].OnP0 = P0Normal
	if st := q.State(newBook(P0).add(ackEv("bob", 2)).s(), mt(60)); paged(st) != "0@0s 2@0s" || st.Stopped != StopAcked {
		t.Errorf("P0Normal EM+CTO: paged %q stopped %q", paged(st), st.Stopped)
	}
}

func TestFirstAckIsResponseTime(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1).add(ackEv("bob", 3))
	st := p.State(b.s(), mt(4))
	if !st.Acked || !st.AckedAt.Equal(mt(3)) || st.AckedBy != "bob" || st.Response != 3*time.Minute || st.Breached {
		t.Fatalf("first ack: %+v", st)
	}
	b.add(ackEv("carol", 45), ackEv("dave", 10))
	st = p.State(b.s(), mt(60))
	if !st.AckedAt.Equal(mt(3)) || st.AckedBy != "bob" || st.Response != 3*time.Minute || st.Breached || st.Amber {
		t.Errorf("later acks changed the response: %+v", st)
	}
	// An ack that arrives later in the journal but happened earlier is the first.
	b.add(ackEv("erin", 1))
	if st := p.State(b.s(), mt(60)); st.AckedBy != "erin" || st.Response != time.Minute {
		t.Errorf("earliest ack: %q %v", st.AckedBy, st.Response)
	}
	// A late first ack is a breach, and stays one.
	b = newBook(P1).add(ackEv("bob", 40), ackEv("carol", 50))
	st = p.State(b.s(), mt(60))
	if !st.Breached || st.Response != 40*time.Minute || !st.BreachedAt.Equal(mt(30)) {
		t.Errorf("late ack: %+v", st)
	}
	// Raising the severity after a timely ack does not make it late.
	b = newBook(P2).add(ackEv("bob", 40), sevEv(P2, P0, 60))
	if st := p.State(b.s(), mt(61)); st.Breached || st.Severity != P2 || !st.ResponseDue.Equal(mt(120)) {
		t.Errorf("raised after a timely ack: breached %v sev %v due %v", st.Breached, st.Severity, st.ResponseDue.Sub(t0))
	}
}

func TestSeverityChangeMidLadder(t *testing.T) {
	p := DefaultPolicy()
	// P1 → P0 at 8m: the Team Lead at once, the response due at 15m.
	b := newBook(P1)
	b.run(p, mt(6))
	b.add(sevEv(P1, P0, 8))
	st := p.State(b.s(), mt(8))
	if paged(st) != "0@0s 1@5m0s 2@8m0s" || st.Rungs[2].Why != "raised to P0" || !st.ResponseDue.Equal(mt(15)) || st.Severity != P0 {
		t.Errorf("P1→P0 at 8m: paged %q why %q due %v", paged(st), st.Rungs[2].Why, st.ResponseDue.Sub(t0))
	}
	if due := b.run(p, mt(8)); steps(due) != "2@8m0s" || due[0].Summary != "Escalated to Team Lead (raised to P0)" {
		t.Errorf("P1→P0 Due: %s", steps(due))
	}
	if got := steps(b.run(p, mt(16))); got != "breach P0@15m0s" {
		t.Errorf("P0 breach at 16m: %s", got)
	}
	// P0 → P2 at 20m: nobody un-paged, the breach ends (2h now), the
	// EM+CTO still comes at 30m for want of an ack.
	b.add(sevEv(P0, P2, 20))
	st = p.State(b.s(), mt(21))
	if paged(st) != "0@0s 1@5m0s 2@8m0s" || st.Breached || st.Amber || !st.ResponseDue.Equal(mt(120)) || st.Next != 3 {
		t.Errorf("P0→P2 at 21m: paged %q breached %v due %v next %d", paged(st), st.Breached, st.ResponseDue.Sub(t0), st.Next)
	}
	if got := steps(b.run(p, mt(121))); got != "3@30m0s breach P2@2h0m0s" {
		t.Errorf("P2 at 121m: %s", got)
	}
	// Declared P0 and lowered at once: the Team Lead stays paged.
	b = newBook(P0).add(sevEv(P0, P3, 1))
	if st := p.State(b.s(), mt(2)); paged(st) != "0@0s 2@0s" || st.Severity != P3 {
		t.Errorf("P0→P3: paged %q sev %v", paged(st), st.Severity)
	}
	// Raised to P0 after an ack and after 30m: Team Lead and EM+CTO at the change.
	b = newBook(P1).add(ackEv("bob", 2), sevEv(P1, P0, 40))
	st = p.State(b.s(), mt(41))
	if paged(st) != "0@0s 2@40m0s 3@40m0s" || st.Rungs[3].Why != "raised to P0" || st.Breached {
		t.Errorf("acked P1→P0 at 40m: paged %q why %q breached %v", paged(st), st.Rungs[3].Why, st.Breached)
	}
	// A breached P1 raised to P0 is the same breach, not a new one.
	b = newBook(P1)
	b.run(p, mt(31))
	b.add(sevEv(P1, P0, 40))
	if got := steps(b.run(p, mt(41))); got != "" {
		t.Errorf("breached P1→P0: %s", got)
	}
	// A P3 raised to P1 at 45m is breached at once: at the change's time.
	b = newBook(P3).add(sevEv(P3, P1, 45))
	if got := steps(p.Due(b.s(), mt(46))); got != "0@0s 1@5m0s 2@15m0s 3@30m0s breach P1@45m0s" {
		t.Errorf("P3→P1 at 45m: %s", got)
	}
}

func TestResolveStops(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1)
	b.run(p, mt(6))
	b.add(resolveEv(10))
	st := p.State(b.s(), mt(60))
	if paged(st) != "0@0s 1@5m0s" || st.Stopped != StopResolved || st.Next != -1 || !st.Resolved || st.Breached || st.Amber || !st.ResponseDue.Equal(mt(30)) {
		t.Errorf("resolved at 10m: paged %q stopped %q next %d breached %v due %v", paged(st), st.Stopped, st.Next, st.Breached, st.ResponseDue.Sub(t0))
	}
	if due := p.Due(b.s(), mt(60)); len(due) != 0 {
		t.Errorf("Due while resolved: %s", steps(due))
	}
	// Nothing unrecorded is paged after the fact for a resolved incident.
	b = newBook(P1).add(resolveEv(40))
	if due := p.Due(b.s(), mt(60)); len(due) != 0 {
		t.Errorf("Due after resolution: %s", steps(due))
	}
	if st := p.State(b.s(), mt(60)); !st.Breached || !st.BreachedAt.Equal(mt(30)) || paged(st) != "0@0s 1@5m0s 2@15m0s 3@30m0s" {
		t.Errorf("resolved unacked at 40m: %+v", st)
	}
	// A resolution timed after now is not effective yet.
	if st := p.State(b.s(), mt(20)); st.Resolved || st.Next != 3 {
		t.Errorf("future resolution effective: %+v", st)
	}
}

// A reopen resumes from the reopen time: the clock counts open time.
func TestReopenResumes(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1)
	b.run(p, mt(6))
	b.add(resolveEv(10), reopenEv(50))
	st := p.State(b.s(), mt(50))
	// Open 10m before the pause: Team Lead (15m) at 55m, response (30m) at 70m.
	if paged(st) != "0@0s 1@5m0s" || st.Next != 2 || !st.NextAt.Equal(mt(55)) || !st.ResponseDue.Equal(mt(70)) || st.Resolved || st.Amber {
		t.Errorf("reopened at 50m: paged %q next %d@%v due %v", paged(st), st.Next, st.NextAt.Sub(t0), st.ResponseDue.Sub(t0))
	}
	if st := p.State(b.s(), mt(55)); !st.Amber || st.Breached {
		t.Errorf("15m open at 55m: amber %v", st.Amber)
	}
	if got := steps(b.run(p, mt(71))); got != "2@55m0s 3@1h10m0s breach P1@1h10m0s" {
		t.Errorf("after the reopen: %s", got)
	}
	// Acknowledged before the resolution: the reopen does not restart paging.
	b = newBook(P1).add(ackEv("bob", 2), resolveEv(10), reopenEv(50))
	if st := p.State(b.s(), mt(120)); paged(st) != "0@0s" || st.Stopped != StopAcked || st.Breached {
		t.Errorf("acked then reopened: paged %q stopped %q", paged(st), st.Stopped)
	}
	// Raised to P0 while resolved: the Team Lead comes at the reopen.
	b = newBook(P1).add(resolveEv(3), sevEv(P1, P0, 20), reopenEv(50))
	st = p.State(b.s(), mt(50))
	if paged(st) != "0@0s 2@50m0s" || st.Rungs[2].Why != "reopened as P0" || !st.ResponseDue.Equal(mt(62)) {
		t.Errorf("reopened as P0: paged %q why %q due %v", paged(st), st.Rungs[2].Why, st.ResponseDue.Sub(t0))
	}
}

// Restart mid-ladder: the journal so far, folded, plus Due, gives each
// step once, never twice.
func TestResumeAfterRestartNoDuplicates(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1)
	for _, m := range []float64{0, 1, 6, 7} {
		b.run(p, mt(m))
	}
	// The console is down from 7m to 40m. Restarted: fold and Due.
	journal := slices.Clone(b.evs)
	s := Fold(journal)
	due := p.Due(s, mt(40))
	if got := steps(due); got != "2@15m0s 3@30m0s breach P1@30m0s" {
		t.Fatalf("after restart: %s", got)
	}
	for _, ev := range due {
		s.Apply(ev)
	}
	if again := p.Due(s, mt(40)); len(again) != 0 {
		t.Errorf("Due twice: %s", steps(again))
	}
	if again := p.Due(s, mt(600)); len(again) != 0 {
		t.Errorf("Due later: %s", steps(again))
	}
	if s.Level != 3 || len(s.Escalations) != 4 {
		t.Errorf("level %d, escalations %+v", s.Level, s.Escalations)
	}
	// The state is where it should be, from the journal alone.
	if st := p.State(s, mt(40)); st.Current != 3 || !st.Breached || st.Stopped != StopTop {
		t.Errorf("state after restart: %+v", st)
	}
}

// Two consoles record into their own journals, some steps both; folded as
// one, each step is there once and nothing more is due.
func TestTwoJournalsFoldedAsOne(t *testing.T) {
	p := DefaultPolicy()
	a := newBook(P1)
	b := &book{evs: slices.Clone(a.evs)}
	for _, m := range []float64{0, 6, 16} {
		a.run(p, mt(m))
	}
	for _, m := range []float64{3, 20, 31} {
		b.run(p, mt(m))
	}
	b.add(ackEv("bob", 33))
	byID := map[string]Event{}
	for _, ev := range append(slices.Clone(a.evs), b.evs...) {
		if prev, ok := byID[ev.ID]; ok && !reflect.DeepEqual(prev, ev) {
			t.Errorf("two consoles made different events with one ID:\n%+v\n%+v", prev, ev)
		}
		byID[ev.ID] = ev
	}
	for _, order := range [][]Event{append(slices.Clone(a.evs), b.evs...), append(slices.Clone(b.evs), a.evs...)} {
		s := Fold(order)
		levels := map[int]int{}
		for _, e := range s.Escalations {
			levels[e.Level]++
		}
		if !reflect.DeepEqual(levels, map[int]int{0: 1, 1: 1, 2: 1, 3: 1}) {
			t.Errorf("steps per level %v, want each once", levels)
		}
		if due := p.Due(s, mt(60)); len(due) != 0 {
			t.Errorf("merged Due: %s", steps(due))
		}
		if st := p.State(s, mt(60)); !st.Breached || st.AckedBy != "bob" || st.Current != 3 {
			t.Errorf("merged state: %+v", st)
		}
	}
}

func TestBreachOnceAndAmber(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1)
	cases := []struct {
		m               float64
		amber, breached bool
	}{
		{0, false, false},
		{14.99, false, false},
		{15, true, false},
		{30, true, false},
		{30.01, false, true},
		{300, false, true},
	}
	for _, c := range cases {
		st := p.State(b.s(), mt(c.m))
		if st.Amber != c.amber || st.Breached != c.breached || !st.ResponseDue.Equal(mt(30)) {
			t.Errorf("at %vm: amber %v breached %v due %v, want %v %v 30m", c.m, st.Amber, st.Breached, st.ResponseDue.Sub(t0), c.amber, c.breached)
		}
	}
	if got := steps(b.run(p, mt(30))); strings.Contains(got, "breach") {
		t.Errorf("breach recorded at exactly the due time: %s", got)
	}
	if got := steps(b.run(p, mt(31))); got != "breach P1@30m0s" {
		t.Errorf("at 31m: %s", got)
	}
	for _, m := range []float64{32, 60, 300} {
		if got := steps(b.run(p, mt(m))); got != "" {
			t.Errorf("at %vm: %s", m, got)
		}
	}
	n := 0
	for _, ev := range b.evs {
		if ev.Kind == KindEscalation && ev.Escalation == nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d breach events, want 1", n)
	}
	// Acked in time: never amber again, never breached.
	b = newBook(P1).add(ackEv("bob", 20))
	if st := p.State(b.s(), mt(100)); st.Amber || st.Breached {
		t.Errorf("acked at 20m: amber %v breached %v", st.Amber, st.Breached)
	}
	if got := steps(p.Due(b.s(), mt(100))); strings.Contains(got, "breach") {
		t.Errorf("acked in time: %s", got)
	}
	// A breach that ended (lowered) and came back at the same severity is
	// recorded once: the ID is the incident's and the severity's.
	b = newBook(P1)
	b.run(p, mt(31))
	b.add(sevEv(P1, P3, 35), sevEv(P3, P1, 40))
	if got := steps(b.run(p, mt(41))); got != "" {
		t.Errorf("P1 breached again: %s", got)
	}
	// The same, seen only afterwards: still once, the first.
	b = newBook(P1).add(sevEv(P1, P3, 35), sevEv(P3, P1, 40), sevEv(P1, P0, 50))
	if got := steps(p.Due(b.s(), mt(51))); got != "0@0s 1@5m0s 2@15m0s 3@30m0s breach P1@30m0s" {
		t.Errorf("P1 breached twice, seen late: %s", got)
	}
}

// Property: whatever the journal, applying what Due returns leaves nothing
// due, Due never returns an ID the session has, and the state is sane.
func TestDueIdempotentRandom(t *testing.T) {
	p := DefaultPolicy()
	r := rand.New(rand.NewPCG(12, 3))
	for iter := range 1000 {
		b := newBook(Severity(r.IntN(4)))
		cur := Severity(-1)
		for range r.IntN(8) {
			m := r.Float64() * 120
			switch r.IntN(5) {
			case 0:
				b.add(ackEv("bob", m))
			case 1:
				to := Severity(r.IntN(4))
				b.add(sevEv(cur, to, m))
				cur = to
			case 2:
				b.add(resolveEv(m))
			case 3:
				b.add(reopenEv(m))
			case 4:
				b.run(p, mt(m))
			}
		}
		for _, m := range []float64{r.Float64() * 200, 200 + r.Float64()*2000} {
			s := b.s()
			due := p.Due(s, mt(m))
			for _, ev := range due {
				if s.seen.has(ev.ID) {
					t.Fatalf("iter %d: Due returned a recorded ID: %+v", iter, ev)
				}
				if ev.Time.After(mt(m)) {
					t.Fatalf("iter %d: event in the future: %+v", iter, ev)
				}
				s.Apply(ev)
			}
			if again := p.Due(s, mt(m)); len(again) != 0 {
				t.Fatalf("iter %d at %vm: Due again: %s\njournal: %+v", iter, m, steps(again), b.evs)
			}
			st := p.State(s, mt(m))
			if st.Current < 0 || !st.Rungs[0].Paged || (st.Next >= 0) == st.NextAt.IsZero() || (st.Stopped == StopNone) != (st.Next >= 0) {
				t.Fatalf("iter %d: state %+v", iter, st)
			}
			if st.Amber && st.Breached {
				t.Fatalf("iter %d: amber and breached", iter)
			}
			b.evs = append(b.evs, due...)
		}
	}
}

// A later declaration starts the ladder afresh: new IDs, nothing carried.
func TestRedeclarationRestartsLadder(t *testing.T) {
	p := DefaultPolicy()
	b := newBook(P1).add(ackEv("bob", 2))
	b.run(p, mt(40))
	again := Declared("alice", "it is back", P2, mt(60))
	again.ID = NewID(again.Time)
	b.add(again)
	st := p.State(b.s(), mt(66))
	if paged(st) != "0@1h0m0s 1@1h5m0s" || st.Acked || !st.ResponseDue.Equal(mt(180)) {
		t.Errorf("re-declared: paged %q acked %v due %v", paged(st), st.Acked, st.ResponseDue.Sub(t0))
	}
	due := b.run(p, mt(66))
	if steps(due) != "0@1h0m0s 1@1h5m0s" || due[0].ID != EscalationID(again.ID, 0) {
		t.Errorf("re-declared Due: %s", steps(due))
	}
}

// The pane computes the state on every View.
func BenchmarkState(b *testing.B) {
	p := DefaultPolicy()
	bk := newBook(P1).add(sevEv(P1, P0, 8), sevEv(P0, P2, 20), resolveEv(25), reopenEv(40))
	bk.run(p, mt(60))
	s := bk.s()
	for b.Loop() {
		p.State(s, mt(61))
	}
}
