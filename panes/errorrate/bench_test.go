package errorrate

import (
	"io"
	"math"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// One refresh of the pane on the UI goroutine: a graph answer of 3 series
// (240 points each) taken in, and the pane drawn at 120x20.
func BenchmarkRefresh3Series120x20(b *testing.B) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }}
	var data []prom.Series
	for s := range 3 {
		pts := make([]prom.Point, 240)
		for i := range pts {
			pts[i] = prom.Point{T: t0.Add(time.Duration(i-240) * 4 * time.Second), V: 50 + 40*math.Sin(float64(i+s*30)/20)}
		}
		data = append(data, prom.Series{Labels: map[string]string{"class": []string{"2xx", "4xx", "5xx"}[s]}, Points: pts})
	}
	m := New(c, fixed(data), Config{Refresh: time.Second, Panels: []Panel{{Name: "requests/s", Query: "q", Unit: "req/s"}}})
	m.SetSize(120, 20)
	b.ReportAllocs()
	for b.Loop() {
		m.Update(probes.Result[[]prom.Series]{Tag: m.graph.Tag, Gen: m.graph.Gen, Data: data, At: t0})
		_ = m.View()
	}
}
