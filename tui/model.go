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
	"github.com/warroom-dev/warroom/probes"
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

// Place is where a pane sits in the grid layout.
type Place int

const (
	// PlaceGrid panes fill the main area two to a row, in list order.
	PlaceGrid Place = iota
	// PlaceSidebar is the column at the right, the grid's height.
	PlaceSidebar
	// PlaceStrip is the band across the bottom.
	PlaceStrip
)

// PaneSpec is one pane of the shell: the pane, its short tab label, and
// where it sits in the grid. The list's order is the order of the tabs and
// of the jump keys 1–9.
type PaneSpec struct {
	Pane  common.Pane
	Tab   string
	Place Place
}

// Options configure the shell.
type Options struct {
	Common      common.Common
	Panes       []PaneSpec
	Session     incident.Session // the incident as the journal had it at start
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
	panes       []PaneSpec
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
	running     []*running // actions executing now
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
		keys:        DefaultKeyMap(len(o.Panes)),
		dialogKeys:  DefaultDialogKeyMap(),
		help:        h,
		panes:       o.Panes,
		session:     o.Session,
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
		cmds = append(cmds, p.Pane.Init())
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
// pane, else the global map; actions to the one action path; everything
// else to the top modal and to every pane (results carry their owner's tag).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		for _, md := range m.modals {
			md.SetSize(m.width, m.height)
		}
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
		m.pushModal(&confirmModal{st: m.c.Styles, keys: m.dialogKeys, c: confirmation{
			title: msg.Title, lines: msg.Lines, onConfirm: msg.OnConfirm, onCancel: msg.OnCancel}})
		return m, nil
	case common.ActionRequest:
		return m, m.requestAction(msg.Action)
	case confirmedAction:
		return m, m.startAction(msg.action)
	case notExecutedMsg:
		return m, tea.Batch(m.recorded(msg.recorded), m.broadcast(msg.done))
	case probes.StreamMsg[runUpdate]:
		return m, m.actionUpdate(msg)
	case common.InputRequest:
		if len(msg.Fields) == 0 {
			return m, nil
		}
		m.pushModal(newInputModal(m.c.Styles, m.dialogKeys, msg))
		return m, nil
	case runActionMsg:
		return m, msg.run(m)
	case quitMsg:
		if len(m.running) > 0 {
			m.setFlash("cancelling the running actions before closing…", false)
			return m, m.stopAll()
		}
		return m, tea.Quit
	case common.FlashMsg:
		m.setFlash(msg.Text, msg.Error)
		return m, nil
	case common.EventMsg:
		return m, m.recorded(msg)
	}
	var cmd tea.Cmd
	if n := len(m.modals); n > 0 {
		// Non-key messages reach the open dialog too (progress into it).
		var done bool
		var top modal
		top, cmd, done = m.modals[n-1].Update(msg)
		if done {
			m.modals = m.modals[:n-1]
		} else {
			m.modals[n-1] = top
		}
	}
	return m, tea.Batch(cmd, m.broadcast(msg))
}

// recorded folds an appended event into the incident, once, and hands the
// panes the event with the incident as it now stands.
func (m *Model) recorded(msg common.EventMsg) tea.Cmd {
	if msg.Err != nil {
		m.setFlash("JOURNAL WRITE FAILED — event not recorded: "+msg.Err.Error(), true)
		return nil
	}
	m.session.Apply(msg.Event)
	msg.Session = m.session
	return m.broadcast(msg)
}

