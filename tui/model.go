// Package tui is the shell: it lays out the panes, routes keys and
// messages, keeps the modal stack, and draws the status bar. Panes own
// their behaviour; the shell only arranges and routes.
package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// Layout thresholds: at or above both the grid is shown, below it one
// focused pane with tabs.
const (
	GridMinWidth  = 120
	GridMinHeight = 36
	MinWidth      = 40
	MinHeight     = 10
)

// Pane indexes, in the order of the 1–6 keys.
const (
	PanePods = iota
	PaneErrors
	PaneQueries
	PaneEscalation
	PaneRunbook
	PaneTimeline
	paneCount
)

// Options configure the shell.
type Options struct {
	Common      common.Common
	Panes       [paneCount]common.Pane
	Events      []incident.Event // the journal as it was when the console started
	JournalPath string
	// Resume is the command line that resumes this session, for the quit dialog.
	Resume string
	// Notice, if set, is shown in the status line at start (e.g. a torn
	// journal line that was skipped).
	Notice string
	// Init commands to run at start (e.g. the drill's script).
	Init []tea.Cmd
}

type tickMsg struct{ id int64 }

// Model is the root model.
type Model struct {
	c           common.Common
	keys        KeyMap
	dialogKeys  DialogKeyMap
	help        help.Model
	panes       [paneCount]common.Pane
	focus       int
	zoom        bool
	modals      []modal
	width       int
	height      int
	session     incident.Session
	journalPath string
	resume      string
	flash       string
	flashErr    bool
	flashAt     time.Time
	id          int64
	init        []tea.Cmd
}

// New builds the shell.
func New(o Options) *Model {
	h := help.New()
	h.Styles.ShortKey = o.Common.Styles.Help.Key
	h.Styles.ShortDesc = o.Common.Styles.Muted
	h.Styles.ShortSeparator = o.Common.Styles.Muted
	h.Styles.Ellipsis = o.Common.Styles.Muted
	m := &Model{
		c:           o.Common,
		keys:        DefaultKeyMap(),
		dialogKeys:  DefaultDialogKeyMap(),
		help:        h,
		panes:       o.Panes,
		session:     incident.Fold(o.Events),
		journalPath: o.JournalPath,
		resume:      o.Resume,
		id:          time.Now().UnixNano(),
		init:        o.Init,
	}
	if o.Notice != "" {
		m.setFlash(o.Notice, true)
	}
	return m
}

// Init starts every pane and the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tick()}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	cmds = append(cmds, m.init...)
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	id := m.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{id: id} })
}

// Focused is the index of the focused pane.
func (m *Model) Focused() int { return m.focus }

// Session is the incident as the shell knows it.
func (m *Model) Session() incident.Session { return m.session }

// Update routes: size to layout; keys to the top modal, else the focused
// pane, else the global map; everything else to every pane (results carry
// their owner's tag).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tickMsg:
		if msg.id != m.id {
			return m, nil
		}
		if m.flash != "" && m.c.Now().Sub(m.flashAt) > m.flashTTL() {
			m.flash = ""
		}
		return m, m.tick()
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, nil
	case common.ConfirmRequest:
		if msg.Destructive && m.c.Mode.ReadOnly {
			m.setFlash("read-only session: \""+msg.Title+"\" is not possible (restart without --read-only to act)", true)
			return m, nil
		}
		m.modals = append(m.modals, &confirmModal{st: m.c.Styles, keys: m.dialogKeys, req: msg, mode: m.c.Mode})
		return m, nil
	case common.InputRequest:
		if len(msg.Fields) == 0 {
			return m, nil
		}
		m.modals = append(m.modals, newInputModal(m.c.Styles, m.dialogKeys, msg))
		return m, nil
	case runActionMsg:
		return m, m.runAction(msg.name)
	case common.FlashMsg:
		m.setFlash(msg.Text, msg.Error)
		return m, nil
	case common.EventMsg:
		if msg.Err != nil {
			m.setFlash("JOURNAL WRITE FAILED — event not recorded: "+msg.Err.Error(), true)
			return m, nil
		}
		m.session = incident.Fold(append(m.session.Events, msg.Event))
	}
	return m, m.broadcast(msg)
}

func (m *Model) flashTTL() time.Duration {
	if m.flashErr {
		return 15 * time.Second
	}
	return 5 * time.Second
}

