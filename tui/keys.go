package tui

import (
	"fmt"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is the global map: keys that work whatever pane has focus (unless
// the focused pane binds the same key, or a text field is open).
type KeyMap struct {
	Next, Prev, Jump key.Binding
	Zoom, Note, Help key.Binding
	Export           key.Binding
	Palette, Running key.Binding
	Redraw, Quit     key.Binding
}

// DefaultKeyMap returns the global bindings for a shell of n panes (the
// jump keys are 1..n, at most 9).
func DefaultKeyMap(n int) KeyMap {
	n = min(max(n, 1), 9)
	jump := make([]string, n)
	for i := range jump {
		jump[i] = strconv.Itoa(i + 1)
	}
	return KeyMap{
		Next:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Jump:    key.NewBinding(key.WithKeys(jump...), key.WithHelp(fmt.Sprintf("1-%d", n), "jump to pane")),
		Zoom:    key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "zoom pane")),
		Note:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add note")),
		Export:  key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export report")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Palette: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command palette")),
		// Enabled only while an action runs (the shell switches it).
		Running: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "show the running action's output"), key.WithDisabled()),
		Redraw:  key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "redraw")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the footer's share of the global map.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Note, k.Help, k.Quit}
}

// FullHelp lists every global binding.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Jump, k.Zoom}, {k.Note, k.Export, k.Palette, k.Running, k.Help, k.Redraw, k.Quit}}
}

// DialogKeyMap is shared by the dialogs (confirmation, input, palette,
// help); listed in help so it is discoverable.
type DialogKeyMap struct {
	Confirm, Cancel, Close key.Binding
	Hide                   key.Binding
	Next, Prev, Submit     key.Binding
	ScrollUp, ScrollDown   key.Binding
	Copy                   key.Binding
}

// DefaultDialogKeyMap returns the dialog bindings.
func DefaultDialogKeyMap() DialogKeyMap {
	return DialogKeyMap{
		Confirm: key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y/enter", "confirm")),
		Cancel:  key.NewBinding(key.WithKeys("n", "N", "esc", "ctrl+c"), key.WithHelp("n/esc", "cancel")),
		// Close works where typing is possible (n and q would be text).
		Close:  key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "close (input, palette, help); cancel a running action")),
		Hide:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "hide a running action's dialog (it goes on)")),
		Next:   key.NewBinding(key.WithKeys("tab", "down", "ctrl+n"), key.WithHelp("tab/↓", "next field, choice or draft")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up", "ctrl+p"), key.WithHelp("shift+tab/↑", "previous field or choice")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save / run (next field until the last)")),
		// Help, a confirmation and the journal dialog scroll when taller
		// than the screen (a long command is read whole before y).
		ScrollUp:   key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll a long dialog up")),
		ScrollDown: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll a long dialog down")),
		// The report's drafts dialog copies the draft shown (OSC 52);
		// Next switches drafts there.
		Copy: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy draft (report)")),
	}
}

// ShortHelp implements help.KeyMap.
func (k DialogKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Confirm, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k DialogKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Confirm, k.Cancel, k.Close, k.Hide}, {k.Next, k.Prev, k.Submit}, {k.Copy, k.ScrollUp, k.ScrollDown}}
}
