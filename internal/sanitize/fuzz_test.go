package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSanitize: whatever comes in, Text gives safe, valid, stable text and
// Line one safe, stable line.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "plain", "a\tb\r\nc", "\x1b[31mred\x1b[0m", "t\x1b]0;pwned\x07x", "ok\x1b]0;unterminated",
		"a\x1bPq#0;payload\x1b\\b", "a\x1b_apc\x1b\\b", "a\x1b^pm\x1b\\b", "a\x1bXsos\x1b\\b",
		"c1\u009b2J", "x\u009d0;t\u0007y", "a\x9b2Jb", "a\xff\xfe", "\u202egnp.exe\u2066",
		"👩‍💻 👨‍👩‍👧‍👦 ❤️ 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🇫🇷 e\u0301", "a\u2028b\u2029", "\x1b\x1b[", "\x1b[1\x18b", "\u0090\u009c\u0085",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := Text(s)
		if !IsSafe(text) || !utf8.ValidString(text) {
			t.Fatalf("Text(%q) = %q: not safe", s, text)
		}
		if again := Text(text); again != text {
			t.Fatalf("Text not idempotent: %q -> %q -> %q", s, text, again)
		}
		line := Line(s)
		if !IsSafe(line) || strings.Contains(line, "\n") {
			t.Fatalf("Line(%q) = %q: not one safe line", s, line)
		}
		if again := Line(line); again != line {
			t.Fatalf("Line not idempotent: %q -> %q -> %q", s, line, again)
		}
	})
}
