package screentest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Violation is one escape sequence or control in the output that the
// renderer would not have written there.
type Violation struct {
	Offset int    // byte offset in the output
	Seq    string // the sequence, quoted
	Why    string
}

func (v Violation) String() string {
	return fmt.Sprintf("at byte %d: %s: %s", v.Offset, v.Seq, v.Why)
}

// Check is the screen oracle: every escape sequence or control in out (the
// whole output of a run, from the start) that warroom's renderer does not
// emit, or does not emit at that place.
//
// The allowlist is what bubbletea v1.3's standard renderer writes for a
// program started with tea.WithAltScreen (warroom: no mouse, no focus
// reports, no window title, no scroll regions), plus termenv's startup
// queries:
//
//   - before the alt screen: termenv's colour queries (OSC 10/11 "?") and
//     the cursor position request (CSI 6n), hiding the cursor (CSI ?25l),
//     and plain text (errors and warnings on stderr);
//   - entering and leaving it: CSI ?1049h/l, CSI 2J and CSI H (clear),
//     CSI ?25h/l, CSI ?2004h/l (bracketed paste), the resets of the mouse
//     modes bubbletea always sends on exit (CSI ?1002l ?1003l ?1006l) and
//     of focus reports (?1004l), CSI 2K and CR (the last line erased);
//   - a frame: CSI H, an optional CR (first frame only), then lines of
//     text and SGR (colours, bold…) separated by CRLF, or LF alone for a
//     line skipped because it did not change; each painted line may end
//     in CSI K (erase to end of line); then an optional CSI J (erase
//     below) and CSI <rows>;H, the cursor put on the frame's last line —
//     whose row must be the number of lines the frame had;
//   - after the alt screen: plain text (the exit message).
//
// Everything else is a violation: any other OSC (window title 0/2,
// clipboard 52, hyperlink 8…), DCS, APC, PM, SOS, any ESC sequence that is
// not CSI, any other CSI (cursor moves, erase, scroll, DSR), a cursor move
// or erase inside a frame's text, 8-bit C1 controls (a raw 0x9B byte, or
// U+0080–U+009F encoded in UTF-8), invalid UTF-8, C0 controls other than
// CR and LF where the renderer puts them (BEL, BS, TAB, a lone ESC…), DEL,
// and the bidi controls U+202A–U+202E, U+2066–U+2069, LRM/RLM/ALM, which
// reorder what a reader sees. SGR itself is allowed anywhere: the oracle
// cannot tell the renderer's colours from injected ones (sanitize strips
// those before drawing; its own tests cover that).
func Check(out []byte) []Violation { return CheckSince(out, 0) }

// CheckSince runs the oracle over the whole output (it needs the state
// from the start) and reports only violations at or after mark, for a
// test that judges what happened after some point (a fault, a resize).
func CheckSince(out []byte, mark int) []Violation {
	o := oracle{}
	o.run(out)
	var vs []Violation
	for _, v := range o.vs {
		if v.Offset >= mark {
			vs = append(vs, v)
		}
	}
	return vs
}

// AssertClean fails t, listing the violations (each with a little of the
// text around it), if Check finds any in out.
func AssertClean(t testing.TB, out []byte) {
	t.Helper()
	assertClean(t, out, Check(out))
}

// AssertCleanSince is AssertClean for the output after mark.
func AssertCleanSince(t testing.TB, out []byte, mark int) {
	t.Helper()
	assertClean(t, out, CheckSince(out, mark))
}

func assertClean(t testing.TB, out []byte, vs []Violation) {
	t.Helper()
	if len(vs) == 0 {
		return
	}
	const show = 12
	var b strings.Builder
	fmt.Fprintf(&b, "screen oracle: %d escape sequence(s) or control(s) the renderer does not emit (of %d bytes):\n", len(vs), len(out))
	for i, v := range vs {
		if i == show {
			fmt.Fprintf(&b, "  … and %d more\n", len(vs)-show)
			break
		}
		fmt.Fprintf(&b, "  %s\n      around: %s\n", v, context(out, v.Offset))
	}
	t.Error(b.String())
}