func (m *Model) pushModal(md modal) {
	md.SetSize(m.width, m.height)
	m.modals = append(m.modals, md)
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
		m.panes[i].Pane, cmd = p.Pane.Update(msg)
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
	p := m.panes[m.focus].Pane
	if p.Capturing() || matchesAny(k, p) {
		var cmd tea.Cmd
		m.panes[m.focus].Pane, cmd = p.Update(k)
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
		m.pushModal(newPalette(m.c.Styles, m.dialogKeys, m.actions()))
	case key.Matches(k, m.keys.Running):
		return m.showRunning()
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
	n := len(m.panes)
	m.focus = (i%n + n) % n
	m.flash = ""
	m.layout()
}

// quitMsg is the quit dialog's yes: running actions are cancelled and
// their outcomes recorded before the program ends.
type quitMsg struct{}

func (m *Model) quit() tea.Cmd {
	if !m.session.Open() && len(m.running) == 0 {
		return tea.Quit
	}
	var lines []string
	title := "Quit?"
	if m.session.Open() {
		title = fmt.Sprintf("Quit while %s %q is still open?", m.session.Severity, m.session.Title)
		lines = append(lines, "Close the console. The incident stays open; nothing is lost.")
	}
	for _, r := range m.running {
		lines = append(lines, "Still running, will be cancelled: "+r.action.Title)
	}
	if m.journalPath != "" {
		lines = append(lines, "Journal: "+m.journalPath)
	}
	if m.resume != "" {
		lines = append(lines, "Resume:  "+m.resume)
	}
	return common.Confirm(common.ConfirmRequest{
		Title:     title,
		Lines:     lines,
		OnConfirm: func() tea.Msg { return quitMsg{} },
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
	m.pushModal(m.helpModal())
	return nil
}

func (m *Model) helpModal() modal {
	secs := []helpSection{{title: "Global", keys: m.keys}}
	for i, p := range m.panes {
		secs = append(secs, helpSection{title: fmt.Sprintf("%d %s", i+1, p.Pane.Title()), keys: p.Pane})
	}
	secs = append(secs, helpSection{title: "Dialogs", keys: m.dialogKeys})
	return &helpModal{st: m.c.Styles, keys: m.dialogKeys, sections: secs, close: key.NewBinding(key.WithKeys("?", "q"), key.WithHelp("?/q", "close"))}
}

// ---- layout -------------------------------------------------------------------

// grid reports whether the full grid fits.
func (m *Model) grid() bool {
	return m.width >= GridMinWidth && m.height >= GridMinHeight && !m.zoom
}

// cell is one pane's place on screen, frame included.
type cell struct{ w, h int }

// gridCols lays out the grid: two columns of PlaceGrid panes (list order,
// row by row), the sidebar at the right, the strip below. It returns each
// pane's cell and the columns as lists of pane indexes, top to bottom.
func (m *Model) gridCols() (cells []cell, cols [][]int, strip int) {
	cells = make([]cell, len(m.panes))
	var grid []int
	sidebar, strip := -1, -1
	for i, p := range m.panes {
		switch {
		case p.Place == PlaceSidebar && sidebar < 0:
			sidebar = i
		case p.Place == PlaceStrip && strip < 0:
			strip = i
		default:
			grid = append(grid, i)
		}
	}
	sbW := 0
	if sidebar >= 0 {
		sbW = min(max(m.width/4, 30), 48)
	}
	stripH := 0
	if strip >= 0 {
		stripH = 8
		if m.height >= 48 {
			stripH = 10
		}
		cells[strip] = cell{m.width, stripH}
	}
	gridH := m.height - 2 - stripH // status bar, footer
	left := m.width - sbW
	widths := []int{left / 2, left - left/2}
	if len(grid) == 1 {
		widths = []int{left}
	}
	cols = make([][]int, len(widths))
	for n, i := range grid {
		cols[n%len(widths)] = append(cols[n%len(widths)], i)
	}
	for c, col := range cols {
		for r, i := range col {
			h := gridH / len(col)
			if r == len(col)-1 {
				h = gridH - h*(len(col)-1)
			}
			cells[i] = cell{widths[c], h}
		}
	}
	if sidebar >= 0 {
		cells[sidebar] = cell{sbW, gridH}
		cols = append(cols, []int{sidebar})
	}
	return cells, cols, strip
}

func (m *Model) cells() []cell {
	if m.grid() {
		cells, _, _ := m.gridCols()
		return cells
	}
	h := m.height - 3 // status, tabs, footer
	if m.zoom {
		h = m.height - 2
	}
	cells := make([]cell, len(m.panes))
	for i := range cells {
		cells[i] = cell{m.width, h}
	}
	return cells
}

func (m *Model) layout() {
	if m.width == 0 {
		return
	}
	m.help.Width = m.width - 1 // the footer's
	fw, fh := m.c.Styles.Frame.Box.GetHorizontalFrameSize(), m.c.Styles.Frame.Box.GetVerticalFrameSize()
	for i, c := range m.cells() {
		m.panes[i].Pane.SetSize(max(c.w-fw, 0), max(c.h-fh, 0))
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
	cells := m.cells()
	pane := func(i int) []string {
		c := cells[i]
		title := fmt.Sprintf("%d %s", i+1, m.panes[i].Pane.Title())
		return frame(m.c.Styles, title, m.panes[i].Pane.View(), c.w, c.h, i == m.focus)
	}
	switch {
	case m.grid():
		_, cols, strip := m.gridCols()
		blocks := make([][]string, len(cols))
		for c, col := range cols {
			for _, i := range col {
				blocks[c] = append(blocks[c], pane(i)...)
			}
		}
		lines = append(lines, joinColumns(blocks...)...)
		if strip >= 0 {
			lines = append(lines, pane(strip)...)
		}
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

func (m *Model) tabs() string {
	st := m.c.Styles
	var parts []string
	for i := range m.panes {
		label := fmt.Sprintf("%d %s", i+1, m.panes[i].Tab)
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
	short := append(m.panes[m.focus].Pane.ShortHelp(), m.keys.ShortHelp()...)
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
		sev := common.SeverityBadge(st, s.Severity)
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
	if r := m.runningBadge(now); r != "" {
		badges = append(badges, st.Status.Badge.Render(" "+sanitize.Line(r)+" "))
	}
	for _, p := range m.panes {
		for _, b := range p.Pane.Backends() {
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
func (m *Model) Pane(i int) common.Pane { return m.panes[i].Pane }

// Panes is how many panes the shell has.
func (m *Model) Panes() int { return len(m.panes) }
