package common

import (
	"context"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/runbooks/step"
)

// Action is anything that changes the world: a kube call, SQL, a shell
// step, an AWS call, a page. A pane builds one and hands it to the shell
// with Do; the shell owns the rest — read-only refusal, the confirmation,
// dry-run and drill gating, running it off the UI goroutine with a
// context and a timeout, cancelling, and recording its start and outcome.
// No pane confirms, gates or records an action itself.
type Action struct {
	// Title says what it does: "Roll back deployment/api".
	Title string
	// Kind is what it touches: incident.ActionKube, ActionSQL, ActionShell,
	// ActionAWS, ActionNotify, ActionPromQL.
	Kind string
	// Op is a stable machine name ("kube.rollout-undo"); the drill replays
	// executed ops from the journal by it.
	Op string
	// Lines are exactly what will run: commands, SQL, API calls.
	Lines []string
	// Target is against what: context/namespace/object, database, instance.
	Target string
	// Impact is the blast radius, as the pane knows it when it asks:
	// "deployment/api in agent-platform: revision 42 (api:2.14.0) → 41
	// (api:2.13.2), 5 replicas will roll". The confirmation shows it.
	Impact []string
	// Destructive actions are refused outright in read-only mode.
	Destructive bool
	// Timeout bounds Run (DefaultActionTimeout if zero).
	Timeout time.Duration
	// Step names the runbook step ("High Error Rate › Rollback"), if any.
	Step string
	// Tag identifies the pane that asked; progress and done messages carry it.
	Tag string
	// Auto marks the console's own action, configured beforehand and set
	// off by the incident rather than by a key (the notification hook
	// paging the next rung): the shell runs it without a dialog, still
	// gated by the mode (dry-run and a drill record it as "would run"),
	// with its timeout, recorded as the console's (actor "warroom"), its
	// failure shown in the status line. Only a notification (Kind
	// incident.ActionNotify, not Destructive) may be Auto: the shell
	// refuses any other.
	Auto bool
	// InPlace actions show their progress in the pane that asked (by
	// Tag: ActionStartedMsg, ActionProgressMsg, ActionDoneMsg) instead of
	// the shell's running dialog; the pane cancels one with Cancel(ID).
	InPlace bool
	// Secrets are values the action carries that must never be shown,
	// recorded or logged (a token typed into a runbook step's variable):
	// the shell masks them in the dialog, the journal, the log and the
	// streamed output.
	Secrets []string
	// Run does it, off the UI goroutine. It must honour ctx (esc cancels,
	// the timeout ends it) and must not touch any model: capture copies.
	// progress may be called from any goroutine, any number of times.
	Run func(ctx context.Context, progress func(line string)) Outcome
}

// DefaultActionTimeout bounds an action that sets no timeout.
const DefaultActionTimeout = 2 * time.Minute

// Outcome is what Run reports.
type Outcome struct {
	// ExitCode is set for commands.
	ExitCode *int
	// Err is nil on success.
	Err error
	// Output is what the action printed, if it was not all sent as
	// progress; the shell keeps an excerpt (first and last lines).
	Output string
	// Result is a one-line account of what changed ("revision 2 → 1").
	Result string
}

// OnBackend reports whether the action acts on a backend (kube, sql, aws,
// promql) rather than on this machine (a shell step, the notification
// hook, or a kind it does not know). In a drill only actions on backends
// run — against the drill's own, in-process — and anything else would
// touch the real host, so it is not run.
func (a Action) OnBackend() bool {
	switch a.Kind {
	case incident.ActionKube, incident.ActionSQL, incident.ActionAWS, incident.ActionPromQL:
		return true
	}
	return false
}

// ActionRequest hands an action to the shell (see Do).
type ActionRequest struct{ Action Action }

// Do returns a Cmd that hands a to the shell: it is refused (read-only),
// or confirmed and then run or recorded as not executed.
func Do(a Action) tea.Cmd { return func() tea.Msg { return ActionRequest{Action: a} } }

// ActionStartedMsg says a confirmed action started running (its start
// is being recorded): ID is what Cancel takes. It is broadcast.
type ActionStartedMsg struct {
	ID      string
	Tag     string
	Op      string
	Started time.Time
}

// CancelMsg asks the shell to cancel the running action ID (SIGTERM to a
// shell step's process group, then SIGKILL; a query's context ends).
type CancelMsg struct{ ID string }

// Cancel returns a Cmd that asks the shell to cancel the running action id.
func Cancel(id string) tea.Cmd { return func() tea.Msg { return CancelMsg{ID: id} } }

// SecretMask replaces a secret wherever the shell masks one.
const SecretMask = step.SecretMask

// Mask replaces every secret in s with SecretMask (longest first, so a
// secret containing another is masked whole).
func Mask(s string, secrets []string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, sec := range sorted {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, SecretMask)
		}
	}
	return s
}

// ActionProgressMsg carries output lines of a running action, in order.
// It is broadcast; the pane that asked (Tag) may show them in place.
type ActionProgressMsg struct {
	ID      string // the action's started event ID
	Tag     string
	Lines   []string
	Dropped int // lines dropped before these because the UI fell behind
}

// ActionDoneMsg says an action ended (or was recorded as not executed).
// It is broadcast; the pane that asked may refresh its data at once.
type ActionDoneMsg struct {
	ID       string
	Tag      string
	Op       string
	Executed bool
	Outcome  Outcome
	Duration time.Duration
}

// Offer is an action a pane offers to the command palette, built for the
// pane's current selection ("Roll back deployment/api"). Cmd is what the
// palette runs when it is chosen (typically Do(action), or an input dialog
// that leads to one).
type Offer struct {
	Name string
	Key  string // the pane key that does the same, for the palette's hint
	Cmd  tea.Cmd
}

// Offerer is implemented by panes that offer actions to the palette.
type Offerer interface {
	Offers() []Offer
}
