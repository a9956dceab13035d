package sanitize

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "api-7d9f", "api-7d9f"},
		{"sgr", "\x1b[31mred\x1b[0m", "red"},
		{"osc-bel", "title\x1b]0;pwned\x07done", "titledone"},
		{"osc-st", "title\x1b]0;pwned\x1b\\done", "titledone"},
		{"osc-unterminated", "ok\x1b]0;pwned until the end", "ok"},
		{"osc8-link", "a\x1b]8;;http://evil\x07link\x1b]8;;\x07b", "alinkb"},
		{"dcs", "a\x1bP1$r0m payload\x1b\\b", "ab"},
		{"apc", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"},
		{"pm", "a\x1b^private\x1b\\b", "ab"},
		{"sos", "a\x1bXstring\x1b\\b", "ab"},
		{"esc-at-end", "a\x1b", "a"},
		{"csi-at-end", "a\x1b[", "a"},
		{"csi-params-at-end", "a\x1b[31;", "a"},
		{"csi-cancelled", "a\x1b[1\x18b", "ab"},
		{"esc-esc", "a\x1b\x1b[2Jb", "ab"},
		{"charset", "a\x1b(Bb", "ab"},
		{"tab", "a\tb", "a    b"},
		{"cr", "over\rwrite", "overwrite"},
		{"c0", "bell\x07 nul\x00 del\x7f vt\x0b", "bell nul del vt"},
		// C1 decoded from UTF-8 acts like its 7-bit sequence: its
		// parameters and payload go with it.
		{"c1-csi-rune", "c1\u009b2Jx", "c1x"},
		{"c1-osc-rune", "x\u009d0;title\u0007y", "xy"},
		{"c1-dcs-rune", "a\u0090payload\u009cb", "ab"},
		{"c1-nel", "a\u0085b", "ab"},
		// A raw 0x9B is not UTF-8: it becomes U+FFFD, like any invalid byte.
		{"c1-csi-raw", "a\x9b2Jb", "a\ufffd2Jb"},
		{"invalid-utf8", "a\xff\xfeb\xe2\x82", "a\ufffd\ufffdb\ufffd\ufffd"},
		{"bidi-override", "bidi\u202egnp.exe", "bidignp.exe"},
		{"bidi-all", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069x", "x"},
		{"marks-and-zwsp", "a\u200eb\u200fc\u061cd\u200be\ufefff\u00adg\u2060h\U000e0001i", "abcdefghi"},
		{"multi-line", "multi\nline", "multi\nline"},
		{"line-separators", "a\u2028b\u2029c", "a\nb\nc"},
		{"latin", "héllo ✓", "héllo ✓"},
		// Graphemes are kept whole.
		{"zwj", "👩‍💻", "👩\u200d💻"},
		{"family", "👨‍👩‍👧‍👦", "👨\u200d👩\u200d👧\u200d👦"},
		{"vs16", "❤️", "\u2764\ufe0f"},
		{"vs-ideographic", "\u845b\U000e0100", "\u845b\U000e0100"},
		{"tag-flag", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"},
		{"regional", "🇫🇷", "\U0001f1eb\U0001f1f7"},
		{"combining", "e\u0301", "e\u0301"},
		{"zwnj", "می\u200cخواهم", "می\u200cخواهم"},
	}
	for _, c := range cases {
		got := Text(c.in)
		if got != c.want {
			t.Errorf("%s: Text(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
		if !IsSafe(got) {
			t.Errorf("%s: Text(%q) = %q is not safe", c.name, c.in, got)
		}
		if again := Text(got); again != got {
			t.Errorf("%s: not idempotent: %q -> %q", c.name, got, again)
		}
	}
}

func TestLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1\nFROM t\n", "SELECT 1 ⏎ FROM t"},
		{"a\u2028b", "a ⏎ b"},
		{"a\r\nb", "a ⏎ b"},
		{"👩‍💻\x1b]0;x\x07 ok", "👩\u200d💻 ok"},
	}
	for _, c := range cases {
		got := Line(c.in)
		if got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "\n") || !IsSafe(got) || Line(got) != got {
			t.Errorf("Line(%q) = %q: not one safe, stable line", c.in, got)
		}
	}
}

func TestIsSafe(t *testing.T) {
	for _, s := range []string{"", "plain", "two\nlines", "👩\u200d💻", "e\u0301", "\ufffd"} {
		if !IsSafe(s) {
			t.Errorf("IsSafe(%q) = false", s)
		}
	}
	for _, s := range []string{"\x1b", "a\x07", "\t", "\r", "\x7f", "\u009b", "\u0085", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\xff"} {
		if IsSafe(s) {
			t.Errorf("IsSafe(%q) = true", s)
		}
	}
}

// BenchmarkText is the cost on text that needs work (escapes, emoji);
// plain ASCII takes the fast path.
func BenchmarkText(b *testing.B) {
	s := strings.Repeat("\x1b[31mERROR\x1b[0m 👩‍💻 deploy failed: héllo\n", 20)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Text(s)
	}
}
