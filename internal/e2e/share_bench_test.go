package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkShareNoteToScreen: three real consoles (A on the drill, B and
// C joined) on one incident of a fresh database. Each iteration A types a
// note with a unique text (n, the text, enter); the sample is the time
// from the enter key to the note's bytes on B's AND C's terminals (the
// later of the two). Reports the median and p99 of the samples (the
// issue's "note-to-remote-screen latency with three consoles").
//
// An iteration is a real round trip through three processes and typing
// (about half a second), so the default -benchtime=1s gives only a
// handful of samples, and p99 is then the maximum: for figures, run
// with -benchtime=50x (documented beside the figures). It needs
// PostgreSQL (WARROOM_TEST_PG_DSN) and skips without it.
func BenchmarkShareNoteToScreen(b *testing.B) {
	dsn := shareDB(b)
	a := startShare(b, dsn, "alice", "demo")
	id := incidentID(b, dsn, a)
	remotes := []*shareConsole{startShare(b, dsn, "bob", "join", id), startShare(b, dsn, "carol", "join", id)}
	for _, c := range append([]*shareConsole{a}, remotes...) {
		c.waitScreen("the two other consoles in (share●+2)", shareDeadline, func(s *vtScreen) bool { return peersIn(s) == 2 })
	}
	round := func(text string) time.Duration {
		a.typeNote(text)
		marks := make([]int, len(remotes))
		for i, r := range remotes {
			marks[i] = r.term.Mark()
		}
		sent, done := a.enter()
		var wg sync.WaitGroup
		seen := make([]time.Duration, len(remotes))
		errs := make([]error, len(remotes))
		for i, r := range remotes {
			wg.Go(func() {
				_, errs[i] = r.term.WaitForSince(marks[i], text, shareDeadline)
				seen[i] = time.Since(sent)
			})
		}
		wg.Wait()
		<-done
		for i, err := range errs {
			if err != nil {
				b.Fatalf("%s: A's note not shown: %v", remotes[i].name, err)
			}
		}
		// The bytes were a timeline row (not measured).
		for _, r := range remotes {
			r.waitScreen("A's note as a timeline row", shareDeadline, func(s *vtScreen) bool { return timelineRow(s, "note", "alice", text) })
		}
		a.waitScreen("the note dialog closed after saving", keyDeadline, func(s *vtScreen) bool {
			return !strings.Contains(s.String(), "Add a note")
		})
		return slices.Max(seen)
	}
	round("bench warm-up")

	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		lat = append(lat, round(fmt.Sprintf("bench note %d-%d", i, time.Now().UnixNano()%1000000)))
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat)), "samples")
	b.Log(fmt.Sprintf("share note-to-remote-screen, three consoles: n=%d p50=%v p99=%v max=%v", len(lat), p50, p99, lat[len(lat)-1].Round(100*time.Microsecond)))
}
