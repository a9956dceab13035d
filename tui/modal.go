package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
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
// themselves: "[y/enter] confirm   [n/esc] cancel". Within a hint the
// spaces do not break (nbsp), so a narrow dialog wraps between hints,
// never inside one; render turns them back into spaces.
func hints(bs ...key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.Enabled() {
			parts = append(parts, strings.ReplaceAll("["+b.Help().Key+"] "+b.Help().Desc, " ", nbsp))
		}
	}
	return strings.Join(parts, "   ")
}

const nbsp = "\u00a0"

// relabel is b with another description, for a hint that says what the
// key does in this dialog; the keys shown stay the binding's own.
func relabel(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// dialogInner is a dialog's text width on a screen width cells wide, at
// most limit: it leaves a margin so the box never touches the edges.
func dialogInner(width, limit int) int {
	return max(min(width-8, limit), min(20, width-4), 1)
}

// wrapLines wraps plain or styled text to width cells, as the terminal
// measures them (graphemes: an emoji with VS16 or a ZWJ sequence is one
// character two cells wide).
func wrapLines(s string, width int) []string {
	if s == "" {
		return nil
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}

// ---- fitting a dialog to the screen -------------------------------------------

// dialogLayout is a dialog's content before it is fitted to the screen.
// Every dialog is drawn through it, so each one stays within the screen
// at every size: its head and its key hints always show, and a body too
// tall for the screen scrolls (with a line saying where it is) instead of
// running off it.
type dialogLayout struct {
	head []string // the title first, then lines that always show
	body []string // scrolls: off is the first line shown
	off  int
	tail bool   // show the end of the body (output that grows)
	hint string // key hints: wrapped, never cut
	// scroll names the keys that scroll the body, for its position line.
	scroll string
}

// fit works out what shows at inner x height (height counts the box's
// border): the head, the gaps, the body window and the hint lines.
func (d dialogLayout) fit(box lipgloss.Style, inner, height int) (head []string, off, rows int, gaps bool, hint []string, pos bool) {
	avail := max(height-box.GetVerticalFrameSize(), 1)
	head = d.head
	hint = wrapLines(d.hint, inner)
	gaps = true
	need := len(head) + len(d.body) + len(hint) + 2
	if need > avail {
		gaps = false // blank lines go first
	}
	spare := avail - len(head) - len(hint)
	if gaps {
		spare -= 2
	}
	// On a tiny screen the head gives way (the title stays), then the hint's
	// first lines: what the keys do is the last thing to go.
	want := min(len(d.body), 1) // a body wants one row; without one, none
	for spare < want && len(head) > 1 {
		head = head[:len(head)-1]
		spare++
	}
	for spare < want && len(hint) > 1 {
		hint = hint[1:]
		spare++
	}
	rows = max(min(spare, len(d.body)), 0)
	if len(d.body) > rows && rows > 1 {
		rows-- // the position line: only where a row is left for it
		pos = true
	}
	maxOff := max(len(d.body)-rows, 0)
	off = min(max(d.off, 0), maxOff)
	if d.tail {
		off = maxOff
	}
	return head, off, rows, gaps, hint, pos
}

// bodyRows is how many body lines show at inner x height.
func (d dialogLayout) bodyRows(box lipgloss.Style, inner, height int) int {
	_, _, rows, _, _, _ := d.fit(box, inner, height)
	return rows
}

// maxOff is the furthest the body can scroll at inner x height.
func (d dialogLayout) maxOff(box lipgloss.Style, inner, height int) int {
	return max(len(d.body)-d.bodyRows(box, inner, height), 0)
}

// render draws the dialog in box: every line is cut or padded to exactly
// inner cells (measured as the terminal does), so no line can push the
// right border out of its column.
func (d dialogLayout) render(st *styles.Styles, box lipgloss.Style, inner, height int) string {
	head, off, rows, gaps, hint, pos := d.fit(box, inner, height)
	lines := make([]string, 0, height)
	lines = append(lines, head...)
	if gaps && len(head) > 0 && len(d.body) > 0 {
		lines = append(lines, "")
	}
	lines = append(lines, d.body[off:off+rows]...)
	if pos {
		pos := fmt.Sprintf("%d–%d of %d", off+1, off+rows, len(d.body))
		if d.scroll != "" {
			pos += " · " + d.scroll
		}
		if ansi.StringWidth(pos)+6 <= inner {
			pos = "lines " + pos
		}
		lines = append(lines, st.Muted.Render(pos))
	}
	if gaps && len(hint) > 0 {
		lines = append(lines, "")
	}
	for _, h := range hint {
		lines = append(lines, st.Dialog.Hint.Render(h))
	}
	for i, l := range lines {
		lines[i] = common.Pad(strings.ReplaceAll(l, nbsp, " "), inner)
	}
	return box.Width(inner + box.GetHorizontalPadding()).Render(strings.Join(lines, "\n"))
}

// scrollHint names a dialog's scroll keys for its position line.
func scrollHint(k DialogKeyMap) string {
	return k.ScrollDown.Help().Key + " " + k.ScrollUp.Help().Key + " scroll"
}

// ---- confirmation dialog ----------------------------------------------------

// confirmation is what the confirmation dialog shows and does.
type confirmation struct {
	title       string
	lines       []string // exactly what will run
	target      string
	impact      []string // the blast radius, as the pane knows it
	destructive bool
	console     bool   // about the console itself (quit): lines say what happens, nothing runs
	note        string // what the session's mode will do with it
	onConfirm   tea.Cmd
	onCancel    tea.Cmd
}

type confirmModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	c    confirmation
	w, h int
	off  int // first body line shown: a long command scrolls, never hides
}

func (c *confirmModal) SetSize(w, h int) {
	c.w, c.h = w, h
	c.off = min(c.off, c.layout().maxOff(c.box(), c.inner(), h))
}

func (c *confirmModal) box() lipgloss.Style {
	if c.c.destructive {
		return c.st.Dialog.DangerBox
	}
	return c.st.Dialog.Box
}

func (c *confirmModal) inner() int { return dialogInner(c.w, 100) }

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
	case key.Matches(k, c.keys.ScrollDown):
		c.off = min(c.off+1, c.layout().maxOff(c.box(), c.inner(), c.h))
	case key.Matches(k, c.keys.ScrollUp):
		c.off = max(c.off-1, 0)
	}
	return c, nil, false // every other key is trapped
}

