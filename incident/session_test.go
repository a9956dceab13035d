package incident

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// ided gives ev a deterministic ID, as the journal would give it one.
func ided(ev Event, n int) Event {
	ev.ID = DerivedID(ev.Time, "test", fmt.Sprint(n))
	return ev
}

func TestFold(t *testing.T) {
	evs := []Event{
		Note("bot", "before anything", at(-1)),
		Declared("alice", "Checkout 5xx", P2, at(0)),
		{Time: at(3), Actor: "bob", Kind: KindAck, Summary: "acked"},
		SeverityChange("alice", P2, P0, "", at(4)),
		{Time: at(5), Actor: "bob", Kind: KindSeverity, Summary: "junk", Severity: &SeverityFields{To: "P9"}}, // ignored
		Note("bob", "rolling back", at(6)),
		{Time: at(7), Actor: "carol", Kind: KindAck},
		{Time: at(8), Actor: "warroom", Kind: KindEscalation, Escalation: &EscalationFields{Level: 1, Role: "Secondary On-Call"}},
	}
	for i := range evs {
		evs[i] = ided(evs[i], i)
	}
	s := Fold(evs)
	if s.ID != evs[1].ID || s.Title != "Checkout 5xx" || s.Severity != P0 || !s.SeverityKnown || !s.Declared.Equal(at(0)) || s.DeclaredBy != "alice" {
		t.Errorf("declared/severity: %+v", s)
	}
	if len(s.Changes) != 1 || s.Changes[0].From != P2 || s.Changes[0].To != P0 || s.Changes[0].By != "alice" {
		t.Errorf("changes: %+v", s.Changes)
	}
	if !s.Acked.Equal(at(3)) || s.AckedBy != "bob" {
		t.Errorf("ack: %v %q, want the first ack (bob at 3m)", s.Acked, s.AckedBy)
	}
	if len(s.Acks) != 2 || s.Acks[1].Who != "carol" {
		t.Errorf("acks: %+v", s.Acks)
	}
	if s.Level != 1 || len(s.Escalations) != 1 || s.Escalations[0].Role != "Secondary On-Call" {
		t.Errorf("escalation: %d %+v", s.Level, s.Escalations)
	}
	if want := []string{"bot", "alice", "bob", "carol"}; !slices.Equal(s.Participants, want) {
		t.Errorf("participants %v, want %v", s.Participants, want)
	}
	if !s.Open() || !s.Resolved.IsZero() || s.Count != len(evs) {
		t.Errorf("open: %+v", s)
	}
	if got := s.Elapsed(at(10)); got != 10*time.Minute {
		t.Errorf("Elapsed = %v", got)
	}

	s.Apply(ided(Event{Time: at(42), Actor: "alice", Kind: KindResolved, Summary: "rolled back"}, 100))
	if s.Open() || !s.Resolved.Equal(at(42)) {
		t.Errorf("resolved: %+v", s)
	}
	if got := s.Elapsed(at(100)); got != 42*time.Minute {
		t.Errorf("Elapsed after resolve = %v, want 42m", got)
	}
}

func TestFoldEmpty(t *testing.T) {
	s := Fold(nil)
	if s.Open() || s.Elapsed(t0) != 0 || s.Title != "" || s.Count != 0 {
		t.Errorf("empty: %+v", s)
	}
	s = Fold([]Event{Note("a", "b", t0)})
	if s.Open() || s.Count != 1 {
		t.Error("open without a declared event")
	}
	s = Fold([]Event{Declared("a", "x", P3, t0)})
	if s.Elapsed(t0.Add(-time.Minute)) != 0 {
		t.Error("negative elapsed")
	}
}