// context is the visible text around offset, quoted, with the offending
// spot marked.
func context(out []byte, off int) string {
	const n = 80
	lo, hi := max(off-n, 0), min(off+n, len(out))
	before := ansi.Strip(string(out[lo:off]))
	after := ansi.Strip(string(out[off:hi]))
	if r := []rune(before); len(r) > 40 {
		before = string(r[len(r)-40:])
	}
	if r := []rune(after); len(r) > 40 {
		after = string(r[:40])
	}
	return strconv.Quote(before) + " ▶ " + strconv.Quote(after)
}

type phase int

const (
	preAlt phase = iota
	inAlt
	postAlt
)

// oracle is the state machine Check runs over the output.
type oracle struct {
	vs    []Violation
	phase phase

	inFrame    bool // after a frame's CSI H, until its closing cursor move
	frameEmpty bool // nothing drawn yet in this frame
	lineStart  bool // the cursor is at the start of a line of the frame
	lines      int  // lines of the frame so far
	afterK     bool // the last token was CSI K: only a line end may follow
	afterJ     bool // the last token was CSI J: only the closing CUP may follow
	after2J    bool // the last token was CSI 2J: CSI H must follow
}

func (o *oracle) fail(off int, seq []byte, why string, args ...any) {
	o.vs = append(o.vs, Violation{Offset: off, Seq: strconv.Quote(string(seq)), Why: fmt.Sprintf(why, args...)})
}

// betweenFrames: tokens that may only come outside a frame (or at the very
// start of one, before anything is drawn: bubbletea clears with 2J+H and
// then sets modes before the first frame).
func (o *oracle) betweenFrames() bool { return !o.inFrame || o.frameEmpty }

func (o *oracle) run(out []byte) {
	p := ansi.NewParser()
	var state byte
	for off := 0; off < len(out); {
		seq, _, n, newState := ansi.DecodeSequence(out[off:], state, p)
		if n <= 0 {
			n = 1
			seq = out[off : off+1]
		}
		state = newState
		if off+n >= len(out) && state != ansi.NormalState {
			o.fail(off, seq, "unterminated escape sequence at the end of the output")
			return
		}
		next := out[off+n:]
		var prev byte
		if off > 0 {
			prev = out[off-1]
		}
		o.token(off, seq, prev, next, p)
		off += n
	}
	if o.after2J {
		o.fail(len(out), nil, "CSI 2J not followed by CSI H at the end of the output")
	}
}

// token judges one token: seq at off, followed by next.
func (o *oracle) token(off int, seq []byte, prev byte, next []byte, p *ansi.Parser) {
	c := seq[0]
	// What must follow the previous token.
	wasK, wasJ, was2J := o.afterK, o.afterJ, o.after2J
	o.afterK, o.afterJ, o.after2J = false, false, false
	if was2J && string(seq) != ansi.CursorHomePosition {
		o.fail(off, seq, "after CSI 2J the renderer always writes CSI H")
	}

	switch {
	case c == ansi.ESC && len(seq) == 1:
		o.fail(off, seq, "a lone ESC")
	case c == ansi.ESC && seq[1] == '[':
		o.csi(off, seq, next, p, wasK, wasJ)
	case c == ansi.ESC && seq[1] == ']':
		o.osc(off, seq, p)
	case c == ansi.ESC && seq[1] == 'P':
		o.fail(off, seq, "DCS: the renderer writes none")
	case c == ansi.ESC && seq[1] == '_':
		o.fail(off, seq, "APC: the renderer writes none")
	case c == ansi.ESC && seq[1] == '^':
		o.fail(off, seq, "PM: the renderer writes none")
	case c == ansi.ESC && seq[1] == 'X':
		o.fail(off, seq, "SOS: the renderer writes none")
	case c == ansi.ESC:
		o.fail(off, seq, "ESC sequence: the renderer writes none but CSI")
	case c >= 0x80 && c <= 0x9f:
		o.fail(off, seq, "8-bit C1 control (raw byte 0x%02X)", c)
	case c == '\r':
		o.cr(off, seq, next, wasK)
	case c == '\n':
		o.lf(off, seq, prev == '\r')
	case c < 0x20:
		o.fail(off, seq, "C0 control %s: the renderer writes only CR and LF", c0Name(c))
	case c == ansi.DEL:
		o.fail(off, seq, "DEL")
	default:
		o.text(off, seq, wasK, wasJ)
	}
}

