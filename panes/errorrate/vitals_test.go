package errorrate

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/health"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/tui/common"
)

// show is vitals as "name value" (or "name unknown: why").
func show(vs []incident.Vital) []string {
	out := []string{}
	for _, v := range vs {
		s := v.String()
		if !v.Known() {
			s += ": " + v.Error
		}
		out = append(out, s)
	}
	return out
}

// lastVitals fails unless vms holds n VitalsMsgs from the pane, every
// vital stamped at at, and returns the last one's vitals.
func lastVitals(t *testing.T, what string, vms []common.VitalsMsg, n int, at time.Time) []incident.Vital {
	t.Helper()
	if len(vms) != n {
		t.Fatalf("%s: %d VitalsMsgs, want %d: %+v", what, len(vms), n, vms)
	}
	if n == 0 {
		return nil
	}
	for _, vm := range vms {
		if vm.Source != "errorrate" {
			t.Errorf("%s: source %q", what, vm.Source)
		}
		for _, v := range vm.Vitals {
			if v.Source != "errorrate" || !v.At.Equal(at) {
				t.Errorf("%s: %+v: source %q at %v, want errorrate at %v", what, v, v.Source, v.At, at)
			}
		}
	}
	return vms[n-1].Vitals
}

func wantShown(t *testing.T, what string, vs []incident.Vital, want ...string) {
	t.Helper()
	if got := show(vs); !slices.Equal(got, want) {
		t.Fatalf("%s: %q, want %q", what, got, want)
	}
}

// pollVitals runs the instant and the alerts fetches once, feeds the
// answers back, and returns the VitalsMsgs published.
func pollVitals(t *testing.T, m *Model, at time.Time) []common.VitalsMsg {
	t.Helper()
	nd, err := m.now.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Data: nd, At: at})
	out := cmdtest.Vitals(cmd)
	al, err := m.alerts.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, cmd = m.Update(probes.Result[[]prom.Alert]{Tag: m.alerts.Tag, Gen: m.alerts.Gen, Data: al, At: at})
	return append(out, cmdtest.Vitals(cmd)...)
}

// fail feeds a failed answer of both Prometheus feeds.
func fail(m *Model, err error, at time.Time) []common.VitalsMsg {
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Err: err, At: at})
	_, cmd2 := m.Update(probes.Result[[]prom.Alert]{Tag: m.alerts.Tag, Gen: m.alerts.Gen, Err: err, At: at})
	return append(cmdtest.Vitals(cmd), cmdtest.Vitals(cmd2)...)
}

// Init says the vitals are unknown (health left out: none configured); a
// good poll measures the 5xx ratio's latest sample as a fraction and the
// firing alerts (not the pending one); the same answers again say
// nothing; Prometheus down makes both unknown with its error, not 0, even
// though the pane keeps its last good data; it comes back measured.
func TestVitals5xxAndAlerts(t *testing.T) {
	now := t0
	c := plainCommon()
	c.Now = func() time.Time { return now }
	p := &script{ratio: 0.121, alerts: []prom.Alert{firing("HighErrorRate", "api"), firing("HighErrorRate", "worker"),
		{Name: "Pending", State: "pending", ActiveAt: t0}}}
	m := New(c, p, Config{Refresh: time.Second, Session: incident.Session{ID: "inc-1"}})
	m.SetSize(80, 20)
	var init []common.VitalsMsg
	for _, msg := range cmdtest.Collect(m.Init(), 100*time.Millisecond) {
		if vm, ok := msg.(common.VitalsMsg); ok {
			init = append(init, vm)
		}
	}
	wantShown(t, "Init", lastVitals(t, "Init", init, 1, t0), "5xx unknown: not polled yet", "firing alerts unknown: not polled yet")

	now = t0.Add(time.Second)
	vs := lastVitals(t, "a good poll", pollVitals(t, m, now), 2, now) // one per answer
	wantShown(t, "a good poll", vs, "5xx 12.1%", "firing alerts 2")
	if v := vs[0]; v.Name != incident.Vital5xx || v.Unit != incident.UnitRatio || v.Value == nil || *v.Value != 0.121 || v.Max != nil {
		t.Errorf("5xx vital %+v, want the fraction 0.121", v)
	}
	if v := vs[1]; v.Name != incident.VitalAlerts || v.Unit != incident.UnitCount || v.Value == nil || *v.Value != 2 {
		t.Errorf("alerts vital %+v, want 2", v)
	}
	now = t0.Add(2 * time.Second)
	lastVitals(t, "the same answers", pollVitals(t, m, now), 0, now)

	now = t0.Add(3 * time.Second)
	down := errors.New("dial tcp 10.0.0.9:9090: connect: connection refused")
	vs = lastVitals(t, "Prometheus down", fail(m, down, now), 2, now)
	wantShown(t, "Prometheus down", vs, "5xx unknown: "+down.Error(), "firing alerts unknown: "+down.Error())
	for _, v := range vs {
		if v.Value != nil || v.Known() {
			t.Errorf("down: %+v has a value", v)
		}
	}
	if m.now.Data.Values[0] != 0.121 || len(m.alerts.Data) != 3 {
		t.Errorf("the pane dropped its last good data: %+v %+v", m.now.Data, m.alerts.Data)
	}
	lastVitals(t, "still down", fail(m, down, now), 0, now)

	now = t0.Add(4 * time.Second)
	p.ratio, p.alerts = 0.008, nil
	wantShown(t, "back", lastVitals(t, "back", pollVitals(t, m, now), 2, now), "5xx 0.8%", "firing alerts 0")
}

