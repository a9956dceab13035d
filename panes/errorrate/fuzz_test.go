package errorrate

import (
	"encoding/binary"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/muesli/termenv"
)

// sgr is the only escape sequence a pane may emit: styling.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// floats decodes b as little-endian float64 bits, so every value occurs:
// ±Inf, NaN payloads, denormals, ±1e308.
func floats(b []byte) []float64 {
	var out []float64
	for len(b) >= 8 {
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		b = b[8:]
	}
	return out
}

func bits(vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// FuzzErrorRateView: any series Prometheus could send, at any pane size,
// draws without panicking, within the pane's width and height, with no
// control character or escape sequence other than SGR styling.
func FuzzErrorRateView(f *testing.F) {
	f.Add(bits(0.01, math.Inf(1)), 40, 12)
	f.Add(bits(0.02, math.NaN(), 0.03), 20, 5)
	f.Add(bits(0.02, 1e308), 80, 24)
	f.Add(bits(-1e308, -0.5, 0.02), 10, 3)
	f.Add(bits(math.Inf(-1), 5e-324, 1.5), 1, 1)
	f.Add(bits(0.01, math.Inf(1)), 0, 0)
	f.Add([]byte{}, 30, 8)
	f.Fuzz(func(t *testing.T, raw []byte, w, h int) {
		w, h = w%300, h%100 // sizes a terminal can have (negative: none)
		if len(raw) > 8*2000 {
			raw = raw[:8*2000]
		}
		vals := floats(raw)
		m := newPane(t, termenv.ANSI256, w, h, vals...)
		v := m.View()
		plain := sgr.ReplaceAllString(v, "")
		for _, r := range plain {
			if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
				t.Fatalf("control character %U in the view:\n%q", r, v)
			}
		}
		lines := strings.Split(v, "\n")
		if h > 0 && len(lines) > h {
			t.Fatalf("%d lines for a pane %d high", len(lines), h)
		}
		checkLines(t, v, max(w, 0))
	})
}
