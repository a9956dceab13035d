// Package sanitize makes text that came from outside (pod names, query text,
// logs, command output, runbook text, journal lines) safe to draw: terminal
// escape sequences and control characters are removed, so nothing a
// backend sends can move the cursor, retitle the window or change colours,
// and invisible characters that make text lie about itself (bidi overrides)
// are dropped.
//
// What is kept is everything that makes up a grapheme: zero-width joiner
// and non-joiner (👩‍💻, 👨‍👩‍👧‍👦), variation selectors (❤️), emoji tag
// characters (🏴󠁧󠁢󠁳󠁣󠁴󠁿), combining marks (e + U+0301), regional
// indicators (🇫🇷).
//
// What is removed, precisely:
//   - ESC sequences (CSI, OSC, DCS, APC, PM, SOS with their payloads, also
//     when unterminated: an OSC with no terminator runs to the end of the
//     string, as it would on a terminal);
//   - C1 controls decoded from UTF-8 (U+0080–U+009F) are read as the 7-bit
//     sequence they stand for (U+009B is CSI, U+009D is OSC…), so their
//     parameters and payloads go too;
//   - every other C0 control and DEL (Text keeps '\n'; '\t' becomes four
//     spaces; '\r' is dropped so a line cannot overwrite itself);
//   - Unicode format characters (category Cf) other than ZWJ, ZWNJ and the
//     emoji tags U+E0020–U+E007F: bidi embeddings, overrides and isolates
//     (U+202A–202E, U+2066–2069), LRM/RLM/ALM, zero-width space, word
//     joiner, BOM, soft hyphen, interlinear annotations, the language tag
//     U+E0001. They are invisible, make widths unpredictable, and can hide
//     or reorder what a reader sees.
//
// Bytes that are not valid UTF-8 (including a raw 0x9B) become U+FFFD
// each: a UTF-8 terminal does not act on them, and the reader sees that
// something was there. U+2028 and U+2029 (line and paragraph separators)
// are newlines. The output is always valid UTF-8, and Text and Line are
// idempotent.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text strips escape sequences and control characters, keeping newlines;
// tabs become spaces so widths stay predictable.
func Text(s string) string {
	if isPlainText(s) {
		return s
	}
	s = ansi.Strip(sevenBit(s))
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			// ansi.Strip cut a sequence in the middle of a character.
			b.WriteRune(utf8.RuneError)
		case r == '\n', r == '\u2028', r == '\u2029':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			// C0 (a lone '\r' would overwrite the line), DEL, C1.
		case unicode.Is(unicode.Cf, r) && !graphemeFormat(r):
			// invisible format characters: see the package comment.
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

// graphemeFormat reports whether the format character r is part of how
// graphemes are built, and so is kept: ZWNJ, ZWJ and the emoji tag
// characters (subdivision flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿).
func graphemeFormat(r rune) bool {
	return r == '\u200c' || r == '\u200d' || (r >= 0xe0020 && r <= 0xe007f)
}

// sevenBit makes s valid UTF-8 whose only controls are 7-bit: each invalid
// byte becomes U+FFFD, and each C1 control rune U+0080–U+009F becomes ESC
// plus its 7-bit final (U+009B → ESC [), so that ansi.Strip removes the
// sequence it introduces along with its parameters or payload.
func sevenBit(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || (r >= 0x80 && r <= 0x9f) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r >= 0x80 && r <= 0x9f:
			b.WriteByte(0x1b)
			b.WriteByte(byte(r - 0x40))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlainText is Text's fast path: printable ASCII and newlines, which
// Text keeps as they are.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\n') || c >= 0x7f {
			return false
		}
	}
	return true
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

// IsSafe reports whether s is safe to draw as Text output is: valid UTF-8
// with no ESC, no C0 control other than '\n', no DEL, no C1 control, no
// bidi embedding, override, isolate or mark, no zero-width space or BOM.
// It is the property tests and fuzz targets check output against, written
// out on its own rather than derived from Text, so a mistake in one is
// caught by the other.
func IsSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return false
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c, r == 0x200b, r == 0xfeff:
			return false
		}
	}
	return true
}
