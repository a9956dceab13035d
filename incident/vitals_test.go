package incident

import (
	"math"
	"testing"
	"time"
)

func TestVitalValueString(t *testing.T) {
	for _, c := range []struct {
		v    Vital
		want string
	}{
		{Measured("errorrate", Vital5xx, 0.121, UnitRatio, t0), "5xx 12.1%"},
		{Measured("errorrate", Vital5xx, 0.0004, UnitRatio, t0), "5xx 0.04%"},
		{Measured("errorrate", Vital5xx, 0, UnitRatio, t0), "5xx 0%"},
		{Measured("pods", VitalCrashLoop, 3, UnitCount, t0), "CrashLoopBackOff 3"},
		{Measured("queries", VitalConnections, 94, UnitCount, t0).WithMax(100), "connections 94/100"},
		{Measured("queries", VitalLongestQuery, 252, UnitSeconds, t0), "longest query 4m12s"},
		{Measured("queries", VitalLongestQuery, 0.25, UnitSeconds, t0), "longest query 250ms"},
		{Measured("queries", VitalLongestQuery, 12.34, UnitSeconds, t0), "longest query 12.3s"},
		{Unknown("errorrate", Vital5xx, UnitRatio, "connection refused", t0), "5xx unknown"},
		{Measured("errorrate", Vital5xx, math.NaN(), UnitRatio, t0), "5xx unknown"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}

func TestCompareVitals(t *testing.T) {
	before := []Vital{
		Measured("errorrate", Vital5xx, 0.121, UnitRatio, t0),
		Measured("pods", VitalCrashLoop, 3, UnitCount, t0),
		Measured("queries", VitalConnections, 50, UnitCount, t0).WithMax(100),
		Unknown("queries", VitalLongestQuery, UnitSeconds, "down", t0),
	}
	after := []Vital{
		Measured("errorrate", Vital5xx, 0.008, UnitRatio, t0),
		Measured("pods", VitalCrashLoop, 0, UnitCount, t0),
		Measured("queries", VitalConnections, 50, UnitCount, t0).WithMax(100),
		Unknown("queries", VitalLongestQuery, UnitSeconds, "still down", t0),
		Measured("errorrate", VitalAlerts, 1, UnitCount, t0),
	}
	want := "5xx 12.1% → 0.8%; CrashLoopBackOff 3 → 0; firing alerts unknown → 1"
	if got := CompareVitals(before, after); got != want {
		t.Errorf("CompareVitals = %q, want %q", got, want)
	}
	if got := CompareVitals(before, before); got != "" {
		t.Errorf("no change: %q", got)
	}
	// A backend lost between the two: unknown, not zero.
	lost := []Vital{Unknown("errorrate", Vital5xx, UnitRatio, "refused", t0)}
	if got := CompareVitals(before[:1], lost); got != "5xx 12.1% → unknown" {
		t.Errorf("lost: %q", got)
	}
}

func TestEvidenceEvent(t *testing.T) {
	started := NewID(t0)
	before := []Vital{Measured("errorrate", Vital5xx, 0.121, UnitRatio, t0)}
	now := []Vital{Measured("errorrate", Vital5xx, 0.008, UnitRatio, t0)}
	ended := t0.Add(10 * time.Second)
	ev := Evidence("warroom", started, "Roll back deployment/api", "", before, now, ended, ended.Add(4*time.Minute))
	if ev.Kind != KindEvidence || ev.Evidence == nil || ev.Evidence.Ref != started || ev.Evidence.AfterMS != 240000 {
		t.Fatalf("evidence: %+v", ev)
	}
	if want := "Roll back deployment/api — 5xx 12.1% → 0.8% after 4 min"; ev.Summary != want {
		t.Errorf("summary %q, want %q", ev.Summary, want)
	}
	if ev.ID != EvidenceID(started) || EvidenceID(started) == EvidenceID(NewID(t0)) {
		t.Errorf("evidence IDs: %s %s", ev.ID, EvidenceID(started))
	}
	same := Evidence("warroom", started, "x", "", before, before, ended, ended.Add(5*time.Minute))
	if want := "x — no change in the vital signs after 5 min"; same.Summary != want {
		t.Errorf("no change: %q", same.Summary)
	}
	failed := Evidence("warroom", started, "Roll back deployment/api", OutcomeFailed, before, now, ended, ended.Add(5*time.Minute))
	if want := "Roll back deployment/api (it failed) — 5xx 12.1% → 0.8% after 5 min"; failed.Summary != want || failed.Evidence.Outcome != OutcomeFailed {
		t.Errorf("failed: %q", failed.Summary)
	}
}

func TestSectionNotesFold(t *testing.T) {
	a := SectionNote("alice", SectionSummary, "first\nsecond line", t0)
	a.ID = NewID(t0)
	b := SectionNote("bob", SectionSummary, "newer", t0.Add(time.Minute))
	b.ID = NewID(t0.Add(time.Minute))
	if a.Summary != "Report summary: first …" || a.Detail != "first\nsecond line" {
		t.Errorf("note: %q %q", a.Summary, a.Detail)
	}
	s := Fold([]Event{b, a, b})
	if got := s.Section(SectionSummary); got != "newer" {
		t.Errorf("Section = %q", got)
	}
	if n := len(s.Sections[SectionSummary]); n != 2 {
		t.Errorf("%d summary notes, want 2", n)
	}
	if s.Section(SectionRootCause) != "" {
		t.Error("root cause set")
	}
	// Copies don't see later notes.
	c := s
	c.Apply(func() Event { e := SectionNote("c", SectionRootCause, "disk", t0); e.ID = NewID(t0); return e }())
	if s.Section(SectionRootCause) != "" || c.Section(SectionRootCause) != "disk" {
		t.Error("copy shares Sections")
	}
}

// The session keeps the actions waiting for evidence: those that want it,
// until theirs is recorded, whatever the order the events come in.
func TestSessionAwaitsEvidence(t *testing.T) {
	before := []Vital{Measured("errorrate", Vital5xx, 0.121, UnitRatio, t0)}
	start := func(id string, f ActionFields) Event {
		f.Phase, f.Executed = PhaseStarted, true
		return Event{ID: id, Time: t0, Kind: KindAction, Action: &f}
	}
	finish := func(ref string, f ActionFields, at time.Time) Event {
		f.Phase, f.Ref, f.Executed = PhaseFinished, ref, true
		return Event{ID: NewID(at), Time: at, Kind: KindAction, Action: &f}
	}
	undo := ActionFields{Title: "Roll back deployment/api", Kind: ActionKube, Destructive: true, Vitals: before}
	check := ActionFields{Title: "Check pods", Kind: ActionShell, Step: "API Service Down › Check pods"}
	page := ActionFields{Title: "Page", Kind: ActionNotify}
	failed := undo
	failed.Error = "forbidden"
	a, b, c, d := NewID(t0), NewID(t0), NewID(t0), NewID(t0)
	end := t0.Add(10 * time.Second)
	evs := []Event{
		finish(a, undo, end), start(a, undo), // out of order
		start(b, check), finish(b, check, end),
		start(c, page), finish(c, page, end),
		start(d, undo), finish(d, failed, end),
	}
	w := AwaitingEvidence(evs)
	if len(w) != 2 {
		t.Fatalf("awaiting %+v, want the undo and the failed undo", w)
	}
	if w := w[a]; w.Title != undo.Title || !w.Ended.Equal(end) || len(w.Before) != 1 || w.Outcome != "" {
		t.Errorf("awaiting %+v", w)
	}
	if w := w[d]; w.Outcome != OutcomeFailed {
		t.Errorf("the failed undo: %+v", w)
	}
	// Its evidence ends the wait, before or after the action's events.
	ev := Evidence("warroom", a, undo.Title, "", before, before, end, end.Add(5*time.Minute))
	for _, list := range [][]Event{append([]Event{ev}, evs...), append(append([]Event(nil), evs...), ev)} {
		if w := AwaitingEvidence(list); len(w) != 1 || w[a].StartedID != "" {
			t.Errorf("after its evidence: %+v", w)
		}
	}
	// Version 1 steps are not told from pane actions: left out.
	old := evs[0]
	old.V = 1
	if w := AwaitingEvidence([]Event{old}); len(w) != 0 {
		t.Errorf("a v1 action awaits: %+v", w)
	}
}
