package tui_test

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// flakyRecorder is a journal that fails (a full disk) until told to
// recover; it counts what reached the real journal.
type flakyRecorder struct {
	mu   sync.Mutex
	j    common.Recorder
	err  error // nil: writes go through
	ok   int
	fail int
}

func (r *flakyRecorder) Append(ev incident.Event) (incident.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		r.fail++
		return incident.Event{}, r.err
	}
	r.ok++
	return r.j.Append(ev)
}

func (r *flakyRecorder) set(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

var errDiskFull = errors.New("write /var/lib/warroom/incident-20261127-031200.jsonl: no space left on device")

// inputShell is the real shell over one stub pane and a real journal
// behind a flakyRecorder, at w x h.
func inputShell(t testing.TB, w, h int) (*tui.Model, *flakyRecorder, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	decl, err := j.Append(incident.Declared("alice", "api 5xx", incident.P1, t0))
	if err != nil {
		t.Fatal(err)
	}
	rec := &flakyRecorder{j: j}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }, Actor: "alice", Journal: rec}
	m := tui.New(tui.Options{Common: c, Panes: []tui.PaneSpec{{Pane: &stubPane{}, Tab: "Stub"}},
		Session: incident.Fold([]incident.Event{decl}), JournalPath: path})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, rec, path
}

// paste is text as the terminal hands a paste (or fast typing) over.
func paste(s string) tea.KeyMsg {
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true}
}

func journalNotes(t *testing.T, path string) []string {
	t.Helper()
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Kind == incident.KindNote {
			out = append(out, e.Summary)
		}
	}
	return out
}

// Item 5: a note whose write fails stays in its dialog, with the error;
// the journal's failure shows until a write succeeds; enter retries.
func TestFailedNoteWriteKeepsTheTextUntilItIsSaved(t *testing.T) {
	m, rec, path := inputShell(t, 80, 24)
	rec.set(errDiskFull)
	note := "rolled back api 👩‍💻 ❤️ 中文, pool drained"
	drive(m, key("n"))
	drive(m, paste(note))
	drive(m, key("enter"))
	v := m.View()
	checkFits(t, v, 80, 24)
	for _, want := range []string{"Add a note", "rolled back api", "NOT SAVED", "no space left on", "JOURNAL FAILING", "[enter] retry"} {
		if !strings.Contains(v, want) {
			t.Errorf("after the failed write the screen lacks %q:\n%s", want, v)
		}
	}
	if n := journalNotes(t, path); len(n) != 0 {
		t.Fatalf("notes on disk while the journal fails: %q", n)
	}
	if m.JournalFailing() == "" {
		t.Fatal("the shell does not know the journal is failing")
	}
	// Other keys and other failures do not clear it.
	drive(m, common.EventMsg{Event: incident.Event{Time: t0, Kind: incident.KindProbe, Summary: "pg lost"}, Err: errDiskFull})
	if v := m.View(); !strings.Contains(v, "JOURNAL FAILING") || !strings.Contains(v, "rolled back api") {
		t.Fatalf("a second failure lost the badge or the text:\n%s", v)
	}
	// A retry that fails again keeps it all.
	drive(m, key("enter"))
	if v := m.View(); !strings.Contains(v, "NOT SAVED") || !strings.Contains(v, "rolled back api") {
		t.Fatalf("a failed retry lost the text:\n%s", v)
	}
	rec.set(nil)
	drive(m, key("enter"))
	v = m.View()
	if strings.Contains(v, "JOURNAL FAILING") || strings.Contains(v, "Add a note") {
		t.Errorf("after a successful write the badge or the dialog remain:\n%s", v)
	}
	if !strings.Contains(v, "writing again") {
		t.Errorf("the recovery is not said:\n%s", v)
	}
	if m.JournalFailing() != "" {
		t.Error("the shell still thinks the journal fails")
	}
	if n := journalNotes(t, path); len(n) != 1 || n[0] != note {
		t.Fatalf("journal notes %q, want exactly %q", n, note)
	}
}

