package pods

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// published is what cmd hands the runbook sidebar.
func published(cmd tea.Cmd) ([]common.SignalsMsg, []common.ContextMsg) { return cmdtest.Published(cmd) }

// upd is the pane's Update, its Cmd only.
func upd(m *Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

func pod(ns, name, dep, status string, ready, total int) kube.Pod {
	return kube.Pod{Namespace: ns, Name: name, Deployment: dep, Status: status, Ready: ready, Total: total, Created: t0.Add(-time.Hour)}
}

func texts(sigs []runbooks.Signal) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Text)
	}
	return out
}

// A snapshot with failing pods is one SignalsMsg, a deployment a signal,
// strongest first; the same snapshot again says nothing; pods on their
// way (Pending) are no signal; recovery is an empty set, said once.
func TestSignalsSentOnlyWhenTheyChange(t *testing.T) {
	const ns = "agent-platform"
	m := New(testCommon(t0), nil, Config{Namespaces: []string{ns}})
	m.SetSize(120, 30)
	burning := kube.Snapshot{Synced: true, Pods: []kube.Pod{
		pod(ns, "api-1", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "api-2", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "api-3", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "worker-1", "worker", "Running", 0, 1), // running, not ready
		pod(ns, "worker-2", "worker", "Running", 1, 1),
		pod(ns, "worker-3", "worker", "Pending", 0, 1), // on its way: no signal
		pod(ns, "web-1", "web", "CrashLoopBackOff", 0, 1),
		pod(ns, "web-2", "web", "OOMKilled", 0, 1),
		pod(ns, "web-3", "web", "Running", 1, 1),
		pod(ns, "web-4", "web", "Running", 1, 1),
		pod(ns, "bare", "", "Error", 0, 1),
	}}
	// Not yet synced: a partial list says nothing.
	if sigs, _ := published(m.setSnapshot(kube.Snapshot{Pods: burning.Pods[:1]})); len(sigs) != 0 {
		t.Fatalf("a snapshot still listing published %+v", sigs)
	}
	sigs, _ := published(m.setSnapshot(burning))
	if len(sigs) != 1 {
		t.Fatalf("failing pods: %d SignalsMsgs, want 1", len(sigs))
	}
	got := sigs[0]
	// Worst first: a whole group down (100) before half of one (50).
	want := []string{
		"1 pod not ready in agent-platform",
		"3 api pods crash-looping in agent-platform",
		"2 of 4 web pods not ready (1 crash-looping) in agent-platform",
		"1 of 3 worker pods not ready in agent-platform",
	}
	if got.Source != "pods" || !slices.Equal(texts(got.Signals), want) {
		t.Fatalf("signals from %q:\n%q\nwant\n%q", got.Source, texts(got.Signals), want)
	}
	for _, s := range got.Signals {
		if s.Kind != runbooks.SignalCrashLoop {
			t.Errorf("%q: kind %q", s.Text, s.Kind)
		}
	}
	if s := got.Signals[1]; s.Weight != 100 || !slices.Equal(s.Terms, []string{"CrashLoopBackOff", "api"}) {
		t.Errorf("api (3 of 3 down): weight %d, terms %q", s.Weight, s.Terms)
	}
	if s := got.Signals[2]; s.Weight != 50 || !slices.Equal(s.Terms, []string{"CrashLoopBackOff", "OOMKilled", "web"}) {
		t.Errorf("web (2 of 4): weight %d, terms %q", s.Weight, s.Terms)
	}
	if s := got.Signals[3]; !slices.Equal(s.Terms, []string{"worker"}) || s.Weight != 34 {
		t.Errorf("worker (1 of 3 running, not ready): weight %d, terms %q", s.Weight, s.Terms)
	}
	// The same pods again (a new snapshot of an unchanged cluster, in
	// another order): nothing.
	again := burning
	again.Pods = slices.Clone(burning.Pods)
	slices.Reverse(again.Pods)
	if sigs, _ := published(m.setSnapshot(again)); len(sigs) != 0 {
		t.Fatalf("unchanged: published again %+v", sigs)
	}
	// One api pod recovers: a new account.
	fewer := burning
	fewer.Pods = slices.Clone(burning.Pods)
	fewer.Pods[0].Status, fewer.Pods[0].Ready = "Running", 1
	sigs, _ = published(m.setSnapshot(fewer))
	if len(sigs) != 1 || !slices.Contains(texts(sigs[0].Signals), "2 of 3 api pods crash-looping in agent-platform") {
		t.Fatalf("one api pod back: %+v", sigs)
	}
	// All healthy (and a rollout's Pending pod): an empty set, once.
	healthy := kube.Snapshot{Synced: true, Pods: []kube.Pod{pod(ns, "api-1", "api", "Running", 1, 1), pod(ns, "api-4", "api", "Pending", 0, 1)}}
	sigs, _ = published(m.setSnapshot(healthy))
	if len(sigs) != 1 || sigs[0].Source != "pods" || len(sigs[0].Signals) != 0 {
		t.Fatalf("recovered: %+v, want one empty set", sigs)
	}
	if sigs, _ := published(m.setSnapshot(healthy)); len(sigs) != 0 {
		t.Fatalf("still healthy: published again %+v", sigs)
	}
	// Nothing burning from the start is nothing to say.
	m2 := New(testCommon(t0), nil, Config{Namespaces: []string{ns}})
	if sigs, _ := published(m2.setSnapshot(healthy)); len(sigs) != 0 {
		t.Fatalf("a healthy first snapshot published %+v", sigs)
	}
}

