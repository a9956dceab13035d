package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"

	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// action is something the palette can do; run executes on the UI
// goroutine (it may only change the model or return Cmds).
type action struct {
	name string
	key  string
	run  func(m *Model) tea.Cmd
}

// runActionMsg asks the shell to run the palette's choice.
type runActionMsg struct{ name string }

func (m *Model) actions() []action {
	as := []action{
		{"Add a note to the timeline", m.keys.Note.Help().Key, (*Model).noteDialog},
		{"Zoom the focused pane", m.keys.Zoom.Help().Key, (*Model).toggleZoom},
		{"Show all keys (help)", m.keys.Help.Help().Key, (*Model).openHelp},
		{"Redraw the screen", m.keys.Redraw.Help().Key, func(*Model) tea.Cmd { return tea.ClearScreen }},
		{"Quit", m.keys.Quit.Help().Key, (*Model).quit},
	}
	for i, p := range m.panes {
		i := i
		as = append(as, action{fmt.Sprintf("Go to %s", p.Title()), fmt.Sprint(i + 1), func(m *Model) tea.Cmd { m.setFocus(i); return nil }})
	}
	return as
}

func (m *Model) runAction(name string) tea.Cmd {
	for _, a := range m.actions() {
		if a.name == name {
			return a.run(m)
		}
	}
	return nil
}

type paletteModal struct {
	st      *styles.Styles
	keys    DialogKeyMap
	input   textinput.Model
	all     []action
	matches []action
	sel     int
}

func newPalette(st *styles.Styles, keys DialogKeyMap, actions []action) *paletteModal {
	ti := textinput.New()
	ti.Prompt = ": "
	ti.Placeholder = "type to find an action"
	ti.Focus()
	p := &paletteModal{st: st, keys: keys, input: ti, all: actions}
	p.filter()
	return p
}

func (p *paletteModal) filter() {
	q := strings.TrimSpace(p.input.Value())
	p.sel = 0
	if q == "" {
		p.matches = p.all
		return
	}
	names := make([]string, len(p.all))
	for i, a := range p.all {
		names[i] = a.name
	}
	p.matches = p.matches[:0:0]
	for _, f := range fuzzy.Find(q, names) {
		p.matches = append(p.matches, p.all[f.Index])
	}
}

func (p *paletteModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil, false
	}
	switch {
	case key.Matches(k, p.keys.Close):
		return p, nil, true
	case key.Matches(k, p.keys.Submit):
		if p.sel < len(p.matches) {
			name := p.matches[p.sel].name
			return p, func() tea.Msg { return runActionMsg{name: name} }, true
		}
		return p, nil, false
	case key.Matches(k, p.keys.Prev):
		p.sel = max(p.sel-1, 0)
		return p, nil, false
	case key.Matches(k, p.keys.Next):
		p.sel = min(p.sel+1, max(len(p.matches)-1, 0))
		return p, nil, false
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	p.filter()
	return p, cmd, false
}

func (p *paletteModal) View(width, height int) string {
	inner := min(max(width-8, 20), 60)
	p.input.Width = inner - 3
	var b strings.Builder
	b.WriteString(p.input.View() + "\n")
	rows := max(min(len(p.matches), height-6), 0)
	for i := 0; i < rows; i++ {
		a := p.matches[i]
		line := common.Pad(a.name, inner-8) + p.st.Muted.Render(common.PadLeft(a.key, 8))
		if i == p.sel {
			line = p.st.Table.Selected.Render(common.Pad(a.name, inner-8)) + p.st.Muted.Render(common.PadLeft(a.key, 8))
		}
		b.WriteString(line + "\n")
	}
	if len(p.matches) == 0 {
		b.WriteString(p.st.Muted.Render("no action matches") + "\n")
	}
	b.WriteString(p.st.Dialog.Hint.Render("[enter] run   [↑/↓] choose   [esc] close"))
	return p.st.Dialog.Box.Width(inner + 2).Render(b.String())
}
