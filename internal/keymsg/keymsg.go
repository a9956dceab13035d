// Package keymsg turns a key's name, as bubbletea prints it and
// bubbles/key binds it ("enter", "shift+tab", "ctrl+c", "pgdown", " ",
// "K"), into the tea.KeyMsg bubbletea delivers: for tests that press keys.
package keymsg

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// Of is the key named name; a name that is no special key is its runes
// (typed text). A name that looks like a chord it does not know
// ("ctrl+x", "alt+enter") panics: a typo must not become typed text.
func Of(name string) tea.KeyMsg {
	if t, ok := special(name); ok {
		return tea.KeyMsg{Type: t}
	}
	if len([]rune(name)) > 1 && strings.Contains(name, "+") && !strings.Contains(name, " ") {
		panic("keymsg: unknown key " + name)
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

func special(name string) (tea.KeyType, bool) {
	switch name {
	case "enter":
		return tea.KeyEnter, true
	case "esc":
		return tea.KeyEsc, true
	case "tab":
		return tea.KeyTab, true
	case "shift+tab":
		return tea.KeyShiftTab, true
	case "backspace":
		return tea.KeyBackspace, true
	case " ", "space":
		return tea.KeySpace, true
	case "up":
		return tea.KeyUp, true
	case "down":
		return tea.KeyDown, true
	case "left":
		return tea.KeyLeft, true
	case "right":
		return tea.KeyRight, true
	case "pgup":
		return tea.KeyPgUp, true
	case "pgdown":
		return tea.KeyPgDown, true
	case "home":
		return tea.KeyHome, true
	case "end":
		return tea.KeyEnd, true
	case "ctrl+c":
		return tea.KeyCtrlC, true
	case "ctrl+d":
		return tea.KeyCtrlD, true
	case "ctrl+l":
		return tea.KeyCtrlL, true
	case "ctrl+u":
		return tea.KeyCtrlU, true
	}
	return 0, false
}
