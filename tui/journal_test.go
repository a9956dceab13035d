package tui

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// These tests reach inside the shell: the clock's tick and single dialogs.

type quietPane struct{}

func (quietPane) Init() tea.Cmd                           { return nil }
func (p quietPane) Update(tea.Msg) (common.Pane, tea.Cmd) { return p, nil }
func (quietPane) View() string                            { return "quiet" }
func (quietPane) SetSize(int, int)                        {}
func (quietPane) Title() string                           { return "Quiet" }
func (quietPane) Capturing() bool                         { return false }
func (quietPane) Backends() []common.Backend {
	return []common.Backend{{Name: "kube", State: probes.State{Status: probes.OK}}, {Name: "pg", State: probes.State{Status: probes.Failing}}}
}
func (quietPane) ShortHelp() []key.Binding  { return nil }
func (quietPane) FullHelp() [][]key.Binding { return nil }

// clockShell is the shell over a quiet pane, with a clock the test moves.
func clockShell(t testing.TB, title, actor string, mode common.Mode) (*Model, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return now }, Actor: actor, Mode: mode}
	m := New(Options{Common: c, Panes: []PaneSpec{{Pane: quietPane{}, Tab: "Quiet"}},
		Session: incident.Fold([]incident.Event{incident.Declared(actor, title, incident.P1, now.Add(-90*time.Second))}), JournalPath: "/var/lib/warroom/j.jsonl"})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, &now
}

// Item 5: the failure flash fades, the journal's failure does not: badge
// and footer stay, past any flash's lifetime, until a write succeeds.
func TestJournalFailureOutlivesItsFlash(t *testing.T) {
	m, now := clockShell(t, "api", "alice", common.Mode{})
	m.Update(common.EventMsg{Event: incident.Event{Kind: incident.KindNote}, Err: errors.New("write j.jsonl: no space left on device")})
	m.Update(tea.KeyMsg{Type: tea.KeyEsc}) // close the journal dialog that opened by itself
	*now = now.Add(10 * time.Minute)
	m.Update(tickMsg{id: m.id})
	v := ansi.Strip(m.View())
	lines := strings.Split(v, "\n")
	if !strings.Contains(lines[0], "JOURNAL FAILING") {
		t.Errorf("the badge went after 10 minutes: %q", lines[0])
	}
	if foot := lines[len(lines)-1]; !strings.Contains(foot, "JOURNAL FAILING — write j.jsonl: no space left on device") {
		t.Errorf("the footer no longer says it: %q", foot)
	}
	if m.flash != "" {
		t.Errorf("the flash itself should have faded: %q", m.flash)
	}
	m.Update(common.EventMsg{Event: incident.Event{ID: incident.NewID(*now), Time: *now, Kind: incident.KindNote, Summary: "ok"}})
	if v := m.View(); strings.Contains(v, "JOURNAL FAILING") {
		t.Errorf("a successful write did not clear it:\n%s", v)
	}
}

