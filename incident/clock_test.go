package incident

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The clock's binary searches against the plain reading of the pauses:
// open, elapsed and wall on random resolve/reopen histories.
func TestClockAgainstLinearReading(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 34))
	for n := range 500 {
		decl := t0
		var c clock
		c.decl, c.now = decl, decl.Add(10*time.Hour)
		at := decl
		for range r.IntN(6) {
			at = at.Add(time.Duration(r.IntN(120)) * time.Minute)
			p := pause{from: at}
			if r.IntN(5) > 0 {
				at = at.Add(time.Duration(1+r.IntN(60)) * time.Minute)
				p.to = at
				c.pauses = append(c.pauses, p)
				continue
			}
			c.pauses = append(c.pauses, p) // resolved for good
			break
		}
		c.openAt = make([]time.Duration, len(c.pauses))
		for i, p := range c.pauses {
			if i == 0 {
				c.openAt[i] = p.from.Sub(decl)
			} else {
				c.openAt[i] = c.openAt[i-1] + p.from.Sub(c.pauses[i-1].to)
			}
		}
		open := func(t time.Time) bool {
			if t.Before(decl) {
				return false
			}
			for _, p := range c.pauses {
				if !t.Before(p.from) && (p.to.IsZero() || t.Before(p.to)) {
					return false
				}
			}
			return true
		}
		elapsed := func(t time.Time) time.Duration {
			var d time.Duration
			for x := decl; x.Before(t); x = x.Add(time.Minute) {
				if open(x) {
					d += time.Minute
				}
			}
			return d
		}
		for range 20 {
			tm := decl.Add(time.Duration(r.IntN(600)-10) * time.Minute)
			if got, want := c.open(tm), open(tm); got != want {
				t.Fatalf("history %d %+v: open(%v) = %v, want %v", n, c.pauses, tm.Sub(decl), got, want)
			}
			if got, want := c.elapsed(tm), elapsed(tm); got != want {
				t.Fatalf("history %d %+v: elapsed(%v) = %v, want %v", n, c.pauses, tm.Sub(decl), got, want)
			}
			x := time.Duration(r.IntN(600)) * time.Minute
			w, ok := c.wall(x)
			if !ok {
				// Only when the last pause goes on and starts before x of open time.
				last := c.pauses[len(c.pauses)-1]
				if !last.to.IsZero() || elapsed(last.from) > x {
					t.Fatalf("history %d %+v: wall(%v) not ok", n, c.pauses, x)
				}
				continue
			}
			if !open(w) || elapsed(w) != x {
				t.Fatalf("history %d %+v: wall(%v) = %v: open %v, elapsed %v", n, c.pauses, x, w.Sub(decl), open(w), elapsed(w))
			}
		}
	}
}
