package incident

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Upgrade gives an event read from line number line (1-based; raw is the
// line's bytes) of a journal what a version 2 reader expects:
//
//   - A version 1 event (V == 0) gets V = 1 and the typed fields its kind's
//     conventions imply (see upgradeFields).
//   - An event without an ID gets DerivedID(Time, "v1", line, raw) (or
//     "v<N>" for other versions), so re-reading the file gives the same IDs.
//
// Events of version 2 and later are otherwise returned unchanged.
func Upgrade(ev Event, line int, raw []byte) Event {
	v := ev.V
	if v == 0 {
		v = 1
		ev = upgradeFields(ev)
		ev.V = 1
	}
	if ev.ID == "" {
		ev.ID = DerivedID(ev.Time, "v"+strconv.Itoa(v), strconv.Itoa(line), string(raw))
	}
	return ev
}

var (
	// "Severity P1 → P0", as SeverityChange wrote it in version 1.
	v1Severity = regexp.MustCompile(`^Severity (\S+) → (\S+)$`)
	// "postgres lost: dial tcp: refused", "postgres recovered after 30s".
	v1ProbeLost      = regexp.MustCompile(`^(\S+) lost(?:: (.*))?$`)
	v1ProbeRecovered = regexp.MustCompile(`^(\S+) recovered after (\S+)$`)
)

// upgradeFields fills the typed fields of a version 1 event from its
// summary and detail. Typed fields already set are kept; kinds with free
// text only (note, action, alert, escalation) get none.
func upgradeFields(ev Event) Event {
	switch ev.Kind {
	case KindDeclared:
		if ev.Severity == nil {
			ev.Severity = &SeverityFields{To: severityCode(ev.Detail)}
		}
	case KindSeverity:
		if ev.Severity == nil {
			f := SeverityFields{To: severityCode(ev.Detail)}
			if m := v1Severity.FindStringSubmatch(ev.Summary); m != nil {
				f.From = severityCode(m[1])
				if f.To == "" {
					f.To = severityCode(m[2])
				}
			}
			ev.Severity = &f
		}
	case KindAck:
		if ev.Ack == nil {
			ev.Ack = &AckFields{Who: ev.Actor}
		}
	case KindProbe:
		if ev.Probe != nil {
			break
		}
		if m := v1ProbeLost.FindStringSubmatch(ev.Summary); m != nil {
			ev.Probe = &ProbeFields{Backend: m[1], State: ProbeLost, Error: m[2]}
		} else if m := v1ProbeRecovered.FindStringSubmatch(ev.Summary); m != nil {
			ev.Probe = &ProbeFields{Backend: m[1], State: ProbeRecovered}
			if d, err := time.ParseDuration(m[2]); err == nil {
				ev.Probe.DownForMS = d.Milliseconds()
			}
		}
	case KindStepStarted, KindStepFinished:
		if ev.Action == nil {
			phase := PhaseStarted
			if ev.Kind == KindStepFinished {
				phase = PhaseFinished
			}
			ev.Action = &ActionFields{Phase: phase, Title: ev.Summary, Kind: ActionShell, Executed: true}
		}
	}
	return ev
}

// severityCode normalizes a severity code ("p1 " → "P1"); text that is not
// a severity is kept as it is (trimmed), so the reader sees it is unknown.
func severityCode(s string) string {
	if sev, err := ParseSeverity(s); err == nil {
		return sev.String()
	}
	return strings.TrimSpace(s)
}
