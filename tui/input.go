package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// The input dialog. Its fields are textareas with soft wrap and a fixed
// height, so long text scrolls inside the field and the dialog stays within
// the screen at every size. Enter saves (notes are one paragraph; a paste
// keeps its newlines). The dialog stays open until its submit is recorded:
// a journal that fails to write never takes the text with it.

// maxFieldRows is the most rows a multi-line field shows.
const maxFieldRows = 8

type inputField struct {
	f     common.Field
	ta    textarea.Model
	limit int
	rows  int // rows shown, set by relayout
}

type inputModal struct {
	st     *styles.Styles
	keys   DialogKeyMap
	req    common.InputRequest
	fields []inputField
	focus  int
	err    []string // a validation error, or why the last save failed
	notice string   // input refused at the limit, or "esc again"
	saving bool     // submitted: waiting for the journal's answer
	// held are the keys pressed while saving: on success they go on to
	// the console, in order, as if typed after the dialog closed.
	held    []tea.KeyMsg
	failed  bool // the last save failed: esc asks again before discarding
	discard bool // esc was pressed once after a failure
	w, h    int
}

// inputResultMsg is what an input dialog's submit produced, handed back
// to the dialog that asked (it may have been hidden meanwhile).
type inputResultMsg struct {
	dialog *inputModal
	msg    tea.Msg
}

func newInputModal(st *styles.Styles, keys DialogKeyMap, req common.InputRequest) *inputModal {
	m := &inputModal{st: st, keys: keys, req: req, fields: make([]inputField, len(req.Fields))}
	for i, f := range req.Fields {
		m.fields[i] = newInputField(st, f)
	}
	// Focus in place: a textarea keeps a pointer to its own style field.
	for i := range m.fields {
		m.fields[i].ta.Blur()
	}
	m.fields[0].ta.Focus()
	return m
}

func newInputField(st *styles.Styles, f common.Field) inputField {
	limit := f.MaxLen
	if limit <= 0 {
		limit = common.DefaultMaxLen
	}
	ta := textarea.New()
	ta.Prompt = ""
	ta.ShowLineNumbers = false
	ta.Placeholder = f.Placeholder
	ta.CharLimit = limit // a backstop: Update refuses visibly before this cuts
	ta.MaxHeight = 0     // rows are set by the layout, lines are not limited
	ta.KeyMap.InsertNewline.SetEnabled(false)
	// ctrl+v reads the clipboard and inserts past any check; the terminal's
	// own paste (bracketed) arrives as keys and is checked.
	ta.KeyMap.Paste.SetEnabled(false)
	// Styles from the program's renderer (never lipgloss's default one),
	// plain: the dialog's frame already says where the field is.
	plain := st.Renderer.NewStyle()
	s := textarea.Style{Base: plain, CursorLine: plain, CursorLineNumber: plain, EndOfBuffer: plain,
		LineNumber: plain, Placeholder: st.Muted, Prompt: plain, Text: plain}
	ta.FocusedStyle, ta.BlurredStyle = s, s
	ta.BlurredStyle.Text = st.Muted
	ta.Cursor.Style = plain
	ta.Cursor.SetMode(cursor.CursorStatic)
	ta.SetValue(sanitize.Text(f.Default))
	return inputField{f: f, ta: ta, limit: limit, rows: 1}
}

func (m *inputModal) SetSize(w, h int) {
	m.w, m.h = w, h
	m.relayout()
}

func (m *inputModal) inner() int { return dialogInner(m.w, 80) }

func (m *inputModal) labelWidth(inner int) int {
	w := 0
	for _, f := range m.fields {
		w = max(w, lipgloss.Width(sanitize.Line(f.f.Label)))
	}
	return min(w, inner/3)
}

func (m *inputModal) fieldWidth(inner int) int { return max(inner-m.labelWidth(inner)-3, 5) }

func (m *inputModal) hint() string {
	switch {
	case m.saving:
		return "saving to the journal…   " + hints(relabel(m.keys.Close, "hide (the text comes back if it fails)"))
	case m.failed:
		return hints(relabel(m.keys.Submit, "retry"), relabel(m.keys.Close, "discard"))
	case len(m.fields) > 1:
		return hints(relabel(m.keys.Next, "next field"), relabel(m.keys.Submit, "next / save on last"), relabel(m.keys.Close, "cancel"))
	}
	return hints(relabel(m.keys.Submit, "save"), relabel(m.keys.Close, "cancel"))
}

