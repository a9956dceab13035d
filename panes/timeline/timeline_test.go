package timeline

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/keymsg"
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

func keyMsg(s string) tea.KeyMsg { return keymsg.Of(s) }

// longNote is n characters of words, newlines, a long unbroken token and
// wide characters, ending in a marker.
func longNote(n int) string {
	var b strings.Builder
	words := []string{"rolled", "back", "api", "to", "rev", "41;", "5xx", "ratio", "falling,", "👩‍💻", "監視", "https://grafana.example.com/d/" + strings.Repeat("x", 150)}
	for i := 0; b.Len() < n-10; i++ {
		b.WriteString(words[i%len(words)])
		if i%17 == 16 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	b.WriteString("THE-END")
	return b.String()
}

// A note of 5,000 characters can be read whole: enter opens the selected
// event, page down walks it, and every character appears, in order.
func TestLongNoteCanBeReadWhole(t *testing.T) {
	note := longNote(5000)
	m := newPane(ev(0, incident.KindDeclared, "declared"), ev(10, incident.KindNote, note), ev(20, incident.KindAlert, "later"))
	m.SetSize(60, 10)
	m.Update(keyMsg("up")) // select the note (the list follows the newest)
	if v := m.View(); strings.Contains(v, "THE-END") {
		t.Fatalf("the list should show one line of the note:\n%s", v)
	}
	m.Update(keyMsg("enter"))
	if !strings.HasSuffix(m.Title(), "reading") {
		t.Fatalf("enter did not open the event: title %q", m.Title())
	}
	// Each page's footer says which lines it shows: put them in place.
	var all []string
	total := -1
	for page := 0; page < 500; page++ {
		lines := strings.Split(m.View(), "\n")
		if len(lines) > 10 {
			t.Fatalf("page %d: %d lines in a 10-line pane", page, len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > 60 {
				t.Fatalf("page %d: line %d wide: %q", page, w, l)
			}
		}
		var from, to, n int
		if _, err := fmt.Sscanf(lines[len(lines)-1], "lines %d-%d of %d", &from, &to, &n); err != nil {
			t.Fatalf("page %d: footer %q: %v", page, lines[len(lines)-1], err)
		}
		if total < 0 {
			total, all = n, make([]string, n)
		}
		copy(all[from-1:to], lines[1:len(lines)-1])
		if to == n {
			break
		}
		m.Update(keyMsg("pgdown"))
	}
	got := strings.Join(all, " ")
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if squash(got) != squash(note) {
		t.Fatalf("the pages do not hold the whole note: got %d of %d characters\n%q", len(squash(got)), len(squash(note)), got)
	}
	// An event arriving while reading does not change what is read.
	m.Update(common.EventMsg{Event: ev(30, incident.KindNote, "interrupting")})
	if v := m.View(); !strings.Contains(v, "THE-END") {
		t.Errorf("a new event moved the reader:\n%s", v)
	}
	// Help shows the reader's keys; esc goes back to the list.
	if h := m.ShortHelp(); len(h) == 0 || h[len(h)-1].Help().Desc != "back to the list" {
		t.Errorf("reader help: %v", h)
	}
	m.Update(keyMsg("esc"))
	if m.Title() != "Timeline" || strings.Contains(m.View(), "THE-END") {
		t.Errorf("esc did not close the event: %q\n%s", m.Title(), m.View())
	}
}

// The filtered view, kept up to date as events arrive (in and out of
// order, duplicates too), is always what filtering from scratch gives.
func TestFilterStaysRightAsEventsArrive(t *testing.T) {
	m := newPane(ev(0, incident.KindDeclared, "d"), ev(5, incident.KindAlert, "a"))
	m.Update(keyMsg("f")) // declared
	m.Update(keyMsg("f")) // alert
	if m.filter != incident.KindAlert {
		t.Fatalf("filter %q", m.filter)
	}
	kinds := []incident.Kind{incident.KindNote, incident.KindAlert, incident.KindProbe}
	for i := 0; i < 300; i++ {
		// A deterministic mix of late, early and duplicate arrivals.
		sec := (i * 37) % 211
		e := ev(sec, kinds[(i*7)%3], fmt.Sprint("e", i))
		e.ID = fmt.Sprintf("%04d", (i*13)%250)
		m.Update(common.EventMsg{Event: e})
		var want []incident.Event
		for _, x := range m.events {
			if x.Kind == incident.KindAlert {
				want = append(want, x)
			}
		}
		got := m.Events()
		if len(got) != len(want) {
			t.Fatalf("after %d arrivals: %d shown, want %d", i+1, len(got), len(want))
		}
		for j := range want {
			if got[j].ID != want[j].ID || got[j].Summary != want[j].Summary {
				t.Fatalf("after %d arrivals: shown[%d] = %v, want %v", i+1, j, got[j], want[j])
			}
		}
	}
}

func TestTinySizes(t *testing.T) {
	note := longNote(600)
	for w := 0; w <= 20; w++ {
		for h := 0; h <= 5; h++ {
			for _, open := range []bool{false, true} {
				m := newPane(ev(0, incident.KindDeclared, "declared"), ev(10, incident.KindNote, note))
				m.SetSize(w, h)
				if open {
					m.Update(keyMsg("enter"))
					m.Update(keyMsg("pgdown"))
				}
				v := m.View()
				lines := strings.Split(v, "\n")
				if h > 0 && len(lines) > h {
					t.Errorf("%dx%d open=%v: %d lines", w, h, open, len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) > w {
						t.Errorf("%dx%d open=%v: %q", w, h, open, l)
					}
				}
			}
		}
	}
}
