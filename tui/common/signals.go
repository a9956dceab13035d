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
	// Seq orders one source's accounts: Cmds deliver their messages in
	// any order, so a receiver keeps the highest Seq (see Publisher).
	Seq uint64
}

// ContextMsg is what a pane has selected, by variable name ("namespace",
// "pod", "deployment", "pid", "db_instance"), for prefilling a runbook
// step's variables. It replaces that Source's previous values; a pane
// sends it only when they change.
type ContextMsg struct {
	Source string
	Values map[string]string
	Seq    uint64 // as SignalsMsg's
}

// Publisher numbers a pane's SignalsMsg and ContextMsg: two Cmds may
// deliver their messages in either order, and the receiver keeps only
// the newest. The zero value is ready; a pane keeps one by value.
type Publisher struct {
	seq  uint64
	sent []runbooks.Signal // the last account sent (none: nothing burning)
}

// Signals returns a Cmd that hands the shell source's account, numbered
// (the shell passes it to every pane), or nil if it says what the last
// one said.
func (p *Publisher) Signals(source string, signals []runbooks.Signal) tea.Cmd {
	if runbooks.EqualSignals(signals, p.sent) {
		return nil
	}
	p.seq++
	p.sent = signals
	msg := SignalsMsg{Source: source, Signals: signals, Seq: p.seq}
	return func() tea.Msg { return msg }
}

// Context is Signals for a ContextMsg.
func (p *Publisher) Context(source string, values map[string]string) tea.Cmd {
	p.seq++
	msg := ContextMsg{Source: source, Values: values, Seq: p.seq}
	return func() tea.Msg { return msg }
}