func (c *confirmModal) layout() dialogLayout {
	inner := c.inner()
	var body []string
	switch {
	case c.c.console:
		// Sentences about the console: wrapped between words (a word
		// longer than the line, a path, is still broken, never cut).
		for _, l := range c.c.lines {
			for _, para := range strings.Split(sanitize.Text(l), "\n") {
				if para == "" {
					body = append(body, "")
					continue
				}
				body = append(body, wrapLines(para, inner)...)
			}
		}
	case len(c.c.lines) > 0:
		if c.c.destructive {
			body = append(body, c.st.Bad.Render("This will run (destructive):"))
		} else {
			body = append(body, "This will run:")
		}
		for _, l := range c.c.lines {
			// Wrap, never cut: the engineer must see all of what will run.
			body = append(body, wrapHard("  "+sanitize.Text(l), inner)...)
		}
	}
	if c.c.target != "" {
		body = append(body, "")
		body = append(body, wrapHard("Against: "+sanitize.Text(c.c.target), inner)...)
	}
	if len(c.c.impact) > 0 {
		body = append(body, "")
		for _, l := range c.c.impact {
			for _, w := range wrapLines(sanitize.Text(l), inner) {
				body = append(body, c.st.Warn.Render(w))
			}
		}
	}
	if c.c.note != "" {
		body = append(body, "")
		for _, l := range wrapLines(sanitize.Text(c.c.note), inner) {
			body = append(body, c.st.Warn.Render(l))
		}
	}
	return dialogLayout{
		head:   []string{c.st.Dialog.Title.Render(common.Truncate(sanitize.Line(c.c.title), inner))},
		body:   body,
		off:    c.off,
		hint:   hints(c.keys.Confirm, c.keys.Cancel),
		scroll: scrollHint(c.keys),
	}
}

// wrapHard wraps text that must be read exactly (commands, SQL): every
// character kept, long words broken, each source line on its own lines.
func wrapHard(s string, width int) []string {
	return strings.Split(ansi.Hardwrap(s, width, true), "\n")
}

func (c *confirmModal) View(width, height int) string {
	return c.layout().render(c.st, c.box(), c.inner(), height)
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
	inner := dialogInner(width, 100)
	head := []string{d.st.Dialog.Title.Render(common.Truncate(sanitize.Line(r.action.Title), inner))}
	if r.action.Target != "" {
		head = append(head, d.st.Muted.Render(common.Truncate("against "+sanitize.Line(r.action.Target), inner)))
	}
	var errLines []string
	switch {
	case r.done != nil && r.done.outcome.Err != nil:
		head = append(head, d.st.Bad.Render(common.Truncate("FAILED after "+r.done.duration.Round(100*time.Millisecond).String(), inner)))
		// The whole error, after the output: the tail always shows it.
		for _, l := range wrapLines(incident.Redact(sanitize.Text(r.done.outcome.Err.Error())), inner) {
			errLines = append(errLines, d.st.Bad.Render(l))
		}
	case r.done != nil:
		msg := "done in " + r.done.duration.Round(100*time.Millisecond).String()
		if r.done.outcome.Result != "" {
			msg += " — " + r.done.outcome.Result
		}
		head = append(head, d.st.OK.Render(common.Truncate(sanitize.Line(msg), inner)))
	case r.cancelling:
		head = append(head, d.st.Warn.Render("cancelling… "+common.Duration(d.now().Sub(r.started))))
	default:
		head = append(head, d.st.Info.Render("running "+common.Duration(d.now().Sub(r.started))))
	}
	var body []string
	if r.out.Dropped > 0 {
		body = append(body, d.st.Muted.Render(fmt.Sprintf("… %d earlier lines not kept", r.out.Dropped)))
	}
	for _, l := range r.out.Lines {
		body = append(body, sanitize.Line(l)) // cut at the box's edge by render
	}
	if len(r.out.Lines) == 0 && r.done == nil {
		body = append(body, d.st.Muted.Render("(no output yet)"))
	}
	if len(errLines) > 0 {
		body = append(append(body, ""), errLines...)
	}
	hint := hints(relabel(d.keys.Close, "cancel it"), relabel(d.keys.Hide, "hide (it goes on)"))
	if r.done != nil {
		hint = hints(relabel(d.keys.Hide, "close"), relabel(d.keys.Close, "close"))
	}
	l := dialogLayout{head: head, body: body, tail: true, hint: hint}
	return l.render(d.st, d.st.Dialog.Box, inner, height)
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
	w, h     int
}

func (h *helpModal) SetSize(width, height int) {
	h.w, h.h = width, height
	h.body = h.layout(dialogInner(width, 200))
	h.offset = min(h.offset, h.maxOffset())
}

func (h *helpModal) inner() int {
	w := 0
	for _, l := range h.body {
		w = max(w, ansi.StringWidth(l))
	}
	// Wide enough for its hint too, but never wider than the screen allows.
	return min(max(w, 40), dialogInner(h.w, 200))
}

func (h *helpModal) maxOffset() int {
	return h.dialog().maxOff(h.st.Dialog.Box, h.inner(), h.h)
}

func (h *helpModal) dialog() dialogLayout {
	return dialogLayout{
		head:   []string{h.st.Dialog.Title.Render("Keys")},
		body:   h.body,
		off:    h.offset,
		hint:   hints(h.close, relabel(h.keys.Close, "close")),
		scroll: scrollHint(h.keys),
	}
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
		h.offset = min(h.offset+1, h.maxOffset())
	case key.Matches(k, h.keys.ScrollUp):
		h.offset = max(h.offset-1, 0)
	}
	return h, nil, false
}

// lines renders every section's bindings, one binding a line, its
// description wrapped to avail cells (a narrow screen reads it all). A
// binding an earlier section listed already (the movement keys every list
// shares) is said once: later sections note it in one line.
func (h *helpModal) lines(avail int) [][]string {
	var out [][]string
	seen := map[string]bool{}
	for _, s := range h.sections {
		sec := []string{h.st.Help.Section.Render(sanitize.Line(s.title))}
		kw := 0
		var all []key.Binding
		var again []string
		for _, col := range s.keys.FullHelp() {
			for _, b := range col {
				if !b.Enabled() {
					continue
				}
				id := b.Help().Key + "\x00" + b.Help().Desc
				if seen[id] {
					again = append(again, b.Help().Key)
					continue
				}
				seen[id] = true
				all = append(all, b)
				kw = max(kw, ansi.StringWidth(b.Help().Key))
			}
		}
		if len(all) == 0 && len(again) == 0 {
			sec = append(sec, h.st.Muted.Render("(no keys of its own yet)"))
		}
		if len(again) > 0 {
			for _, l := range wrapLines(sanitize.Line(strings.Join(again, " ")+" as above"), max(avail, 10)) {
				sec = append(sec, h.st.Muted.Render(l))
			}
		}
		for _, b := range all {
			desc := wrapLines(sanitize.Line(b.Help().Desc), max(avail-kw-2, 10))
			for i, d := range desc {
				k := strings.Repeat(" ", kw)
				if i == 0 {
					k = h.st.Help.Key.Render(common.Pad(b.Help().Key, kw))
				}
				sec = append(sec, k+"  "+h.st.Help.Desc.Render(d))
			}
		}
		out = append(out, sec)
	}
	return out
}

// layout packs the sections, in order, into columns as short as the
// width allows: each column as wide as its widest line, the most columns
// that fit in avail cells, each as short as can be.
func (h *helpModal) layout(avail int) []string {
	secs := h.lines(avail)
	widths := make([]int, len(secs))
	for i, s := range secs {
		for _, l := range s {
			widths[i] = max(widths[i], ansi.StringWidth(l))
		}
	}
	const gap = 3
	// pack is the greedy packing under height: the sections of each column.
	pack := func(height int) [][]int {
		var cols [][]int
		var cur []int
		n := 0
		for i, s := range secs {
			if len(cur) > 0 && n+len(s)+1 > height {
				cols, cur, n = append(cols, cur), nil, 0
			}
			cur, n = append(cur, i), n+len(s)+1
		}
		return append(cols, cur)
	}
	// shortest is the packing into at most ncols columns of least height.
	shortest := func(ncols int) [][]int {
		total, tallest := 0, 0
		for _, s := range secs {
			total += len(s) + 1
			tallest = max(tallest, len(s)+1)
		}
		lo, hi := max(tallest, (total+ncols-1)/ncols), total
		for lo < hi {
			if mid := (lo + hi) / 2; len(pack(mid)) <= ncols {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return pack(lo)
	}
	colWidth := func(col []int) int {
		w := 0
		for _, i := range col {
			w = max(w, widths[i])
		}
		return w
	}
	var cols [][]int
	for n := len(secs); n >= 1; n-- {
		cols = shortest(n)
		total := 0
		for _, c := range cols {
			total += colWidth(c) + gap
		}
		if total-gap <= avail || n == 1 {
			break
		}
	}
	var text [][]string
	rows := 0
	for _, c := range cols {
		var lines []string
		for _, i := range c {
			lines = append(append(lines, secs[i]...), "")
		}
		text = append(text, lines)
		rows = max(rows, len(lines))
	}
	var body []string
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for j, c := range text {
			l := ""
			if r < len(c) {
				l = c[r]
			}
			w := colWidth(cols[j])
			if j < len(text)-1 {
				w += gap
			}
			b.WriteString(common.Pad(l, min(w, avail)))
		}
		body = append(body, strings.TrimRight(b.String(), " "))
	}
	// The packing leaves a blank line after the last section: drop it.
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	return body
}

func (h *helpModal) View(width, height int) string {
	return h.dialog().render(h.st, h.st.Dialog.Box, h.inner(), height)
}
