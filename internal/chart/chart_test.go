package chart

import (
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York for the DST test, wherever it runs

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"
)

// end is the tests' fixed "now": 03:12 UTC, when people get woken.
var end = time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

func ptr(v float64) *float64 { return &v }

func renderer(p termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	return r
}

// styled fills in every style of o and series from r, distinct colours.
func styled(r *lipgloss.Renderer, o Options, series []Series) (Options, []Series) {
	o.AxisStyle = r.NewStyle().Foreground(lipgloss.Color("8"))
	o.LabelStyle = r.NewStyle().Foreground(lipgloss.Color("7"))
	o.ThresholdStyle = r.NewStyle().Foreground(lipgloss.Color("1"))
	o.MarkerStyle = r.NewStyle().Foreground(lipgloss.Color("3")).Bold(true)
	colours := []string{"9", "10", "12", "13", "14"}
	out := make([]Series, len(series))
	for i, s := range series {
		s.Style = r.NewStyle().Foreground(lipgloss.Color(colours[i%len(colours)]))
		out[i] = s
	}
	return o, out
}

// gen samples f(i, t) every step over [start, stop].
func gen(start, stop time.Time, step time.Duration, f func(i int, t time.Time) float64) []Point {
	var ps []Point
	for i, t := 0, start; !t.After(stop); i, t = i+1, t.Add(step) {
		ps = append(ps, Point{T: t, V: f(i, t)})
	}
	return ps
}

// ratio is the drill's shape: ~1% until the rollout at 40% of the range,
// rising to ~12%, falling back after the undo at 80%.
func ratio(start, stop time.Time, step time.Duration) []Point {
	span := stop.Sub(start)
	return gen(start, stop, step, func(i int, t time.Time) float64 {
		x := float64(t.Sub(start)) / float64(span)
		base := 0.01 + 0.002*math.Sin(float64(i)/3)
		switch {
		case x < 0.4:
			return base
		case x < 0.5:
			return base + (x-0.4)*1.1
		case x < 0.8:
			return base + 0.11 + 0.01*math.Sin(float64(i)/2)
		default:
			return base + math.Max(0, 0.12-(x-0.8)*1.2)
		}
	})
}

func rps(start, stop time.Time, step time.Duration, level, wobble float64) []Point {
	return gen(start, stop, step, func(i int, _ time.Time) float64 {
		return level + wobble*math.Sin(float64(i)/4)
	})
}

// checkFits fails unless out is exactly w x h cells, or the one-line
// too-small text when exact is false and out is that.
func checkFits(t *testing.T, out string, w, h int) {
	t.Helper()
	if w <= 0 || h <= 0 {
		if out != "" {
			t.Fatalf("%dx%d: want empty, got %q", w, h, out)
		}
		return
	}
	lines := strings.Split(out, "\n")
	if out == tooSmall(w) {
		if ansi.StringWidth(out) > w {
			t.Fatalf("%dx%d: too-small text %q wider than %d", w, h, out, w)
		}
		return
	}
	if len(lines) != h {
		t.Fatalf("%dx%d: %d lines:\n%s", w, h, len(lines), out)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Fatalf("%dx%d: line %d is %d wide: %q\n%s", w, h, i, lw, l, out)
		}
	}
}

type goldenCase struct {
	name   string
	o      Options
	series []Series
}

