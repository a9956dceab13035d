package tui_test

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/memjournal"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
)

func triage(t *testing.T) incident.Checklist {
	t.Helper()
	l, ok := incident.ChecklistByName(incident.ChecklistTriage)
	if !ok || len(l.Items) != 6 {
		t.Fatalf("the triage checklist: %+v", l)
	}
	return l
}

// checklistShell is the shell with the triage checklist open, acted on by
// bob (the incident was declared by alice).
func checklistShell(t *testing.T, w, h int) (*tui.Model, *memjournal.Journal, incident.Checklist) {
	t.Helper()
	m, _, rec := memShell(t, common.Mode{}, "bob", w, h)
	l := triage(t)
	drive(m, common.OpenChecklist(l)())
	return m, rec, l
}

// checks is every checklist event recorded.
func checks(rec *memjournal.Journal) []incident.ChecklistFields {
	var out []incident.ChecklistFields
	for _, e := range rec.Of(incident.KindChecklist) {
		out = append(out, *e.Checklist)
	}
	return out
}

// itemLine is the screen line that shows text.
func itemLine(t *testing.T, v, text string) string {
	t.Helper()
	for _, l := range strings.Split(ansi.Strip(v), "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	t.Fatalf("no line shows %q:\n%s", text, ansi.Strip(v))
	return ""
}

func TestChecklistOpensWithProgressAndEveryItem(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	v := m.View()
	if !strings.Contains(v, "Triage checklist 0/6") {
		t.Fatalf("no title with progress:\n%s", v)
	}
	for i, item := range l.Items {
		if line := itemLine(t, v, item); !strings.Contains(line, fmt.Sprintf("%d [ ] %s", i+1, item)) {
			t.Errorf("item %d drawn as %q", i, line)
		}
	}
	if !strings.Contains(itemLine(t, v, l.Items[0]), "▸") {
		t.Error("the cursor is not on the first item")
	}
	if !strings.Contains(v, "[space/x] check/uncheck") || !strings.Contains(v, "[esc/q/enter] close") {
		t.Errorf("no key hints:\n%s", v)
	}
	if n := len(checks(rec)); n != 0 {
		t.Errorf("opening recorded %d events", n)
	}
}

func TestChecklistSpaceChecksAndUnchecks(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	drive(m, key(" "))
	got := rec.Of(incident.KindChecklist)
	if len(got) != 1 {
		t.Fatalf("recorded %d checklist events, want 1", len(got))
	}
	if f := got[0].Checklist; f.List != incident.ChecklistTriage || f.Item != 0 || !f.Checked || got[0].Actor != "bob" || !got[0].Time.Equal(t0) {
		t.Errorf("recorded %+v by %q at %s", f, got[0].Actor, got[0].Time)
	}
	v := m.View()
	if !strings.Contains(v, "Triage checklist 1/6") {
		t.Errorf("progress not updated:\n%s", v)
	}
	if line := itemLine(t, v, l.Items[0]); !strings.Contains(line, "[x] "+l.Items[0]+" · 03:12 bob") {
		t.Errorf("checked item drawn as %q", line)
	}
	if s := m.Session().Checklists[incident.ChecklistTriage]; len(s) < 1 || !s[0].Checked {
		t.Errorf("the session does not hold the check: %+v", s)
	}

	drive(m, key("x"))
	cs := checks(rec)
	if len(cs) != 2 || cs[1].Item != 0 || cs[1].Checked {
		t.Fatalf("second toggle recorded %+v", cs)
	}
	v = m.View()
	if !strings.Contains(v, "Triage checklist 0/6") || !strings.Contains(itemLine(t, v, l.Items[0]), "[ ] "+l.Items[0]) {
		t.Errorf("unchecked item:\n%s", v)
	}
	if strings.Contains(itemLine(t, v, l.Items[0]), "03:12") {
		t.Error("an unchecked item still says when it was checked")
	}
}

func TestChecklistDigitTogglesThatItem(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	drive(m, key("3"))
	cs := checks(rec)
	if len(cs) != 1 || cs[0].Item != 2 || !cs[0].Checked || cs[0].Text != l.Items[2] {
		t.Fatalf("3 recorded %+v", cs)
	}
	v := m.View()
	if line := itemLine(t, v, l.Items[2]); !strings.Contains(line, "▸ 3 [x]") {
		t.Errorf("item 3 drawn as %q", line)
	}
	// Moving and space act on the item under the cursor.
	drive(m, key("j"))
	drive(m, key("down"))
	drive(m, key("k"))
	drive(m, key(" "))
	if cs := checks(rec); len(cs) != 2 || cs[1].Item != 3 {
		t.Fatalf("j j k space recorded %+v", cs)
	}
	// A digit past the list does nothing; q closes.
	drive(m, key("9"))
	if n := len(checks(rec)); n != 2 {
		t.Errorf("9 recorded an event on a list of 6")
	}
	drive(m, key("q"))
	if v := m.View(); strings.Contains(v, "Triage checklist") {
		t.Errorf("q did not close it:\n%s", v)
	}
}

// While an item's write is under way it shows "…" and a second toggle of
// it is ignored: one press, one event.
func TestChecklistToggleInFlightIsNotRepeated(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	_, cmd := m.Update(key(" "))
	if cmd == nil {
		t.Fatal("space did nothing")
	}
	if line := itemLine(t, m.View(), l.Items[0]); !strings.Contains(line, "[…]") {
		t.Errorf("item in flight drawn as %q", line)
	}
	if _, again := m.Update(key(" ")); again != nil {
		t.Error("a second toggle of an item in flight was not ignored")
	}
	for _, msg := range collect(cmd) {
		drive(m, msg)
	}
	if cs := checks(rec); len(cs) != 1 || !cs[0].Checked {
		t.Fatalf("recorded %+v", cs)
	}
	if line := itemLine(t, m.View(), l.Items[0]); !strings.Contains(line, "[x]") {
		t.Errorf("item after its write drawn as %q", line)
	}
}

// Closed and opened again while a toggle is being written: the item is
// still in flight, not toggled a second time.
func TestChecklistInFlightAcrossReopening(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	_, cmd := m.Update(key(" "))
	if cmd == nil {
		t.Fatal("space did nothing")
	}
	drive(m, key("esc"))
	drive(m, common.ChecklistRequest{List: l})
	if _, again := m.Update(key(" ")); again != nil {
		t.Error("the reopened dialog toggled an item still in flight")
	}
	for _, msg := range collect(cmd) {
		drive(m, msg)
	}
	if cs := checks(rec); len(cs) != 1 {
		t.Fatalf("recorded %d checklist events, want 1", len(cs))
	}
}

// A write that fails leaves the item as it was and says why, in the
// dialog and as a journal failure; the next toggle that is written clears
// it.
func TestChecklistFailedWriteShowsTheError(t *testing.T) {
	m, rec, l := checklistShell(t, 120, 36)
	rec.Fail(errDiskFull)
	drive(m, key(" "))
	v := m.View()
	if !strings.Contains(v, "NOT SAVED — item 1 is unchanged") || !strings.Contains(v, "no space left on device") {
		t.Errorf("the dialog does not say the write failed:\n%s", v)
	}
	if line := itemLine(t, v, l.Items[0]); !strings.Contains(line, "[ ] "+l.Items[0]) {
		t.Errorf("a check that was not recorded shows as %q", line)
	}
	if !strings.Contains(v, "0/6") || !strings.Contains(v, "JOURNAL") {
		t.Errorf("progress or journal failure:\n%s", v)
	}
	if m.JournalFailing() == "" {
		t.Error("the failed write did not go through the journal's failure path")
	}
	if !strings.Contains(v, "Triage checklist") {
		t.Fatal("the dialog closed on a failed write")
	}
	rec.Fail(nil)
	drive(m, key(" "))
	v = m.View()
	if strings.Contains(v, "NOT SAVED") || !strings.Contains(itemLine(t, v, l.Items[0]), "[x]") || m.JournalFailing() != "" {
		t.Errorf("after a write that succeeded:\n%s", v)
	}
	if cs := checks(rec); len(cs) != 1 {
		t.Errorf("recorded %+v", cs)
	}
}

// The dialog follows the incident: an item checked elsewhere (another
// console, a resumed journal) shows at once, with who checked it.
func TestChecklistFollowsTheIncident(t *testing.T) {
	m, _, l := checklistShell(t, 120, 36)
	ev := incident.Checked("carol", l, 4, true, t0.Add(-2*60e9))
	ev.ID = incident.NewID(ev.Time)
	drive(m, common.EventMsg{Event: ev})
	v := m.View()
	if !strings.Contains(v, "Triage checklist 1/6") || !strings.Contains(itemLine(t, v, l.Items[4]), "[x] "+l.Items[4]+" · 03:10 carol") {
		t.Errorf("an item checked elsewhere:\n%s", v)
	}
	// Opened again later, it starts from the incident too.
	drive(m, key("esc"))
	drive(m, common.OpenChecklist(l)())
	if v := m.View(); !strings.Contains(v, "Triage checklist 1/6") {
		t.Errorf("reopened:\n%s", v)
	}
}

// The dialog fits: every line within the width, no more lines than the
// screen, at 80x24 and at the smallest usable screen.
func TestChecklistFits(t *testing.T) {
	for _, s := range [][2]int{{80, 24}, {40, 10}} {
		w, h := s[0], s[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			m, rec, l := checklistShell(t, w, h)
			drive(m, key(" "))
			rec.Fail(errDiskFull)
			drive(m, key("2"))
			for i := range l.Items {
				drive(m, key(fmt.Sprint(i+1))) // moves there (its write fails)
				v := m.View()
				lines := strings.Split(v, "\n")
				if len(lines) > h {
					t.Fatalf("%d lines on a screen of %d:\n%s", len(lines), h, v)
				}
				for n, line := range lines {
					if cw := ansi.StringWidth(line); cw > w {
						t.Fatalf("line %d is %d cells on a screen of %d: %q", n, cw, w, ansi.Strip(line))
					}
				}
				// The cursor's item is on screen, and so are the title and the key to close.
				screenOK(t, "checklist", v, w, h, "▸ "+fmt.Sprint(i+1), "Triage checklist", "close")
				checkDialog(t, v, "Triage")
			}
		})
	}
}

