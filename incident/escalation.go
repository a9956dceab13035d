package incident

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Rung is one step of the escalation ladder. Window is how long the rung
// has to respond before the next rung is paged; the last rung has no
// window (0): there is nobody left to page. OnP0 says what a P0 does to
// the rung (see P0Rule).
type Rung struct {
	Role   string
	Window time.Duration
	OnP0   P0Rule
	// Rotation names the on-call team's rotation this rung pages
	// (RotationPrimary, RotationSecondary); empty for a rung that pages
	// Contact, whatever the team.
	Rotation string
	// Contact is whom the rung pages when it has no Rotation.
	Contact Contact
}

// Rotations of a team that a rung may page.
const (
	RotationPrimary   = "primary"
	RotationSecondary = "secondary"
)

// P0Rule is what a P0 (or a severity that is not known: it runs as a P0)
// does to a rung of the ladder, beside the schedule every rung follows
// while nobody has acknowledged.
type P0Rule int

const (
	// P0Normal: paged on the schedule only, and only while unacknowledged.
	P0Normal P0Rule = iota
	// P0AtOnce: a P0 pages the rung at once, beside the first rung: at the
	// declaration, or when the severity is raised to P0, acknowledged or
	// not (the playbook's "no response or P0" before the Team Lead).
	P0AtOnce
	// P0OnSchedule: on a P0 the rung is paged at its scheduled time even
	// after an ack, or when raised to P0 after that time (the playbook's
	// "P0 or extended outage" before the Engineering Manager + CTO).
	P0OnSchedule
)

// Contact is whom to reach: a name and how (phone, Slack handle, email:
// free text). An empty Name is someone the configuration does not know.
type Contact struct {
	Name, Contact string
}

// Known reports whether the contact has a name.
func (c Contact) Known() bool { return strings.TrimSpace(c.Name) != "" }

// Team is one on-call rotation of the playbook's table.
type Team struct {
	Name               string
	Primary, Secondary Contact
}

// Policy is the escalation policy: the ladder and the teams on call.
// State and Due are pure functions of a Policy, a Session and a time; a
// Policy is a value and holds no state.
type Policy struct {
	Ladder []Rung
	Teams  []Team
	// OnCall is the team whose rotation the ladder pages (a name in
	// Teams); empty: the first team.
	OnCall string
	// Response is the response time of each severity, by severity (P0
	// first); a zero entry is the playbook's (Severity.ResponseTime).
	Response [4]time.Duration
	// Speed is how much faster than the wall clock this policy runs: 1
	// (or 0) for a real incident; a drill's policy is Accelerated, its
	// windows and response times already divided by Speed. Whoever shows
	// the ladder says so.
	Speed int
}

// DefaultPolicy is the playbook's policy:
//
//	Primary On-Call (5 min) → Secondary On-Call (10 min) → Team Lead (15 min)
//	→ Engineering Manager + CTO
//
// The minute figures are read as response windows, so rungs are paged
// cumulatively: primary at 0, secondary at 5m, team lead at 15m, EM+CTO at
// 30m of open time. The Team Lead is P0AtOnce ("no response or P0") and the
// EM+CTO P0OnSchedule ("P0 or extended outage"). The teams are the
// playbook's Platform, Infrastructure and Security with nobody's name: the
// playbook only has placeholders ("Engineer A"), and whoever shows the
// policy says it does not know rather than inventing a name.
func DefaultPolicy() Policy {
	return Policy{
		Ladder: []Rung{
			{Role: "Primary On-Call", Window: 5 * time.Minute, Rotation: RotationPrimary},
			{Role: "Secondary On-Call", Window: 10 * time.Minute, Rotation: RotationSecondary},
			{Role: "Team Lead", Window: 15 * time.Minute, OnP0: P0AtOnce},
			{Role: "Engineering Manager + CTO", OnP0: P0OnSchedule},
		},
		Teams: []Team{{Name: "Platform"}, {Name: "Infrastructure"}, {Name: "Security"}},
	}
}

