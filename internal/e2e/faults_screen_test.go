package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// vtScreen is just enough of a terminal to know what the fault tests'
// console shows where: the grid of cells that bubbletea's standard
// renderer paints (text, CR, LF, cursor moves and positions, erase line
// and display, the alternate screen). Colours are ignored. The raw byte
// stream alone cannot say which pane a "failing" belongs to; the grid can.
type vtScreen struct {
	cols, rows int
	cells      [][]string // "" is the right half of a wide character
	x, y       int
	p          *ansi.Parser
	pstate     byte
	held       []byte // an incomplete sequence or rune at the end of a write
}

func newScreen(cols, rows int) *vtScreen {
	s := &vtScreen{cols: cols, rows: rows, p: ansi.NewParser()}
	s.clear()
	return s
}

func (s *vtScreen) clear() {
	s.cells = make([][]string, s.rows)
	for y := range s.cells {
		s.cells[y] = blankRow(s.cols)
	}
}

func blankRow(n int) []string {
	r := make([]string, n)
	for i := range r {
		r[i] = " "
	}
	return r
}

// Write feeds output; an incomplete escape sequence or rune at its end is
// kept for the next write (a pty read can cut anywhere).
func (s *vtScreen) Write(b []byte) {
	data := append(s.held, b...)
	end := completeUpTo(data)
	s.held = append([]byte(nil), data[end:]...)
	data = data[:end]
	for len(data) > 0 {
		seq, width, n, state := ansi.DecodeSequence(data, s.pstate, s.p)
		s.pstate = state
		data = data[n:]
		switch {
		case len(seq) == 0:
		case seq[0] == ansi.ESC && len(seq) > 1 && seq[1] == '[':
			s.csi()
		case seq[0] == ansi.ESC:
			// other escapes (OSC answers, charset selection) draw nothing
		case width > 0:
			s.put(string(seq), width)
		case len(seq) == 1:
			s.control(seq[0])
		}
	}
}

// completeUpTo is how much of b can be decoded now: up to an ESC whose
// sequence has not ended yet, or a rune cut in half.
func completeUpTo(b []byte) int {
	if i := strings.LastIndexByte(string(b[max(len(b)-256, 0):]), ansi.ESC); i >= 0 {
		i += max(len(b)-256, 0)
		if !sequenceEnded(b[i:]) {
			return i
		}
	}
	for back := 1; back <= utf8.UTFMax && back <= len(b); back++ {
		c := b[len(b)-back]
		if c < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-back:]) {
				return len(b) - back
			}
			break
		}
	}
	return len(b)
}

// sequenceEnded reports whether the escape sequence at the start of b is
// complete: a CSI has its final byte, an OSC/DCS its terminator.
func sequenceEnded(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	switch b[1] {
	case '[':
		for _, c := range b[2:] {
			if c >= 0x40 && c <= 0x7e {
				return true
			}
		}
		return false
	case ']', 'P', '_', '^', 'X':
		return strings.Contains(string(b[2:]), "\x07") || strings.Contains(string(b[2:]), "\x1b\\")
	}
	return true
}

func (s *vtScreen) csi() {
	cmd := ansi.Cmd(s.p.Command())
	param := func(i, def int) int {
		v, _ := s.p.Param(i, def)
		if v == 0 && def > 0 {
			return def
		}
		return v
	}
	if cmd.Prefix() == '?' {
		// Private modes: entering or leaving the alternate screen starts
		// from a blank one; the rest (cursor, paste, mouse) draw nothing.
		if v, _ := s.p.Param(0, 0); v == 1049 {
			s.clear()
			s.x, s.y = 0, 0
		}
		return
	}
	switch cmd.Final() {
	case 'H', 'f':
		s.y, s.x = param(0, 1)-1, param(1, 1)-1
	case 'A':
		s.y -= param(0, 1)
	case 'B':
		s.y += param(0, 1)
	case 'C':
		s.x += param(0, 1)
	case 'D':
		s.x -= param(0, 1)
	case 'G':
		s.x = param(0, 1) - 1
	case 'K':
		s.eraseLine(param(0, 0))
	case 'J':
		s.eraseDisplay(param(0, 0))
	}
	s.clamp()
}

func (s *vtScreen) clamp() {
	s.x = min(max(s.x, 0), s.cols) // cols: the pending-wrap column
	s.y = min(max(s.y, 0), s.rows-1)
}

