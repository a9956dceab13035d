package errorrate

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// The pane on a real Prometheus scraping the exporter, from a fresh TSDB
// (a private backends set): the exporter's ratio stepped up shows in the
// pane's headline and graph, above the threshold; a panel with bad PromQL
// shows Prometheus' own error. (Prometheus stopped and restarted under
// the console: internal/e2e's fault suite.)
func TestPaneOnRealPrometheus(t *testing.T) {
	b := testenv.StartBackends(t)
	probe, err := prom.New(b.PrometheusURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	step := func(ratio string) {
		resp, err := http.PostForm(b.ExporterURL+"/control", url.Values{"error_ratio": {ratio}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	step("0.01")
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: time.Now}
	er := ErrorRatioThreshold
	short := `sum(rate(http_requests_total{status=~"5.."}[5s])) / sum(rate(http_requests_total[5s]))`
	m := New(c, probe, Config{Refresh: time.Second, Panels: []Panel{
		{Name: "5xx ratio", Query: short, Unit: "%", Threshold: &er},
		{Name: "broken", Query: `sum(rate(http_requests_total[5m]`},
	}})
	m.SetSize(100, 24)
	refreshGraph := func() {
		data, err := m.graph.Fetch(context.Background())
		_, cmd := m.Update(probes.Result[[]prom.Series]{Tag: m.graph.Tag, Gen: m.graph.Gen, Data: data, Err: err, At: time.Now()})
		recorded(cmd) // the events it records; not its next tick
	}
	waitView := func(what string, want ...string) string {
		deadline := time.Now().Add(90 * time.Second)
		for {
			refreshGraph()
			v := m.View()
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(v, w)
			}
			if ok {
				return v
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; the pane shows:\n%s", what, v)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	waitView("the low ratio", "5xx ratio now 1.", "5%┤")
	step("0.3")
	v := waitView("the stepped ratio above the threshold", "5xx ratio now 30.", "▲ above 5.00%")
	if !strings.Contains(v, "┈") {
		t.Errorf("no threshold line:\n%s", v)
	}
	// The broken panel: Prometheus' own parse error, in place.
	var recorded []string
	m.c.Journal = recorderFunc(func(ev incident.Event) { recorded = append(recorded, ev.Summary) })
	m.graph.OnChange = m.probeEvents(m.c.ProbeEvents("prometheus"))
	m.Update(keyMsg("]"))
	waitView("Prometheus' parse error", "parse error")
	if len(recorded) != 0 {
		t.Errorf("a rejected query was recorded as Prometheus lost: %q", recorded)
	}
}