// Accelerated is p running speed times faster (a drill's clock): every
// window and response time divided by speed, Speed set so the ladder can
// say so. A speed below 2 returns p unchanged.
func (p Policy) Accelerated(speed int) Policy {
	if speed < 2 {
		return p
	}
	q := p
	q.Ladder = slices.Clone(p.Ladder)
	for i := range q.Ladder {
		q.Ladder[i].Window /= time.Duration(speed)
	}
	for i, sev := range Severities() {
		q.Response[i] = p.ResponseTime(sev) / time.Duration(speed)
	}
	q.Speed = max(p.Speed, 1) * speed
	return q
}

// ResponseTime is sev's response time under the policy (Response, else the
// playbook's); a severity that is not known runs as a P0.
func (p Policy) ResponseTime(sev Severity) time.Duration {
	if !sev.Valid() {
		sev = P0
	}
	if d := p.Response[sev]; d > 0 {
		return d
	}
	return sev.ResponseTime()
}

// OnCallTeam is the team whose rotation the ladder pages: OnCall, else
// the first team. ok is false when there is none (or OnCall names no
// team).
func (p Policy) OnCallTeam() (Team, bool) {
	if strings.TrimSpace(p.OnCall) != "" {
		return p.Team(p.OnCall)
	}
	if len(p.Teams) == 0 {
		return Team{}, false
	}
	return p.Teams[0], true
}

// Contact is whom rung level pages: the on-call team's primary or
// secondary for a rung with a Rotation, else the rung's Contact. It may
// be unknown (no name): then where says what the configuration lacks
// ("Platform's secondary", "the Team Lead's contact"), so the pane can
// say whom it does not know rather than inventing a name.
func (p Policy) Contact(level int) (c Contact, where string) {
	if level < 0 || level >= len(p.Ladder) {
		return Contact{}, "no such rung"
	}
	r := p.Ladder[level]
	if r.Rotation == "" {
		return r.Contact, "the " + r.Role + "'s contact"
	}
	t, ok := p.OnCallTeam()
	if !ok {
		if strings.TrimSpace(p.OnCall) != "" {
			return Contact{}, "team " + strconv.Quote(p.OnCall)
		}
		return Contact{}, "an on-call team"
	}
	if r.Rotation == RotationSecondary {
		return t.Secondary, t.Name + "'s secondary"
	}
	return t.Primary, t.Name + "'s primary"
}

// Team returns the team named name (case-insensitive).
func (p Policy) Team(name string) (Team, bool) {
	for _, t := range p.Teams {
		if strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(name)) {
			return t, true
		}
	}
	return Team{}, false
}