func TestFoldFirstAckAfterLatestDeclaration(t *testing.T) {
	evs := []Event{
		ided(Declared("alice", "first", P1, at(0)), 1),
		ided(Event{Time: at(2), Actor: "bob", Kind: KindAck, Ack: &AckFields{Who: "bob"}}, 2),
		ided(Declared("alice", "again", P1, at(10)), 3),
		ided(Event{Time: at(14), Actor: "carol", Kind: KindAck, Ack: &AckFields{Who: "carol", Level: 1}}, 4),
		ided(Event{Time: at(12), Actor: "dave", Kind: KindAck, Ack: &AckFields{Who: "dave"}}, 5),
	}
	s := Fold(evs)
	if !s.Acked.Equal(at(12)) || s.AckedBy != "dave" {
		t.Errorf("Acked %v by %q, want dave at 12m (first after the re-declaration, by time not arrival)", s.Acked, s.AckedBy)
	}
	if len(s.Acks) != 3 || s.Acks[0].Who != "bob" || s.Acks[2].Who != "carol" || s.Acks[2].Level != 1 {
		t.Errorf("Acks %+v", s.Acks)
	}
	// The ack's Who wins over the actor who recorded it.
	s = Fold([]Event{{Time: at(1), Actor: "warroom", Kind: KindAck, Ack: &AckFields{Who: "erin"}}})
	if s.AckedBy != "erin" {
		t.Errorf("AckedBy %q", s.AckedBy)
	}
}

func TestFoldUnknownSeverity(t *testing.T) {
	s := Fold([]Event{{Time: at(0), Actor: "a", Kind: KindDeclared, Summary: "x", Severity: &SeverityFields{To: "P7"}}})
	if s.SeverityKnown || s.Severity == P0 || s.Severity.Valid() || s.Severity.String() != "P?" {
		t.Errorf("unparsable declared severity became %v (known %v)", s.Severity, s.SeverityKnown)
	}
	// A v1 declaration without a code is just as unknown.
	s = Fold([]Event{{Time: at(0), Actor: "a", Kind: KindDeclared, Summary: "x"}})
	if s.SeverityKnown || s.Severity != SeverityUnknown {
		t.Errorf("declared without severity: %v known %v", s.Severity, s.SeverityKnown)
	}
	// A later valid change makes it known; a later invalid one is ignored.
	s.Apply(SeverityChange("a", SeverityUnknown, P2, "", at(1)))
	s.Apply(Event{Time: at(2), Actor: "a", Kind: KindSeverity, Severity: &SeverityFields{From: "P2", To: "bogus"}})
	if !s.SeverityKnown || s.Severity != P2 || len(s.Changes) != 1 || s.Changes[0].From != SeverityUnknown {
		t.Errorf("after change: %v known %v changes %+v", s.Severity, s.SeverityKnown, s.Changes)
	}
}

func TestFoldResolveReopen(t *testing.T) {
	evs := []Event{
		ided(Declared("a", "x", P1, at(0)), 1),
		ided(Event{Time: at(10), Actor: "a", Kind: KindResolved}, 2),
	}
	if s := Fold(evs); s.Open() || !s.Resolved.Equal(at(10)) {
		t.Fatalf("not resolved: %+v", s)
	}
	evs = append(evs, ided(Event{Time: at(20), Actor: "b", Kind: KindReopened}, 3))
	if s := Fold(evs); !s.Open() || !s.Resolved.IsZero() || s.Elapsed(at(30)) != 30*time.Minute {
		t.Errorf("not reopened: %+v", s)
	}
	// A reopen older than the resolution does not reopen.
	evs = append(evs, ided(Event{Time: at(25), Actor: "a", Kind: KindResolved}, 4))
	if s := Fold(evs); s.Open() || !s.Resolved.Equal(at(25)) {
		t.Errorf("resolved again: %+v", s)
	}
	slices.Reverse(evs)
	if s := Fold(evs); s.Open() || !s.Resolved.Equal(at(25)) {
		t.Errorf("reversed: %+v", s)
	}
}

