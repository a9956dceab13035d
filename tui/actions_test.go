package tui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bkey "github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/tui"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// stubPane is a pane with no backend that remembers the action messages it
// was handed (the shell broadcasts them).
type stubPane struct {
	done     []common.ActionDoneMsg
	progress []string
	started  []common.ActionStartedMsg
}

func (p *stubPane) Init() tea.Cmd              { return nil }
func (p *stubPane) View() string               { return "stub" }
func (p *stubPane) SetSize(int, int)           {}
func (p *stubPane) Title() string              { return "Stub" }
func (p *stubPane) Capturing() bool            { return false }
func (p *stubPane) Backends() []common.Backend { return nil }
func (p *stubPane) ShortHelp() []bkey.Binding  { return nil }
func (p *stubPane) FullHelp() [][]bkey.Binding { return nil }
func (p *stubPane) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ActionDoneMsg:
		p.done = append(p.done, msg)
	case common.ActionProgressMsg:
		p.progress = append(p.progress, msg.Lines...)
	case common.ActionStartedMsg:
		p.started = append(p.started, msg)
	}
	return p, nil
}

// actionShell is the real shell over one stub pane and a real journal.
func actionShell(t *testing.T, mode common.Mode) (*tui.Model, *stubPane, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	decl, err := j.Append(incident.Declared("alice", "actions", incident.P1, t0))
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }, Actor: "alice", Mode: mode, Journal: j}
	p := &stubPane{}
	m := tui.New(tui.Options{Common: c, Panes: []tui.PaneSpec{{Pane: p, Tab: "Stub"}}, Session: incident.Fold([]incident.Event{decl}), JournalPath: path})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	return m, p, path
}

// drive hands msg to the model and then every message its Cmds produce,
// until none is left.
func drive(m *tui.Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		_, cmd := m.Update(msg)
		if cmd != nil {
			queue = append(queue, collect(cmd)...)
		}
	}
}

// journalActions is every action event on disk.
func journalActions(t *testing.T, path string) []incident.Event {
	t.Helper()
	evs, skipped, err := incident.ReadFile(path)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("read journal: %v %v", err, skipped)
	}
	var out []incident.Event
	for _, e := range evs {
		if e.Kind == incident.KindAction {
			out = append(out, e)
		}
	}
	return out
}