// Validate reports every problem of the policy: no rung; a rung without a
// role, or two with the same; a window that is not positive before the
// last rung, or one on the last rung (nobody is left to page after it); an
// unknown P0Rule; a team without a name, or two with the same
// (case-insensitive).
func (p Policy) Validate() error {
	var errs []error
	if len(p.Ladder) == 0 {
		errs = append(errs, errors.New("escalation policy: the ladder has no rung"))
	}
	roles := map[string]bool{}
	for i, r := range p.Ladder {
		role := strings.TrimSpace(r.Role)
		switch {
		case role == "":
			errs = append(errs, fmt.Errorf("escalation policy: rung %d has no role", i+1))
		case roles[strings.ToLower(role)]:
			errs = append(errs, fmt.Errorf("escalation policy: rung %d: role %q appears twice", i+1, role))
		}
		roles[strings.ToLower(role)] = true
		last := i == len(p.Ladder)-1
		if !last && r.Window <= 0 {
			errs = append(errs, fmt.Errorf("escalation policy: rung %d (%s): window %v must be positive", i+1, role, r.Window))
		}
		if last && r.Window != 0 {
			errs = append(errs, fmt.Errorf("escalation policy: rung %d (%s) is the last: it has no window (nobody is left to page), got %v", i+1, role, r.Window))
		}
		if r.OnP0 < P0Normal || r.OnP0 > P0OnSchedule {
			errs = append(errs, fmt.Errorf("escalation policy: rung %d (%s): unknown P0 rule %d", i+1, role, r.OnP0))
		}
	}
	for i, d := range p.Response {
		if d < 0 {
			errs = append(errs, fmt.Errorf("escalation policy: response time of %s: %v must not be negative", Severity(i), d))
		}
	}
	for i, r := range p.Ladder {
		if r.Rotation != "" && r.Rotation != RotationPrimary && r.Rotation != RotationSecondary {
			errs = append(errs, fmt.Errorf("escalation policy: rung %d (%s): unknown rotation %q (primary or secondary)", i+1, r.Role, r.Rotation))
		}
	}
	if strings.TrimSpace(p.OnCall) != "" {
		if _, ok := p.Team(p.OnCall); !ok {
			errs = append(errs, fmt.Errorf("escalation policy: the on-call team %q is not one of the teams", p.OnCall))
		}
	}
	teams := map[string]bool{}
	for i, t := range p.Teams {
		name := strings.TrimSpace(t.Name)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("escalation policy: team %d has no name", i+1))
		case teams[strings.ToLower(name)]:
			errs = append(errs, fmt.Errorf("escalation policy: team %q appears twice", name))
		}
		teams[strings.ToLower(name)] = true
	}
	return errors.Join(errs...)
}

// Stop says why the ladder pages nobody else.
type Stop string

// Stop reasons.
const (
	StopNone     Stop = ""             // running: NextAt is when the next rung is paged
	StopAcked    Stop = "acknowledged" // acknowledged: no rung left that an ack leaves running
	StopResolved Stop = "resolved"     // resolved: the clock and the ladder are stopped
	StopTop      Stop = "top"          // every rung has been paged
)

// RungState is one rung as of a time.
type RungState struct {
	Rung
	// Paged: the rung has been paged, at At, because of Why ("P1
	// declared", "no ack within 5m", "P0", "raised to P0", "P0 open 30m",
	// "recorded" when only the journal says so).
	Paged bool
	// At is when it was paged; when not paged, when it will be if nothing
	// changes (nobody acks, severity and resolution stay), or zero if it
	// will not be.
	At  time.Time
	Why string
	// ByP0 says the rung was paged by a P0 rule (P0AtOnce, P0OnSchedule
	// after an ack), not by the schedule of unanswered pages: on a P0 the
	// team lead is paged beside the primary, who is expected to answer.
	ByP0 bool
	// Recorded: the journal has an escalation event for this rung (after
	// the latest declaration).
	Recorded bool
}

// EscalationState is where an incident stands on the escalation ladder
// and its response clock, as of a time.
type EscalationState struct {
	// Severity is the severity the clock runs on: the current one, or the
	// one at the first ack or the resolution once the clock has stopped.
	// SeverityUnknown (an unparsable declaration) runs as a P0.
	Severity Severity
	Rungs    []RungState
	Current  int       // index of the highest rung paged; -1 if none (not declared)
	Rung     Rung      // Rungs[Current].Rung (zero if Current is -1)
	Next     int       // index of the rung paged at NextAt; -1 if none will be
	NextAt   time.Time // zero if nobody else will be paged (see Stopped)
	Stopped  Stop

	// ResponseDue is declaration + the severity's response time, counted
	// in open time (a resolved-and-reopened incident's pause does not
	// count). Once the clock stopped by a resolution before it, it is the
	// nominal declaration + response time.
	ResponseDue time.Time
	// Breached: not acknowledged within the response time (unacked past
	// ResponseDue, or acknowledged after it). BreachedAt is when the
	// current breach began.
	Breached   bool
	BreachedAt time.Time
	// Amber: unacknowledged, open, not breached, and half the response
	// time or more has elapsed.
	Amber bool
	// Acked: acknowledged at or before the time. AckedAt/AckedBy are the
	// first ack after the latest declaration (the response time: later
	// acks do not change it) and Response the open time it took.
	Acked    bool
	AckedAt  time.Time
	AckedBy  string
	Response time.Duration
	// Resolved: resolved at or before the time and not reopened since.
	Resolved bool
}

