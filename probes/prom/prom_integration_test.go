package prom_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
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
	_, err = p.QueryRange(ctx, `sum(rate(http_requests_total[1m]`, end.Add(-time.Minute), end, time.Second)
	if err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("bad PromQL: err = %v, want a bad_data error", err)
	}
	series, err := p.QueryRange(ctx, `no_such_metric_for_warroom`, end.Add(-time.Minute), end, time.Second)
	if err != nil || len(series) != 0 {
		t.Errorf("unknown metric: %d series, err %v; want none and no error", len(series), err)
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