// The one action path, every mode against every kind of action: how many
// times Run was called and exactly what was recorded.
func TestActionMatrix(t *testing.T) {
	type want struct {
		runs    int32
		refused bool     // refused before any dialog
		phases  []string // the recorded action events' phases, in order
		mode    string   // their Action.Mode
	}
	ran := want{runs: 1, phases: []string{incident.PhaseStarted, incident.PhaseFinished}}
	notRun := func(mode string) want {
		return want{phases: []string{incident.PhaseNotExecuted}, mode: mode}
	}
	modes := []struct {
		name string
		mode common.Mode
		// by destructive, then host
		want func(destructive, host bool) want
	}{
		{"normal", common.Mode{}, func(bool, bool) want { return ran }},
		{"read-only", common.Mode{ReadOnly: true}, func(d, _ bool) want {
			if d {
				return want{refused: true}
			}
			return ran
		}},
		{"dry-run", common.Mode{DryRun: true}, func(bool, bool) want { return notRun("dry-run") }},
		{"drill", common.Mode{Drill: true}, func(_, host bool) want {
			if host {
				return notRun("drill")
			}
			w := ran
			w.mode = "drill"
			return w
		}},
	}
	for _, md := range modes {
		for _, destructive := range []bool{true, false} {
			for _, host := range []bool{false, true} {
				name := fmt.Sprintf("%s/destructive=%v/host=%v", md.name, destructive, host)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					w := md.want(destructive, host)
					m, pane, path := actionShell(t, md.mode)
					var runs atomic.Int32
					kind := incident.ActionKube
					if host {
						kind = incident.ActionShell
					}
					a := common.Action{
						Title: "do the thing", Kind: kind, Op: "test.thing", Destructive: destructive, Tag: "stub",
						Lines:  []string{"thing --now", "PGPASSWORD=hunter2 psql"},
						Target: "the world",
						Run: func(ctx context.Context, progress func(string)) common.Outcome {
							runs.Add(1)
							progress("line one")
							return common.Outcome{Result: "it is done"}
						},
					}
					drive(m, common.ActionRequest{Action: a})
					v := m.View()
					if w.refused {
						if !strings.Contains(v, "read-only session") {
							t.Errorf("not refused on screen:\n%s", v)
						}
						if strings.Contains(v, "This will run") {
							t.Error("a dialog opened for a refused action")
						}
					} else {
						if !strings.Contains(v, "thing --now") || !strings.Contains(v, "Against: the world") {
							t.Fatalf("the confirmation does not show the lines and target:\n%s", v)
						}
						if runs.Load() != 0 {
							t.Fatal("Run was called before the confirmation")
						}
						drive(m, key("y"))
					}
					if got := runs.Load(); got != w.runs {
						t.Errorf("Run called %d times, want %d", got, w.runs)
					}
					evs := journalActions(t, path)
					if len(evs) != len(w.phases) {
						t.Fatalf("recorded %d action events, want %d: %+v", len(evs), len(w.phases), evs)
					}
					for i, e := range evs {
						f := e.Action
						if f == nil || f.Phase != w.phases[i] {
							t.Fatalf("event %d: %+v, want phase %s", i, f, w.phases[i])
						}
						if f.Mode != w.mode || f.Executed != (w.runs > 0) || f.Op != "test.thing" || f.Destructive != destructive || f.Target != "the world" || f.Kind != kind {
							t.Errorf("event %d fields: %+v", i, f)
						}
						if strings.Contains(strings.Join(f.Lines, "\n"), "hunter2") {
							t.Errorf("a secret reached the journal: %q", f.Lines)
						}
						if e.ID == "" || e.V != incident.SchemaVersion {
							t.Errorf("event %d has no ID or version: %q v%d", i, e.ID, e.V)
						}
					}
					if w.runs > 0 {
						fin := evs[1].Action
						if fin.Ref != evs[0].ID || fin.Error != "" || !strings.Contains(fin.Output, "line one") || !strings.Contains(evs[1].Summary, "it is done") {
							t.Errorf("outcome event: %+v %q", fin, evs[1].Summary)
						}
						if len(pane.progress) != 1 || pane.progress[0] != "line one" {
							t.Errorf("progress reached the pane as %q", pane.progress)
						}
					} else if len(evs) == 1 && !strings.Contains(evs[0].Summary, "would run — not executed") {
						t.Errorf("not-executed summary: %q", evs[0].Summary)
					}
					wantDone := 0
					if !w.refused {
						wantDone = 1
					}
					if len(pane.done) != wantDone {
						t.Errorf("pane told of %d outcomes, want %d", len(pane.done), wantDone)
					}
				})
			}
		}
	}
}

func TestActionCancelledAtTheConfirmationRecordsNothing(t *testing.T) {
	m, _, path := actionShell(t, common.Mode{})
	var runs atomic.Int32
	drive(m, common.ActionRequest{Action: common.Action{Title: "x", Kind: incident.ActionKube, Destructive: true,
		Run: func(context.Context, func(string)) common.Outcome { runs.Add(1); return common.Outcome{} }}})
	drive(m, key("n"))
	if runs.Load() != 0 || len(journalActions(t, path)) != 0 {
		t.Fatalf("cancelled action: %d runs, %d events", runs.Load(), len(journalActions(t, path)))
	}
}

// esc on the running action's dialog cancels its context; the outcome is
// recorded as cancelled, and the failure of a Run as failed.
func TestRunningActionCancelAndFailure(t *testing.T) {
	m, pane, path := actionShell(t, common.Mode{})
	started := make(chan struct{})
	a := common.Action{Title: "wait forever", Kind: incident.ActionKube, Tag: "stub",
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			close(started)
			<-ctx.Done()
			return common.Outcome{Err: ctx.Err()}
		}}
	drive(m, common.ActionRequest{Action: a})
	// Confirm, but don't drive the Cmds yet: the action must be running
	// when esc arrives.
	_, cmd := m.Update(key("y"))
	confirmed := collect(cmd)
	if len(confirmed) != 1 {
		t.Fatalf("confirmation produced %d messages", len(confirmed))
	}
	_, cmd = m.Update(confirmed[0])
	if !strings.Contains(m.View(), "running") {
		t.Fatalf("no running dialog:\n%s", m.View())
	}
	batch := cmd().(tea.BatchMsg)
	go batch[0]() // the execution
	<-started
	m.Update(key("esc"))
	for _, msg := range collect(batch[1]) { // the stream's first drain
		drive(m, msg)
	}
	evs := journalActions(t, path)
	if len(evs) != 2 || !evs[1].Action.Cancelled || !strings.HasPrefix(evs[1].Summary, "cancelled:") {
		t.Fatalf("recorded %+v", evs)
	}
	if len(pane.done) != 1 || !errors.Is(pane.done[0].Outcome.Err, context.Canceled) {
		t.Fatalf("pane told %+v", pane.done)
	}

	// A Run that fails is recorded as failed, with its error.
	drive(m, key("esc")) // close the finished dialog
	drive(m, common.ActionRequest{Action: common.Action{Title: "break", Kind: incident.ActionSQL,
		Run: func(context.Context, func(string)) common.Outcome {
			return common.Outcome{Err: errors.New("permission denied to terminate process")}
		}}})
	drive(m, key("y"))
	evs = journalActions(t, path)
	if len(evs) != 4 || evs[3].Action.Error != "permission denied to terminate process" || !strings.HasPrefix(evs[3].Summary, "FAILED: break") {
		t.Fatalf("failure recorded as %+v", evs[len(evs)-1])
	}
	if !strings.Contains(m.View(), "FAILED: break") {
		t.Errorf("the failure is not on screen:\n%s", m.View())
	}
}

