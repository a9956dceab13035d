package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"

	"github.com/warroom-dev/warroom/internal/sanitize"
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

// runActionMsg asks the shell to run the palette's choice: the very item
// chosen, not one looked up again by name (the panes' offers follow their
// selection, which may have moved since the palette opened).
type runActionMsg struct{ run func(m *Model) tea.Cmd }

func (m *Model) actions() []action {
	as := []action{
		{"Add a note to the timeline", m.keys.Note.Help().Key, (*Model).noteDialog},
		{"Zoom the focused pane", m.keys.Zoom.Help().Key, (*Model).toggleZoom},
		{"Show all keys (help)", m.keys.Help.Help().Key, (*Model).openHelp},
		{"Redraw the screen", m.keys.Redraw.Help().Key, func(*Model) tea.Cmd { return tea.ClearScreen }},
		{"Quit", m.keys.Quit.Help().Key, (*Model).quit},
	}
	if len(m.running) > 0 {
		as = append([]action{{"Show the running action", "", (*Model).showRunning}}, as...)
	}
	// What the panes offer for their selection, the focused pane's first.
	order := append([]int{m.focus}, m.others()...)
	var offers []action
	for _, i := range order {
		o, ok := m.panes[i].Pane.(common.Offerer)
		if !ok {
			continue
		}
		for _, of := range o.Offers() {
			cmd := of.Cmd
			offers = append(offers, action{of.Name, of.Key, func(*Model) tea.Cmd { return cmd }})
		}
	}
	as = append(offers, as...)
	for i, p := range m.panes {
		i := i
		as = append(as, action{fmt.Sprintf("Go to %s", p.Pane.Title()), fmt.Sprint(i + 1), func(m *Model) tea.Cmd { m.setFocus(i); return nil }})
	}
	return as
}

// others are the pane indexes other than the focused one, in order.
func (m *Model) others() []int {
	var out []int
	for i := range m.panes {
		if i != m.focus {
			out = append(out, i)
		}
	}
	return out
}

type paletteModal struct {
	st      *styles.Styles
	keys    DialogKeyMap
	input   textinput.Model
	all     []action
	matches []action
	sel     int
	w, h    int
}

func (p *paletteModal) SetSize(w, h int) {
	p.w, p.h = w, h
	p.input.Width = p.inner() - 3
	p.sel = min(p.sel, max(p.visible()-1, 0))
}

func (p *paletteModal) inner() int { return min(max(p.w-8, 20), 60) }

// visible is how many matches the dialog can show: the selection never
// moves onto a row that is not drawn.
func (p *paletteModal) visible() int { return max(min(len(p.matches), p.h-6), 0) }

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
			run := p.matches[p.sel].run
			return p, func() tea.Msg { return runActionMsg{run: run} }, true
		}
		return p, nil, false
	case key.Matches(k, p.keys.Prev):
		p.sel = max(p.sel-1, 0)
		return p, nil, false
	case key.Matches(k, p.keys.Next):
		p.sel = min(p.sel+1, max(p.visible()-1, 0))
		return p, nil, false
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	p.filter()
	return p, cmd, false
}

func (p *paletteModal) View(width, height int) string {
	inner := p.inner()
	var b strings.Builder
	b.WriteString(p.input.View() + "\n")
	rows := p.visible()
	for i := 0; i < rows; i++ {
		a := p.matches[i]
		line := common.Pad(sanitize.Line(a.name), inner-8) + p.st.Muted.Render(common.PadLeft(a.key, 8))
		if i == p.sel {
			line = p.st.Table.Selected.Render(common.Pad(sanitize.Line(a.name), inner-8)) + p.st.Muted.Render(common.PadLeft(a.key, 8))
		}
		b.WriteString(line + "\n")
	}
	if len(p.matches) == 0 {
		b.WriteString(p.st.Muted.Render("no action matches") + "\n")
	}
	b.WriteString(p.st.Dialog.Hint.Render(common.Truncate(hints(relabel(p.keys.Submit, "run"), relabel(p.keys.Next, "next"), relabel(p.keys.Close, "close")), inner)))
	return p.st.Dialog.Box.Width(inner + p.st.Dialog.Box.GetHorizontalPadding()).Render(b.String())
}