// esc after a failed save does not throw the text away at once: it asks,
// and a second esc discards it, explicitly.
func TestEscAfterAFailedSaveAsksBeforeDiscarding(t *testing.T) {
	m, rec, path := inputShell(t, 80, 24)
	rec.set(errDiskFull)
	drive(m, key("n"))
	drive(m, paste("keep me"))
	drive(m, key("enter"))
	drive(m, key("esc"))
	v := m.View()
	if !strings.Contains(v, "keep me") || !strings.Contains(v, "again to discard") {
		t.Fatalf("one esc discarded a note that is not saved:\n%s", v)
	}
	drive(m, paste("!")) // any other key: esc asks again
	drive(m, key("esc"))
	if !strings.Contains(m.View(), "keep me!") {
		t.Fatal("the esc after an edit discarded the note at once")
	}
	drive(m, key("esc"))
	if strings.Contains(m.View(), "keep me") {
		t.Fatalf("two esc did not discard:\n%s", m.View())
	}
	if len(journalNotes(t, path)) != 0 {
		t.Error("a discarded note was recorded")
	}
}

// The hold is generic: any input dialog whose submit records an event
// (a severity change here) keeps every field's text when the write fails.
func TestAnyRecordingInputDialogKeepsItsText(t *testing.T) {
	m, rec, path := inputShell(t, 80, 24)
	rec.set(errDiskFull)
	req := common.InputRequest{
		Title: "Change severity",
		Fields: []common.Field{
			{Name: "to", Label: "Severity", Default: "P1"},
			{Name: "reason", Label: "Reason"},
		},
		OnSubmit: func(v map[string]string) tea.Cmd {
			to, err := incident.ParseSeverity(v["to"])
			if err != nil {
				return common.Flash(err.Error(), true)
			}
			ev := incident.SeverityChange("alice", incident.P1, to, "", t0)
			ev.Severity.Reason = v["reason"]
			return common.RecordEvent(rec, ev)
		},
	}
	drive(m, req)
	drive(m, key("ctrl+u")) // clear "P1"
	drive(m, paste("P0"))
	drive(m, key("tab"))
	drive(m, paste("checkout down for all 🇫🇷 users"))
	drive(m, key("enter"))
	v := m.View()
	if !strings.Contains(v, "P0") || !strings.Contains(v, "checkout down") || !strings.Contains(v, "NOT SAVED") {
		t.Fatalf("the failed severity change lost its fields:\n%s", v)
	}
	rec.set(nil)
	drive(m, key("enter"))
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != incident.KindSeverity || last.Severity == nil || last.Severity.To != "P0" || !strings.Contains(last.Severity.Reason, "checkout down") {
		t.Fatalf("recorded %+v", last)
	}
	if strings.Contains(m.View(), "Change severity") {
		t.Error("the dialog is still open after the change was recorded")
	}
}

// A submit that records nothing (a Flash here) closes the dialog and its
// message goes on as usual.
func TestInputSubmitThatIsNotAnEventCloses(t *testing.T) {
	m, _, _ := inputShell(t, 80, 24)
	drive(m, common.InputRequest{Title: "Search", Fields: []common.Field{{Name: "q", Label: "Query"}},
		OnSubmit: func(v map[string]string) tea.Cmd { return common.Flash("searched for "+v["q"], false) }})
	drive(m, paste("oom"))
	drive(m, key("enter"))
	v := m.View()
	if strings.Contains(v, "Query") || !strings.Contains(v, "searched for oom") {
		t.Fatalf("dialog open or flash lost:\n%s", v)
	}
}

