// Package timeline is the timeline pane: every recorded event of the
// session, oldest first, following the newest; scroll, filter by kind, and
// open an event to read the whole of it (a note may be thousands of
// characters; the list shows one line of each).
package timeline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// Config carries the journal as it was at start.
type Config struct {
	Events []incident.Event
}

// KeyMap is the pane's bindings. While an event is open, the movement
// keys scroll its text.
type KeyMap struct {
	common.NavKeys
	Filter, Clear, Detail, Back key.Binding
}

// DefaultKeyMap returns the pane's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys: common.DefaultNavKeys(),
		Filter:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by kind (cycle)")),
		Clear:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Detail:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "read the whole event")),
		Back:    key.NewBinding(key.WithKeys("esc", "enter"), key.WithHelp("esc/enter", "back to the list")),
	}
}

// Model is the timeline pane.
type Model struct {
	c      common.Common
	keys   KeyMap
	events []incident.Event // every event, in (time, ID) order
	kinds  map[incident.Kind]int
	ids    map[string]struct{} // IDs shown: an ID is shown once
	filter incident.Kind       // "" for all
	// shown is the filter's result as indexes into events, kept up to
	// date as events arrive (not recomputed per frame: with 200k events
	// that was most of the idle CPU); unused when filter is "".
	shown  []int
	follow bool
	cursor common.Cursor
	open   *reader // the event being read, nil for the list
	w, h   int
}

// reader is one event opened to be read whole: its text wrapped to the
// pane's width (once per width, not per frame) and a scroll offset.
type reader struct {
	ev    incident.Event
	width int
	lines []string
	off   int
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
	m := &Model{c: c, keys: DefaultKeyMap(), events: events, kinds: map[incident.Kind]int{}, ids: map[string]struct{}{}, follow: true}
	for _, e := range events {
		m.ids[e.ID] = struct{}{}
		m.kinds[e.Kind]++
	}
	return m
}

func (m *Model) Title() string {
	t := "Timeline"
	if m.filter != "" {
		t += " · " + string(m.filter)
	}
	if m.open != nil {
		t += " · reading"
	}
	return t
}
func (m *Model) Init() tea.Cmd              { return nil }
func (m *Model) SetSize(w, h int)           { m.w, m.h = w, h }
func (m *Model) Capturing() bool            { return false }
func (m *Model) Backends() []common.Backend { return nil }
func (m *Model) ShortHelp() []key.Binding {
	if m.open != nil {
		return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Back}
	}
	return []key.Binding{m.keys.Filter, m.keys.Detail}
}
func (m *Model) FullHelp() [][]key.Binding {
	if m.open != nil {
		return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Back}}
	}
	return [][]key.Binding{m.keys.NavKeys.Bindings(), {m.keys.Filter, m.keys.Clear, m.keys.Detail}}
}

// Events is what the pane shows (after the filter).
func (m *Model) Events() []incident.Event {
	if m.filter == "" {
		return m.events
	}
	out := make([]incident.Event, len(m.shown))
	for i, j := range m.shown {
		out[i] = m.events[j]
	}
	return out
}

// count is how many events the filter keeps.
func (m *Model) count() int {
	if m.filter == "" {
		return len(m.events)
	}
	return len(m.shown)
}

// at is the i-th event the filter keeps.
func (m *Model) at(i int) *incident.Event {
	if m.filter == "" {
		return &m.events[i]
	}
	return &m.events[m.shown[i]]
}

// setFilter filters by kind ("" for all): one pass over the events, at
// the key press, never per frame.
func (m *Model) setFilter(k incident.Kind) {
	m.filter, m.shown = k, nil
	if k == "" {
		return
	}
	for i := range m.events {
		if m.events[i].Kind == k {
			m.shown = append(m.shown, i)
		}
	}
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
// ID) is not shown twice. The filtered view is updated in place: an event
// at the end (the usual case) costs O(log n).
func (m *Model) add(ev incident.Event) {
	if ev.ID != "" {
		// By ID whatever its time: two paths may record one fact (an
		// alert's derived ID) at different times; the first is shown.
		if _, dup := m.ids[ev.ID]; dup {
			return
		}
		if m.ids == nil {
			m.ids = map[string]struct{}{}
		}
		m.ids[ev.ID] = struct{}{}
	}
	i := sort.Search(len(m.events), func(i int) bool { return !before(m.events[i], ev) })
	m.events = slices.Insert(m.events, i, ev)
	m.kinds[ev.Kind]++
	if m.filter == "" {
		return
	}
	j := sort.SearchInts(m.shown, i)
	for k := j; k < len(m.shown); k++ {
		m.shown[k]++ // a late event: the ones after it moved up by one
	}
	if ev.Kind == m.filter {
		m.shown = slices.Insert(m.shown, j, i)
	}
}

// before is the timeline's order: time, then ID.
func before(a, b incident.Event) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.ID < b.ID
}

