package screentest

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// frameWith is a minimal warroom-like output whose first frame line holds
// line: startup, the alt screen, a two-line frame, exit.
func frameWith(line string) []byte {
	return []byte("\x1b]11;?\x1b\\\x1b[6n\x1b[?25l\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l\x1b[?2004h" +
		"\x1b[H\r\x1b[1m│\x1b[0m " + line + " \x1b[38;5;240m│\x1b[0m\x1b[K\r\nend\x1b[K\x1b[2;H" +
		"\x1b[2K\r\x1b[?2004l\x1b[?25h\x1b[?1049l\x1b[?25hjournal: j\r\n")
}

// FuzzCheck: the oracle and the sanitizer agree. Whatever sanitize.Line
// makes of any input passes the oracle when drawn in a frame; the raw
// input, drawn as it is, is caught whenever it holds a control byte (C0
// other than ESC, DEL, a raw 8-bit C1 byte) or invalid UTF-8. Violations
// are in the output and in order.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"plain", "👩‍💻 ❤️ café", "\x1b]0;t\a", "\x1b]2;t\x1b\\", "\x1b[2J\x1b[H", "\x1b[10;10H",
		"\x9b2J", "\u009b2J", "\u009d0;x\a", "\a", "\b", "\r", "\n", "\t", "\x7f", "\u202e", "\x1b",
		"\x1bPq\x1b\\", "\x1b_G\x1b\\", "\x1b^p\x1b\\", "\x1b[m", "\x1b[K", "\r\n", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := frameWith(sanitize.Line(s))
		if vs := Check(clean); len(vs) > 0 {
			t.Fatalf("sanitize.Line(%q) = %q, drawn in a frame, fails the oracle: %v", s, sanitize.Line(s), vs)
		}
		raw := frameWith(s)
		vs := Check(raw)
		last := -1
		for _, v := range vs {
			if v.Offset < last || v.Offset > len(raw) {
				t.Fatalf("violation offsets out of order or range: %v", vs)
			}
			last = v.Offset
		}
		if len(vs) == 0 && hasControl(s) {
			t.Fatalf("raw %q drawn in a frame passes the oracle", s)
		}
	})
}

// hasControl: s holds a byte no renderer writes inside a line's text.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return bytes.ContainsFunc([]byte(s), func(r rune) bool {
		return (r < 0x20 && r != 0x1b) || r == 0x7f || (r >= 0x80 && r <= 0x9f)
	})
}
