// Package memjournal is a journal in memory, for tests: it records events
// as the real journal does (an ID given to an event without one, V set,
// an ID written once), can be made to fail, and counts every Append.
package memjournal

import (
	"sync"

	"github.com/warroom-dev/warroom/incident"
)

// Journal is an in-memory journal (a common.Recorder). The zero value is
// ready; it is safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	events  []incident.Event
	err     error
	appends int
}

// Append records ev, unless Fail set an error: then it returns ev and
// that error and records nothing. An event whose ID is already recorded
// is not recorded again (no error), as the real journal does.
func (j *Journal) Append(ev incident.Event) (incident.Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.appends++
	if j.err != nil {
		return ev, j.err
	}
	if ev.ID == "" {
		ev.ID = incident.NewID(ev.Time)
	}
	ev.V = incident.SchemaVersion
	for _, e := range j.events {
		if e.ID == ev.ID {
			return ev, nil
		}
	}
	j.events = append(j.events, ev)
	return ev, nil
}

// Fail makes every later Append fail with err (nil: succeed again).
func (j *Journal) Fail(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.err = err
}

// Events is every recorded event, in the order recorded.
func (j *Journal) Events() []incident.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]incident.Event(nil), j.events...)
}

// Of is every recorded event of kind, in the order recorded.
func (j *Journal) Of(kind incident.Kind) []incident.Event {
	var out []incident.Event
	for _, e := range j.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Appends is how many times Append was called, failures and duplicates
// included.
func (j *Journal) Appends() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appends
}
