package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// modal is a dialog on the shell's stack. While one is open it gets every
// key, and every other message too (progress into an open dialog); it says
// when it is done and what to run then. SetSize is called when it is
// pushed and on every resize, so Update can clamp to what View will show.
type modal interface {
	Update(tea.Msg) (m modal, cmd tea.Cmd, done bool)
	View(width, height int) string
	SetSize(width, height int)
}

// hints renders bindings as a dialog's key hint line, from the bindings
// themselves: "[y/enter] confirm   [n/esc] cancel".
func hints(bs ...key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.Enabled() {
			parts = append(parts, "["+b.Help().Key+"] "+b.Help().Desc)
		}
	}
	return strings.Join(parts, "   ")
}

// relabel is b with another description, for a hint that says what the
// key does in this dialog; the keys shown stay the binding's own.
func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// ---- confirmation dialog ----------------------------------------------------

// confirmation is what the confirmation dialog shows and does.
type confirmation struct {
	title       string
	lines       []string // exactly what will run
	target      string
	destructive bool
	note        string // what the session's mode will do with it
	onConfirm   tea.Cmd
	onCancel    tea.Cmd
}

type confirmModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	c    confirmation
	w, h int
}

func (c *confirmModal) SetSize(w, h int) { c.w, c.h = w, h }

func (c *confirmModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return c, nil, false
	}
	switch {
	case key.Matches(k, c.keys.Confirm):
		return c, c.c.onConfirm, true
	case key.Matches(k, c.keys.Cancel):
		return c, c.c.onCancel, true
	}
	return c, nil, false // every other key is trapped
}

func (c *confirmModal) View(width, height int) string {
	box := c.st.Dialog.Box
	if c.c.destructive {
		box = c.st.Dialog.DangerBox
	}
	inner := min(max(width-8, 20), 100)
	var b strings.Builder
	b.WriteString(c.st.Dialog.Title.Render(common.Truncate(sanitize.Line(c.c.title), inner)))
	b.WriteString("\n\n")
	if len(c.c.lines) > 0 {
		if c.c.destructive {
			b.WriteString(c.st.Bad.Render("This will run (destructive):"))
		} else {
			b.WriteString("This will run:")
		}
		b.WriteString("\n")
		for _, l := range c.c.lines {
			// Wrap, never cut: the engineer must see all of what will run.
			b.WriteString(ansi.Hardwrap("  "+sanitize.Text(l), inner, true))
			b.WriteString("\n")
		}
	}
	if c.c.target != "" {
		b.WriteString("\n" + ansi.Hardwrap("Against: "+sanitize.Text(c.c.target), inner, true) + "\n")
	}
	if c.c.note != "" {
		b.WriteString("\n" + c.st.Warn.Render(ansi.Hardwrap(c.c.note, inner, true)) + "\n")
	}
	b.WriteString("\n" + c.st.Dialog.Hint.Render(hints(c.keys.Confirm, c.keys.Cancel)))
	body := b.String()
	// Keep the box inside the screen: if it is too tall, cut the middle
	// and say so rather than spill.
	lines := strings.Split(body, "\n")
	if maxLines := height - 4; maxLines > 4 && len(lines) > maxLines {
		keep := append(append([]string{}, lines[:maxLines-3]...), c.st.Warn.Render(fmt.Sprintf("… %d more lines (enlarge the terminal to read them all)", len(lines)-maxLines+2)), "", lines[len(lines)-1])
		body = strings.Join(keep, "\n")
	}
	return box.Width(inner + box.GetHorizontalPadding()).Render(body)
}

// ---- running action ---------------------------------------------------------

// runningModal shows a running action: elapsed time and its latest output;
// esc cancels it, enter hides the dialog (it goes on; the status bar shows
// it). Once the action ends it shows the outcome until closed.
type runningModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	r    *running
	now  func() time.Time
	w, h int
}

func (d *runningModal) SetSize(w, h int) { d.w, d.h = w, h }

func (d *runningModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil, false
	}
	switch {
	case d.r.done != nil && key.Matches(k, d.keys.Close, d.keys.Hide):
		return d, nil, true
	case key.Matches(k, d.keys.Close):
		if !d.r.cancelling {
			d.r.cancelling = true
			d.r.cancel() // not I/O: the action's goroutine sees its context end
		}
	case key.Matches(k, d.keys.Hide):
		return d, nil, true
	}
	return d, nil, false
}