func (m *Model) setFlash(text string, isErr bool) {
	// Flashes carry backend errors: outside text, drawn only sanitized.
	m.flash, m.flashErr, m.flashAt = sanitize.Line(text), isErr, m.c.Now()
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.panes))
	for i, p := range m.panes {
		var cmd tea.Cmd
		m.panes[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	if n := len(m.modals); n > 0 {
		top, cmd, done := m.modals[n-1].Update(k)
		if done {
			m.modals = m.modals[:n-1]
		} else {
			m.modals[n-1] = top
		}
		return cmd
	}
	if !m.flashErr {
		m.flash = ""
	}
	p := m.panes[m.focus]
	if p.Capturing() || matchesAny(k, p) {
		var cmd tea.Cmd
		m.panes[m.focus], cmd = p.Update(k)
		return cmd
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Next):
		m.setFocus(m.focus + 1)
	case key.Matches(k, m.keys.Prev):
		m.setFocus(m.focus - 1)
	case key.Matches(k, m.keys.Jump):
		m.setFocus(int(k.Runes[0] - '1'))
	case key.Matches(k, m.keys.Zoom):
		return m.toggleZoom()
	case key.Matches(k, m.keys.Help):
		return m.openHelp()
	case key.Matches(k, m.keys.Palette):
		m.modals = append(m.modals, newPalette(m.c.Styles, m.dialogKeys, m.actions()))
	case key.Matches(k, m.keys.Redraw):
		return tea.ClearScreen
	case key.Matches(k, m.keys.Note):
		return m.noteDialog()
	}
	return nil
}

func matchesAny(k tea.KeyMsg, km help.KeyMap) bool {
	for _, col := range km.FullHelp() {
		if key.Matches(k, col...) {
			return true
		}
	}
	return false
}

func (m *Model) setFocus(i int) {
	m.focus = (i + paneCount) % paneCount
	m.flash = ""
	m.layout()
}

func (m *Model) quit() tea.Cmd {
	if !m.session.Open() {
		return tea.Quit
	}
	lines := []string{"Close the console. The incident stays open; nothing is lost."}
	if m.journalPath != "" {
		lines = append(lines, "Journal: "+m.journalPath)
	}
	if m.resume != "" {
		lines = append(lines, "Resume:  "+m.resume)
	}
	return common.Confirm(common.ConfirmRequest{
		Title:     fmt.Sprintf("Quit while %s %q is still open?", m.session.Severity, m.session.Title),
		Lines:     lines,
		OnConfirm: tea.Quit,
	})
}

func (m *Model) noteDialog() tea.Cmd {
	c := m.c
	return common.Input(common.InputRequest{
		Title:  "Add a note to the timeline",
		Fields: []common.Field{{Name: "note", Label: "Note", Placeholder: "what you saw, did or decided", Validate: nonEmpty}},
		OnSubmit: func(v map[string]string) tea.Cmd {
			return c.Record(incident.KindNote, v["note"], "")
		},
	})
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func (m *Model) toggleZoom() tea.Cmd {
	m.zoom = !m.zoom
	m.layout()
	return nil
}

func (m *Model) openHelp() tea.Cmd {
	m.modals = append(m.modals, m.helpModal())
	return nil
}

func (m *Model) helpModal() modal {
	secs := []helpSection{{title: "Global", keys: m.keys}}
	for i, p := range m.panes {
		secs = append(secs, helpSection{title: fmt.Sprintf("%d %s", i+1, p.Title()), keys: p})
	}
	secs = append(secs, helpSection{title: "Dialogs", keys: m.dialogKeys})
	return &helpModal{st: m.c.Styles, keys: m.dialogKeys, sections: secs, close: key.NewBinding(key.WithKeys("?", "q"))}
}

// ---- layout -------------------------------------------------------------------

type rect struct{ w, h int }

// grid reports whether the full grid fits.
func (m *Model) grid() bool {
	return m.width >= GridMinWidth && m.height >= GridMinHeight && !m.zoom
}

func (m *Model) sizes() (sidebar, colA, colB, rowTop, rowBot, strip int) {
	sidebar = min(max(m.width/4, 30), 48)
	left := m.width - sidebar
	colA = left / 2
	colB = left - colA
	strip = 8
	if m.height >= 48 {
		strip = 10
	}
	gridH := m.height - 2 - strip
	rowTop = gridH / 2
	rowBot = gridH - rowTop
	return
}

func (m *Model) rects() [paneCount]rect {
	var r [paneCount]rect
	if m.grid() {
		sb, a, b, top, bot, strip := m.sizes()
		r[PanePods] = rect{a, top}
		r[PaneErrors] = rect{b, top}
		r[PaneQueries] = rect{a, bot}
		r[PaneEscalation] = rect{b, bot}
		r[PaneRunbook] = rect{sb, top + bot}
		r[PaneTimeline] = rect{m.width, strip}
		return r
	}
	h := m.height - 3 // status, tabs, footer
	if m.zoom {
		h = m.height - 2
	}
	for i := range r {
		r[i] = rect{m.width, h}
	}
	return r
}

func (m *Model) layout() {
	if m.width == 0 {
		return
	}
	for i, r := range m.rects() {
		m.panes[i].SetSize(max(r.w-2, 0), max(r.h-2, 0))
	}
}

// ---- view ---------------------------------------------------------------------

// View draws the screen: exactly width x height cells, no wrapping.
func (m *Model) View() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.width < MinWidth || m.height < MinHeight {
		msg := fmt.Sprintf("terminal too small: %dx%d (need %dx%d) — enlarge it, or q to quit", m.width, m.height, MinWidth, MinHeight)
		return strings.Join(common.Fit(ansi.Hardwrap(msg, m.width, true), m.width, m.height), "\n")
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, m.statusBar())
	rects := m.rects()
	pane := func(i int) []string {
		r := rects[i]
		title := fmt.Sprintf("%d %s", i+1, m.panes[i].Title())
		return frame(m.c.Styles, title, m.panes[i].View(), r.w, r.h, i == m.focus)
	}
	switch {
	case m.grid():
		left := append(pane(PanePods), pane(PaneQueries)...)
		mid := append(pane(PaneErrors), pane(PaneEscalation)...)
		lines = append(lines, joinColumns(left, mid, pane(PaneRunbook))...)
		lines = append(lines, pane(PaneTimeline)...)
	case m.zoom:
		lines = append(lines, pane(m.focus)...)
	default:
		lines = append(lines, m.tabs())
		lines = append(lines, pane(m.focus)...)
	}
	lines = append(lines, m.footer())
	for i := range lines {
		lines[i] = common.Pad(lines[i], m.width)
	}
	if n := len(m.modals); n > 0 {
		lines = overlay(lines, m.modals[n-1].View(m.width, m.height), m.width)
	}
	return strings.Join(lines, "\n")
}

