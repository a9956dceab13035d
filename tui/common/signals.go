package common

import (
	"slices"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
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
	// vitals is the last VitalsMsg's, as shown (value and error).
	vitals []string
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

// VitalsMsg is a pane's vital signs as it measured them last (see
// incident.Vital): a few numbers that say how bad it is (bad pods, the
// 5xx ratio, connections used of the maximum, the longest query, firing
// alerts, failing health checks). It replaces that Source's previous
// set. A vital the pane could not measure (its backend down, nothing
// polled yet) is sent unknown (incident.Unknown), never as zero or left
// out. The shell records them on every action's started and finished
// events and some minutes later as evidence.
type VitalsMsg struct {
	Source string
	Vitals []incident.Vital
	Seq    uint64 // as SignalsMsg's
}

// Vitals is Signals for a VitalsMsg: nil if every vital shows what the
// last one sent showed (value, or unknown and why).
func (p *Publisher) Vitals(source string, vitals []incident.Vital) tea.Cmd {
	shown := make([]string, len(vitals))
	for i, v := range vitals {
		shown[i] = v.String() + "\x00" + v.Error
	}
	if p.vitals != nil && slices.Equal(shown, p.vitals) {
		return nil
	}
	p.seq++
	p.vitals = shown
	msg := VitalsMsg{Source: source, Vitals: vitals, Seq: p.seq}
	return func() tea.Msg { return msg }
}
