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
	"github.com/warroom-dev/warroom/incident/report"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
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
	// EvidenceAfter is how long after an action ends its evidence is
	// recorded (DefaultEvidenceAfter if zero).
	EvidenceAfter time.Duration
	// Report configures the report e writes beside the journal.
	Report report.Options
	// Awaiting are the actions whose evidence the journal lacks
	// (incident.AwaitingEvidence): this console takes it.
	Awaiting map[string]incident.Awaiting
	// Clipboard sets the terminal's clipboard (OSC 52 to the program's
	// output); nil: the drafts dialog cannot copy. It is called from a
	// Cmd, never from Update.
	Clipboard func(text string) error
	// Share is the shared timeline (nil: this console's alone): the
	// shell folds the other consoles' events and shows its dot.
	Share Share
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
	jh          *journalHealth
	// checkPending are the checklist items being written, by list.
	checkPending map[string]map[int]bool
	// vitals are the panes' latest vital signs; followups the actions
	// whose evidence is not recorded yet.
	vitals        *vitalsBoard
	followups     []followup
	evidenceAfter time.Duration
	reportOptions report.Options
	setClipboard  func(string) error
	// exporting is set while an export's dialog is open or its writes
	// run: a second one would record the same notes again.
	exporting bool
	// share is the shared timeline (nil: none); shareSt its state as the
	// last tick read it.
	share     Share
	shareSt   ShareStatus
	shareDown time.Time // when the share last started failing
	// shareLast is the state the last tick saw (Connecting at start: an
	// offline start is a loss on the timeline too).
	shareLast probes.State
	// shareLost: a "lost" is on the timeline without its "recovered".
	shareLost bool
	// shareRetry is the wait before the journal is asked again to take
	// a batch of the others' events it refused (0: it took the last).
	shareRetry time.Duration
	// started is when the shell was made.
	started time.Time
}

// journalHealth is the journal as the shell's last write found it. While
// it fails, the status bar says so and the footer gives the reason, until
// a write succeeds: a failing journal never goes quiet on its own.
type journalHealth struct {
	err   string    // why the last write failed (cleaned); "" while it writes
	since time.Time // the first failure of this run of failures
	lost  int       // events not recorded since
	path  string
	shown bool // its dialog opened by itself once in this run
}

// New builds the shell.
func New(o Options) *Model {
	h := help.New()
	h.Styles.ShortKey = o.Common.Styles.Help.Key
	h.Styles.ShortDesc = o.Common.Styles.Muted
	h.Styles.ShortSeparator = o.Common.Styles.Muted
	h.Styles.Ellipsis = o.Common.Styles.Muted
	m := &Model{
		c:             o.Common,
		keys:          DefaultKeyMap(len(o.Panes)),
		dialogKeys:    DefaultDialogKeyMap(),
		help:          h,
		panes:         o.Panes,
		session:       o.Session,
		journalPath:   o.JournalPath,
		resume:        o.Resume,
		id:            time.Now().UnixNano(),
		init:          o.Init,
		jh:            &journalHealth{path: o.JournalPath},
		vitals:        newVitalsBoard(),
		evidenceAfter: o.EvidenceAfter,
		reportOptions: o.Report,
		setClipboard:  o.Clipboard,
		share:         o.Share,
		started:       o.Common.Now(),
	}
	if m.share != nil {
		m.shareSt = m.share.Status()
		m.shareLast = probes.State{Status: probes.Connecting}
	}
	if m.evidenceAfter <= 0 {
		m.evidenceAfter = DefaultEvidenceAfter
	}
	m.followups = pendingEvidence(o.Awaiting, m.evidenceAfter, o.Common.Now())
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
	cmds = append(cmds, m.nextShared())
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
			md.SetSize(m.width, m.dialogHeight())
		}
		return m, nil
	case tickMsg:
		if msg.id != m.id {
			return m, nil
		}
		if m.flash != "" && m.c.Now().Sub(m.flashAt) > m.flashTTL() {
			m.flash = ""
		}
		return m, tea.Batch(m.tick(), m.dueEvidence(m.c.Now()), m.readShare())
	case sharedMsg:
		return m, m.shared(msg)
	case shareRetryMsg:
		return m, m.nextShared()
	case common.VitalsMsg:
		m.vitals.set(msg)
		return m, nil
	case exportMsg:
		return m, m.exported(msg)
	case evidenceMsg:
		return m, m.evidenceRecorded(msg)
	case copiedMsg:
		// To the dialog that asked, wherever it is on the stack.
		msg.dialog.Update(msg)
		return m, nil
	case tea.KeyMsg:
		if m.tooSmall() {
			return m, m.tooSmallKey(msg)
		}
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, nil
	case common.ConfirmRequest:
		m.pushModal(&confirmModal{st: m.c.Styles, keys: m.dialogKeys, c: confirmation{
			title: msg.Title, lines: msg.Lines, console: true, onConfirm: msg.OnConfirm, onCancel: msg.OnCancel}})
		return m, nil
	case common.ActionRequest:
		return m, m.requestAction(msg.Action)
	case common.CancelMsg:
		m.cancelAction(msg.ID)
		return m, nil
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
	case inputResultMsg:
		return m, m.inputResult(msg)
	case common.ChecklistRequest:
		return m, m.openChecklist(msg.List)
	case checklistResultMsg:
		return m, m.checklistResult(msg)
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
//
// A failed write is handed to the panes too (the session unchanged): the
// pane that asked for it knows it is not on disk and may try again.
func (m *Model) recorded(msg common.EventMsg) tea.Cmd {
	if msg.Err != nil {
		m.journalFailed(msg.Err, true)
		msg.Session = m.session
		return m.broadcast(msg)
	}
	m.journalWrites()
	m.session.Apply(msg.Event)
	m.showSession()
	msg.Session = m.session
	return m.broadcast(msg)
}

