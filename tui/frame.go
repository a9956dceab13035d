package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// frame draws body inside a rounded border of exactly w x h cells with the
// title set into the top edge. Every line is cut or padded to width, so a
// pane can never spill into its neighbour.
func frame(st *styles.Styles, title, body string, w, h int, focused bool) []string {
	if w < 2 || h < 2 {
		return common.Fit("", max(w, 0), max(h, 0))
	}
	border, titleStyle := st.Frame.Border, st.Frame.Title
	if focused {
		border, titleStyle = st.Frame.BorderFocused, st.Frame.TitleFocused
	}
	inner := w - 2
	t := common.Truncate(title, max(inner-4, 0))
	fill := inner - 3 - ansi.StringWidth(t)
	var top string
	if fill >= 0 && t != "" {
		top = border.Render("╭─ ") + titleStyle.Render(t) + border.Render(" "+strings.Repeat("─", fill)+"╮")
	} else {
		top = border.Render("╭" + strings.Repeat("─", inner) + "╮")
	}
	out := make([]string, 0, h)
	out = append(out, top)
	side := border.Render("│")
	for _, l := range common.Fit(body, inner, h-2) {
		out = append(out, side+l+side)
	}
	out = append(out, border.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return out
}

// joinColumns places blocks of lines side by side; all blocks must have the
// same number of lines (the layout guarantees it).
func joinColumns(cols ...[]string) []string {
	if len(cols) == 0 {
		return nil
	}
	n := len(cols[0])
	out := make([]string, n)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		for _, c := range cols {
			if i < len(c) {
				b.WriteString(c[i])
			}
		}
		out[i] = b.String()
	}
	return out
}

// overlay draws box centred over the background lines.
func overlay(bg []string, box string, width int) []string {
	lines := strings.Split(box, "\n")
	bw := 0
	for _, l := range lines {
		bw = max(bw, ansi.StringWidth(l))
	}
	if bw > width {
		bw = width
	}
	top := max((len(bg)-len(lines))/2, 0)
	left := max((width-bw)/2, 0)
	out := make([]string, len(bg))
	copy(out, bg)
	for i, l := range lines {
		y := top + i
		if y >= len(out) {
			break
		}
		row := common.Pad(out[y], width)
		l = common.Pad(l, bw)
		out[y] = ansi.Truncate(row, left, "") + l + ansi.TruncateLeft(row, left+bw, "")
	}
	return out
}