// State computes the incident's escalation state at now from the session
// alone (never from process uptime): restart mid-ladder and it is where it
// should be. Facts timed after now (an ack, a change, a resolution) are not
// yet effective; a now before the declaration (clock skew) counts as the
// declaration time.
//
// Rules (p is assumed valid: see Validate; an invalid policy never panics,
// but its result is unspecified):
//
//   - Schedule: rung i is due once the incident has been open for the sum
//     of the windows before it (default 0, 5m, 15m, 30m), and is paged then
//     if nobody has acknowledged at or before that moment (an ack at the
//     very moment wins). Rungs are paged
//     cumulatively, and once paged stay paged: lowering the severity
//     un-pages nobody.
//   - Ack: the first ack after the declaration stops every page that waits
//     for "no response". On a P0 that leaves the P0 rules running: a
//     P0AtOnce rung (Team Lead) is paged at once anyway, and a P0OnSchedule
//     rung (EM+CTO) is still paged at its time if the incident is still a
//     P0 and open then. So by default a P0 ack stops only the Secondary.
//   - P0: a P0AtOnce rung is paged at the first moment the open incident
//     is a P0: the declaration, a raise to P0 mid-ladder (at the change's
//     time), or a reopen as a P0. A severity that is not known runs as a P0.
//   - Resolve: stops the clock and the ladder; nothing is paged while
//     resolved. Reopen (the latest reopen after the latest resolution)
//     resumes from the reopen time: the clock counts open time only, so the
//     pause is skipped (every pause, however many times it was resolved
//     and reopened); rungs already paged stay paged, an ack before the
//     resolution still holds.
//   - Response clock: the severity's response time (P0 15m, P1 30m, P2 2h,
//     P3 24h) of the current severity, counted from the declaration in open
//     time; it stops at the first ack (or the resolution), and its severity
//     is then the one at that moment: raising the severity after a timely
//     ack does not make it late.
//   - Journal: a rung that an escalation event (after the declaration)
//     says was paged counts as paged, at the earlier of that event and the
//     schedule.
func (p Policy) State(s Session, now time.Time) EscalationState {
	st := EscalationState{Current: -1, Next: -1, Rungs: make([]RungState, len(p.Ladder))}
	for i, r := range p.Ladder {
		st.Rungs[i].Rung = r
	}
	if s.Declared.IsZero() {
		st.Severity = s.Severity
		return st
	}
	c := newClock(p, &s, now)
	now = c.now

	st.Resolved = c.resolvedNow()
	st.Acked = !c.ack.IsZero()
	if st.Acked {
		st.AckedAt, st.AckedBy = c.ack, s.AckedBy
		st.Response = c.elapsed(c.ack)
	}

	// The ladder.
	for i := range p.Ladder {
		st.Rungs[i] = c.rung(i)
		if st.Rungs[i].Paged {
			st.Current = i
		} else if !st.Rungs[i].At.IsZero() && (st.Next < 0 || st.Rungs[i].At.Before(st.NextAt)) {
			st.Next, st.NextAt = i, st.Rungs[i].At
		}
	}
	if st.Current >= 0 {
		st.Rung = p.Ladder[st.Current]
	}
	switch {
	case st.Resolved:
		st.Stopped = StopResolved
	case st.Next >= 0:
	case !slices.ContainsFunc(st.Rungs, func(r RungState) bool { return !r.Paged }):
		st.Stopped = StopTop
	case st.Acked:
		st.Stopped = StopAcked
	}

	// The response clock.
	stop := now
	switch {
	case st.Acked:
		stop = c.ack
	case st.Resolved:
		stop = c.res
	}
	st.Severity = c.sevAt(stop)
	rt := p.ResponseTime(st.Severity)
	st.ResponseDue = c.decl.Add(rt) // resolved before it: the nominal time
	if due, ok := c.wall(rt); ok {
		st.ResponseDue = due
	}
	st.Breached = c.elapsed(stop) > rt
	if eps := c.breaches(); st.Breached && len(eps) > 0 {
		st.BreachedAt = eps[len(eps)-1].at
	}
	st.Amber = !st.Acked && !st.Resolved && !st.Breached && 2*c.elapsed(now) >= rt
	return st
}

