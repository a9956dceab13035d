// Package timeline is the timeline pane: every recorded event of the
// session, oldest first, following the newest; scroll, filter by kind, and
// read an event's detail.
package timeline

import (
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config carries the journal as it was at start.
type Config struct {
	Events []incident.Event
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	common.NavKeys
	Filter, Clear, Detail key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys: common.DefaultNavKeys(),
		Filter:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by kind (cycle)")),
		Clear:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Detail:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "show/hide detail")),
	}
}

// Model is the timeline pane.
type Model struct {
	c      common.Common
	keys   KeyMap
	events []incident.Event
	filter incident.Kind // "" for all
	follow bool
	detail bool
	cursor common.Cursor
	w, h   int
}

// New makes the pane.
func New(c common.Common, cfg Config) *Model {
	// The journal is in append order; the timeline is in (time, ID) order.
	events := slices.Clone(cfg.Events)
	slices.SortStableFunc(events, func(a, b incident.Event) int {
		switch {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
	return &Model{c: c, keys: DefaultKeyMap(), events: events, follow: true}
}

func (m *Model) Title() string {
	if m.filter != "" {
		return "Timeline · " + string(m.filter)
	}
	return "Timeline"
}
func (m *Model) Init() tea.Cmd              { return nil }
func (m *Model) SetSize(w, h int)           { m.w, m.h = w, h }
func (m *Model) Capturing() bool            { return false }
func (m *Model) Backends() []common.Backend { return nil }
func (m *Model) ShortHelp() []key.Binding   { return []key.Binding{m.keys.Filter, m.keys.Detail} }
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Filter, m.keys.Clear, m.keys.Detail}}
}

// Events is what the pane shows (after the filter).
func (m *Model) Events() []incident.Event {
	if m.filter == "" {
		return m.events
	}
	var out []incident.Event
	for _, e := range m.events {
		if e.Kind == m.filter {
			out = append(out, e)
		}
	}
	return out
}

// Update adds recorded events and handles keys.
func (m *Model) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case common.EventMsg:
		if msg.Err == nil {
			m.add(msg.Event)
		}
	case tea.KeyMsg:
		m.key(msg)
	}
	return m, nil
}

// add inserts ev in (time, ID) order. Appends finish in any order across
// goroutines (and, later, across consoles); an event already shown (same
// ID) is not shown twice.
func (m *Model) add(ev incident.Event) {
	i := sort.Search(len(m.events), func(i int) bool { return !before(m.events[i], ev) })
	if ev.ID != "" && i < len(m.events) && m.events[i].ID == ev.ID {
		return
	}
	m.events = slices.Insert(m.events, i, ev)
}

// before is the timeline's order: time, then ID.
func before(a, b incident.Event) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.ID < b.ID
}

func (m *Model) key(k tea.KeyMsg) {
	shown := m.Events()
	switch {
	case key.Matches(k, m.keys.Filter):
		m.filter = nextKind(m.filter, m.events)
		m.follow = true
	case key.Matches(k, m.keys.Clear):
		m.filter = ""
		m.follow = true
	case key.Matches(k, m.keys.Detail):
		m.detail = !m.detail
	default:
		if m.follow {
			m.cursor.Pos = len(shown) - 1
			m.cursor.Clamp(len(shown), m.rows())
		}
		if m.cursor.Handle(k, m.keys.NavKeys, len(shown), m.rows()) {
			m.follow = m.cursor.Pos >= len(shown)-1
		}
	}
}

// nextKind cycles through the kinds present in the journal, then back to all.
func nextKind(cur incident.Kind, events []incident.Event) incident.Kind {
	present := map[incident.Kind]bool{}
	for _, e := range events {
		present[e.Kind] = true
	}
	var kinds []incident.Kind
	for _, k := range incident.Kinds() {
		if present[k] {
			kinds = append(kinds, k)
		}
	}
	if cur == "" {
		if len(kinds) > 0 {
			return kinds[0]
		}
		return ""
	}
	for i, k := range kinds {
		if k == cur && i+1 < len(kinds) {
			return kinds[i+1]
		}
	}
	return ""
}

func (m *Model) rows() int {
	r := m.h
	if m.detail {
		r -= 3
	}
	return max(r, 1)
}

// View renders one event a line: time, kind, actor, summary.
func (m *Model) View() string {
	st := m.c.Styles
	shown := m.Events()
	if len(shown) == 0 {
		if m.filter != "" {
			return st.Muted.Render("no " + string(m.filter) + " events · esc clears the filter")
		}
		return st.Muted.Render("no events yet · n adds a note")
	}
	// View works on a copy: drawing never moves the cursor.
	cur := m.cursor
	if m.follow {
		cur.Pos = len(shown) - 1
	}
	start, end := cur.Window(len(shown), m.rows())
	var b strings.Builder
	for i := start; i < end; i++ {
		e := shown[i]
		line := e.Time.Local().Format("15:04:05") + " " + common.Pad(string(e.Kind), 13) + " " +
			common.Pad(sanitize.Line(e.Actor), 10) + " " + sanitize.Line(e.Summary)
		line = common.Truncate(line, m.w)
		switch {
		case i == cur.Pos && !m.follow:
			line = st.Table.Selected.Render(common.Pad(line, m.w))
		case e.Action != nil && (e.Action.Error != "" || e.Action.Cancelled):
			line = st.Bad.Render(line)
		case e.Kind == incident.KindAlert || e.Kind == incident.KindProbe || e.Kind == incident.KindEscalation:
			line = st.Warn.Render(line)
		case e.Kind == incident.KindDeclared || e.Kind == incident.KindSeverity || e.Kind == incident.KindResolved:
			line = st.Accent.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if m.detail && cur.Pos < len(shown) {
		d := shown[cur.Pos].Detail
		if d == "" {
			d = "(no detail)"
		}
		b.WriteString(st.Muted.Render(strings.Repeat("─", m.w)) + "\n")
		for _, l := range strings.SplitN(sanitize.Text(d), "\n", 3) {
			b.WriteString(common.Truncate(l, m.w) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
