package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui/common"
)

// BenchmarkShellView draws one full frame at 200x60 with every pane full of
// drill data and a long timeline. Goal: ≤ 4 ms/op (a 60 Hz frame is 16.7 ms).
func BenchmarkShellView(b *testing.B) {
	for _, p := range []struct {
		name    string
		profile termenv.Profile
	}{{"truecolor", termenv.TrueColor}, {"256", termenv.ANSI256}, {"nocolor", termenv.Ascii}} {
		b.Run(p.name, func(b *testing.B) { benchView(b, p.profile) })
	}
}

func benchView(b *testing.B, profile termenv.Profile) {
	f := newShellProfile(b, common.Mode{}, profile)
	m := f.model
	for _, msg := range collect(m.Init()) {
		m.Update(msg)
	}
	for i := 0; i < 500; i++ {
		m.Update(common.EventMsg{Event: incident.Event{Time: t0, Actor: "alice", Kind: incident.KindNote, Summary: "checked api logs: connection pool exhausted on db-primary"}})
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	if len(m.View()) == 0 {
		b.Fatal("empty view")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}