// Item 6: a note takes 10,000 characters; near the limit a counter shows,
// at it more is refused with a message, never cut silently.
func TestNoteLimitIsVisibleAndNeverCutsSilently(t *testing.T) {
	m, _, path := inputShell(t, 80, 24)
	drive(m, key("n"))
	drive(m, paste(strings.Repeat("x", 7000)))
	if strings.Contains(m.View(), "/ 10,000") {
		t.Error("the counter shows far from the limit")
	}
	drive(m, paste(strings.Repeat("y", 2000)))
	if !strings.Contains(m.View(), "9,000 / 10,000 characters") {
		t.Errorf("no counter near the limit:\n%s", m.View())
	}
	drive(m, paste(strings.Repeat("z", 1500))) // does not fit: refused whole
	v := m.View()
	if !strings.Contains(v, "Not pasted: 1,500 characters do not fit (1,000 left of 10,000)") || !strings.Contains(v, "9,000 / 10,000") {
		t.Errorf("an oversized paste was not refused visibly:\n%s", v)
	}
	drive(m, paste(strings.Repeat("z", 1000)))
	drive(m, key("!"))
	v = m.View()
	if !strings.Contains(v, "10,000 / 10,000") || !strings.Contains(v, "at its limit of 10,000 characters") {
		t.Errorf("typing at the limit was not refused visibly:\n%s", v)
	}
	checkFits(t, v, 80, 24)
	drive(m, key("enter"))
	n := journalNotes(t, path)
	if len(n) != 1 || len(n[0]) != 10000 || !strings.HasSuffix(n[0], "zzz") {
		t.Fatalf("recorded %d notes, first %d long", len(n), len(n[0]))
	}
}

// A field sets its own limit.
func TestFieldSetsItsOwnLimit(t *testing.T) {
	m, _, _ := inputShell(t, 80, 24)
	var got string
	drive(m, common.InputRequest{Title: "Ack", Fields: []common.Field{{Name: "who", Label: "Who", MaxLen: 5}},
		OnSubmit: func(v map[string]string) tea.Cmd { got = v["who"]; return nil }})
	drive(m, paste("alice"))
	drive(m, key("x"))
	if v := m.View(); !strings.Contains(v, "at its limit of 5 characters") || !strings.Contains(v, "5 / 5") {
		t.Errorf("no limit message:\n%s", v)
	}
	drive(m, key("enter"))
	if got != "alice" {
		t.Errorf("submitted %q", got)
	}
}

// Item 6 and 13: 5,000 characters of mixed text (emoji with VS16, ZWJ
// sequences, flags, CJK) scroll inside the field: the dialog stays on
// screen, its borders aligned, the cursor's line (the end) visible.
func TestLongNoteDialogStaysOnScreen(t *testing.T) {
	unit := "❤️ ✔️ 👩‍💻 👨‍👩‍👧‍👦 🇫🇷 中文 note "
	text := strings.Repeat(unit, 5000/len([]rune(unit))) + "THE END"
	for _, size := range [][2]int{{80, 24}, {40, 12}, {40, 10}, {120, 36}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _, _ := inputShell(t, size[0], size[1])
			drive(m, key("n"))
			drive(m, paste(text))
			v := m.View()
			checkFits(t, v, size[0], size[1])
			checkDialog(t, v, "Add a note")
			for _, want := range []string{"THE END", "[enter] save", "[esc] cancel"} {
				if !strings.Contains(v, want) {
					t.Errorf("%q is not on screen:\n%s", want, v)
				}
			}
		})
	}
}

// A write that hangs does not hold the console: esc hides the dialog
// while it saves, and if the write then fails the dialog comes back with
// the text.
func TestNoteHiddenWhileSavingComesBackOnFailure(t *testing.T) {
	m, rec, _ := inputShell(t, 80, 24)
	rec.set(errDiskFull)
	drive(m, key("n"))
	drive(m, paste("written while the disk hangs"))
	_, save := m.Update(key("enter")) // the write, not run yet
	if v := m.View(); !strings.Contains(v, "saving to the journal") {
		t.Fatalf("no saving state:\n%s", v)
	}
	drive(m, paste("more")) // ignored while saving: what is saved is what shows
	drive(m, key("esc"))
	if v := m.View(); strings.Contains(v, "Add a note") {
		t.Fatalf("esc did not hide the saving dialog:\n%s", v)
	}
	for _, msg := range collect(save) {
		drive(m, msg)
	}
	v := m.View()
	if !strings.Contains(v, "Add a note") || !strings.Contains(v, "written while the disk hangs") || strings.Contains(v, "hangsmore") || !strings.Contains(v, "NOT SAVED") {
		t.Fatalf("the failed note did not come back as it was:\n%s", v)
	}
}

