package common

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// NavKeys are the movement keys every list-shaped pane shares.
type NavKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultNavKeys returns vim- and arrow-style movement.
func DefaultNavKeys() NavKeys {
	return NavKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
	}
}

// Bindings lists the movement keys.
func (k NavKeys) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// Cursor is a selection in a list of n rows shown height rows at a time.
type Cursor struct {
	Pos, Off int
}

// Handle moves the cursor for a movement key; it reports whether k was one.
func (c *Cursor) Handle(k tea.KeyMsg, keys NavKeys, n, height int) bool {
	page := max(height-1, 1)
	switch {
	case key.Matches(k, keys.Up):
		c.Pos--
	case key.Matches(k, keys.Down):
		c.Pos++
	case key.Matches(k, keys.PageUp):
		c.Pos -= page
	case key.Matches(k, keys.PageDown):
		c.Pos += page
	case key.Matches(k, keys.Top):
		c.Pos = 0
	case key.Matches(k, keys.Bottom):
		c.Pos = n - 1
	default:
		return false
	}
	c.Clamp(n, height)
	return true
}

// Clamp keeps the cursor inside the list and visible.
func (c *Cursor) Clamp(n, height int) {
	c.Pos = min(max(c.Pos, 0), max(n-1, 0))
	if height <= 0 {
		c.Off = c.Pos
		return
	}
	if c.Pos < c.Off {
		c.Off = c.Pos
	}
	if c.Pos >= c.Off+height {
		c.Off = c.Pos - height + 1
	}
	c.Off = min(max(c.Off, 0), max(n-height, 0))
}

// Window is the visible slice [start, end) for height rows.
func (c *Cursor) Window(n, height int) (start, end int) {
	c.Clamp(n, height)
	return c.Off, min(c.Off+height, n)
}