func TestFoldRedeclare(t *testing.T) {
	evs := []Event{
		ided(Declared("alice", "Checkout 5xx", P2, at(0)), 1),
		ided(SeverityChange("alice", P2, P0, "", at(1)), 2),
		ided(Event{Time: at(3), Actor: "bob", Kind: KindAck}, 3),
		ided(Event{Time: at(4), Actor: "warroom", Kind: KindEscalation, Escalation: &EscalationFields{Level: 2, Role: "Team Lead"}}, 4),
		ided(Event{Time: at(42), Actor: "alice", Kind: KindResolved}, 5),
		ided(Declared("dave", "Checkout 5xx again", P1, at(60)), 6),
	}
	s := Fold(evs)
	if !s.Open() || s.ID != evs[5].ID || s.Title != "Checkout 5xx again" || s.Severity != P1 || !s.Acked.IsZero() ||
		s.AckedBy != "" || s.DeclaredBy != "dave" || !s.Declared.Equal(at(60)) || s.Level != 0 {
		t.Errorf("re-declared: %+v", s)
	}
	if len(s.Acks) != 1 || len(s.Changes) != 1 || len(s.Escalations) != 1 {
		t.Errorf("history lost: %+v", s)
	}
	// An older declaration arriving late does not take over.
	s.Apply(ided(Declared("eve", "stale", P3, at(30)), 7))
	if s.Title != "Checkout 5xx again" || s.Severity != P1 || !s.Open() {
		t.Errorf("stale declaration won: %+v", s)
	}
}

func TestFoldChecklistsCopyOnWrite(t *testing.T) {
	var s Session
	s.Apply(ided(Event{Time: at(1), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "triage", Item: 2, Checked: true}}, 1))
	before := s
	s.Apply(ided(Event{Time: at(2), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "triage", Item: 2}}, 2))
	s.Apply(ided(Event{Time: at(2), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "triage", Item: 0, Checked: true}}, 3))
	s.Apply(ided(Event{Time: at(3), Actor: "a", Kind: KindAck}, 4))
	if want := []bool{false, false, true}; !slices.Equal(checked(before.Checklists["triage"]), want) {
		t.Errorf("earlier copy changed: %v, want %v", before.Checklists["triage"], want)
	}
	if want := []bool{true, false, false}; !slices.Equal(checked(s.Checklists["triage"]), want) {
		t.Errorf("triage %v, want %v", s.Checklists["triage"], want)
	}
	if c := s.Checklists["triage"][0]; !c.At.Equal(at(2)) || c.By != "a" {
		t.Errorf("item 0 = %+v: want checked at %v by a", c, at(2))
	}
	if s.Done("triage") != 1 || before.Done("triage") != 1 || s.Done("none") != 0 {
		t.Errorf("Done = %d (before %d)", s.Done("triage"), before.Done("triage"))
	}
	// An older event for an item does not override a newer one.
	s.Apply(ided(Event{Time: at(0), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "triage", Item: 0}}, 5))
	if !s.Checklists["triage"][0].Checked {
		t.Error("older checklist event won")
	}
	// Out-of-range items are ignored.
	s.Apply(ided(Event{Time: at(9), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "x", Item: 1 << 30}}, 6))
	s.Apply(ided(Event{Time: at(9), Actor: "a", Kind: KindChecklist, Checklist: &ChecklistFields{List: "x", Item: -1}}, 7))
	if _, ok := s.Checklists["x"]; ok {
		t.Error("out-of-range item recorded")
	}
	if before.Count != 1 || len(before.Acks) != 0 {
		t.Errorf("earlier copy changed: %+v", before)
	}
}

func checked(cs []Check) []bool {
	out := make([]bool, len(cs))
	for i, c := range cs {
		out[i] = c.Checked
	}
	return out
}

