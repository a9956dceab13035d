package incident

import (
	"fmt"
	"strings"
	"time"
)

// Kind is the type of a journal event.
type Kind string

// Event kinds.
const (
	KindDeclared   Kind = "declared"
	KindSeverity   Kind = "severity"
	KindNote       Kind = "note"
	KindAck        Kind = "ack"
	KindEscalation Kind = "escalation"
	// KindStepStarted and KindStepFinished are v1 kinds, still read; the
	// action path records runbook steps as KindAction with Action.Step set.
	KindStepStarted  Kind = "step-started"
	KindStepFinished Kind = "step-finished"
	KindAction       Kind = "action"
	KindAlert        Kind = "alert"
	KindProbe        Kind = "probe"
	KindChecklist    Kind = "checklist"
	KindResolved     Kind = "resolved"
	KindReopened     Kind = "reopened"
	// KindEvidence: the vital signs some minutes after an action ended.
	KindEvidence Kind = "evidence"
)

// Kinds returns every event kind.
func Kinds() []Kind {
	return []Kind{
		KindDeclared, KindSeverity, KindNote, KindAck, KindEscalation,
		KindStepStarted, KindStepFinished, KindAction, KindAlert, KindProbe,
		KindChecklist, KindResolved, KindReopened, KindEvidence,
	}
}

// SchemaVersion is the version of the event schema this build writes.
// Version 1 (no "v" field) is {time, actor, kind, summary, detail}; it is
// still read, and upgraded on read (see Upgrade).
const SchemaVersion = 2

// Event is one journal line. Summary is the one-line text shown on the
// timeline; the typed field matching Kind carries the facts. Readers use
// the typed fields, never parse Summary or Detail. See docs/events.md.
//
// Every string in an Event is cleaned (terminal controls stripped, secrets
// redacted) when it is written and again when it is read, by reflection
// (see clean): a string tagged `clean:"text"` keeps its newlines, every
// other one is folded to one line. A new field needs nothing more than
// that tag if it is multi-line.
type Event struct {
	V       int       `json:"v,omitempty"`  // schema version; 0 means 1
	ID      string    `json:"id,omitempty"` // unique, time-sortable (see NewID)
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Kind    Kind      `json:"kind"`
	Summary string    `json:"summary"`
	Detail  string    `json:"detail,omitempty" clean:"text"` // multi-line
	// Host is the OS user and host of the console where a person
	// recorded the event ("alice@laptop"), set when the timeline is
	// shared: the actor is a label anyone can type, this says where it
	// was typed. Empty for events the console itself observed.
	Host string `json:"host,omitempty"`

	// At most one of these is set, the one that fits Kind.
	Severity   *SeverityFields   `json:"severity,omitempty"`   // declared, severity
	Action     *ActionFields     `json:"action,omitempty"`     // action (and v1 step-*)
	Ack        *AckFields        `json:"ack,omitempty"`        // ack
	Escalation *EscalationFields `json:"escalation,omitempty"` // escalation
	Probe      *ProbeFields      `json:"probe,omitempty"`      // probe
	Alert      *AlertFields      `json:"alert,omitempty"`      // alert
	Checklist  *ChecklistFields  `json:"checklist,omitempty"`  // checklist
	Evidence   *EvidenceFields   `json:"evidence,omitempty"`   // evidence
	Note       *NoteFields       `json:"note,omitempty"`       // note (marked for a report section)
}

// SeverityFields: a declaration (From empty) or a severity change.
type SeverityFields struct {
	From   string `json:"from,omitempty"` // "P1"; empty on declaration
	To     string `json:"to"`             // "P0"
	Reason string `json:"reason,omitempty"`
}

// Action phases.
const (
	PhaseStarted     = "started"      // Run was called
	PhaseFinished    = "finished"     // Run returned (see Error, ExitCode)
	PhaseNotExecuted = "not-executed" // dry-run or drill: shown as "would run"
)

// Action kinds (what an action touches).
const (
	ActionKube   = "kube"
	ActionSQL    = "sql"
	ActionShell  = "shell"
	ActionAWS    = "aws"
	ActionNotify = "notify"
	ActionPromQL = "promql"
)

