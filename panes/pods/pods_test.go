package pods

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/keymsg"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func testCommon(now time.Time) common.Common {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return now }, Actor: "t"}
}

// loop is a small bubbletea runtime for one pane: Cmds run in goroutines,
// their messages come back in order of arrival, BatchMsgs are expanded.
type loop struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
	// actions are the Actions the pane handed to the shell.
	actions []common.Action
	inputs  []common.InputRequest
	flashes []string
	// signals and contexts are what the pane published.
	signals  []common.SignalsMsg
	contexts []common.ContextMsg
	vitals   []common.VitalsMsg
}

func newLoop(t *testing.T, m *Model) *loop {
	l := &loop{t: t, m: m, msgs: make(chan tea.Msg, 64)}
	l.exec(m.Init())
	return l
}

func (l *loop) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { l.msgs <- cmd() }()
}

// until feeds messages to the pane until cond holds.
func (l *loop) until(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case msg := <-l.msgs:
			l.handle(msg)
		case <-deadline:
			l.t.Fatalf("waiting for %s; the pane shows:\n%s", what, l.m.View())
		}
	}
}

func (l *loop) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			l.exec(c)
		}
	case common.ActionRequest:
		l.actions = append(l.actions, msg.Action)
	case common.InputRequest:
		l.inputs = append(l.inputs, msg)
	case common.FlashMsg:
		l.flashes = append(l.flashes, msg.Text)
	case common.SignalsMsg:
		l.signals = append(l.signals, msg)
		_, cmd := l.m.Update(msg) // the shell hands it to every pane, this one too
		l.exec(cmd)
	case common.ContextMsg:
		l.contexts = append(l.contexts, msg)
		_, cmd := l.m.Update(msg)
		l.exec(cmd)
	case common.VitalsMsg:
		l.vitals = append(l.vitals, msg)
		_, cmd := l.m.Update(msg)
		l.exec(cmd)
	default:
		_, cmd := l.m.Update(msg)
		l.exec(cmd)
	}
}

func (l *loop) key(k string) {
	_, cmd := l.m.Update(keymsg.Of(k))
	l.exec(cmd)
}

func (l *loop) shows(want ...string) func() bool {
	return func() bool {
		v := l.m.View()
		for _, w := range want {
			if !strings.Contains(v, w) {
				return false
			}
		}
		return true
	}
}

// drillPane is the pane on the drill's cluster, 50 s into the drill.
func drillPane(t *testing.T, w, h int) (*loop, *drill.Scenario) {
	now := t0.Add(50 * time.Second)
	sc := drill.New(t0, func() time.Time { return now })
	m := New(testCommon(now), sc.Kube(), Config{Namespaces: []string{drill.Namespace}})
	m.SetSize(w, h)
	return newLoop(t, m), sc
}

func TestWatchShowsPodsWorstFirstAndDeploymentLines(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	l.until("the drill's pods", l.shows("10 pods", "6 need attention"))
	v := l.m.View()
	for _, want := range []string{
		"● ok · watching",
		"api 1/3 ready · rev 2 (3m50s ago) · 3 CrashLoopBackOff · progressing · api:2.14.0 (prev rev 1 api:2.13.2)",
		"worker 2/2 ready · rev 2 (10m ago) · 1 ImagePullBackOff · 1 Pending",
		"NODE",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// Worst first: the first row is a crash-looping api pod.
	lines := strings.Split(v, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "NAME") {
			if !strings.Contains(lines[i+1], "CrashLoopBackOff") {
				t.Errorf("first row %q is not a crash-looping pod", lines[i+1])
			}
			break
		}
	}
}

