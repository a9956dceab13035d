package incident

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Vital is one vital sign of the incident as a pane measured it: bad
// pods, the 5xx ratio, connections used of the maximum, the longest
// query, firing alerts, failing health checks. Actions record them when
// they start, when they end and some minutes later (evidence), so the
// timeline and the report can say what an action did to the numbers —
// only measured values: an unknown one (the backend did not answer, or
// nothing measured it yet) has no Value and is shown as "unknown", never
// as zero.
type Vital struct {
	// Name is what is measured, shown as is: "5xx", "CrashLoopBackOff",
	// "bad pods", "connections", "longest query", "firing alerts",
	// "health checks failing". It identifies the vital across snapshots.
	Name string `json:"name"`
	// Source is the pane that measured it: "pods", "errorrate", "queries".
	Source string `json:"source,omitempty"`
	// Value is the measurement; nil when unknown.
	Value *float64 `json:"value,omitempty"`
	// Max, if set, is the limit Value is counted against (connections
	// 94/100, health checks failing 1/3).
	Max *float64 `json:"max,omitempty"`
	// Unit says how Value reads: UnitRatio (a fraction shown as a
	// percentage), UnitSeconds (a duration), or "" (a count).
	Unit string `json:"unit,omitempty"`
	// At is when the pane measured this value (zero when never). Panes
	// send their vitals again only when one changes, so a value that
	// stayed the same keeps the time it was first measured at: "since".
	At time.Time `json:"at,omitempty"`
	// Error says why it is unknown, if it is.
	Error string `json:"error,omitempty"`
}

// The vitals the panes measure, by name.
const (
	VitalBadPods      = "bad pods"              // pods: not Running/Succeeded, or not ready (count)
	VitalCrashLoop    = "CrashLoopBackOff"      // pods: in CrashLoopBackOff (count)
	Vital5xx          = "5xx"                   // errorrate: 5xx ratio (UnitRatio)
	VitalAlerts       = "firing alerts"         // errorrate: alerts firing (count)
	VitalHealth       = "health checks failing" // errorrate: failing checks, Max: checks (count)
	VitalConnections  = "connections"           // queries: in use, Max: max_connections (count)
	VitalLongestQuery = "longest query"         // queries: the longest running query (UnitSeconds)
)

// Vital units.
const (
	UnitCount   = ""
	UnitRatio   = "ratio"
	UnitSeconds = "s"
)

// Known reports whether the vital has a measured value.
func (v Vital) Known() bool {
	return v.Value != nil && !math.IsNaN(*v.Value) && !math.IsInf(*v.Value, 0)
}

// Measured returns a known vital.
func Measured(source, name string, value float64, unit string, at time.Time) Vital {
	return Vital{Source: source, Name: name, Value: &value, Unit: unit, At: at}
}

// Unknown returns a vital that could not be measured, and why.
func Unknown(source, name, unit, why string, at time.Time) Vital {
	return Vital{Source: source, Name: name, Unit: unit, At: at, Error: why}
}

// WithMax returns v counted against max.
func (v Vital) WithMax(max float64) Vital { v.Max = &max; return v }

// ValueString is the value as shown: "12.1%", "3", "94/100", "4m12s",
// or "unknown".
func (v Vital) ValueString() string {
	if !v.Known() {
		return "unknown"
	}
	s := formatValue(*v.Value, v.Unit)
	if v.Max != nil && !math.IsNaN(*v.Max) {
		s += "/" + formatValue(*v.Max, v.Unit)
	}
	return s
}

// String is "name value": "5xx 12.1%", "connections 94/100".
func (v Vital) String() string { return v.Name + " " + v.ValueString() }