func (o *oracle) csi(off int, seq, next []byte, p *ansi.Parser, wasK, wasJ bool) {
	s := string(seq)
	if len(s) < 3 {
		o.fail(off, seq, "malformed CSI (cut short by an invalid byte)")
		return
	}
	body := s[2 : len(s)-1]
	final := s[len(s)-1]
	if wasK && !(final == 'J' && body == "") && !(final == 'H' && o.inFrame) {
		o.fail(off, seq, "after CSI K (erase to end of line) the renderer writes a line end")
	}
	if wasJ && final != 'H' {
		o.fail(off, seq, "after CSI J (erase below) the renderer writes the closing cursor move")
	}
	switch {
	case final == 'm' && strings.Trim(body, "0123456789;:") == "":
		// SGR: allowed anywhere (see Check).
	case final == 'K' && (body == "" || body == "0"):
		if !o.inFrame || o.frameEmpty {
			o.fail(off, seq, "CSI K outside a frame's line")
			return
		}
		o.afterK = true
	case final == 'J' && (body == "" || body == "0"):
		if !o.inFrame || o.frameEmpty || !(o.lineStart || wasK || o.lines > 0) {
			o.fail(off, seq, "CSI J outside a frame")
			return
		}
		o.afterJ = true
	case final == 'H':
		o.cup(off, seq, body)
	case s == ansi.EraseEntireScreen:
		if o.phase != inAlt {
			o.fail(off, seq, "erase screen outside the alt screen")
			return
		}
		if !o.betweenFrames() {
			o.fail(off, seq, "erase screen inside a frame")
			return
		}
		o.after2J = true
	case s == ansi.EraseEntireLine:
		if !o.betweenFrames() || o.phase == preAlt {
			o.fail(off, seq, "erase line inside a frame (the renderer erases the whole line only when it stops)")
		}
	case strings.HasPrefix(body, "?") && (final == 'h' || final == 'l'):
		o.mode(off, seq, body[1:], final == 'h')
	case s == "\x1b[6n":
		if o.phase != preAlt {
			o.fail(off, seq, "cursor position request after startup (its answer would arrive as keys)")
		}
	default:
		o.fail(off, seq, "CSI %q: not a sequence the renderer writes", string(final))
	}
}

// cup is a cursor position: CSI H starts a frame (or follows a clear);
// CSI <n>;H with n = the frame's lines closes it.
func (o *oracle) cup(off int, seq []byte, body string) {
	if o.phase != inAlt {
		o.fail(off, seq, "cursor move outside the alt screen")
		return
	}
	home := body == "" || body == "1;1" || body == "1;" || body == "1"
	if o.betweenFrames() {
		if !home {
			o.fail(off, seq, "cursor move to %s: a frame starts at home (CSI H)", body)
		}
		o.inFrame, o.frameEmpty, o.lineStart, o.lines = true, true, true, 1
		return
	}
	// Closing a frame: ansi.CursorPosition(0, rows) is CSI H for one row,
	// CSI <rows>;H otherwise.
	row, col, ok := strings.Cut(body, ";")
	n, err := strconv.Atoi(row)
	switch {
	case home && o.lines == 1:
	case !ok || col != "" || err != nil:
		o.fail(off, seq, "cursor move inside a frame (the renderer only moves to column 1 of the last line, CSI <rows>;H)")
	case n != o.lines:
		o.fail(off, seq, "the frame drawn had %d lines but the cursor is put on row %d: a line break came from the text", o.lines, n)
	}
	o.inFrame = false
}

