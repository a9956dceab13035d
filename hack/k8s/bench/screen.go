package main

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// screen is the terminal screen rebuilt from what bubbletea's standard
// renderer writes in the alternate screen. That renderer always paints a
// whole line (text and SGR, then CSI K when it is shorter than the
// terminal), moves to the next line with CRLF, or skips an unchanged line
// with a bare LF; a frame starts with CSI H and ends with CSI <rows>;H (the
// cursor on its last line); CSI J erases what a shorter frame left below.
// So a row is kept as the last line painted on it, not cell by cell, which
// is all the benchmark needs to read pod rows and find the selected one.
// (The screentest oracle checks that nothing else is written.)
type screen struct {
	text []string // each row, escape sequences stripped
	raw  []string // each row as written, SGR kept (the selected row is reverse video)
	row  int

	cur, curRaw strings.Builder
	dirty       bool   // something was painted on row since the last move
	pending     []byte // an escape sequence or rune cut at the end of the last chunk
	frames      int    // completed frames so far
}

func newScreen(rows int) *screen {
	return &screen{text: make([]string, rows), raw: make([]string, rows)}
}

// feed takes the next bytes of output and calls onFrame after each frame
// has been completely painted.
func (s *screen) feed(b []byte, onFrame func()) {
	if len(s.pending) > 0 {
		b = append(s.pending, b...)
		s.pending = nil
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b:
			n, ok := seqLen(b[i:])
			if !ok {
				s.pending = append([]byte(nil), b[i:]...)
				return
			}
			s.escape(b[i:i+n], onFrame)
			i += n
		case c == '\r':
			i++
		case c == '\n':
			s.commit()
			s.row++
			i++
		case c < 0x20 || c == 0x7f:
			i++ // BEL, BS…: the renderer does not write them
		default:
			if !utf8.FullRune(b[i:]) {
				s.pending = append([]byte(nil), b[i:]...)
				return
			}
			_, n := utf8.DecodeRune(b[i:])
			s.cur.Write(b[i : i+n])
			s.curRaw.Write(b[i : i+n])
			s.dirty = true
			i += n
		}
	}
}

// seqLen is the length of the escape sequence at the start of b, or false
// if b ends before it does.
func seqLen(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	switch b[1] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40–0x7E
		for j := 2; j < len(b); j++ {
			if b[j] >= 0x40 && b[j] <= 0x7e {
				return j + 1, true
			}
		}
		return 0, false
	case ']', 'P', '_', '^', 'X': // OSC, DCS, APC, PM, SOS: until BEL or ST
		for j := 2; j < len(b); j++ {
			if b[j] == 0x07 {
				return j + 1, true
			}
			if b[j] == 0x1b && j+1 < len(b) && b[j+1] == '\\' {
				return j + 2, true
			}
		}
		return 0, false
	default:
		return 2, true
	}
}

func (s *screen) escape(seq []byte, onFrame func()) {
	if len(seq) < 3 || seq[1] != '[' {
		return
	}
	params, final := string(seq[2:len(seq)-1]), seq[len(seq)-1]
	switch final {
	case 'm': // SGR: part of the line
		s.curRaw.Write(seq)
		s.dirty = true
	case 'K': // erase to the end of the line: the painted line is the row
		s.dirty = true
	case 'H':
		s.commit()
		row := 1
		if r, _, _ := strings.Cut(params, ";"); r != "" {
			if n, err := strconv.Atoi(r); err == nil {
				row = n
			}
		}
		s.row = row - 1
		if params != "" { // CSI <rows>;H closes a frame; CSI H opens one
			s.frames++
			if onFrame != nil {
				onFrame()
			}
		}
	case 'J':
		s.commit()
		if params == "2" {
			s.clear(0)
		} else {
			s.clear(s.row + 1)
		}
	case 'h', 'l':
		if params == "?1049" { // entering or leaving the alternate screen
			s.commit()
			s.clear(0)
		}
	}
}

// commit puts the line painted since the last move on its row.
func (s *screen) commit() {
	if s.dirty && s.row >= 0 && s.row < len(s.text) {
		s.text[s.row] = s.cur.String()
		s.raw[s.row] = s.curRaw.String()
	}
	s.cur.Reset()
	s.curRaw.Reset()
	s.dirty = false
}

func (s *screen) clear(from int) {
	for i := max(from, 0); i < len(s.text); i++ {
		s.text[i], s.raw[i] = "", ""
	}
}

// String is the screen as text, one line per row.
func (s *screen) String() string { return strings.Join(s.text, "\n") }

// podRow is a pod as one screen row shows it.
type podRow struct {
	name     string
	status   string
	restarts int
	line     int  // screen row
	selected bool // drawn in reverse video (the pane's cursor)
}

// podRowsRE finds a pod row of the crash-looping pods: the name (a whole
// word), then within the same pane (no box border in between) the READY
// x/y column, STATUS and the restart count (kubectl's "7 (3s ago)" form
// starts with it too).
func podRowsRE(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^\w-])(` + regexp.QuoteMeta(prefix) + `\d+)\s+\d+/\d+\s+(\S+)\s+(\d+)\b`)
}

// rows finds every row of the screen that shows a pod whose name starts
// with the prefix of re (podRowsRE).
func (s *screen) rows(re *regexp.Regexp) []podRow {
	var out []podRow
	for i, line := range s.text {
		for _, m := range re.FindAllStringSubmatchIndex(line, -1) {
			n, err := strconv.Atoi(line[m[6]:m[7]])
			if err != nil {
				continue
			}
			// Stop at a box border: the match must lie in one pane.
			if strings.ContainsRune(line[m[2]:m[7]], '│') {
				continue
			}
			out = append(out, podRow{
				name: line[m[2]:m[3]], status: line[m[4]:m[5]], restarts: n,
				line: i, selected: reverseVideo(s.raw[i]),
			})
		}
	}
	return out
}

// reverseVideo reports whether a raw line turns on reverse video (SGR 7),
// which is how the pods pane draws its cursor.
func reverseVideo(raw string) bool {
	for rest := raw; ; {
		i := strings.Index(rest, "\x1b[")
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
		j := strings.IndexFunc(rest, func(r rune) bool { return r >= 0x40 && r <= 0x7e })
		if j < 0 {
			return false
		}
		if rest[j] == 'm' {
			ps := strings.Split(strings.ReplaceAll(rest[:j], ":", ";"), ";")
			for k := 0; k < len(ps); k++ {
				switch ps[k] {
				case "7":
					return true
				case "38", "48", "58": // a colour: skip its arguments
					if k+1 < len(ps) && ps[k+1] == "5" {
						k += 2
					} else if k+1 < len(ps) && ps[k+1] == "2" {
						k += 4
					}
				}
			}
		}
		rest = rest[j+1:]
	}
}
