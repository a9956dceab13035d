package timeline

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func newPane(events ...incident.Event) *Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }}
	m := New(c, Config{Events: events})
	m.SetSize(100, 4)
	return m
}

func ev(sec int, kind incident.Kind, summary string) incident.Event {
	return incident.Event{Time: t0.Add(time.Duration(sec) * time.Second), Actor: "bob", Kind: kind, Summary: summary}
}

func TestFollowsNewestAndKeepsTimeOrder(t *testing.T) {
	m := newPane(ev(0, incident.KindDeclared, "declared"))
	for i := 1; i <= 6; i++ {
		m.Update(common.EventMsg{Event: ev(i*10, incident.KindNote, "note "+string(rune('0'+i)))})
	}
	// An append that finished late, with an earlier time, goes in its place.
	m.Update(common.EventMsg{Event: ev(15, incident.KindAlert, "late alert")})
	v := m.View()
	if !strings.Contains(v, "note 6") || strings.Contains(v, "declared") {
		t.Fatalf("should show the newest 4 events:\n%s", v)
	}
	got := m.Events()
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("events out of order at %d: %v", i, got)
		}
	}
	// A failed append is not shown.
	m.Update(common.EventMsg{Event: ev(99, incident.KindNote, "never written"), Err: io.ErrShortWrite})
	if strings.Contains(m.View(), "never written") {
		t.Error("an event that did not reach the journal is shown")
	}
}

func TestFilterCyclesKindsPresent(t *testing.T) {
	m := newPane(ev(0, incident.KindDeclared, "d"), ev(1, incident.KindAlert, "a"), ev(2, incident.KindNote, "n"))
	f := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("f")}
	var seen []string
	for i := 0; i < 4; i++ {
		m.Update(f)
		seen = append(seen, m.Title())
	}
	want := []string{"Timeline · declared", "Timeline · note", "Timeline · alert", "Timeline"}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("filter cycle = %q, want %q", seen, want)
		}
	}
	m.Update(f)
	if n := len(m.Events()); n != 1 {
		t.Errorf("filtered to declared: %d events", n)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if n := len(m.Events()); n != 3 {
		t.Errorf("esc should clear the filter, %d events", n)
	}
}
