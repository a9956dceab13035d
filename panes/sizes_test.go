// Package panes_test checks what every pane shares: at any size the shell
// may give it, no line is wider than the pane.
package panes_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/panes/errorrate"
	"github.com/warroom-dev/warroom/panes/escalation"
	"github.com/warroom-dev/warroom/panes/pods"
	"github.com/warroom-dev/warroom/panes/queries"
	"github.com/warroom-dev/warroom/panes/runbook"
	"github.com/warroom-dev/warroom/panes/timeline"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/probes/rds"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// pgxErr is a multi-line backend error, as pgx gives them.
var pgxErr = errors.New("failed to connect to `user=warroom database=agent_platform`:\n\t10.0.3.17:5432 (db): dial error: dial tcp 10.0.3.17:5432: connect: connection refused")

type failing struct{}

// Watch watches a clientset whose every list and watch fails.
func (failing) Watch(ctx context.Context, ns []string) *kube.Watch {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, pgxErr })
	cs.PrependWatchReactor("*", func(k8stesting.Action) (bool, watch.Interface, error) { return true, nil, pgxErr })
	return kube.StartWatch(ctx, cs, kube.WatchOptions{Namespaces: ns})
}
func (failing) Logs(context.Context, kube.LogRequest, *probes.Stream[probes.Lines]) error {
	return pgxErr
}
func (failing) RolloutUndo(context.Context, string, string, int64) (kube.UndoResult, error) {
	return kube.UndoResult{}, pgxErr
}
func (failing) RolloutRestart(context.Context, string, string) (kube.RestartResult, error) {
	return kube.RestartResult{}, pgxErr
}
func (failing) Scale(context.Context, string, string, int32, int32) (kube.ScaleResult, error) {
	return kube.ScaleResult{}, pgxErr
}
func (failing) DeletePod(context.Context, string, string, types.UID) (kube.DeleteResult, error) {
	return kube.DeleteResult{}, pgxErr
}
func (failing) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]prom.Series, error) {
	return nil, pgxErr
}
func (failing) Query(context.Context, string, time.Time) ([]prom.Sample, error) { return nil, pgxErr }
func (failing) Alerts(context.Context) ([]prom.Alert, error)                    { return nil, pgxErr }
func (failing) Activity(context.Context) (pg.Snapshot, error)                   { return pg.Snapshot{}, pgxErr }
func (failing) Signal(context.Context, pg.Signal, pg.Target) (bool, error)      { return false, pgxErr }
func (failing) Failover(context.Context, string) (rds.Instance, error)          { return rds.Instance{}, pgxErr }
func (failing) Describe(context.Context, string) (rds.Instance, error)          { return rds.Instance{}, pgxErr }

// start runs a pane's Init fetches and hands it their answers, and what
// those answers ask for that comes at once (a watch's next snapshot, a
// detail read); a Cmd that takes longer (a poll's tick) is dropped.
func start(p common.Pane) {
	pending := []tea.Cmd{p.Init()}
	for n := 0; len(pending) > 0 && n < 200; n++ {
		c := pending[0]
		pending = pending[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(300 * time.Millisecond):
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			pending = append(pending, b...)
		} else if msg != nil {
			_, next := p.Update(msg)
			pending = append(pending, next)
		}
	}
}

func allPanes(t *testing.T, broken bool) map[string]common.Pane {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	now := func() time.Time { return t0.Add(50 * time.Second) }
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: now, Actor: "alice"}
	sc := drill.New(t0, now)
	var kp kube.Probe = sc.Kube()
	var pp prom.Probe = sc.Prom()
	var gp pg.Probe = sc.PG()
	var rp rds.Probe = sc.RDS()
	if broken {
		kp, pp, gp, rp = failing{}, failing{}, failing{}, failing{}
	}
	books, err := runbooks.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	events := []incident.Event{{ID: "a", Time: t0, Actor: "alice", Kind: incident.KindDeclared, Summary: "DRILL: API 5xx spike"}}
	for _, s := range sc.Script("a") {
		events = append(events, s.Event)
	}
	events = append(events, incident.Event{ID: "z", Time: t0.Add(40 * time.Second), Actor: "alice", Kind: incident.KindNote,
		Summary: strings.Repeat("a long note 👩‍💻 監視 ", 200)})
	sess := incident.Session{ID: "a", Title: "DRILL: API 5xx spike", Severity: incident.P1, SeverityKnown: true, Declared: t0}
	ps := map[string]common.Pane{
		"pods":       pods.New(c, kp, pods.Config{Namespaces: []string{drill.Namespace}}),
		"errorrate":  errorrate.New(c, pp, errorrate.Config{Refresh: time.Second}),
		"queries":    queries.New(c, gp, rp, queries.Config{Refresh: time.Second, RDSInstance: drill.InstanceID}),
		"escalation": escalation.New(c, escalation.Config{Session: sess}),
		"runbook":    runbook.New(c, runbooks.NewIndex(books), runbook.Config{}),
		"timeline":   timeline.New(c, timeline.Config{Events: events}),
	}
	for _, p := range ps {
		start(p)
	}
	return ps
}

// Every pane, with the drill's data and with every backend failing, at
// every size from 1x1 to 20x5 (and its reading states: a runbook open, a
// timeline event open), keeps each line within the width and the lines
// within the height it was given.
func TestEveryPaneKeepsWithinItsWidthAtTinySizes(t *testing.T) {
	enter := tea.KeyMsg{Type: tea.KeyEnter}
	for _, broken := range []bool{false, true} {
		for _, state := range []string{"list", "enter"} {
			ps := allPanes(t, broken)
			if state == "enter" {
				for _, p := range ps {
					p.SetSize(80, 24)
					p.Update(enter)
				}
			}
			for name, p := range ps {
				for w := 1; w <= 20; w++ {
					for h := 1; h <= 5; h++ {
						p.SetSize(w, h)
						v := p.View()
						lines := strings.Split(v, "\n")
						if len(lines) > h {
							t.Errorf("%s (broken=%v, %s) at %dx%d: %d lines", name, broken, state, w, h, len(lines))
						}
						for i, l := range lines {
							if got := ansi.StringWidth(l); got > w {
								t.Errorf("%s (broken=%v, %s) at %dx%d: line %d is %d wide: %q", name, broken, state, w, h, i, got, l)
							}
						}
					}
				}
			}
		}
	}
}
