// Package runbook is the runbook sidebar: runbooks fuzzy-searched by
// symptom, the ones that answer what is burning suggested first, and the
// chosen one's steps, run in place: variables asked and prefilled from
// what the other panes have selected, each step handed to the shell's one
// action path (confirmation, mode, timeout, timeline), its output streamed
// into the pane.
package runbook

import (
	"sort"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/runbooks/step"
	"github.com/warroom-dev/warroom/tui/common"
)

// DefaultStepTimeout bounds a step that the configuration gives no
// timeout.
const DefaultStepTimeout = 5 * time.Minute

// Config is what steps run on and the values they may be prefilled with.
type Config struct {
	// Runner is where steps run: bash's environment, the pg pool, the
	// prom probe.
	Runner step.Backends
	// Defaults are configured values by variable name ("namespace",
	// "db_instance"); the selection in other panes comes first.
	Defaults map[string]string
	// Where says, per language, where a step runs, for the confirmation:
	// "bash on this machine (kube context prod)", "PostgreSQL app@db/app".
	Where map[runbooks.Lang]string
	// Timeout bounds each step (DefaultStepTimeout if zero).
	Timeout time.Duration
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
	Search, Open, Back key.Binding
	// While the search field has focus (every other key is text):
	SearchOpen, SearchCancel, SearchLeave key.Binding
	// With a runbook open:
	Run, Text, Cancel, Clear, OutUp, OutDown key.Binding
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

		Run:     key.NewBinding(key.WithKeys("enter", "r"), key.WithHelp("enter/r", "run the selected step")),
		Text:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "steps / full text")),
		Cancel:  key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc/ctrl+c", "cancel the running step")),
		Clear:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "close the step's output")),
		OutUp:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "output: scroll up")),
		OutDown: key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "output: scroll down")),
	}
}

// row is one runbook in the list: a search match, or a suggestion.
type row struct {
	rb  runbooks.Runbook
	why string // set for a suggestion: what it answers
}

// Model is the runbook pane.
type Model struct {
	c     common.Common
	keys  KeyMap
	cfg   Config
	index *runbooks.Index
	rows  []row

	search textinput.Model
	typing bool
	cursor common.Cursor
	picked bool // the reader moved the list's cursor since the list was built

	// signals and values are the other panes' latest accounts, by
	// source; order is the sources, least recently updated first.
	signals     map[string][]runbooks.Signal
	values      map[string]map[string]string
	order       []string
	suggestions []runbooks.Suggestion
	seqs        map[string]uint64 // the newest account kept, by source
	dups        map[string]bool   // titles more than one runbook has

	open      *runbooks.Runbook
	text      bool     // the open runbook's full text instead of its steps
	lines     []string // the full text, wrapped to width
	scroll    common.Cursor
	sel       int // the selected step
	stepTop   int // the first line of the step list shown
	run       *stepRun
	pending   *stepRun // handed to the shell, not yet started (the confirmation is open)
	seq       int      // numbers the runs' tags
	outScroll int      // output lines scrolled back from the newest

	w, h int
}

// New makes the pane over an index (nil: no runbooks).
func New(c common.Common, index *runbooks.Index, cfg Config) *Model {
	if index == nil {
		index = runbooks.NewIndex(nil)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultStepTimeout
	}
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "symptom, e.g. 5xx, pool exhausted"
	m := &Model{c: c, keys: DefaultKeyMap(), cfg: cfg, index: index, search: ti,
		signals: map[string][]runbooks.Signal{}, values: map[string]map[string]string{}, seqs: map[string]uint64{}}
	m.dups = map[string]bool{}
	seen := map[string]bool{}
	for _, rb := range index.All() {
		m.dups[rb.Title] = seen[rb.Title]
		seen[rb.Title] = true
	}
	for t, d := range m.dups {
		if !d {
			delete(m.dups, t)
		}
	}
	m.refilter()
	m.setKeys()
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
	switch {
	case m.typing:
		return []key.Binding{m.keys.SearchOpen, m.keys.SearchCancel}
	case m.open != nil && m.running() && !m.text:
		return []key.Binding{m.keys.Cancel, m.keys.OutUp, m.keys.OutDown}
	case m.open != nil:
		return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Run, m.keys.Text, m.keys.Back}
	}
	return []key.Binding{m.keys.Search, m.keys.Open}
}
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Search, m.keys.Open, m.keys.Back},
		{m.keys.SearchOpen, m.keys.SearchCancel, m.keys.SearchLeave},
		{m.keys.Run, m.keys.Text, m.keys.Cancel, m.keys.Clear, m.keys.OutUp, m.keys.OutDown}}
}