// comparable strips the unexported bookkeeping and maps nil to empty, so
// two Sessions with the same meaning compare equal.
func comparable(s Session) Session {
	out := Session{
		ID: s.ID, Title: s.Title, Severity: s.Severity, SeverityKnown: s.SeverityKnown,
		Changes: s.Changes, Declared: s.Declared, DeclaredBy: s.DeclaredBy, Resolved: s.Resolved,
		Acks: s.Acks, Acked: s.Acked, AckedBy: s.AckedBy, Level: s.Level, Escalations: s.Escalations,
		Checklists: s.Checklists, Count: s.Count, Participants: s.Participants,
	}
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	if out.Acks == nil {
		out.Acks = []Ack{}
	}
	if out.Escalations == nil {
		out.Escalations = []EscalationStep{}
	}
	if out.Checklists == nil {
		out.Checklists = map[string][]Check{}
	}
	if out.Participants == nil {
		out.Participants = []string{}
	}
	return out
}

func randomEvents(r *rand.Rand, n int) []Event {
	actors := []string{"alice", "bob", "carol", "warroom", "drill", ""}
	sevs := []string{"P0", "P1", "P2", "P3", "P9", ""}
	kinds := []Kind{KindDeclared, KindSeverity, KindAck, KindEscalation, KindResolved, KindReopened, KindChecklist, KindNote}
	evs := make([]Event, n)
	for i := range evs {
		ev := Event{
			V:     SchemaVersion,
			Time:  at(r.IntN(8)), // many equal times
			Actor: actors[r.IntN(len(actors))],
			Kind:  kinds[r.IntN(len(kinds))],
		}
		ev.ID = NewID(ev.Time)
		ev.Summary = "event " + ev.ID[24:]
		switch ev.Kind {
		case KindDeclared:
			ev.Severity = &SeverityFields{To: sevs[r.IntN(len(sevs))]}
		case KindSeverity:
			ev.Severity = &SeverityFields{From: sevs[r.IntN(len(sevs))], To: sevs[r.IntN(len(sevs))], Reason: ev.Summary}
		case KindAck:
			ev.Ack = &AckFields{Who: actors[r.IntN(len(actors))], Level: r.IntN(4)}
		case KindEscalation:
			ev.Escalation = &EscalationFields{Level: r.IntN(4), Role: "rung", Who: ev.Actor}
		case KindChecklist:
			ev.Checklist = &ChecklistFields{List: []string{"triage", "security"}[r.IntN(2)], Item: r.IntN(5), Checked: r.IntN(2) == 0}
		}
		evs[i] = ev
	}
	return evs
}

func sortedByKey(evs []Event) []Event {
	out := slices.Clone(evs)
	slices.SortFunc(out, func(a, b Event) int { return key{a.Time, a.ID}.compare(key{b.Time, b.ID}) })
	return out
}

// TestApplyOrderInsensitive: applying events one by one in any order, with
// duplicates, and through copies of the Session, gives the same Session as
// folding them in (Time, ID) order.
func TestApplyOrderInsensitive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 2000 {
		evs := randomEvents(r, 1+r.IntN(30))
		want := comparable(Fold(sortedByKey(evs)))

		perm := r.Perm(len(evs))
		var s Session
		cut := r.IntN(len(perm) + 1)
		var snap Session
		for i, p := range perm {
			if i == cut {
				snap = s // a copy that must not see what s applies later
			}
			s.Apply(evs[p])
			if r.IntN(4) == 0 { // a duplicate of something already applied
				s.Apply(evs[perm[r.IntN(i+1)]])
			}
		}
		if cut == len(perm) {
			snap = s
		}
		if got := comparable(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: order %v\n got %+v\nwant %+v", iter, perm, got, want)
		}

		prefix := make([]Event, 0, cut)
		for _, p := range perm[:cut] {
			prefix = append(prefix, evs[p])
		}
		if got, w := comparable(snap), comparable(Fold(sortedByKey(prefix))); !reflect.DeepEqual(got, w) {
			t.Fatalf("iteration %d: copy taken after %d events changed\n got %+v\nwant %+v", iter, cut, got, w)
		}
		// The copy goes on independently (in reverse order) and reaches the
		// same state, without disturbing s.
		for i := len(perm) - 1; i >= 0; i-- {
			snap.Apply(evs[perm[i]])
		}
		if got := comparable(snap); !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: copy finished differently\n got %+v\nwant %+v", iter, got, want)
		}
		if got := comparable(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: applying to a copy changed the original", iter)
		}
	}
}

