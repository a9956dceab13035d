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
	ev := Evidence("warroom", started, "Roll back deployment/api", before, now, ended, ended.Add(4*time.Minute))
	if ev.Kind != KindEvidence || ev.Evidence == nil || ev.Evidence.Ref != started || ev.Evidence.AfterMS != 240000 {
		t.Fatalf("evidence: %+v", ev)
	}
	if want := "Roll back deployment/api — 5xx 12.1% → 0.8% after 4 min"; ev.Summary != want {
		t.Errorf("summary %q, want %q", ev.Summary, want)
	}
	if ev.ID != EvidenceID(started) || EvidenceID(started) == EvidenceID(NewID(t0)) {
		t.Errorf("evidence IDs: %s %s", ev.ID, EvidenceID(started))
	}
	same := Evidence("warroom", started, "x", before, before, ended, ended.Add(5*time.Minute))
	if want := "x — no change in the vital signs after 5 min"; same.Summary != want {
		t.Errorf("no change: %q", same.Summary)
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
