package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Severity is an incident severity level, P0 (most severe) to P3.
type Severity int

// Severity levels from the incident-response playbook.
const (
	P0 Severity = iota
	P1
	P2
	P3
)

// SeverityUnknown stands for a severity that was recorded but did not
// parse. It is not Valid; it prints as "P?".
const SeverityUnknown Severity = -1

type severityInfo struct {
	name, description, examples string
	response                    time.Duration
}

// severityTable is the playbook's "Incident Severity Levels" table.
var severityTable = [...]severityInfo{
	P0: {"Critical", "Complete service outage", "Platform down, data breach", 15 * time.Minute},
	P1: {"High", "Major feature unavailable", "Auth broken, payments failing", 30 * time.Minute},
	P2: {"Medium", "Degraded performance", "Slow responses, partial outage", 2 * time.Hour},
	P3: {"Low", "Minor issue", "UI bug, minor feature broken", 24 * time.Hour},
}

// Severities returns all severities, most severe first.
func Severities() []Severity { return []Severity{P0, P1, P2, P3} }

// ParseSeverity accepts "P0", "p0" or "0" (surrounding spaces ignored).
func ParseSeverity(s string) (Severity, error) {
	t := strings.TrimSpace(s)
	if len(t) == 2 && (t[0] == 'P' || t[0] == 'p') {
		t = t[1:]
	}
	if len(t) == 1 {
		if n, err := strconv.Atoi(t); err == nil && Severity(n).Valid() {
			return Severity(n), nil
		}
	}
	return 0, fmt.Errorf("invalid severity %q: valid values are P0, P1, P2, P3 (or 0-3)", s)
}

// Valid reports whether s is one of P0..P3.
func (s Severity) Valid() bool { return s >= P0 && s <= P3 }

// String returns the code, e.g. "P0" ("P?" for SeverityUnknown).
func (s Severity) String() string {
	if s == SeverityUnknown {
		return "P?"
	}
	if !s.Valid() {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return "P" + strconv.Itoa(int(s))
}

// Name returns the playbook name: "Critical", "High", "Medium", "Low".
func (s Severity) Name() string {
	if !s.Valid() {
		return ""
	}
	return severityTable[s].name
}

// Description returns the playbook description, e.g. "Complete service outage".
func (s Severity) Description() string {
	if !s.Valid() {
		return ""
	}
	return severityTable[s].description
}

// ResponseTime returns the playbook response time (15m, 30m, 2h, 24h).
// It is 0 for an invalid severity.
func (s Severity) ResponseTime() time.Duration {
	if !s.Valid() {
		return 0
	}
	return severityTable[s].response
}

// Examples returns the playbook examples, e.g. "Platform down, data breach".
func (s Severity) Examples() string {
	if !s.Valid() {
		return ""
	}
	return severityTable[s].examples
}
