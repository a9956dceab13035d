package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/runbooks"
)

// SignalsMsg is a pane's account of what is burning now (crash-looping
// pods, 5xx above the threshold, lock waits, connections near the limit,
// firing alerts). It replaces that Source's previous account; an empty
// Signals says nothing of its is burning any more. The runbook sidebar
// ranks the runbooks that answer them first. A pane sends it only when
// its account changes.
type SignalsMsg struct {
	Source  string // the pane's name: "pods", "errorrate", "queries"
	Signals []runbooks.Signal
}

// ContextMsg is what a pane has selected, by variable name ("namespace",
// "pod", "deployment", "pid", "db_instance"), for prefilling a runbook
// step's variables. It replaces that Source's previous values; a pane
// sends it only when they change.
type ContextMsg struct {
	Source string
	Values map[string]string
}

// Publish returns a Cmd that hands msg (a SignalsMsg or ContextMsg) to
// the shell, which passes it to every pane.
func Publish(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }
