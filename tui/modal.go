package tui

import (
	"fmt"
	"strings"

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
// key; it says when it is done and what to run then.
type modal interface {
	Update(tea.Msg) (m modal, cmd tea.Cmd, done bool)
	View(width, height int) string
}

// ---- confirmation dialog ----------------------------------------------------

type confirmModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	req  common.ConfirmRequest
	mode common.Mode
}

func (c *confirmModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return c, nil, false
	}
	switch {
	case key.Matches(k, c.keys.Confirm):
		return c, c.req.OnConfirm, true
	case key.Matches(k, c.keys.Cancel):
		return c, c.req.OnCancel, true
	}
	return c, nil, false // every other key is trapped
}

func (c *confirmModal) View(width, height int) string {
	box := c.st.Dialog.Box
	if c.req.Destructive {
		box = c.st.Dialog.DangerBox
	}
	inner := min(max(width-8, 20), 100)
	var b strings.Builder
	b.WriteString(c.st.Dialog.Title.Render(common.Truncate(sanitize.Line(c.req.Title), inner)))
	b.WriteString("\n\n")
	if len(c.req.Lines) > 0 {
		if c.req.Destructive {
			b.WriteString(c.st.Bad.Render("This will run:"))
		} else {
			b.WriteString("This will:")
		}
		b.WriteString("\n")
		for _, l := range c.req.Lines {
			// Wrap, never cut: the engineer must see all of what will run.
			b.WriteString(ansi.Hardwrap("  "+sanitize.Text(l), inner, true))
			b.WriteString("\n")
		}
	}
	if c.req.Target != "" {
		b.WriteString("\n" + ansi.Hardwrap("Against: "+sanitize.Text(c.req.Target), inner, true) + "\n")
	}
	if c.req.Destructive {
		switch {
		case c.mode.Drill:
			b.WriteString("\n" + c.st.Warn.Render("DRILL: it will be shown as \"would run\" and recorded as not executed.") + "\n")
		case c.mode.DryRun:
			b.WriteString("\n" + c.st.Warn.Render("DRY-RUN: it will be shown as \"would run\" and recorded as not executed.") + "\n")
		}
	}
	b.WriteString("\n" + c.st.Dialog.Hint.Render("[y/enter] confirm   [n/esc] cancel"))
	body := b.String()
	// Keep the box inside the screen: if it is too tall, cut the middle
	// and say so rather than spill.
	lines := strings.Split(body, "\n")
	if maxLines := height - 4; maxLines > 4 && len(lines) > maxLines {
		keep := append(append([]string{}, lines[:maxLines-3]...), c.st.Warn.Render(fmt.Sprintf("… %d more lines (enlarge the terminal to read them all)", len(lines)-maxLines+2)), "", lines[len(lines)-1])
		body = strings.Join(keep, "\n")
	}
	return box.Width(inner + 2).Render(body)
}

// ---- input dialog -----------------------------------------------------------

type inputModal struct {
	st     *styles.Styles
	keys   DialogKeyMap
	req    common.InputRequest
	inputs []textinput.Model
	focus  int
	err    string
}

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
		in := m.inputs[i]
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
	hint := "[enter] save   [esc] cancel"
	if len(m.inputs) > 1 {
		hint = "[tab] next field   [enter] next / save on last   [esc] cancel"
	}
	b.WriteString("\n\n" + m.st.Dialog.Hint.Render(common.Truncate(hint, inner)))
	return m.st.Dialog.Box.Width(inner + 2).Render(b.String())
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
}

func (h *helpModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return h, nil, false
	}
	switch {
	case key.Matches(k, h.close, h.keys.Close):
		return h, nil, true
	case key.Matches(k, h.keys.ScrollDown):
		h.offset++ // View clamps it to the content
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

func (h *helpModal) View(width, height int) string {
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
	maxRows := max(height-6, 3)
	footer := "[? / esc] close"
	if len(body) > maxRows {
		h.offset = min(h.offset, len(body)-maxRows)
		footer = fmt.Sprintf("[j/k] scroll (%d-%d of %d)   [? / esc] close", h.offset+1, h.offset+maxRows, len(body))
		body = body[h.offset : h.offset+maxRows]
	}
	title := h.st.Dialog.Title.Render("Keys") + "\n\n"
	return h.st.Dialog.Box.Render(title + strings.Join(body, "\n") + "\n" + h.st.Dialog.Hint.Render(footer))
}
