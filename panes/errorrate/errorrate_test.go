package errorrate

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/health"
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
	m.Update(probes.Result[[]prom.Series]{Tag: m.graph.Tag, Gen: m.graph.Gen, Data: fixed{{Points: pts}}, At: t0})
	if m.graph.State.Status != probes.OK {
		t.Fatalf("feed state %v after a good answer", m.graph.State.Status)
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
// as without it (the y axis is the same), and the sample is said to be a
// gap, not drawn as a number it is not.
func TestOffScaleValueDoesNotFlattenTheGraph(t *testing.T) {
	base := []float64{0.01, 0.02, 0.08, 0.12, 0.03}
	axis := func(v string) string {
		var ys []string
		for _, l := range strings.Split(v, "\n") {
			if i := strings.IndexAny(l, "┤┼│"); i > 0 {
				ys = append(ys, strings.TrimSpace(l[:i]))
			}
		}
		return strings.Join(ys, "|")
	}
	with := newPane(t, termenv.Ascii, 80, 16, append(cloneFloats(base), 1e308, 0.02)...).View()
	labels := strings.Split(axis(with), "|")
	top := 0.0
	for _, l := range labels {
		if l == "" {
			continue
		}
		var v float64
		if _, err := fmt.Sscanf(strings.TrimSuffix(l, "%"), "%g", &v); err != nil {
			t.Fatalf("y label %q: %v", l, err)
		}
		top = max(top, v)
	}
	if top < 12 || top > 20 {
		t.Errorf("the y axis tops at %g%%: the 12%% peak should set it, not the off-scale sample:\n%s", top, with)
	}
	if !strings.Contains(with, "1 samples are not ratios") {
		t.Errorf("no word on the off-scale sample:\n%s", with)
	}
}

func cloneFloats(v []float64) []float64 { return append([]float64(nil), v...) }

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

// script is a probe whose answers the test sets between refreshes.
type script struct {
	ratio  float64
	alerts []prom.Alert
	agent  float64 // the agent success rate (0: no sample)
}

func (s *script) QueryRange(_ context.Context, _ string, start, end time.Time, step time.Duration) ([]prom.Series, error) {
	return []prom.Series{{Points: []prom.Point{{T: end, V: s.ratio}}}}, nil
}
func (s *script) Query(_ context.Context, q string, at time.Time) ([]prom.Sample, error) {
	if q == ErrorRatioQuery {
		return []prom.Sample{{V: s.ratio, T: at}}, nil
	}
	if q == AgentSuccessQuery && s.agent != 0 {
		return []prom.Sample{{V: s.agent, T: at}}, nil
	}
	return nil, nil
}
func (s *script) Alerts(context.Context) ([]prom.Alert, error) { return s.alerts, nil }

// refresh runs the pane's instant and alert fetches once and feeds the
// answers back; it returns the events the pane asked to record.
func refresh(t *testing.T, m *Model, at time.Time) []incident.Event {
	t.Helper()
	nd, err := m.now.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Data: nd, At: at})
	evs := recorded(cmd)
	al, err := m.alerts.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd = m.Update(probes.Result[[]prom.Alert]{Tag: m.alerts.Tag, Gen: m.alerts.Gen, Data: al, At: at})
	return append(evs, recorded(cmd)...)
}

