package errorrate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
)

// What the pane publishes for the runbook sidebar (common.SignalsMsg):
// the 5xx ratio above its threshold, another threshold panel on the wrong
// side of its line, and Prometheus' firing alerts. Each is computed from
// a good answer of its feed; a failed poll keeps what the last good one
// said (the facts as last known). The account is sent only when it
// differs from the last sent.

// is5xx reports whether p is the 5xx ratio: the default panel's query,
// or a configured ceiling panel named for 5xx or errors.
func is5xx(p Panel) bool {
	if p.Threshold == nil || p.Below {
		return false
	}
	name := strings.ToLower(p.Name)
	return p.Query == ErrorRatioQuery || strings.Contains(name, "5xx") || strings.Contains(name, "error")
}

// figure is a value as a signal says it: "12.3%"; the threshold trimmed:
// "5%", "95%".
func figure(v float64, unit string, trimmed bool) string {
	if unit != "%" {
		return format(v, unit)
	}
	s := fmt.Sprintf("%.1f", v*100)
	if trimmed {
		s = trim(s)
	}
	return s + "%"
}

// thresholdSignals is each threshold panel's signal from d (nil where it
// is fine), by panel; a panel whose query failed keeps prev's.
func (m *Model) thresholdSignals(d nowData, prev []*runbooks.Signal) []*runbooks.Signal {
	out := make([]*runbooks.Signal, len(m.cfg.Panels))
	for i, p := range m.cfg.Panels {
		if p.Threshold == nil {
			continue
		}
		if i < len(d.Errs) && d.Errs[i] != nil {
			if i < len(prev) {
				out[i] = prev[i]
			}
			continue
		}
		if i >= len(d.Has) || !d.Has[i] {
			continue // answered, no sample: nothing is burning there
		}
		v := d.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) || (p.Unit == "%" && !valid(v)) || !p.Breached(v) {
			continue
		}
		thr := figure(*p.Threshold, p.Unit, true)
		// Weight: how far past the line, 100 at twice (or, for a floor,
		// at nothing) the threshold.
		thrV := *p.Threshold
		w := runbooks.Severity(v, thrV, 2*thrV)
		if p.Below {
			w = runbooks.Severity(-v, -thrV, 0)
		}
		if is5xx(p) {
			out[i] = &runbooks.Signal{Kind: runbooks.SignalHTTP5xx, Weight: w,
				Text: fmt.Sprintf("5xx at %s (threshold %s)", figure(v, p.Unit, false), thr)}
			continue
		}
		// Another watched threshold (the agent success rate under 95%):
		// the pane records its crossing as an alert, and says it as one.
		name := sanitize.Line(p.Name)
		out[i] = &runbooks.Signal{Kind: runbooks.SignalAlert, Weight: w, Terms: []string{name},
			Text: fmt.Sprintf("%s at %s (threshold %s)", name, figure(v, p.Unit, false), thr)}
	}
	return out
}

// alertSignals is one SignalAlert per firing alert name, by name
// ("alert HighErrorRate firing", "… firing ×2" for two label sets).
func alertSignals(alerts []prom.Alert) []runbooks.Signal {
	var names []string
	count := map[string]int{}
	for _, a := range alerts {
		if a.State != "firing" {
			continue
		}
		name := sanitize.Line(a.Name)
		if name == "" {
			continue
		}
		if count[name] == 0 {
			names = append(names, name)
		}
		count[name]++
	}
	slices.Sort(names)
	out := make([]runbooks.Signal, 0, len(names))
	for _, n := range names {
		text := "alert " + n + " firing"
		if c := count[n]; c > 1 {
			text += fmt.Sprintf(" ×%d", c)
		}
		out = append(out, runbooks.Signal{Kind: runbooks.SignalAlert, Text: text, Terms: []string{n}, Weight: runbooks.AlertWeight})
	}
	return out
}

// publishSignals sends the pane's account (thresholds in panel order,
// then alerts by name) if it differs from the last sent.
func (m *Model) publishSignals() tea.Cmd {
	var sig []runbooks.Signal
	for _, s := range m.sigThresholds {
		if s != nil {
			sig = append(sig, *s)
		}
	}
	sig = append(sig, m.sigAlerts...)
	return m.pub.Signals("errorrate", sig)
}
