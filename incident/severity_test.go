package incident

import (
	"strings"
	"testing"
	"time"
)

func TestSeverityPlaybookTable(t *testing.T) {
	// Straight from the playbook's "Incident Severity Levels" table.
	want := []struct {
		code, name, desc, examples string
		resp                       time.Duration
	}{
		{"P0", "Critical", "Complete service outage", "Platform down, data breach", 15 * time.Minute},
		{"P1", "High", "Major feature unavailable", "Auth broken, payments failing", 30 * time.Minute},
		{"P2", "Medium", "Degraded performance", "Slow responses, partial outage", 2 * time.Hour},
		{"P3", "Low", "Minor issue", "UI bug, minor feature broken", 24 * time.Hour},
	}
	sevs := Severities()
	if len(sevs) != len(want) {
		t.Fatalf("Severities() = %v, want %d levels", sevs, len(want))
	}
	for i, w := range want {
		s := sevs[i]
		if s != Severity(i) || !s.Valid() {
			t.Errorf("Severities()[%d] = %v", i, s)
		}
		if s.String() != w.code || s.Name() != w.name || s.Description() != w.desc ||
			s.Examples() != w.examples || s.ResponseTime() != w.resp {
			t.Errorf("%d: got %q %q %q %q %v, want %q %q %q %q %v", i,
				s.String(), s.Name(), s.Description(), s.Examples(), s.ResponseTime(),
				w.code, w.name, w.desc, w.examples, w.resp)
		}
	}
}

func TestParseSeverityRoundTrip(t *testing.T) {
	for _, s := range Severities() {
		code := s.String()
		for _, in := range []string{code, strings.ToLower(code), code[1:], " " + code + " "} {
			got, err := ParseSeverity(in)
			if err != nil || got != s {
				t.Errorf("ParseSeverity(%q) = %v, %v; want %v", in, got, err, s)
			}
		}
	}
}

func TestParseSeverityInvalid(t *testing.T) {
	for _, in := range []string{"", "P4", "4", "-1", "P", "PP0", "P01", "critical", "p-1", "P0x"} {
		_, err := ParseSeverity(in)
		if err == nil {
			t.Errorf("ParseSeverity(%q): want error", in)
			continue
		}
		for _, v := range []string{"P0", "P1", "P2", "P3"} {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("ParseSeverity(%q) error %q does not name %s", in, err, v)
			}
		}
	}
}

func TestSeverityInvalidValue(t *testing.T) {
	for _, s := range []Severity{-1, 4} {
		if s.Valid() || s.Name() != "" || s.ResponseTime() != 0 || s.String() == "P4" {
			t.Errorf("%d: Valid=%v Name=%q Response=%v String=%q", int(s), s.Valid(), s.Name(), s.ResponseTime(), s)
		}
	}
}
