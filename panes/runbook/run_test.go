package runbook

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

func testCommon() common.Common {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: time.Now}
}

func shippedPane(t *testing.T, cfg Config) *Model {
	t.Helper()
	books, err := runbooks.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	m := New(testCommon(), runbooks.NewIndex(books), cfg)
	m.SetSize(60, 30)
	return m
}

// msgs is what cmd and the Cmds it batches produce.
func msgs(cmd tea.Cmd) []tea.Msg { return cmdtest.Collect(cmd, time.Second) }

func press(m *Model, k string) tea.Cmd {
	var msg tea.KeyMsg
	switch k {
	case "enter":
		msg = tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		msg = tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		msg = tea.KeyMsg{Type: tea.KeyDown}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
	}
	_, cmd := m.Update(msg)
	return cmd
}

// What is burning ranks its runbook first, saying why; typing a search
// still ranks by the search.
func TestSuggestionsComeFirstWithWhy(t *testing.T) {
	m := shippedPane(t, Config{})
	m.Update(common.SignalsMsg{Source: "queries", Signals: []runbooks.Signal{
		{Kind: runbooks.SignalConnections, Text: "93/100 connections", Weight: 3},
		{Kind: runbooks.SignalLockWaits, Text: "2 sessions waiting on locks", Weight: 2},
	}})
	v := m.View()
	if !strings.Contains(v, "▸ ★ Database Connection Issues") || !strings.Contains(v, "suggested: 93/100 connections, 2 sessions waiting on locks") {
		t.Fatalf("suggestion not first:\n%s", v)
	}
	keys(m, "/")
	keys(m, "5xx")
	if v := m.View(); strings.Contains(v, "▸ ★ Database Connection Issues") {
		t.Fatalf("search did not win:\n%s", v)
	}
	// The signal gone, so is the suggestion.
	press(m, "esc")
	m.Update(common.SignalsMsg{Source: "queries"})
	if v := m.View(); strings.Contains(v, "★") {
		t.Fatalf("stale suggestion:\n%s", v)
	}
}

// openStep opens the runbook titled title and selects its step named
// (containing) name.
func openStep(t *testing.T, m *Model, title, name string) runbooks.Step {
	t.Helper()
	for i, r := range m.rows {
		if r.rb.Title == title {
			m.cursor.Pos = i
		}
	}
	press(m, "enter")
	if m.open == nil || m.open.Title != title {
		t.Fatalf("did not open %q", title)
	}
	for i, s := range m.open.Steps {
		if strings.Contains(s.Name, name) {
			for range i {
				press(m, "down")
			}
			if m.sel != i {
				t.Fatalf("selected %d, want %d", m.sel, i)
			}
			return s
		}
	}
	t.Fatalf("%q has no step %q: %+v", title, name, m.open.Steps)
	return runbooks.Step{}
}

// A step's variables are asked with the other panes' selection first,
// then the configuration, then the runbook's default; its action is the
// rendered command, in place, marked destructive as the step is.
func TestRunAsksVariablesPrefilledThenHandsAnInPlaceAction(t *testing.T) {
	m := shippedPane(t, Config{Defaults: map[string]string{"namespace": "from-config"}})
	m.Update(common.ContextMsg{Source: "pods", Values: map[string]string{"namespace": "payments", "pod": "api-7f9-x"}})
	st := openStep(t, m, "API Service Down", "Rollback")
	if !st.Destructive {
		t.Fatalf("rollback not destructive: %+v", st)
	}
	var req common.InputRequest
	for _, msg := range msgs(press(m, "enter")) {
		if r, ok := msg.(common.InputRequest); ok {
			req = r
		}
	}
	if len(req.Fields) == 0 {
		t.Fatal("no variables asked")
	}
	values := map[string]string{}
	for _, f := range req.Fields {
		values[f.Name] = f.Default
		if f.Name == "namespace" && f.Default != "payments" {
			t.Errorf("namespace prefilled %q, want the pods pane's selection", f.Default)
		}
	}
	values["namespace"] = "pay ments; rm -rf /"
	var sub tea.Msg
	for _, msg := range msgs(req.OnSubmit(values)) {
		sub = msg
	}
	var act common.Action
	_, next := m.Update(sub)
	for _, msg := range msgs(next) {
		if a, ok := msg.(common.ActionRequest); ok {
			act = a.Action
		}
	}
	if !act.InPlace || !act.Destructive || act.Tag == "" || act.Run == nil {
		t.Fatalf("action %+v", act)
	}
	joined := strings.Join(act.Lines, "\n")
	if !strings.Contains(joined, "'pay ments; rm -rf /'") {
		t.Fatalf("value not quoted in %q", joined)
	}
}