func (o *oracle) mode(off int, seq []byte, m string, set bool) {
	if !o.betweenFrames() {
		o.fail(off, seq, "mode change inside a frame")
		return
	}
	switch {
	case m == "25": // cursor visibility
	case m == "2004": // bracketed paste
	case m == "1049" && set:
		if o.phase != preAlt {
			o.fail(off, seq, "alt screen entered twice")
		}
		o.phase, o.inFrame = inAlt, false
	case m == "1049":
		o.phase, o.inFrame = postAlt, false
	case !set && (m == "1002" || m == "1003" || m == "1006" || m == "1004"):
		// bubbletea resets the mouse modes on exit even if never set.
	default:
		o.fail(off, seq, "mode ?%s: warroom does not set it", m)
	}
}

func (o *oracle) osc(off int, seq []byte, p *ansi.Parser) {
	s := string(seq)
	query := s == "\x1b]11;?\x1b\\" || s == "\x1b]10;?\x1b\\" || s == "\x1b]11;?\a" || s == "\x1b]10;?\a"
	switch {
	case query && o.phase == preAlt:
		// termenv asks the background colour before the TUI starts.
	case query:
		o.fail(off, seq, "colour query after startup (its answer would arrive as keys)")
	default:
		o.fail(off, seq, "OSC %d: the renderer writes none (%s)", p.Command(), oscName(p.Command()))
	}
}

func (o *oracle) cr(off int, seq, next []byte, wasK bool) {
	crlf := len(next) > 0 && next[0] == '\n'
	switch {
	case o.phase != inAlt:
		// Plain text before and after the TUI.
	case crlf && o.inFrame && !o.frameEmpty:
		// the end of a painted line; the LF that follows counts it.
	case crlf:
		o.fail(off, seq, "line break outside a frame")
	case !o.inFrame || o.frameEmpty:
		// The first frame starts with CR; stopping writes CSI 2K CR.
	default:
		o.fail(off, seq, "carriage return inside a frame's text (the line can overwrite itself)")
	}
	if wasK && !crlf && o.phase == inAlt {
		o.fail(off, seq, "after CSI K (erase to end of line) the renderer writes a line end")
	}
}

// lf judges a line feed; crlf: it ends a CRLF (cr() judged the CR).
func (o *oracle) lf(off int, seq []byte, crlf bool) {
	if o.phase != inAlt {
		return
	}
	switch {
	case !o.inFrame:
		o.fail(off, seq, "line feed outside a frame")
	case crlf || o.lineStart:
		// A painted line's CRLF, or an unchanged line skipped with LF.
		o.lines++
		o.lineStart, o.frameEmpty = true, false
	default:
		o.fail(off, seq, "line feed inside a line's text")
	}
}

func (o *oracle) text(off int, seq []byte, wasK, wasJ bool) {
	if wasK || wasJ {
		o.fail(off, seq, "text after an erase (the renderer ends the line there)")
	}
	if !utf8.Valid(seq) {
		o.fail(off, seq, "invalid UTF-8 (a raw 8-bit byte)")
		return
	}
	for _, r := range string(seq) {
		switch {
		case r >= 0x80 && r <= 0x9f:
			o.fail(off, seq, "C1 control U+%04X encoded in UTF-8", r)
			return
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			o.fail(off, seq, "bidi control U+%04X", r)
			return
		}
	}
	if o.phase != inAlt {
		return
	}
	if !o.inFrame {
		o.fail(off, seq, "text outside a frame (after the frame's closing cursor move)")
		return
	}
	o.frameEmpty, o.lineStart = false, false
}

func c0Name(c byte) string {
	names := map[byte]string{0: "NUL", 7: "BEL", 8: "BS", 9: "TAB", 0x0b: "VT", 0x0c: "FF", 0x0e: "SO", 0x0f: "SI"}
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("0x%02X", c)
}

func oscName(cmd int) string {
	switch cmd {
	case 0, 1, 2:
		return "window/icon title"
	case 4, 10, 11, 12, 104, 110, 111, 112:
		return "colours"
	case 7:
		return "working directory"
	case 8:
		return "hyperlink"
	case 9, 777:
		return "notification"
	case 52:
		return "clipboard"
	}
	return "unknown"
}
