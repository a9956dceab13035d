package memjournal

import (
	"errors"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
)

func TestJournal(t *testing.T) {
	var j Journal
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	ev, err := j.Append(incident.Note("alice", "one", at))
	if err != nil || ev.ID == "" || ev.V != incident.SchemaVersion {
		t.Fatalf("Append = %+v, %v: want an ID and the schema version", ev, err)
	}
	if _, err := j.Append(ev); err != nil {
		t.Fatal(err)
	}
	j.Fail(errors.New("disk full"))
	if _, err := j.Append(incident.Note("alice", "two", at)); err == nil {
		t.Fatal("Append succeeded while failing")
	}
	j.Fail(nil)
	if _, err := j.Append(incident.Declared("alice", "t", incident.P1, at)); err != nil {
		t.Fatal(err)
	}
	if n := len(j.Events()); n != 2 {
		t.Errorf("%d events, want 2 (a duplicate ID and a failed append are not recorded)", n)
	}
	if n := len(j.Of(incident.KindNote)); n != 1 {
		t.Errorf("%d notes, want 1", n)
	}
	if j.Appends() != 4 {
		t.Errorf("Appends = %d, want 4", j.Appends())
	}
}
