// Package common is what the shell hands down to every pane: styles, the
// clock, who is acting, the session's modes, the journal, and the contract
// a pane satisfies. It imports no pane and no part of the shell, so every
// pane can import it without a cycle.
package common

import (
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/styles"
)

// Mode is how this session may act on the world. The shell applies it to
// every Action (see Action): panes never look at it to decide.
type Mode struct {
	Drill    bool // scripted incident: actions run on the drill's own backends; host actions are "would run"
	ReadOnly bool // destructive actions are refused before any dialog
	DryRun   bool // no action runs: each is recorded as "would run — not executed"
}

// Refuses reports whether the mode refuses an action outright (a
// destructive one in a read-only session). The shell decides by it; a
// pane may ask it first, so as not to ask for a destructive step's
// variables only to have it refused.
func (m Mode) Refuses(destructive bool) bool { return destructive && m.ReadOnly }

// Recorder appends an event durably (fsync'd) and returns it as stored.
type Recorder interface {
	Append(incident.Event) (incident.Event, error)
}

// Claimer is a Recorder that can also decide, across every console of a
// shared timeline, which one records an event first (see ClaimEvent).
type Claimer interface {
	Recorder
	// Claim records ev (whose ID is derived from the incident) unless
	// another console recorded that ID first: then stored is that
	// console's event, now in the local journal too, and won is false.
	// When the shared timeline cannot be asked, ev is recorded locally
	// under a new ID if fallbackNewID, else under its own, and won is
	// true: a hook run twice beats one never run.
	Claim(ev incident.Event, fallbackNewID bool) (stored incident.Event, won bool, err error)
}

// Common is small and copied by value into each pane.
type Common struct {
	Styles *styles.Styles
	Now    func() time.Time
	Actor  string
	// Host is this console's OS user and host ("alice@laptop") when the
	// timeline is shared, else "": events of other hosts show theirs.
	Host    string
	Mode    Mode
	Journal Recorder
	// Log is the structured log beside the journal (never the terminal).
	// Write to it only from Cmds, never from Update or View.
	Log *slog.Logger
}

// Logger is c.Log, or a logger that discards.
func (c Common) Logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// Pane is the contract every pane satisfies.
type Pane interface {
	help.KeyMap
	Init() tea.Cmd
	Update(tea.Msg) (Pane, tea.Cmd)
	View() string
	SetSize(width, height int)
	// Title is the pane's name in its frame and tab.
	Title() string
	// Capturing is true while a text field in the pane has focus: then
	// every key goes to the pane, global keys included.
	Capturing() bool
	// Backends are the backends this pane reads, for the status bar dots.
	Backends() []Backend
}

// Backend is one backend's name and state, as shown by a status bar dot.
type Backend struct {
	Name  string
	State probes.State
	// Note follows the dot where names are shown: a health check's
	// latency ("42ms").
	Note string
}

// EventMsg reports an event that was appended to the journal (and fsync'd),
// or the error that stopped it. The shell folds the event into the
// incident once and broadcasts the message to every pane with Session set
// to the incident as it now stands: panes read the incident from here,
// never by re-folding history.
type EventMsg struct {
	Event   incident.Event
	Err     error
	Session incident.Session
	// Remote: another console recorded the event (it came through the
	// shared timeline, or won a claim). It is in the local journal, but
	// what follows from it (a hook run) is that console's to do.
	Remote bool
	// Claimed is the ID ClaimEvent asked for (the event may carry
	// another: see Claimer), "" for other records.
	Claimed string
}

// Record returns a Cmd that appends an event to the journal and reports it
// with an EventMsg. The event is shown only once it is on disk.
func (c Common) Record(kind incident.Kind, summary, detail string) tea.Cmd {
	ev := incident.Event{Time: c.Now(), Actor: c.Actor, Kind: kind, Summary: summary, Detail: detail}
	return RecordEvent(c.Journal, ev)
}

// RecordEvent appends ev through j in a Cmd.
func RecordEvent(j Recorder, ev incident.Event) tea.Cmd {
	return func() tea.Msg {
		if j == nil {
			return EventMsg{Event: ev}
		}
		stored, err := j.Append(ev)
		return EventMsg{Event: stored, Err: err}
	}
}

// ClaimEvent records ev, whose ID is derived from the incident (an
// escalation step, the response-time ack, a resolution), once across the
// consoles of a shared timeline: the EventMsg is Remote when another
// console recorded it first, and carries that console's event. Without a
// shared timeline it is RecordEvent. fallbackNewID: see Claimer.
func ClaimEvent(j Recorder, ev incident.Event, fallbackNewID bool) tea.Cmd {
	c, ok := j.(Claimer)
	if !ok {
		rec := RecordEvent(j, ev)
		return func() tea.Msg {
			msg := rec().(EventMsg)
			msg.Claimed = ev.ID
			return msg
		}
	}
	return func() tea.Msg {
		stored, won, err := c.Claim(ev, fallbackNewID)
		return EventMsg{Event: stored, Err: err, Remote: err == nil && !won, Claimed: ev.ID}
	}
}

