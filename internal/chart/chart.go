// Package chart draws line charts for the terminal: braille dots (2x4 per
// cell) for the data, a y axis with short tick labels on the left, an x
// axis with wall-clock ticks at the bottom, a threshold line and an event
// marker drawn unlike the data, and an optional legend.
//
// Render is a pure function of its arguments: no I/O, no clock, no global
// state (apart from time.Local when Options.Location is nil), the same
// output for the same input. Every line it returns is measured with
// ansi.StringWidth and is never wider than Options.Width.
//
// Drawing rules:
//   - consecutive finite points of a series are joined by a line
//     (Bresenham in dot space);
//   - a point whose V is NaN or ±Inf is a gap, and so is a step in time
//     longer than 2.5 times the series' usual spacing (Options.Step, or the
//     median spacing of its points): the dots on either side are not joined;
//   - values beyond the y range are clipped at the plot's edge, never
//     wrapped, and so are times outside [Start, End];
//   - several series share the plot; the dots of a cell are the union of
//     every series that passes through it, and the cell takes the style of
//     the last series (in slice order) that drew in it: put the series that
//     matters most last;
//   - data always wins over the threshold line (┈) and the marker (┊): they
//     show only in cells no series drew in.
package chart

import (
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// Point is one sample. A NaN or ±Inf V is a gap.
type Point struct {
	T time.Time
	V float64
}

// Series is one line of the chart. Points are expected in time order.
type Series struct {
	Name   string
	Points []Point
	Style  lipgloss.Style
}

// Options says what to draw and how big.
type Options struct {
	// Width and Height are the whole chart's cells, axes and legend
	// included. Render draws exactly Width x Height, or a one-line
	// "too small" text cut to Width when a chart would not read, or ""
	// when Width or Height is not positive.
	Width, Height int
	// Start and End are the x range (wall clock). When End is not after
	// Start, the range of the points' times is used (15 minutes when that
	// is empty too).
	Start, End time.Time
	// Unit is "%" (values are ratios 0..1, ticks printed as percent),
	// "req/s", or "" (plain numbers); any other text is printed after
	// legend values. Tick labels are short: 5%, 12.5%, 1.2k, 350m.
	Unit string
	// YMin and YMax fix the y range; nil (or not finite, or YMin >= YMax):
	// from the data in [Start, End] and the threshold, from 0 for "%" and
	// "req/s" (unless the data go below), with headroom above.
	YMin, YMax *float64
	// Threshold is a horizontal dotted line (┈, ThresholdStyle), labelled
	// on the y axis in ThresholdStyle.
	Threshold      *float64
	ThresholdStyle lipgloss.Style
	// Marker, when not zero and inside [Start, End], is a vertical dashed
	// line (┊, MarkerStyle) labelled "▼"+MarkerLabel on a row above the
	// plot when the height allows.
	Marker      time.Time
	MarkerStyle lipgloss.Style
	// MarkerLabel is the marker's text; "" means "declared".
	MarkerLabel string
	// AxisStyle draws the axis lines, LabelStyle the tick labels and
	// legend values.
	AxisStyle, LabelStyle lipgloss.Style
	// Legend adds a line under the x axis: each series' name in its style
	// and its last finite value in [Start, End], formatted with Unit.
	Legend bool
	// Location is used for the x tick labels (nil: time.Local). Ticks fall
	// on round wall-clock times (HH:MM; HH:MM:SS below a minute apart;
	// "Jan 2" a day or more apart).
	Location *time.Location
	// Step is the spacing the points are expected at (a range query's
	// step); 0: each series' median spacing. Two finite points further
	// apart than 2.5 steps are not joined.
	Step time.Duration
}

// TooSmall is the text Render returns (cut to Width) when the chart would
// not read at the size asked.
const TooSmall = "too small"

// Layout limits.
const (
	minPlotCols = 8 // braille cells across
	minPlotRows = 2 // braille cells down
)

// style slots besides the series' own (0..n-1).
const (
	slotNone = -1
)

// Render draws the chart. See the package comment for the rules.
func Render(o Options, series []Series) string {
	w, h := o.Width, o.Height
	if w <= 0 || h <= 0 {
		return ""
	}
	start, end := timeRange(o, series)
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	label := o.MarkerLabel
	if label == "" {
		label = "declared"
	}
	label = sanitize.Line(label)
	markerOn := !o.Marker.IsZero() && !o.Marker.Before(start) && !o.Marker.After(end)

	// Rows, top to bottom: [marker label], plot, [x axis line], x labels,
	// [legend]. The optional ones go first as the height shrinks.
	axisRow := h >= minPlotRows+2
	fixed := 1
	if axisRow {
		fixed++
	}
	legend := o.Legend && len(series) > 0 && h-fixed-1 >= 3
	if legend {
		fixed++
	}
	annot := markerOn && h-fixed-1 >= 4
	if annot {
		fixed++
	}
	plotRows := h - fixed
	if plotRows < minPlotRows {
		return tooSmall(w)
	}

	ys := yScale(o, series, start, end, plotRows)
	// y labels: one per row at most; the threshold's wins its row.
	rowLabel := make([]string, plotRows)
	rowSlot := make([]int, plotRows)
	thrRow := -1
	if o.Threshold != nil && finite(*o.Threshold) && *o.Threshold >= ys.lo && *o.Threshold <= ys.hi {
		thrRow = ys.row(*o.Threshold)
		rowLabel[thrRow] = tickLabel(*o.Threshold, 0, o.Unit)
	}
	for _, v := range ys.ticks {
		r := ys.row(v)
		if rowLabel[r] == "" {
			rowLabel[r] = tickLabel(v, ys.step, o.Unit)
		}
	}
	yw := 0
	for _, l := range rowLabel {
		yw = max(yw, ansi.StringWidth(l))
	}
	plotLeft := yw + 1
	plotCols := w - plotLeft
	if plotCols < minPlotCols {
		return tooSmall(w)
	}

	nS := len(series)
	slotAxis, slotLabel, slotThr, slotMarker := nS, nS+1, nS+2, nS+3
	for i := range rowSlot {
		rowSlot[i] = slotLabel
	}
	if thrRow >= 0 {
		rowSlot[thrRow] = slotThr
	}

	// The plot.
	c := newCanvas(plotCols, plotRows)
	xs := xScale{start: start, span: end.Sub(start), dots: float64(c.dotsW - 1)}
	var scratch []int64
	for si, s := range series {
		step := o.Step
		if step <= 0 {
			step, scratch = medianStep(s.Points, scratch)
		}
		maxGap := time.Duration(math.MaxInt64)
		if step > 0 && step < time.Duration(math.MaxInt64/3) {
			maxGap = step * 5 / 2
		}
		var px, py float64
		var pt time.Time
		prev := false
		for _, p := range s.Points {
			if !finite(p.V) {
				prev = false
				continue
			}
			x := xs.dot(p.T)
			y := ys.dotFromTop(p.V)
			if math.IsNaN(y) || math.IsNaN(x) {
				prev = false
				continue
			}
			if prev && p.T.Sub(pt) <= maxGap {
				c.line(px, py, x, y, int32(si))
			} else {
				c.point(x, y, int32(si))
			}
			px, py, pt, prev = x, y, p.T, true
		}
	}

	markerCol := -1
	if markerOn {
		markerCol = int(math.Round(xs.dot(o.Marker))) / 2
		markerCol = min(max(markerCol, 0), plotCols-1)
	}

	// The cell grid: plot rows, [axis line], x labels.
	gridRows := plotRows + 1
	if axisRow {
		gridRows++
	}
	g := newGrid(w, gridRows)
	tickRows := make([]bool, plotRows)
	for r := 0; r < plotRows; r++ {
		if l := rowLabel[r]; l != "" {
			g.put(r, yw-ansi.StringWidth(l), l, int32(rowSlot[r]))
			tickRows[r] = true
		}
		axis, as := '│', slotAxis
		if tickRows[r] {
			axis = '┤'
		}
		if r == thrRow {
			as = slotThr
		}
		g.set(r, yw, axis, int32(as))
		for col := 0; col < plotCols; col++ {
			i := r*plotCols + col
			switch {
			case c.bits[i] != 0:
				g.set(r, plotLeft+col, rune(0x2800+int(c.bits[i])), c.owner[i])
			case col == markerCol:
				g.set(r, plotLeft+col, '┊', int32(slotMarker))
			case r == thrRow:
				g.set(r, plotLeft+col, '┈', int32(slotThr))
			}
		}
	}
	labelRow := plotRows
	if axisRow {
		g.set(plotRows, yw, '└', int32(slotAxis))
		for col := 0; col < plotCols; col++ {
			g.set(plotRows, plotLeft+col, '─', int32(slotAxis))
		}
		labelRow++
	}
	for _, t := range xTicks(start, end, loc, plotCols) {
		col := int(math.Round(xs.dot(t.t))) / 2
		if col < 0 || col >= plotCols {
			continue
		}
		lw := len(t.label) // ASCII
		left := plotLeft + col - lw/2
		left = min(max(left, 0), w-lw)
		if left < 0 || (g.lastEnd >= 0 && left <= g.lastEnd) {
			continue
		}
		g.put(labelRow, left, t.label, int32(slotLabel))
		g.lastEnd = left + lw
		if axisRow {
			g.set(plotRows, plotLeft+col, '┬', int32(slotAxis))
		}
	}
	if axisRow && markerCol >= 0 {
		ch := '┴'
		if g.cells[plotRows*w+plotLeft+markerCol] == '┬' {
			ch = '┼'
		}
		g.set(plotRows, plotLeft+markerCol, ch, int32(slotMarker))
	}

	// Styles: the series', then axis, label, threshold, marker.
	st := newStyler(nS + 4)
	for i, s := range series {
		st.styles[i] = s.Style
	}
	st.styles[slotAxis] = o.AxisStyle
	st.styles[slotLabel] = o.LabelStyle
	st.styles[slotThr] = o.ThresholdStyle
	st.styles[slotMarker] = o.MarkerStyle

	var b strings.Builder
	b.Grow(h * (w*3 + 64))
	if annot {
		writeAnnotation(&b, w, plotLeft+markerCol, label, &st, slotMarker)
		b.WriteByte('\n')
	}
	for r := 0; r < gridRows; r++ {
		if r > 0 {
			b.WriteByte('\n')
		}
		g.writeRow(&b, r, &st)
	}
	if legend {
		b.WriteByte('\n')
		writeLegend(&b, w, o, series, start, end, &st, slotLabel)
	}
	return b.String()
}

func tooSmall(w int) string {
	return ansi.Truncate(TooSmall, w, "…")
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// timeRange is [Start, End], or the points' time range when that is
// empty or backwards.
func timeRange(o Options, series []Series) (time.Time, time.Time) {
	if o.End.After(o.Start) {
		return o.Start, o.End
	}
	var lo, hi time.Time
	have := false
	for _, s := range series {
		for _, p := range s.Points {
			if !have || p.T.Before(lo) {
				lo = p.T
			}
			if !have || p.T.After(hi) {
				hi = p.T
			}
			have = true
		}
	}
	if have && hi.After(lo) {
		return lo, hi
	}
	if !have {
		lo = o.Start
	}
	return lo, lo.Add(15 * time.Minute)
}

// medianStep is the median of the positive spacings between consecutive
// points (0 when there are none). buf is scratch space, returned for reuse.
func medianStep(ps []Point, buf []int64) (time.Duration, []int64) {
	buf = buf[:0]
	for i := 1; i < len(ps); i++ {
		if d := ps[i].T.Sub(ps[i-1].T); d > 0 {
			buf = append(buf, int64(d))
		}
	}
	if len(buf) == 0 {
		return 0, buf
	}
	return time.Duration(quickSelect(buf, len(buf)/2)), buf
}

// quickSelect returns the k-th smallest of a (reordering a).
func quickSelect(a []int64, k int) int64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		// median of three as the pivot: sorted or constant input stays linear.
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

// writeAnnotation writes the marker's label row: "▼label" with the ▼ over
// the marker's column, or "label▼" when it does not fit to the right.
func writeAnnotation(b *strings.Builder, w, col int, label string, st *styler, slot int) {
	lw := ansi.StringWidth(label)
	text, left := "▼", col
	switch {
	case col+1+lw <= w:
		text = "▼" + label
	case col-lw >= 0:
		text, left = label+"▼", col-lw
	}
	b.WriteString(strings.Repeat(" ", left))
	st.write(b, int32(slot), text)
	b.WriteString(strings.Repeat(" ", max(0, w-left-ansi.StringWidth(text))))
}

// writeLegend writes "name value  name value…" cut to w and padded to w.
func writeLegend(b *strings.Builder, w int, o Options, series []Series, start, end time.Time, st *styler, slotLabel int) {
	var l strings.Builder
	for i, s := range series {
		if i > 0 {
			l.WriteString("  ")
		}
		name := sanitize.Line(s.Name)
		if name != "" {
			st.write(&l, int32(i), name)
			l.WriteByte(' ')
		}
		v, ok := lastValue(s.Points, start, end)
		text := "no data"
		if ok {
			text = valueLabel(v, o.Unit)
		}
		if name == "" {
			st.write(&l, int32(i), text)
		} else {
			st.write(&l, int32(slotLabel), text)
		}
	}
	line := l.String()
	if ansi.StringWidth(line) > w {
		line = ansi.Truncate(line, w, "…")
	}
	b.WriteString(line)
	b.WriteString(strings.Repeat(" ", max(0, w-ansi.StringWidth(line))))
}

// lastValue is the last finite value with a time in [start, end].
func lastValue(ps []Point, start, end time.Time) (float64, bool) {
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if finite(p.V) && !p.T.Before(start) && !p.T.After(end) {
			return p.V, true
		}
	}
	return 0, false
}
