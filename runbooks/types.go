package runbooks

import "slices"

// The runbook model every other package reads: the parser fills it, the
// index searches it, the step package renders and runs its steps, the
// pane and the CLI show it.

// Lang is what runs a step.
type Lang string

const (
	// Bash steps run with `bash -c` in their own process group.
	Bash Lang = "bash"
	// SQL steps run through the pg probe's pool, in a read-only
	// transaction unless the step is destructive.
	SQL Lang = "sql"
	// PromQL steps are instant queries through the prom probe.
	PromQL Lang = "promql"
)

// Variable is a value a step needs: "{namespace}" in its code.
type Variable struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Default prefills the input dialog when the console's context (the
	// selected pod, pid, the configured namespace) has no value for it.
	Default string `json:"default,omitempty"`
	// Secret values are asked but never recorded, logged or shown.
	Secret bool `json:"secret,omitempty"`
	// Declared is set for a variable the front matter declares; the
	// others were found in the steps only.
	Declared bool `json:"declared"`
}

// Step is one fenced block of a runbook that can run.
type Step struct {
	// Name is what it does, from the nearest list item, paragraph or bold
	// label before the block ("If recent deployment: Rollback"), or the
	// block's first comment line.
	Name string `json:"name"`
	// Section is the bold label or heading the step sits under
	// ("Investigation", "Resolution", "Containment").
	Section string `json:"section,omitempty"`
	Lang    Lang   `json:"lang"`
	// Code is the block as written, {variables} and all.
	Code string `json:"code"`
	// Destructive steps change the world in a way that is hard to undo
	// (rollout undo, delete, terminate, UPDATE/DELETE/DROP, scale to 0,
	// revoke). Marked says the author marked it (fence info
	// "destructive"); Destructive is also set when it was detected.
	Destructive bool   `json:"destructive"`
	Marked      bool   `json:"marked,omitempty"`
	Why         string `json:"why,omitempty"` // what made it destructive ("kubectl rollout undo")
	// Vars are the variables the code uses, in order of first use.
	Vars []string `json:"vars,omitempty"`
	// Line is the 1-based line of the opening fence in the source file.
	Line int `json:"line"`
}

// Runbook is one runbook: a title, the symptoms it answers, its steps.
type Runbook struct {
	Title    string   `json:"title"`
	Severity string   `json:"severity,omitempty"` // "P0".."P3", from front matter
	Symptoms []string `json:"symptoms,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Signals are the signal kinds (SignalCrashLoop…) it answers, from
	// front matter; without them, suggestions match symptom words.
	Signals   []string   `json:"signals,omitempty"`
	Owner     string     `json:"owner,omitempty"`
	Variables []Variable `json:"variables,omitempty"`
	Steps     []Step     `json:"steps,omitempty"`
	Body      string     `json:"body"`   // markdown, as written (front matter removed)
	Source    string     `json:"source"` // file it came from
	Line      int        `json:"line"`   // 1-based line of its heading
}

// Variable returns the runbook's variable by name.
func (r Runbook) Variable(name string) (Variable, bool) {
	for _, v := range r.Variables {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// Signal kinds the panes publish.
const (
	SignalCrashLoop   = "pods.crashloop"  // pods crash-looping or not ready
	SignalHTTP5xx     = "http.5xx"        // 5xx share above the threshold
	SignalConnections = "pg.connections"  // connections ≥ 80% of max
	SignalLockWaits   = "pg.lock_waits"   // sessions waiting on locks
	SignalSlowQueries = "pg.slow_queries" // queries running long
	SignalAlert       = "alert"           // a firing alert (Terms: its name)
)

// Signal is something burning that a pane sees, in words a runbook's
// symptoms use.
type Signal struct {
	Kind string // Signal* above
	// Text says it with its figures: "93/100 connections".
	Text string
	// Terms are extra words to match symptoms by (an alert's name).
	Terms []string
	// Weight is how bad it is on one scale for every pane, so that
	// signals of different panes add up: 1 (just past its threshold) to
	// 100 (as bad as it gets: every pod of a deployment down, the 5xx
	// share at twice its threshold, every connection taken). A firing
	// alert weighs 50. See Severity.
	Weight int
}

// Severity maps how far a value is past its threshold to a Weight:
// 1 at the threshold, 100 at worst, linear between.
func Severity(value, threshold, worst float64) int {
	if worst == threshold {
		return 100
	}
	w := int(1 + 99*(value-threshold)/(worst-threshold))
	return min(max(w, 1), 100)
}

// AlertWeight is the Weight of a firing alert.
const AlertWeight = 50

// EqualSignals reports whether two accounts say the same.
func EqualSignals(a, b []Signal) bool {
	return slices.EqualFunc(a, b, func(x, y Signal) bool {
		return x.Kind == y.Kind && x.Text == y.Text && x.Weight == y.Weight && slices.Equal(x.Terms, y.Terms)
	})
}

// Suggestion is a runbook ranked first because of what is burning.
type Suggestion struct {
	Runbook Runbook
	Signals []Signal // the ones it answers, strongest first
	Score   int
}

// Why says why it is suggested: "93/100 connections, 2 sessions
// waiting on locks".
func (s Suggestion) Why() string {
	out := ""
	for i, sig := range s.Signals {
		if i > 0 {
			out += ", "
		}
		out += sig.Text
	}
	return out
}
