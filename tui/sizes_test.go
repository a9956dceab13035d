package tui_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	bkey "github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
)

// The sizes suite: every screen and every dialog at every size, with text
// whose width is easy to get wrong (emoji with VS16, ZWJ sequences, flags,
// CJK). Nothing is drawn past the screen, and whatever is selected or
// focused is on it.

// sizes are the suite's screens: below the minimum, the minimum, the
// smallest tab layout, the smallest grid, and huge.
var sizes = [][2]int{{20, 8}, {40, 10}, {40, 12}, {80, 24}, {120, 36}, {300, 100}}

// wide is text whose cells are not its runes: each of these is one
// character two cells wide.
const wide = "❤️ ✔️ 👩‍💻 👨‍👩‍👧‍👦 🇫🇷 中文"

var (
	wideTitle = "API 5xx " + wide + " after the api rollout " + strings.Repeat("日本語 and 👩‍💻 ", 12) + "END OF TITLE"
	wideActor = "ålice-" + wide
)

// screenOK checks view against a w x h terminal: no line wider, no more
// lines; and that every want is on it.
func screenOK(t *testing.T, what, view string, w, h int, want ...string) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%s at %dx%d: %d lines", what, w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s at %dx%d: line %d is %d cells: %q", what, w, h, i, n, ansi.Strip(l))
		}
	}
	plain := ansi.Strip(view)
	for _, s := range want {
		if !strings.Contains(plain, s) {
			t.Errorf("%s at %dx%d: %q is not on screen:\n%s", what, w, h, s, plain)
		}
	}
}

// tooSmall is what every view below the minimum must say.
const tooSmall = "terminal too small"

