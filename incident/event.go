package incident

import (
	"fmt"
	"time"
)

// Kind is the type of a journal event.
type Kind string

// Event kinds.
const (
	KindDeclared     Kind = "declared"
	KindSeverity     Kind = "severity"
	KindNote         Kind = "note"
	KindAck          Kind = "ack"
	KindEscalation   Kind = "escalation"
	KindStepStarted  Kind = "step-started"
	KindStepFinished Kind = "step-finished"
	KindAction       Kind = "action"
	KindAlert        Kind = "alert"
	KindProbe        Kind = "probe"
	KindResolved     Kind = "resolved"
)

// Kinds returns every event kind.
func Kinds() []Kind {
	return []Kind{
		KindDeclared, KindSeverity, KindNote, KindAck, KindEscalation,
		KindStepStarted, KindStepFinished, KindAction, KindAlert, KindProbe,
		KindResolved,
	}
}

// Event is one journal line:
// {"time":..., "actor":..., "kind":..., "summary":..., "detail":...}.
//
// Conventions: a declared event has Summary = title and Detail = severity
// code ("P1"); a severity event has Summary like "Severity P1 → P0" and
// Detail = the new code ("P0"); an ack event records acknowledgement; a
// resolved event marks the incident resolved.
type Event struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Kind    Kind      `json:"kind"`
	Summary string    `json:"summary"`
	Detail  string    `json:"detail,omitempty"`
}

// Declared is the event that opens an incident.
func Declared(actor, title string, sev Severity, at time.Time) Event {
	return Event{Time: at, Actor: actor, Kind: KindDeclared, Summary: title, Detail: sev.String()}
}

// SeverityChange records a severity change from → to.
func SeverityChange(actor string, from, to Severity, at time.Time) Event {
	return Event{
		Time: at, Actor: actor, Kind: KindSeverity,
		Summary: fmt.Sprintf("Severity %s → %s", from, to),
		Detail:  to.String(),
	}
}

// Note is a free-text note.
func Note(actor, text string, at time.Time) Event {
	return Event{Time: at, Actor: actor, Kind: KindNote, Summary: text}
}
