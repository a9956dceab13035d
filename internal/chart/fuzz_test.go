package chart

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// FuzzRender: whatever the points (NaN, ±Inf, huge, tiny, out of order,
// out of range) and options, the chart stays inside Width x Height (or is
// the one-line too-small text), is valid UTF-8, and is the same twice.
func FuzzRender(f *testing.F) {
	seed := func(vals ...float64) []byte {
		var b []byte
		for i, v := range vals {
			b = append(b, byte(i*7))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	f.Add(uint8(76), uint8(12), uint8(0xff), seed(0.01, 0.02, 0.12, math.NaN(), 0.11, 0.03))
	f.Add(uint8(40), uint8(8), uint8(0x01), seed(1e308, -1e308, 0, math.Inf(1), 5e-324))
	f.Add(uint8(10), uint8(3), uint8(0x00), seed(1, 2, 3))
	f.Add(uint8(1), uint8(1), uint8(0x7f), []byte{})
	f.Add(uint8(120), uint8(20), uint8(0xaa), seed(3, 3, 3, 3, 3, 3, 3))
	f.Add(uint8(30), uint8(5), uint8(0x55), seed(-1, -2, -3, 1e15, 1e15+1))
	r := renderer(termenv.ANSI256)
	f.Fuzz(func(t *testing.T, w, h, flags uint8, data []byte) {
		start := end.Add(-15 * time.Minute)
		units := []string{"%", "req/s", "", "ms"}
		o := Options{
			Width: int(w) % 160, Height: int(h) % 50,
			Start: start, End: end,
			Unit:     units[flags&3],
			Legend:   flags&4 != 0,
			Location: time.UTC,
		}
		if flags&8 != 0 {
			o.Threshold = ptr(0.05)
		}
		if flags&16 != 0 {
			o.Marker = start.Add(time.Duration(flags) * 5 * time.Second)
		}
		if flags&32 != 0 {
			o.YMin, o.YMax = ptr(0), ptr(0.1)
		}
		if flags&64 != 0 {
			o.Start, o.End = end, start // backwards: the points' range
		}
		// 9 bytes a point: a time step (0..255 × 5 s, 0 repeats the time,
		// odd bytes > 200 step back) and a float64; every third point
		// starts the next of three series.
		series := make([]Series, 3)
		series[0].Name, series[1].Name, series[2].Name = "a", "b\x1b[2J", "c"
		tt := start.Add(-time.Minute)
		for i := 0; len(data) >= 9 && i < 2000; i++ {
			d := time.Duration(data[0]) * 5 * time.Second
			if data[0] > 200 && data[0]%2 == 1 {
				d = -d
			}
			tt = tt.Add(d)
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[1:9]))
			series[i%3].Points = append(series[i%3].Points, Point{tt, v})
			data = data[9:]
		}
		o, series = styled(r, o, series)
		out := Render(o, series)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if strings.Contains(out, "\x1b[2J") {
			t.Fatalf("a name's escape code reached the output: %q", out)
		}
		if again := Render(o, series); again != out {
			t.Fatalf("not deterministic:\n%s\n---\n%s", out, again)
		}
		if o.Width <= 0 || o.Height <= 0 {
			if out != "" {
				t.Fatalf("%dx%d: %q", o.Width, o.Height, out)
			}
			return
		}
		lines := strings.Split(out, "\n")
		if out == tooSmall(o.Width) {
			return
		}
		if len(lines) != o.Height {
			t.Fatalf("%dx%d: %d lines\n%s", o.Width, o.Height, len(lines), out)
		}
		for i, l := range lines {
			if lw := ansi.StringWidth(l); lw != o.Width {
				t.Fatalf("%dx%d: line %d is %d wide: %q", o.Width, o.Height, i, lw, l)
			}
		}
	})
}
