package tui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/report"
	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// reportShell is the shell over a quiet pane, a real journal and a clock
// the test moves; copied collects what the drafts dialog copies.
func reportShell(t *testing.T) (m *Model, now *time.Time, path string, copied *[]string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	t0 := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	now = &t0
	decl, err := j.Append(incident.Declared("alice", "API 5xx after rollout", incident.P0, t0.Add(-10*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return *now }, Actor: "alice", Journal: j}
	copied = new([]string)
	m = New(Options{Common: c, Panes: []PaneSpec{{Pane: quietPane{}, Tab: "Quiet"}}, Session: incident.Fold([]incident.Event{decl}),
		JournalPath: path, EvidenceAfter: 5 * time.Minute,
		Clipboard: func(s string) error { *copied = append(*copied, s); return nil }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	return m, now, path, copied
}

// run hands msg to m and every message its Cmds produce, depth first,
// without the shell's clock tick (the test moves time itself).
func run(m *Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		if _, ok := msg.(tickMsg); ok && len(queue) > 0 {
			continue
		}
		_, cmd := m.Update(msg)
		queue = append(queue, drain(cmd)...)
	}
}

func drain(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(2 * time.Second): // a tick: not ours to wait for
		return nil
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, drain(c)...)
		}
		return out
	case tickMsg:
		return nil
	}
	return []tea.Msg{msg}
}

