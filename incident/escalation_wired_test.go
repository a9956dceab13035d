package incident

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sec is t0 plus s seconds (the accelerated ladder runs in seconds).
func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// levelsOnce reports whether each level appears at most once in steps, and
// the levels in order.
func levelsOnce(es []EscalationStep) ([]int, bool) {
	var out []int
	for _, e := range es {
		if slices.Contains(out, e.Level) {
			return append(out, e.Level), false
		}
		out = append(out, e.Level)
	}
	return out, true
}

func TestAcceleratedPolicy(t *testing.T) {
	p := DefaultPolicy()
	orig := DefaultPolicy()
	q := p.Accelerated(10)
	wantWin := []time.Duration{30 * time.Second, time.Minute, 90 * time.Second, 0}
	for i, r := range q.Ladder {
		if r.Window != wantWin[i] {
			t.Errorf("rung %d window %v, want %v", i, r.Window, wantWin[i])
		}
		if r.Role != p.Ladder[i].Role || r.OnP0 != p.Ladder[i].OnP0 || r.Rotation != p.Ladder[i].Rotation {
			t.Errorf("rung %d changed beyond its window: %+v", i, r)
		}
	}
	wantRT := map[Severity]time.Duration{P0: 90 * time.Second, P1: 3 * time.Minute, P2: 12 * time.Minute, P3: 144 * time.Minute}
	for sev, want := range wantRT {
		if got := q.ResponseTime(sev); got != want {
			t.Errorf("accelerated %v response %v, want %v", sev, got, want)
		}
	}
	if q.Speed != 10 {
		t.Errorf("Speed %d, want 10", q.Speed)
	}
	if err := q.Validate(); err != nil {
		t.Errorf("accelerated policy invalid: %v", err)
	}
	// The original is not modified, and does not share the ladder.
	if !reflect.DeepEqual(p, orig) {
		t.Errorf("Accelerated modified the policy: %+v", p)
	}
	q.Ladder[0].Window = time.Hour
	if p.Ladder[0].Window != 5*time.Minute {
		t.Error("accelerated policy shares its ladder with the original")
	}
	// Accelerated twice multiplies; an override is divided too.
	r := DefaultPolicy()
	r.Response[P1] = 10 * time.Minute
	r2 := r.Accelerated(2).Accelerated(5)
	if r2.Speed != 10 || r2.Ladder[0].Window != 30*time.Second || r2.ResponseTime(P1) != time.Minute || r2.ResponseTime(P0) != 90*time.Second {
		t.Errorf("Accelerated(2).Accelerated(5): speed %d window %v P1 %v P0 %v", r2.Speed, r2.Ladder[0].Window, r2.ResponseTime(P1), r2.ResponseTime(P0))
	}
	// A speed below 2 is the policy unchanged.
	for _, speed := range []int{1, 0, -3} {
		if got := p.Accelerated(speed); !reflect.DeepEqual(got, orig) {
			t.Errorf("Accelerated(%d) = %+v, want unchanged", speed, got)
		}
	}
}