func (d *runningModal) View(width, height int) string {
	r := d.r
	inner := min(max(width-8, 20), 100)
	var b strings.Builder
	b.WriteString(d.st.Dialog.Title.Render(common.Truncate(sanitize.Line(r.action.Title), inner)) + "\n")
	if r.action.Target != "" {
		b.WriteString(d.st.Muted.Render(common.Truncate("against "+sanitize.Line(r.action.Target), inner)) + "\n")
	}
	switch {
	case r.done != nil && r.done.outcome.Err != nil:
		b.WriteString(d.st.Bad.Render(common.Truncate("FAILED after "+r.done.duration.Round(100*time.Millisecond).String()+" — "+sanitize.Line(r.done.outcome.Err.Error()), inner)))
	case r.done != nil:
		msg := "done in " + r.done.duration.Round(100*time.Millisecond).String()
		if r.done.outcome.Result != "" {
			msg += " — " + r.done.outcome.Result
		}
		b.WriteString(d.st.OK.Render(common.Truncate(sanitize.Line(msg), inner)))
	case r.cancelling:
		b.WriteString(d.st.Warn.Render("cancelling… " + common.Duration(d.now().Sub(r.started))))
	default:
		b.WriteString(d.st.Info.Render("running " + common.Duration(d.now().Sub(r.started))))
	}
	b.WriteString("\n")
	rows := max(min(height-10, 15), 1)
	lines := r.out.Lines
	if len(lines) > rows {
		lines = lines[len(lines)-rows:]
	}
	if earlier := r.out.Dropped + len(r.out.Lines) - len(lines); earlier > 0 {
		b.WriteString(d.st.Muted.Render(fmt.Sprintf("… %d earlier lines", earlier)) + "\n")
	}
	for _, l := range lines {
		b.WriteString(common.Truncate(sanitize.Line(l), inner) + "\n")
	}
	if len(r.out.Lines) == 0 && r.done == nil {
		b.WriteString(d.st.Muted.Render("(no output yet)") + "\n")
	}
	hint := hints(relabel(d.keys.Close, "cancel it"), relabel(d.keys.Hide, "hide (it goes on)"))
	if r.done != nil {
		hint = hints(relabel(d.keys.Hide, "close"), relabel(d.keys.Close, "close"))
	}
	b.WriteString("\n" + d.st.Dialog.Hint.Render(common.Truncate(hint, inner)))
	return d.st.Dialog.Box.Width(inner + d.st.Dialog.Box.GetHorizontalPadding()).Render(b.String())
}

// ---- input dialog -----------------------------------------------------------

type inputModal struct {
	st     *styles.Styles
	keys   DialogKeyMap
	req    common.InputRequest
	inputs []textinput.Model
	focus  int
	err    string
	w, h   int
}

func (m *inputModal) SetSize(w, h int) { m.w, m.h = w, h }

func newInputModal(st *styles.Styles, keys DialogKeyMap, req common.InputRequest) *inputModal {
	m := &inputModal{st: st, keys: keys, req: req}
	for i, f := range req.Fields {
		ti := textinput.New()
		ti.Prompt = ""
		ti.SetValue(f.Default)
		ti.Placeholder = f.Placeholder
		ti.CharLimit = 2000
		if i == 0 {
			ti.Focus()
		}
		m.inputs = append(m.inputs, ti)
	}
	return m
}

func (m *inputModal) setFocus(i int) {
	m.inputs[m.focus].Blur()
	m.focus = (i + len(m.inputs)) % len(m.inputs)
	m.inputs[m.focus].Focus()
}

func (m *inputModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
		return m, cmd, false
	}
	switch {
	case key.Matches(k, m.keys.Close):
		return m, m.req.OnCancel, true
	case key.Matches(k, m.keys.Submit) && m.focus == len(m.inputs)-1:
		values := make(map[string]string, len(m.inputs))
		for i, f := range m.req.Fields {
			v := strings.TrimSpace(m.inputs[i].Value())
			if f.Validate != nil {
				if err := f.Validate(v); err != nil {
					m.err = f.Label + ": " + err.Error()
					m.setFocus(i)
					return m, nil, false
				}
			}
			values[f.Name] = v
		}
		if m.req.OnSubmit == nil {
			return m, nil, true
		}
		return m, m.req.OnSubmit(values), true
	case key.Matches(k, m.keys.Next, m.keys.Submit):
		m.setFocus(m.focus + 1)
		return m, nil, false
	case key.Matches(k, m.keys.Prev):
		m.setFocus(m.focus - 1)
		return m, nil, false
	}
	var cmd tea.Cmd
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	return m, cmd, false
}