// Keys pressed while a note saves are not lost: once the write succeeds
// they go on to the console in order (here "n" opens the next note).
func TestKeysPressedWhileSavingGoOnAfterIt(t *testing.T) {
	m, _, path := inputShell(t, 80, 24)
	drive(m, key("n"))
	drive(m, paste("first"))
	_, save := m.Update(key("enter")) // the write, not run yet
	drive(m, key("n"))
	if v := m.View(); !strings.Contains(v, "saving to the journal") {
		t.Fatalf("not saving:\n%s", v)
	}
	for _, msg := range collect(save) {
		drive(m, msg)
	}
	if got := journalNotes(t, path); len(got) != 1 || got[0] != "first" {
		t.Fatalf("journal notes %q", got)
	}
	v := m.View()
	if !strings.Contains(v, "Add a note") || strings.Contains(v, "first") || strings.Contains(v, "saving") {
		t.Fatalf("the n pressed while saving did not open a new note:\n%s", v)
	}
}

// Text typed right after "n", before any Cmd has run, lands in the note:
// the dialog opens at once, so "q" or a digit in it do not act on the
// console.
func TestNoteOpensBeforeTheNextKey(t *testing.T) {
	m, _, path := inputShell(t, 80, 24)
	m.Update(key("n")) // its Cmds are not run: the next keys follow at once
	for _, r := range "quit 1z" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	drive(m, key("enter"))
	if got := journalNotes(t, path); len(got) != 1 || got[0] != "quit 1z" {
		t.Fatalf("journal notes %q\n%s", got, m.View())
	}
}

// Keys held while a note saves, then esc (which hides the saving dialog):
// the held keys act at once, in order, so a key after the esc cannot be
// overtaken by them (here "?" then esc must leave help closed).
func TestEscWhileSavingLetsHeldKeysActFirst(t *testing.T) {
	m, _, path := inputShell(t, 80, 24)
	drive(m, key("n"))
	drive(m, paste("first"))
	_, save := m.Update(key("enter")) // the write, not run yet
	m.Update(key("?"))                // held
	m.Update(key("esc"))              // hides the saving dialog
	m.Update(key("esc"))              // for the console: closes help
	for _, msg := range collect(save) {
		drive(m, msg)
	}
	if got := journalNotes(t, path); len(got) != 1 || got[0] != "first" {
		t.Fatalf("journal notes %q", got)
	}
	if v := m.View(); strings.Contains(v, "Global") || strings.Contains(v, "Add a note") {
		t.Fatalf("a dialog is left open:\n%s", v)
	}
}

// A bracketed paste brings line breaks as CR: they become newlines, so a
// pasted stack trace keeps its lines in the journal.
func TestPastedLinesKeepTheirBreaks(t *testing.T) {
	m, _, path := inputShell(t, 80, 24)
	drive(m, key("n"))
	drive(m, paste("panic: boom\r\ngoroutine 1\rmain.go:12"))
	drive(m, key("enter"))
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var note incident.Event
	for _, e := range evs {
		if e.Kind == incident.KindNote {
			note = e
		}
	}
	text := note.Summary + "\n" + note.Detail
	if strings.Contains(text, "boomgoroutine") || strings.Contains(text, "1main") || !strings.Contains(text, "boom") {
		t.Fatalf("the paste lost its line breaks: %q", text)
	}
}

// A secret field shows dots, never what is typed.
func TestInputSecretFieldShowsDots(t *testing.T) {
	m, _, _ := actionShell(t, common.Mode{})
	var got string
	drive(m, common.InputRequest{Title: "token", Fields: []common.Field{{Name: "t", Label: "Token", Secret: true}},
		OnSubmit: func(v map[string]string) tea.Cmd { got = v["t"]; return nil }})
	for _, r := range "hunter22" {
		drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	v := m.View()
	if strings.Contains(v, "hunter22") || !strings.Contains(v, "••••••••") {
		t.Fatalf("secret field shows:\n%s", v)
	}
	drive(m, key("enter"))
	if got != "hunter22" {
		t.Fatalf("submitted %q", got)
	}
}