// ActionFields are the facts of one action (or runbook step) event. A
// started event and its finished event share Ref: the finished one's Ref is
// the started one's ID.
type ActionFields struct {
	Phase       string   `json:"phase"`
	Ref         string   `json:"ref,omitempty"` // finished: the started event's ID
	Title       string   `json:"title"`
	Kind        string   `json:"kind"`         // kube, sql, shell, aws, notify, promql
	Op          string   `json:"op,omitempty"` // machine name, e.g. "kube.rollout-undo"
	Lines       []string `json:"lines,omitempty"`
	Target      string   `json:"target,omitempty"`
	Destructive bool     `json:"destructive,omitempty"`
	Executed    bool     `json:"executed"`
	Mode        string   `json:"mode,omitempty"` // "", "drill", "dry-run"
	Step        string   `json:"step,omitempty"` // "Runbook › step" for runbook steps
	// Outcome (finished only).
	ExitCode   *int   `json:"exit_code,omitempty"`
	Error      string `json:"error,omitempty" clean:"text"`
	Cancelled  bool   `json:"cancelled,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	Output     string `json:"output,omitempty" clean:"text"` // redacted excerpt: first and last lines
	// Vitals are the incident's vital signs when this event was recorded:
	// on a started event before the action, on a finished one after it.
	Vitals []Vital `json:"vitals,omitempty"`
}

// AckFields: who acknowledged, at which rung of the ladder.
type AckFields struct {
	Who   string `json:"who"`
	Level int    `json:"level"` // index into the ladder
	Role  string `json:"role,omitempty"`
}

// EscalationFields: the ladder stepped to Level.
type EscalationFields struct {
	Level int    `json:"level"`
	Role  string `json:"role"`
	Who   string `json:"who,omitempty"`
}

// ProbeFields: a backend lost or recovered.
type ProbeFields struct {
	Backend   string `json:"backend"`
	State     string `json:"state"` // "lost" or "recovered"
	Error     string `json:"error,omitempty" clean:"text"`
	DownForMS int64  `json:"down_for_ms,omitempty"`
}

// Probe states.
const (
	ProbeLost      = "lost"
	ProbeRecovered = "recovered"
)

// AlertFields: an alert changed state.
type AlertFields struct {
	Name   string            `json:"name"`
	State  string            `json:"state"` // firing, pending, resolved
	Labels map[string]string `json:"labels,omitempty"`
}

// ChecklistFields: one checklist item checked or unchecked.
type ChecklistFields struct {
	List    string `json:"list"` // "triage", "security"
	Item    int    `json:"item"` // index in the list
	Text    string `json:"text"`
	Checked bool   `json:"checked"`
}

// Declared is the event that opens an incident.
func Declared(actor, title string, sev Severity, at time.Time) Event {
	return Event{Time: at, Actor: actor, Kind: KindDeclared, Summary: title,
		Severity: &SeverityFields{To: sev.String()}}
}

// SeverityChange records a severity change from → to, and why (may be
// empty).
func SeverityChange(actor string, from, to Severity, reason string, at time.Time) Event {
	summary := fmt.Sprintf("Severity %s → %s", from, to)
	if r := strings.TrimSpace(reason); r != "" {
		summary += ": " + r
	}
	return Event{
		Time: at, Actor: actor, Kind: KindSeverity, Summary: summary,
		Severity: &SeverityFields{From: from.String(), To: to.String(), Reason: strings.TrimSpace(reason)},
	}
}

// Acknowledged records who acknowledged the page, at which rung (level,
// its role) of the ladder. actor is who pressed the key; who is who
// acknowledges (the same, unless someone acks for another).
func Acknowledged(actor, who string, level int, role string, at time.Time) Event {
	summary := "Acknowledged by " + who
	if role != "" {
		summary += " (" + role + ")"
	}
	return Event{Time: at, Actor: actor, Kind: KindAck, Summary: summary,
		Ack: &AckFields{Who: who, Level: level, Role: role}}
}

// Resolution records that the incident is resolved, and how (may be empty).
func Resolution(actor, how string, at time.Time) Event {
	summary := "Resolved"
	if h := strings.TrimSpace(how); h != "" {
		summary += ": " + h
	}
	return Event{Time: at, Actor: actor, Kind: KindResolved, Summary: summary}
}

// Reopening records that a resolved incident is open again, and why.
func Reopening(actor, why string, at time.Time) Event {
	summary := "Reopened"
	if w := strings.TrimSpace(why); w != "" {
		summary += ": " + w
	}
	return Event{Time: at, Actor: actor, Kind: KindReopened, Summary: summary}
}

// Note is a free-text note.
func Note(actor, text string, at time.Time) Event {
	return Event{Time: at, Actor: actor, Kind: KindNote, Summary: text}
}