// The drill's cluster, through the watch: what the list paints red.
func TestDrillPublishesItsCrashLoops(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	l.until("the pods' signals", func() bool { return len(l.signals) > 0 })
	l.until("the drill's pods", l.shows("10 pods"))
	got := texts(l.signals[len(l.signals)-1].Signals)
	want := []string{
		"3 of 4 api pods crash-looping in " + drill.Namespace,
		"1 of 2 agent-runtime pods not ready in " + drill.Namespace, // OOMKilled
		"1 of 4 worker pods not ready in " + drill.Namespace,        // ImagePullBackOff; its Pending pod is no signal
	}
	if !slices.Equal(got, want) {
		t.Fatalf("drill signals\n%q\nwant\n%q", got, want)
	}
}

// The selection is published when it changes, not on every message: the
// pod, its deployment and its namespace; with nothing selected, the
// namespace the pane watches.
func TestContextFollowsTheSelection(t *testing.T) {
	const ns = "agent-platform"
	m := New(testCommon(t0), nil, Config{Namespaces: []string{ns}})
	m.SetSize(120, 30)
	_, ctxs := published(upd(m, tea.WindowSizeMsg{}))
	if len(ctxs) != 1 || !maps.Equal(ctxs[0].Values, map[string]string{"namespace": ns}) || ctxs[0].Source != "pods" {
		t.Fatalf("before any pod: %+v", ctxs)
	}
	m.setSnapshot(kube.Snapshot{Synced: true, Pods: []kube.Pod{
		pod(ns, "api-1", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "bare\x1b[2J", "", "Running", 1, 1),
	}})
	_, ctxs = published(upd(m, struct{}{}))
	if len(ctxs) != 1 || !maps.Equal(ctxs[0].Values, map[string]string{"namespace": ns, "pod": "api-1", "deployment": "api"}) {
		t.Fatalf("first pod selected: %+v", ctxs)
	}
	for _, msg := range []tea.Msg{struct{}{}, common.SignalsMsg{Source: "pods"}, common.ContextMsg{Source: "pods"}} {
		if _, ctxs := published(upd(m, msg)); len(ctxs) != 0 {
			t.Fatalf("unchanged selection published again on %T: %+v", msg, ctxs)
		}
	}
	_, ctxs = published(upd(m, keymsg.Of("j")))
	if len(ctxs) != 1 {
		t.Fatalf("moving the cursor: %+v", ctxs)
	}
	if v := ctxs[0].Values; !strings.HasPrefix(v["pod"], "bare") || strings.ContainsRune(v["pod"], '\x1b') || v["namespace"] != ns {
		t.Fatalf("a pod with no deployment: %q", v)
	}
	if _, ok := ctxs[0].Values["deployment"]; ok {
		t.Errorf("no deployment known, but the key is there: %q", ctxs[0].Values)
	}
	// The selected pod goes: nothing is selected, the namespace stays.
	m.setSnapshot(kube.Snapshot{Synced: true, Pods: []kube.Pod{pod(ns, "api-1", "api", "CrashLoopBackOff", 0, 1)}})
	_, ctxs = published(upd(m, struct{}{}))
	if len(ctxs) != 1 || !maps.Equal(ctxs[0].Values, map[string]string{"namespace": ns}) {
		t.Fatalf("selected pod gone: %+v", ctxs)
	}
}