func goldenCases() []goldenCase {
	start15 := end.Add(-15 * time.Minute)
	thr := ptr(0.05)
	declared := end.Add(-9 * time.Minute)
	var cases []goldenCase

	cases = append(cases, goldenCase{"threshold",
		Options{Width: 76, Height: 12, Start: start15, End: end, Unit: "%", Threshold: thr, Legend: true},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})

	// a 2-minute hole at 15 s steps, a lone point inside it, a 30 s hole
	// (2 steps: joined), and points after the end of the range.
	gaps := ratio(start15, end.Add(time.Minute), 15*time.Second)
	var withGaps []Point
	for i, p := range gaps {
		switch {
		case i >= 20 && i < 28 && i != 24:
		case i == 45:
		default:
			withGaps = append(withGaps, p)
		}
	}
	cases = append(cases, goldenCase{"gaps",
		Options{Width: 76, Height: 12, Start: start15, End: end, Unit: "%", Threshold: thr},
		[]Series{{Name: "5xx ratio", Points: withGaps}}})

	nan := ratio(start15, end, 15*time.Second)
	for i := range nan {
		switch {
		case i >= 10 && i < 14:
			nan[i].V = math.NaN()
		case i == 30:
			nan[i].V = math.Inf(1)
		case i == 31:
			nan[i].V = math.Inf(-1)
		case i == 50:
			nan[i].V = math.NaN()
		}
	}
	cases = append(cases, goldenCase{"nan",
		Options{Width: 76, Height: 12, Start: start15, End: end, Unit: "%", Threshold: thr},
		[]Series{{Name: "5xx ratio", Points: nan}}})

	cases = append(cases, goldenCase{"marker",
		Options{Width: 76, Height: 12, Start: start15, End: end, Unit: "%", Threshold: thr, Marker: declared, Legend: true},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})

	cases = append(cases, goldenCase{"marker_right_edge",
		Options{Width: 40, Height: 8, Start: start15, End: end, Unit: "%", Marker: end.Add(-time.Minute), MarkerLabel: "rollback"},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})

	cases = append(cases, goldenCase{"two_series",
		Options{Width: 76, Height: 12, Start: start15, End: end, Unit: "req/s", Legend: true},
		[]Series{
			{Name: "2xx", Points: rps(start15, end, 15*time.Second, 1200, 150)},
			{Name: "5xx", Points: ratio(start15, end, 15*time.Second)},
		}})
	// scale the 5xx series to req/s
	for i := range cases[len(cases)-1].series[1].Points {
		cases[len(cases)-1].series[1].Points[i].V *= 1200
	}

	cases = append(cases, goldenCase{"narrow",
		Options{Width: 40, Height: 8, Start: start15, End: end, Unit: "%", Threshold: thr, Marker: declared, Legend: true},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})

	start1h := end.Add(-time.Hour)
	cases = append(cases, goldenCase{"wide",
		Options{Width: 120, Height: 20, Start: start1h, End: end, Unit: "req/s", Marker: end.Add(-25 * time.Minute), Legend: true},
		[]Series{
			{Name: "2xx", Points: rps(start1h, end, 15*time.Second, 900, 120)},
			{Name: "4xx", Points: rps(start1h, end, 15*time.Second, 300, 60)},
			{Name: "5xx", Points: rps(start1h, end, 15*time.Second, 120, 100)},
		}})

	cases = append(cases, goldenCase{"clipped",
		Options{Width: 60, Height: 10, Start: start15, End: end, Unit: "%", YMin: ptr(0.02), YMax: ptr(0.08), Threshold: thr},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})

	cases = append(cases, goldenCase{"no_data",
		Options{Width: 60, Height: 10, Start: start15, End: end, Unit: "%", Threshold: thr, Legend: true},
		[]Series{{Name: "5xx ratio"}}})

	for _, r := range []struct {
		name string
		d    time.Duration
	}{{"range_15m", 15 * time.Minute}, {"range_1h", time.Hour}, {"range_6h", 6 * time.Hour}, {"range_24h", 24 * time.Hour}} {
		start := end.Add(-r.d)
		step := r.d / 120
		cases = append(cases, goldenCase{r.name,
			Options{Width: 76, Height: 12, Start: start, End: end, Unit: "%", Threshold: thr, Marker: end.Add(-r.d / 3), Legend: true, Step: step},
			[]Series{{Name: "5xx ratio", Points: ratio(start, end, step)}}})
	}

	cases = append(cases, goldenCase{"tiny_10x3",
		Options{Width: 10, Height: 3, Start: start15, End: end, Unit: "%", Threshold: thr},
		[]Series{{Name: "5xx ratio", Points: ratio(start15, end, 15*time.Second)}}})
	return cases
}