// journalFailed notes a failed write. The first failure of a run opens
// the journal dialog (the whole reason) if no other dialog is open; the
// badge and the footer stay until a write succeeds.
func (m *Model) journalFailed(err error, popup bool) {
	jh := m.jh
	if jh.err == "" {
		jh.since, jh.lost, jh.shown = m.c.Now(), 0, false
	}
	jh.err = incident.Clean(err.Error())
	jh.lost++
	m.setFlash("JOURNAL WRITE FAILED — event not recorded: "+jh.err, true)
	if popup && !jh.shown && len(m.modals) == 0 {
		jh.shown = true
		m.pushModal(m.journalModal())
	}
}

// journalWrites notes a successful write: a failing run is over.
func (m *Model) journalWrites() {
	if m.jh.err == "" {
		return
	}
	lost := m.jh.lost
	m.jh.err = ""
	m.setFlash(fmt.Sprintf("the journal is writing again (%d event(s) could not be recorded while it failed)", lost), false)
}

// inputResult is an input dialog's submit, done: a failed write keeps
// the dialog (and brings it back if it was hidden) with the text; anything
// else closes it and goes on as if the submit had returned it.
func (m *Model) inputResult(r inputResultMsg) tea.Cmd {
	if x, ok := r.msg.(exportMsg); ok && x.failed != nil {
		// Some notes may be on disk: folded now; the dialog stays, with
		// the write's error, and enter retries the rest.
		var cmds []tea.Cmd
		for _, ev := range x.recorded {
			cmds = append(cmds, m.recorded(ev))
		}
		r.msg = *x.failed
		return tea.Batch(append(cmds, m.inputResult(r))...)
	}
	if ev, ok := r.msg.(common.EventMsg); ok && ev.Err != nil {
		m.journalFailed(ev.Err, false)
		r.dialog.saveFailed(ev.Err)
		if !m.hasModal(r.dialog) {
			m.pushModal(r.dialog)
		}
		return nil
	}
	m.removeModal(r.dialog)
	var cmd tea.Cmd
	switch msg := r.msg.(type) {
	case nil:
	case common.EventMsg:
		cmd = m.recorded(msg)
	default:
		// A Batch or a Sequence is run by the program as a Cmd's result.
		cmd = func() tea.Msg { return msg }
	}
	if len(r.dialog.held) == 0 {
		return cmd
	}
	// Keys pressed while it saved are handled now, here, in order: a
	// fast typist's "n" or tab right after enter is not lost, and keys
	// still queued behind them cannot overtake them (as they could if
	// they were sent again through Cmds).
	held := r.dialog.held
	r.dialog.held = nil
	cmds := []tea.Cmd{cmd}
	for _, k := range held {
		_, c := m.Update(k)
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

func (m *Model) hasModal(md modal) bool {
	for _, x := range m.modals {
		if x == md {
			return true
		}
	}
	return false
}

func (m *Model) removeModal(md modal) {
	for i, x := range m.modals {
		if x == md {
			m.modals = append(m.modals[:i:i], m.modals[i+1:]...)
			return
		}
	}
}

// dialogHeight is the height a dialog may take: the screen less the
// status bar and the footer, which stay visible around it (the journal's
// badge, the severity and the clock never hide behind a dialog).
func (m *Model) dialogHeight() int { return max(m.height-2, 1) }

func (m *Model) pushModal(md modal) {
	md.SetSize(m.width, m.dialogHeight())
	m.modals = append(m.modals, md)
}

// tooSmall is true while the screen cannot be drawn: then no key acts,
// as nothing it did could be seen.
func (m *Model) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// tooSmallKey is the one key that works blind: ctrl+c quits (running
// actions are cancelled and recorded first). q does not: typed blind, in
// what was meant as a note, it would quit without its confirmation.
func (m *Model) tooSmallKey(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyCtrlC {
		return func() tea.Msg { return quitMsg{} }
	}
	return nil
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
			if in, ok := top.(*inputModal); ok && len(in.held) > 0 {
				// esc hid a dialog still saving: the keys held since its
				// enter go on now, before any key queued behind the esc.
				held := in.held
				in.held = nil
				cmds := []tea.Cmd{cmd}
				for _, hk := range held {
					_, c := m.Update(hk) // through Update: the too-small guard holds
					cmds = append(cmds, c)
				}
				return tea.Batch(cmds...)
			}
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
	case key.Matches(k, m.keys.Export):
		open := m.exportDialog() // nil while an export is under way
		if open == nil {
			return nil
		}
		_, cmd := m.Update(open())
		return cmd
	case key.Matches(k, m.keys.Note):
		// Opened now, not by a Cmd: text typed right after "n" is already
		// queued behind it and must land in the dialog, not on the console
		// (where "q", "z" or a digit would act).
		_, cmd := m.Update(m.noteDialog()())
		return cmd
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
	unsent, others := m.shareQuitState()
	if !m.session.Open() && len(m.running) == 0 && m.pendingFollowups() == 0 && unsent == 0 {
		return tea.Quit
	}
	var lines []string
	title := "Quit?"
	if m.session.Open() {
		title = "Quit while the incident is still open?"
		lines = append(lines, fmt.Sprintf("%s “%s”", severityText(m.session.Severity), sanitize.Line(m.session.Title)),
			"Close the console. The incident stays open; nothing is lost.")
		switch {
		case m.session.Acked.IsZero() && others > 0:
			lines = append(lines, fmt.Sprintf("Nobody acknowledged: the %d other console(s) in this incident go on paging up the ladder.", others))
		case m.session.Acked.IsZero():
			lines = append(lines, "Nobody acknowledged: no one is paged up the ladder until a console runs again.")
		}
	}
	if unsent > 0 {
		lines = append(lines, fmt.Sprintf("%d event(s) of this console are not on the shared timeline yet (the database does not answer): they are in the journal and go up when it is resumed with --share.", unsent))
	}
	for _, r := range m.running {
		lines = append(lines, "Still running, will be cancelled: "+sanitize.Line(r.action.Title))
	}
	if n := m.pendingFollowups(); n > 0 {
		lines = append(lines, fmt.Sprintf("%d action(s) wait for their evidence (the vital signs %s after it ended): a console started within the hour takes it, late.",
			n, m.evidenceAfter))
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

// severityText is a severity in words; an unknown one says so.
func severityText(sev incident.Severity) string {
	if !sev.Valid() {
		return "P? (unknown severity)"
	}
	return sev.String() + " " + sev.Name()
}

// noteLimit is how long a note may be: room for a pasted stack trace.
const noteLimit = 10000

func (m *Model) noteDialog() tea.Cmd {
	c := m.c
	return common.Input(common.InputRequest{
		Title: "Add a note to the timeline",
		Fields: []common.Field{{Name: "note", Label: "Note", Placeholder: "what you saw, did or decided",
			Multiline: true, MaxLen: noteLimit, Validate: nonEmpty}},
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
	secs = append(secs, helpSection{title: "Checklist", keys: DefaultChecklistKeyMap(9)}, helpSection{title: "Dialogs", keys: m.dialogKeys})
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
	if m.tooSmall() {
		msg := fmt.Sprintf("terminal too small: %dx%d (need %dx%d) — enlarge it, or ctrl+c to quit", m.width, m.height, MinWidth, MinHeight)
		if n := len(m.running); n > 0 {
			msg += fmt.Sprintf(" (cancels %d running action(s))", n)
		}
		return strings.Join(common.Fit(ansi.Wrap(msg, m.width, ""), m.width, m.height), "\n")
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, m.statusBar())
	cells := m.cells()
	pane := func(i int) []string {
		c := cells[i]
		title := fmt.Sprintf("%d %s", i+1, sanitize.Line(m.panes[i].Pane.Title()))
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
		lines = overlay(lines, m.modals[n-1].View(m.width, m.dialogHeight()), m.width)
	}
	return strings.Join(lines, "\n")
}

// tabs is the tab line. When the labels do not all fit, the others shrink
// to their numbers, then only the focused one shows: the focused tab is
// always on screen.
func (m *Model) tabs() string {
	st := m.c.Styles
	label := func(i int) string { return fmt.Sprintf("%d %s", i+1, sanitize.Line(m.panes[i].Tab)) }
	render := func(short bool) string {
		parts := make([]string, len(m.panes))
		for i := range m.panes {
			switch {
			case i == m.focus:
				parts[i] = st.Tabs.Active.Render(label(i))
			case short:
				parts[i] = st.Tabs.Inactive.Render(fmt.Sprint(i + 1))
			default:
				parts[i] = st.Tabs.Inactive.Render(label(i))
			}
		}
		sep := "  "
		if short {
			sep = " "
		}
		return " " + strings.Join(parts, sep)
	}
	for _, short := range []bool{false, true} {
		if t := render(short); ansi.StringWidth(t) <= m.width {
			return t
		}
	}
	return common.Truncate(" "+st.Tabs.Active.Render(label(m.focus)), m.width)
}

func (m *Model) footer() string {
	st := m.c.Styles
	switch {
	case m.flash != "" && m.flashErr:
		return st.Status.FlashError.Render(common.Truncate(" ✖ "+m.flash, m.width))
	case m.flash != "":
		return st.Status.Flash.Render(common.Truncate(" "+m.flash, m.width))
	case m.jh.err != "":
		// After the flash fades the failure stays, with where to read it all.
		return st.Status.FlashError.Render(common.Truncate(" ✖ JOURNAL FAILING — "+m.jh.err+" · : journal shows it all", m.width))
	}
	short := append(m.panes[m.focus].Pane.ShortHelp(), m.keys.ShortHelp()...)
	return " " + m.help.ShortHelpView(short)
}

// barVariant is one way to lay the status bar out; statusBar takes the
// first that fits. The order is the priority: the title shortens first,
// then the severity and the backend dots get compact, then the title goes,
// then the actor; the severity, the clock and the badges always show.
type barVariant struct {
	longSev  bool // " P1 High " rather than " P1 "
	named    bool // "kube● prom●" rather than "●●"
	actor    bool
	titleMin int // the title shows only with at least this many cells; 0: no title
	compact  bool
}

var barVariants = []barVariant{
	{longSev: true, named: true, actor: true, titleMin: 16},
	{named: true, actor: true, titleMin: 12},
	{actor: true, titleMin: 8},
	{actor: true},
	{actor: true, compact: true},
	{compact: true},
}

// actorMax bounds the actor's cells: a long name must not push out the
// rest; below actorMin it is not worth showing.
const (
	actorMax = 20
	actorMin = 6
)

func (m *Model) statusBar() string {
	var line string
	for _, v := range barVariants {
		var ok bool
		if line, ok = m.statusBarAs(v); ok {
			return line
		}
	}
	return common.Truncate(line, m.width)
}

// statusBarAs lays the status bar out as v says; ok is false if it does
// not fit the width.
func (m *Model) statusBarAs(v barVariant) (string, bool) {
	st := m.c.Styles
	now := m.c.Now()
	s := m.session
	sep := st.Muted.Render(" │ ")
	if v.compact {
		sep = " "
	}
	var left []string
	title, titleAt := "", -1
	if s.Declared.IsZero() {
		left = append(left, st.Muted.Render("no incident declared"))
	} else {
		if v.longSev {
			left = append(left, common.SeverityBadge(st, s.Severity))
		} else {
			left = append(left, shortSeverity(st, s.Severity))
		}
		if v.titleMin > 0 {
			title, titleAt = sanitize.Line(s.Title), len(left)
			left = append(left, "")
		}
		clock := "⏱ " + common.Duration(s.Elapsed(now))
		if !s.Resolved.IsZero() {
			clock += " resolved"
		}
		left = append(left, st.Status.Clock.Render(clock))
	}
	actor, actorAt := "", -1
	if v.actor {
		actor, actorAt = "@"+sanitize.Line(m.c.Actor), len(left)
		left = append(left, "")
	}
	right := strings.Join(m.badges(now, v.compact), " ")
	if dots := m.dots(v.named); dots != "" {
		if right != "" {
			right += " "
		}
		right += dots
	}
	// A cell of margin at each end, and at least one between the halves;
	// what is left is the room for the title and the actor.
	room := m.width - (1 + ansi.StringWidth(strings.Join(left, sep)) + 1 + ansi.StringWidth(right) + 1)
	if actorAt >= 0 {
		// The actor takes what it needs (up to actorMax) before the title,
		// and without a title shrinks to what is left, down to actorMin.
		aw := min(ansi.StringWidth(actor), actorMax)
		if titleAt < 0 {
			aw = min(aw, room)
		}
		if aw < min(ansi.StringWidth(actor), actorMin) {
			return "", false
		}
		left[actorAt] = st.Muted.Render(common.Truncate(actor, aw))
		room -= aw
	}
	if titleAt >= 0 {
		if room < min(v.titleMin, ansi.StringWidth(title)) {
			return "", false
		}
		left[titleAt] = st.Status.Title.Render(common.Truncate(title, room))
	} else if room < 0 {
		return " " + strings.Join(left, sep) + " " + right, false
	}
	l := " " + strings.Join(left, sep)
	return common.Pad(l, m.width-ansi.StringWidth(right)-2) + " " + right + " ", true
}

// shortSeverity is the compact severity badge: " P1 ".
func shortSeverity(st *styles.Styles, sev incident.Severity) string {
	if !sev.Valid() {
		return st.Status.Badge.Render(" P? ")
	}
	return st.Status.Severity[sev].Render(" " + sev.String() + " ")
}

// badges are the status bar's badges: modes, a failing journal, running
// actions. They always show; compact shortens them for a narrow screen.
func (m *Model) badges(now time.Time, compact bool) []string {
	st := m.c.Styles
	var out []string
	badge := func(long, short string) {
		if compact {
			out = append(out, st.Status.Badge.Render(short))
			return
		}
		out = append(out, st.Status.Badge.Render(" "+long+" "))
	}
	if m.c.Mode.Drill {
		badge("DRILL", "DRILL")
	}
	if m.c.Mode.ReadOnly {
		badge("READ-ONLY", "RO")
	}
	if m.c.Mode.DryRun {
		badge("DRY-RUN", "DRY")
	}
	if m.jh.err != "" {
		label := " JOURNAL FAILING "
		if compact {
			label = "JOURNAL ✖"
		}
		out = append(out, st.Status.BadgeBad.Render(label))
	}
	if r := m.runningBadge(now, compact); r != "" && compact {
		out = append(out, st.Status.Badge.Render(r))
	} else if r != "" {
		out = append(out, st.Status.Badge.Render(" "+r+" "))
	}
	return out
}

// dots are the backends' health dots, named or bare.
func (m *Model) dots(named bool) string {
	st := m.c.Styles
	var dots []string
	for _, p := range m.panes {
		for _, b := range p.Pane.Backends() {
			d := common.Dot(st, b.State)
			if named {
				d = st.Muted.Render(sanitize.Line(b.Name)) + d
				if b.Note != "" {
					d += st.Muted.Render(sanitize.Line(b.Note))
				}
			}
			dots = append(dots, d)
		}
	}
	if d := m.shareDot(named); d != "" {
		dots = append(dots, d)
	}
	if named {
		return strings.Join(dots, " ")
	}
	return strings.Join(dots, "")
}

// Pane returns pane i (for tests and documentation checks).
func (m *Model) Pane(i int) common.Pane { return m.panes[i].Pane }

// Panes is how many panes the shell has.
func (m *Model) Panes() int { return len(m.panes) }

// JournalFailing reports the reason the journal's last write failed, or
// "" while it writes (for tests and the exit message).
func (m *Model) JournalFailing() string { return m.jh.err }
