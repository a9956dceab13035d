package runbook

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/tui/common"
)

// codeLines is how many lines of a step's code the step list shows.
const codeLines = 3

func (m *Model) wrap() {
	if m.open == nil || m.w <= 0 {
		return
	}
	m.lines = strings.Split(ansi.Wrap(sanitize.Text(m.open.Body), m.w, ""), "\n")
}

// View renders the search line and the ranked list, or the open runbook.
func (m *Model) View() string { return common.Clip(m.view(), m.w, m.h) }

func (m *Model) view() string {
	if m.open != nil {
		if m.text {
			start := min(m.scroll.Pos, max(len(m.lines)-m.h, 0))
			end := min(start+m.h, len(m.lines))
			return strings.Join(m.lines[start:end], "\n")
		}
		return m.stepsView()
	}
	return m.listView()
}

func (m *Model) listView() string {
	st := m.c.Styles
	var b strings.Builder
	switch {
	case m.typing || m.search.Value() != "":
		b.WriteString(m.search.View() + "\n")
	case len(m.suggestions) > 0:
		b.WriteString(st.Muted.Render(common.Truncate(fmt.Sprintf("%d runbooks · %d suggested · / to search",
			len(m.index.All()), len(m.suggestions)), m.w)) + "\n")
	default:
		b.WriteString(st.Muted.Render(common.Truncate(fmt.Sprintf("%d runbooks · / to search", len(m.index.All())), m.w)) + "\n")
	}
	if len(m.rows) == 0 {
		b.WriteString(st.Muted.Render("no runbook matches"))
		return b.String()
	}
	b.WriteString("\n")
	cur := m.cursor // a copy: drawing never moves the cursor
	start, end := cur.Window(len(m.rows), m.listRows())
	for i := start; i < end; i++ {
		r := m.rows[i]
		mark := ""
		if r.why != "" {
			mark = "★ "
		}
		name := r.rb.Title
		if m.dups[r.rb.Title] {
			// Two runbooks of one title (the playbook loaded beside the
			// shipped files): which file each comes from.
			name += " · " + strings.TrimPrefix(filepath.Base(r.rb.Source), "embedded:")
		}
		title := common.Truncate(mark+sanitize.Line(name), m.w-2)
		var sub string
		if r.why != "" {
			sub = st.Warn.Render(common.Truncate("  suggested: "+sanitize.Line(r.why), m.w))
		} else {
			sub = st.Muted.Render(common.Truncate("  "+sanitize.Line(strings.Join(r.rb.Symptoms, " · ")), m.w))
		}
		if i == cur.Pos {
			b.WriteString(st.Table.Selected.Render(common.Pad("▸ "+title, m.w)) + "\n" + sub + "\n")
		} else {
			b.WriteString("  " + title + "\n" + sub + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// stepsView is the open runbook's steps, the selected one marked, and
// below them the output of the step that ran last.
func (m *Model) stepsView() string {
	st := m.c.Styles
	rb := m.open
	var head []string
	if rb.Severity != "" {
		head = append(head, rb.Severity)
	}
	if rb.Owner != "" {
		head = append(head, "owner "+rb.Owner)
	}
	head = append(head, fmt.Sprintf("%d steps", len(rb.Steps)), "t: full text")
	top := []string{st.Muted.Render(common.Truncate(sanitize.Line(strings.Join(head, " · ")), m.w))}

	outH := 0
	if m.run != nil && m.run.shown() {
		outH = min(max(m.h*2/5, 4), max(m.h-4, 2))
	}
	avail := max(m.h-len(top)-outH, 1)

	// The step list as lines; sel is the selected step's first line.
	var lines []string
	selAt, selEnd := 0, 0
	section := ""
	for i, s := range rb.Steps {
		if s.Section != "" && s.Section != section {
			section = s.Section
			lines = append(lines, st.Bold.Render(common.Truncate(sanitize.Line(section), m.w)))
		}
		if i == m.sel {
			selAt = len(lines)
		}
		tags := " " + string(s.Lang)
		switch {
		case m.c.Mode.Refuses(s.Destructive):
			tags = " ⊘ read-only" + tags
		case s.Destructive:
			tags = " ⚠" + tags
		}
		name := fmt.Sprintf("%d %s", i+1, sanitize.Line(s.Name))
		nw := max(m.w-2-ansi.StringWidth(tags), 1)
		line := common.Pad(common.Truncate(name, nw), nw) + tags
		if i == m.sel {
			lines = append(lines, st.Table.Selected.Render(common.Pad("▸ "+line, m.w)))
		} else if s.Destructive {
			lines = append(lines, "  "+common.Pad(common.Truncate(name, nw), nw)+st.Warn.Render(tags))
		} else {
			lines = append(lines, "  "+line)
		}
		code := strings.Split(strings.TrimRight(sanitize.Text(s.Code), "\n"), "\n")
		for j, c := range code {
			if j == codeLines {
				lines = append(lines, st.Muted.Render(common.Truncate(fmt.Sprintf("    … %d more lines", len(code)-codeLines), m.w)))
				break
			}
			lines = append(lines, st.Muted.Render(common.Truncate("    "+strings.ReplaceAll(c, "\t", "  "), m.w)))
		}
		if i == m.sel {
			selEnd = len(lines)
		}
	}
	// The selected step sits a third of the way down, whole if it fits.
	start := max(selAt-avail/3, 0)
	if selEnd-start > avail {
		start = max(selEnd-avail, selAt)
	}
	start = min(start, max(len(lines)-avail, 0))
	end := min(start+avail, len(lines))
	body := append(top, lines[start:end]...)
	for len(body) < m.h-outH {
		body = append(body, "")
	}
	if outH > 0 {
		body = append(body, m.outputView(outH)...)
	}
	return strings.Join(body, "\n")
}

// outRows is how many output lines the output area shows.
func (m *Model) outRows() int { return max(min(max(m.h*2/5, 4), max(m.h-4, 2))-1, 1) }

// outputView is the last run's status line and its newest output lines
// (scrolled back by [ and ]).
func (m *Model) outputView(h int) []string {
	st := m.c.Styles
	r := m.run
	kind, status := r.status(m.c.Mode)
	style := st.Muted
	switch kind {
	case "ok":
		style = st.OK
	case "warn":
		style = st.Warn
	case "bad":
		style = st.Bad
	case "info":
		style = st.Info
	}
	// The title gives way to the status, down to a third of the width.
	title := common.Truncate("─ "+sanitize.Line(r.title), max(m.w-ansi.StringWidth(status)-1, m.w/3, 1)) + " "
	out := []string{title + style.Render(common.Truncate(status, max(m.w-ansi.StringWidth(title), 1)))}
	rows := h - 1
	// The newest lines that fit, each wrapped to the width (an error or a
	// wide table row is read whole), scrolled back by [ and ].
	var vis []string
	need := rows + m.outScroll
	start := len(r.lines)
	for start > 0 && len(vis) < need {
		start--
		seg := strings.Split(ansi.Hardwrap(r.lines[start], max(m.w, 1), true), "\n")
		vis = append(seg, vis...)
	}
	if start == 0 && r.dropped > 0 && len(vis) < need {
		vis = append([]string{st.Muted.Render(common.Truncate(fmt.Sprintf("… %d earlier lines not kept (the newest %d are)", r.dropped, outputKeep), m.w))}, vis...)
	}
	back := min(m.outScroll, max(len(vis)-rows, 0))
	end := len(vis) - back
	for _, l := range vis[max(end-rows, 0):end] {
		out = append(out, common.Truncate(l, m.w))
	}
	switch n := len(r.lines); {
	case n == 0 && r.notRun:
		// Not run: what it would have run, to do by hand if need be.
		for _, l := range append([]string{"it would have run:"}, r.cmd...) {
			if len(out) < h {
				out = append(out, st.Muted.Render(common.Truncate("  "+sanitize.Line(l), m.w)))
			}
		}
	case n == 0 && r.done != nil:
		out = append(out, st.Muted.Render("(no output)"))
	}
	if back > 0 && len(out) > 1 {
		out[len(out)-1] = st.Muted.Render(common.Truncate(fmt.Sprintf("… %d newer lines · ] to scroll down", back), m.w))
	}
	return out
}