// The run's output streams into the pane; esc cancels it through the
// shell; the end shows how it went.
func TestRunOutputStreamsAndEscCancels(t *testing.T) {
	m := shippedPane(t, Config{})
	openStep(t, m, "API Service Down", "pod status")
	m.pending = &stepRun{tag: "runbook#9", title: "API Service Down › Check pod status", lang: runbooks.Bash}
	m.Update(common.ActionStartedMsg{ID: "a1", Tag: "runbook#9", Started: time.Now()})
	m.Update(common.ActionProgressMsg{ID: "a1", Tag: "runbook#9", Lines: []string{"NAME READY", "api-1 \x1b[31m0/1\x1b[0m"}})
	m.Update(common.ActionProgressMsg{ID: "zz", Tag: "other", Lines: []string{"not mine"}})
	v := m.View()
	if !strings.Contains(v, "api-1 0/1") || strings.Contains(v, "\x1b[31m") || strings.Contains(v, "not mine") || !strings.Contains(v, "running") {
		t.Fatalf("output:\n%q", v)
	}
	var cancel common.CancelMsg
	for _, msg := range msgs(press(m, "esc")) {
		cancel, _ = msg.(common.CancelMsg)
	}
	if cancel.ID != "a1" {
		t.Fatalf("esc while running sent %+v", cancel)
	}
	if m.open == nil {
		t.Fatal("esc while running closed the runbook")
	}
	code := 0
	m.Update(common.ActionDoneMsg{ID: "a1", Tag: "runbook#9", Executed: true, Duration: 1200 * time.Millisecond,
		Outcome: common.Outcome{ExitCode: &code, Result: "exit 0"}})
	if v := m.View(); !strings.Contains(v, "done · exit 0") {
		t.Fatalf("end:\n%s", v)
	}
}

// Thousands of output lines keep the newest, bounded.
func TestRunOutputIsBounded(t *testing.T) {
	r := &stepRun{}
	for i := range 5000 {
		r.add(strings.Repeat("x", 3000), string(rune('a'+i%26)))
	}
	if len(r.lines) != outputKeep || r.dropped != 10000-outputKeep || len(r.lines[0]) > lineKeep+4 {
		t.Fatalf("kept %d lines, dropped %d, first %d bytes", len(r.lines), r.dropped, len(r.lines[0]))
	}
}

// A signal that reorders the list keeps the selection on its runbook.
func TestSelectionStaysOnItsRunbookWhenSuggestionsChange(t *testing.T) {
	m := shippedPane(t, Config{})
	for range 2 {
		press(m, "down")
	}
	want := m.rows[m.cursor.Pos].rb.Title
	m.Update(common.SignalsMsg{Source: "queries", Signals: []runbooks.Signal{{Kind: runbooks.SignalConnections, Text: "93/100 connections", Weight: 70}}})
	if got := m.rows[m.cursor.Pos].rb.Title; got != want {
		t.Fatalf("selection moved from %q to %q", want, got)
	}
	m.Update(common.SignalsMsg{Source: "errorrate", Signals: []runbooks.Signal{{Kind: runbooks.SignalHTTP5xx, Text: "5xx at 9%", Weight: 80}}})
	if got := m.rows[m.cursor.Pos].rb.Title; got != want {
		t.Fatalf("second change: selection moved from %q to %q", want, got)
	}
}

// In the full text, esc goes back to the steps: it does not cancel the
// running step; lines the console could not keep are said to be missing.
func TestTextEscKeepsTheStepAndDroppedLinesAreMarked(t *testing.T) {
	m := shippedPane(t, Config{})
	openStep(t, m, "API Service Down", "pod status")
	m.pending = &stepRun{tag: "runbook#3", title: "x", lang: runbooks.Bash}
	m.Update(common.ActionStartedMsg{ID: "a3", Tag: "runbook#3", Started: time.Now()})
	m.Update(common.ActionProgressMsg{ID: "a3", Tag: "runbook#3", Lines: []string{"first"}})
	m.Update(common.ActionProgressMsg{ID: "a3", Tag: "runbook#3", Lines: []string{"later"}, Dropped: 42})
	press(m, "t")
	for _, msg := range msgs(press(m, "esc")) {
		if _, ok := msg.(common.CancelMsg); ok {
			t.Fatal("esc in the text cancelled the step")
		}
	}
	v := m.View()
	if m.text || !strings.Contains(v, "… 42 lines not shown") || !strings.Contains(v, "later") {
		t.Fatalf("after esc in the text:\n%s", v)
	}
}

// A read-only session refuses a destructive step before asking anything.
func TestReadOnlyRefusesDestructiveStepBeforeItsVariables(t *testing.T) {
	m := shippedPane(t, Config{})
	m.c.Mode.ReadOnly = true
	openStep(t, m, "API Service Down", "Rollback")
	for _, msg := range msgs(press(m, "enter")) {
		switch msg := msg.(type) {
		case common.InputRequest, common.ActionRequest:
			t.Fatalf("asked %T", msg)
		case common.FlashMsg:
			if !msg.Error || !strings.Contains(msg.Text, "read-only") {
				t.Fatalf("flash %+v", msg)
			}
			return
		}
	}
	t.Fatal("nothing said")
}