// Every size, with a long list of long, wide items: the box holds, the
// cursor's item is on screen at the end of the list and back at its start.
func TestSizesChecklistDialog(t *testing.T) {
	l := incident.Checklist{Name: "long", Title: "A long checklist " + wide}
	for i := range 12 {
		l.Items = append(l.Items, fmt.Sprintf("Item %02d %s %s", i+1, wide, strings.Repeat("words that wrap ", 8)))
	}
	l.Items = append(l.Items, "LAST "+strings.Repeat("x", 200))
	m, _, _ := memShell(t, common.Mode{}, wideActor, 120, 36)
	drive(m, common.OpenChecklist(l)())
	drive(m, key("2")) // checked, by the wide actor
	for _, s := range sizes {
		w, h := s[0], s[1]
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		if w < tui.MinWidth || h < tui.MinHeight {
			screenOK(t, "checklist", m.View(), w, h, tooSmall)
			continue
		}
		press(m, "j", 20)
		v := m.View()
		screenOK(t, "checklist at its end", v, w, h, "▸", "LAST", "close")
		checkDialog(t, v, "A long")
		press(m, "k", 20)
		v = m.View()
		screenOK(t, "checklist at its start", v, w, h, "▸ 1 [ ] Item 01", "close")
		checkDialog(t, v, "A long")
	}
}