func TestIDSet(t *testing.T) {
	var s idSet
	var versions []idSet
	for i := range 300 {
		versions = append(versions, s)
		s = s.with(fmt.Sprint(i))
	}
	if len(s.chunks) > 9 {
		t.Errorf("%d chunks for 300 IDs", len(s.chunks))
	}
	for v, old := range versions {
		for i := range 300 {
			if got := old.has(fmt.Sprint(i)); got != (i < v) {
				t.Fatalf("version %d has(%d) = %v", v, i, got)
			}
		}
	}
}

func TestEventConstructors(t *testing.T) {
	d := Declared("alice", "DB down", P1, t0)
	if d.Kind != KindDeclared || d.Summary != "DB down" || d.Severity == nil || d.Severity.To != "P1" || d.Severity.From != "" || d.Actor != "alice" || !d.Time.Equal(t0) {
		t.Errorf("Declared: %+v", d)
	}
	s := SeverityChange("bob", P1, P0, "", t0)
	if s.Kind != KindSeverity || s.Summary != "Severity P1 → P0" || s.Severity == nil || s.Severity.From != "P1" || s.Severity.To != "P0" {
		t.Errorf("SeverityChange: %+v", s)
	}
	n := Note("carol", "hi", t0)
	if n.Kind != KindNote || n.Summary != "hi" || n.Detail != "" {
		t.Errorf("Note: %+v", n)
	}
	kinds := Kinds()
	seen := map[Kind]bool{}
	for _, k := range kinds {
		seen[k] = true
	}
	if len(kinds) != 14 || len(seen) != 14 || !seen[KindEvidence] || !seen[KindResolved] || !seen[KindStepFinished] || !seen[KindChecklist] || !seen[KindReopened] {
		t.Errorf("Kinds() = %v", kinds)
	}
}

func TestSessionKnowsEachAlertsLatestState(t *testing.T) {
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	alert := func(id string, d time.Duration, state string, labels map[string]string) Event {
		return Event{V: SchemaVersion, ID: id, Time: at.Add(d), Actor: "warroom", Kind: KindAlert, Summary: "x",
			Alert: &AlertFields{Name: "HighErrorRate", State: state, Labels: labels}}
	}
	api := map[string]string{"alertname": "HighErrorRate", "service": "api"}
	web := map[string]string{"service": "web"}
	s := Fold([]Event{alert("a", 0, "firing", api), alert("b", time.Minute, "firing", web)})
	before := s
	// Out of order: the later resolution wins whatever the order applied.
	s.Apply(alert("d", 3*time.Minute, "resolved", api))
	s.Apply(alert("c", 2*time.Minute, "firing", api))
	if got := s.Alerts[AlertKey("HighErrorRate", api)].State; got != "resolved" {
		t.Errorf("api alert %q, want resolved", got)
	}
	if got := s.Alerts[AlertKey("HighErrorRate", web)].State; got != "firing" {
		t.Errorf("web alert %q, want firing", got)
	}
	if got := before.Alerts[AlertKey("HighErrorRate", api)].State; got != "firing" {
		t.Errorf("an earlier copy of the session changed: %q", got)
	}
	if AlertKey("X", map[string]string{"a": "1", "b": "2"}) != AlertKey("X", map[string]string{"b": "2", "a": "1", "alertname": "X"}) {
		t.Error("AlertKey depends on label order or alertname")
	}
}
