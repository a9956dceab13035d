// Package sanitize makes text that came from outside (pod names, query text,
// logs, command output, runbook text) safe to draw: terminal escape
// sequences and control characters are removed, so nothing a backend sends
// can move the cursor, retitle the window or change colours.
package sanitize

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// Text strips escape sequences and control characters, keeping newlines;
// tabs become spaces so widths stay predictable.
func Text(s string) string {
	if isPlain(s) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case r == '\r':
			// dropped: a lone CR would overwrite the line
		case r == unicode.ReplacementChar:
			b.WriteRune(r)
		case unicode.IsControl(r), r == 0x7f:
			// C0, DEL and C1 controls (0x80–0x9f) are dropped
		case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// zero-width and bidi overrides: they can make text lie about itself
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Line is Text folded to one line: newlines become " ⏎ ".
func Line(s string) string {
	s = Text(s)
	if strings.IndexByte(s, '\n') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ⏎ ")
}

// isPlain is the fast path: printable ASCII only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
