package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the global map: keys that work whatever pane has focus (unless
// the focused pane binds the same key, or a text field is open).
type KeyMap struct {
	Next, Prev, Jump key.Binding
	Zoom, Note, Help key.Binding
	Palette          key.Binding
	Redraw, Quit     key.Binding
}

// DefaultKeyMap returns the global bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Jump:    key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6"), key.WithHelp("1-6", "jump to pane")),
		Zoom:    key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "zoom pane")),
		Note:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add note")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Palette: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command palette")),
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
	return [][]key.Binding{{k.Next, k.Prev, k.Jump, k.Zoom}, {k.Note, k.Palette, k.Help, k.Redraw, k.Quit}}
}

// DialogKeyMap is shared by the dialogs; listed in help so it is discoverable.
type DialogKeyMap struct {
	Confirm, Cancel, NextField, PrevField, Submit key.Binding
}

// DefaultDialogKeyMap returns the dialog bindings.
func DefaultDialogKeyMap() DialogKeyMap {
	return DialogKeyMap{
		Confirm:   key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y/enter", "confirm")),
		Cancel:    key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "cancel")),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit (on last field)")),
	}
}

// ShortHelp implements help.KeyMap.
func (k DialogKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Confirm, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k DialogKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Confirm, k.Cancel}, {k.NextField, k.PrevField, k.Submit}}
}