// checkDialog finds the dialog whose first line holds title and checks its
// box: corners where they belong and the same left and right border column
// on every line.
func checkDialog(t *testing.T, view, title string) {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	row := -1
	for i, l := range lines {
		if strings.Contains(l, title) {
			row = i
			break
		}
	}
	if row < 1 {
		t.Fatalf("no dialog titled %q:\n%s", title, strings.Join(lines, "\n"))
	}
	cell := func(r, c int) string { return ansi.Cut(lines[r], c, c+1) }
	left := ansi.StringWidth(lines[row][:strings.Index(lines[row], title)]) - 2 // border, padding
	top := row - 1
	if c := cell(top, left); c != "╭" && c != "┏" {
		t.Fatalf("dialog %q: no top-left corner at %d,%d (%q):\n%s", title, top, left, c, strings.Join(lines, "\n"))
	}
	right := -1
	for c := left + 1; c < ansi.StringWidth(lines[top]); c++ {
		if x := cell(top, c); x == "╮" || x == "┓" {
			right = c
			break
		}
	}
	if right < 0 {
		t.Fatalf("dialog %q: no top-right corner:\n%s", title, strings.Join(lines, "\n"))
	}
	for r := top + 1; r < len(lines); r++ {
		l, rr := cell(r, left), cell(r, right)
		if l == "╰" || l == "┗" {
			if rr != "╯" && rr != "┛" {
				t.Errorf("dialog %q: bottom-right corner at column %d is %q:\n%s", title, right, rr, strings.Join(lines, "\n"))
			}
			return
		}
		if (l != "│" && l != "┃") || (rr != "│" && rr != "┃") {
			t.Fatalf("dialog %q: line %d has %q and %q at the border columns %d and %d:\n%s", title, r, l, rr, left, right, strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("dialog %q has no bottom", title)
}

var position = regexp.MustCompile(`(\d+)–(\d+) of (\d+)`)

// scrolledToEnd fails unless the dialog on view shows its last line.
func scrolledToEnd(t *testing.T, what, view string) {
	t.Helper()
	if p := position.FindStringSubmatch(ansi.Strip(view)); p != nil && p[2] != p[3] {
		t.Errorf("%s scrolled to the end shows %s", what, p[0])
	}
}

// feed hands the panes their first data, as the program would.
func feed(m *tui.Model) {
	for _, msg := range collect(m.Init()) {
		m.Update(msg)
	}
}

func press(m *tui.Model, k string, n int) {
	for range n {
		drive(m, key(k))
	}
}

// Every screen: the grid where it fits, each pane zoomed, each tab.
func TestSizesScreens(t *testing.T) {
	f := newShellWith(t, shellOpts{title: wideTitle, actor: wideActor})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	feed(m)
	tabs := []string{"Pods", "Errors", "Queries", "Escalation", "Runbooks", "Timeline"}
	for _, s := range sizes {
		w, h := s[0], s[1]
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		for i := 0; i < m.Panes(); i++ {
			drive(m, key(strconv.Itoa(i+1)))
			title := strconv.Itoa(i+1) + " " + m.Pane(i).Title()
			// The focused pane's frame (and its tab, below the grid), and
			// what the status bar always keeps.
			want := []string{title, "P1", "⏱", "DRILL"}
			if w < tui.GridMinWidth || h < tui.GridMinHeight {
				want = append(want, strconv.Itoa(i+1)+" "+tabs[i])
			}
			if w < tui.MinWidth || h < tui.MinHeight {
				want = []string{tooSmall}
			}
			screenOK(t, "pane "+title, m.View(), w, h, want...)
			drive(m, key("z"))
			if len(want) > 4 {
				want = want[:4] // zoomed: no tabs
			}
			screenOK(t, "zoomed "+title, m.View(), w, h, want...)
			drive(m, key("z"))
		}
	}
}

// Every dialog, opened at a usable size and then taken through every size
// (a terminal resized under it), its selection or end scrolled into view.
func TestSizesDialogs(t *testing.T) {
	longSQL := []string{"BEGIN;"}
	for i := range 40 {
		longSQL = append(longSQL, fmt.Sprintf("UPDATE agent_runs SET state = 'failed', note = '%s' WHERE id = %d AND owner = 'team-%d' RETURNING id, state;", wide, i, i))
	}
	longSQL = append(longSQL, "COMMIT; -- END OF SQL")
	dialogs := []struct {
		name string
		// open opens the dialog on a fresh shell; end moves its selection
		// or scroll to the end.
		open func(t *testing.T, m *tui.Model)
		end  func(m *tui.Model)
		// title is the dialog's first line (to check its box); want is on
		// screen at every usable size, wantEnd once moved to the end.
		title   string
		want    []string
		wantEnd []string
	}{
		{
			name:    "help",
			open:    func(t *testing.T, m *tui.Model) { drive(m, key("?")) },
			end:     func(m *tui.Model) { press(m, "j", 200) },
			title:   "Keys",
			want:    []string{"[esc] close"},
			wantEnd: []string{"dialog down"},
		},
		{
			name: "confirm",
			open: func(t *testing.T, m *tui.Model) {
				drive(m, common.ActionRequest{Action: common.Action{Title: "Run the fix " + wide, Kind: incident.ActionSQL, Lines: longSQL,
					Target: "agent_platform on db-primary " + wide, Destructive: true,
					Run: func(context.Context, func(string)) common.Outcome { return common.Outcome{} }}})
			},
			end:   func(m *tui.Model) { press(m, "j", 300) },
			title: "Run the fix",
			want:  []string{"[y/enter] confirm", "[n/esc] cancel"},
		},
		{
			name: "running action",
			open: func(t *testing.T, m *tui.Model) {
				drive(m, common.ActionRequest{Action: common.Action{Title: "Tail the logs " + wide, Kind: incident.ActionKube, Target: "api " + wide,
					Run: func(_ context.Context, progress func(string)) common.Outcome {
						for i := range 500 {
							progress(fmt.Sprintf("%03d %s output line that is long enough to be cut at the dialog's edge %s", i, wide, strings.Repeat("·", 80)))
						}
						return common.Outcome{Result: "done " + wide}
					}}})
				drive(m, key("y"))
			},
			end:   func(*tui.Model) {},
			title: "Tail the logs",
			want:  []string{"499 ❤️", "[enter] close"},
		},
		{
			name: "note",
			open: func(t *testing.T, m *tui.Model) {
				drive(m, key("n"))
				drive(m, paste(strings.Repeat(wide+" note text ", 5000/len([]rune(wide+" note text ")))+"THE END"))
			},
			end:   func(*tui.Model) {},
			title: "Add a note",
			want:  []string{"THE END", "[enter] save", "[esc] cancel"},
		},
		{
			name:  "quit",
			open:  func(t *testing.T, m *tui.Model) { drive(m, key("q")) },
			end:   func(m *tui.Model) { press(m, "j", 50) },
			title: "Quit while the incident is still open?",
			want:  []string{"[y/enter] confirm", "[n/esc] cancel"},
		},
		{
			name: "journal failure",
			open: func(t *testing.T, m *tui.Model) {
				drive(m, common.EventMsg{Event: incident.Event{Time: t0, Kind: incident.KindNote, Summary: "x"},
					Err: fmt.Errorf("%w (after %s)", errDiskFull, strings.Repeat("retrying the append ", 10))})
			},
			end:   func(m *tui.Model) { press(m, "j", 50) },
			title: "The journal is failing",
			want:  []string{"[esc] close", "JOURNAL"},
		},
	}
	for _, d := range dialogs {
		t.Run(d.name, func(t *testing.T) {
			f := newShellWith(t, shellOpts{title: wideTitle, actor: wideActor})
			m := f.model
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
			d.open(t, m)
			for _, s := range sizes {
				w, h := s[0], s[1]
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				what := fmt.Sprintf("%s dialog", d.name)
				if w < tui.MinWidth || h < tui.MinHeight {
					screenOK(t, what, m.View(), w, h, tooSmall)
					continue
				}
				v := m.View()
				screenOK(t, what, v, w, h, d.want...)
				checkDialog(t, v, ansi.Truncate(d.title, 10, ""))
				d.end(m)
				v = m.View()
				screenOK(t, what+" at its end", v, w, h, append(d.want, d.wantEnd...)...)
				checkDialog(t, v, ansi.Truncate(d.title, 10, ""))
				scrolledToEnd(t, what, v)
			}
		})
	}
}

// offerPane offers n actions to the palette (a pane with a long list of
// objects, each with its action).
type offerPane struct {
	stubPane
	n int
}

func (p *offerPane) Offers() []common.Offer {
	out := make([]common.Offer, p.n)
	for i := range out {
		out[i] = common.Offer{Name: fmt.Sprintf("Offer %02d for %s", i, wide), Key: "x"}
	}
	out[p.n-1].Name = "The last offer " + wide
	return out
}
func (p *offerPane) Update(tea.Msg) (common.Pane, tea.Cmd) { return p, nil }
func (p *offerPane) FullHelp() [][]bkey.Binding            { return nil }

// The palette with more actions than fit: the selection moved to the end
// is on screen at every size, and moving back up shows the start again.
func TestSizesPaletteSelectionStaysVisible(t *testing.T) {
	f := newShellWith(t, shellOpts{title: wideTitle, actor: wideActor, extra: func(common.Common) []tui.PaneSpec {
		return []tui.PaneSpec{{Pane: &offerPane{n: 60}, Tab: "Offers"}}
	}})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	// Focused, the offering pane's actions come first.
	drive(m, key(fmt.Sprint(m.Panes())))
	drive(m, key(":"))
	for _, s := range sizes {
		w, h := s[0], s[1]
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		if w < tui.MinWidth || h < tui.MinHeight {
			screenOK(t, "palette", m.View(), w, h, tooSmall)
			continue
		}
		press(m, "down", 200)
		v := m.View()
		// The last action is "Go to Stub" (the offering pane); the selection marker is on it.
		screenOK(t, "palette at its end", v, w, h, "▸ Go to Stub", "[enter] run")
		checkDialog(t, v, ": ")
		press(m, "up", 200)
		screenOK(t, "palette at its start", m.View(), w, h, "▸ Offer 00", "[enter] run")
	}
	// Filtered to a few, the selection still runs what it shows.
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	drive(m, paste("last offer"))
	screenOK(t, "filtered palette", m.View(), 40, 10, "▸ The last offer")
}

// Item 9: the status bar keeps the severity, the clock, the badges and
// (while a few columns remain) the actor; a long title gives way first.
func TestStatusBarKeepsWhatMatters(t *testing.T) {
	for _, w := range []int{300, 120, 80, 60, 40} {
		for _, failing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/failing=%v", w, failing), func(t *testing.T) {
				f := newShellWith(t, shellOpts{title: wideTitle, actor: "alice", mode: common.Mode{ReadOnly: true}})
				m := f.model
				m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
				if failing {
					drive(m, common.EventMsg{Event: incident.Event{Time: t0, Kind: incident.KindNote}, Err: errDiskFull})
				}
				bar := strings.Split(m.View(), "\n")[0]
				want := []string{"P1", "⏱ 1:30", "DRILL"}
				if failing {
					want = append(want, "JOURNAL")
				}
				if !failing || w >= 60 {
					want = append(want, "@alice")
				}
				if plain := ansi.Strip(bar); !strings.Contains(plain, "READ-ONLY") && !strings.Contains(plain, "RO ") {
					t.Errorf("the read-only badge is gone: %q", bar)
				}
				if w >= 80 {
					want = append(want, "API 5xx")
				}
				screenOK(t, "status bar", bar, w, 1, want...)
				if ansi.StringWidth(bar) != w {
					t.Errorf("status bar is %d cells, want %d", ansi.StringWidth(bar), w)
				}
			})
		}
	}
}