// A drill's P1 at 10×: the secondary at 30s, the Team Lead at 90s, the
// EM+CTO and the breach at 3m.
func TestAcceleratedLadderAndBreach(t *testing.T) {
	p := DefaultPolicy().Accelerated(10)
	b := newBook(P1)
	if st := p.State(b.s(), sec(29.9)); st.Current != 0 || st.Next != 1 || !st.NextAt.Equal(sec(30)) {
		t.Errorf("at 29.9s: current %d next %d@%v", st.Current, st.Next, st.NextAt.Sub(t0))
	}
	if st := p.State(b.s(), sec(30)); st.Current != 1 || st.Rungs[1].Why != "no ack within 30s" || !st.NextAt.Equal(sec(90)) {
		t.Errorf("at 30s: current %d why %q next %v", st.Current, st.Rungs[1].Why, st.NextAt.Sub(t0))
	}
	st := p.State(b.s(), sec(180))
	if st.Breached || !st.ResponseDue.Equal(sec(180)) || !st.Amber || st.Current != 3 {
		t.Errorf("at 3m: breached %v due %v amber %v current %d", st.Breached, st.ResponseDue.Sub(t0), st.Amber, st.Current)
	}
	if st := p.State(b.s(), sec(181)); !st.Breached || !st.BreachedAt.Equal(sec(180)) {
		t.Errorf("at 3m1s: breached %v at %v", st.Breached, st.BreachedAt.Sub(t0))
	}
	due := b.run(p, sec(181))
	if got := steps(due); got != "0@0s 1@30s 2@1m30s 3@3m0s breach P1@3m0s" {
		t.Fatalf("Due at 3m1s: %s", got)
	}
	if last := due[len(due)-1]; last.Summary != "Response time breached: P1 not acknowledged within 3m" {
		t.Errorf("breach summary %q", last.Summary)
	}
	if again := p.Due(b.s(), sec(600)); len(again) != 0 {
		t.Errorf("Due again: %s", steps(again))
	}
	// The same journal under the real policy: nothing more is due at 3m1s
	// (what is recorded stays recorded), and the real clock says 30m.
	if st := DefaultPolicy().State(b.s(), sec(181)); st.Breached || st.Current != 3 || !st.ResponseDue.Equal(mt(30)) {
		t.Errorf("real policy on the drill's journal: breached %v current %d due %v", st.Breached, st.Current, st.ResponseDue.Sub(t0))
	}
}

func TestResponseTimeOverrides(t *testing.T) {
	p := DefaultPolicy()
	p.Response[P1] = 10 * time.Minute
	want := map[Severity]time.Duration{
		P0: 15 * time.Minute, P1: 10 * time.Minute, P2: 2 * time.Hour, P3: 24 * time.Hour,
		SeverityUnknown: 15 * time.Minute, Severity(9): 15 * time.Minute,
	}
	for sev, w := range want {
		if got := p.ResponseTime(sev); got != w {
			t.Errorf("ResponseTime(%v) = %v, want %v", sev, got, w)
		}
	}
	// An unknown severity runs as a P0, P0's override included.
	p.Response[P0] = 5 * time.Minute
	if got := p.ResponseTime(SeverityUnknown); got != 5*time.Minute {
		t.Errorf("unknown severity with P0 overridden: %v, want 5m", got)
	}
}

func TestStateUsesResponseOverride(t *testing.T) {
	p := DefaultPolicy()
	p.Response[P1] = 10 * time.Minute
	b := newBook(P1)
	cases := []struct {
		m               float64
		amber, breached bool
	}{
		{4.99, false, false},
		{5, true, false},
		{10, true, false},
		{10.01, false, true},
	}
	for _, c := range cases {
		st := p.State(b.s(), mt(c.m))
		if st.Amber != c.amber || st.Breached != c.breached || !st.ResponseDue.Equal(mt(10)) {
			t.Errorf("at %vm: amber %v breached %v due %v, want %v %v 10m", c.m, st.Amber, st.Breached, st.ResponseDue.Sub(t0), c.amber, c.breached)
		}
	}
	due := p.Due(b.s(), mt(11))
	if got := steps(due); got != "0@0s 1@5m0s breach P1@10m0s" {
		t.Fatalf("Due at 11m: %s", got)
	}
	if s := due[len(due)-1].Summary; s != "Response time breached: P1 not acknowledged within 10m" {
		t.Errorf("breach summary %q", s)
	}
	// The other severities keep the playbook's.
	if st := p.State(newBook(P2).s(), mt(11)); st.Breached || !st.ResponseDue.Equal(mt(120)) {
		t.Errorf("P2 under a P1 override: breached %v due %v", st.Breached, st.ResponseDue.Sub(t0))
	}
}

