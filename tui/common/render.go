package common

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/styles"
)

// Truncate cuts s (which may hold styling) to width cells, with "…".
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if len(s) <= width {
		// Never wider than its bytes: a rune takes a byte per cell it
		// fills or more, an escape sequence fills none.
		return s
	}
	if plainASCII(s) {
		// One cell a byte: no grapheme segmentation (a long query text
		// in every visible row would cost the frame its budget).
		return s[:width-1] + "…"
	}
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// plainASCII reports whether s is printable ASCII only (no escape, no
// control, nothing wide).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// cellWidth is s's width in cells.
func cellWidth(s string) int {
	if plainASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// Pad truncates or right-pads s to exactly width cells.
func Pad(s string, w int) string {
	s = Truncate(s, w)
	if n := cellWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// PadLeft truncates or left-pads s to exactly width cells.
func PadLeft(s string, w int) string {
	s = Truncate(s, w)
	if n := cellWidth(s); n < w {
		s = strings.Repeat(" ", w-n) + s
	}
	return s
}

// Clip cuts every line of s to width cells and keeps at most height lines
// (height <= 0: all): what a pane's View ends with, so nothing it draws
// depends on the shell cutting it. Lines are in order of importance.
func Clip(s string, width, height int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if height > 0 && len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = Truncate(l, width)
	}
	return strings.Join(lines, "\n")
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
// what is known (age of the data shown, retry, error), unbounded; a pane
// draws StateLineFit, which fits it to its width.
func StateLine(st *styles.Styles, s probes.State, now time.Time, staleAfter time.Duration) string {
	return StateLineFit(st, s, now, staleAfter, -1)
}

// StateLineFit is StateLine within width cells (-1: unbounded). How old the
// data is always shows when the pane is not stale-free: stale numbers must
// never look current. So a long error is cut first, then the retry, then
// words, down to a bare age ("● 1m ago").
func StateLineFit(st *styles.Styles, s probes.State, now time.Time, staleAfter time.Duration, width int) string {
	switch {
	case s.Status == probes.Failing:
		ago := probes.Ago(now, s.LastOK)
		forms := []string{"● failing · " + s.DataAge(now)}
		if r := s.Retry(now); r != "" {
			forms[0] += " · " + r
			forms = append(forms, "● failing · "+s.DataAge(now))
		}
		if s.LastOK.IsZero() {
			forms = append(forms, "● failing · no data", "● no data", "● failing")
		} else {
			hm := s.LastOK.Format("15:04")
			forms = append(forms, "● failing · data "+hm+" ("+ago+")", "● data "+hm+" ("+ago+")", "● "+hm+" ("+ago+")", "● "+ago)
		}
		return st.Bad.Render(fitForms(forms, probes.ErrorText(s.LastErr), width))
	case s.Status == probes.OK && s.Stale(now, staleAfter):
		ago := probes.Ago(now, s.LastOK)
		forms := []string{"● stale · " + s.DataAge(now), "● stale · updated " + ago, "● stale " + ago, "● " + ago}
		return st.Warn.Render(fitForms(forms, "", width))
	case s.Status == probes.OK && width >= 0 && width < 3:
		return st.OK.Render(Truncate("●", width))
	case s.Status == probes.OK:
		return st.OK.Render("●") + " " + st.Muted.Render(fit(s.Describe(now), width-2))
	case s.Status == probes.Connecting:
		return st.Warn.Render(fit("◌ "+s.Describe(now), width))
	case s.Status == probes.NotConfigured && s.Hint != "":
		// The hint on its own line: it must not be cut in a narrow pane.
		return st.Muted.Render(fit("○ not configured —", width)) + "\n" + st.Muted.Render(fit(s.Hint, width))
	default:
		return st.Muted.Render(fit("○ "+s.Describe(now), width))
	}
}

// fitForms picks the first (longest) of forms that fits width and, for the
// first form only, follows it with " · tail" cut to what is left.
func fitForms(forms []string, tail string, width int) string {
	if width < 0 {
		if tail != "" {
			return forms[0] + " · " + tail
		}
		return forms[0]
	}
	for i, f := range forms {
		if ansi.StringWidth(f) > width {
			continue
		}
		if i == 0 && tail != "" {
			return Truncate(f+" · "+tail, width)
		}
		return f
	}
	return Truncate(forms[len(forms)-1], width)
}

// fit is Truncate, with width < 0 meaning unbounded.
func fit(s string, width int) string {
	if width < 0 {
		return s
	}
	return Truncate(s, width)
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
// start); "" otherwise. Its lines come cause first (probes.ErrorLines:
// pgx's "failed to connect to …:" header goes last), each line wrapped on
// its own, so within maxLines the reader sees why before what.
func FailureDetail(st *styles.Styles, s probes.State, width, maxLines int) string {
	if s.Status != probes.Failing || !s.LastOK.IsZero() || s.LastErr == nil || width < 10 || maxLines < 1 {
		return ""
	}
	var lines []string
	for _, l := range probes.ErrorLines(s.LastErr) {
		lines = append(lines, strings.Split(ansi.Wrap(l, width, " /:"), "\n")...)
	}
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