// setKeys enables the bindings that do something now, so that they alone
// route and show in help.
func (m *Model) setKeys() {
	open, typing, running := m.open != nil, m.typing, m.running()
	m.keys.SearchOpen.SetEnabled(typing)
	m.keys.SearchCancel.SetEnabled(typing)
	m.keys.SearchLeave.SetEnabled(typing)
	m.keys.Search.SetEnabled(!open && !typing)
	m.keys.Open.SetEnabled(!open && !typing)
	// With a step running, esc cancels it — except in the full text,
	// where it goes back to the steps (and the output).
	m.keys.Back.SetEnabled(!typing && (!running || m.text))
	m.keys.Run.SetEnabled(open && !m.text && !running && len(m.open.Steps) > 0)
	m.keys.Text.SetEnabled(open)
	m.keys.Cancel.SetEnabled(open && running && !m.text)
	m.keys.Clear.SetEnabled(open && m.run != nil && m.run.shown() && !running)
	m.keys.OutUp.SetEnabled(open && m.run != nil && m.run.shown())
	m.keys.OutDown.SetEnabled(open && m.run != nil && m.run.shown())
}

// Update handles search typing, list movement, reading and running steps,
// and the other panes' signals and selections.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	defer m.setKeys()
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return m, m.key(msg)
	case common.SignalsMsg:
		if !m.newer(msg.Source, msg.Seq) {
			return m, nil // an older account delivered late
		}
		m.signals[msg.Source] = msg.Signals
		m.touch(msg.Source)
		m.suggest()
		return m, nil
	case common.ContextMsg:
		if !m.newer("ctx:"+msg.Source, msg.Seq) {
			return m, nil
		}
		m.values[msg.Source] = msg.Values
		m.touch(msg.Source)
		return m, nil
	case common.ActionStartedMsg, common.ActionProgressMsg, common.ActionDoneMsg, tickMsg, submitMsg:
		return m, m.runUpdate(msg)
	}
	if m.typing {
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if m.typing {
		switch {
		case key.Matches(k, m.keys.SearchCancel):
			m.typing = false
			m.search.Blur()
			m.search.SetValue("")
			m.refilter()
			return nil
		case key.Matches(k, m.keys.SearchOpen, m.keys.SearchLeave):
			open := key.Matches(k, m.keys.SearchOpen) // before the keys switch off
			m.typing = false
			m.search.Blur()
			if open {
				m.openSelected()
			}
			return nil
		}
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(k)
		m.refilter()
		return cmd
	}
	if m.open != nil {
		return m.openKey(k)
	}
	switch {
	case key.Matches(k, m.keys.Search):
		m.typing = true
		return m.search.Focus()
	case key.Matches(k, m.keys.Open):
		m.openSelected()
	case key.Matches(k, m.keys.Back):
		m.search.SetValue("")
		m.refilter()
	default:
		if m.cursor.Handle(k, m.keys.NavKeys, len(m.rows), m.listRows()) {
			m.picked = true
		}
	}
	return nil
}