func TestOnCallTeamAndContact(t *testing.T) {
	p := DefaultPolicy()
	if tm, ok := p.OnCallTeam(); !ok || tm.Name != "Platform" {
		t.Errorf("default OnCallTeam = %+v %v, want Platform", tm, ok)
	}
	cases := []struct {
		level int
		where string
	}{
		{0, "Platform's primary"},
		{1, "Platform's secondary"},
		{2, "the Team Lead's contact"},
		{3, "the Engineering Manager + CTO's contact"},
		{4, "no such rung"},
		{-1, "no such rung"},
	}
	for _, c := range cases {
		got, where := p.Contact(c.level)
		if got.Known() || got != (Contact{}) || where != c.where {
			t.Errorf("default Contact(%d) = %+v, %q; want unknown, %q", c.level, got, where, c.where)
		}
	}

	ana := Contact{Name: "Ana", Contact: "+1 555 0100"}
	ben := Contact{Name: "Ben", Contact: "@ben"}
	lee := Contact{Name: "Lee", Contact: "lee@example.com"}
	p.Teams[2].Primary, p.Teams[2].Secondary = ana, ben
	p.OnCall = " security "
	p.Ladder[2].Contact = lee
	if tm, ok := p.OnCallTeam(); !ok || tm.Name != "Security" {
		t.Errorf("OnCallTeam with OnCall security = %+v %v", tm, ok)
	}
	for level, want := range []struct {
		c     Contact
		where string
	}{{ana, "Security's primary"}, {ben, "Security's secondary"}, {lee, "the Team Lead's contact"}, {Contact{}, "the Engineering Manager + CTO's contact"}} {
		if got, where := p.Contact(level); got != want.c || where != want.where {
			t.Errorf("Contact(%d) = %+v %q, want %+v %q", level, got, where, want.c, want.where)
		}
	}
	// A rung without rotation pages its Contact whatever the team.
	p.OnCall = "Platform"
	if got, _ := p.Contact(2); got != lee {
		t.Errorf("Team Lead with Platform on call: %+v", got)
	}
	if got, where := p.Contact(0); got.Known() || where != "Platform's primary" {
		t.Errorf("Platform's primary: %+v %q", got, where)
	}

	// OnCall naming no team: nobody, and where says which.
	p.OnCall = "Payments"
	if _, ok := p.OnCallTeam(); ok {
		t.Error("OnCallTeam found Payments")
	}
	if got, where := p.Contact(1); got.Known() || where != `team "Payments"` {
		t.Errorf("Contact with OnCall Payments = %+v %q", got, where)
	}
	if got, _ := p.Contact(2); got != lee {
		t.Errorf("rung without rotation, OnCall Payments: %+v", got)
	}
	// No team at all.
	q := DefaultPolicy()
	q.Teams = nil
	if _, ok := q.OnCallTeam(); ok {
		t.Error("OnCallTeam without teams: ok")
	}
	if _, where := q.Contact(0); where != "an on-call team" {
		t.Errorf("Contact without teams: %q", where)
	}
}

