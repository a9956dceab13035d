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
	b := st.Frame.Box.GetBorderStyle()
	inner := w - st.Frame.Box.GetHorizontalFrameSize()
	t := common.Truncate(title, max(inner-4, 0))
	fill := inner - 3 - ansi.StringWidth(t)
	var top string
	if fill >= 0 && t != "" {
		top = border.Render(b.TopLeft+b.Top+" ") + titleStyle.Render(t) + border.Render(" "+strings.Repeat(b.Top, fill)+b.TopRight)
	} else {
		top = border.Render(b.TopLeft + strings.Repeat(b.Top, inner) + b.TopRight)
	}
	out := make([]string, 0, h)
	out = append(out, top)
	left, right := border.Render(b.Left), border.Render(b.Right)
	for _, l := range common.Fit(body, inner, h-st.Frame.Box.GetVerticalFrameSize()) {
		out = append(out, left+l+right)
	}
	out = append(out, border.Render(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
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
		// A cut through a wide character (an emoji in a pane) drops it
		// whole: pad so the box and the right side stay in their columns.
		lp := common.Pad(ansi.Truncate(row, left, ""), left)
		want := width - left - bw
		rp := ansi.TruncateLeft(row, left+bw, "")
		if ansi.StringWidth(rp) > want {
			// TruncateLeft keeps a wide character the cut goes through:
			// cut one cell further, which drops it, and pad below.
			rp = ansi.TruncateLeft(row, left+bw+1, "")
		}
		if gap := want - ansi.StringWidth(rp); gap > 0 {
			rp = strings.Repeat(" ", gap) + rp
		}
		out[y] = lp + l + rp
	}
	return out
}
