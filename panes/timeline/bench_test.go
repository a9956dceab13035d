package timeline

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui/common"
)

// manyEvents is n events, a tenth of them alerts, one a second.
func manyEvents(n int) []incident.Event {
	evs := make([]incident.Event, n)
	for i := range evs {
		k := incident.KindNote
		if i%10 == 0 {
			k = incident.KindAlert
		}
		evs[i] = incident.Event{ID: fmt.Sprintf("%08d", i), Time: t0.Add(time.Duration(i) * time.Second),
			Actor: "bob", Kind: k, Summary: fmt.Sprintf("event %d", i)}
	}
	return evs
}

// BenchmarkTimelineView200k: one frame of the timeline with 200k events,
// unfiltered and filtered (the filter was recomputed over every event on
// every frame), and the cost of one event arriving.
func BenchmarkTimelineView200k(b *testing.B) {
	evs := manyEvents(200_000)
	b.Run("all", func(b *testing.B) {
		m := newPane(evs...)
		m.SetSize(120, 10)
		for b.Loop() {
			_ = m.View()
		}
	})
	b.Run("filtered", func(b *testing.B) {
		m := newPane(evs...)
		m.SetSize(120, 10)
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("f")})
		if m.filter == "" {
			b.Fatal("no filter")
		}
		for b.Loop() {
			_ = m.View()
		}
	})
	b.Run("append", func(b *testing.B) {
		m := newPane(evs...)
		m.SetSize(120, 10)
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("f")})
		i := len(evs)
		for b.Loop() {
			e := incident.Event{ID: fmt.Sprintf("%08d", i), Time: t0.Add(time.Duration(i) * time.Second),
				Actor: "bob", Kind: incident.KindAlert, Summary: "new"}
			i++
			m.Update(common.EventMsg{Event: e})
			_ = m.View()
		}
	})
}
