package errorrate

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
)

// What the pane publishes for the shell's action evidence
// (common.VitalsMsg): the 5xx ratio, the firing alerts and, when health
// checks are configured, how many fail. Each is taken from its feed's
// latest answer: a feed that failed (it keeps showing its last good data),
// has not answered yet or is not configured measured nothing, and its
// vital is unknown, with why. Sent only when a value (or why it is
// unknown) changes.

const source = "errorrate"

// ratioPanel is the index of the 5xx ratio among panels: the default
// query's panel, else the first ratio panel named for 5xx or errors; -1
// when there is none.
func ratioPanel(panels []Panel) int {
	for i, p := range panels {
		if p.Query == ErrorRatioQuery && p.Unit == "%" {
			return i
		}
	}
	for i, p := range panels {
		if is5xx(p) && p.Unit == "%" {
			return i
		}
	}
	return -1
}

// unmeasured says why a feed in state st measured nothing now ("" when its
// last answer is good).
func unmeasured(st probes.State) string {
	switch st.Status {
	case probes.OK:
		return ""
	case probes.NotConfigured:
		return "not configured"
	case probes.Connecting:
		return "not polled yet"
	}
	if why := probes.ErrorText(st.LastErr); why != "" {
		return why
	}
	return "failing"
}

// vitals are the pane's vital signs as its feeds last answered, at at.
func (m *Model) vitals(at time.Time) []incident.Vital {
	out := []incident.Vital{m.ratioVital(at), m.alertsVital(at)}
	if m.health.Configured() {
		out = append(out, m.healthVital(at))
	}
	return out
}

// ratioVital is the 5xx ratio's latest sample (the instant query), a
// fraction: unknown when its query failed, answered no sample (no
// requests: not 0%) or answered something that is not a ratio.
func (m *Model) ratioVital(at time.Time) incident.Vital {
	unknown := func(why string) incident.Vital {
		return incident.Unknown(source, incident.Vital5xx, incident.UnitRatio, why, at)
	}
	i := ratioPanel(m.cfg.Panels)
	if i < 0 {
		return unknown("not configured (no 5xx ratio panel)")
	}
	if why := unmeasured(m.now.State); why != "" {
		return unknown(why)
	}
	d := m.now.Data
	switch {
	case i < len(d.Errs) && d.Errs[i] != nil:
		return unknown(probes.ErrorText(d.Errs[i]))
	case i >= len(d.Has) || i >= len(d.Values) || !d.Has[i]:
		return unknown("no data")
	case !valid(d.Values[i]):
		return unknown(describe(d.Values[i]))
	}
	return incident.Measured(source, incident.Vital5xx, d.Values[i], incident.UnitRatio, at)
}

// alertsVital counts the alerts firing (not pending) in the latest answer.
func (m *Model) alertsVital(at time.Time) incident.Vital {
	if why := unmeasured(m.alerts.State); why != "" {
		return incident.Unknown(source, incident.VitalAlerts, incident.UnitCount, why, at)
	}
	n := 0
	for _, a := range m.alerts.Data {
		if a.State == "firing" {
			n++
		}
	}
	return incident.Measured(source, incident.VitalAlerts, float64(n), incident.UnitCount, at)
}

// healthVital counts the checks failing of those configured.
func (m *Model) healthVital(at time.Time) incident.Vital {
	if why := unmeasured(m.health.State); why != "" {
		return incident.Unknown(source, incident.VitalHealth, incident.UnitCount, why, at)
	}
	n := 0
	for _, r := range m.health.Data {
		if !r.OK {
			n++
		}
	}
	return incident.Measured(source, incident.VitalHealth, float64(n), incident.UnitCount, at).WithMax(float64(len(m.cfg.Health)))
}

// publishVitals sends the vitals if they differ from the last sent.
func (m *Model) publishVitals() tea.Cmd {
	return m.pub.Vitals(source, m.vitals(m.c.Now()))
}
