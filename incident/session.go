package incident

import "time"

// Session is the incident folded from its journal events, so it survives
// restarts.
type Session struct {
	Title      string
	Severity   Severity
	Declared   time.Time
	DeclaredBy string
	Acked      time.Time
	AckedBy    string
	Resolved   time.Time
	Events     []Event
}

// Fold replays events in order. The last declared/severity/ack/resolved
// event wins. A declared event starts the incident afresh (title, severity,
// declaration; any earlier ack and resolution are cleared), so re-declaring
// in the same journal reopens it. Severity codes that do not parse are
// ignored. Events holds every event, in order.
func Fold(events []Event) Session {
	var s Session
	s.Events = append([]Event(nil), events...)
	for _, ev := range events {
		switch ev.Kind {
		case KindDeclared:
			s.Title = ev.Summary
			s.Declared = ev.Time
			s.DeclaredBy = ev.Actor
			if sev, err := ParseSeverity(ev.Detail); err == nil {
				s.Severity = sev
			}
			s.Acked, s.AckedBy, s.Resolved = time.Time{}, "", time.Time{}
		case KindSeverity:
			if sev, err := ParseSeverity(ev.Detail); err == nil {
				s.Severity = sev
			}
		case KindAck:
			s.Acked = ev.Time
			s.AckedBy = ev.Actor
		case KindResolved:
			s.Resolved = ev.Time
		}
	}
	return s
}

// Open reports whether the incident has been declared and not resolved.
func (s Session) Open() bool { return !s.Declared.IsZero() && s.Resolved.IsZero() }

// Elapsed is the time since declaration, stopping at resolution. It is 0
// before declaration and never negative.
func (s Session) Elapsed(now time.Time) time.Duration {
	if s.Declared.IsZero() {
		return 0
	}
	end := now
	if !s.Resolved.IsZero() {
		end = s.Resolved
	}
	if d := end.Sub(s.Declared); d > 0 {
		return d
	}
	return 0
}
