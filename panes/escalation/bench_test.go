package escalation

import (
	"io"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/memjournal"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// longIncident is an incident 6 hours in with 2,000 events. Typical:
// notes and actions with a few severity changes, one resolve and reopen,
// checklist ticks and 20 hook runs. Flapping: every event a severity
// change, a resolve, a reopen, a checklist tick or a failed hook run
// (400 of each).
func longIncident(b *testing.B, flapping bool) incident.Session {
	var j memjournal.Journal
	decl, _ := j.Append(incident.Declared("alice", "long", incident.P1, t0))
	s := incident.Fold([]incident.Event{decl})
	tri, _ := incident.ChecklistByName(incident.ChecklistTriage)
	for i := range 2000 {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		hook := incident.Event{Time: at, Actor: "warroom", Kind: incident.KindAction, Summary: "hook",
			Action: &incident.ActionFields{Phase: incident.PhaseFinished, Kind: incident.ActionNotify, Target: incident.NewID(at), Error: "exit 1", Title: "Notify: x"}}
		var ev incident.Event
		switch {
		case flapping && i%5 == 0, !flapping && i%400 == 7:
			ev = incident.SeverityChange("bob", incident.P1, incident.Severity(i%4), "flip", at)
		case flapping && i%5 == 1, !flapping && i%100 == 3:
			ev = incident.Checked("bob", tri, i%6, i%2 == 0, at)
		case flapping && i%5 == 2, !flapping && i%100 == 5:
			ev = hook
		case flapping && i%5 == 3, !flapping && i == 1000:
			ev = incident.Resolution("bob", "", at)
		case flapping && i%5 == 4, !flapping && i == 1100:
			ev = incident.Reopening("bob", "again", at)
		default:
			ev = incident.Note("bob", "looking at the api pods", at)
		}
		ev, _ = j.Append(ev)
		s.Apply(ev)
	}
	return s
}

// BenchmarkState is the escalation state of a long incident: what the
// pane computes once a second (and on each change of the incident).
func BenchmarkState(b *testing.B) {
	for _, flapping := range []bool{false, true} {
		name := map[bool]string{false: "typical", true: "flapping"}[flapping]
		b.Run(name, func(b *testing.B) {
			s := longIncident(b, flapping)
			p := incident.DefaultPolicy()
			now := t0.Add(6 * time.Hour)
			b.ReportAllocs()
			for b.Loop() {
				_ = p.State(s, now)
			}
		})
	}
}

// BenchmarkView is one frame of the pane (30 a second, on the UI
// goroutine) for a long incident, its state already computed this second.
func BenchmarkView(b *testing.B) {
	for _, flapping := range []bool{false, true} {
		name := map[bool]string{false: "typical", true: "flapping"}[flapping]
		b.Run(name, func(b *testing.B) {
			s := longIncident(b, flapping)
			now := t0.Add(6 * time.Hour)
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.TrueColor)
			c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return now }}
			m := New(c, Config{Session: s})
			m.SetSize(78, 19)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
