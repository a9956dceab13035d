package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// The checklist dialog: one of the playbook's checklists with each item's
// state in the incident, when and by whom it was checked. Checking or
// unchecking an item records a checklist event; the item shows what the
// journal holds, never what was merely pressed: while its write is under
// way it shows "…", and a write that fails leaves it as it was, with the
// reason in the dialog.

// ChecklistKeyMap is the checklist dialog's keys.
type ChecklistKeyMap struct {
	Up, Down, Toggle, Item, Close key.Binding
}

// DefaultChecklistKeyMap returns the checklist dialog's keys for a list of
// n items (the number keys are 1..n, at most 9).
func DefaultChecklistKeyMap(n int) ChecklistKeyMap {
	digits := make([]string, min(max(n, 0), 9))
	for i := range digits {
		digits[i] = strconv.Itoa(i + 1)
	}
	// An en dash, as in "lines 1–6 of 9": a hyphen is where a hint line
	// may wrap, and "[1-" "6]" on two lines reads as nothing.
	keys := "1"
	if len(digits) > 1 {
		keys = fmt.Sprintf("1–%d", len(digits))
	}
	item := key.NewBinding(key.WithKeys(digits...), key.WithHelp(keys, "check/uncheck item by number"))
	if len(digits) == 0 {
		item.SetEnabled(false)
	}
	return ChecklistKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous item")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next item")),
		Toggle: key.NewBinding(key.WithKeys(" ", "x"), key.WithHelp("space/x", "check/uncheck the item")),
		Item:   item,
		Close:  key.NewBinding(key.WithKeys("esc", "q", "enter", "ctrl+c"), key.WithHelp("esc/q/enter", "close the checklist")),
	}
}

// ShortHelp implements help.KeyMap.
func (k ChecklistKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Toggle, k.Item, k.Close} }

// FullHelp implements help.KeyMap.
func (k ChecklistKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down}, {k.Toggle, k.Item, k.Close}}
}

// sessionViewer is a dialog that shows part of the incident: the shell
// hands it the incident each time an event changes it.
type sessionViewer interface {
	setSession(incident.Session)
}

// checklistResultMsg is a toggle's write, done, handed back to the dialog
// that asked (it may have been closed meanwhile).
type checklistResultMsg struct {
	dialog *checklistModal
	item   int
	msg    common.EventMsg
}

// openChecklist opens the dialog for l over the incident as it stands.
func (m *Model) openChecklist(l incident.Checklist) tea.Cmd {
	if len(l.Items) == 0 {
		return nil
	}
	if n := len(m.modals); n > 0 {
		if top, ok := m.modals[n-1].(*checklistModal); ok && top.list.Name == l.Name {
			return nil // already in front
		}
	}
	if m.checkPending == nil {
		m.checkPending = map[string]map[int]bool{}
	}
	if m.checkPending[l.Name] == nil {
		m.checkPending[l.Name] = map[int]bool{}
	}
	m.pushModal(newChecklistModal(m.c, l, m.session, m.checkPending[l.Name]))
	return nil
}

// checklistResult is a toggle's write, done: the event goes the way every
// recorded event goes (a failure through journalFailed), then the dialog
// learns how its write ended.
func (m *Model) checklistResult(r checklistResultMsg) tea.Cmd {
	cmd := m.recorded(r.msg)
	r.dialog.written(r.item, r.msg.Err)
	return cmd
}

// showSession hands the incident, as it now stands, to every open dialog
// that shows part of it.
func (m *Model) showSession() {
	for _, md := range m.modals {
		if v, ok := md.(sessionViewer); ok {
			v.setSession(m.session)
		}
	}
}

// checklistLimit is the dialog's widest text.
const checklistLimit = 80

type checklistModal struct {
	st   *styles.Styles
	keys ChecklistKeyMap
	c    common.Common // who acts, the clock, the journal
	list incident.Checklist
	// checks are the items' states in the incident, by index (shorter
	// than the list while later items were never touched).
	checks []incident.Check
	// pending are the items whose write is under way.
	pending map[int]bool
	err     []string // why the last write failed
	cur     int
	off     int // the first body line shown: the cursor's item is on screen
	w, h    int
}

var _ sessionViewer = (*checklistModal)(nil)

// newChecklistModal is the dialog for l; pending are the list's items
// being written, shared with any dialog opened for it again meanwhile (a
// toggle, esc, c, space: recorded once).
func newChecklistModal(c common.Common, l incident.Checklist, s incident.Session, pending map[int]bool) *checklistModal {
	if pending == nil {
		pending = map[int]bool{}
	}
	d := &checklistModal{st: c.Styles, keys: DefaultChecklistKeyMap(len(l.Items)), c: c, list: l, pending: pending}
	d.setSession(s)
	return d
}

func (d *checklistModal) setSession(s incident.Session) {
	d.checks = s.Checklists[d.list.Name]
	d.follow()
}

// written is how the write of item's toggle ended.
func (d *checklistModal) written(item int, err error) {
	delete(d.pending, item)
	if err != nil {
		d.err = []string{
			fmt.Sprintf("NOT SAVED — item %d is unchanged: the journal could not record it.", item+1),
			incident.Clean(err.Error()),
		}
	}
	d.follow()
}

func (d *checklistModal) check(i int) incident.Check {
	if i < len(d.checks) {
		return d.checks[i]
	}
	return incident.Check{}
}

