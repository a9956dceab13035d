package prom_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/prom"
)

// exporterState is hack/exporter's GET /control answer.
type exporterState struct {
	ErrorRatio    float64   `json:"error_ratio"`
	PreviousRatio float64   `json:"previous_ratio"`
	ChangedAt     time.Time `json:"changed_at"`
}

// exporterRatio reads the error ratio hack/exporter is configured with.
func exporterRatio(t *testing.T, base string) exporterState {
	t.Helper()
	resp, err := http.Get(base + "/control")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c exporterState
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorRatioFromRealPrometheus(t *testing.T) {
	promURL := testenv.PrometheusURL(t)
	exp := testenv.ExporterURL(t)
	ratio := exporterRatio(t, exp).ErrorRatio
	if ratio <= 0 {
		t.Skipf("the exporter's error ratio is %v: nothing to measure", ratio)
	}
	p, err := prom.New(promURL, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Prometheus 2.42 syncs targets every 5 s, so the first scrape comes
	// ~6 s after it starts and the first non-empty rate() ~8 s: wait for it.
	var series []prom.Series
	deadline := time.Now().Add(40 * time.Second)
	for {
		end := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		series, err = p.QueryRange(ctx, prom.ErrorRatioQuery, end.Add(-2*time.Minute), end, time.Second)
		cancel()
		if err != nil {
			t.Fatalf("QueryRange: %v", err)
		}
		if len(series) > 0 && len(series[0].Points) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error-ratio series after 40 s (got %d series); is Prometheus scraping the exporter? see %s/targets", len(series), promURL)
		}
		time.Sleep(500 * time.Millisecond)
	}

	if len(series) != 1 {
		t.Fatalf("got %d series, want 1 (sum without labels): %+v", len(series), series)
	}
	pts := series[0].Points
	for i := 1; i < len(pts); i++ {
		if !pts[i].T.After(pts[i-1].T) {
			t.Fatalf("points not in time order at %d: %v then %v", i, pts[i-1].T, pts[i].T)
		}
	}
	last := pts[len(pts)-1].V
	// Errors are spread evenly by the exporter; allow for rate()'s
	// extrapolation at the window edges. If the ratio changed within the
	// last [1m] window (the sandbox steps it), the value lies between the
	// previous ratio and the current one.
	st := exporterRatio(t, exp)
	lo, hi := st.ErrorRatio, st.ErrorRatio
	if time.Since(st.ChangedAt) < 75*time.Second {
		lo, hi = math.Min(lo, st.PreviousRatio), math.Max(hi, st.PreviousRatio)
	}
	tol := math.Max(0.01, hi*0.25)
	if last < lo-tol || last > hi+tol {
		t.Errorf("error ratio %.4f, want within [%.4f, %.4f] ± %.4f (exporter: %+v)", last, lo, hi, tol, st)
	}
}

func TestQueryErrors(t *testing.T) {
	promURL := testenv.PrometheusURL(t)
	p, err := prom.New(promURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	end := time.Now()
	// Prometheus' own words, not a paraphrase.
	const bad = `sum(rate(http_requests_total[1m]`
	const parseErr = `1:33: parse error: unclosed left parenthesis`
	_, err = p.QueryRange(ctx, bad, end.Add(-time.Minute), end, time.Second)
	var pe *prom.Error
	if !errors.As(err, &pe) || pe.Type != prom.ErrBadData || err.Error() != "bad_data: "+parseErr {
		t.Errorf("bad PromQL, range: err = %v, want %q", err, "bad_data: "+parseErr)
	}
	_, err = p.Query(ctx, bad, end)
	if want := `bad_data: invalid parameter "query": ` + parseErr; !errors.As(err, &pe) || pe.Type != prom.ErrBadData || err.Error() != want {
		t.Errorf("bad PromQL, instant: err = %v, want %q", err, want)
	}
	// Many-to-many needs the exporter's series: a Prometheus just started
	// may not have scraped yet.
	poll(t, "the exporter's first scrape", integrationLimit, 250*time.Millisecond, func() (bool, string) {
		s, err := p.Query(context.Background(), `http_requests_total`, time.Now())
		return err == nil && len(s) > 1, fmt.Sprintf("%d series, err %v", len(s), err)
	})
	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	_, err = p.Query(ctx, `http_requests_total + on() http_requests_total`, time.Now())
	if !errors.As(err, &pe) || pe.Type != prom.ErrExecution || !strings.Contains(err.Error(), "many-to-many matching not allowed") {
		t.Errorf("many-to-many: err = %v, want Prometheus' execution error", err)
	}
	series, err := p.QueryRange(ctx, `no_such_metric_for_warroom`, end.Add(-time.Minute), end, time.Second)
	if err != nil || len(series) != 0 {
		t.Errorf("unknown metric: %d series, err %v; want none and no error", len(series), err)
	}
	samples, err := p.Query(ctx, `no_such_metric_for_warroom`, end)
	if err != nil || len(samples) != 0 {
		t.Errorf("unknown metric, instant: %d samples, err %v; want none and no error", len(samples), err)
	}
}

func TestUnreachablePrometheus(t *testing.T) {
	// Runs without backends: nothing listens on port 1 of loopback.
	p, err := prom.New("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	end := time.Now()
	if _, err := p.QueryRange(ctx, prom.ErrorRatioQuery, end.Add(-time.Minute), end, time.Second); err == nil {
		t.Fatal("no error from an unreachable Prometheus")
	}
}

// The tests below each start a private backends set (testenv.StartBackends):
// a fresh TSDB, an exporter of their own to step, a Prometheus of their own
// to stop. Prometheus scrapes every second and evaluates rules every second
// (hack/backends.sh), and loads hack/prom/rules.yml.

const scrapeInterval = time.Second

// shortRatioQuery is the 5xx ratio over a 5 s window: a step of the
// exporter shows whole in it within the window plus two scrapes.
const (
	shortWindow      = 5 * time.Second
	shortRatioQuery  = `sum(rate(http_requests_total{status=~"5.."}[5s])) / sum(rate(http_requests_total[5s]))`
	ratioGaugeQuery  = `warroom_exporter_error_ratio`
	highErrorRate    = "HighErrorRate"
	integrationLimit = 90 * time.Second // a bound for polls, far above what they take
)

// setRatio steps the exporter's error ratio.
func setRatio(t *testing.T, exporter string, ratio float64) exporterState {
	t.Helper()
	resp, err := http.PostForm(exporter+"/control", url.Values{"error_ratio": {strconv.FormatFloat(ratio, 'f', -1, 64)}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /control: %s", resp.Status)
	}
	var st exporterState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.ErrorRatio != ratio {
		t.Fatalf("exporter ratio %v after setting %v", st.ErrorRatio, ratio)
	}
	return st
}

// poll calls f every `every` until it reports done or `within` has passed
// (then the test fails, with f's last word). It returns how long it took.
func poll(t *testing.T, what string, within, every time.Duration, f func() (done bool, status string)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		done, status := f()
		if done {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v; last: %s", what, within, status)
		}
		time.Sleep(every)
	}
}

func qctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// instant is the single value of an instant query (ok false: none).
func instant(t *testing.T, p prom.Probe, q string) (v float64, ok bool, status string) {
	t.Helper()
	s, err := p.Query(qctx(t), q, time.Now())
	if err != nil {
		t.Fatalf("Query(%s): %v", q, err)
	}
	if len(s) != 1 || math.IsNaN(s[0].V) {
		return 0, false, fmt.Sprintf("%d samples %+v", len(s), s)
	}
	return s[0].V, true, fmt.Sprintf("%.4f at %s", s[0].V, s[0].T.Format("15:04:05.000"))
}

// requireFresh fails unless the set's TSDB holds nothing from before
// since (the moment the test started the set).
func requireFresh(t *testing.T, p prom.Probe, since time.Time) {
	t.Helper()
	// A second past now: the steps run from start in whole seconds, and a
	// first scrape less than a second old falls after the last step
	// before now (seen in CI: "0 series").
	end := time.Now().Add(time.Second)
	series, err := p.QueryRange(qctx(t), `up{job="api"}`, since.Add(-30*time.Minute), end, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Points) == 0 {
		t.Fatalf("up{job=\"api\"}: %d series, want 1 with points", len(series))
	}
	if first := series[0].Points[0].T; first.Before(since) {
		t.Fatalf("the TSDB has data from %v, before the set started (%v): not fresh", first, since)
	}
}

func TestRatioStepFromFreshTSDB(t *testing.T) {
	since := time.Now()
	b := testenv.StartBackends(t)
	p, err := prom.New(b.PrometheusURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	const before, after = 0.05, 0.25
	setRatio(t, b.ExporterURL, before) // hack/backends.sh's default, unless the environment says otherwise
	// Data first: the 5 s ratio has held the starting value for a while.
	poll(t, "a steady 5 s ratio before the step", integrationLimit, 250*time.Millisecond, func() (bool, string) {
		end := time.Now()
		s, err := p.QueryRange(qctx(t), shortRatioQuery, end.Add(-time.Minute), end, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 1 {
			return false, fmt.Sprintf("%d series", len(s))
		}
		near := 0
		for _, pt := range s[0].Points {
			if math.Abs(pt.V-before) < 0.01 {
				near++
			}
		}
		return near >= 3, fmt.Sprintf("%d points, %d near %v", len(s[0].Points), near, before)
	})
	requireFresh(t, p, since)

	st := setRatio(t, b.ExporterURL, after)
	stepped, changed := time.Now(), st.ChangedAt
	// The exporter's gauge is a plain value: seen with the next scrapes.
	poll(t, "the exporter's ratio gauge", integrationLimit, 100*time.Millisecond, func() (bool, string) {
		v, ok, status := instant(t, p, ratioGaugeQuery)
		return ok && v == after, status
	})
	t.Logf("gauge %v seen %v after the step (two scrape intervals: %v)", after, time.Since(stepped).Round(10*time.Millisecond), 2*scrapeInterval)
	// The 5xx ratio of rate()s: once the window holds only new traffic.
	const tol = 0.01
	poll(t, "the 5 s 5xx ratio at the new value", integrationLimit, 100*time.Millisecond, func() (bool, string) {
		v, ok, status := instant(t, p, shortRatioQuery)
		return ok && math.Abs(v-after) < tol, status
	})
	t.Logf("5xx ratio %v seen %v after the step (window + two scrape intervals: %v)", after, time.Since(stepped).Round(10*time.Millisecond), shortWindow+2*scrapeInterval)

	// The range query shows the step: the old value before it, the new
	// one once the window has passed it.
	settled := changed.Add(shortWindow + 2*scrapeInterval)
	var pts []prom.Point
	poll(t, "a range reaching past the step's window", integrationLimit, 250*time.Millisecond, func() (bool, string) {
		end := time.Now()
		series, err := p.QueryRange(qctx(t), shortRatioQuery, changed.Add(-30*time.Second), end, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(series) != 1 {
			return false, fmt.Sprintf("%d series", len(series))
		}
		pts = series[0].Points
		return len(pts) > 0 && pts[len(pts)-1].T.After(settled), fmt.Sprintf("%d points", len(pts))
	})
	var old, settledN int
	for _, pt := range pts {
		switch {
		case !pt.T.After(changed):
			old++
			if math.Abs(pt.V-before) > tol {
				t.Errorf("before the step (%v): %.4f at %v, want %v", changed.Format("15:04:05.000"), pt.V, pt.T.Format("15:04:05.000"), before)
			}
		case pt.T.After(settled):
			settledN++
			if math.Abs(pt.V-after) > tol {
				t.Errorf("window past the step: %.4f at %v, want %v", pt.V, pt.T.Format("15:04:05.000"), after)
			}
		}
	}
	if old == 0 || settledN == 0 {
		t.Errorf("range over the step: %d points before it, %d after its window; want both", old, settledN)
	}
}

func TestHighErrorRateAlert(t *testing.T) {
	since := time.Now()
	b := testenv.StartBackends(t)
	p, err := prom.New(b.PrometheusURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	findAlert := func() (*prom.Alert, string) {
		as, err := p.Alerts(qctx(t))
		if err != nil {
			t.Fatalf("Alerts: %v", err)
		}
		for i := range as {
			if as[i].Name == highErrorRate {
				return &as[i], fmt.Sprintf("%s since %s, value %s", as[i].State, as[i].ActiveAt.Format("15:04:05.000"), as[i].Value)
			}
		}
		return nil, fmt.Sprintf("%d alerts, no %s", len(as), highErrorRate)
	}

	// Quiet first: no errors, the [1m] ratio well below 5 %, no alert.
	setRatio(t, b.ExporterURL, 0)
	poll(t, "a quiet start", integrationLimit, 250*time.Millisecond, func() (bool, string) {
		v, ok, status := instant(t, p, prom.ErrorRatioQuery)
		if !ok || v >= 0.04 {
			return false, "ratio " + status
		}
		a, status := findAlert()
		return a == nil, status
	})
	requireFresh(t, p, since)

	raised := setRatio(t, b.ExporterURL, 0.3).ChangedAt
	var pendingSeen, firingSeen time.Time
	var firing prom.Alert
	took := poll(t, "HighErrorRate firing", integrationLimit, 100*time.Millisecond, func() (bool, string) {
		a, status := findAlert()
		switch {
		case a == nil:
		case a.State == "pending" && pendingSeen.IsZero():
			pendingSeen = time.Now()
		case a.State == "firing":
			firingSeen, firing = time.Now(), *a
			return true, status
		}
		return false, status
	})
	t.Logf("firing %v after the raise (pending seen after %v)", took.Round(10*time.Millisecond), pendingSeen.Sub(raised).Round(10*time.Millisecond))
	if pendingSeen.IsZero() {
		t.Errorf("HighErrorRate went firing without being seen pending (for: 2s, polled every 100ms)")
	}
	if firing.ActiveAt.Before(raised.Add(-scrapeInterval)) || firing.ActiveAt.After(firingSeen) {
		t.Errorf("active since %v, want between the raise (%v) and firing (%v)", firing.ActiveAt, raised, firingSeen)
	}
	if firingSeen.Sub(firing.ActiveAt) < 2*time.Second {
		t.Errorf("firing seen %v after becoming active, want at least the rule's for: 2s", firingSeen.Sub(firing.ActiveAt))
	}
	if firing.Labels["severity"] != "page" || firing.Labels["service"] != "api" || firing.Labels["alertname"] != highErrorRate {
		t.Errorf("labels %v, want severity=page service=api (hack/prom/rules.yml)", firing.Labels)
	}
	if s := firing.Annotations["summary"]; !strings.Contains(s, "is above 5% (api)") {
		t.Errorf("summary %q", s)
	}
	if v, err := strconv.ParseFloat(firing.Value, 64); err != nil || v <= 0.05 {
		t.Errorf("value %q, want a ratio above 0.05", firing.Value)
	}

	setRatio(t, b.ExporterURL, 0)
	took = poll(t, "HighErrorRate resolved", 3*time.Minute, 250*time.Millisecond, func() (bool, string) {
		a, status := findAlert()
		return a == nil, status
	})
	t.Logf("resolved %v after lowering the ratio ([1m] window)", took.Round(10*time.Millisecond))
}

func TestPrometheusStopped(t *testing.T) {
	since := time.Now()
	b := testenv.StartBackends(t)
	p, err := prom.New(b.PrometheusURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "a first scrape", integrationLimit, 250*time.Millisecond, func() (bool, string) {
		_, ok, status := instant(t, p, `up{job="api"}`)
		return ok, status
	})
	requireFresh(t, p, since)
	if _, err := p.Alerts(qctx(t)); err != nil {
		t.Fatalf("Alerts while up: %v", err)
	}

	b.Stop(t, testenv.Prometheus)
	end := time.Now()
	_, e1 := p.Query(qctx(t), `up`, end)
	_, e2 := p.QueryRange(qctx(t), `up`, end.Add(-time.Minute), end, time.Second)
	_, e3 := p.Alerts(qctx(t))
	for _, err := range []error{e1, e2, e3} {
		var pe *prom.Error
		if !errors.As(err, &pe) || pe.Type != prom.ErrConnection || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Prometheus stopped: err %v, want a connection_error (connection refused)", err)
		}
	}
	t.Logf("stopped: %v", e1)

	// Started again on its data: the same probe answers, with the data
	// from before the stop.
	b.Start(t, testenv.Prometheus)
	series, err := p.QueryRange(qctx(t), `up{job="api"}`, since, end, time.Second)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if len(series) != 1 || len(series[0].Points) == 0 {
		t.Errorf("after the restart: %d series, want the data from before the stop", len(series))
	}
}
