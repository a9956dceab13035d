// Package cmdtest runs a pane's tea.Cmd in a test and collects the
// messages it produces.
package cmdtest

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/tui/common"
)

// Collect runs cmd and every Cmd it batches, and returns their messages.
// A Cmd that takes longer than wait (a feed's next poll, a watch's next
// snapshot) is left running and its message dropped.
func Collect(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, Collect(c, wait)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(wait):
		return nil
	}
}

// Published is what cmd hands the runbook sidebar: its SignalsMsg and
// ContextMsg, in order.
func Published(cmd tea.Cmd) (sigs []common.SignalsMsg, ctxs []common.ContextMsg) {
	for _, msg := range Collect(cmd, 100*time.Millisecond) {
		switch msg := msg.(type) {
		case common.SignalsMsg:
			sigs = append(sigs, msg)
		case common.ContextMsg:
			ctxs = append(ctxs, msg)
		}
	}
	return sigs, ctxs
}

// Vitals is what cmd (and what it batches) hands the shell as the pane's
// vital signs: its VitalsMsgs, in order.
func Vitals(cmd tea.Cmd) []common.VitalsMsg {
	var out []common.VitalsMsg
	for _, msg := range Collect(cmd, 100*time.Millisecond) {
		if vm, ok := msg.(common.VitalsMsg); ok {
			out = append(out, vm)
		}
	}
	return out
}