// Due returns the events the ladder and the response clock call for at
// now that the session does not have yet (by ID), in time order (at one
// time, the rungs up the ladder, then the breach):
//
//   - one KindEscalation event per rung paged (its Escalation field set),
//     ID EscalationID(incident, level), time when it fell due;
//   - one KindEscalation event without an Escalation field for each breach
//     of the response time (the start of a stretch of being breached;
//     raising the severity while already breached is not a new one), ID
//     BreachID(incident, severity): once per severity, the first stretch
//     at it; time when it fell due (or the change that made it due). No
//     event kind is meant for it: an alert would be taken for a Prometheus
//     one, and an escalation field for a rung.
//
// Recording them and applying them to the session makes the next call
// return nothing: two consoles, or one restarted, record each once (the
// journal writes an ID once). A rung the journal already records as paged
// (any ID) is not paged again. While the incident is resolved nothing is
// due: nobody is paged for a resolved incident, after the fact. Events carry
// actor "warroom" and no Who (the session does not say which team's
// rotation is on call).
func (p Policy) Due(s Session, now time.Time) []Event {
	if s.Declared.IsZero() {
		return nil
	}
	st := p.State(s, now)
	if st.Resolved {
		return nil
	}
	var out []Event
	for i, r := range st.Rungs {
		if !r.Paged || r.Recorded {
			continue
		}
		id := EscalationID(s.ID, i)
		if s.seen.has(id) {
			continue
		}
		summary := "Escalated to " + r.Role + " (" + r.Why + ")"
		if i == 0 {
			summary = "Paged " + r.Role + " (" + r.Why + ")"
		}
		out = append(out, Event{V: SchemaVersion, ID: id, Time: r.At, Actor: escalationActor, Kind: KindEscalation,
			Summary: summary, Escalation: &EscalationFields{Level: i, Role: r.Role}})
	}
	c := newClock(p, &s, now)
	made := map[string]bool{}
	for _, b := range c.breaches() {
		id := BreachID(s.ID, b.sev)
		if s.seen.has(id) || made[id] {
			continue // once per severity: the first stretch at it
		}
		made[id] = true
		out = append(out, Event{V: SchemaVersion, ID: id, Time: b.at, Actor: escalationActor, Kind: KindEscalation,
			Summary: fmt.Sprintf("Response time breached: %s not acknowledged within %s", b.sev, short(p.ResponseTime(b.sev)))})
	}
	// By time; at one time, rungs up the ladder, then the breach.
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out
}

// escalationActor is the actor of the events Due returns (the console).
const escalationActor = "warroom"

// EscalationID is the ID of the event paging rung level of the incident
// whose ID is incidentID: the same on every console and after a restart.
// Its time bits are the incident ID's plus a millisecond, so at equal
// times it sorts after the declaration it follows.
func EscalationID(incidentID string, level int) string {
	return DerivedID(idTimeAfter(incidentID), incidentID, "escalation", strconv.Itoa(level))
}

// BreachID is the ID of the event recording that the incident's response
// time was breached while it was at sev: once per severity.
func BreachID(incidentID string, sev Severity) string {
	return DerivedID(idTimeAfter(incidentID), incidentID, "response-breach", sev.String())
}