// ConfirmRequest asks the shell for a yes/no dialog about the console
// itself (quitting). Anything that changes the world is an Action (see Do),
// never a ConfirmRequest.
type ConfirmRequest struct {
	Title string
	// Lines say exactly what will happen, one per line.
	Lines []string
	// OnConfirm runs when confirmed; OnCancel (optional) when cancelled.
	OnConfirm tea.Cmd
	OnCancel  tea.Cmd
}

// Confirm returns a Cmd that opens the confirmation dialog.
func Confirm(r ConfirmRequest) tea.Cmd { return func() tea.Msg { return r } }

// Field is one named value the input dialog asks for.
type Field struct {
	Name        string
	Label       string
	Default     string
	Placeholder string
	// Multiline fields show several rows of soft-wrapped text (a note);
	// others show one row that scrolls. Enter saves in both.
	Multiline bool
	// MaxLen is how many characters the field takes (DefaultMaxLen if
	// zero). Near it a counter shows; past it input is refused, visibly:
	// text is never cut silently.
	MaxLen int
	// Secret fields show dots, never their text (the screen is shared).
	Secret bool
	// Validate, if set, is checked on submit; its error is shown in place.
	Validate func(string) error
}

// DefaultMaxLen is a field's character limit unless it sets its own.
const DefaultMaxLen = 10000

// InputRequest asks the shell for the input dialog.
type InputRequest struct {
	Title  string
	Fields []Field
	// OnSubmit receives the values by field name and returns what to do.
	// The dialog stays open until that Cmd's message arrives: if it is an
	// EventMsg whose write failed (Record, RecordEvent), the dialog keeps
	// the text, shows the error and enter retries — what was typed is
	// never lost to a failing journal. Return the record Cmd itself (not
	// a Batch) for this to hold.
	OnSubmit func(values map[string]string) tea.Cmd
	OnCancel tea.Cmd
}

// Input returns a Cmd that opens the input dialog.
func Input(r InputRequest) tea.Cmd { return func() tea.Msg { return r } }

// ChecklistRequest asks the shell for a checklist dialog: the list's
// items with their state in the incident (kept current while it is open);
// checking or unchecking an item records a checklist event (time and
// actor) through the journal.
type ChecklistRequest struct {
	List incident.Checklist
}

// OpenChecklist returns a Cmd that opens the checklist dialog.
func OpenChecklist(l incident.Checklist) tea.Cmd {
	return func() tea.Msg { return ChecklistRequest{List: l} }
}

// FlashMsg shows a short message in the status line.
type FlashMsg struct {
	Text  string
	Error bool
}

// Flash returns a Cmd that shows text in the status line.
func Flash(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return FlashMsg{Text: text, Error: isErr} }
}

// SystemActor is the actor of events the console itself observed.
const SystemActor = "warroom"

// ProbeEvents returns a probes.Feed OnChange that puts "backend lost" and
// "backend recovered" on the timeline as probe events, by the console, and
// logs the error in full.
func (c Common) ProbeEvents(backend string) func(probes.Change) tea.Cmd {
	j, now, log := c.Journal, c.Now, c.Logger()
	return func(ch probes.Change) tea.Cmd {
		ev := incident.Event{Time: now(), Actor: SystemActor, Kind: incident.KindProbe,
			Probe: &incident.ProbeFields{Backend: backend}}
		if ch.Lost {
			detail := ""
			if ch.Err != nil {
				detail = ch.Err.Error()
			}
			// The cause, not a multi-line error's first line (pgx's
			// "failed to connect to …:" says nothing on its own).
			first := probes.ErrorText(ch.Err)
			ev.Summary, ev.Detail = backend+" lost: "+Truncate(first, 160), detail
			ev.Probe.State, ev.Probe.Error = incident.ProbeLost, detail
		} else {
			ev.Summary = backend + " recovered after " + ch.Down.Round(time.Second).String()
			ev.Probe.State, ev.Probe.DownForMS = incident.ProbeRecovered, ch.Down.Milliseconds()
		}
		rec := RecordEvent(j, ev)
		return func() tea.Msg {
			if ch.Lost {
				log.Warn("backend lost", "backend", backend, "err", incident.Redact(sanitize.Text(ev.Detail)))
			} else {
				log.Info("backend recovered", "backend", backend, "down", ch.Down)
			}
			return rec()
		}
	}
}