func (d *checklistModal) done() int {
	n := 0
	for i := range d.list.Items {
		if d.check(i).Checked {
			n++
		}
	}
	return n
}

func (d *checklistModal) SetSize(w, h int) {
	d.w, d.h = w, h
	d.follow()
}

func (d *checklistModal) inner() int { return dialogInner(d.w, checklistLimit) }

func (d *checklistModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil, false
	}
	switch {
	case key.Matches(k, d.keys.Close):
		return d, nil, true
	case key.Matches(k, d.keys.Up):
		d.cur = max(d.cur-1, 0)
	case key.Matches(k, d.keys.Down):
		d.cur = min(d.cur+1, len(d.list.Items)-1)
	case key.Matches(k, d.keys.Toggle):
		return d, d.toggle(d.cur), false
	case key.Matches(k, d.keys.Item):
		i := int(k.Runes[0] - '1')
		if i >= len(d.list.Items) {
			return d, nil, false
		}
		d.cur = i
		d.follow()
		return d, d.toggle(i), false
	}
	d.follow()
	return d, nil, false // every other key is trapped
}

// toggle records item i checked if it is not, unchecked if it is; a
// second toggle while the first is being written is ignored.
func (d *checklistModal) toggle(i int) tea.Cmd {
	if i < 0 || i >= len(d.list.Items) || d.pending[i] {
		return nil
	}
	ev := incident.Checked(d.c.Actor, d.list, i, !d.check(i).Checked, d.c.Now())
	ev.ID = incident.NewID(ev.Time)
	rec := common.RecordEvent(d.c.Journal, ev)
	d.pending[i] = true
	d.err = nil
	d.follow()
	return func() tea.Msg {
		msg, _ := rec().(common.EventMsg)
		return checklistResultMsg{dialog: d, item: i, msg: msg}
	}
}

// follow scrolls so the cursor's item shows (as much of it as fits).
func (d *checklistModal) follow() {
	if d.w == 0 {
		return
	}
	l, first, last := d.layout()
	rows := l.bodyRows(d.st.Dialog.Box, d.inner(), d.h)
	if last-first > rows {
		last = first + rows
	}
	switch {
	case first < d.off:
		d.off = first
	case last > d.off+rows:
		d.off = last - rows
	}
	d.off = max(min(d.off, l.maxOff(d.st.Dialog.Box, d.inner(), d.h)), 0)
}

// layout is the dialog's content; first and last bound the body lines of
// the cursor's item.
func (d *checklistModal) layout() (l dialogLayout, first, last int) {
	inner := d.inner()
	n := len(d.list.Items)
	title := sanitize.Line(d.list.Title)
	if title == "" {
		title = sanitize.Line(d.list.Name)
	}
	count := fmt.Sprintf(" %d/%d", d.done(), n)
	head := []string{d.st.Dialog.Title.Render(common.Truncate(title, max(inner-ansi.StringWidth(count), 1)) + count)}
	for _, e := range d.err {
		for _, w := range wrapLines(sanitize.Line(e), inner) {
			head = append(head, d.st.Bad.Render(w))
		}
	}
	var body []string
	for i, text := range d.list.Items {
		if i == d.cur {
			first = len(body)
		}
		body = append(body, d.item(i, text, inner)...)
		if i == d.cur {
			last = len(body)
		}
	}
	hint := hints(relabel(d.keys.Toggle, "check/uncheck"), relabel(d.keys.Item, "by number"), relabel(d.keys.Close, "close"))
	return dialogLayout{head: head, body: body, off: d.off, hint: hint}, first, last
}

// item is item i's lines: "▸ 1 [x] text · 03:12 alice", the text wrapped
// under itself, and the cursor's item in reverse video.
func (d *checklistModal) item(i int, text string, inner int) []string {
	c := d.check(i)
	box := "[ ]"
	switch {
	case d.pending[i]:
		box = "[…]"
	case c.Checked:
		box = "[x]"
	}
	num := "  "
	if i < 9 {
		num = strconv.Itoa(i+1) + " "
	}
	mark := "  "
	selected := i == d.cur
	if selected {
		// A marker as well as reverse video: the cursor shows without
		// colour too.
		mark = "▸ "
	}
	prefix := mark + num + box + " "
	indent := strings.Repeat(" ", ansi.StringWidth(prefix))
	tw := max(inner-len(indent), 1)
	lines := wrapLines(sanitize.Line(text), tw)
	if len(lines) == 0 {
		lines = []string{""}
	}
	for j, l := range lines {
		if j == 0 {
			lines[j] = prefix + l
		} else {
			lines[j] = indent + l
		}
	}
	if c.Checked && !d.pending[i] && !c.At.IsZero() {
		meta := "· " + c.At.Local().Format("15:04")
		if by := sanitize.Line(c.By); by != "" {
			meta += " " + by
		}
		meta = common.Truncate(meta, tw)
		if !selected {
			meta = d.st.Muted.Render(meta)
		}
		if last := len(lines) - 1; ansi.StringWidth(lines[last])+1+ansi.StringWidth(meta) <= inner {
			lines[last] += " " + meta
		} else {
			lines = append(lines, indent+meta)
		}
	}
	if selected {
		for j, l := range lines {
			lines[j] = d.st.Table.Selected.Render(common.Pad(l, inner))
		}
	}
	return lines
}

func (d *checklistModal) View(width, height int) string {
	l, _, _ := d.layout()
	return l.render(d.st, d.st.Dialog.Box, d.inner(), height)
}