// The journal dialog opens by itself once per run of failures, and only
// over no other dialog.
func TestJournalDialogOpensOncePerRun(t *testing.T) {
	m, _ := clockShell(t, "api", "alice", common.Mode{})
	fail := common.EventMsg{Event: incident.Event{Kind: incident.KindNote}, Err: errors.New("disk full")}
	m.Update(fail)
	if len(m.modals) != 1 {
		t.Fatalf("%d dialogs after the first failure", len(m.modals))
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	m.Update(fail)
	if len(m.modals) != 0 {
		t.Fatal("the dialog opened again in the same run")
	}
	m.Update(common.EventMsg{Event: incident.Event{Kind: incident.KindNote, Summary: "ok"}})
	m.Update(fail)
	if len(m.modals) != 1 {
		t.Fatal("a new run of failures did not open it")
	}
}

// FuzzStatusBar: whatever the title and actor (any text, widths from the
// minimum up), the status bar is exactly the screen's width, and keeps the
// severity and the clock.
func FuzzStatusBar(f *testing.F) {
	f.Add("API 5xx spike", "alice", 80, false)
	f.Add("❤️ ✔️ 👩‍💻 👨‍👩‍👧‍👦 🇫🇷 中文", "ålice-👩‍💻", 40, true)
	f.Add(strings.Repeat("日本語", 100), strings.Repeat("👨‍👩‍👧‍👦", 30), 61, true)
	f.Add("t\x1b]0;x\x07\u202e", "a\x9b2J", 120, false)
	f.Fuzz(func(t *testing.T, title, actor string, width int, failing bool) {
		if !utf8.ValidString(title) || !utf8.ValidString(actor) {
			t.Skip()
		}
		width = MinWidth + abs(width)%300
		m, _ := clockShell(t, title, actor, common.Mode{Drill: true, ReadOnly: true, DryRun: true})
		m.Update(tea.WindowSizeMsg{Width: width, Height: 24})
		if failing {
			m.Update(common.EventMsg{Err: errors.New("disk full")})
		}
		bar := m.statusBar()
		if w := ansi.StringWidth(bar); w != width {
			t.Fatalf("status bar is %d cells at %d: %q", w, width, bar)
		}
		plain := ansi.Strip(bar)
		for _, want := range []string{"P1", "⏱ 1:30", "DRILL"} {
			if !strings.Contains(plain, want) {
				t.Fatalf("status bar at %d lacks %q: %q", width, want, plain)
			}
		}
		if failing && !strings.Contains(plain, "JOURNAL") {
			t.Fatalf("status bar at %d lacks the journal badge: %q", width, plain)
		}
		checkControls(t, bar)
	})
}

// FuzzDialogText: any text in a dialog's title, lines and target, at any
// usable size, gives a box within the screen with its borders aligned.
func FuzzDialogText(f *testing.F) {
	f.Add("Roll back", "kubectl rollout undo deployment/api", "prod", 80, 24)
	f.Add("❤️ ✔️", "👩‍💻 👨‍👩‍👧‍👦 🇫🇷 中文\n"+strings.Repeat("x", 300), "中文", 40, 10)
	f.Add("", "\t\r\x1b[2J", "\u200d\ufe0f", 41, 11)
	f.Fuzz(func(t *testing.T, title, line, target string, w, h int) {
		w, h = MinWidth+abs(w)%260, MinHeight+abs(h)%90
		m, _ := clockShell(t, "api", "alice", common.Mode{})
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		lines := strings.Split(line, "\n")
		dialogs := []modal{
			&confirmModal{st: m.c.Styles, keys: m.dialogKeys, c: confirmation{title: title, lines: lines, target: target, destructive: len(line)%2 == 0}},
			newInputModal(m.c.Styles, m.dialogKeys, common.InputRequest{Title: title, Fields: []common.Field{{Name: "a", Label: target, Default: line, Multiline: true}}}),
			newPalette(m.c.Styles, m.dialogKeys, []action{{name: title, key: target}, {name: line}}),
		}
		for i, d := range dialogs {
			d.SetSize(w, m.dialogHeight())
			box := d.View(w, m.dialogHeight())
			checkBox(t, i, box, w, m.dialogHeight())
			checkControls(t, box)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // the smallest int
			return 0
		}
		return -n
	}
	return n
}

// checkBox fails unless box fits w x h and every line is as wide as the
// first (the right border in one column).
func checkBox(t *testing.T, which int, box string, w, h int) {
	t.Helper()
	lines := strings.Split(box, "\n")
	if len(lines) > h {
		t.Fatalf("dialog %d: %d lines at height %d", which, len(lines), h)
	}
	bw := ansi.StringWidth(lines[0])
	if bw > w {
		t.Fatalf("dialog %d: %d cells at width %d", which, bw, w)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != bw {
			t.Fatalf("dialog %d: line %d is %d cells, the box %d: %q", which, i, lw, bw, l)
		}
	}
}

var sgrPattern = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// checkControls fails if s holds any control character but the SGR
// sequences of the styles and newlines.
func checkControls(t *testing.T, s string) {
	t.Helper()
	for i, r := range sgrPattern.ReplaceAllString(s, "") {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)) {
			t.Fatalf("control %U at %d in %q", r, i, s)
		}
	}
}

// A dialog is never taller than the height it is given, whatever its
// head, body and hint, with or without its position line (near the
// minimum size the position line once came on top of a one-row body).
func TestDialogLayoutFitsItsHeight(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	st := styles.New(r, styles.DefaultTheme())
	box := st.Dialog.Box
	for heads := 1; heads <= 4; heads++ {
		for body := 0; body <= 12; body++ {
			for height := 4; height <= 16; height++ {
				d := dialogLayout{head: make([]string, heads), hint: "[enter] run   [esc] close", scroll: "j k scroll"}
				d.head[0] = "Title"
				for i := 0; i < body; i++ {
					d.body = append(d.body, "line")
				}
				out := d.render(st, box, 30, height)
				if n := strings.Count(out, "\n") + 1; n > height {
					t.Errorf("head %d body %d: %d lines at height %d:\n%s", heads, body, n, height, out)
				}
			}
		}
	}
}
