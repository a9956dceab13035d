package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"

	"github.com/warroom-dev/warroom/incident"
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
		{"Export the incident report and communication drafts", m.keys.Export.Help().Key, (*Model).exportDialog},
		{"Report: add a lesson learned", "", func(m *Model) tea.Cmd {
			return m.addSectionNote(incident.SectionLessons, "Add a lesson learned to the report", "Lesson learned (what went well, what could be improved)")
		}},
		{"Report: add an action item", "", func(m *Model) tea.Cmd {
			return m.addSectionNote(incident.SectionAction, "Add an action item to the report", "Action item (what, who, by when)")
		}},
		{"Zoom the focused pane", m.keys.Zoom.Help().Key, (*Model).toggleZoom},
		{"Show all keys (help)", m.keys.Help.Help().Key, (*Model).openHelp},
		{"Redraw the screen", m.keys.Redraw.Help().Key, func(*Model) tea.Cmd { return tea.ClearScreen }},
		{"Quit", m.keys.Quit.Help().Key, (*Model).quit},
	}
	if len(m.running) > 0 {
		as = append([]action{{"Show the running action", "", (*Model).showRunning}}, as...)
	}
	if m.share != nil {
		as = append(as, action{"Shared timeline: who is in, and its state", "", (*Model).showShare})
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
	if m.jh.err != "" {
		// First while it fails: the footer points here for the whole reason.
		as = append([]action{{"Show why the journal is failing", "", (*Model).showJournal}}, as...)
	}
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
	cur     common.Cursor // the selection, and the window of rows shown with it
	w, h    int
}

func (p *paletteModal) SetSize(w, h int) {
	p.w, p.h = w, h
	p.input.Width = max(p.inner()-3, 1)
	p.cur.Clamp(len(p.matches), p.rows())
}

func (p *paletteModal) inner() int { return dialogInner(p.w, 60) }

// rows is how many matches the dialog shows at its size: the list scrolls
// with the selection, so the selected row is always one of them.
func (p *paletteModal) rows() int {
	return max(p.dialog(nil).bodyRows(p.st.Dialog.Box, p.inner(), p.h), 1)
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
	p.cur = common.Cursor{}
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
		if p.cur.Pos < len(p.matches) {
			run := p.matches[p.cur.Pos].run
			return p, func() tea.Msg { return runActionMsg{run: run} }, true
		}
		return p, nil, false
	case key.Matches(k, p.keys.Prev):
		p.cur.Pos--
		p.cur.Clamp(len(p.matches), p.rows())
		return p, nil, false
	case key.Matches(k, p.keys.Next):
		p.cur.Pos++
		p.cur.Clamp(len(p.matches), p.rows())
		return p, nil, false
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	p.filter()
	p.cur.Clamp(len(p.matches), p.rows())
	return p, cmd, false
}

// dialog lays the palette out; with rows nil it has one placeholder line
// per match (enough to size it).
func (p *paletteModal) dialog(rows []string) dialogLayout {
	if rows == nil {
		rows = make([]string, max(len(p.matches), 1))
	}
	return dialogLayout{
		head: []string{common.Pad(p.input.View(), p.inner())},
		body: rows,
		off:  p.cur.Off,
		hint: hints(relabel(p.keys.Submit, "run"), relabel(p.keys.Next, "next"), relabel(p.keys.Close, "close")),
	}
}

func (p *paletteModal) View(width, height int) string {
	inner := p.inner()
	rows := make([]string, 0, len(p.matches))
	for i, a := range p.matches {
		keyW := min(8, inner/4)
		name := sanitize.Line(a.name)
		hint := p.st.Muted.Render(common.PadLeft(sanitize.Line(a.key), keyW))
		if i == p.cur.Pos {
			// A marker as well as reverse video: the selection shows
			// without colour too.
			rows = append(rows, p.st.Table.Selected.Render(common.Pad("▸ "+name, inner-keyW))+hint)
			continue
		}
		rows = append(rows, common.Pad("  "+name, inner-keyW)+hint)
	}
	if len(p.matches) == 0 {
		rows = append(rows, p.st.Muted.Render("no action matches"))
	}
	return p.dialog(rows).render(p.st, p.st.Dialog.Box, inner, height)
}
