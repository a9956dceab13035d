package share_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident/share"
)

// BenchmarkNoteToRemote: three shares on one incident; each iteration A
// publishes a note and waits until B and C both have it. Reports the
// note-to-remote latency (each receiver a sample) median and p99.
func BenchmarkNoteToRemote(b *testing.B) {
	dsn := freshDB(b)
	a := open(b, dsn, "inc")
	rs := []*share.Share{open(b, dsn, "inc"), open(b, dsn, "inc")}
	cols := []*collector{collect(rs[0]), collect(rs[1])}
	warm := note("alice", "warm-up")
	a.Publish(warm)
	for _, c := range cols {
		c.waitIDs(b, []string{warm.ID})
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := note("alice", fmt.Sprintf("note %d", i))
		start := time.Now()
		a.Publish(ev)
		for _, c := range cols {
			c.waitIDs(b, []string{ev.ID})
			c.mu.Lock()
			lat = append(lat, c.at[ev.ID].Sub(start))
			c.mu.Unlock()
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkIncidents lists the open incidents of a table holding 20
// incidents of 100 events.
func BenchmarkIncidents(b *testing.B) {
	dsn := freshDB(b)
	for i := range 20 {
		s := open(b, dsn, fmt.Sprintf("inc-%d", i))
		for k := range 100 {
			s.Publish(note(fmt.Sprintf("actor%d", k%3), "x"))
		}
		s.Close()
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := share.Incidents(b.Context(), dsn); err != nil {
			b.Fatal(err)
		}
	}
}