// tabNames are short, fixed labels so six tabs fit in 80 columns.
var tabNames = [paneCount]string{"Pods", "Errors", "Queries", "Escalation", "Runbooks", "Timeline"}

func (m *Model) tabs() string {
	st := m.c.Styles
	var parts []string
	for i := range m.panes {
		label := fmt.Sprintf("%d %s", i+1, tabNames[i])
		if i == m.focus {
			parts = append(parts, st.Tabs.Active.Render(label))
		} else {
			parts = append(parts, st.Tabs.Inactive.Render(label))
		}
	}
	return common.Truncate(" "+strings.Join(parts, "  "), m.width)
}

func (m *Model) footer() string {
	st := m.c.Styles
	if m.flash != "" {
		if m.flashErr {
			return st.Status.FlashError.Render(common.Truncate(" ✖ "+m.flash, m.width))
		}
		return st.Status.Flash.Render(common.Truncate(" "+m.flash, m.width))
	}
	m.help.Width = m.width - 1
	short := append(m.panes[m.focus].ShortHelp(), m.keys.ShortHelp()...)
	return " " + m.help.ShortHelpView(short)
}

func (m *Model) statusBar() string {
	st := m.c.Styles
	now := m.c.Now()
	s := m.session
	sep := st.Muted.Render(" │ ")
	var left []string
	if s.Declared.IsZero() {
		left = append(left, st.Muted.Render("no incident declared"))
	} else {
		sev := st.Status.Severity[int(s.Severity)%4].Render(" " + s.Severity.String() + " " + s.Severity.Name() + " ")
		left = append(left, sev, st.Status.Title.Render(sanitize.Line(s.Title)))
		clock := "⏱ " + common.Duration(s.Elapsed(now))
		if !s.Resolved.IsZero() {
			clock += " resolved"
		}
		left = append(left, st.Status.Clock.Render(clock))
	}
	left = append(left, st.Muted.Render("@"+sanitize.Line(m.c.Actor)))
	var badges []string
	if m.c.Mode.Drill {
		badges = append(badges, st.Status.Badge.Render(" DRILL "))
	}
	if m.c.Mode.ReadOnly {
		badges = append(badges, st.Status.Badge.Render(" READ-ONLY "))
	}
	if m.c.Mode.DryRun {
		badges = append(badges, st.Status.Badge.Render(" DRY-RUN "))
	}
	var dots []string
	for _, p := range m.panes {
		for _, b := range p.Backends() {
			dots = append(dots, st.Muted.Render(b.Name)+common.Dot(st, b.State))
		}
	}
	right := strings.Join(badges, " ")
	if len(dots) > 0 {
		right += " " + strings.Join(dots, " ")
	}
	l := " " + strings.Join(left, sep)
	// The right side (modes, backend health) must always show: cut the title first.
	rw := ansi.StringWidth(right) + 1
	lw := m.width - rw - 1
	if lw < 10 {
		return common.Truncate(right, m.width)
	}
	return common.Pad(l, lw) + " " + right
}

// Pane returns pane i (for tests and documentation checks).
func (m *Model) Pane(i int) common.Pane { return m.panes[i] }
