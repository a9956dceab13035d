package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// far bounds dot coordinates, so that a value a long way off the plot
// still makes a finite line the clipper can cut.
const far = 1e9

func clampFar(v float64) float64 {
	if math.IsNaN(v) {
		return v
	}
	return min(max(v, -far), far)
}

// xScale maps times to dot columns.
type xScale struct {
	start time.Time
	span  time.Duration
	dots  float64 // dot columns - 1
}

func (s xScale) dot(t time.Time) float64 {
	return clampFar(float64(t.Sub(s.start)) / float64(s.span) * s.dots)
}

// yAxis is the y range, its ticks, and how values map to dot rows.
type yAxis struct {
	lo, hi float64
	step   float64 // between ticks; 0 when the ticks are just lo and hi
	ticks  []float64
	dotsH  int
}

// dotFromTop is v's dot row counted from the top (NaN for NaN).
func (y *yAxis) dotFromTop(v float64) float64 {
	f := (v - y.lo) / (y.hi - y.lo) * float64(y.dotsH-1)
	return clampFar(float64(y.dotsH-1) - clampFar(f))
}

// row is the cell row (from the top) that v falls in; v in [lo, hi].
func (y *yAxis) row(v float64) int {
	d := int(math.Round(y.dotFromTop(v)))
	return min(max(d, 0), y.dotsH-1) / 4
}

// limit keeps data values far from float64's ends, so spans stay finite.
const limit = 1e300

// yScale works out the y range and ticks for a plot rows high.
func yScale(o Options, series []Series, start, end time.Time, rows int) *yAxis {
	y := &yAxis{dotsH: rows * 4}
	dlo, dhi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.V) || p.T.Before(start) || p.T.After(end) {
				continue
			}
			v := min(max(p.V, -limit), limit)
			dlo, dhi = min(dlo, v), max(dhi, v)
		}
	}
	if o.Threshold != nil && finite(*o.Threshold) {
		v := min(max(*o.Threshold, -limit), limit)
		dlo, dhi = min(dlo, v), max(dhi, v)
	}
	loFixed := o.YMin != nil && finite(*o.YMin) && math.Abs(*o.YMin) <= limit
	hiFixed := o.YMax != nil && finite(*o.YMax) && math.Abs(*o.YMax) <= limit
	if loFixed && hiFixed && !(*o.YMin < *o.YMax) {
		loFixed, hiFixed = false, false
	}
	if dlo > dhi { // no data
		dlo, dhi = 0, 1
	}
	zeroBased := o.Unit == "%" || o.Unit == "req/s"
	if zeroBased {
		dlo = min(dlo, 0)
	}
	if dhi == dlo {
		d := math.Abs(dhi) / 10
		if d == 0 {
			d = 1
		}
		dhi += d
		if !zeroBased || dlo-d >= 0 {
			dlo -= d
		}
	}
	lo, hi := dlo, dhi
	if !hiFixed {
		hi = dhi + (dhi-dlo)/20 // headroom
		if o.Unit == "%" && dhi <= 1 && hi > 1 {
			hi = 1
		}
	}
	if loFixed {
		lo = *o.YMin
	}
	if hiFixed {
		hi = *o.YMax
	}
	if !(hi > lo) { // one end fixed beyond the data
		if hiFixed {
			lo = hi - math.Max(1, math.Abs(hi))
		} else {
			hi = lo + math.Max(1, math.Abs(lo))
		}
	}

	if !loFixed && !hiFixed {
		if exactTicks(y, dlo, dhi, hi, rows) {
			return y
		}
	}

	// A fixed end: ticks at multiples of a nice step inside the range,
	// each on the row its value falls in, at least two rows apart.
	maxTicks := max(2, (rows-1)/2+1)
	step := niceAtLeast((hi - lo) / float64(maxTicks-1))
	for range 8 {
		if !(step > 0) || !finite(step) {
			break
		}
		tlo, thi := lo, hi
		if !loFixed {
			tlo = math.Floor(lo/step) * step
		}
		if !hiFixed {
			thi = math.Ceil(hi/step) * step
		}
		n := math.Floor(thi/step+1e-9) - math.Ceil(tlo/step-1e-9) + 1
		if n <= float64(maxTicks) && thi > tlo {
			lo, hi, y.step = tlo, thi, step
			break
		}
		step = niceAtLeast(step * 1.0001)
	}
	y.lo, y.hi = lo, hi
	if y.step == 0 {
		y.ticks = []float64{lo, hi}
		return y
	}
	k0 := math.Ceil(lo/y.step - 1e-9)
	for k := k0; k <= k0+float64(maxTicks); k++ {
		v := k * y.step
		if math.Abs(v) < y.step*1e-9 {
			v = 0
		}
		if v > hi+y.step*1e-9 {
			break
		}
		y.ticks = append(y.ticks, min(max(v, lo), hi))
	}
	return y
}

