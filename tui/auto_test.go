package tui_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/memjournal"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// memShell is the real shell over one stub pane, an incident declared by
// alice, and a journal in memory, acted on by actor, at w x h.
func memShell(t *testing.T, mode common.Mode, actor string, w, h int) (*tui.Model, *stubPane, *memjournal.Journal) {
	t.Helper()
	rec := &memjournal.Journal{}
	decl, err := rec.Append(incident.Declared("alice", "api 5xx", incident.P1, t0))
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }, Actor: actor, Mode: mode, Journal: rec}
	p := &stubPane{}
	m := tui.New(tui.Options{Common: c, Panes: []tui.PaneSpec{{Pane: p, Tab: "Stub"}}, Session: incident.Fold([]incident.Event{decl})})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, p, rec
}

// hookAction is the notification hook paging the next rung: an Auto
// action, as the escalation pane hands it over.
func hookAction(kind string, run func(context.Context, func(string)) common.Outcome) common.Action {
	return common.Action{Title: "page the next rung", Kind: kind, Op: "notify.hook", Target: "escalation-1",
		Lines: []string{"/usr/local/bin/page --level 2"}, Tag: "escalation", Auto: true, Run: run}
}

// noActionDialog fails if any of the action dialogs is on screen.
func noActionDialog(t *testing.T, v string) {
	t.Helper()
	for _, s := range []string{"This will run", "[y/enter] confirm", "hide (it goes on)", "cancel it"} {
		if strings.Contains(v, s) {
			t.Fatalf("an action dialog is on screen (%q):\n%s", s, v)
		}
	}
}

// An Auto action runs without a dialog: started and finished recorded,
// the pane told, the success in the status line.
func TestAutoActionRunsWithoutADialog(t *testing.T) {
	m, pane, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	var runs atomic.Int32
	a := hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome {
		runs.Add(1)
		return common.Outcome{Result: "paged bob"}
	})
	_, cmd := m.Update(common.ActionRequest{Action: a})
	noActionDialog(t, m.View())
	if cmd == nil {
		t.Fatal("an Auto action was not started")
	}
	for _, msg := range collect(cmd) {
		drive(m, msg)
	}
	if runs.Load() != 1 {
		t.Fatalf("Run called %d times, want 1", runs.Load())
	}
	evs := rec.Of(incident.KindAction)
	if len(evs) != 2 || evs[0].Action.Phase != incident.PhaseStarted || evs[1].Action.Phase != incident.PhaseFinished ||
		!evs[0].Action.Executed || evs[1].Action.Ref != evs[0].ID || evs[0].Actor != common.SystemActor || evs[1].Actor != common.SystemActor {
		t.Fatalf("recorded %+v", evs)
	}
	if len(pane.done) != 1 || !pane.done[0].Executed || pane.done[0].Tag != "escalation" || pane.done[0].Outcome.Err != nil {
		t.Fatalf("pane told %+v", pane.done)
	}
	v := m.View()
	noActionDialog(t, v)
	if !strings.Contains(v, "done: page the next rung — paged bob") {
		t.Errorf("the success is not in the status line:\n%s", v)
	}
}

// An Auto action that arrives while someone types a note does not take
// the keyboard: the note dialog stays on top and gets the next keys.
func TestAutoActionDoesNotInterruptTyping(t *testing.T) {
	m, _, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	drive(m, key("n"))
	drive(m, paste("api pods restarted"))
	drive(m, common.ActionRequest{Action: hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome {
		return common.Outcome{}
	})})
	drive(m, paste(" at 03:12"))
	v := m.View()
	if !strings.Contains(v, "Add a note") || !strings.Contains(v, "api pods restarted at 03:12") {
		t.Fatalf("the note dialog lost the keyboard:\n%s", v)
	}
	noActionDialog(t, v)
	if n := len(rec.Of(incident.KindAction)); n != 2 {
		t.Errorf("recorded %d action events, want 2", n)
	}
}

// Gated by the mode like every action: a dry-run and a drill (for the
// hook, which runs on this machine) record it as not executed, and Run
// is never called.
func TestAutoActionNotExecutedInDryRunAndDrill(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode common.Mode
		kind string
	}{
		{"dry-run", common.Mode{DryRun: true}, incident.ActionNotify},
		{"drill", common.Mode{Drill: true}, incident.ActionNotify},
	} {
		t.Run(tc.name+"/"+tc.kind, func(t *testing.T) {
			m, pane, rec := memShell(t, tc.mode, "alice", 120, 36)
			var runs atomic.Int32
			drive(m, common.ActionRequest{Action: hookAction(tc.kind, func(context.Context, func(string)) common.Outcome {
				runs.Add(1)
				return common.Outcome{}
			})})
			if runs.Load() != 0 {
				t.Fatal("Run was called")
			}
			evs := rec.Of(incident.KindAction)
			if len(evs) != 1 || evs[0].Action.Phase != incident.PhaseNotExecuted || evs[0].Action.Executed || evs[0].Action.Mode != tc.name ||
				!strings.Contains(evs[0].Summary, "would run — not executed") {
				t.Fatalf("recorded %+v", evs)
			}
			if len(pane.done) != 1 || pane.done[0].Executed {
				t.Errorf("pane told %+v", pane.done)
			}
			v := m.View()
			noActionDialog(t, v)
			if !strings.Contains(v, "would run — not executed") || strings.Contains(v, "✖") {
				t.Errorf("the status line should say it was not run, as no error:\n%s", v)
			}
		})
	}
}

