package tui_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/panes/errorrate"
	"github.com/warroom-dev/warroom/panes/escalation"
	"github.com/warroom-dev/warroom/panes/pods"
	"github.com/warroom-dev/warroom/panes/queries"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/panes/timeline"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// t0 is the tests' fixed "now": 03:12 UTC, when people get woken.
var t0 = time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

type fixture struct {
	model   *tui.Model
	journal string
}

// newShell builds the real shell and panes over the drill, with a fixed
// clock, an Ascii renderer and a real journal in a temp dir.
func newShell(t testing.TB, mode common.Mode) fixture {
	t.Helper()
	return newShellProfile(t, mode, termenv.Ascii)
}

func newShellProfile(t testing.TB, mode common.Mode, profile termenv.Profile) fixture {
	t.Helper()
	return newShellWith(t, shellOpts{mode: mode, profile: profile})
}

// shellOpts vary the drill shell for a test.
type shellOpts struct {
	mode    common.Mode
	profile termenv.Profile
	title   string // the incident's title (drill.Title if empty)
	actor   string // who is at the keyboard ("alice" if empty)
	// recorder, if set, wraps the real journal (a journal that fails).
	recorder func(common.Recorder) common.Recorder
	// extra panes, after the drill's six.
	extra func(common.Common) []tui.PaneSpec
	// events are appended to the journal after the declaration.
	events []incident.Event
	// raw events reach the session and the panes as they are, not through
	// the journal (which cleans them): a journal another program wrote.
	raw []incident.Event
}

// newShellWith builds the real shell and panes over the drill, with a fixed
// clock, a real journal in a temp dir, and what o changes.
func newShellWith(t testing.TB, o shellOpts) fixture {
	t.Helper()
	if o.title == "" {
		o.title = drill.Title
	}
	if o.actor == "" {
		o.actor = "alice"
	}
	now := func() time.Time { return t0 }
	start := t0.Add(-90 * time.Second)
	sc := drill.New(start, now)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	ev, err := j.Append(incident.Declared(o.actor, o.title, drill.Severity, start))
	if err != nil {
		t.Fatal(err)
	}
	events := []incident.Event{ev}
	for _, e := range o.events {
		if e, err = j.Append(e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	events = append(events, o.raw...)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(o.profile)
	r.SetHasDarkBackground(true)
	mode := o.mode
	mode.Drill = true
	var rec common.Recorder = j
	if o.recorder != nil {
		rec = o.recorder(j)
	}
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: now, Actor: o.actor, Mode: mode, Journal: rec}
	books, err := runbooks.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	refresh := time.Hour // one fetch per pane: the screen stays still
	panes := []tui.PaneSpec{
		{Pane: pods.New(c, sc.Kube(), pods.Config{Namespaces: []string{drill.Namespace}}), Tab: "Pods"},
		{Pane: errorrate.New(c, sc.Prom(), errorrate.Config{Refresh: refresh}), Tab: "Errors"},
		{Pane: queries.New(c, sc.PG(), sc.RDS(), queries.Config{Refresh: refresh, RDSInstance: drill.InstanceID}), Tab: "Queries"},
		{Pane: escalation.New(c, escalation.Config{Session: incident.Fold(events)}), Tab: "Escalation"},
		{Pane: runbook.New(c, runbooks.NewIndex(books), runbook.Config{}), Tab: "Runbooks", Place: tui.PlaceSidebar},
		{Pane: timeline.New(c, timeline.Config{Events: events}), Tab: "Timeline", Place: tui.PlaceStrip},
	}
	if o.extra != nil {
		panes = append(panes, o.extra(c)...)
	}
	m := tui.New(tui.Options{
		Common:      c,
		Panes:       panes,
		Session:     incident.Fold(events),
		JournalPath: path,
		Resume:      "warroom demo --journal " + path,
	})
	return fixture{model: m, journal: path}
}

// start runs the program at w x h and waits until every pane has data.
func start(t *testing.T, f fixture, w, h int) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, f.model, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	waitFor(t, tm, "10 pods", "5xx ratio now", "connections")
	return tm
}