func (m *Model) openKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Cancel):
		return m.cancelRun()
	case key.Matches(k, m.keys.Back) && m.text && len(m.open.Steps) > 0:
		m.text = false
	case key.Matches(k, m.keys.Back):
		m.open, m.run, m.text = nil, nil, false
	case key.Matches(k, m.keys.Text):
		m.text = !m.text
		m.scroll = common.Cursor{}
		m.wrap()
	case key.Matches(k, m.keys.Run):
		return m.runSelected()
	case key.Matches(k, m.keys.Clear):
		m.run = nil
	case key.Matches(k, m.keys.OutUp):
		if m.run != nil {
			m.outScroll = min(m.outScroll+max(m.outRows()/2, 1), len(m.run.lines))
		}
	case key.Matches(k, m.keys.OutDown):
		m.outScroll = max(m.outScroll-max(m.outRows()/2, 1), 0)
	case m.text:
		// The scroll cursor is the top line: it ranges over the positions
		// that still fill the pane.
		m.scroll.Handle(k, m.keys.NavKeys, max(len(m.lines)-m.h+1, 1), 1)
	default:
		c := common.Cursor{Pos: m.sel}
		if c.Handle(k, m.keys.NavKeys, len(m.open.Steps), 1) {
			m.sel = c.Pos
		}
	}
	return nil
}

// newer reports whether seq is a newer account of key than the last
// kept (and keeps it); an unnumbered one (0) always is.
func (m *Model) newer(key string, seq uint64) bool {
	if seq == 0 {
		return true
	}
	if seq <= m.seqs[key] {
		return false
	}
	m.seqs[key] = seq
	return true
}

// touch marks source as the most recently updated.
func (m *Model) touch(source string) {
	for i, s := range m.order {
		if s == source {
			m.order = append(m.order[:i:i], m.order[i+1:]...)
			break
		}
	}
	m.order = append(m.order, source)
}

// suggest ranks the runbooks that answer what the panes say is burning.
func (m *Model) suggest() {
	sources := make([]string, 0, len(m.signals))
	for s := range m.signals {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	var all []runbooks.Signal
	for _, s := range sources {
		all = append(all, m.signals[s]...)
	}
	m.suggestions = m.index.Suggest(all)
	// The list reorders under the reader: a selection they moved to
	// stays on its runbook, wherever that is now; one they have not
	// moved stays on the top (the most urgent).
	var sel string
	if m.picked && m.cursor.Pos < len(m.rows) {
		sel = rowKey(m.rows[m.cursor.Pos].rb)
	}
	m.refilter()
	for i, r := range m.rows {
		if rowKey(r.rb) == sel {
			m.cursor.Pos, m.picked = i, true
			m.cursor.Clamp(len(m.rows), m.listRows())
			break
		}
	}
}

// rowKey identifies a runbook in the list.
func rowKey(rb runbooks.Runbook) string { return rb.Source + "\x00" + rb.Title }

// refilter rebuilds the list: while a search is typed, its matches (a
// suggested one is marked, but fuzzy order wins); otherwise the
// suggestions first, then every other runbook in load order.
func (m *Model) refilter() {
	why := map[string]string{}
	for _, s := range m.suggestions {
		why[rowKey(s.Runbook)] = s.Why()
	}
	m.rows = m.rows[:0]
	if q := m.search.Value(); q != "" {
		for _, mt := range m.index.Search(q) {
			m.rows = append(m.rows, row{rb: mt.Runbook, why: why[rowKey(mt.Runbook)]})
		}
	} else {
		for _, s := range m.suggestions {
			m.rows = append(m.rows, row{rb: s.Runbook, why: s.Why()})
		}
		for _, rb := range m.index.All() {
			if _, ok := why[rowKey(rb)]; !ok {
				m.rows = append(m.rows, row{rb: rb})
			}
		}
	}
	m.cursor, m.picked = common.Cursor{}, false
}

func (m *Model) openSelected() {
	if m.cursor.Pos < len(m.rows) {
		rb := m.rows[m.cursor.Pos].rb
		m.open = &rb
		m.scroll, m.sel, m.stepTop, m.text, m.run = common.Cursor{}, 0, 0, len(rb.Steps) == 0, nil
		m.wrap()
	}
}

func (m *Model) listRows() int { return max((m.h-2)/2, 1) }

// Suggestions are the runbooks ranked first now, with why (for tests and
// the status of the list).
func (m *Model) Suggestions() []runbooks.Suggestion { return m.suggestions }
