package chart

import (
	"testing"
	"time"

	"github.com/muesli/termenv"
)

// BenchmarkRender3Series120x20: one refresh of a 3-series graph at 120x20,
// 240 points a series, in colour (goal: ≤ 1 ms/op).
func BenchmarkRender3Series120x20(b *testing.B) {
	r := renderer(termenv.ANSI256)
	start := end.Add(-time.Hour)
	step := time.Hour / 240
	o := Options{Width: 120, Height: 20, Start: start, End: end, Unit: "req/s",
		Threshold: ptr(150), Marker: end.Add(-25 * time.Minute), Legend: true, Location: time.UTC}
	series := []Series{
		{Name: "2xx", Points: rps(start, end.Add(-step), step, 900, 120)},
		{Name: "4xx", Points: rps(start, end.Add(-step), step, 300, 60)},
		{Name: "5xx", Points: rps(start, end.Add(-step), step, 120, 100)},
	}
	for _, s := range series {
		if len(s.Points) != 240 {
			b.Fatalf("%d points, want 240", len(s.Points))
		}
	}
	o, series = styled(r, o, series)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Render(o, series)
	}
}