func (m *inputModal) View(width, height int) string {
	inner := min(max(width-8, 20), 80)
	var b strings.Builder
	b.WriteString(m.st.Dialog.Title.Render(common.Truncate(m.req.Title, inner)) + "\n")
	labelW := 0
	for _, f := range m.req.Fields {
		labelW = max(labelW, lipgloss.Width(f.Label))
	}
	labelW = min(labelW, inner/3)
	for i, f := range m.req.Fields {
		in := m.inputs[i] // a copy: setting its width here changes nothing kept
		in.Width = max(inner-labelW-3, 5)
		style := m.st.Dialog.Field
		if i == m.focus {
			style = m.st.Dialog.FieldFocused
		}
		b.WriteString("\n" + style.Render(common.Pad(f.Label, labelW)) + " › " + in.View())
	}
	if m.err != "" {
		b.WriteString("\n\n" + m.st.Bad.Render(common.Truncate(m.err, inner)))
	}
	hint := hints(relabel(m.keys.Submit, "save"), relabel(m.keys.Close, "cancel"))
	if len(m.inputs) > 1 {
		hint = hints(relabel(m.keys.Next, "next field"), relabel(m.keys.Submit, "next / save on last"), relabel(m.keys.Close, "cancel"))
	}
	b.WriteString("\n\n" + m.st.Dialog.Hint.Render(common.Truncate(hint, inner)))
	return m.st.Dialog.Box.Width(inner + m.st.Dialog.Box.GetHorizontalPadding()).Render(b.String())
}

// ---- help -------------------------------------------------------------------

type helpSection struct {
	title string
	keys  help.KeyMap
}

type helpModal struct {
	st       *styles.Styles
	keys     DialogKeyMap
	sections []helpSection
	offset   int
	close    key.Binding // the dialog's Close, and ? again
	body     []string    // laid out for the size given by SetSize
	rows     int         // how many body lines fit
}

func (h *helpModal) SetSize(width, height int) {
	h.body = h.layout(width)
	h.rows = max(height-6, 3)
	h.offset = min(h.offset, h.maxOffset())
}

func (h *helpModal) maxOffset() int { return max(len(h.body)-h.rows, 0) }

func (h *helpModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return h, nil, false
	}
	switch {
	case key.Matches(k, h.close, h.keys.Close):
		return h, nil, true
	case key.Matches(k, h.keys.ScrollDown):
		h.offset = min(h.offset+1, h.maxOffset())
	case key.Matches(k, h.keys.ScrollUp):
		h.offset = max(h.offset-1, 0)
	}
	return h, nil, false
}

// lines renders every section's bindings, one binding a line.
func (h *helpModal) lines() [][]string {
	var out [][]string
	for _, s := range h.sections {
		sec := []string{h.st.Help.Section.Render(s.title)}
		kw := 0
		var all []key.Binding
		for _, col := range s.keys.FullHelp() {
			for _, b := range col {
				if b.Enabled() {
					all = append(all, b)
					kw = max(kw, ansi.StringWidth(b.Help().Key))
				}
			}
		}
		if len(all) == 0 {
			sec = append(sec, h.st.Muted.Render("(no keys of its own yet)"))
		}
		for _, b := range all {
			sec = append(sec, h.st.Help.Key.Render(common.Pad(b.Help().Key, kw))+"  "+h.st.Help.Desc.Render(b.Help().Desc))
		}
		out = append(out, sec)
	}
	return out
}

// layout packs the sections into as many columns as width allows.
func (h *helpModal) layout(width int) []string {
	secs := h.lines()
	colW := 0
	for _, s := range secs {
		for _, l := range s {
			colW = max(colW, ansi.StringWidth(l))
		}
	}
	colW += 3
	avail := max(width-6, 20)
	ncols := max(min(avail/colW, len(secs)), 1)
	// Pack sections into columns of roughly equal height.
	total := 0
	for _, s := range secs {
		total += len(s) + 1
	}
	target := (total + ncols - 1) / ncols
	cols := make([][]string, 0, ncols)
	var cur []string
	for _, s := range secs {
		if len(cur) > 0 && len(cur)+len(s) > target && len(cols) < ncols-1 {
			cols = append(cols, cur)
			cur = nil
		}
		cur = append(append(cur, s...), "")
	}
	cols = append(cols, cur)
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	var body []string
	for i := 0; i < rows; i++ {
		var b strings.Builder
		for _, c := range cols {
			l := ""
			if i < len(c) {
				l = c[i]
			}
			b.WriteString(common.Pad(l, min(colW, avail/len(cols))))
		}
		body = append(body, strings.TrimRight(b.String(), " "))
	}
	return body
}

func (h *helpModal) View(width, height int) string {
	body := h.body
	footer := hints(h.close, relabel(h.keys.Close, "close"))
	if len(body) > h.rows {
		off := min(h.offset, h.maxOffset())
		footer = fmt.Sprintf("%s (%d-%d of %d)   %s", hints(relabel(h.keys.ScrollDown, "scroll down"), relabel(h.keys.ScrollUp, "up")), off+1, off+h.rows, len(body), footer)
		body = body[off : off+h.rows]
	}
	title := h.st.Dialog.Title.Render("Keys") + "\n\n"
	return h.st.Dialog.Box.Render(title + strings.Join(body, "\n") + "\n" + h.st.Dialog.Hint.Render(footer))
}
