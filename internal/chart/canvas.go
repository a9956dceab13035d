package chart

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// brailleBit[x][y] is the bit of the dot at column x (0..1), row y (0..3,
// from the top) of a braille cell (U+2800 + bits).
var brailleBit = [2][4]uint8{
	{0x01, 0x02, 0x04, 0x40},
	{0x08, 0x10, 0x20, 0x80},
}

// canvas is the plot area in braille dots: dotsW x dotsH, (0, 0) at the
// top left.
type canvas struct {
	cols, rows   int
	dotsW, dotsH int
	bits         []uint8
	owner        []int32 // the last series that drew in the cell
}

func newCanvas(cols, rows int) *canvas {
	return &canvas{
		cols: cols, rows: rows,
		dotsW: cols * 2, dotsH: rows * 4,
		bits:  make([]uint8, cols*rows),
		owner: make([]int32, cols*rows),
	}
}

func (c *canvas) set(x, y int, owner int32) {
	if x < 0 || y < 0 || x >= c.dotsW || y >= c.dotsH {
		return
	}
	i := (y/4)*c.cols + x/2
	c.bits[i] |= brailleBit[x&1][y&3]
	c.owner[i] = owner
}

// point sets the dot nearest (x, y), if it is inside.
func (c *canvas) point(x, y float64, owner int32) {
	if x < -0.5 || y < -0.5 || x >= float64(c.dotsW)-0.5 || y >= float64(c.dotsH)-0.5 {
		return
	}
	c.set(int(math.Round(x)), int(math.Round(y)), owner)
}

// line draws (x0, y0)–(x1, y1), clipped to the canvas first (so a
// segment to a far-away value costs no more than one across the plot).
func (c *canvas) line(x0, y0, x1, y1 float64, owner int32) {
	x0, y0, x1, y1, ok := clip(x0, y0, x1, y1, float64(c.dotsW-1), float64(c.dotsH-1))
	if !ok {
		return
	}
	ax, ay := int(math.Round(x0)), int(math.Round(y0))
	bx, by := int(math.Round(x1)), int(math.Round(y1))
	dx, dy := abs(bx-ax), -abs(by-ay)
	sx, sy := 1, 1
	if ax > bx {
		sx = -1
	}
	if ay > by {
		sy = -1
	}
	e := dx + dy
	for {
		c.set(ax, ay, owner)
		if ax == bx && ay == by {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			ax += sx
		}
		if e2 <= dx {
			e += dx
			ay += sy
		}
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// clip is Liang–Barsky: the part of the segment inside [0, xmax] x [0, ymax].
func clip(x0, y0, x1, y1, xmax, ymax float64) (float64, float64, float64, float64, bool) {
	dx, dy := x1-x0, y1-y0
	t0, t1 := 0.0, 1.0
	for _, pq := range [4][2]float64{{-dx, x0}, {dx, xmax - x0}, {-dy, y0}, {dy, ymax - y0}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return 0, 0, 0, 0, false
			}
			t0 = max(t0, r)
		} else {
			if r < t0 {
				return 0, 0, 0, 0, false
			}
			t1 = min(t1, r)
		}
	}
	return x0 + t0*dx, y0 + t0*dy, x0 + t1*dx, y0 + t1*dy, true
}

// grid is the text of the chart below the annotation row, one rune (one
// cell wide) and one style slot per cell.
type grid struct {
	w, rows int
	cells   []rune
	slots   []int32
	lastEnd int // the x labels' last column used, -1 for none
}

func newGrid(w, rows int) *grid {
	g := &grid{w: w, rows: rows, cells: make([]rune, w*rows), slots: make([]int32, w*rows), lastEnd: -1}
	for i := range g.cells {
		g.cells[i] = ' '
		g.slots[i] = slotNone
	}
	return g
}

func (g *grid) set(r, col int, ch rune, slot int32) {
	if r < 0 || r >= g.rows || col < 0 || col >= g.w {
		return
	}
	g.cells[r*g.w+col] = ch
	g.slots[r*g.w+col] = slot
}

// put writes s from col on; every rune of s must be one cell wide.
func (g *grid) put(r, col int, s string, slot int32) {
	for _, ch := range s {
		g.set(r, col, ch, slot)
		col++
	}
}

// writeRow writes row r, each run of one style styled once.
func (g *grid) writeRow(b *strings.Builder, r int, st *styler) {
	row := g.cells[r*g.w : (r+1)*g.w]
	slots := g.slots[r*g.w : (r+1)*g.w]
	var buf [256]byte
	for i := 0; i < len(row); {
		j := i + 1
		for j < len(row) && slots[j] == slots[i] {
			j++
		}
		run := buf[:0]
		for _, ch := range row[i:j] {
			run = utf8.AppendRune(run, ch)
		}
		st.writeBytes(b, slots[i], run)
		i = j
	}
}

// styler styles runs of text by slot. A style that only colours (the
// usual case) is rendered once to learn its prefix and suffix; others are
// rendered per run, and ignored when that would change the text's width.
type styler struct {
	styles   []lipgloss.Style
	state    []uint8 // 0 unknown, 1 prefix/suffix, 2 Render per run
	pre, suf []string
}

func newStyler(n int) styler {
	return styler{
		styles: make([]lipgloss.Style, n),
		state:  make([]uint8, n),
		pre:    make([]string, n),
		suf:    make([]string, n),
	}
}

const probe = "⣿"

func (st *styler) learn(i int) {
	s := st.styles[i]
	st.state[i] = 2
	one := s.Render(probe)
	k := strings.Index(one, probe)
	if k < 0 || strings.Count(one, probe) != 1 || strings.IndexByte(one, '\n') >= 0 || ansi.StringWidth(one) != 1 {
		return
	}
	pre, suf := one[:k], one[k+len(probe):]
	if s.Render(probe+" a1") != pre+probe+" a1"+suf {
		return
	}
	st.pre[i], st.suf[i], st.state[i] = pre, suf, 1
}

func (st *styler) write(b *strings.Builder, slot int32, text string) {
	st.writeBytes(b, slot, []byte(text))
}

func (st *styler) writeBytes(b *strings.Builder, slot int32, text []byte) {
	if slot < 0 || int(slot) >= len(st.styles) {
		b.Write(text)
		return
	}
	if st.state[slot] == 0 {
		st.learn(int(slot))
	}
	if st.state[slot] == 1 {
		b.WriteString(st.pre[slot])
		b.Write(text)
		b.WriteString(st.suf[slot])
		return
	}
	s := string(text)
	out := st.styles[slot].Render(s)
	if strings.IndexByte(out, '\n') >= 0 || ansi.StringWidth(out) != ansi.StringWidth(s) {
		out = s
	}
	b.WriteString(out)
}