// startSettled is start, waiting also for what the drill shell records
// by itself at start (the escalation step's hook "would run", the
// alerts), so a golden does not depend on how far the program got.
func startSettled(t *testing.T, f fixture, w, h int) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, f.model, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	row := regexp.MustCompile(`action +warroom +would run`)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		plain := ansi.Strip(string(b))
		for _, want := range []string{"10 pods", "5xx ratio now", "connections", "PostgresLockWait firing"} {
			if !strings.Contains(plain, want) {
				return false
			}
		}
		// The runbook sidebar has every pane's signals: four runbooks
		// suggested, API Service Down (crash loops and 5xx) first. Only
		// changed lines are redrawn, so the last drawing of each tells.
		if h := strings.LastIndex(plain, "5 runbooks · "); h < 0 || !strings.HasPrefix(plain[h:], "5 runbooks · 4 suggested") {
			return false
		}
		if top := strings.LastIndex(plain, "▸ ★ "); top < 0 || !strings.HasPrefix(plain[top:], "▸ ★ API Service Down") ||
			!strings.Contains(plain, "suggested: 5xx at") {
			return false
		}
		return row.MatchString(plain)
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	return tm
}

func waitFor(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func final(t *testing.T, tm *teatest.TestModel) *tui.Model {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
}

// checkFits fails unless view is exactly w x h cells: nothing wraps or overlaps.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells wide, want %d: %q", i, got, w, l)
		}
	}
}

func key(s string) tea.KeyMsg { return keymsg.Of(s) }

