package incident

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The shared timeline's batches: one write and one fsync for the batch,
// IDs the journal has (or the batch repeats) skipped, every event stored
// as Append stores it, and all of it there on resume.
func TestJournalAppendAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	have := appendT(t, j, Note("alice", "already here", time.Now()))
	var syncs int
	j.sync = func(f *os.File) error { syncs++; return f.Sync() }

	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.FixedZone("CET", 3600))
	in := []Event{
		{ID: have.ID, Time: at, Actor: "bob", Kind: KindNote, Summary: "a different body, the same ID"},
		{ID: "01a22083-0000-7000-8000-000000000001", Time: at, Actor: "bob", Kind: KindNote, Summary: "one \x1b[2Jcleared"},
		{ID: "01a22083-0000-7000-8000-000000000001", Time: at, Actor: "bob", Kind: KindNote, Summary: "twice in the batch"},
		{ID: "01a22083-0000-7000-8000-000000000002", Time: at.Add(time.Second), Actor: "carol", Kind: KindNote, Summary: "two"},
	}
	stored, err := j.AppendAll(in)
	if err != nil {
		t.Fatal(err)
	}
	if syncs != 1 {
		t.Errorf("%d fsyncs for one batch, want 1", syncs)
	}
	if len(stored) != 2 || stored[0].ID != in[1].ID || stored[1].ID != in[3].ID {
		t.Fatalf("stored %+v, want the two new IDs once each", stored)
	}
	if stored[0].Summary != "one cleared" || stored[0].Time.Location() != time.UTC || stored[0].V != SchemaVersion {
		t.Errorf("not stored as Append stores: %+v", stored[0])
	}
	if again, err := j.AppendAll(in); err != nil || len(again) != 0 || syncs != 1 {
		t.Errorf("the same batch again wrote %d event(s) (err %v, %d fsyncs): want none, no write", len(again), err, syncs)
	}
	j.Close()
	_, evs, skipped := openT(t, path)
	if len(evs) != 3 || len(skipped) != 0 {
		t.Fatalf("resumed %d events (%d skipped), want 3", len(evs), len(skipped))
	}
	if evs[0].Summary != "already here" {
		t.Errorf("the journal's own event was replaced: %q", evs[0].Summary)
	}
}

// The IDs that make an ack, a resolution and a reopening once per
// incident across consoles: the same for the same incident state, another
// for the next one.
func TestClaimIDsDerivedFromIncident(t *testing.T) {
	decl := Declared("alice", "x", P1, time.Now())
	decl.ID = NewID(decl.Time)
	s := Fold([]Event{decl})
	ack := s.ResponseAckID()
	if ack == "" || ack != Fold([]Event{decl}).ResponseAckID() {
		t.Fatalf("response ack ID %q not derived from the incident alone", ack)
	}
	s.Apply(Event{ID: ack, Time: time.Now(), Kind: KindAck, Actor: "bob"})
	if s.ResponseAckID() != "" {
		t.Errorf("a second ack would claim the response-time ack again")
	}
	r1 := s.ResolveID()
	s.Apply(Event{ID: r1, Time: time.Now(), Kind: KindResolved, Actor: "bob"})
	o1 := s.ReopenID()
	s.Apply(Event{ID: o1, Time: time.Now().Add(time.Second), Kind: KindReopened, Actor: "bob"})
	if r2 := s.ResolveID(); r2 == r1 || r2 == "" {
		t.Errorf("the second resolution reuses the first's ID")
	}
	if o2 := s.ReopenID(); o2 == o1 {
		t.Errorf("the second reopening reuses the first's ID")
	}
	other := decl
	other.ID = NewID(decl.Time.Add(time.Hour))
	if Fold([]Event{other}).ResolveID() == Fold([]Event{decl}).ResolveID() {
		t.Errorf("two incidents share a resolution ID")
	}
}