func TestValidateRotationOnCallResponse(t *testing.T) {
	cases := []struct {
		name string
		edit func(p *Policy)
		want []string
	}{
		{"unknown rotation", func(p *Policy) { p.Ladder[0].Rotation = "tertiary" }, []string{"rung 1 (Primary On-Call)", `unknown rotation "tertiary"`}},
		{"on-call names no team", func(p *Policy) { p.OnCall = "Payments" }, []string{`on-call team "Payments" is not one of the teams`}},
		{"negative response", func(p *Policy) { p.Response[P1] = -time.Minute }, []string{"response time of P1", "-1m0s must not be negative"}},
		{"all three", func(p *Policy) {
			p.Ladder[1].Rotation = "Primary"
			p.OnCall = "x"
			p.Response[P3] = -1
		}, []string{`unknown rotation "Primary"`, `on-call team "x"`, "response time of P3"}},
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
	// The valid uses of the same fields.
	p := DefaultPolicy()
	p.OnCall = "SECURITY"
	p.Response = [4]time.Duration{0, 10 * time.Minute, 0, time.Hour}
	p.Ladder[2].Rotation = RotationSecondary
	if err := p.Validate(); err != nil {
		t.Errorf("valid policy: %v", err)
	}
}

func notifyEv(n int, m float64, target, phase, ref, errText string) Event {
	return ided(Event{Time: mt(m), Actor: "warroom", Kind: KindAction, Summary: "notify",
		Action: &ActionFields{Phase: phase, Ref: ref, Title: "notify", Kind: ActionNotify, Target: target, Error: errText}}, n)
}

func TestFoldHooks(t *testing.T) {
	decl := ided(Declared("alice", "x", P1, t0), 1)
	x := decl.ID
	var s Session
	s.Apply(decl)
	started := notifyEv(2, 1, x, PhaseStarted, "", "")
	s.Apply(started)
	if h, ok := s.Hooks[x]; !ok || h.Phase != PhaseStarted || h.ActionID != started.ID || !h.At.Equal(mt(1)) || h.Failed() {
		t.Fatalf("after started: %+v %v", h, ok)
	}
	before := s
	finished := notifyEv(3, 2, x, PhaseFinished, started.ID, "exit status 1")
	s.Apply(finished)
	h := s.Hooks[x]
	if !h.Failed() || h.ActionID != finished.ID || h.Phase != PhaseFinished || h.Error != "exit status 1" || !h.At.Equal(mt(2)) {
		t.Errorf("after finished: %+v failed %v", h, h.Failed())
	}
	// Copy-on-write: the earlier copy still sees the started run only.
	if bh := before.Hooks[x]; bh.Phase != PhaseStarted || bh.Failed() || len(before.Hooks) != 1 {
		t.Errorf("earlier copy changed: %+v", before.Hooks)
	}
	// An older event arriving later does not override.
	s.Apply(notifyEv(4, 0.5, x, PhaseFinished, "", ""))
	if h := s.Hooks[x]; h.ActionID != finished.ID || !h.Failed() {
		t.Errorf("older event won: %+v", h)
	}
	// Non-notify actions, and notify actions without a target, are ignored.
	shell := notifyEv(5, 9, x, PhaseFinished, "", "boom")
	shell.Action.Kind = ActionShell
	s.Apply(shell)
	s.Apply(notifyEv(6, 9, "", PhaseStarted, "", ""))
	s.Apply(ided(Event{Time: mt(9), Actor: "warroom", Kind: KindNote, Summary: "notify"}, 7))
	if h := s.Hooks[x]; h.ActionID != finished.ID || len(s.Hooks) != 1 {
		t.Errorf("non-notify action counted: %+v", s.Hooks)
	}
	// A newer finished run without an error is not failed; another target
	// has its own entry, unseen by the earlier copies.
	mid := s
	ok := notifyEv(8, 3, x, PhaseFinished, "", "")
	other := notifyEv(9, 3, "other-event", PhaseNotExecuted, "", "")
	other.Action.Mode = "drill"
	s.Apply(ok)
	s.Apply(other)
	if h := s.Hooks[x]; h.Failed() || h.ActionID != ok.ID {
		t.Errorf("newer successful run: %+v", h)
	}
	if h := s.Hooks["other-event"]; h.Phase != PhaseNotExecuted || h.Mode != "drill" || h.Failed() {
		t.Errorf("other target: %+v", h)
	}
	if len(mid.Hooks) != 1 || mid.Hooks[x].ActionID != finished.ID || len(before.Hooks) != 1 || before.Hooks[x].ActionID != started.ID {
		t.Errorf("earlier copies changed: %+v / %+v", mid.Hooks, before.Hooks)
	}
	// The same set in another order gives the same hooks.
	r := Fold([]Event{other, ok, shell, finished, notifyEv(4, 0.5, x, PhaseFinished, "", ""), started, decl})
	if !reflect.DeepEqual(r.Hooks, s.Hooks) {
		t.Errorf("order matters: %+v vs %+v", r.Hooks, s.Hooks)
	}
}

func TestEscalationEventConstructors(t *testing.T) {
	decl := ided(Declared("alice", "checkout 5xx", P1, t0), 1)

	ch := SeverityChange("bob", P1, P0, "  payments failing too ", mt(2))
	if ch.Severity == nil || ch.Severity.Reason != "payments failing too" || ch.Summary != "Severity P1 → P0: payments failing too" || ch.Actor != "bob" || !ch.Time.Equal(mt(2)) {
		t.Errorf("SeverityChange with a reason: %+v %+v", ch, ch.Severity)
	}
	if e := SeverityChange("bob", P1, P2, " ", mt(2)); e.Summary != "Severity P1 → P2" || e.Severity.Reason != "" {
		t.Errorf("SeverityChange with a blank reason: %q %+v", e.Summary, e.Severity)
	}

	ack := Acknowledged("carol", "bob", 1, "Secondary On-Call", mt(3))
	if ack.Kind != KindAck || ack.Actor != "carol" || ack.Summary != "Acknowledged by bob (Secondary On-Call)" || ack.Ack == nil ||
		*ack.Ack != (AckFields{Who: "bob", Level: 1, Role: "Secondary On-Call"}) || !ack.Time.Equal(mt(3)) {
		t.Errorf("Acknowledged: %+v %+v", ack, ack.Ack)
	}
	if e := Acknowledged("bob", "bob", 0, "", mt(3)); e.Summary != "Acknowledged by bob" {
		t.Errorf("Acknowledged without a role: %q", e.Summary)
	}

	triage, _ := ChecklistByName(ChecklistTriage)
	chk := Checked("dave", triage, 2, true, mt(4))
	if chk.Kind != KindChecklist || chk.Summary != "Checked triage item 3/6: Identify affected services/users" || chk.Checklist == nil ||
		*chk.Checklist != (ChecklistFields{List: "triage", Item: 2, Text: "Identify affected services/users", Checked: true}) {
		t.Errorf("Checked: %q %+v", chk.Summary, chk.Checklist)
	}
	unchk := Checked("erin", triage, 0, false, mt(5))
	if unchk.Summary != "Unchecked triage item 1/6: Confirm the incident is real (not false positive)" || unchk.Checklist.Checked {
		t.Errorf("Unchecked: %q %+v", unchk.Summary, unchk.Checklist)
	}
	if e := Checked("dave", triage, 99, true, mt(4)); e.Checklist.Text != "" || e.Checklist.Item != 99 {
		t.Errorf("Checked out of range: %+v", e.Checklist)
	}

	res := Resolution("alice", "  rolled back ", mt(10))
	reo := Reopening("bob", "flapping", mt(12))
	if res.Kind != KindResolved || res.Summary != "Resolved: rolled back" || reo.Kind != KindReopened || reo.Summary != "Reopened: flapping" {
		t.Errorf("Resolution/Reopening: %+v %+v", res, reo)
	}
	if Resolution("a", "", t0).Summary != "Resolved" || Reopening("a", " ", t0).Summary != "Reopened" {
		t.Error("Resolution/Reopening without a reason")
	}

	var s Session
	for _, ev := range []Event{decl, ided(ch, 2), ided(ack, 3), ided(chk, 4), ided(unchk, 5)} {
		s.Apply(ev)
	}
	if !s.Open() || s.Severity != P0 || len(s.Changes) != 1 || s.Changes[0].Reason != "payments failing too" || s.Changes[0].By != "bob" {
		t.Errorf("session after the change: open %v sev %v changes %+v", s.Open(), s.Severity, s.Changes)
	}
	if s.AckedBy != "bob" || !s.Acked.Equal(mt(3)) || len(s.Acks) != 1 || s.Acks[0].Who != "bob" || s.Acks[0].Level != 1 {
		t.Errorf("ack: by %q at %v acks %+v; want bob (not the actor carol)", s.AckedBy, s.Acked, s.Acks)
	}
	if st := DefaultPolicy().State(s, mt(6)); st.AckedBy != "bob" || st.Response != 3*time.Minute {
		t.Errorf("state ack: %q %v", st.AckedBy, st.Response)
	}
	list := s.Checklists[ChecklistTriage]
	if len(list) != 3 || !list[2].Checked || list[2].By != "dave" || !list[2].At.Equal(mt(4)) ||
		list[0].Checked || list[0].By != "erin" || !list[0].At.Equal(mt(5)) || list[1] != (Check{}) || s.Done(ChecklistTriage) != 1 {
		t.Errorf("triage: %+v done %d", list, s.Done(ChecklistTriage))
	}
	s.Apply(ided(res, 6))
	if s.Open() || !s.Resolved.Equal(mt(10)) {
		t.Errorf("after Resolution: open %v resolved %v", s.Open(), s.Resolved)
	}
	resolved := s
	s.Apply(ided(reo, 7))
	if !s.Open() || !s.Resolved.IsZero() || resolved.Open() {
		t.Errorf("after Reopening: open %v resolved %v (copy open %v)", s.Open(), s.Resolved, resolved.Open())
	}
}

// Restart through a real journal: what was recorded before the restart is
// not recorded again, and only what fell due since is.
func TestResumeAfterRestartThroughJournal(t *testing.T) {
	p := DefaultPolicy()
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, evs, _ := openT(t, path)
	if len(evs) != 0 {
		t.Fatalf("new journal has %d events", len(evs))
	}
	decl := appendT(t, j, Declared("alice", "checkout 5xx", P1, t0))
	due := p.Due(Fold([]Event{decl}), mt(6))
	if got := steps(due); got != "0@0s 1@5m0s" {
		t.Fatalf("Due at 6m: %s", got)
	}
	for _, ev := range due {
		appendT(t, j, ev)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// Restarted.
	j, evs, skipped := openT(t, path)
	if len(evs) != 3 || len(skipped) != 0 {
		t.Fatalf("reopened: %d events, skipped %v", len(evs), skipped)
	}
	s := Fold(evs)
	if s.ID != decl.ID || s.Level != 1 || len(s.Escalations) != 2 {
		t.Fatalf("reopened session: id %q level %d escalations %+v", s.ID, s.Level, s.Escalations)
	}
	if again := p.Due(s, mt(6)); len(again) != 0 {
		t.Errorf("Due at 6m after restart: %s", steps(again))
	}
	due = p.Due(s, mt(16))
	if got := steps(due); got != "2@15m0s" || due[0].ID != EscalationID(decl.ID, 2) {
		t.Fatalf("Due at 16m after restart: %s", got)
	}
	// Recorded twice (say, by two paths of one console): written once.
	for range 2 {
		appendT(t, j, due[0])
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	evs, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s = Fold(evs)
	if len(evs) != 4 || s.Level != 2 {
		t.Errorf("journal: %d events, level %d; want 4, 2", len(evs), s.Level)
	}
	if lv, ok := levelsOnce(s.Escalations); !ok || !slices.Equal(lv, []int{0, 1, 2}) {
		t.Errorf("escalation levels %v", lv)
	}
	if again := p.Due(s, mt(16)); len(again) != 0 {
		t.Errorf("Due at 16m after recording: %s", steps(again))
	}
}

// Two consoles, each with its own journal, record what is due at the same
// moment; the shared timeline folds both journals as one.
func TestTwoJournalFilesFoldedAsOne(t *testing.T) {
	p := DefaultPolicy()
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	ja, _, _ := openT(t, pathA)
	jb, _, _ := openT(t, pathB)
	decl := appendT(t, ja, Declared("alice", "checkout 5xx", P1, t0))
	appendT(t, jb, decl) // the declaration, as console B received it
	for _, j := range []*Journal{ja, jb} {
		evs, _, err := ReadFile(j.Path())
		if err != nil {
			t.Fatal(err)
		}
		due := p.Due(Fold(evs), mt(16))
		if got := steps(due); got != "0@0s 1@5m0s 2@15m0s" {
			t.Fatalf("%s: Due at 16m: %s", j.Path(), got)
		}
		for _, ev := range due {
			appendT(t, j, ev)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a, _, errA := ReadFile(pathA)
	b, _, errB := ReadFile(pathB)
	if errA != nil || errB != nil || len(a) != 4 || len(b) != 4 {
		t.Fatalf("journals: %d %v, %d %v", len(a), errA, len(b), errB)
	}
	// The two consoles wrote the same events, line for line.
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the consoles recorded different events:\n%+v\n%+v", a, b)
	}
	for _, union := range [][]Event{append(slices.Clone(a), b...), append(slices.Clone(b), a...)} {
		s := Fold(union)
		if lv, ok := levelsOnce(s.Escalations); !ok || !slices.Equal(lv, []int{0, 1, 2}) {
			t.Errorf("escalation levels %v, want 0 1 2 once each", lv)
		}
		if s.Count != 4 || s.Level != 2 {
			t.Errorf("union: count %d level %d", s.Count, s.Level)
		}
		if due := p.Due(s, mt(16)); len(due) != 0 {
			t.Errorf("Due on the union: %s", steps(due))
		}
		// Later, only what is new.
		if got := steps(p.Due(s, mt(31))); got != "3@30m0s breach P1@30m0s" {
			t.Errorf("Due on the union at 31m: %s", got)
		}
	}
}

// Resolved and reopened twice: both pauses are skipped, so a flapping
// incident open for 4 minutes in all pages nobody past the primary.
func TestEveryPauseIsSkipped(t *testing.T) {
	p := DefaultPolicy()
	decl := Declared("alice", "flaps", P2, t0)
	decl.ID = NewID(t0)
	evs := []Event{decl}
	for i, x := range []struct {
		kind Kind
		at   time.Duration
	}{{KindResolved, time.Minute}, {KindReopened, 60 * time.Minute}, {KindResolved, 61 * time.Minute}, {KindReopened, 62 * time.Minute}} {
		at := t0.Add(x.at)
		evs = append(evs, Event{ID: DerivedID(at, "pause", string(rune('a'+i))), Time: at, Actor: "alice", Kind: x.kind})
	}
	s := Fold(evs)
	if due := p.Due(s, t0.Add(64*time.Minute)); len(due) != 1 || due[0].Escalation == nil || due[0].Escalation.Level != 0 {
		t.Fatalf("at 64m (4m open): due %+v, want only the primary", due)
	}
	due := p.Due(s, t0.Add(66*time.Minute))
	if len(due) != 2 || due[1].Escalation == nil || due[1].Escalation.Level != 1 || !due[1].Time.Equal(t0.Add(65*time.Minute)) {
		t.Fatalf("at 66m: due %+v, want the secondary at 65m (5m open)", due)
	}
	st := p.State(s, t0.Add(66*time.Minute))
	if want := t0.Add(62*time.Minute + 2*time.Hour - 2*time.Minute); !st.ResponseDue.Equal(want) {
		t.Errorf("response due %v, want %v (2h of open time)", st.ResponseDue, want)
	}
	// Resolved a third time: nothing is due, the clock stops.
	at := t0.Add(67 * time.Minute)
	s.Apply(Event{ID: DerivedID(at, "pause", "e"), Time: at, Actor: "alice", Kind: KindResolved})
	if due := p.Due(s, t0.Add(3*time.Hour)); len(due) != 0 {
		t.Errorf("resolved: due %+v", due)
	}
	if st := p.State(s, t0.Add(3*time.Hour)); !st.Resolved || st.Stopped != StopResolved {
		t.Errorf("state %+v", st)
	}
}