func TestSelectionStaysOnItsPodAndFilterNarrows(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	l.until("the drill's pods", l.shows("10 pods"))
	for range 5 {
		l.key("j")
	}
	p, ok := l.m.selected()
	if !ok {
		t.Fatal("nothing selected")
	}
	// A new snapshot (same pods, new order possible) keeps the selection.
	l.m.setSnapshot(l.m.snap)
	if q, _ := l.m.selected(); q.Name != p.Name {
		t.Errorf("selection moved from %s to %s on a new snapshot", p.Name, q.Name)
	}
	l.key("/")
	if !l.m.Capturing() {
		t.Fatal("/ did not open the filter")
	}
	for _, r := range "worker" {
		l.key(string(r))
	}
	l.key("enter")
	if l.m.Capturing() {
		t.Fatal("enter did not leave the filter")
	}
	v := l.m.View()
	if strings.Contains(v, "api-6f9c7d5b8") || !strings.Contains(v, "worker-59d7c8b6c-xj5fh") || !strings.Contains(v, `filter "worker": 4 of 10 pods`) {
		t.Errorf("filter worker:\n%s", v)
	}
	l.key("esc")
	if v := l.m.View(); !strings.Contains(v, "api-6f9c7d5b8") {
		t.Errorf("esc did not clear the filter:\n%s", v)
	}
}

func TestDetailShowsLastTerminationEventsAndPreviousLog(t *testing.T) {
	l, _ := drillPane(t, 140, 60)
	l.until("the drill's pods", l.shows("10 pods"))
	// The first row is a crash-looping api pod.
	l.key("enter")
	l.until("the pod's detail", l.shows("CONTAINERS", "last termination: Error, exit code 1", "LOG api",
		"DEPLOYMENT api · rollout progressing · 3 updated, 1 ready, 1 available of 3", "▸ 2         api:2.14.0"))
	l.until("its log", l.shows("INFO api 2.14.0 starting"))
	l.until("its events", l.shows("Warning  BackOff", "Back-off restarting failed container api in pod api-6f9c7d5b8-"))
	l.key("p")
	l.until("the previous container's log", l.shows("previous (the last crash)", "FATAL startup failed"))
	if !strings.Contains(l.m.Title(), "api-6f9c7d5b8-") {
		t.Errorf("title %q does not name the pod", l.m.Title())
	}
	l.key("esc")
	if l.m.detail != nil || !strings.Contains(l.m.View(), "NAME") {
		t.Errorf("esc did not go back to the list:\n%s", l.m.View())
	}
}

func TestUndoConfirmationStatesTheBlastRadius(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	l.until("the drill's pods", l.shows("10 pods"))
	l.key("u")
	l.until("the undo action", func() bool { return len(l.actions) == 1 })
	a := l.actions[0]
	want := "deployment/api in agent-platform: revision 2 (api:2.14.0) → 1 (api:2.13.2), 3 replicas will roll · change-cause: deploy api 2.13.2"
	if len(a.Impact) != 1 || a.Impact[0] != want {
		t.Errorf("impact = %q, want %q", a.Impact, want)
	}
	if a.Op != kube.OpRolloutUndo || a.Target != "deployment/api in agent-platform" || !a.Destructive {
		t.Errorf("action = %+v", a)
	}
	// It runs: the drill's controller brings revision 1 back, and the
	// watch shows it without a re-list.
	out := a.Run(context.Background(), func(string) {})
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if !strings.Contains(out.Result, "revision 2 (api:2.14.0) → revision 1 (api:2.13.2)") {
		t.Errorf("result %q", out.Result)
	}
	// Revision 1's ReplicaSet is 26 hours old, but it became current now.
	l.until("the rollback on screen", l.shows("api 3/3 ready · rev 3 (0s ago)"))
	// A second undo confirmed from the same screen (a colleague's, or a
	// double press) must not roll 2.14.0 back out: it is bound to revision 2.
	if out := a.Run(context.Background(), func(string) {}); !errors.Is(out.Err, kube.ErrRevisionMoved) {
		t.Fatalf("a second undo of the confirmed revision 2: %+v", out)
	}
	if v := l.m.View(); !strings.Contains(v, "api 3/3 ready · rev 3") {
		t.Errorf("the refused undo changed the deployment:\n%s", v)
	}
}

