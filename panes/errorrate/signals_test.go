package errorrate

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// signalsOf runs cmd and what it batches, dropping whatever takes longer
// than a moment (a feed's next tick), and returns the SignalsMsgs.
func signalsOf(cmd tea.Cmd) []common.SignalsMsg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var out []common.SignalsMsg
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				out = append(out, signalsOf(c)...)
			}
		case common.SignalsMsg:
			out = append(out, msg)
		}
	case <-time.After(100 * time.Millisecond):
	}
	return out
}

// poll runs the instant and the alerts fetches once and feeds the answers
// back; it returns what the pane published.
func poll(t *testing.T, m *Model, at time.Time) []common.SignalsMsg {
	t.Helper()
	nd, err := m.now.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Data: nd, At: at})
	out := signalsOf(cmd)
	al, err := m.alerts.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd = m.Update(probes.Result[[]prom.Alert]{Tag: m.alerts.Tag, Gen: m.alerts.Gen, Data: al, At: at})
	return append(out, signalsOf(cmd)...)
}

func sigTexts(sigs []runbooks.Signal) []string {
	out := []string{}
	for _, s := range sigs {
		out = append(out, s.Kind+": "+s.Text)
	}
	return out
}

func firing(name, service string) prom.Alert {
	return prom.Alert{Name: name, State: "firing", ActiveAt: t0, Labels: map[string]string{"alertname": name, "service": service}}
}

// The 5xx ratio over the threshold and the firing alerts are published
// when they change, not on every poll; a failed poll keeps them (the
// facts of the last good one); recovery is an empty set.
func TestSignals5xxAndAlertsSentOnlyWhenTheyChange(t *testing.T) {
	p := &script{ratio: 0.02}
	m := New(plainCommon(), p, Config{Refresh: time.Second, Session: incident.Session{ID: "inc-1"}})
	m.SetSize(80, 20)
	if got := poll(t, m, t0); len(got) != 0 {
		t.Fatalf("2%%, nothing firing: %+v", got)
	}
	p.ratio = 0.1234
	p.alerts = []prom.Alert{firing("HighErrorRate", "api"), firing("HighErrorRate", "worker"), firing("PostgresConnectionsHigh", "db"),
		{Name: "Pending", State: "pending", ActiveAt: t0}}
	got := poll(t, m, t0.Add(time.Second))
	if len(got) != 2 {
		t.Fatalf("above, firing: %d SignalsMsgs (one per answer that changed them), want 2: %+v", len(got), got)
	}
	if want := []string{"http.5xx: 5xx at 12.3% (threshold 5%)"}; !slices.Equal(sigTexts(got[0].Signals), want) {
		t.Errorf("after the instant answer: %q, want %q", sigTexts(got[0].Signals), want)
	}
	want := []string{"http.5xx: 5xx at 12.3% (threshold 5%)", "alert: alert HighErrorRate firing ×2", "alert: alert PostgresConnectionsHigh firing"}
	last := got[1]
	if last.Source != "errorrate" || !slices.Equal(sigTexts(last.Signals), want) {
		t.Fatalf("from %q: %q, want %q", last.Source, sigTexts(last.Signals), want)
	}
	if s := last.Signals[0]; s.Weight != 100 { // 12.3% is past twice the threshold
		t.Errorf("5xx weight %d, want 100", s.Weight)
	}
	if s := last.Signals[1]; !slices.Equal(s.Terms, []string{"HighErrorRate"}) || s.Weight != runbooks.AlertWeight {
		t.Errorf("alert terms %q weight %d", s.Terms, s.Weight)
	}
	// The same answers again: nothing.
	if got := poll(t, m, t0.Add(2*time.Second)); len(got) != 0 {
		t.Fatalf("unchanged: published again %+v", got)
	}
	// Prometheus down: the feeds fail; nothing is said, the last good
	// account stands.
	down := errors.New("connection refused")
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Err: down, At: t0.Add(3 * time.Second)})
	_, cmd2 := m.Update(probes.Result[[]prom.Alert]{Tag: m.alerts.Tag, Gen: m.alerts.Gen, Err: down, At: t0.Add(3 * time.Second)})
	if got := append(signalsOf(cmd), signalsOf(cmd2)...); len(got) != 0 {
		t.Fatalf("a failed poll published %+v", got)
	}
	// The 5xx query alone fails (the others answer): its signal stands.
	partial := nowData{Values: []float64{math.NaN(), 3, math.NaN()}, Has: []bool{false, true, false}, Errs: []error{down, nil, nil}, At: t0.Add(4 * time.Second)}
	if _, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Data: partial, At: partial.At}); len(signalsOf(cmd)) != 0 {
		t.Fatal("the 5xx query failing dropped its signal")
	}
	// A new figure is a new account.
	p.ratio = 0.2
	got = poll(t, m, t0.Add(5*time.Second))
	if len(got) != 1 || got[0].Signals[0].Text != "5xx at 20.0% (threshold 5%)" {
		t.Fatalf("20%%: %+v", got)
	}
	// Recovery: under the threshold, nothing firing: an empty set, once.
	p.ratio, p.alerts = 0.01, nil
	got = poll(t, m, t0.Add(6*time.Second))
	if len(got) != 2 || len(got[0].Signals) != 2 || len(got[1].Signals) != 0 {
		t.Fatalf("recovered: %+v, want the alerts alone then an empty set", got)
	}
	if got := poll(t, m, t0.Add(7*time.Second)); len(got) != 0 {
		t.Fatalf("still fine: published again %+v", got)
	}
}

// The agent success rate under its floor is said as the alert the pane
// records it as; a ratio that is not one is no signal; alert names are
// cleaned.
func TestSignalsOtherThresholdsAndHostileAlertNames(t *testing.T) {
	p := &script{ratio: 1.5, agent: 0.7829, alerts: []prom.Alert{firing("Evil\x1b]0;owned\a", "x")}}
	m := New(plainCommon(), p, Config{Refresh: time.Second, Session: incident.Session{ID: "inc-1"}})
	m.SetSize(80, 20)
	got := poll(t, m, t0)
	if len(got) == 0 {
		t.Fatal("nothing published")
	}
	last := got[len(got)-1].Signals
	want := []string{"alert: agent success rate at 78.3% (threshold 95%)", "alert: alert Evil]0;owned firing"}
	if texts := sigTexts(last); len(texts) != 2 || texts[0] != want[0] || !strings.HasPrefix(texts[1], "alert: alert Evil") {
		t.Fatalf("signals %q, want %q (an invalid 5xx ratio is none)", texts, want)
	}
	if s := last[0]; !slices.Equal(s.Terms, []string{"agent success rate"}) || s.Weight != 18 { // 16.7 of the 95 points to nothing
		t.Errorf("agent: terms %q weight %d", s.Terms, s.Weight)
	}
	for _, s := range last {
		if strings.ContainsAny(s.Text+strings.Join(s.Terms, ""), "\x1b\a") {
			t.Errorf("control characters in %q %q", s.Text, s.Terms)
		}
	}
}