// TestGolden renders fixed data with no colour and compares it with
// testdata/TestGolden/*.golden (go test -run TestGolden -update rewrites).
func TestGolden(t *testing.T) {
	r := renderer(termenv.Ascii)
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			c.o.Location = time.UTC
			o, series := styled(r, c.o, c.series)
			out := Render(o, series)
			checkFits(t, out, o.Width, o.Height)
			golden.RequireEqual(t, []byte(out+"\n"))
		})
	}
}

// The colours change nothing but the escape codes: stripped, a colour
// rendering is the no-colour one, cell for cell.
func TestColourIsOnlyEscapes(t *testing.T) {
	plain, colour := renderer(termenv.Ascii), renderer(termenv.ANSI256)
	for _, c := range goldenCases() {
		c.o.Location = time.UTC
		po, ps := styled(plain, c.o, c.series)
		co, cs := styled(colour, c.o, c.series)
		p, col := Render(po, ps), Render(co, cs)
		if c.name != "tiny_10x3" && !strings.Contains(col, "\x1b[") {
			t.Errorf("%s: no colour in the ANSI256 rendering", c.name)
		}
		if got := ansi.Strip(col); got != p {
			t.Errorf("%s: stripped colour rendering differs:\n%s\nwant:\n%s", c.name, got, p)
		}
		checkFits(t, col, c.o.Width, c.o.Height)
	}
}

// Every size from 1x1 to 60x20, with every feature on, stays inside its
// box: exactly w x h, or the one-line too-small text.
func TestEverySizeFits(t *testing.T) {
	r := renderer(termenv.ANSI256)
	start := end.Add(-time.Hour)
	series := []Series{
		{Name: "2xx \x1b[31mevil\x1b[0m", Points: rps(start, end, 15*time.Second, 900, 120)},
		{Name: "5xx", Points: ratio(start, end, 30*time.Second)},
		{Name: "", Points: []Point{{end.Add(-time.Minute), 3}}},
	}
	o := Options{Start: start, End: end, Unit: "%", Threshold: ptr(0.05), Marker: end.Add(-20 * time.Minute), Legend: true, Location: time.UTC}
	o, series = styled(r, o, series)
	charts := 0
	for w := 0; w <= 60; w++ {
		for h := 0; h <= 20; h++ {
			o.Width, o.Height = w, h
			out := Render(o, series)
			checkFits(t, out, w, h)
			if strings.Contains(out, "evil") && strings.Contains(out, "\x1b[31mevil") {
				t.Fatalf("%dx%d: a series name's escape code reached the output", w, h)
			}
			if w > 0 && h > 0 && out != tooSmall(w) {
				charts++
			}
		}
	}
	// the floor is where the chart gives up: 4+1+8 columns ("100%┤" and
	// eight cells), three rows.
	if charts < 40*15 {
		t.Errorf("only %d sizes drew a chart", charts)
	}
	for _, sz := range [][2]int{{76, 12}, {40, 8}, {20, 4}, {17, 3}} {
		o.Width, o.Height = sz[0], sz[1]
		if out := Render(o, series); out == tooSmall(sz[0]) {
			t.Errorf("%dx%d: too small, want a chart", sz[0], sz[1])
		}
	}
	o.Width, o.Height = 10, 3
	if out := Render(o, series); out != "too small" {
		t.Errorf("10x3: %q, want the too-small text", out)
	}
}

