package common

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/styles"
)

// Truncate cuts s (which may hold styling) to width cells, with "…".
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// Pad truncates or right-pads s to exactly width cells.
func Pad(s string, width int) string {
	s = Truncate(s, width)
	if w := ansi.StringWidth(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// PadLeft truncates or left-pads s to exactly width cells.
func PadLeft(s string, width int) string {
	s = Truncate(s, width)
	if w := ansi.StringWidth(s); w < width {
		s = strings.Repeat(" ", width-w) + s
	}
	return s
}

// Fit makes body exactly width x height: each line truncated or padded,
// missing lines blank, extra lines dropped.
func Fit(body string, width, height int) []string {
	lines := strings.Split(body, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	out := make([]string, height)
	for i := range out {
		if i < len(lines) {
			out[i] = Pad(lines[i], width)
		} else {
			out[i] = strings.Repeat(" ", width)
		}
	}
	return out
}

// StateLine renders a backend state the same way in every pane: a dot and
// what is known (error, retry, age of the data shown).
func StateLine(st *styles.Styles, s probes.State, now time.Time, staleAfter time.Duration) string {
	text := s.Describe(now)
	switch {
	case s.Status == probes.OK && s.Stale(now, staleAfter):
		return st.Warn.Render("● stale · " + text)
	case s.Status == probes.OK:
		return st.OK.Render("●") + " " + st.Muted.Render(text)
	case s.Status == probes.Failing:
		return st.Bad.Render("● " + text)
	case s.Status == probes.Connecting:
		return st.Warn.Render("◌ " + text)
	case s.Status == probes.NotConfigured && s.Hint != "":
		// The hint on its own line: it must not be cut in a narrow pane.
		return st.Muted.Render("○ not configured —") + "\n" + st.Muted.Render(s.Hint)
	default:
		return st.Muted.Render("○ " + text)
	}
}

// Dot is a status-bar dot for a backend state.
func Dot(st *styles.Styles, s probes.State) string {
	switch s.Status {
	case probes.OK:
		return st.Status.DotOK.Render("●")
	case probes.Failing:
		return st.Status.DotBad.Render("●")
	case probes.Connecting:
		return st.Status.DotWait.Render("◌")
	default:
		return st.Status.DotOff.Render("○")
	}
}

// Duration renders d as H:MM:SS, or M:SS under an hour.
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// TruncateMiddle cuts plain text s to width cells keeping both ends, for
// names whose unique part is the suffix (pod names: api-6f9c…-2xkqp).
func TruncateMiddle(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	if width < 5 {
		return Truncate(s, width)
	}
	tail := (width - 1) / 2
	head := width - 1 - tail
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, ansi.StringWidth(s)-tail, "")
}

// FailureDetail is the whole error, wrapped, for a pane whose backend has
// failed before giving any data (the state line only has room for its
// start); "" otherwise.
func FailureDetail(st *styles.Styles, s probes.State, width, maxLines int) string {
	if s.Status != probes.Failing || !s.LastOK.IsZero() || s.LastErr == nil || width < 10 {
		return ""
	}
	lines := strings.Split(ansi.Wrap(sanitize.Line(s.LastErr.Error()), width, " /:"), "\n")
	if len(lines) > maxLines {
		lines = append(lines[:maxLines-1], Truncate(strings.Join(lines[maxLines-1:], " "), width))
	}
	return st.Bad.Render(strings.Join(lines, "\n"))
}

// SeverityBadge is the severity as a coloured badge: " P1 High ". A
// severity the journal did not make clear is shown as unknown, never as
// one of the four (and never indexes past the styles).
func SeverityBadge(st *styles.Styles, sev incident.Severity) string {
	if !sev.Valid() {
		return st.Status.Badge.Render(" P? unknown severity ")
	}
	return st.Status.Severity[sev].Render(" " + sev.String() + " " + sev.Name() + " ")
}
