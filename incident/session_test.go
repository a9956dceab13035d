package incident

import (
	"testing"
	"time"
)

func TestFold(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	evs := []Event{
		Note("bot", "before anything", at(-1)),
		Declared("alice", "Checkout 5xx", P2, at(0)),
		{Time: at(3), Actor: "bob", Kind: KindAck, Summary: "acked"},
		SeverityChange("alice", P2, P0, at(4)),
		{Time: at(5), Actor: "bob", Kind: KindSeverity, Summary: "junk", Detail: "P9"}, // ignored
		Note("bob", "rolling back", at(6)),
		{Time: at(7), Actor: "carol", Kind: KindAck},
	}
	s := Fold(evs)
	if s.Title != "Checkout 5xx" || s.Severity != P0 || !s.Declared.Equal(at(0)) || s.DeclaredBy != "alice" {
		t.Errorf("declared/severity: %+v", s)
	}
	if !s.Acked.Equal(at(7)) || s.AckedBy != "carol" {
		t.Errorf("ack: %v %q, want the last ack", s.Acked, s.AckedBy)
	}
	if !s.Open() || !s.Resolved.IsZero() || len(s.Events) != len(evs) {
		t.Errorf("open: %+v", s)
	}
	if got := s.Elapsed(at(10)); got != 10*time.Minute {
		t.Errorf("Elapsed = %v", got)
	}

	evs = append(evs, Event{Time: at(42), Actor: "alice", Kind: KindResolved, Summary: "rolled back"})
	s = Fold(evs)
	if s.Open() || !s.Resolved.Equal(at(42)) {
		t.Errorf("resolved: %+v", s)
	}
	if got := s.Elapsed(at(100)); got != 42*time.Minute {
		t.Errorf("Elapsed after resolve = %v, want 42m", got)
	}

	// Re-declaring reopens and clears the old ack/resolution.
	s = Fold(append(evs, Declared("dave", "Checkout 5xx again", P1, at(60))))
	if !s.Open() || s.Title != "Checkout 5xx again" || s.Severity != P1 || !s.Acked.IsZero() || s.AckedBy != "" || s.DeclaredBy != "dave" {
		t.Errorf("re-declared: %+v", s)
	}
}

func TestFoldEmpty(t *testing.T) {
	s := Fold(nil)
	if s.Open() || s.Elapsed(t0) != 0 || s.Title != "" {
		t.Errorf("empty: %+v", s)
	}
	s = Fold([]Event{Note("a", "b", t0)})
	if s.Open() {
		t.Error("open without a declared event")
	}
	s = Fold([]Event{Declared("a", "x", P3, t0)})
	if s.Elapsed(t0.Add(-time.Minute)) != 0 {
		t.Error("negative elapsed")
	}
}

func TestEventConstructors(t *testing.T) {
	d := Declared("alice", "DB down", P1, t0)
	if d.Kind != KindDeclared || d.Summary != "DB down" || d.Detail != "P1" || d.Actor != "alice" || !d.Time.Equal(t0) {
		t.Errorf("Declared: %+v", d)
	}
	s := SeverityChange("bob", P1, P0, t0)
	if s.Kind != KindSeverity || s.Summary != "Severity P1 → P0" || s.Detail != "P0" {
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
	if len(kinds) != 11 || len(seen) != 11 || !seen[KindResolved] || !seen[KindStepFinished] {
		t.Errorf("Kinds() = %v", kinds)
	}
}
