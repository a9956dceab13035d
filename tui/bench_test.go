package tui_test

import (
	"strings"

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

// BenchmarkNoteKeypress is one keypress into a note that already holds
// 9,000 characters (emoji and CJK included) and the frame after it, at
// 80x24: the typing latency of the longest note. Goal: well under 16 ms.
func BenchmarkNoteKeypress(b *testing.B) {
	m, _, _ := inputShell(b, 80, 24)
	drive(m, key("n"))
	drive(m, paste(strings.Repeat("❤️ 👩‍💻 中文 pool exhausted ", 9000/len([]rune("❤️ 👩‍💻 中文 pool exhausted ")))))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := key("x")
		if i%2 == 1 {
			k = tea.KeyMsg{Type: tea.KeyBackspace}
		}
		m.Update(k)
		_ = m.View()
	}
}