// The 5xx ratio is unknown when its own query fails (the others answer),
// when it answers no sample (no requests is not 0%) and when its sample
// is not a ratio; an answer of an older generation publishes nothing.
func TestVitals5xxUnknownWithoutAValidSample(t *testing.T) {
	p := &script{ratio: 0.05}
	m := New(plainCommon(), p, Config{Refresh: time.Second})
	m.SetSize(80, 20)
	wantShown(t, "first", lastVitals(t, "first", pollVitals(t, m, t0), 2, t0), "5xx 5.0%", "firing alerts 0")
	feed := func(d nowData) []incident.Vital {
		t.Helper()
		_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen, Data: d, At: t0})
		return lastVitals(t, "instant answer", cmdtest.Vitals(cmd), 1, t0)
	}
	bad := errors.New(`bad_data: parse error at char 5`)
	vs := feed(nowData{Values: []float64{math.NaN(), 3, 0.99}, Has: []bool{false, true, true}, Errs: []error{bad, nil, nil}, At: t0})
	wantShown(t, "its query failed", vs, "5xx unknown: "+bad.Error(), "firing alerts 0")
	vs = feed(nowData{Values: []float64{math.NaN(), 3, 0.99}, Has: []bool{false, true, true}, Errs: make([]error, 3), At: t0})
	wantShown(t, "no sample", vs, "5xx unknown: no data", "firing alerts 0")
	vs = feed(nowData{Values: []float64{math.Inf(1), 3, 0.99}, Has: []bool{true, true, true}, Errs: make([]error, 3), At: t0})
	wantShown(t, "+Inf", vs, "5xx unknown: +Inf (division by zero: no requests?)", "firing alerts 0")
	if vs[0].Value != nil {
		t.Errorf("+Inf: value %v", *vs[0].Value)
	}
	// A result of an older generation is dropped, and says nothing.
	_, cmd := m.Update(probes.Result[nowData]{Tag: m.now.Tag, Gen: m.now.Gen - 1, Data: nowData{Values: []float64{0.5}, Has: []bool{true}, Errs: []error{nil}}, At: t0})
	lastVitals(t, "an old generation", cmdtest.Vitals(cmd), 0, t0)
}

// Prometheus not configured: both vitals unknown from the start, never 0.
func TestVitalsNotConfigured(t *testing.T) {
	m := New(plainCommon(), nil, Config{})
	m.SetSize(80, 20)
	vs := lastVitals(t, "Init", cmdtest.Vitals(m.Init()), 1, t0)
	wantShown(t, "Init", vs, "5xx unknown: not configured", "firing alerts unknown: not configured")
}

// With health checks configured, the failing ones are counted against
// them: unknown before they ran, 0/2, then 1/2 when one fails.
func TestVitalsHealthChecks(t *testing.T) {
	hp := &perCheck{ok: map[string]bool{"api": true, "worker": true}}
	p := &script{ratio: 0.01}
	m := New(plainCommon(), p, Config{Refresh: time.Second,
		Health: []health.Check{{Name: "api", URL: "http://api.invalid/health"}, {Name: "worker", URL: "http://worker.invalid/health"}}, HealthProbe: hp})
	m.SetSize(80, 30)
	var init []common.VitalsMsg
	for _, msg := range cmdtest.Collect(m.Init(), 100*time.Millisecond) {
		if vm, ok := msg.(common.VitalsMsg); ok {
			init = append(init, vm)
		}
	}
	wantShown(t, "Init", lastVitals(t, "Init", init, 1, t0),
		"5xx unknown: not polled yet", "firing alerts unknown: not polled yet", "health checks failing unknown: not polled yet")
	wantShown(t, "Prometheus answers", lastVitals(t, "Prometheus answers", pollVitals(t, m, t0), 2, t0),
		"5xx 1.0%", "firing alerts 0", "health checks failing unknown: not polled yet")
	check := func() []common.VitalsMsg {
		rs, err := m.health.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, cmd := m.Update(probes.Result[[]health.Result]{Tag: m.health.Tag, Gen: m.health.Gen, Data: rs, At: t0})
		return cmdtest.Vitals(cmd)
	}
	vs := lastVitals(t, "all healthy", check(), 1, t0)
	wantShown(t, "all healthy", vs, "5xx 1.0%", "firing alerts 0", "health checks failing 0/2")
	if v := vs[2]; v.Max == nil || *v.Max != 2 || v.Value == nil || *v.Value != 0 {
		t.Errorf("health vital %+v, want 0 of 2", v)
	}
	lastVitals(t, "still healthy", check(), 0, t0)
	hp.ok["worker"] = false
	wantShown(t, "worker failing", lastVitals(t, "worker failing", check(), 1, t0),
		"5xx 1.0%", "firing alerts 0", "health checks failing 1/2")
}

// perCheck is a health probe whose answer per check the test sets.
type perCheck struct{ ok map[string]bool }

func (h *perCheck) Check(_ context.Context, chk health.Check) health.Result {
	if h.ok[chk.Name] {
		return health.Result{Name: chk.Name, OK: true, Status: 200, At: t0}
	}
	return health.Result{Name: chk.Name, Status: 503, Err: &health.StatusError{Status: 503}, At: t0}
}