// When the selected pod goes (deleted, replaced), the cursor does not
// slide onto a neighbour that the next destructive key would hit.
func TestSelectedPodGoneSelectsNothing(t *testing.T) {
	mk := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	}
	cs := fake.NewClientset(mk("a"), mk("b"), mk("c"))
	m := New(testCommon(t0), fakeProbe(cs), Config{Namespaces: []string{"ns"}})
	m.SetSize(100, 12)
	l := newLoop(t, m)
	l.until("three pods", l.shows("3 pods"))
	l.key("j")
	if p, _ := m.selected(); p.Name != "b" {
		t.Fatalf("selected %q, want b", p.Name)
	}
	if err := cs.CoreV1().Pods("ns").Delete(context.Background(), "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	l.until("b gone", l.shows("2 pods"))
	if p, ok := m.selected(); ok {
		t.Fatalf("after b went, %q is selected: a destructive key would hit it", p.Name)
	}
	l.key("D")
	l.until("the refusal", func() bool { return len(l.actions) == 0 && len(l.flashes) == 1 })
	if !strings.Contains(l.flashes[0], "the selected pod is gone") {
		t.Errorf("flash %q", l.flashes[0])
	}
	l.key("k")
	if p, ok := m.selected(); !ok || p.Name != "a" {
		t.Errorf("after moving: %q, %v", p.Name, ok)
	}
	// The delete is bound to the pod's UID.
	l.key("D")
	l.until("the delete action", func() bool { return len(l.actions) == 1 })
	if l.actions[0].Target != "pod/a in ns" {
		t.Errorf("target %q", l.actions[0].Target)
	}
	if err := cs.CoreV1().Pods("ns").Delete(context.Background(), "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("ns").Create(context.Background(), mk("a2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	namesake := mk("a")
	namesake.UID = "uid-namesake"
	if _, err := cs.CoreV1().Pods("ns").Create(context.Background(), namesake, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := l.actions[0].Run(context.Background(), func(string) {}); out.Err == nil || !strings.Contains(out.Err.Error(), "not the pod you chose") {
		t.Errorf("deleting a namesake: %+v", out)
	}
}

func TestScaleAsksWithTheCurrentCountAndDeletesNamesTheReplacement(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	l.until("the drill's pods", l.shows("10 pods"))
	l.key("s")
	l.until("the scale dialog", func() bool { return len(l.inputs) == 1 })
	in := l.inputs[0]
	if f := in.Fields[0]; f.Default != "3" || f.Validate("-1") == nil || f.Validate("5000") == nil || f.Validate("4") != nil {
		t.Errorf("scale field: default %q, validation wrong", f.Default)
	}
	l.handle(in.OnSubmit(map[string]string{"replicas": "1"})())
	if len(l.actions) != 1 {
		t.Fatal("submitting did not hand a scale action to the shell")
	}
	if a := l.actions[0]; a.Op != kube.OpScale || !a.Destructive || !strings.Contains(a.Impact[0], "3 → 1 replicas · 2 pods will be deleted") {
		t.Errorf("scale action %+v", a)
	}
	l.key("D")
	l.until("the delete action", func() bool { return len(l.actions) == 2 })
	if a := l.actions[1]; a.Op != kube.OpDeletePod || !strings.Contains(a.Impact[0], "deployment/api will create a replacement") {
		t.Errorf("delete action %+v", a)
	}
}

func TestNotConfiguredSaysHow(t *testing.T) {
	m := New(testCommon(t0), nil, Config{})
	m.SetSize(60, 10)
	// Init only says the pane's vitals are unknown: it watches nothing.
	msgs := cmdtest.Collect(m.Init(), 100*time.Millisecond)
	if m.watch != nil || len(msgs) != 1 {
		t.Fatalf("an unconfigured pane must not watch: watch %v, Init's messages %#v", m.watch, msgs)
	}
	if vm, ok := msgs[0].(common.VitalsMsg); !ok || len(vm.Vitals) != 2 || vm.Vitals[0].Known() || vm.Vitals[0].Error != "not configured" {
		t.Errorf("Init's message %#v, want the vitals unknown: not configured", msgs[0])
	}
	if v := m.View(); !strings.Contains(v, "not configured —\nset --kubeconfig") {
		t.Errorf("view = %q", v)
	}
}

// fakeProbe is the real Client over a clientset the test shapes.
func fakeProbe(cs *fake.Clientset) kube.Probe { return kube.New(cs) }

func TestHostileNamesAreSanitized(t *testing.T) {
	cs := fake.NewClientset(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "evil\x1b]0;owned\x07\x1b[2J", Namespace: "ns"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Reason: "Bad\x1b[31m"},
	})
	m := New(testCommon(t0), fakeProbe(cs), Config{Namespaces: []string{"ns"}})
	m.SetSize(80, 10)
	l := newLoop(t, m)
	l.until("the pod", l.shows("1 pods"))
	if v := m.View(); strings.ContainsRune(v, '\x1b') || strings.ContainsRune(v, '\x07') {
		t.Fatalf("control sequences reached the screen: %q", v)
	}
}

