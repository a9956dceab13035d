package sanitize

import "testing"

func TestText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"api-7d9f", "api-7d9f"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"title\x1b]0;pwned\x07done", "titledone"},
		{"a\tb", "a    b"},
		{"over\rwrite", "overwrite"},
		{"bell\x07 nul\x00 c1\u009b2J", "bell nul c12J"},
		{"bidi\u202egnp.exe", "bidignp.exe"},
		{"multi\nline", "multi\nline"},
		{"héllo ✓", "héllo ✓"},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got, want := Line("SELECT 1\nFROM t\n"), "SELECT 1 ⏎ FROM t"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}
