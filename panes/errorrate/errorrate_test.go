package errorrate

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// fixed is a probe that answers with the same series every time.
type fixed []prom.Series

func (f fixed) Query(context.Context, string, time.Time) ([]prom.Sample, error) { return nil, nil }
func (f fixed) Alerts(context.Context) ([]prom.Alert, error)                    { return nil, nil }

func (f fixed) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]prom.Series, error) {
	return f, nil
}

// newPane makes a pane whose feed has answered once with vals, one sample
// every 15s ending at t0. profile Ascii draws no styling; others do.
func newPane(t testing.TB, profile termenv.Profile, w, h int, vals ...float64) *Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }}
	pts := make([]prom.Point, len(vals))
	for i, v := range vals {
		pts[i] = prom.Point{T: t0.Add(time.Duration(i-len(vals)+1) * 15 * time.Second), V: v}
	}
	m := New(c, fixed{{Points: pts}}, Config{Refresh: time.Second})
	m.SetSize(w, h)
	// The feed's own path: the answer arrives as its Result message.
	m.Update(probes.Result[[]prom.Series]{Tag: m.feed.Tag, Gen: m.feed.Gen, Data: fixed{{Points: pts}}, At: t0})
	if m.feed.State.Status != probes.OK {
		t.Fatalf("feed state %v after a good answer", m.feed.State.Status)
	}
	return m
}

// checkLines fails if a line of v is wider than w cells.
func checkLines(t testing.TB, v string, w int) {
	t.Helper()
	for i, l := range strings.Split(v, "\n") {
		if got := ansi.StringWidth(l); got > w {
			t.Fatalf("line %d is %d cells wide, pane is %d:\n%q", i, got, w, l)
		}
	}
}

// The crash: a finite sample then +Inf (the sparkline indexed
// blocks with a NaN- or Inf-derived index), and the same series again as
// it would be after a restart, with the +Inf still in the window.
func TestInfAfterFiniteDoesNotCrash(t *testing.T) {
	for _, vals := range [][]float64{
		{0.01, math.Inf(1)},
		{0.01, math.Inf(1), 0.02},
		{math.Inf(1)},
		{0.02, math.Inf(-1)},
		{0.02, math.NaN(), 0.03},
		{0.02, 1e308},
		{-1e308, 0.02},
		{0.02, -0.5},
		{0.02, 3},
		{5e-324, 0.02},
	} {
		m := newPane(t, termenv.Ascii, 40, 12, vals...)
		v := m.View()
		checkLines(t, v, 40)
		if !strings.Contains(v, "5xx ratio") {
			t.Errorf("%v: no ratio line:\n%s", vals, v)
		}
	}
}

func TestNonFiniteCurrentIsSaidHonestly(t *testing.T) {
	cases := []struct {
		name string
		vals []float64
		want []string // all must appear
		not  []string
	}{
		{"+Inf", []float64{0.02, math.Inf(1)}, []string{"+Inf", "division by zero", "last valid 2.00%"}, []string{"peak +Inf", "NaN%"}},
		{"NaN", []float64{0.02, math.NaN()}, []string{"no value (NaN", "last valid 2.00%"}, []string{"NaN%"}},
		{"negative", []float64{0.02, -0.03}, []string{"invalid", "-3.00%"}, []string{"now 0.00%"}},
		{"above 1", []float64{0.02, 1.5}, []string{"invalid", "150.00%", "above 100%"}, nil},
		{"1e308", []float64{0.02, 1e308}, []string{"invalid", "1e+308 (as a ratio)"}, nil},
		{"-Inf", []float64{0.02, math.Inf(-1)}, []string{"-Inf", "invalid"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newPane(t, termenv.Ascii, 80, 14, c.vals...).View()
			for _, w := range c.want {
				if !strings.Contains(v, w) {
					t.Errorf("missing %q:\n%s", w, v)
				}
			}
			for _, w := range c.not {
				if strings.Contains(v, w) {
					t.Errorf("should not say %q:\n%s", w, v)
				}
			}
		})
	}
}

// The peak skips values that are not ratios.
func TestPeakSkipsNonFinite(t *testing.T) {
	v := newPane(t, termenv.Ascii, 80, 14, 0.01, math.Inf(1), 0.07, math.NaN(), 1e308, -2, 0.03).View()
	if !strings.Contains(v, "peak 7.00%") {
		t.Errorf("peak should be the largest valid ratio, 7.00%%:\n%s", v)
	}
}

// One huge sample must not flatten the graph: the sane values are scaled
// as without it, and the huge one is marked off-scale, with a legend.
func TestOffScaleValueDoesNotFlattenTheGraph(t *testing.T) {
	base := []float64{0.01, 0.02, 0.08, 0.12, 0.03}
	plain := sparkRows(points(base...), 20, 4, Threshold)
	with := sparkRows(points(append(slices(base), 1e308)...), 20, 4, Threshold)
	for r := range plain {
		if !strings.HasPrefix(with[r], plain[r]) {
			t.Errorf("row %d: the sane columns changed with an off-scale value:\n%q\n%q", r, plain[r], with[r])
		}
	}
	if !strings.Contains(with[0], "^") {
		t.Errorf("the off-scale point is not marked in the top row: %q", with[0])
	}
	v := newPane(t, termenv.Ascii, 80, 14, append(slices(base), 1e308, 0.02)...).View()
	if !strings.Contains(v, "^ off-scale") {
		t.Errorf("no legend for the off-scale mark:\n%s", v)
	}
	// The sane 12% sample reaches the top row: the scale is the sane values'.
	if !strings.Contains(plain[0], "█") {
		t.Errorf("12%% should fill the top row: %q", plain[0])
	}
}

func slices(v []float64) []float64 { return append([]float64(nil), v...) }

func points(vals ...float64) []prom.Point {
	pts := make([]prom.Point, len(vals))
	for i, v := range vals {
		pts[i] = prom.Point{T: t0.Add(time.Duration(i) * 15 * time.Second), V: v}
	}
	return pts
}

func TestTinySizes(t *testing.T) {
	for w := 0; w <= 20; w++ {
		for h := 0; h <= 5; h++ {
			m := newPane(t, termenv.ANSI256, w, h, 0.01, math.Inf(1), math.NaN(), 1e308, -1, 0.2)
			v := m.View()
			checkLines(t, v, w)
			if h > 0 {
				if n := strings.Count(v, "\n") + 1; n > h {
					t.Errorf("%dx%d: %d lines", w, h, n)
				}
			}
		}
	}
}