// Item 10: while the terminal is too small nothing acts on keys: a note
// typed blind opens nothing and records nothing, q does not quit; only
// ctrl+c does (running actions are cancelled and recorded first).
func TestTooSmallActsOnNoKey(t *testing.T) {
	m, _, path := inputShell(t, 30, 8)
	for _, k := range []string{"n", "quick fix: restarted api", "enter", ":", "?", "q", "y", "tab", "u", "z"} {
		_, cmd := m.Update(key(k))
		if cmd != nil {
			t.Errorf("key %q returned a Cmd while too small", k)
		}
	}
	if !strings.Contains(m.View(), tooSmall) {
		t.Fatalf("view:\n%s", m.View())
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	v := m.View()
	if strings.Contains(v, "Add a note") || strings.Contains(v, "Keys") || strings.Contains(v, "Quit") || strings.Contains(v, "type to find") {
		t.Errorf("a dialog opened blind:\n%s", v)
	}
	if n := journalNotes(t, path); len(n) != 0 {
		t.Errorf("recorded blind: %q", n)
	}
	// A dialog open before the shrink does not take keys either.
	drive(m, key("n"))
	m.Update(tea.WindowSizeMsg{Width: 30, Height: 8})
	drive(m, paste("typed blind"))
	drive(m, key("enter"))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := m.View(); strings.Contains(v, "typed blind") || !strings.Contains(v, "Add a note") {
		t.Errorf("the open dialog took keys while too small:\n%s", v)
	}
	if n := journalNotes(t, path); len(n) != 0 {
		t.Errorf("recorded blind: %q", n)
	}
	// ctrl+c quits, without a dialog nobody could see.
	m.Update(tea.WindowSizeMsg{Width: 30, Height: 8})
	_, cmd := m.Update(key("ctrl+c"))
	quit := false
	for _, msg := range collect(cmd) {
		_, next := m.Update(msg)
		for _, x := range collect(next) {
			if _, ok := x.(tea.QuitMsg); ok {
				quit = true
			}
		}
	}
	if !quit {
		t.Error("ctrl+c did not quit while too small")
	}
}

// Item 8: a session whose every string came from a hostile journal draws
// no escape sequence but the renderer's own SGR styling, in the grid, the
// tabs and every dialog.
func TestHostileSessionDrawsOnlySGR(t *testing.T) {
	const evil = "x\x1b]0;owned\x07\x1b]52;c;cHduZWQ=\x07\x1bP+q\x1b\\\x1b[2J\x1b[1;1H\x9b31m\u202egnp\x1b_apc\x1b\\"
	ev := func(kind incident.Kind) incident.Event {
		return incident.Event{ID: incident.NewID(t0), Time: t0.Add(-60e9), Actor: "mallory" + evil, Kind: kind, Summary: "sum" + evil, Detail: "detail" + evil}
	}
	sev := ev(incident.KindSeverity)
	sev.Severity = &incident.SeverityFields{From: "P1" + evil, To: "P0", Reason: "why" + evil}
	ack := ev(incident.KindAck)
	ack.Ack = &incident.AckFields{Who: "bob" + evil, Role: "role" + evil}
	act := ev(incident.KindAction)
	act.Action = &incident.ActionFields{Phase: incident.PhaseFinished, Title: "t" + evil, Kind: "kube", Lines: []string{"l" + evil}, Target: "tg" + evil, Error: "e" + evil, Output: "o" + evil}
	probe := ev(incident.KindProbe)
	probe.Probe = &incident.ProbeFields{Backend: "pg" + evil, State: "lost", Error: "err" + evil}
	note := ev(incident.KindNote)
	decl := ev(incident.KindDeclared)
	decl.Summary = "title" + evil
	decl.Severity = &incident.SeverityFields{To: "P1" + evil}
	// Raw: as a journal from elsewhere holds them, never cleaned by ours.
	f := newShellWith(t, shellOpts{profile: termenv.TrueColor, actor: "eve" + evil,
		raw: []incident.Event{decl, sev, ack, act, probe, note}})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	feed(m)
	m.Update(common.FlashMsg{Text: "flash" + evil, Error: true})
	views := map[string]string{"grid": m.View()}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	views["tabs"] = m.View()
	drive(m, key("q"))
	views["quit"] = m.View()
	drive(m, key("esc"))
	drive(m, key(":"))
	views["palette"] = m.View()
	drive(m, key("esc"))
	drive(m, common.ActionRequest{Action: common.Action{Title: "act" + evil, Kind: incident.ActionKube, Lines: []string{"line" + evil}, Target: "target" + evil,
		Run: func(_ context.Context, progress func(string)) common.Outcome {
			progress("out" + evil)
			return common.Outcome{Result: "res" + evil, Err: fmt.Errorf("failed%s", evil)}
		}}})
	views["confirm"] = m.View()
	drive(m, key("y"))
	views["running"] = m.View()
	drive(m, key("esc"))
	drive(m, common.EventMsg{Event: incident.Event{Time: t0, Kind: incident.KindNote}, Err: fmt.Errorf("disk%s", evil)})
	views["journal"] = m.View()
	sgr := regexp.MustCompile(`\x1b\[[0-9;:]*m`)
	for name, v := range views {
		rest := sgr.ReplaceAllString(v, "")
		for i, r := range rest {
			if r == '\n' {
				continue
			}
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u202e' {
				t.Errorf("%s view: control %U at byte %d: %q", name, r, i, rest[max(i-20, 0):min(i+20, len(rest))])
				break
			}
		}
	}
	for _, want := range []string{"title", "flash"} {
		if !strings.Contains(ansi.Strip(views["grid"]), want) {
			t.Errorf("the grid lacks %q, cleaned", want)
		}
	}
}