func events(t *testing.T, path string, kind incident.Kind) []incident.Event {
	t.Helper()
	evs, _, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []incident.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func vitals(source string, at time.Time, vs ...incident.Vital) common.VitalsMsg {
	return common.VitalsMsg{Source: source, Vitals: vs, Seq: uint64(at.UnixNano())}
}

func undo(secret string) common.Action {
	a := common.Action{Title: "Roll back deployment/api", Kind: incident.ActionKube, Op: "kube.rollout-undo",
		Lines: []string{"kubectl rollout undo deployment/api"}, Target: "agent-platform/deployment/api", Destructive: true,
		Run: func(context.Context, func(string)) common.Outcome {
			return common.Outcome{Result: "revision 42 → 41"}
		}}
	if secret != "" {
		a.Lines = append(a.Lines, "# token "+secret)
		a.Secrets = []string{secret}
	}
	return a
}

// An action records the vitals when it starts and when it ends, and its
// evidence the configured time after it ended: what it did to the numbers.
func TestEvidenceOfAnAction(t *testing.T) {
	m, now, path, _ := reportShell(t)
	at := *now
	run(m, vitals("errorrate", at, incident.Measured("errorrate", incident.Vital5xx, 0.121, incident.UnitRatio, at)))
	run(m, vitals("pods", at, incident.Measured("pods", incident.VitalCrashLoop, 3, incident.UnitCount, at)))
	run(m, confirmedAction{undo("")})

	acts := events(t, path, incident.KindAction)
	if len(acts) != 2 {
		t.Fatalf("%d action events, want started and finished", len(acts))
	}
	for _, a := range acts {
		if got := incident.CompareVitals(nil, a.Action.Vitals); !strings.Contains(got, "5xx unknown → 12.1%") || !strings.Contains(got, "CrashLoopBackOff unknown → 3") {
			t.Errorf("%s event's vitals: %q", a.Action.Phase, got)
		}
	}

	// The numbers fall; four minutes on nothing is due yet.
	later := at.Add(2 * time.Minute)
	run(m, vitals("errorrate", later, incident.Measured("errorrate", incident.Vital5xx, 0.008, incident.UnitRatio, later)))
	run(m, vitals("pods", later, incident.Measured("pods", incident.VitalCrashLoop, 0, incident.UnitCount, later)))
	*now = at.Add(4 * time.Minute)
	run(m, tickMsg{id: m.id})
	if n := len(events(t, path, incident.KindEvidence)); n != 0 {
		t.Fatalf("%d evidence events after 4 min, want none yet", n)
	}
	*now = at.Add(5*time.Minute + time.Second)
	run(m, tickMsg{id: m.id})
	run(m, tickMsg{id: m.id}) // once only
	ev := events(t, path, incident.KindEvidence)
	if len(ev) != 1 {
		t.Fatalf("%d evidence events, want 1", len(ev))
	}
	want := "Roll back deployment/api — 5xx 12.1% → 0.8%; CrashLoopBackOff 3 → 0 after 5 min"
	if ev[0].Summary != want || ev[0].Evidence.Ref != acts[0].ID {
		t.Errorf("evidence %q (ref %s), want %q (ref %s)", ev[0].Summary, ev[0].Evidence.Ref, want, acts[0].ID)
	}
}

// A backend down when the evidence is taken: its figure is unknown, not 0.
func TestEvidenceWithABackendDown(t *testing.T) {
	m, now, path, _ := reportShell(t)
	at := *now
	run(m, vitals("errorrate", at, incident.Measured("errorrate", incident.Vital5xx, 0.121, incident.UnitRatio, at)))
	run(m, confirmedAction{undo("")})
	run(m, vitals("errorrate", at.Add(time.Minute), incident.Unknown("errorrate", incident.Vital5xx, incident.UnitRatio, "connection refused", at)))
	*now = at.Add(6 * time.Minute)
	run(m, tickMsg{id: m.id})
	ev := events(t, path, incident.KindEvidence)
	if len(ev) != 1 {
		t.Fatalf("%d evidence events, want 1", len(ev))
	}
	if !strings.Contains(ev[0].Summary, "5xx 12.1% → unknown") {
		t.Errorf("summary %q", ev[0].Summary)
	}
	if v := ev[0].Evidence.Vitals; len(v) != 1 || v[0].Value != nil || v[0].Error != "connection refused" {
		t.Errorf("recorded vitals %+v: want unknown with its reason", v)
	}
}

// Runbook steps that change nothing and notifications get no evidence.
func TestNoEvidenceForChecksAndPages(t *testing.T) {
	m, now, path, _ := reportShell(t)
	check := undo("")
	check.Step, check.Destructive, check.Kind, check.Title = "API Service Down › Check pod status", false, incident.ActionShell, "Check pod status"
	page := undo("")
	page.Kind, page.Destructive, page.Title, page.Op = incident.ActionNotify, false, "Page the secondary", "notify"
	run(m, confirmedAction{check})
	run(m, confirmedAction{page})
	*now = now.Add(time.Hour)
	run(m, tickMsg{id: m.id})
	if n := len(events(t, path, incident.KindEvidence)); n != 0 {
		t.Errorf("%d evidence events, want none", n)
	}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// e asks for the summary, records it as a note marked for the report,
// writes the report and the drafts beside the journal from the journal,
// and shows the drafts; c copies the one shown.
func TestExportWritesTheReportAndDrafts(t *testing.T) {
	m, _, path, copied := reportShell(t)
	run(m, confirmedAction{undo("hunter2-secret-token")})
	run(m, keymsg.Of("enter")) // put the action's dialog away
	run(m, keymsg.Of("e"))
	if len(m.modals) != 1 {
		t.Fatalf("e opened %d dialogs", len(m.modals))
	}
	typeText(m, "A bad rollout of api 2.14 made one request in eight fail.")
	run(m, keymsg.Of("enter")) // next field
	run(m, keymsg.Of("enter"))
	run(m, keymsg.Of("enter"))
	run(m, keymsg.Of("enter")) // save
	notes := events(t, path, incident.KindNote)
	if len(notes) != 1 || notes[0].Note == nil || notes[0].Note.Section != incident.SectionSummary {
		t.Fatalf("notes %+v: want one marked summary", notes)
	}
	out := report.DefaultPath(path)
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("report not written: %v", err)
	}
	if !strings.Contains(string(md), "one request in eight fail") || !strings.Contains(string(md), "# Incident Report: API 5xx after rollout") {
		t.Errorf("report lacks the summary or title:\n%s", md)
	}
	if strings.Contains(string(md), "hunter2-secret-token") {
		t.Error("a secret variable's value is in the report")
	}
	// The same bytes as `warroom report` writes from the journal alone.
	evs, skipped, err := incident.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if again := report.Markdown(evs, report.Options{Skipped: skipped}); string(again) != string(md) {
		t.Error("the console's report differs from the journal's")
	}
	d, ok := m.modals[len(m.modals)-1].(*draftsModal)
	if !ok {
		t.Fatalf("top dialog %T, want the drafts", m.modals[len(m.modals)-1])
	}
	view := d.View(120, 36)
	if !strings.Contains(view, out) {
		t.Errorf("the dialog does not say where the report went:\n%s", view)
	}
	for _, dr := range d.w.drafts {
		p := report.DraftPath(out, dr.Name)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != dr.Text {
			t.Errorf("draft %s not saved beside the report: %v", dr.Name, err)
		}
		if strings.Contains(dr.Text, "hunter2-secret-token") {
			t.Errorf("draft %s holds the secret", dr.Name)
		}
	}
	run(m, keymsg.Of("c"))
	run(m, keymsg.Of("tab"))
	run(m, keymsg.Of("c"))
	if len(*copied) != 2 || len(d.w.drafts) != 2 || (*copied)[0] != d.w.drafts[0].Text || (*copied)[1] != d.w.drafts[1].Text {
		t.Errorf("copied %d texts; want each draft once", len(*copied))
	}
	if !strings.Contains(d.View(120, 36), "copied") {
		t.Error("the dialog does not say it copied")
	}
}

// failingJournal fails every write after the first ok ones, until fixed.
type failingJournal struct {
	j     common.Recorder
	ok    int
	fixed bool
}

func (f *failingJournal) Append(ev incident.Event) (incident.Event, error) {
	if f.ok <= 0 && !f.fixed {
		return ev, errors.New("write: no space left on device")
	}
	f.ok--
	return f.j.Append(ev)
}

// The finished event has the vitals when the action ended, not a copy of
// those when it started; a failed action's evidence says it failed.
func TestVitalsAtTheEndAndAFailedActionsEvidence(t *testing.T) {
	m, now, path, _ := reportShell(t)
	at := *now
	run(m, vitals("errorrate", at, incident.Measured("errorrate", incident.Vital5xx, 0.121, incident.UnitRatio, at)))
	release := make(chan struct{})
	a := undo("")
	a.Run = func(context.Context, func(string)) common.Outcome {
		<-release
		return common.Outcome{Err: errors.New("forbidden")}
	}
	_, cmd := m.Update(confirmedAction{a})
	// While it runs the ratio is measured again.
	m.Update(vitals("errorrate", at.Add(time.Second), incident.Measured("errorrate", incident.Vital5xx, 0.05, incident.UnitRatio, at)))
	close(release)
	for _, msg := range drain(cmd) {
		run(m, msg)
	}
	acts := events(t, path, incident.KindAction)
	if len(acts) != 2 {
		t.Fatalf("%d action events", len(acts))
	}
	if got := incident.CompareVitals(acts[0].Action.Vitals, acts[1].Action.Vitals); got != "5xx 12.1% → 5.0%" {
		t.Errorf("started → finished vitals: %q", got)
	}
	*now = at.Add(6 * time.Minute)
	run(m, tickMsg{id: m.id})
	ev := events(t, path, incident.KindEvidence)
	if len(ev) != 1 || ev[0].Evidence.Outcome != incident.OutcomeFailed || !strings.Contains(ev[0].Summary, "(it failed)") {
		t.Fatalf("evidence of a failed action: %+v", ev)
	}
}

// A console that starts takes the evidence its last run left pending —
// once the panes had time to measure — but not of actions long past.
func TestPendingEvidenceAfterARestart(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	f := incident.ActionFields{Title: "Roll back deployment/api", Kind: incident.ActionKube, Destructive: true, Executed: true,
		Vitals: []incident.Vital{incident.Measured("errorrate", incident.Vital5xx, 0.121, incident.UnitRatio, t0)}}
	var evs []incident.Event
	for i, ended := range []time.Time{t0.Add(-2 * time.Minute), t0.Add(-3 * time.Hour)} {
		s := f
		s.Phase = incident.PhaseStarted
		id := incident.NewID(ended.Add(-time.Second))
		e := s
		e.Phase, e.Ref = incident.PhaseFinished, id
		evs = append(evs, incident.Event{ID: id, Time: ended.Add(-time.Second), Kind: incident.KindAction, Action: &s},
			incident.Event{ID: incident.NewID(ended), Time: ended, Kind: incident.KindAction, Action: &e})
		_ = i
	}
	got := pendingEvidence(incident.AwaitingEvidence(evs), 5*time.Minute, t0)
	if len(got) != 1 {
		t.Fatalf("pending %+v, want the recent one only", got)
	}
	if want := t0.Add(3 * time.Minute); !got[0].due.Equal(want) {
		t.Errorf("due %v, want %v (5 min after it ended)", got[0].due, want)
	}
	// Due already: not before the panes have measured.
	if got := pendingEvidence(incident.AwaitingEvidence(evs), time.Minute, t0); len(got) != 1 || !got[0].due.Equal(t0.Add(settle)) {
		t.Errorf("due at once: %+v", got)
	}
}

// Evidence whose write fails is tried again, not lost.
func TestEvidenceRetriedAfterAFailedWrite(t *testing.T) {
	m, now, path, _ := reportShell(t)
	run(m, confirmedAction{undo("")})
	good := m.c.Journal
	m.c.Journal = &failingJournal{j: good}
	*now = now.Add(6 * time.Minute)
	run(m, tickMsg{id: m.id})
	if n := len(events(t, path, incident.KindEvidence)); n != 0 || len(m.followups) != 1 {
		t.Fatalf("after a failed write: %d evidence events, %d follow-ups", n, len(m.followups))
	}
	m.c.Journal = good
	*now = now.Add(retryEvidence + time.Second)
	run(m, tickMsg{id: m.id})
	if n := len(events(t, path, incident.KindEvidence)); n != 1 || len(m.followups) != 0 {
		t.Errorf("after the retry: %d evidence events, %d follow-ups", n, len(m.followups))
	}
}

// A write failing after the first section note keeps the dialog open with
// the text; the retry records only what is not saved, then exports.
func TestExportKeepsTextWhenTheJournalFails(t *testing.T) {
	m, _, path, _ := reportShell(t)
	fj := &failingJournal{j: m.c.Journal, ok: 1}
	m.c.Journal = fj
	run(m, keymsg.Of("e"))
	typeText(m, "the summary")
	run(m, keymsg.Of("enter"))
	typeText(m, "the root cause")
	run(m, keymsg.Of("enter"))
	run(m, keymsg.Of("enter"))
	run(m, keymsg.Of("enter"))
	in, ok := m.modals[len(m.modals)-1].(*inputModal)
	if !ok || !in.failed {
		t.Fatalf("top dialog %T: want the input dialog, failed", m.modals[len(m.modals)-1])
	}
	if m.session.Section(incident.SectionSummary) != "the summary" {
		t.Error("the note that was saved is not folded")
	}
	if _, err := os.Stat(report.DefaultPath(path)); err == nil {
		t.Error("a report was written while a note failed")
	}
	// The disk is freed: enter retries, recording only what is not saved.
	fj.fixed = true
	run(m, keymsg.Of("enter"))
	notes := events(t, path, incident.KindNote)
	if len(notes) != 2 || notes[0].Note.Section != incident.SectionSummary || notes[1].Note.Section != incident.SectionRootCause {
		t.Errorf("notes %+v: want the summary once, then the root cause", notes)
	}
	if _, err := os.Stat(report.DefaultPath(path)); err != nil {
		t.Errorf("no report after the retry: %v", err)
	}
}

// A report someone edited since it was written is kept aside, not lost.
func TestExportKeepsAnEditedReport(t *testing.T) {
	m, _, path, _ := reportShell(t)
	export := func() {
		run(m, keymsg.Of("e"))
		for range 4 {
			run(m, keymsg.Of("enter"))
		}
		run(m, keymsg.Of("esc"))
	}
	export()
	out := report.DefaultPath(path)
	export() // unchanged: rewritten in place
	if kept, _ := filepath.Glob(out + ".edited-*"); len(kept) != 0 {
		t.Fatalf("kept %v of a report nobody edited", kept)
	}
	os.WriteFile(out, []byte("# filled in by hand\n"), 0o600)
	export()
	kept, _ := filepath.Glob(out + ".edited-*")
	if len(kept) != 1 {
		t.Fatalf("kept %v, want the edited report", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != "# filled in by hand\n" {
		t.Errorf("kept %q", b)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v %v, want 0600 as the journal", fi.Mode().Perm(), err)
	}
	// Kept aside twice in one second: two names, nothing overwritten.
	now := time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)
	var asides []string
	for _, text := range []string{"one", "two"} {
		os.WriteFile(out, []byte(text), 0o600)
		aside, err := keepAside(out, now)
		if err != nil {
			t.Fatal(err)
		}
		asides = append(asides, aside)
	}
	for i, text := range []string{"one", "two"} {
		if b, _ := os.ReadFile(asides[i]); string(b) != text {
			t.Errorf("%s holds %q, want %q", asides[i], b, text)
		}
	}
}

// A second e while an export's dialog is hidden and saving does not open
// another (it would record the same notes again), and does not crash.
func TestOneExportAtATime(t *testing.T) {
	m, _, _, _ := reportShell(t)
	run(m, keymsg.Of("e"))
	run(m, keymsg.Of("esc")) // cancelled: the next e opens again
	run(m, keymsg.Of("e"))
	if len(m.modals) != 1 {
		t.Fatalf("%d dialogs after esc and e, want the export dialog", len(m.modals))
	}
	m.modals = nil // hidden while saving, say
	run(m, keymsg.Of("e"))
	if len(m.modals) != 0 || !strings.Contains(m.flash, "export is under way") {
		t.Errorf("a second export opened (%d dialogs, flash %q)", len(m.modals), m.flash)
	}
}