// exactTicks sets an automatic range whose ticks fall exactly on the
// bottom dot of a cell row, every k rows: lo is a multiple of a nice step
// at the bottom dot row, each tick 4k dots above the last, and the range
// ends where the plot does (above the last tick). Of the steps and
// spacings that reach top, the one that reaches least above it wins, so
// the data fill the plot. It reports false when the numbers do not work
// out (extreme values), leaving y alone.
func exactTicks(y *yAxis, dlo, dhi, top float64, rows int) bool {
	dotsH := rows * 4
	kmin := 2
	if rows < 4 {
		kmin = 1
	}
	kmax := min(max(kmin, rows/3), rows-1)
	best := math.Inf(1)
	var bestLo, bestStep float64
	bestK := 0
	for k := kmin; k <= kmax; k++ {
		steps := float64(dotsH-1) / float64(4*k) // steps of s from lo to hi
		s := niceAtLeast((top - dlo) / steps)
		lo := 0.0
		ok := false
		for range 12 {
			if !(s > 0) || !finite(s) {
				break
			}
			lo = math.Floor(dlo/s) * s
			if lo+s*steps >= top && lo <= dlo {
				ok = true
				break
			}
			s = niceAtLeast(s * 1.0001)
		}
		if !ok {
			continue
		}
		if hi := lo + s*steps; hi < best {
			best, bestLo, bestStep, bestK = hi, lo, s, k
		}
	}
	if bestK == 0 || !finite(best) || !(best > bestLo) || !(best >= dhi) {
		return false
	}
	y.lo, y.hi, y.step = bestLo, best, bestStep
	n := (dotsH - 1) / (4 * bestK)
	y.ticks = y.ticks[:0]
	for i := 0; i <= n; i++ {
		v := bestLo + float64(i)*bestStep
		if math.Abs(v) < bestStep*1e-9 {
			v = 0
		}
		y.ticks = append(y.ticks, v)
	}
	return true
}