// plotRows returns the plot's rows of out (between the marker/label row
// and the x axis), each without its y label and axis.
func plotRows(t *testing.T, out string, o Options) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	var rows []string
	for _, l := range lines {
		k := strings.IndexAny(l, "│┤└")
		if k < 0 {
			continue
		}
		if strings.HasPrefix(l[k:], "└") {
			break
		}
		_, n := firstRune(l[k:])
		rows = append(rows, l[k+n:])
	}
	return rows
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

func colHasDots(rows []string, col int) bool {
	for _, r := range rows {
		rs := []rune(r)
		if col < len(rs) && rs[col] >= 0x2801 && rs[col] <= 0x28ff {
			return true
		}
	}
	return false
}

// Two points further apart than 2.5 steps are not joined; closer ones are.
func TestGapsAreNotJoined(t *testing.T) {
	start := end.Add(-10 * time.Minute)
	mk := func(hole int) []Point {
		var ps []Point
		for i := 0; i <= 40; i++ {
			if i >= 20 && i < 20+hole {
				continue
			}
			ps = append(ps, Point{start.Add(time.Duration(i) * 15 * time.Second), 0.5})
		}
		return ps
	}
	o := Options{Width: 49, Height: 6, Start: start, End: end, YMin: ptr(0), YMax: ptr(1)}
	// 49 wide, "1┤" labels: 47 cells, 94 dots, 41 points: point i at dot
	// i*93/40; points 20..23 sit in cells 23..26.
	out := Render(o, []Series{{Points: mk(4)}})
	rows := plotRows(t, out, o)
	for col := 24; col <= 25; col++ {
		if colHasDots(rows, col) {
			t.Errorf("cell %d: a 5-step hole was joined:\n%s", col, out)
		}
	}
	out = Render(o, []Series{{Points: mk(1)}})
	rows = plotRows(t, out, o)
	for col := 0; col < 47; col++ {
		if !colHasDots(rows, col) {
			t.Errorf("cell %d: a 2-step hole was not joined:\n%s", col, out)
		}
	}
	// a NaN is a gap whatever the spacing
	ps := mk(0)
	for i := 20; i < 24; i++ {
		ps[i].V = math.NaN()
	}
	out = Render(o, []Series{{Points: ps}})
	rows = plotRows(t, out, o)
	for col := 24; col <= 25; col++ {
		if colHasDots(rows, col) {
			t.Errorf("cell %d: NaNs were joined:\n%s", col, out)
		}
	}
}

// A value above the range is cut at the top edge: the line climbs to the
// top and comes back; nothing wraps to the bottom.
func TestClippedNotWrapped(t *testing.T) {
	start := end.Add(-10 * time.Minute)
	ps := gen(start, end, 15*time.Second, func(i int, _ time.Time) float64 {
		if i == 20 {
			return 1e308
		}
		if i == 30 {
			return -1e308
		}
		return 0.5
	})
	o := Options{Width: 49, Height: 6, Start: start, End: end, YMin: ptr(0), YMax: ptr(1)}
	out := Render(o, []Series{{Points: ps}})
	checkFits(t, out, 49, 6)
	rows := plotRows(t, out, o)
	top, bottom := []rune(rows[0]), []rune(rows[len(rows)-1])
	for col, r := range top {
		if r != ' ' && (col < 22 || col > 24) {
			t.Errorf("top row, cell %d: %q; only the spike (cells 22-24) should reach it:\n%s", col, r, out)
		}
	}
	if top[22] == ' ' || top[24] == ' ' {
		t.Errorf("the spike does not reach the top:\n%s", out)
	}
	for col, r := range bottom {
		if r != ' ' && (col < 33 || col > 36) {
			t.Errorf("bottom row, cell %d: %q; only the dip (cells 33-36) should reach it:\n%s", col, r, out)
		}
	}
	if bottom[33] == ' ' || bottom[36] == ' ' {
		t.Errorf("the dip does not reach the bottom:\n%s", out)
	}
}