// status is what shows under the fields: the counter near the limit, a
// refused input, and the error; the error last, as it may be cut.
func (m *inputModal) status(inner int) []string {
	var out []string
	f := m.fields[m.focus]
	if n := f.ta.Length(); n >= f.limit*8/10 {
		out = append(out, m.st.Muted.Render(common.PadLeft(thousands(n)+" / "+thousands(f.limit)+" characters", inner)))
	}
	if m.notice != "" {
		for _, l := range wrapLines(m.notice, inner) {
			out = append(out, m.st.Warn.Render(l))
		}
	}
	for _, e := range m.err {
		for _, l := range wrapLines(e, inner) {
			out = append(out, m.st.Bad.Render(l))
		}
	}
	return out
}

// relayout sizes the fields for the dialog's screen: one row for a plain
// field, and for a multi-line one what is left (at most maxFieldRows),
// keeping the title, the status lines and the key hints on screen.
func (m *inputModal) relayout() {
	if m.w == 0 {
		return
	}
	inner := m.inner()
	box := m.st.Dialog.Box
	avail := max(m.h-box.GetVerticalFrameSize(), 1)
	budget := avail - 1 - len(wrapLines(m.hint(), inner)) // the body's rows, without blank lines
	status := min(len(m.status(inner)), max(budget-len(m.fields), 1))
	spare := budget - len(m.fields) - status
	if spare >= 4 {
		spare -= 2 // room for the blank lines too
	}
	given := false
	for i := range m.fields {
		f := &m.fields[i]
		f.rows = 1
		if f.f.Multiline && !given {
			f.rows = 1 + min(max(spare, 0), maxFieldRows-1)
			given = true
		}
		f.ta.SetWidth(m.fieldWidth(inner))
		f.ta.SetHeight(f.rows)
		if f.ta.Focused() {
			// The textarea scrolls to its cursor only over the rows its last
			// View laid out: lay them out now, then a no-op message scrolls,
			// so the cursor shows in this frame, not the next one.
			_ = f.ta.View()
			f.ta, _ = f.ta.Update(nil)
		}
	}
}

func (m *inputModal) setFocus(i int) {
	m.fields[m.focus].ta.Blur()
	m.focus = (i + len(m.fields)) % len(m.fields)
	m.fields[m.focus].ta.Focus()
}

func (m *inputModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		m.fields[m.focus].ta, cmd = m.fields[m.focus].ta.Update(msg)
		return m, cmd, false
	}
	if m.saving {
		// The write is under way: editing now would make what is saved
		// differ from what shows. esc hides the dialog (a stuck disk must
		// not hold the console); if the write fails, it comes back.
		if key.Matches(k, m.keys.Close) {
			return m, nil, true
		}
		m.held = append(m.held, k)
		return m, nil, false
	}
	if !key.Matches(k, m.keys.Close) {
		m.discard = false
	}
	switch {
	case key.Matches(k, m.keys.Close):
		if m.failed && !m.discard {
			m.discard = true
			m.notice = "Not saved. " + hints(relabel(m.keys.Close, "again to discard it")) + ", or enter to retry."
			m.relayout()
			return m, nil, false
		}
		return m, m.req.OnCancel, true
	case key.Matches(k, m.keys.Submit) && m.focus == len(m.fields)-1:
		return m.submit()
	case len(m.fields) > 1 && key.Matches(k, m.keys.Next, m.keys.Submit):
		m.setFocus(m.focus + 1)
		return m, nil, false
	case len(m.fields) > 1 && key.Matches(k, m.keys.Prev):
		m.setFocus(m.focus - 1)
		return m, nil, false
	}
	if k.Type == tea.KeyRunes {
		// Typed or pasted text is outside text too: a paste can carry bidi
		// overrides or controls that would reorder what the dialog shows.
		// A bracketed paste brings its line breaks as CR, which sanitize
		// drops: make them newlines first, so a pasted trace keeps its lines.
		text := strings.ReplaceAll(strings.ReplaceAll(string(k.Runes), "\r\n", "\n"), "\r", "\n")
		clean := []rune(sanitize.Text(text))
		if len(clean) == 0 {
			return m, nil, false
		}
		k.Runes = clean
	}
	f := &m.fields[m.focus]
	before := f.ta.Length()
	if n := typed(k); n > 0 && before+n > f.limit {
		// Refuse it whole and say so: text is never cut silently.
		if n == 1 {
			m.notice = fmt.Sprintf("%s is at its limit of %s characters: nothing more is taken.", fieldName(f.f), thousands(f.limit))
		} else {
			m.notice = fmt.Sprintf("Not pasted: %s characters do not fit (%s left of %s).", thousands(n), thousands(f.limit-before), thousands(f.limit))
		}
		m.relayout()
		return m, nil, false
	}
	var cmd tea.Cmd
	f.ta, cmd = f.ta.Update(k)
	if f.ta.Length() != before {
		m.notice = ""
	}
	m.relayout()
	return m, cmd, false
}