func TestGrid160x48(t *testing.T) {
	tm := startSettled(t, newShell(t, common.Mode{}), 160, 48)
	v := final(t, tm).View()
	checkFits(t, v, 160, 48)
	for _, want := range []string{"1 Pods", "2 Error rate", "3 Slow queries", "4 Escalation", "5 Runbooks", "6 Timeline", "DRILL", "CrashLoopBackOff", "⛔ 4100"} {
		if !strings.Contains(v, want) {
			t.Errorf("grid view lacks %q", want)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

func TestResize160x48To80x24(t *testing.T) {
	tm := startSettled(t, newShell(t, common.Mode{}), 160, 48)
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	waitFor(t, tm, "1 Pods  2 Errors")
	v := final(t, tm).View()
	checkFits(t, v, 80, 24)
	golden.RequireEqual(t, []byte(v))
}

// Every size from tiny to huge draws exactly its own cells, in every
// focus, zoomed or not.
func TestLayoutNeverOverflows(t *testing.T) {
	f := newShell(t, common.Mode{})
	m := f.model
	// Feed the panes once, as the program would.
	var msgs []tea.Msg
	if cmd := m.Init(); cmd != nil {
		msgs = collect(cmd)
	}
	for _, msg := range msgs {
		m.Update(msg)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	if v := m.View(); !strings.Contains(v, "10 pods") || !strings.Contains(v, "connections") {
		t.Fatalf("the panes got no data before the size sweep:\n%s", v)
	}
	sizes := [][2]int{{200, 60}, {160, 48}, {120, 36}, {119, 36}, {120, 35}, {100, 30}, {80, 24}, {60, 16}, {40, 10}, {39, 9}, {20, 5}}
	for _, s := range sizes {
		m.Update(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
		for focus := 0; focus < 6; focus++ {
			m.Update(key(fmt.Sprint(focus + 1)))
			checkFits(t, m.View(), s[0], s[1])
			m.Update(key("z"))
			checkFits(t, m.View(), s[0], s[1])
			m.Update(key("z"))
		}
		m.Update(key("?"))
		checkFits(t, m.View(), s[0], s[1])
		m.Update(key("esc"))
	}
}

// collect runs a Cmd (and the Cmds of batches) to its messages.
func collect(cmd tea.Cmd) []tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(3 * time.Second):
		// Only the feeds' hour-long ticks take this long; the shell's 1 s
		// clock tick and every fetch (even under -race) arrive first.
		return nil
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			if c != nil {
				out = append(out, collect(c)...)
			}
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestFocusKeys(t *testing.T) {
	tm := start(t, newShell(t, common.Mode{}), 160, 48)
	for _, k := range []string{"tab", "tab", "shift+tab", "5", "tab", "tab"} {
		tm.Send(key(k))
	}
	// 0 →tab 1 →tab 2 →shift+tab 1 →"5" 4 →tab 5 →tab wraps to 0
	if got := final(t, tm).Focused(); got != 0 {
		t.Fatalf("focus = %d, want 0", got)
	}
}

func TestJumpKey(t *testing.T) {
	tm := start(t, newShell(t, common.Mode{}), 160, 48)
	tm.Send(key("4"))
	if got := final(t, tm).Focused(); got != 3 {
		t.Fatalf("focus = %d, want 3", got)
	}
}

// ? lists every binding the shell, every pane and the dialogs have: help is
// generated from the bindings, so it cannot drift.
func TestHelpListsEveryBinding(t *testing.T) {
	f := newShell(t, common.Mode{})
	tm := startSettled(t, f, 160, 48)
	tm.Send(key("?"))
	waitFor(t, tm, "Keys")
	m := final(t, tm)
	v := m.View()
	checkFits(t, v, 160, 48)
	want := []string{"next pane", "previous pane", "jump to pane", "zoom pane", "add note", "redraw", "quit",
		"search by symptom", "open runbook", "filter by kind (cycle)", "page down", "confirm", "cancel"}
	// And every enabled binding of every map, as the panes describe them.
	maps := []help.KeyMap{tui.DefaultKeyMap(m.Panes()), tui.DefaultDialogKeyMap(), tui.DefaultChecklistKeyMap(9)}
	for i := 0; i < m.Panes(); i++ {
		maps = append(maps, m.Pane(i))
	}
	for _, km := range maps {
		for _, col := range km.FullHelp() {
			for _, b := range col {
				if b.Enabled() {
					want = append(want, b.Help().Desc)
				}
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	golden.RequireEqual(t, []byte(v))
}

func TestConfirmDialogTrapsKeysAndRunsOnlyOnYes(t *testing.T) {
	tm := start(t, newShell(t, common.Mode{}), 160, 48)
	var confirmed, cancelled atomic.Int32
	req := common.ConfirmRequest{
		Title:     "Roll back deployment/api",
		Lines:     []string{"kubectl rollout undo deployment/api -n agent-platform"},
		OnConfirm: func() tea.Msg { confirmed.Add(1); return nil },
		OnCancel:  func() tea.Msg { cancelled.Add(1); return nil },
	}
	tm.Send(req)
	waitFor(t, tm, "Roll back deployment/api", "kubectl rollout undo deployment/api -n agent-platform")
	tm.Send(key("tab")) // trapped: focus must not move
	tm.Send(key("q"))   // trapped: must not open the quit dialog
	tm.Send(key("n"))   // cancel
	// The same dialog again could render as an unchanged frame: retitle it.
	req.Title = "Roll back deployment/api, second try"
	tm.Send(req)
	waitFor(t, tm, "second try")
	tm.Send(key("y"))
	// OnConfirm runs as a Cmd: wait for it before quitting the program, or
	// a loaded machine quits first (a liveness bound, not a timing check).
	for deadline := time.Now().Add(10 * time.Second); confirmed.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	m := final(t, tm)
	if m.Focused() != 0 {
		t.Errorf("a key leaked through the dialog: focus moved to %d", m.Focused())
	}
	if confirmed.Load() != 1 || cancelled.Load() != 1 {
		t.Errorf("confirmed=%d cancelled=%d, want 1 and 1", confirmed.Load(), cancelled.Load())
	}
}

func TestNoteGoesToJournalThenTimeline(t *testing.T) {
	f := newShell(t, common.Mode{})
	tm := start(t, f, 160, 48)
	tm.Send(key("n"))
	waitFor(t, tm, "Add a note to the timeline")
	tm.Type("rolled back api to revision 1")
	tm.Send(key("enter"))
	// The timeline's line, not the dialog's echo of what was typed.
	waitFor(t, tm, "note          alice      rolled back api to revision 1")
	v := final(t, tm).View()
	data, err := os.ReadFile(f.journal)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"kind":"note","summary":"rolled back api to revision 1"`)) {
		t.Errorf("journal lacks the note:\n%s", data)
	}
	if !strings.Contains(v, "note          alice      rolled back api to revision 1") {
		t.Errorf("timeline lacks the note:\n%s", v)
	}
}

func TestEmptyNoteIsRefusedInPlace(t *testing.T) {
	f := newShell(t, common.Mode{})
	tm := start(t, f, 160, 48)
	tm.Send(key("n"))
	waitFor(t, tm, "Add a note")
	tm.Send(key("enter"))
	waitFor(t, tm, "must not be empty")
	tm.Send(key("esc"))
	final(t, tm)
	data, _ := os.ReadFile(f.journal)
	if bytes.Contains(data, []byte(`"kind":"note"`)) {
		t.Error("an empty note was recorded")
	}
}

func TestQuitAsksWhileIncidentOpen(t *testing.T) {
	tm := start(t, newShell(t, common.Mode{}), 160, 48)
	tm.Send(key("q"))
	waitFor(t, tm, "still open?", "Resume:  warroom demo --journal")
	tm.Send(key("y"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestPaletteRunsTheChosenAction(t *testing.T) {
	tm := startSettled(t, newShell(t, common.Mode{}), 160, 48)
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24}) // one pane at a time: focus shows
	waitFor(t, tm, "1 Pods  2 Errors")
	tm.Send(key(":"))
	waitFor(t, tm, "type to find an action")
	tm.Type("timeline")
	tm.Send(key("enter"))
	waitFor(t, tm, "╭─ 6 Timeline")
	if got := final(t, tm).Focused(); got != 5 {
		t.Fatalf("focus = %d, want the timeline (5)", got)
	}
}

// A journal written elsewhere (resumed, or hand-edited) may hold escape
// sequences: nothing from it reaches the screen raw.
func TestHostileJournalTextIsSanitized(t *testing.T) {
	f := newShell(t, common.Mode{})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	evil := "pwn\x1b]0;owned\x07\x1b[2J"
	m.Update(common.EventMsg{Event: incident.Event{Time: t0, Actor: evil, Kind: incident.KindDeclared, Summary: evil, Severity: &incident.SeverityFields{To: "P0"}}})
	m.Update(common.FlashMsg{Text: "backend said " + evil, Error: true})
	v := m.View()
	if strings.Contains(v, "\x1b]") || strings.Contains(v, "\x1b[2J") || strings.ContainsRune(v, '\x07') {
		t.Fatalf("control sequences reached the screen: %q", v)
	}
	if !strings.Contains(v, "pwn") {
		t.Error("the title should still show, cleaned")
	}
}

func TestJournalWriteFailureIsLoudAndNothingPretendsToBeRecorded(t *testing.T) {
	f := newShell(t, common.Mode{})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(common.EventMsg{Event: incident.Event{Time: t0, Actor: "alice", Kind: incident.KindNote, Summary: "restarted api"}, Err: fmt.Errorf("write: no space left on device")})
	v := m.View()
	if !strings.Contains(v, "JOURNAL WRITE FAILED — event not recorded: write: no space left on device") {
		t.Errorf("no loud error:\n%s", v)
	}
	if strings.Contains(v, "restarted api") {
		t.Error("an event that is not on disk is shown on the timeline")
	}
	if n := m.Session().Count; n != 1 {
		t.Errorf("session folded %d events, want only the declaration", n)
	}
}

// The drill reacts: roll back the crash-looping deployment from the pods
// pane, confirm, and the story changes on screen; the journal holds the
// structured action events.
func TestDrillRolloutUndoChangesTheStory(t *testing.T) {
	f := newShell(t, common.Mode{})
	tm := start(t, f, 160, 48) // the first frame shows "6 need attention"
	tm.Send(key("u"))          // the pods pane has focus; the worst pod (api) is selected
	waitFor(t, tm, "kubectl rollout undo deployment/api -n agent-platform", "Against: deployment/api in agent-platform",
		"revision 2 (api:2.14.0) → 1 (api:2.13.2), 3 replicas", "DRILL: it runs against the drill's own backends")
	tm.Send(key("y"))
	// The outcome in its dialog, and the change through the pods pane's
	// watch: revision 1 is back as revision 3, all ready.
	waitFor(t, tm, "done in", "rolled back: revision 2 (api:2.14.0) → revision 1 (api:2.13.2)", "3 need attention", "api 3/3 ready · rev 3")
	tm.Send(key("enter")) // close the outcome
	v := final(t, tm).View()
	if strings.Contains(v, "api-6f9c7d5b8-2xkqp") || strings.Contains(v, "api-6f9c7d5b8-7hvzm") {
		t.Errorf("the crash-looping api pods are still listed:\n%s", v)
	}
	evs, _, err := incident.ReadFile(f.journal)
	if err != nil {
		t.Fatal(err)
	}
	var fin *incident.ActionFields
	for _, e := range evs {
		if e.Kind == incident.KindAction && e.Action.Phase == incident.PhaseFinished {
			fin = e.Action
		}
	}
	if fin == nil || fin.Op != kube.OpRolloutUndo || !fin.Executed || fin.Mode != "drill" || fin.Error != "" || fin.Target != "deployment/api in agent-platform" {
		t.Fatalf("journal's outcome event: %+v", fin)
	}
}

// A declaration whose severity does not parse (a hand-edited or foreign
// journal) is drawn as unknown: never a crash, never a made-up P0.
func TestUnknownSeverityIsShownAsUnknown(t *testing.T) {
	f := newShell(t, common.Mode{})
	m := f.model
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(common.EventMsg{Event: incident.Event{ID: incident.NewID(t0), Time: t0, Actor: "alice", Kind: incident.KindDeclared, Summary: "odd", Severity: &incident.SeverityFields{To: "P9"}}})
	v := m.View()
	if !strings.Contains(v, "P? unknown severity") || strings.Contains(v, "P0 Critical") {
		t.Fatalf("status bar:\n%s", strings.SplitN(v, "\n", 2)[0])
	}
}