// Where two series share a cell, the later one's style wins.
func TestLaterSeriesStyleWins(t *testing.T) {
	r := renderer(termenv.ANSI256)
	start := end.Add(-10 * time.Minute)
	ps := rps(start, end, 15*time.Second, 100, 20)
	red := r.NewStyle().Foreground(lipgloss.Color("1"))
	blue := r.NewStyle().Foreground(lipgloss.Color("4"))
	redSGR, blueSGR := strings.TrimSuffix(red.Render("x"), "x\x1b[0m"), strings.TrimSuffix(blue.Render("x"), "x\x1b[0m")
	if redSGR == blueSGR || redSGR == "" {
		t.Fatalf("test styles do not differ: %q %q", redSGR, blueSGR)
	}
	out := Render(Options{Width: 60, Height: 10, Start: start, End: end}, []Series{{Style: red, Points: ps}, {Style: blue, Points: ps}})
	if strings.Contains(out, redSGR) || !strings.Contains(out, blueSGR) {
		t.Errorf("want only the later series' colour:\n%q", out)
	}
}

func TestLegend(t *testing.T) {
	start := end.Add(-10 * time.Minute)
	ps := []Point{{start.Add(time.Minute), 0.02}, {start.Add(2 * time.Minute), 0.125}, {start.Add(3 * time.Minute), math.NaN()}, {end.Add(time.Minute), 0.5}}
	out := Render(Options{Width: 60, Height: 8, Start: start, End: end, Unit: "%", Legend: true}, []Series{
		{Name: "5xx ratio", Points: ps},
		{Name: "nothing", Points: []Point{{start, math.Inf(1)}}},
	})
	lines := strings.Split(out, "\n")
	if got, want := strings.TrimRight(lines[len(lines)-1], " "), "5xx ratio 12.5%  nothing no data"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
	out = Render(Options{Width: 60, Height: 8, Start: start, End: end, Unit: "req/s", Legend: true}, []Series{{Name: "2xx", Points: []Point{{end, 1234}}}})
	lines = strings.Split(out, "\n")
	if got, want := strings.TrimRight(lines[len(lines)-1], " "), "2xx 1.23k req/s"; got != want {
		t.Errorf("legend %q, want %q", got, want)
	}
	// cut to the width, never wrapped
	out = Render(Options{Width: 20, Height: 8, Start: start, End: end, Unit: "%", Legend: true}, []Series{
		{Name: "a very long series name", Points: ps}, {Name: "another", Points: ps},
	})
	checkFits(t, out, 20, 8)
	lines = strings.Split(out, "\n")
	if l := lines[len(lines)-1]; !strings.HasSuffix(l, "…") {
		t.Errorf("long legend not cut with …: %q", l)
	}
}