// A failing Auto action is an error in the status line, and recorded so.
func TestAutoActionFailureFlashesTheError(t *testing.T) {
	m, _, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	drive(m, common.ActionRequest{Action: hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome {
		return common.Outcome{Err: errors.New("hook exited 1: connection refused")}
	})})
	v := m.View()
	noActionDialog(t, v)
	if !strings.Contains(v, "✖ FAILED: page the next rung — hook exited 1: connection refused") {
		t.Errorf("the failure is not flashed as an error:\n%s", v)
	}
	evs := rec.Of(incident.KindAction)
	if len(evs) != 2 || evs[1].Action.Error != "hook exited 1: connection refused" {
		t.Fatalf("recorded %+v", evs)
	}
	// A later success does not cover the failure.
	drive(m, common.ActionRequest{Action: hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome {
		return common.Outcome{}
	})})
	if v := m.View(); !strings.Contains(v, "✖ FAILED: page the next rung") {
		t.Errorf("a success covered the failure:\n%s", v)
	}
}

// The same Auto action set off while it still runs is skipped quietly:
// not run twice, no error, no dialog; o still shows the one running.
func TestAutoActionAlreadyRunningIsSkippedQuietly(t *testing.T) {
	m, _, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	release := make(chan struct{})
	var runs atomic.Int32
	a := hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome {
		runs.Add(1)
		<-release
		return common.Outcome{}
	})
	_, cmd := m.Update(common.ActionRequest{Action: a})
	batch := cmd().(tea.BatchMsg)
	ended := make(chan struct{})
	go func() { batch[0](); close(ended) }() // the execution
	drive(m, common.ActionRequest{Action: a})
	v := m.View()
	noActionDialog(t, v)
	if !strings.Contains(v, "already running: not started again") || strings.Contains(v, "✖") {
		t.Errorf("the skip should be said quietly:\n%s", v)
	}
	drive(m, key("o"))
	if v := m.View(); !strings.Contains(v, "hide (it goes on)") {
		t.Errorf("o does not show the running Auto action:\n%s", v)
	}
	close(release)
	<-ended
	for _, msg := range collect(batch[1]) {
		drive(m, msg)
	}
	if runs.Load() != 1 {
		t.Errorf("Run called %d times, want 1", runs.Load())
	}
	if n := len(rec.Of(incident.KindAction)); n != 2 {
		t.Errorf("recorded %d action events, want 2", n)
	}
}

// An Auto action must not be destructive: one that is is refused as a
// bug, loudly, and never run.
func TestAutoDestructiveActionIsRefused(t *testing.T) {
	m, pane, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	var runs atomic.Int32
	a := hookAction(incident.ActionKube, func(context.Context, func(string)) common.Outcome { runs.Add(1); return common.Outcome{} })
	a.Destructive = true
	drive(m, common.ActionRequest{Action: a})
	v := m.View()
	noActionDialog(t, v)
	if runs.Load() != 0 || len(rec.Of(incident.KindAction)) != 0 || len(pane.done) != 0 {
		t.Fatalf("a destructive Auto action went ahead: %d runs", runs.Load())
	}
	if !strings.Contains(v, "✖") || !strings.Contains(v, "a bug") {
		t.Errorf("not refused loudly:\n%s", v)
	}
}

// An action that is not Auto still asks first.
func TestNonAutoActionStillAsks(t *testing.T) {
	m, _, rec := memShell(t, common.Mode{}, "alice", 120, 36)
	var runs atomic.Int32
	a := hookAction(incident.ActionNotify, func(context.Context, func(string)) common.Outcome { runs.Add(1); return common.Outcome{} })
	a.Auto = false
	drive(m, common.ActionRequest{Action: a})
	if v := m.View(); !strings.Contains(v, "This will run") || !strings.Contains(v, "[y/enter] confirm") {
		t.Fatalf("no confirmation:\n%s", v)
	}
	if runs.Load() != 0 || len(rec.Of(incident.KindAction)) != 0 {
		t.Fatal("it ran before the confirmation")
	}
	drive(m, key("y"))
	if runs.Load() != 1 {
		t.Errorf("Run called %d times after y, want 1", runs.Load())
	}
}

// Only a notification may be automatic: any other kind, destructive or
// not (a scale-up, a query cancel), is refused without running.
func TestAutoActionMustBeANotification(t *testing.T) {
	for _, kind := range []string{incident.ActionKube, incident.ActionSQL, incident.ActionShell, incident.ActionAWS, incident.ActionPromQL} {
		m, _, rec := memShell(t, common.Mode{}, "alice", 120, 36)
		var runs atomic.Int32
		drive(m, common.ActionRequest{Action: hookAction(kind, func(context.Context, func(string)) common.Outcome {
			runs.Add(1)
			return common.Outcome{}
		})})
		if runs.Load() != 0 || len(rec.Of(incident.KindAction)) != 0 {
			t.Errorf("%s: an automatic %s action ran or was recorded", kind, kind)
		}
		if v := m.View(); !strings.Contains(v, "not a notification") {
			t.Errorf("%s: the refusal is not shown", kind)
		}
	}
}
