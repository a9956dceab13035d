package pods

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func testCommon() common.Common {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return t0 }, Actor: "t"}
}

// flaky answers with its queue of results, in order.
type flaky struct {
	mu      sync.Mutex
	results []func() ([]kube.Pod, error)
}

func (f *flaky) Pods(context.Context, string) ([]kube.Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.results[0]
	if len(f.results) > 1 {
		f.results = f.results[1:]
	}
	return r()
}

func (f *flaky) RolloutUndo(context.Context, string, string) (kube.UndoResult, error) {
	return kube.UndoResult{}, errors.New("flaky: no rollouts here")
}

// run executes a pane's fetch Cmd and feeds the result back.
func run(t *testing.T, m *Model, cmd tea.Cmd) tea.Cmd {
	t.Helper()
	if cmd == nil {
		t.Fatal("no fetch was issued")
	}
	_, next := m.Update(cmd())
	return next
}

func TestKeepsLastGoodDataAndShowsTheErrorInPlace(t *testing.T) {
	p := &flaky{results: []func() ([]kube.Pod, error){
		func() ([]kube.Pod, error) {
			return []kube.Pod{{Name: "api-1", Status: "CrashLoopBackOff", Total: 1, Restarts: 9}}, nil
		},
		func() ([]kube.Pod, error) { return nil, errors.New("connection refused") },
	}}
	m := New(testCommon(), p, Config{Namespace: "agent-platform", Refresh: time.Second})
	m.SetSize(80, 20)
	next := run(t, m, m.Init())
	if !strings.Contains(m.View(), "api-1") {
		t.Fatalf("first fetch not shown:\n%s", m.View())
	}
	if next == nil {
		t.Fatal("no next tick armed")
	}
	// The tick fires; the pane fetches again; the backend is down.
	_, fetch := m.Update(probes.Tick{Tag: "pods"})
	run(t, m, fetch)
	v := m.View()
	for _, want := range []string{"api-1", "CrashLoopBackOff", "failing · data from 03:00:00 (0s ago) · retry in 1s · connection refused"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if got := m.Backends()[0].State.Status; got != probes.Failing {
		t.Errorf("state = %v, want failing", got)
	}
}

func TestTicksOfOtherPanesAreIgnored(t *testing.T) {
	p := &flaky{results: []func() ([]kube.Pod, error){func() ([]kube.Pod, error) { return nil, nil }}}
	m := New(testCommon(), p, Config{Refresh: time.Second})
	if _, cmd := m.Update(probes.Tick{Tag: "errors"}); cmd != nil {
		t.Fatal("a foreign tick started a fetch: polls would overlap")
	}
}

func TestNotConfiguredSaysHow(t *testing.T) {
	m := New(testCommon(), nil, Config{})
	m.SetSize(60, 10)
	if cmd := m.Init(); cmd != nil {
		t.Error("an unconfigured pane must not fetch")
	}
	if v := m.View(); !strings.Contains(v, "not configured —\nset --kubeconfig") {
		t.Errorf("view = %q", v)
	}
}

func TestHostileNamesAreSanitized(t *testing.T) {
	p := &flaky{results: []func() ([]kube.Pod, error){func() ([]kube.Pod, error) {
		return []kube.Pod{{Name: "evil\x1b]0;owned\x07\x1b[2J", Status: "Running\x1b[31m", Total: 1, Ready: 1}}, nil
	}}}
	m := New(testCommon(), p, Config{Refresh: time.Second})
	m.SetSize(80, 10)
	run(t, m, m.Init())
	if v := m.View(); strings.ContainsRune(v, '\x1b') || strings.ContainsRune(v, '\x07') {
		t.Fatalf("control sequences reached the screen: %q", v)
	}
}

func TestFailureBeforeAnyDataShowsTheWholeError(t *testing.T) {
	msg := `pods is forbidden: User "warroom-narrow" cannot list resource "pods" in API group "" in the namespace "agent-platform"`
	p := &flaky{results: []func() ([]kube.Pod, error){func() ([]kube.Pod, error) { return nil, errors.New(msg) }}}
	m := New(testCommon(), p, Config{Namespace: "agent-platform", Refresh: time.Second})
	m.SetSize(50, 10)
	run(t, m, m.Init())
	v := m.View()
	if !strings.Contains(strings.Join(strings.Fields(v), " "), `namespace "agent-platform"`) {
		t.Errorf("the end of the error is not shown:\n%s", v)
	}
	if strings.Contains(v, "0 pods") {
		t.Error("claims 0 pods without data")
	}
}