// A Run that ignores its context does not hold the console: after the
// timeout the shell records the outcome and moves on.
func TestRunThatIgnoresItsContextIsLeftBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the grace period")
	}
	m, _, path := actionShell(t, common.Mode{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	drive(m, common.ActionRequest{Action: common.Action{Title: "stuck", Kind: incident.ActionKube, Timeout: 50 * time.Millisecond,
		Run: func(context.Context, func(string)) common.Outcome { <-release; return common.Outcome{} }}})
	drive(m, key("y"))
	evs := journalActions(t, path)
	if len(evs) != 2 || !strings.Contains(evs[1].Action.Error, "did not stop") {
		t.Fatalf("recorded %+v", evs)
	}
}

// An action whose Run went through although esc came meanwhile is done,
// not cancelled: the journal says what happened to the world.
func TestRunThatSucceedsAfterCancelIsRecordedDone(t *testing.T) {
	m, _, path := actionShell(t, common.Mode{})
	started := make(chan struct{})
	drive(m, common.ActionRequest{Action: common.Action{Title: "undo", Kind: incident.ActionKube,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			close(started)
			<-ctx.Done()
			return common.Outcome{Result: "went through"}
		}}})
	_, cmd := m.Update(key("y"))
	_, cmd = m.Update(collect(cmd)[0])
	batch := cmd().(tea.BatchMsg)
	go batch[0]()
	<-started
	m.Update(key("esc"))
	for _, msg := range collect(batch[1]) {
		drive(m, msg)
	}
	evs := journalActions(t, path)
	if len(evs) != 2 || evs[1].Action.Cancelled || evs[1].Action.Error != "" || !strings.HasPrefix(evs[1].Summary, "done: undo — went through") {
		t.Fatalf("recorded %+v", evs[len(evs)-1])
	}
}

// Nothing changes the world unrecorded: if the start cannot be written,
// Run is not called and the screen says so.
func TestActionNotRunWhenItsStartCannotBeRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	decl, _ := j.Append(incident.Declared("alice", "actions", incident.P1, t0))
	j.Close() // every later append fails
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }, Actor: "alice", Journal: j}
	m := tui.New(tui.Options{Common: c, Panes: []tui.PaneSpec{{Pane: &stubPane{}, Tab: "Stub"}}, Session: incident.Fold([]incident.Event{decl})})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	var runs atomic.Int32
	drive(m, common.ActionRequest{Action: common.Action{Title: "terminate 4100", Kind: incident.ActionSQL, Destructive: true,
		Run: func(context.Context, func(string)) common.Outcome { runs.Add(1); return common.Outcome{} }}})
	drive(m, key("y"))
	if runs.Load() != 0 {
		t.Fatal("Run was called though its start was not recorded")
	}
	if v := m.View(); !strings.Contains(v, "NOT RUN: terminate 4100") {
		t.Errorf("the screen does not say it was not run:\n%s", v)
	}
}

// progress may be called from many goroutines at once (run with -race).
func TestProgressFromManyGoroutines(t *testing.T) {
	m, pane, path := actionShell(t, common.Mode{})
	drive(m, common.ActionRequest{Action: common.Action{Title: "noisy", Kind: incident.ActionKube, Tag: "stub",
		Run: func(_ context.Context, progress func(string)) common.Outcome {
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 50 {
						progress(fmt.Sprintf("g%d line %d", g, i))
					}
				}()
			}
			wg.Wait()
			return common.Outcome{}
		}}})
	drive(m, key("y"))
	evs := journalActions(t, path)
	if len(evs) != 2 || !strings.Contains(evs[1].Action.Output, "… 380 lines …") {
		t.Fatalf("outcome %+v", evs[len(evs)-1].Action)
	}
	if len(pane.progress) == 0 {
		t.Error("no progress reached the pane")
	}
}