// typed is how many characters k would insert as text.
func typed(k tea.KeyMsg) int {
	if (k.Type == tea.KeyRunes && !k.Alt) || k.Type == tea.KeySpace {
		return len(k.Runes)
	}
	return 0
}

func fieldName(f common.Field) string {
	if f.Label == "" {
		return "The field"
	}
	return "The " + strings.ToLower(sanitize.Line(f.Label))
}

func (m *inputModal) submit() (modal, tea.Cmd, bool) {
	values := make(map[string]string, len(m.fields))
	m.err, m.notice = nil, ""
	for i, f := range m.fields {
		v := strings.TrimSpace(f.ta.Value())
		if f.f.Validate != nil {
			if err := f.f.Validate(v); err != nil {
				m.err = []string{sanitize.Line(f.f.Label + ": " + err.Error())}
				m.setFocus(i)
				m.relayout()
				return m, nil, false
			}
		}
		values[f.f.Name] = v
	}
	if m.req.OnSubmit == nil {
		return m, nil, true
	}
	cmd := m.req.OnSubmit(values)
	if cmd == nil {
		return m, nil, true
	}
	m.saving = true
	m.relayout()
	return m, func() tea.Msg { return inputResultMsg{dialog: m, msg: cmd()} }, false
}

// saveFailed is the journal's refusal: the text stays, the error shows in
// full (as much as the screen holds), enter retries.
func (m *inputModal) saveFailed(err error) {
	m.saving, m.failed, m.discard, m.notice = false, true, false, ""
	if n := len(m.held); n > 0 {
		// They were meant for after the save; the failure comes first.
		m.notice = fmt.Sprintf("%d key(s) pressed while saving were not used.", n)
		m.held = nil
	}
	m.err = []string{"NOT SAVED — the journal could not record it; your text is kept.", incident.Clean(err.Error())}
	m.relayout()
}

func (m *inputModal) View(width, height int) string {
	inner := m.inner()
	lw := m.labelWidth(inner)
	fw := m.fieldWidth(inner)
	var body []string
	focusLine := 0
	for i, f := range m.fields {
		style := m.st.Dialog.Field
		if i == m.focus {
			style = m.st.Dialog.FieldFocused
			focusLine = len(body)
		}
		// Cut to the field's width as the terminal measures it: the
		// textarea counts some graphemes differently, and a border must
		// never move.
		view := f.ta.View()
		if f.f.Secret {
			// A shared screen never shows a secret: one dot per character.
			view = secretView(f.ta.Value(), fw, i == m.focus)
		}
		rows := common.Fit(view, fw, f.rows)
		for r, row := range rows {
			label := strings.Repeat(" ", lw+3)
			if r == 0 {
				label = style.Render(common.Pad(sanitize.Line(f.f.Label), lw)) + " › "
			}
			body = append(body, label+row)
		}
	}
	budget := max(height-m.st.Dialog.Box.GetVerticalFrameSize()-1-len(wrapLines(m.hint(), inner))-len(body), 1)
	status := m.status(inner)
	if len(status) > budget {
		// The rest of a long error is in the journal dialog (: journal).
		status = append(status[:budget-1:budget-1], common.Truncate(status[budget-1]+"…", inner))
	}
	body = append(body, status...)
	d := dialogLayout{
		head: []string{m.st.Dialog.Title.Render(common.Truncate(sanitize.Line(m.req.Title), inner))},
		body: body,
		off:  focusLine,
		hint: m.hint(),
	}
	if d.bodyRows(m.st.Dialog.Box, inner, height) >= len(body) {
		d.off = 0
	}
	return d.render(m.st, m.st.Dialog.Box, inner, height)
}

// thousands formats n as 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// secretView is a secret field's text as dots, at most w wide, with a
// cursor mark while it has focus.
func secretView(v string, w int, focused bool) string {
	n := len([]rune(v))
	cur := ""
	if focused {
		cur = "▏"
	}
	if n+1 > w {
		return "…" + strings.Repeat("•", max(w-2, 0)) + cur
	}
	return strings.Repeat("•", n) + cur
}