// ResponseAckID is the ID the next acknowledgement takes when it would be
// the incident's response-time ack (the first since the latest
// declaration), else "": on a shared timeline two consoles acknowledging
// at once make one row, and the loser is told who won.
func (s Session) ResponseAckID() string {
	if !s.hasDecl || !s.Acked.IsZero() {
		return ""
	}
	return DerivedID(idTimeAfter(s.ID), s.ID, "response-ack")
}

// ResolveID and ReopenID are the IDs the next resolution and the next
// reopening take: derived from the incident and how many of each it has,
// so two consoles resolving at once make one event (and one hook run).
func (s Session) ResolveID() string {
	return DerivedID(idTimeAfter(s.ID), s.ID, "resolved", strconv.Itoa(len(s.closes)))
}

// ReopenID: see ResolveID.
func (s Session) ReopenID() string {
	return DerivedID(idTimeAfter(s.ID), s.ID, "reopened", strconv.Itoa(len(s.opens)))
}

func idTimeAfter(id string) time.Time {
	t, _ := timeOfID(id)
	return t.Add(time.Millisecond)
}

// urgent reports whether sev runs as a P0.
func urgent(sev Severity) bool { return sev == P0 || !sev.Valid() }

// short renders a duration as the playbook does: "5m", "2h", else Go's.
func short(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// clock is the session's facts as of now, after its latest declaration.
type clock struct {
	p       Policy
	s       *Session
	now     time.Time
	decl    time.Time
	declSev Severity
	changes []Change  // after the declaration, at or before now
	ack     time.Time // first ack, if at or before now
	// pauses are the stretches the incident was resolved, after the
	// declaration and up to now, in order; the last one's to is zero
	// while it is resolved now.
	pauses []pause
	// openAt[i] is the open time from the declaration to pauses[i].from.
	openAt []time.Duration
	res    time.Time // start of the last pause if resolved now, else zero
}

// pause is a stretch when the incident was resolved: from a resolution
// to the reopen that ended it (zero: not reopened as of now).
type pause struct{ from, to time.Time }

func newClock(p Policy, s *Session, now time.Time) clock {
	c := clock{p: p, s: s, decl: s.Declared, now: now, declSev: SeverityUnknown}
	if c.now.Before(c.decl) {
		c.now = c.decl
	}
	if s.declSevOK {
		c.declSev = s.declSev
	}
	after := func(k key) bool { return !s.hasDecl || s.decl.less(k) }
	for _, ch := range s.Changes {
		if after(key{ch.At, ch.ID}) && !ch.At.After(c.now) {
			c.changes = append(c.changes, ch)
		}
	}
	if !s.Acked.IsZero() && !s.Acked.After(c.now) {
		c.ack = s.Acked
	}
	// Resolutions and reopens after the declaration, up to now, in order:
	// a resolution while resolved, or a reopen while open, changes nothing.
	type mark struct {
		k     key
		close bool
	}
	var marks []mark
	for _, k := range s.closes {
		if after(k) && !k.t.After(c.now) {
			marks = append(marks, mark{k, true})
		}
	}
	for _, k := range s.opens {
		if after(k) && !k.t.After(c.now) {
			marks = append(marks, mark{k, false})
		}
	}
	slices.SortStableFunc(marks, func(a, b mark) int { return a.k.compare(b.k) })
	for _, m := range marks {
		n := len(c.pauses)
		resolved := n > 0 && c.pauses[n-1].to.IsZero()
		switch {
		case m.close && !resolved:
			c.pauses = append(c.pauses, pause{from: m.k.t})
		case !m.close && resolved:
			c.pauses[n-1].to = m.k.t
		}
	}
	if n := len(c.pauses); n > 0 && c.pauses[n-1].to.IsZero() {
		c.res = c.pauses[n-1].from
	}
	c.openAt = make([]time.Duration, len(c.pauses))
	for i, p := range c.pauses {
		if i == 0 {
			c.openAt[i] = p.from.Sub(c.decl)
		} else {
			c.openAt[i] = c.openAt[i-1] + p.from.Sub(c.pauses[i-1].to)
		}
	}
	return c
}

// pauseAt is the index of the last pause starting at or before t, or -1.
func (c clock) pauseAt(t time.Time) int {
	return sort.Search(len(c.pauses), func(i int) bool { return c.pauses[i].from.After(t) }) - 1
}

// resolvedNow reports whether the incident is resolved as of now.
func (c clock) resolvedNow() bool { return !c.res.IsZero() }

// open reports whether the incident is open at t.
func (c clock) open(t time.Time) bool {
	if t.Before(c.decl) {
		return false
	}
	// Pauses are in time order and do not overlap: only the last one
	// starting at or before t may hold it.
	i := c.pauseAt(t)
	return i < 0 || (!c.pauses[i].to.IsZero() && !t.Before(c.pauses[i].to))
}

// elapsed is the open time from the declaration to t.
func (c clock) elapsed(t time.Time) time.Duration {
	if !t.After(c.decl) {
		return 0
	}
	// The pauses that start before t.
	i := sort.Search(len(c.pauses), func(i int) bool { return !t.After(c.pauses[i].from) }) - 1
	if i < 0 {
		return t.Sub(c.decl)
	}
	if p := c.pauses[i]; p.to.IsZero() || t.Before(p.to) {
		return c.openAt[i] // within the pause
	}
	return c.openAt[i] + t.Sub(c.pauses[i].to)
}

// wall is when the incident will have been open for x, if it will be with
// what is known (false while resolved).
func (c clock) wall(x time.Duration) (time.Time, bool) {
	// The pauses that begin before x of open time has passed.
	k := sort.Search(len(c.pauses), func(i int) bool { return x < c.openAt[i] })
	if k == 0 {
		return c.decl.Add(x), true
	}
	p := c.pauses[k-1]
	if p.to.IsZero() {
		return time.Time{}, false
	}
	return p.to.Add(x - c.openAt[k-1]), true
}

// reopens are the times the incident was reopened, up to now.
func (c clock) reopens() []time.Time {
	var out []time.Time
	for _, p := range c.pauses {
		if !p.to.IsZero() {
			out = append(out, p.to)
		}
	}
	return out
}

// reopenedAfter is the end of the pause that holds t (zero if t is not in
// one, or that pause goes on).
func (c clock) reopenedAfter(t time.Time) time.Time {
	if i := c.pauseAt(t); i >= 0 && (c.pauses[i].to.IsZero() || t.Before(c.pauses[i].to)) {
		return c.pauses[i].to
	}
	return time.Time{}
}

// sevAt is the severity at t.
func (c clock) sevAt(t time.Time) Severity {
	// The last change at or before t (changes are in time order).
	i := sort.Search(len(c.changes), func(i int) bool { return c.changes[i].At.After(t) })
	if i == 0 {
		return c.declSev
	}
	return c.changes[i-1].To
}

// acked reports whether an ack is effective at t.
func (c clock) acked(t time.Time) bool { return !c.ack.IsZero() && !c.ack.After(t) }

// start is when rung i is due, in open time.
func (c clock) start(i int) time.Duration {
	var d time.Duration
	for _, r := range c.p.Ladder[:i] {
		d += r.Window
	}
	return d
}

// firstUrgent is the first moment at or after from (and at or before now)
// when the incident is open and runs as a P0, and why.
func (c clock) firstUrgent(from time.Time) (time.Time, string, bool) {
	type cand struct {
		t   time.Time
		why string
	}
	cands := []cand{{from, ""}}
	for _, ch := range c.changes {
		if !ch.At.Before(from) {
			cands = append(cands, cand{ch.At, "raised to P0"})
		}
	}
	for _, r := range c.reopens() {
		if !r.Before(from) {
			cands = append(cands, cand{r, "reopened as P0"})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.t.Compare(b.t) })
	for _, x := range cands {
		if !x.t.After(c.now) && c.open(x.t) && urgent(c.sevAt(x.t)) {
			return x.t, x.why, true
		}
	}
	return time.Time{}, "", false
}

// rung is rung i as of now.
func (c clock) rung(i int) RungState {
	r := c.p.Ladder[i]
	rs := RungState{Rung: r}
	consider := func(t time.Time, why string, byP0 bool) {
		if !t.After(c.now) && (!rs.Paged || t.Before(rs.At)) {
			rs.Paged, rs.At, rs.Why, rs.ByP0 = true, t, why, byP0
		}
	}
	if i == 0 {
		consider(c.decl, c.declSev.String()+" declared", false)
	}
	due, scheduled := c.wall(c.start(i))
	if i > 0 && scheduled && !c.acked(due) {
		consider(due, "no ack within "+short(c.start(i)), false)
	}
	switch r.OnP0 {
	case P0AtOnce:
		if t, why, ok := c.firstUrgent(c.decl); ok {
			if why == "" {
				why = "P0"
			}
			consider(t, why, true)
		}
	case P0OnSchedule:
		if scheduled {
			if t, why, ok := c.firstUrgent(due); ok {
				if why == "" {
					why = "P0 open " + short(c.start(i))
				}
				consider(t, why, true)
			}
		}
	}
	after := func(k key) bool { return !c.s.hasDecl || c.s.decl.less(k) }
	for _, e := range c.s.Escalations {
		if e.Level == i && after(key{e.At, e.ID}) && !e.At.After(c.now) {
			rs.Recorded = true
			consider(e.At, "recorded", false)
		}
	}
	if rs.Paged || c.resolvedNow() || !scheduled {
		return rs
	}
	// Not paged yet: when it will be if nothing changes.
	if due.After(c.now) && (!c.acked(c.now) || (r.OnP0 == P0OnSchedule && urgent(c.sevAt(c.now)))) {
		rs.At = due
	}
	return rs
}

// breach is the start of a stretch of being breached, at severity sev.
type breach struct {
	at  time.Time
	sev Severity
}

// breaches are the starts of the stretches, up to now, when the response
// time of the severity of the moment had passed in open time without an
// ack. A stretch starts when the time passes, or when a change (or a
// change during a resolution, at the reopen) brings a shorter response
// time that has already passed; raising the severity while breached
// continues the stretch.
func (c clock) breaches() []breach {
	type seg struct {
		at  time.Time
		sev Severity
	}
	segs := []seg{{c.decl, c.declSev}}
	for _, ch := range c.changes {
		if n := len(segs); segs[n-1].at.Equal(ch.At) {
			segs[n-1].sev = ch.To // the latest change of the moment wins
		} else {
			segs = append(segs, seg{ch.At, ch.To})
		}
	}
	var out []breach
	breached := false
	for k, sg := range segs {
		end := time.Time{} // zero: open-ended
		if k+1 < len(segs) {
			end = segs[k+1].at
		}
		a := sg.at
		if !c.open(a) {
			reo := c.reopenedAfter(a)
			if reo.IsZero() {
				break // resolved for good (as of now)
			}
			a = reo
		}
		if !end.IsZero() && !a.Before(end) {
			continue // superseded while resolved
		}
		rt := c.p.ResponseTime(sg.sev)
		var start time.Time
		var ok bool
		if c.elapsed(a) > rt {
			start, ok = a, !c.acked(a)
			if ok && breached {
				continue // already breached: the stretch goes on
			}
		} else if due, sched := c.wall(rt); sched && (end.IsZero() || due.Before(end)) {
			start, ok = due, due.Before(c.now) && !c.acked(due)
		}
		breached = ok
		if ok {
			out = append(out, breach{start, sg.sev})
		}
	}
	return out
}