func formatValue(x float64, unit string) string {
	switch unit {
	case UnitRatio:
		p := x * 100
		switch {
		case p == 0:
			return "0%"
		case math.Abs(p) < 0.1:
			return strconv.FormatFloat(p, 'f', 2, 64) + "%"
		}
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	case UnitSeconds:
		d := time.Duration(x * float64(time.Second))
		switch {
		case d < time.Second:
			return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
		case d < time.Minute:
			return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
		}
		return d.Round(time.Second).String()
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// same reports whether a and b show the same value.
func same(a, b Vital) bool { return a.ValueString() == b.ValueString() }

// CompareVitals says what changed between two snapshots, by name, in
// before's order then after's new names: "5xx 12.1% → 0.8%;
// CrashLoopBackOff 3 → 0". Vitals that show the same value in both are
// left out, and so are names that are unknown on both sides; a vital
// only one side has is shown against "unknown". Empty if nothing changed.
func CompareVitals(before, after []Vital) string {
	var parts []string
	done := map[string]bool{}
	find := func(list []Vital, name string) (Vital, bool) {
		for _, v := range list {
			if v.Name == name {
				return v, true
			}
		}
		return Vital{Name: name}, false
	}
	for _, list := range [][]Vital{before, after} {
		for _, v := range list {
			if done[v.Name] {
				continue
			}
			done[v.Name] = true
			b, _ := find(before, v.Name)
			a, _ := find(after, v.Name)
			if same(a, b) {
				continue
			}
			parts = append(parts, v.Name+" "+b.ValueString()+" → "+a.ValueString())
		}
	}
	return strings.Join(parts, "; ")
}

// EvidenceFields are the vital signs measured some time after an action
// ended: with the snapshots on its started and finished events they say
// what it did to the numbers.
type EvidenceFields struct {
	// Ref is the action's started event ID.
	Ref string `json:"ref"`
	// Title is the action's title.
	Title string `json:"title"`
	// AfterMS is how long after the action ended these were measured.
	AfterMS int64 `json:"after_ms"`
	// Outcome is how the action ended when it did not succeed: "failed"
	// or "cancelled" ("" when it succeeded).
	Outcome string `json:"outcome,omitempty"`
	// Before are the vitals when the action started (copied from its
	// started event, so the evidence reads alone).
	Before []Vital `json:"before,omitempty"`
	// Vitals are the vitals now.
	Vitals []Vital `json:"vitals"`
}

// Action outcomes an evidence event names.
const (
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
)

// Evidence records the vitals measured after the action started as
// startedID (title, with before its vitals then) ended at ended, how
// (outcome: "", OutcomeFailed or OutcomeCancelled).
func Evidence(actor, startedID, title, outcome string, before, now []Vital, ended, at time.Time) Event {
	after := at.Sub(ended)
	summary := title
	if outcome != "" {
		summary += " (it " + outcome + ")"
	}
	summary += " — "
	if c := CompareVitals(before, now); c != "" {
		summary += c + " after " + roughly(after)
	} else {
		summary += "no change in the vital signs after " + roughly(after)
	}
	return Event{
		ID: EvidenceID(startedID), Time: at, Actor: actor, Kind: KindEvidence, Summary: summary,
		Evidence: &EvidenceFields{Ref: startedID, Title: title, AfterMS: after.Milliseconds(), Outcome: outcome, Before: before, Vitals: now},
	}
}

// WantsEvidence reports whether an action gets an evidence event: one
// that ran (not a dry-run's or a drill's "would run"), not a
// notification, and either a pane's action — which changes the world by
// definition — or a runbook step marked destructive (a "check pod
// status" changes nothing to measure).
func WantsEvidence(f ActionFields) bool {
	return f.Executed && f.Kind != ActionNotify && (f.Step == "" || f.Destructive)
}

// Awaiting is an action whose evidence is not recorded yet.
type Awaiting struct {
	StartedID string
	Title     string
	Before    []Vital   // the vitals on its started event
	Ended     time.Time // its finished event's time; zero while it runs
	Outcome   string    // "", OutcomeFailed, OutcomeCancelled
}

// AwaitingEvidence are the actions of events that want evidence
// (WantsEvidence) and have none recorded, by their started event's ID,
// in whichever order the events come: one pass, for a console that
// starts and takes over what its last run left pending. Version 1
// events are left out (their steps are not told from pane actions).
func AwaitingEvidence(events []Event) map[string]Awaiting {
	out := map[string]Awaiting{}
	done := map[string]bool{}
	for _, ev := range events {
		if ev.Kind == KindEvidence && ev.Evidence != nil {
			done[ev.Evidence.Ref] = true
			continue
		}
		f := ev.Action
		if ev.Kind != KindAction || f == nil || ev.V == 1 || !WantsEvidence(*f) {
			continue
		}
		id := ev.ID
		if f.Phase == PhaseFinished {
			id = f.Ref
		}
		if id == "" {
			continue
		}
		a := out[id]
		a.StartedID = id
		switch f.Phase {
		case PhaseStarted:
			a.Title, a.Before = f.Title, f.Vitals
		case PhaseFinished:
			if a.Title == "" {
				a.Title = f.Title
			}
			a.Ended = ev.Time
			switch {
			case f.Cancelled:
				a.Outcome = OutcomeCancelled
			case f.Error != "":
				a.Outcome = OutcomeFailed
			}
		default:
			continue
		}
		out[id] = a
	}
	for id := range done {
		delete(out, id)
	}
	return out
}

// EvidenceID is the ID of the evidence event of the action started as
// startedID: derived, so it is recorded once whoever records it.
func EvidenceID(startedID string) string {
	t, _ := timeOfID(startedID)
	return DerivedID(t, startedID, "evidence")
}

// roughly is a duration for people: "4 min", "45 s", "1 h 5 min".
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + " min"
	}
	h := int(d / time.Hour)
	m := int((d % time.Hour).Round(time.Minute) / time.Minute)
	if m == 0 {
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
}

// Report sections a note may be marked for (NoteFields.Section): the
// report takes its summary, root cause, impact, resolution, lessons and
// action items from them instead of leaving a prompt.
const (
	SectionSummary    = "summary"
	SectionRootCause  = "root-cause"
	SectionImpact     = "impact"
	SectionResolution = "resolution"
	SectionLessons    = "lessons"
	SectionAction     = "action-item"
	SectionPrevention = "prevention"
)

// Sections returns every report section a note may be marked for.
func Sections() []string {
	return []string{SectionSummary, SectionRootCause, SectionImpact, SectionResolution, SectionLessons, SectionAction, SectionPrevention}
}

// NoteFields mark a note for a section of the report.
type NoteFields struct {
	Section string `json:"section,omitempty"`
}

// SectionNote is a note marked for a report section: the latest such
// note of a section is what the report says there (summary, root cause,
// impact, resolution, prevention); lessons and action items collect
// every one. text may have several lines: it is the Detail, and the
// Summary is its first line, for the timeline.
func SectionNote(actor, section, text string, at time.Time) Event {
	text = strings.TrimSpace(text)
	first, _, more := strings.Cut(text, "\n")
	summary := "Report " + SectionTitle(section) + ": " + strings.TrimSpace(first)
	if more {
		summary += " …"
	}
	ev := Event{Time: at, Actor: actor, Kind: KindNote, Summary: summary, Detail: text,
		Note: &NoteFields{Section: section}}
	return ev
}

// SectionTitle is a section's name as the report's heading says it
// ("Root cause"); an unknown section is named as it is.
func SectionTitle(section string) string {
	switch section {
	case SectionSummary:
		return "summary"
	case SectionRootCause:
		return "root cause"
	case SectionImpact:
		return "impact"
	case SectionResolution:
		return "resolution"
	case SectionLessons:
		return "lesson learned"
	case SectionAction:
		return "action item"
	case SectionPrevention:
		return "prevention"
	}
	return section
}

// SectionText is one note marked for a report section.
type SectionText struct {
	ID   string
	At   time.Time
	By   string
	Text string
}