// A threshold crossing and an alert firing go on the timeline once, not on
// every refresh; so do the return under the threshold and the resolution
// (an alert gone from two answers in a row, not one scrape's blip). What
// the session already holds (a restart, another console, the drill's
// script) is not recorded again.
func TestThresholdAndAlertsRecordedOnce(t *testing.T) {
	c := plainCommon()
	p := &script{ratio: 0.02}
	sess := incident.Session{ID: "inc-1", Declared: t0.Add(-time.Hour)}
	m := New(c, p, Config{Refresh: time.Second, Session: sess})
	m.SetSize(80, 20)
	if evs := refresh(t, m, t0); len(evs) != 0 {
		t.Fatalf("below the threshold, nothing firing: %d events %+v", len(evs), evs)
	}
	high := prom.Alert{Name: "HighErrorRate", State: "firing", ActiveAt: t0.Add(time.Second),
		Labels: map[string]string{"alertname": "HighErrorRate", "service": "api"}, Annotations: map[string]string{"summary": "5xx > 5%"}}
	p.ratio, p.alerts = 0.12, []prom.Alert{high}
	// The alert at once; the crossing on the second answer above (a
	// ratio wavering around 5% does not fill the timeline).
	evs := refresh(t, m, t0.Add(2*time.Second))
	if len(evs) != 1 || evs[0].Alert.Name != "HighErrorRate" {
		t.Fatalf("first answer above, firing: %+v", evs)
	}
	if got := evs[0].Summary; got != "HighErrorRate firing: 5xx > 5%" || !evs[0].Time.Equal(t0.Add(2*time.Second)) || evs[0].Detail != "active since 03:00:01" {
		t.Errorf("alert event %q at %v (%q)", got, evs[0].Time, evs[0].Detail)
	}
	evs = append(evs, refresh(t, m, t0.Add(3*time.Second))...)
	if len(evs) != 2 || evs[1].Alert.Name != "5xx ratio above 5.00%" || !strings.HasPrefix(evs[1].Summary, "5xx ratio 12.00%: crossed the 5.00% threshold") {
		t.Fatalf("second answer above: %+v", evs)
	}
	// The shell folds them and broadcasts the session.
	for _, e := range evs {
		sess.Apply(e)
	}
	m.Update(common.EventMsg{Event: evs[1], Session: sess})
	if evs := refresh(t, m, t0.Add(4*time.Second)); len(evs) != 0 {
		t.Fatalf("still above, still firing: recorded again: %+v", evs)
	}
	// A restarted console (the session as folded) records nothing either.
	m2 := New(c, p, Config{Refresh: time.Second, Session: sess})
	if evs := refresh(t, m2, t0.Add(5*time.Second)); len(evs) != 0 {
		t.Fatalf("a restarted console recorded again: %+v", evs)
	}
	// Back under and the alert gone: once is a blip, twice is the end.
	p.ratio, p.alerts = 0.01, nil
	if evs := refresh(t, m, t0.Add(6*time.Second)); len(evs) != 0 {
		t.Fatalf("one answer back under, alert gone once: %+v", evs)
	}
	evs = refresh(t, m, t0.Add(8*time.Second))
	got := map[string]incident.Event{}
	for _, e := range evs {
		got[e.Alert.Name] = e
	}
	if e := got["5xx ratio above 5.00%"]; len(evs) != 2 || e.Alert == nil || e.Alert.State != "resolved" || !strings.Contains(e.Summary, "back to 1.00%") {
		t.Fatalf("twice back under: %+v", evs)
	}
	if e := got["HighErrorRate"]; e.Alert == nil || e.Alert.State != "resolved" || e.Alert.Labels["service"] != "api" {
		t.Fatalf("alert gone twice: %+v", evs)
	}
	for _, e := range evs {
		sess.Apply(e)
	}
	m.Update(common.EventMsg{Event: evs[0], Session: sess})
	if evs := refresh(t, m, t0.Add(10*time.Second)); len(evs) != 0 {
		t.Fatalf("resolved again: %+v", evs)
	}
}

// A ratio that is not one (1.5: a counter reset, mismatched selectors) is
// no crossing; the headline says what it is.
func TestInvalidRatioIsNoCrossing(t *testing.T) {
	c := plainCommon()
	p := &script{ratio: 1.5}
	m := New(c, p, Config{Refresh: time.Second, Session: incident.Session{ID: "inc-1"}})
	m.SetSize(80, 20)
	for i := range 3 {
		if evs := refresh(t, m, t0.Add(time.Duration(i)*time.Second)); len(evs) != 0 {
			t.Fatalf("an invalid ratio recorded %+v", evs)
		}
	}
}

