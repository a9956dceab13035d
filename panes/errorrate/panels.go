package errorrate

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Panel is one graph the pane can show: a PromQL range query, its unit,
// and optionally a threshold with its direction.
type Panel struct {
	Name  string
	Query string
	// Unit is "%" (the values are ratios 0..1), "req/s" or "" (plain).
	Unit string
	// Threshold, if set, is drawn on the graph and watched: crossing it
	// goes on the timeline once, and so does the return.
	Threshold *float64
	// Below: the threshold is a floor (a success rate): under it is the
	// problem. Otherwise over it is.
	Below bool
}

// Breached reports whether v is on the wrong side of the threshold.
func (p Panel) Breached(v float64) bool {
	if p.Threshold == nil || math.IsNaN(v) {
		return false
	}
	if p.Below {
		return v < *p.Threshold
	}
	return v > *p.Threshold
}

// ThresholdText is "5%" or "0.95" as the unit reads.
func (p Panel) ThresholdText() string {
	if p.Threshold == nil {
		return ""
	}
	return format(*p.Threshold, p.Unit)
}

// Playbook thresholds: "error rate > 5%" (High Error Rate) and "agent
// execution success rate < 95%" (Agent Execution Failures).
const (
	ErrorRatioThreshold   = 0.05
	AgentSuccessThreshold = 0.95
)

// Default queries (the playbook's, over 5-minute rates).
const (
	ErrorRatioQuery   = `sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`
	RequestsQuery     = `sum by (class) (label_replace(rate(http_requests_total[5m]), "class", "${1}xx", "status", "([0-9]).."))`
	AgentSuccessQuery = `sum(rate(agent_runs_total{outcome="success"}[5m])) / sum(rate(agent_runs_total[5m]))`
	TopHandlersQuery  = `topk(10, sum by (handler) (rate(http_requests_total{status=~"5.."}[5m])))`
)

// DefaultPanels are the pane's graphs unless the config names others.
func DefaultPanels() []Panel {
	er, ag := ErrorRatioThreshold, AgentSuccessThreshold
	return []Panel{
		{Name: "5xx ratio", Query: ErrorRatioQuery, Unit: "%", Threshold: &er},
		{Name: "requests/s by status class", Query: RequestsQuery, Unit: "req/s"},
		{Name: "agent success rate", Query: AgentSuccessQuery, Unit: "%", Threshold: &ag, Below: true},
	}
}

// Ranges are the zoom levels (+/-).
var Ranges = []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// format renders v in unit: "11.40%", "420 req/s", "1.2k".
func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "no value"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	switch unit {
	case "%":
		if math.Abs(v) < 1e4 {
			return fmt.Sprintf("%.2f%%", v*100)
		}
		return fmt.Sprintf("%.3g (as a ratio)", v)
	case "req/s":
		return short(v) + " req/s"
	}
	return short(v)
}

func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trim(fmt.Sprintf("%.1f", v/1e9)) + "G"
	case a >= 1e6:
		return trim(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case a >= 1e4:
		return trim(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return trim(fmt.Sprintf("%.2f", v))
	case a == 0:
		return "0"
	}
	return trim(fmt.Sprintf("%.3g", v))
}

// trim drops a fraction's trailing zeros: "12.50" → "12.5", "3.00" → "3".
func trim(s string) string {
	if !containsDot(s) {
		return s
	}
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}
