// Package common is what the shell hands down to every pane: styles, the
// clock, who is acting, the session's modes, the journal, and the contract
// a pane satisfies. It imports no pane and no part of the shell, so every
// pane can import it without a cycle.
package common

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/styles"
)

// Mode is how this session may act on the world.
type Mode struct {
	Drill    bool // scripted incident: nothing real is touched
	ReadOnly bool // destructive actions are impossible
	DryRun   bool // destructive actions are shown as "would run", not run
}

// Recorder appends an event durably (fsync'd) and returns it as stored.
type Recorder interface {
	Append(incident.Event) (incident.Event, error)
}

// Common is small and copied by value into each pane.
type Common struct {
	Styles  *styles.Styles
	Now     func() time.Time
	Actor   string
	Mode    Mode
	Journal Recorder
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
}

// EventMsg reports an event that was appended to the journal (and fsync'd),
// or the error that stopped it. It is broadcast to every pane.
type EventMsg struct {
	Event incident.Event
	Err   error
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

// ConfirmRequest asks the shell for the confirmation dialog. Every
// destructive action goes through it.
type ConfirmRequest struct {
	Title string
	// Lines say exactly what will happen, one per line (commands, queries).
	Lines []string
	// Target says against what: cluster/namespace/object, database, URL.
	Target string
	// Destructive actions are refused outright in read-only mode.
	Destructive bool
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
	Multiline   bool
	// Validate, if set, is checked on submit; its error is shown in place.
	Validate func(string) error
}

// InputRequest asks the shell for the input dialog.
type InputRequest struct {
	Title  string
	Fields []Field
	// OnSubmit receives the values by field name and returns what to do.
	OnSubmit func(values map[string]string) tea.Cmd
	OnCancel tea.Cmd
}

// Input returns a Cmd that opens the input dialog.
func Input(r InputRequest) tea.Cmd { return func() tea.Msg { return r } }

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
// "backend recovered" on the timeline as probe events, by the console.
func (c Common) ProbeEvents(backend string) func(probes.Change) tea.Cmd {
	c.Actor = SystemActor
	return func(ch probes.Change) tea.Cmd {
		if ch.Lost {
			detail := ""
			if ch.Err != nil {
				detail = ch.Err.Error()
			}
			first, _, _ := strings.Cut(detail, "\n")
			return c.Record(incident.KindProbe, backend+" lost: "+Truncate(first, 160), detail)
		}
		return c.Record(incident.KindProbe, backend+" recovered after "+ch.Down.Round(time.Second).String(), "")
	}
}