func (s *vtScreen) eraseLine(mode int) {
	row := s.cells[s.y]
	from, to := 0, s.cols
	switch mode {
	case 0:
		from = s.x
	case 1:
		to = min(s.x+1, s.cols)
	}
	for i := from; i < to; i++ {
		row[i] = " "
	}
}

func (s *vtScreen) eraseDisplay(mode int) {
	switch mode {
	case 0:
		s.eraseLine(0)
		for y := s.y + 1; y < s.rows; y++ {
			s.cells[y] = blankRow(s.cols)
		}
	case 1:
		s.eraseLine(1)
		for y := 0; y < s.y; y++ {
			s.cells[y] = blankRow(s.cols)
		}
	default:
		s.clear()
	}
}

func (s *vtScreen) control(c byte) {
	switch c {
	case '\r':
		s.x = 0
	case '\n':
		s.lineFeed()
	case '\b':
		s.x = max(s.x-1, 0)
	case '\t':
		s.x = min((s.x/8+1)*8, s.cols-1)
	}
}

func (s *vtScreen) lineFeed() {
	if s.y < s.rows-1 {
		s.y++
		return
	}
	copy(s.cells, s.cells[1:])
	s.cells[s.rows-1] = blankRow(s.cols)
}

func (s *vtScreen) put(g string, width int) {
	if s.x+width > s.cols {
		s.x = 0
		s.lineFeed()
	}
	row := s.cells[s.y]
	row[s.x] = g
	for i := 1; i < width && s.x+i < s.cols; i++ {
		row[s.x+i] = ""
	}
	s.x += width
}

// Lines is the screen as text, one string per row, trailing blanks cut.
func (s *vtScreen) Lines() []string {
	out := make([]string, s.rows)
	for y, row := range s.cells {
		out[y] = strings.TrimRight(strings.Join(row, ""), " ")
	}
	return out
}

func (s *vtScreen) String() string { return strings.Join(s.Lines(), "\n") }

// Pane is the text inside the box whose top border holds title (e.g.
// "2 Error rate"), one string per row, or nil if no such box is shown.
func (s *vtScreen) Pane(title string) []string {
	for y, row := range s.cells {
		at := cellIndex(row, title)
		if at < 0 {
			continue
		}
		left, right := -1, -1
		for x := at; x >= 0; x-- {
			if row[x] == "╭" {
				left = x
				break
			}
		}
		for x := at; x < len(row); x++ {
			if row[x] == "╮" {
				right = x
				break
			}
		}
		if left < 0 || right < 0 {
			continue
		}
		var lines []string
		for yy := y + 1; yy < s.rows && s.cells[yy][left] != "╰"; yy++ {
			lines = append(lines, strings.TrimRight(strings.Join(s.cells[yy][left+1:right], ""), " "))
		}
		return lines
	}
	return nil
}

// cellIndex is the cell where text starts in row, or -1.
func cellIndex(row []string, text string) int {
	joined := strings.Join(row, "")
	i := strings.Index(joined, text)
	if i < 0 {
		return -1
	}
	n := 0
	for x, c := range row {
		if n >= i {
			return x
		}
		n += len(c)
	}
	return -1
}

// The emulator the fault tests read panes with must itself be right: a
// frame written the way bubbletea's standard renderer writes one (home,
// lines with erase-right, a skipped unchanged line as a bare LF), split
// at awkward places, lands where a terminal would put it.
func TestFaultsScreenEmulator(t *testing.T) {
	frame1 := "\x1b[?1049h\x1b[H\r╭─ 1 Pods ─╮╭─ 2 X ─╮\x1b[K\r\n│● ok · up │x\x1b[K\r\n╰──────────╯\x1b[K\x1b[3;1H"
	frame2 := "\x1b[H\n\x1b[31m│● failing │\x1b[0m界\x1b[K\r\n\x1b[3;1H"
	want := []string{"╭─ 1 Pods ─╮╭─ 2 X ─╮", "│● failing │界", "╰──────────╯", ""}
	all := []byte(frame1 + frame2)
	// Every split point: sequences and runes cut between two writes.
	for cut := range len(all) + 1 {
		s := newScreen(24, 4)
		s.Write(all[:cut])
		s.Write(all[cut:])
		if got := s.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("cut at %d: screen\n%s\nwant\n%s", cut, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got := s.Pane("1 Pods"); len(got) != 1 || got[0] != "● failing" {
			t.Fatalf("cut at %d: Pane(1 Pods) = %q, want [\"● failing\"]", cut, got)
		}
		if s.Pane("3 None") != nil {
			t.Fatalf("cut at %d: a pane that is not shown was found", cut)
		}
	}
}
