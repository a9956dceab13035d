package styles

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestNoColorKeepsAttributesButNoColour(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	s := New(r, NoColorTheme())
	for name, out := range map[string]string{
		"selected": s.Table.Selected.Render("row"),
		"badge":    s.Status.Badge.Render("DRILL"),
		"badgeBad": s.Status.BadgeBad.Render("JOURNAL FAILING"),
		"p0":       s.Status.Severity[0].Render("P0"),
		"bad":      s.Bad.Render("error"),
		"border":   s.Frame.BorderFocused.Render("│"),
	} {
		if strings.Contains(out, "38;") || strings.Contains(out, "48;") {
			t.Errorf("%s has a colour: %q", name, out)
		}
		if name != "border" && !strings.Contains(out, "\x1b[") {
			t.Errorf("%s lost its attribute: %q", name, out)
		}
	}
	col := New(r, DefaultTheme())
	if !strings.Contains(col.Bad.Render("x"), "38;") {
		t.Error("the default theme has no colour at all")
	}
}
