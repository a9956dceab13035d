package common

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func testStyles() *styles.Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return styles.New(r, styles.DefaultTheme())
}

// pgxErr is what pgx v5 returns when every address refuses: a header
// line, then one indented line per attempt (TLS and plain).
var pgxErr = errors.New("failed to connect to `user=warroom database=agent_platform`:\n" +
	"\t10.0.3.17:5432 (db-primary.internal.example.com): dial error: dial tcp 10.0.3.17:5432: connect: connection refused\n" +
	"\t10.0.3.17:5432 (db-primary.internal.example.com): dial error: dial tcp 10.0.3.17:5432: connect: connection refused")

// The state line of a pane showing old data while its backend fails: at
// every width the age of the data is there in full, before the error.
func TestStateLineKeepsTheAgeAtNarrowWidths(t *testing.T) {
	now := t0.Add(3*time.Minute + 4*time.Second)
	s := probes.State{Status: probes.Failing, LastOK: t0, LastErr: pgxErr, ErrSince: t0.Add(time.Minute),
		Failures: 4, RetryAt: now.Add(8 * time.Second)}
	cases := []struct {
		width int
		want  string
	}{
		{80, "data from 03:00:00 (3m4s ago)"},
		{41, "data from 03:00:00 (3m4s ago)"},
		{40, "data 03:00 (3m4s ago)"},
		{30, "data 03:00 (3m4s ago)"},
		{20, "03:00 (3m4s ago)"},
		{12, "3m4s ago"},
	}
	for _, c := range cases {
		got := StateLineFit(testStyles(), s, now, 10*time.Second, c.width)
		if w := ansi.StringWidth(got); w > c.width {
			t.Errorf("width %d: line is %d wide: %q", c.width, w, got)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("width %d: %q lacks %q", c.width, got, c.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("width %d: the state line has a newline: %q", c.width, got)
		}
	}
	// With room, the error follows, cause first.
	got := StateLineFit(testStyles(), s, now, 10*time.Second, 200)
	if !strings.Contains(got, "retry in 8s · 10.0.3.17:5432") || strings.Count(got, "connection refused") != 1 {
		t.Errorf("wide line: %q", got)
	}
}

func TestStaleOKLineKeepsTheAge(t *testing.T) {
	now := t0.Add(5 * time.Minute)
	s := probes.State{Status: probes.OK, LastOK: t0}
	for _, w := range []int{80, 40, 20, 10} {
		got := StateLineFit(testStyles(), s, now, 10*time.Second, w)
		if ansi.StringWidth(got) > w || !strings.Contains(got, "5m ago") {
			t.Errorf("width %d: %q", w, got)
		}
	}
}

// Every state at every small width stays within the width.
func TestStateLineWithinWidth(t *testing.T) {
	now := t0.Add(time.Minute)
	states := []probes.State{
		{Status: probes.NotConfigured, Hint: "set --postgres, DATABASE_URL or postgres.dsn"},
		{Status: probes.NotConfigured},
		{Status: probes.Connecting},
		{Status: probes.OK, LastOK: now},
		{Status: probes.OK, LastOK: t0},
		{Status: probes.Failing, LastErr: pgxErr, RetryAt: now.Add(time.Second)},
		{Status: probes.Failing, LastErr: pgxErr, LastOK: t0},
	}
	for _, s := range states {
		for w := 0; w <= 45; w++ {
			for i, l := range strings.Split(StateLineFit(testStyles(), s, now, 10*time.Second, w), "\n") {
				if ansi.StringWidth(l) > w {
					t.Errorf("%v at width %d: line %d is %q", s.Status, w, i, l)
				}
			}
		}
	}
}

// FailureDetail shows the cause first, every line wrapped to the width,
// within maxLines; the header that says nothing comes last.
func TestFailureDetailShowsTheCauseFirst(t *testing.T) {
	s := probes.State{Status: probes.Failing, LastErr: pgxErr}
	for _, w := range []int{20, 40, 80} {
		d := FailureDetail(testStyles(), s, w, 20)
		lines := strings.Split(d, "\n")
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Errorf("width %d: line %q too wide", w, l)
			}
		}
		joined := strings.Join(lines, " ")
		if !strings.Contains(strings.ReplaceAll(joined, " ", ""), "connect:connectionrefused") {
			t.Errorf("width %d: the cause is missing:\n%s", w, d)
		}
		if strings.HasPrefix(d, "failed to connect") {
			t.Errorf("width %d: starts with the header, not the cause:\n%s", w, d)
		}
		if strings.Count(strings.ReplaceAll(joined, " ", ""), "connectionrefused") != 1 {
			t.Errorf("width %d: the repeated attempt is shown twice:\n%s", w, d)
		}
	}
	// Two lines at 40 wide: the cause's start, cut with "…".
	d := FailureDetail(testStyles(), s, 40, 2)
	if n := strings.Count(d, "\n") + 1; n != 2 || !strings.HasPrefix(d, "10.0.3.17:5432") || !strings.Contains(d, "…") {
		t.Errorf("2 lines: %q", d)
	}
}