// An alert's state from Prometheus is drawn cleaned.
func TestAlertStateSanitized(t *testing.T) {
	c := plainCommon()
	p := &script{ratio: 0.01, alerts: []prom.Alert{{Name: "X", State: "firing\x1b]0;pwned\a\x1b[2J", ActiveAt: t0}}}
	m := New(c, p, Config{Refresh: time.Second, Session: incident.Session{ID: "inc-1"}})
	m.SetSize(80, 30)
	m.Update(probes.Result[[]prom.Series]{Tag: m.graph.Tag, Gen: m.graph.Gen, Data: []prom.Series{{Points: []prom.Point{{T: t0, V: 0.01}}}}, At: t0})
	refresh(t, m, t0)
	if v := m.View(); strings.ContainsAny(v, "\x1b\a") {
		t.Fatalf("control sequences on screen: %q", v)
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", time.Hour: "1h", 24 * time.Hour: "24h",
		7*time.Minute + 30*time.Second: "7m30s", 90 * time.Minute: "1h30m", 30 * time.Second: "30s"} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}

type healthScript struct{ ok bool }

func (h *healthScript) Check(_ context.Context, chk health.Check) health.Result {
	if h.ok {
		return health.Result{Name: chk.Name, OK: true, Status: 200, Latency: 42 * time.Millisecond, At: t0}
	}
	return health.Result{Name: chk.Name, Status: 503, Latency: 7 * time.Millisecond, Err: &health.StatusError{Status: 503}, At: t0}
}

// A health check's dot and latency, its row, and its failure and recovery
// on the timeline once each.
func TestHealthChecks(t *testing.T) {
	c := plainCommon()
	hp := &healthScript{ok: true}
	m := New(c, fixed{{Points: []prom.Point{{T: t0, V: 0.01}}}}, Config{Refresh: time.Second,
		Health: []health.Check{{Name: "api", URL: "http://api.invalid/health"}}, HealthProbe: hp})
	m.SetSize(80, 30)
	m.Update(probes.Result[[]prom.Series]{Tag: m.graph.Tag, Gen: m.graph.Gen, Data: fixed{{Points: []prom.Point{{T: t0, V: 0.01}}}}, At: t0})
	check := func() []incident.Event {
		rs, err := m.health.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, cmd := m.Update(probes.Result[[]health.Result]{Tag: m.health.Tag, Gen: m.health.Gen, Data: rs, At: t0})
		return recorded(cmd)
	}
	if evs := check(); len(evs) != 0 {
		t.Fatalf("a healthy first answer recorded %+v", evs)
	}
	b := m.Backends()
	if len(b) != 2 || b[1].Name != "api" || b[1].Note != "42ms" || b[1].State.Status != probes.OK {
		t.Fatalf("backends %+v", b)
	}
	hp.ok = false
	evs := check()
	if len(evs) != 1 || evs[0].Probe == nil || evs[0].Probe.State != incident.ProbeLost || !strings.Contains(evs[0].Summary, "health check api lost") {
		t.Fatalf("failure: %+v", evs)
	}
	if evs := check(); len(evs) != 0 {
		t.Fatalf("still failing, recorded again: %+v", evs)
	}
	if v := m.View(); !strings.Contains(v, "● api 7ms · ") || !strings.Contains(v, "503") {
		t.Errorf("no failing row:\n%s", v)
	}
	hp.ok = true
	if evs := check(); len(evs) != 1 || evs[0].Probe.State != incident.ProbeRecovered {
		t.Fatalf("recovery: %+v", evs)
	}
}

func keyMsg(k string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)} }

// recorderFunc is a journal that hands each event to f.
type recorderFunc func(incident.Event)

func (f recorderFunc) Append(ev incident.Event) (incident.Event, error) { f(ev); return ev, nil }

// recorded runs cmd and what it batches, dropping whatever takes longer
// than a moment (a feed's next tick), and returns the events recorded.
func recorded(cmd tea.Cmd) []incident.Event {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var evs []incident.Event
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				evs = append(evs, recorded(c)...)
			}
		case common.EventMsg:
			evs = append(evs, msg.Event)
		}
	case <-time.After(100 * time.Millisecond):
	}
	return evs
}

// plainCommon is a Common without colour at t0.
func plainCommon() common.Common {
	r := lipgloss.NewRenderer(io.Discard)
	return common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }}
}
