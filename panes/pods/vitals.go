package pods

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
)

// What the pane publishes for the shell's action evidence
// (common.VitalsMsg): the bad pods and the crash-looping ones, counted
// over the watched namespaces' pods (the list's filter aside), sent only
// when a value (or why it is unknown) changes.

// vitals are the pane's vital signs in snapshot s, measured at at: bad
// pods are those the list counts as needing attention (kube.Pod.Healthy
// false: not Running with every container ready, nor Completed or
// Succeeded); crash-looping ones are those whose STATUS is
// CrashLoopBackOff (Init:CrashLoopBackOff included). A snapshot with an
// error (the list shows the caches as of the failure) or still listing
// (partial) measured nothing: both are unknown, and why.
func vitals(s kube.Snapshot, at time.Time) []incident.Vital {
	switch {
	case s.Err != nil:
		why := probes.ErrorText(s.Err)
		if why == "" {
			why = "watch failing"
		}
		return unknownVitals(why, at)
	case !s.Synced:
		return unknownVitals("still listing pods", at)
	}
	bad, crl := 0, 0
	for i := range s.Pods {
		p := &s.Pods[i]
		if !p.Healthy() {
			bad++
		}
		if strings.HasSuffix(p.Status, "CrashLoopBackOff") {
			crl++
		}
	}
	return []incident.Vital{
		incident.Measured(tag, incident.VitalBadPods, float64(bad), incident.UnitCount, at),
		incident.Measured(tag, incident.VitalCrashLoop, float64(crl), incident.UnitCount, at),
	}
}

// unknownVitals is every vital of the pane unknown, for why.
func unknownVitals(why string, at time.Time) []incident.Vital {
	return []incident.Vital{
		incident.Unknown(tag, incident.VitalBadPods, incident.UnitCount, why, at),
		incident.Unknown(tag, incident.VitalCrashLoop, incident.UnitCount, why, at),
	}
}

// publishVitals sends vs if they differ from the last sent.
func (m *Model) publishVitals(vs []incident.Vital) tea.Cmd {
	return m.pub.Vitals(tag, vs)
}