// niceAtLeast is the smallest 1, 2, 2.5, 4 or 5 times a power of ten that is
// at least v.
func niceAtLeast(v float64) float64 {
	if !(v > 0) || !finite(v) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range [...]float64{1, 2, 2.5, 4, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// tickLabel formats a y tick (step > 0: as many decimals as the step
// needs; 0: three significant digits).
func tickLabel(v, step float64, unit string) string {
	if unit == "%" {
		return formatNum(v*100, step*100, false) + "%"
	}
	return formatNum(v, step, true)
}

// valueLabel formats a value for the legend: three significant digits
// and the unit.
func valueLabel(v float64, unit string) string {
	switch unit {
	case "%":
		return formatNum(v*100, 0, false) + "%"
	case "":
		return formatNum(v, 0, true)
	}
	return formatNum(v, 0, true) + " " + unit
}

var (
	bigPrefixes   = [...]string{"k", "M", "G", "T", "P", "E"}
	smallPrefixes = [...]string{"m", "µ", "n"}
)

// formatNum formats v shortly with an SI prefix (k, M… from 1000 up;
// m, µ, n below 1 when small is set). step > 0: enough decimals to tell
// multiples of step apart; 0: three significant digits.
func formatNum(v, step float64, small bool) string {
	if !finite(v) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	a := math.Abs(v)
	if a == 0 || (step > 0 && a < step*1e-6) {
		return "0"
	}
	scale, suffix := 1.0, ""
	switch {
	case a >= 1e21 || a < 1e-9 || (!small && a < 1e-4):
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1e3:
		for i, p := range bigPrefixes {
			f := math.Pow(1000, float64(i+1))
			if a >= f*(1-1e-12) {
				scale, suffix = f, p
			}
		}
	case a < 1 && small:
		for i, p := range smallPrefixes {
			f := math.Pow(1000, -float64(i+1))
			if a < f*1000*(1-1e-12) {
				scale, suffix = f, p
			}
		}
	}
	s := v / scale
	var dec int
	if step > 0 {
		dec = decimalsFor(step / scale)
	} else {
		dec = max(0, 2-int(math.Floor(math.Log10(math.Abs(s)))))
	}
	str := strconv.FormatFloat(s, 'f', min(dec, 9), 64)
	if strings.IndexByte(str, '.') >= 0 {
		str = strings.TrimRight(strings.TrimRight(str, "0"), ".")
	}
	if str == "-0" {
		str = "0"
	}
	return str + suffix
}

// decimalsFor is how many decimals a multiple of q needs.
func decimalsFor(q float64) int {
	m := 1.0
	for d := 0; d < 6; d++ {
		x := q * m
		if math.Abs(x-math.Round(x)) <= 1e-6*math.Max(1, math.Abs(x)) {
			return d
		}
		m *= 10
	}
	return 6
}

// xTick is a tick on the time axis.
type xTick struct {
	t     time.Time
	label string
}

// tickSteps are the x tick spacings tried, smallest first.
var tickSteps = [...]time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

// xTicks are the round wall-clock times in [start, end] at the smallest
// spacing whose labels fit cols cells with room between them.
func xTicks(start, end time.Time, loc *time.Location, cols int) []xTick {
	span := end.Sub(start)
	if span <= 0 || cols <= 0 {
		return nil
	}
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		lw := len(tickFormat(s))
		if float64(s)/float64(span)*float64(cols) >= float64(lw+2) {
			step = s
			break
		}
	}
	layout := tickFormat(step)
	ls, le := start.In(loc), end.In(loc)
	var ticks []xTick
	// Walk wall-clock multiples of step from the midnight of start's day;
	// time.Date normalises seconds past the day's end into the next days,
	// wall-clock-wise, so DST days keep round labels.
	y, m, d := ls.Date()
	if step >= 24*time.Hour {
		days := int(step / (24 * time.Hour))
		for k := 0; k <= cols; k++ {
			t := time.Date(y, m, d+k*days, 0, 0, 0, 0, loc)
			if t.After(le) {
				break
			}
			if !t.Before(ls) {
				ticks = append(ticks, xTick{t, t.Format(layout)})
			}
		}
		return ticks
	}
	sec := int(step / time.Second)
	h, mi, s := ls.Clock()
	k := (h*3600 + mi*60 + s) / sec
	var last time.Time
	for n := 0; n <= 2*cols+2; n++ {
		t := time.Date(y, m, d, 0, 0, (k+n)*sec, 0, loc)
		if t.After(le) {
			break
		}
		if t.Before(ls) || (n > 0 && !t.After(last)) {
			continue
		}
		last = t
		ticks = append(ticks, xTick{t, t.Format(layout)})
	}
	return ticks
}

func tickFormat(step time.Duration) string {
	switch {
	case step < time.Minute:
		return "15:04:05"
	case step < 24*time.Hour:
		return "15:04"
	}
	return "Jan 2"
}