func TestTickLabels(t *testing.T) {
	for _, c := range []struct {
		v, step float64
		unit    string
		want    string
	}{
		{0.05, 0, "%", "5%"},
		{0.125, 0.025, "%", "12.5%"},
		{0.1, 0.025, "%", "10%"},
		{0, 0.05, "%", "0%"},
		{1, 0.25, "%", "100%"},
		{0.0005, 0, "%", "0.05%"},
		{1200, 0, "req/s", "1.2k"},
		{1250, 250, "req/s", "1.25k"},
		{1500, 500, "req/s", "1.5k"},
		{500, 500, "req/s", "500"},
		{0.35, 0, "req/s", "350m"},
		{0.35, 0.05, "", "350m"},
		{2.5e6, 0, "", "2.5M"},
		{-2500, 0, "", "-2.5k"},
		{3, 1, "", "3"},
		{1e-12, 0, "", "1e-12"},
		{5e-7, 0, "", "500n"},
		{999.99, 0, "", "1000"},
	} {
		if got := tickLabel(c.v, c.step, c.unit); got != c.want {
			t.Errorf("tickLabel(%v, %v, %q) = %q, want %q", c.v, c.step, c.unit, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.1154, "%", "11.5%"},
		{1234, "req/s", "1.23k req/s"},
		{0.35, "req/s", "350m req/s"},
		{42, "", "42"},
		{0.951, "%", "95.1%"},
	} {
		if got := valueLabel(c.v, c.unit); got != c.want {
			t.Errorf("valueLabel(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

// Automatic y ranges put every tick on the bottom dot of its row, so a
// label reads exactly.
func TestAutoTicksOnRows(t *testing.T) {
	start := end.Add(-15 * time.Minute)
	for rows := 2; rows <= 30; rows++ {
		for _, peak := range []float64{0.003, 0.07, 0.12, 0.9, 3, 1234, 98765} {
			for _, unit := range []string{"%", "req/s", ""} {
				o := Options{Start: start, End: end, Unit: unit}
				ys := yScale(o, []Series{{Points: []Point{{start, peak / 3}, {end, peak}}}}, start, end, rows)
				if len(ys.ticks) < 2 {
					t.Fatalf("rows %d peak %v: ticks %v", rows, peak, ys.ticks)
				}
				if !(ys.hi >= peak) || !(ys.lo <= peak/3) {
					t.Errorf("rows %d peak %v %q: range [%v, %v] misses the data", rows, peak, unit, ys.lo, ys.hi)
				}
				if (unit == "%" || unit == "req/s") && ys.lo != 0 {
					t.Errorf("rows %d peak %v %q: lo %v, want 0", rows, peak, unit, ys.lo)
				}
				if ys.hi > peak*2.5 && rows >= 4 {
					t.Errorf("rows %d peak %v %q: hi %v wastes the plot", rows, peak, unit, ys.hi)
				}
				seen := map[int]bool{}
				for _, v := range ys.ticks {
					d := ys.dotFromTop(v)
					if math.Abs(d-math.Round(d)) > 1e-6 || int(math.Round(d))%4 != 3 {
						t.Errorf("rows %d peak %v %q: tick %v at dot %v, not a row's bottom dot", rows, peak, unit, v, d)
					}
					r := ys.row(v)
					if seen[r] || seen[r-1] && rows >= 4 {
						t.Errorf("rows %d peak %v %q: ticks %v crowd row %d", rows, peak, unit, ys.ticks, r)
					}
					seen[r] = true
				}
			}
		}
	}
}

func TestXTicks(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		span  time.Duration
		loc   *time.Location
		end   time.Time
		first string
		step  time.Duration
	}{
		{15 * time.Minute, time.UTC, end, "02:58", 2 * time.Minute},
		{time.Hour, time.UTC, end, "02:20", 10 * time.Minute},
		{6 * time.Hour, time.UTC, end, "22:00", time.Hour},
		{24 * time.Hour, time.UTC, end, "06:00", 3 * time.Hour},
		// the day DST starts in New York: 02:00 does not exist
		{24 * time.Hour, ny, time.Date(2026, 3, 8, 12, 0, 0, 0, ny), "12:00", 3 * time.Hour},
	} {
		ticks := xTicks(c.end.Add(-c.span), c.end, c.loc, 70)
		if len(ticks) < 4 {
			t.Errorf("%v: %d ticks", c.span, len(ticks))
			continue
		}
		if ticks[0].label != c.first {
			t.Errorf("%v in %v: first tick %q, want %q", c.span, c.loc, ticks[0].label, c.first)
		}
		for i, tk := range ticks {
			wall := tk.t.In(c.loc)
			hh, m, s := wall.Clock()
			if s != 0 || (c.step >= time.Hour && (m != 0 || hh%int(c.step/time.Hour) != 0)) {
				t.Errorf("%v in %v: tick %v not round", c.span, c.loc, wall)
			}
			if i > 0 && !tk.t.After(ticks[i-1].t) {
				t.Errorf("%v: ticks out of order: %v", c.span, ticks)
			}
			if tk.t.Before(c.end.Add(-c.span)) || tk.t.After(c.end) {
				t.Errorf("%v: tick %v out of range", c.span, tk.t)
			}
		}
		if c.loc == time.UTC {
			if d := ticks[1].t.Sub(ticks[0].t); d != c.step {
				t.Errorf("%v: step %v, want %v", c.span, d, c.step)
			}
		}
	}
	// under a minute apart: seconds; days apart: dates
	if tk := xTicks(end.Add(-2*time.Minute), end, time.UTC, 70); len(tk) == 0 || len(tk[0].label) != 8 {
		t.Errorf("2m range: %v", tk)
	}
	if tk := xTicks(end.Add(-30*24*time.Hour), end, time.UTC, 70); len(tk) < 3 || tk[len(tk)-1].label != "Nov 25" {
		t.Errorf("30d range: %v", tk)
	}
}

// A backwards or empty range falls back to the points' times.
func TestRangeFallback(t *testing.T) {
	start := end.Add(-10 * time.Minute)
	ps := rps(start, end, 15*time.Second, 10, 2)
	o := Options{Width: 60, Height: 8}
	a := Render(o, []Series{{Points: ps}})
	o.Start, o.End = start, end
	if b := Render(o, []Series{{Points: ps}}); a != b {
		t.Errorf("no range:\n%s\nwant the points' range:\n%s", a, b)
	}
	o.Start, o.End = end, start
	if b := Render(o, []Series{{Points: ps}}); a != b {
		t.Errorf("backwards range:\n%s\nwant the points' range:\n%s", b, a)
	}
	checkFits(t, Render(Options{Width: 60, Height: 8}, nil), 60, 8)
}

func TestMedianStep(t *testing.T) {
	var ps []Point
	for _, s := range []int{0, 15, 30, 45, 300, 315, 330, 331} {
		ps = append(ps, Point{T: end.Add(time.Duration(s) * time.Second)})
	}
	if got, _ := medianStep(ps, nil); got != 15*time.Second {
		t.Errorf("median step %v, want 15s", got)
	}
	for n := 1; n < 50; n++ {
		a := make([]int64, n)
		for i := range a {
			a[i] = int64((i * 7919) % n)
		}
		for k := 0; k < n; k++ {
			b := append([]int64(nil), a...)
			if got := quickSelect(b, k); got != int64(k) {
				t.Fatalf("quickSelect(n=%d, k=%d) = %d", n, k, got)
			}
		}
	}
}

// Styles that pad, size, transform or prefix text cannot push a line past
// its width: the chart draws such text unstyled rather than wider.
func TestOddStylesKeepWidths(t *testing.T) {
	start := end.Add(-15 * time.Minute)
	for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI256} {
		r := renderer(p)
		odd := []lipgloss.Style{
			r.NewStyle().PaddingLeft(2).Foreground(lipgloss.Color("1")),
			r.NewStyle().Width(10),
			r.NewStyle().Underline(true).Foreground(lipgloss.Color("2")),
			r.NewStyle().Transform(strings.ToUpper),
			r.NewStyle().SetString("x"),
			r.NewStyle().Border(lipgloss.NormalBorder()),
			r.NewStyle().MarginLeft(1).Reverse(true),
		}
		for i, st := range odd {
			o := Options{Width: 60, Height: 10, Start: start, End: end, Unit: "%", Threshold: ptr(0.05),
				Marker: end.Add(-5 * time.Minute), Legend: true,
				AxisStyle: st, LabelStyle: st, ThresholdStyle: st, MarkerStyle: st}
			out := Render(o, []Series{{Name: "5xx ratio", Style: st, Points: ratio(start, end, 15*time.Second)}})
			checkFits(t, out, 60, 10)
			if !strings.Contains(ansi.Strip(out), "5%") {
				t.Errorf("profile %v style %d: labels lost:\n%s", p, i, out)
			}
		}
	}
}