func TestForbiddenResourceShownInPlaceWhilePodsWork(t *testing.T) {
	cs := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "ns"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	forbidden := func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, &forbiddenErr{}
	}
	cs.PrependReactor("list", "events", forbidden)
	cs.PrependWatchReactor("events", func(k8stesting.Action) (bool, watch.Interface, error) { return true, nil, &forbiddenErr{} })
	m := New(testCommon(t0), fakeProbe(cs), Config{Namespaces: []string{"ns"}})
	m.SetSize(100, 12)
	l := newLoop(t, m)
	l.until("pods and the forbidden line", l.shows("api-1", "forbidden: list events in ns"))
	if m.Backends()[0].State.Status != probes.OK {
		t.Errorf("a forbidden resource made the whole pane %v", m.Backends()[0].State.Status)
	}
}

func TestFailingWatchSaysSoBeforeAnyData(t *testing.T) {
	cs := fake.NewClientset()
	refused := errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	cs.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, refused })
	cs.PrependWatchReactor("*", func(k8stesting.Action) (bool, watch.Interface, error) { return true, nil, refused })
	m := New(testCommon(t0), fakeProbe(cs), Config{Namespaces: []string{"ns"}})
	m.SetSize(80, 10)
	l := newLoop(t, m)
	l.until("the failure", l.shows("failing", "connection refused"))
	if v := m.View(); strings.Contains(v, "0 pods") {
		t.Errorf("claims 0 pods without data:\n%s", v)
	}
}

// forbiddenErr is an API Forbidden status, as the API server answers.
type forbiddenErr struct{}

func (*forbiddenErr) Error() string {
	return `events is forbidden: User "narrow" cannot list resource "events"`
}
func (*forbiddenErr) Status() metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: (&forbiddenErr{}).Error()}
}

// CPU/MEM columns where metrics.k8s.io answers (as kubectl top prints
// them, "-" for a pod it has not measured); where it does not, a line
// says why and there are no columns.
func TestMetricsColumnsOrWhyNot(t *testing.T) {
	m := New(testCommon(t0), nil, Config{Namespaces: []string{"ns"}})
	m.SetSize(150, 12)
	pods := []kube.Pod{
		{Namespace: "ns", Name: "api-1", Status: "Running", Ready: 1, Total: 1, Usage: kube.Usage{CPUMilli: 250, MemBytes: 128 << 20}, HasUsage: true},
		{Namespace: "ns", Name: "api-2", Status: "Running", Ready: 1, Total: 1},
	}
	m.setSnapshot(kube.Snapshot{Synced: true, Pods: pods})
	v := m.View()
	for _, want := range []string{"CPU", "MEM", "250m", "128Mi"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	m.setSnapshot(kube.Snapshot{Synced: true, Pods: []kube.Pod{pods[1]}, Metrics: "metrics unavailable: metrics.k8s.io is not served by this cluster (no metrics-server)"})
	v = m.View()
	header := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, "NAME") {
			header = l
		}
	}
	if strings.Contains(header, "MEM") || !strings.Contains(v, "CPU/MEM: metrics unavailable: metrics.k8s.io is not served") {
		t.Errorf("without metrics:\n%s", v)
	}
}
