// Package runbook is the runbook sidebar: runbooks fuzzy-searched by
// symptom, and the chosen one to read. (Steps that run in place after a
// confirmation come with the runbooks issue.)
package runbook

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config is empty for now; runbooks come through the index.
type Config struct{}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
	Search, Open, Back key.Binding
	// While the search field has focus (every other key is text):
	SearchOpen, SearchCancel, SearchLeave key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys: common.DefaultNavKeys(),
		Search:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search by symptom")),
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open runbook")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear search")),

		SearchOpen:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "in search: open the top match")),
		SearchCancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "in search: cancel the search")),
		SearchLeave:  key.NewBinding(key.WithKeys("up", "down", "tab"), key.WithHelp("↑/↓/tab", "in search: keep the filter, move in the list")),
	}
}

// Model is the runbook pane.
type Model struct {
	c       common.Common
	keys    KeyMap
	index   *runbooks.Index
	matches []runbooks.Match
	search  textinput.Model
	typing  bool
	open    *runbooks.Runbook
	lines   []string // the open runbook, wrapped to width
	cursor  common.Cursor
	scroll  common.Cursor
	w, h    int
}

// New makes the pane over an index (nil: no runbooks).
func New(c common.Common, index *runbooks.Index, _ Config) *Model {
	if index == nil {
		index = runbooks.NewIndex(nil)
	}
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "symptom, e.g. 5xx, pool exhausted"
	m := &Model{c: c, keys: DefaultKeyMap(), index: index, search: ti}
	m.matches = index.Search("")
	m.setTyping(false)
	return m
}

func (m *Model) Title() string {
	if m.open != nil {
		return "Runbook · " + sanitize.Line(m.open.Title)
	}
	return "Runbooks"
}
func (m *Model) Init() tea.Cmd { return nil }
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.search.Width = max(w-3, 1)
	m.wrap()
}
func (m *Model) Capturing() bool            { return m.typing }
func (m *Model) Backends() []common.Backend { return nil }
func (m *Model) ShortHelp() []key.Binding {
	if m.open != nil {
		return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Back}
	}
	return []key.Binding{m.keys.Search, m.keys.Open}
}
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Search, m.keys.Open, m.keys.Back},
		{m.keys.SearchOpen, m.keys.SearchCancel, m.keys.SearchLeave}}
}

// Update handles search typing, list movement and reading.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		if m.typing {
			var cmd tea.Cmd
			m.search, cmd = m.search.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	if m.typing {
		switch {
		case key.Matches(k, m.keys.SearchCancel):
			m.setTyping(false)
			m.search.SetValue("")
			m.refilter()
			return m, nil
		case key.Matches(k, m.keys.SearchOpen, m.keys.SearchLeave):
			open := key.Matches(k, m.keys.SearchOpen) // before the keys switch off
			m.setTyping(false)
			if open {
				m.openSelected()
			}
			return m, nil
		}
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(k)
		m.refilter()
		return m, cmd
	}
	if m.open != nil {
		switch {
		case key.Matches(k, m.keys.Back):
			m.open = nil
		default:
			// The scroll cursor is the top line: it ranges over the
			// positions that still fill the pane.
			m.scroll.Handle(k, m.keys.NavKeys, max(len(m.lines)-m.h+1, 1), 1)
		}
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Search):
		m.setTyping(true)
		return m, m.search.Focus()
	case key.Matches(k, m.keys.Open):
		m.openSelected()
	case key.Matches(k, m.keys.Back):
		m.search.SetValue("")
		m.refilter()
	default:
		m.cursor.Handle(k, m.keys.NavKeys, len(m.matches), m.listRows())
	}
	return m, nil
}

// setTyping switches the search field; its keys are enabled only while it
// has focus, so they neither route nor show in help otherwise.
func (m *Model) setTyping(on bool) {
	m.typing = on
	m.keys.SearchOpen.SetEnabled(on)
	m.keys.SearchCancel.SetEnabled(on)
	m.keys.SearchLeave.SetEnabled(on)
	if !on {
		m.search.Blur()
	}
}

func (m *Model) refilter() {
	m.matches = m.index.Search(m.search.Value())
	m.cursor = common.Cursor{}
}

func (m *Model) openSelected() {
	if m.cursor.Pos < len(m.matches) {
		rb := m.matches[m.cursor.Pos].Runbook
		m.open = &rb
		m.scroll = common.Cursor{}
		m.wrap()
	}
}

func (m *Model) wrap() {
	if m.open == nil || m.w <= 0 {
		return
	}
	text := sanitize.Text(m.open.Body) + "\n\n(steps run in place with the runbooks issue; for now, read them here)"
	m.lines = strings.Split(ansi.Wrap(text, m.w, ""), "\n")
}

func (m *Model) listRows() int { return max((m.h-2)/2, 1) }

// View renders the search line and the ranked list, or the open runbook.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	if m.open != nil {
		start := min(m.scroll.Pos, max(len(m.lines)-m.h, 0))
		end := min(start+m.h, len(m.lines))
		return strings.Join(m.lines[start:end], "\n")
	}
	var b strings.Builder
	if m.typing || m.search.Value() != "" {
		b.WriteString(m.search.View() + "\n")
	} else {
		b.WriteString(st.Muted.Render(fmt.Sprintf("%d runbooks · / to search", len(m.index.All()))) + "\n")
	}
	if len(m.matches) == 0 {
		b.WriteString(st.Muted.Render("no runbook matches"))
		return b.String()
	}
	b.WriteString("\n")
	cur := m.cursor // a copy: drawing never moves the cursor
	start, end := cur.Window(len(m.matches), m.listRows())
	for i := start; i < end; i++ {
		rb := m.matches[i].Runbook
		title := common.Truncate(sanitize.Line(rb.Title), m.w-2)
		sym := st.Muted.Render(common.Truncate("  "+sanitize.Line(strings.Join(rb.Symptoms, " · ")), m.w))
		if i == cur.Pos {
			b.WriteString(st.Table.Selected.Render(common.Pad("▸ "+title, m.w)) + "\n" + sym + "\n")
		} else {
			b.WriteString("  " + title + "\n" + sym + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