func (m *Model) key(k tea.KeyMsg) {
	if m.open != nil {
		m.readKey(k)
		return
	}
	n := m.count()
	switch {
	case key.Matches(k, m.keys.Filter):
		m.setFilter(nextKind(m.filter, m.kinds))
		m.follow = true
	case key.Matches(k, m.keys.Clear):
		m.setFilter("")
		m.follow = true
	case key.Matches(k, m.keys.Detail):
		if n > 0 {
			m.open = &reader{ev: *m.at(m.selected())}
		}
	default:
		if m.follow {
			m.cursor.Pos = n - 1
			m.cursor.Clamp(n, m.rows())
		}
		if m.cursor.Handle(k, m.keys.NavKeys, n, m.rows()) {
			m.follow = m.cursor.Pos >= n-1
		}
	}
}

// selected is the index (among those shown) of the selected event: the
// newest while following.
func (m *Model) selected() int {
	if m.follow {
		return m.count() - 1
	}
	return min(max(m.cursor.Pos, 0), m.count()-1)
}

// readKey scrolls the open event, or closes it.
func (m *Model) readKey(k tea.KeyMsg) {
	r := m.open
	r.wrap(m.w)
	page := max(m.bodyRows()-1, 1)
	switch {
	case key.Matches(k, m.keys.Back):
		m.open = nil
		return
	case key.Matches(k, m.keys.Up):
		r.off--
	case key.Matches(k, m.keys.Down):
		r.off++
	case key.Matches(k, m.keys.PageUp):
		r.off -= page
	case key.Matches(k, m.keys.PageDown):
		r.off += page
	case key.Matches(k, m.keys.Top):
		r.off = 0
	case key.Matches(k, m.keys.Bottom):
		r.off = len(r.lines)
	}
	r.off = min(max(r.off, 0), max(len(r.lines)-m.bodyRows(), 0))
}

// nextKind cycles through the kinds present in the journal, then back to all.
func nextKind(cur incident.Kind, present map[incident.Kind]int) incident.Kind {
	var kinds []incident.Kind
	for _, k := range incident.Kinds() {
		if present[k] > 0 {
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

func (m *Model) rows() int { return max(m.h, 1) }

// bodyRows is how many lines of an open event's text fit: the pane less
// its header and footer lines (when there is room for them).
func (m *Model) bodyRows() int {
	if m.h >= 4 {
		return m.h - 2
	}
	return max(m.h, 1)
}

// wrap (re)wraps the event's text for width, once per width.
func (r *reader) wrap(width int) {
	if r.lines != nil && r.width == width {
		return
	}
	r.width = width
	text := sanitize.Text(r.ev.Summary)
	if d := sanitize.Text(r.ev.Detail); d != "" && d != text {
		text += "\n\n" + d
	}
	r.lines = strings.Split(ansi.Wrap(strings.TrimRight(text, "\n"), max(width, 1), " "), "\n")
}

// View renders one event a line: time, kind, actor, summary; or, with an
// event open, its whole text, one page at a time.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	st := m.c.Styles
	if m.open != nil {
		return m.readView()
	}
	n := m.count()
	if n == 0 {
		if m.filter != "" {
			return common.Truncate(st.Muted.Render("no "+string(m.filter)+" events · esc clears the filter"), m.w)
		}
		return common.Truncate(st.Muted.Render("no events yet · n adds a note"), m.w)
	}
	// View works on a copy: drawing never moves the cursor.
	cur := m.cursor
	if m.follow {
		cur.Pos = n - 1
	}
	start, end := cur.Window(n, m.rows())
	var b strings.Builder
	for i := start; i < end; i++ {
		e := m.at(i)
		actor := m.actor(e) // whole: another console's user@host is part of who
		line := e.Time.Local().Format("15:04:05") + " " + common.Pad(string(e.Kind), 13) + " " +
			common.Pad(actor, max(10, ansi.StringWidth(actor))) + " " + sanitize.Line(e.Summary)
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
	return strings.TrimRight(b.String(), "\n")
}

// actor is who recorded e: the actor, a label anyone can type, and for
// another console's event the OS user and host it was typed on.
func (m *Model) actor(e *incident.Event) string {
	a := sanitize.Line(e.Actor)
	if e.Host != "" && e.Host != m.c.Host {
		a += " (" + sanitize.Line(e.Host) + ")"
	}
	return a
}

// readView is the open event: a header (when, what, who), a page of its
// text, and where the page is in it.
func (m *Model) readView() string {
	st := m.c.Styles
	r := m.open
	r.wrap(m.w) // a no-op unless the width changed
	rows := m.bodyRows()
	off := min(max(r.off, 0), max(len(r.lines)-rows, 0))
	end := min(off+rows, len(r.lines))
	var out []string
	if m.h >= 4 {
		e := r.ev
		out = append(out, st.Accent.Render(common.Truncate(e.Time.Local().Format("15:04:05")+" "+string(e.Kind)+" · "+m.actor(&e), m.w)))
	}
	for _, l := range r.lines[off:end] {
		out = append(out, common.Truncate(l, m.w))
	}
	if m.h >= 4 {
		pos := fmt.Sprintf("lines %d-%d of %d", off+1, end, len(r.lines))
		if end < len(r.lines) {
			pos += " · ↓ more"
		}
		out = append(out, st.Muted.Render(common.Truncate(pos+" · esc back", m.w)))
	}
	return strings.Join(out, "\n")
}
