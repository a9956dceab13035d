// Package printdiff is a differential test: warroom's kube.Row against
// kubectl's own pod printer (k8s.io/kubernetes/pkg/printers/internalversion,
// the code the API server runs for `kubectl get pods`), on the same pods.
// It lives in the tools module because k8s.io/kubernetes must never enter
// the application's go.mod.
//
// hack/fuzz.sh skips hack/k8s, so FuzzRowMatchesKubectl runs only its seeds
// under `go test`; fuzz it by hand:
//
//	cd hack/k8s && go test -run '^$' -fuzz '^FuzzRowMatchesKubectl$' -fuzztime 60s ./printdiff
package printdiff

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install" // v1 <-> internal conversions into legacyscheme
	"k8s.io/kubernetes/pkg/printers"
	"k8s.io/kubernetes/pkg/printers/internalversion"
	"k8s.io/utils/ptr"

	"github.com/warroom-dev/warroom/probes/kube"
)

var generator = printers.NewTableGenerator().With(internalversion.AddHandlers)

// columns is what both sides print for one pod.
type columns struct{ ready, status, restarts string }

// kubectl prints pod the way the API server does for `kubectl get pods`:
// convert the v1 object to the internal type, then run the pod handler.
func kubectl(t testing.TB, pod *corev1.Pod) columns {
	var in api.Pod
	if err := legacyscheme.Scheme.Convert(pod, &in, nil); err != nil {
		t.Fatalf("convert to internal: %v", err)
	}
	table, err := generator.GenerateTable(&in, printers.GenerateOptions{})
	if err != nil {
		t.Fatalf("kubectl printer: %v", err)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("kubectl printer: %d rows", len(table.Rows))
	}
	idx := map[string]int{}
	for i, c := range table.ColumnDefinitions {
		idx[c.Name] = i
	}
	cell := func(name string) string {
		i, ok := idx[name]
		if !ok {
			t.Fatalf("kubectl printer has no %s column", name)
		}
		return fmt.Sprint(table.Rows[0].Cells[i])
	}
	return columns{cell("Ready"), cell("Status"), cell("Restarts")}
}

// check prints pod both ways and reports whether they agree. The "(2m ago)"
// part depends on the clock kubectl reads inside GenerateTable, so Row's
// text is accepted at either instant bracketing that call.
func check(t testing.TB, pod *corev1.Pod) (kubectlCols, rowCols columns, ok bool) {
	before := time.Now()
	k := kubectl(t, pod)
	after := time.Now()
	r := kube.Row(pod)
	got := columns{fmt.Sprintf("%d/%d", r.Ready, r.Total), r.Status, r.RestartsText(after)}
	if k.restarts == r.RestartsText(before) {
		got.restarts = k.restarts
	}
	return k, got, k == got
}

func toV1(t testing.TB, in *api.Pod) *corev1.Pod {
	var out corev1.Pod
	if err := legacyscheme.Scheme.Convert(in, &out, nil); err != nil {
		t.Fatalf("convert to v1: %v", err)
	}
	return &out
}

// Container-status builders for the everyday cases.
func running(ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Ready: ready, Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}
func waiting(reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}
func terminated(reason string, code, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Signal: signal}}}
}
func named(name string, s corev1.ContainerStatus) corev1.ContainerStatus { s.Name = name; return s }
func restarted(s corev1.ContainerStatus, n int32, ago time.Duration) corev1.ContainerStatus {
	s.RestartCount = n
	if ago != 0 {
		s.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.NewTime(time.Now().Add(-ago))}
	}
	return s
}
func cond(typ corev1.PodConditionType, status corev1.ConditionStatus, reason string) corev1.PodCondition {
	return corev1.PodCondition{Type: typ, Status: status, Reason: reason}
}

func containers(names ...string) []corev1.Container {
	out := make([]corev1.Container, len(names))
	for i, n := range names {
		out[i].Name = n
	}
	return out
}

// sidecarSpec has init containers "setup" (ordinary) and "proxy" (native
// sidecar), and app container "app".
func sidecarSpec() corev1.PodSpec {
	return corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "setup"}, {Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}},
		Containers:     containers("app"),
	}
}

func everydayCases() map[string]corev1.Pod {
	deleted := metav1.NewTime(time.Now().Add(-30 * time.Second))
	one := corev1.PodSpec{Containers: containers("app")}
	two := corev1.PodSpec{Containers: containers("app", "log")}
	twoInit := corev1.PodSpec{InitContainers: containers("migrate", "warm"), Containers: containers("app")}
	st := func(phase corev1.PodPhase, cs ...corev1.ContainerStatus) corev1.PodStatus {
		return corev1.PodStatus{Phase: phase, ContainerStatuses: cs}
	}
	initSt := func(phase corev1.PodPhase, ics []corev1.ContainerStatus, cs ...corev1.ContainerStatus) corev1.PodStatus {
		return corev1.PodStatus{Phase: phase, InitContainerStatuses: ics, ContainerStatuses: cs}
	}
	withDel := func(p corev1.Pod) corev1.Pod { p.DeletionTimestamp = &deleted; return p }
	withConds := func(p corev1.Pod, c ...corev1.PodCondition) corev1.Pod { p.Status.Conditions = c; return p }
	pod := func(spec corev1.PodSpec, status corev1.PodStatus) corev1.Pod {
		return corev1.Pod{Spec: spec, Status: status}
	}
	sidecarUp := func(app corev1.ContainerStatus, proxyRestarts int32) corev1.PodStatus {
		return initSt(corev1.PodRunning,
			[]corev1.ContainerStatus{named("setup", terminated("Completed", 0, 0)), named("proxy", restarted(running(true), proxyRestarts, 3*time.Hour))},
			named("app", app))
	}
	initialized := cond(corev1.PodInitialized, corev1.ConditionTrue, "")
	ready := cond(corev1.PodReady, corev1.ConditionTrue, "")
	notReady := cond(corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady")

	return map[string]corev1.Pod{
		"running":                         pod(one, st(corev1.PodRunning, running(true))),
		"running, unready":                pod(one, st(corev1.PodRunning, running(false))),
		"crashloop with last restart":     pod(one, st(corev1.PodRunning, restarted(waiting("CrashLoopBackOff"), 7, 2*time.Hour))),
		"crashloop, restart time unknown": pod(one, st(corev1.PodRunning, restarted(waiting("CrashLoopBackOff"), 7, 0))),
		"oomkilled":                       pod(one, st(corev1.PodRunning, restarted(terminated("OOMKilled", 137, 0), 1, time.Hour))),
		"exit code":                       pod(one, st(corev1.PodRunning, terminated("", 3, 0))),
		"signal":                          pod(one, st(corev1.PodRunning, terminated("", 0, 9))),
		"image pull":                      pod(one, st(corev1.PodPending, waiting("ImagePullBackOff"))),
		"container creating":              pod(one, st(corev1.PodPending, waiting("ContainerCreating"))),
		"pending, no statuses":            pod(one, st(corev1.PodPending)),
		"evicted":                         pod(one, corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}),
		"completed":                       pod(one, st(corev1.PodSucceeded, terminated("Completed", 0, 0))),
		"failed job":                      pod(one, st(corev1.PodFailed, terminated("Error", 1, 0))),
		"failed beside completed": pod(two, st(corev1.PodFailed,
			named("app", terminated("Error", 2, 0)), named("log", terminated("Completed", 0, 0)))),
		"completed beside running, ready": withConds(pod(two, st(corev1.PodRunning,
			named("app", running(true)), named("log", terminated("Completed", 0, 0)))), ready),
		"completed beside running, NotReady": withConds(pod(two, st(corev1.PodRunning,
			named("app", running(true)), named("log", terminated("Completed", 0, 0)))), notReady),
		"terminating":              withDel(pod(one, st(corev1.PodRunning, running(true)))),
		"deleted after success":    withDel(pod(one, st(corev1.PodSucceeded, terminated("Completed", 0, 0)))),
		"deleted after failure":    withDel(pod(one, st(corev1.PodFailed, terminated("Error", 1, 0)))),
		"node lost":                withDel(pod(one, corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost", ContainerStatuses: []corev1.ContainerStatus{running(true)}})),
		"node lost, not deleted":   pod(one, corev1.PodStatus{Phase: corev1.PodUnknown, Reason: "NodeLost"}),
		"scheduling gated":         withConds(pod(one, st(corev1.PodPending)), cond(corev1.PodScheduled, corev1.ConditionFalse, "SchedulingGated")),
		"unschedulable":            withConds(pod(one, st(corev1.PodPending)), cond(corev1.PodScheduled, corev1.ConditionFalse, "Unschedulable")),
		"init 0/2":                 pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", running(false)), named("warm", waiting("PodInitializing"))}, named("app", waiting("PodInitializing")))),
		"init 1/2":                 pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", terminated("Completed", 0, 0)), named("warm", running(false))}, named("app", waiting("PodInitializing")))),
		"init crashloop":           pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", restarted(waiting("CrashLoopBackOff"), 4, time.Hour))}, named("app", waiting("PodInitializing")))),
		"init exit code":           pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", terminated("", 1, 0))})),
		"init signal":              pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", terminated("", 137, 9))})),
		"init oomkilled":           pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", terminated("OOMKilled", 137, 0))})),
		"pod initializing":         pod(twoInit, initSt(corev1.PodPending, []corev1.ContainerStatus{named("migrate", terminated("Completed", 0, 0)), named("warm", terminated("Completed", 0, 0))}, named("app", waiting("PodInitializing")))),
		"init restarts after init": withConds(pod(twoInit, initSt(corev1.PodRunning, []corev1.ContainerStatus{named("migrate", restarted(terminated("Completed", 0, 0), 2, 5*time.Hour)), named("warm", terminated("Completed", 0, 0))}, named("app", running(true)))), initialized, ready),
		"sidecar up":               withConds(pod(sidecarSpec(), sidecarUp(running(true), 0)), initialized, ready),
		"sidecar restarted":        withConds(pod(sidecarSpec(), sidecarUp(restarted(running(true), 1, 4*time.Hour), 2)), initialized, ready),
		"sidecar, app crashloop":   withConds(pod(sidecarSpec(), sidecarUp(restarted(waiting("CrashLoopBackOff"), 5, time.Hour), 0)), initialized, notReady),
		"sidecar not started": pod(sidecarSpec(), initSt(corev1.PodPending,
			[]corev1.ContainerStatus{named("setup", terminated("Completed", 0, 0)), named("proxy", corev1.ContainerStatus{Started: ptr.To(false), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})},
			named("app", waiting("PodInitializing")))),
		"sidecar, setup failing": pod(sidecarSpec(), initSt(corev1.PodPending,
			[]corev1.ContainerStatus{named("setup", restarted(terminated("Error", 1, 0), 3, 2*time.Hour)), named("proxy", waiting(""))},
			named("app", waiting("PodInitializing")))),
		"sidecar, job done": withConds(pod(sidecarSpec(), initSt(corev1.PodSucceeded,
			[]corev1.ContainerStatus{named("setup", terminated("Completed", 0, 0)), named("proxy", terminated("Completed", 0, 0))},
			named("app", terminated("Completed", 0, 0)))), initialized),
		"sidecar, terminating": withDel(withConds(pod(sidecarSpec(), sidecarUp(running(true), 1)), initialized, ready)),
	}
}

func TestRowMatchesKubectl(t *testing.T) {
	n, bad := 0, 0
	for _, c := range kubectlCases() {
		n++
		pod := toV1(t, &c.pod)
		if k, r, ok := check(t, pod); !ok {
			bad++
			t.Errorf("%s: kubectl %+v, Row %+v", c.name, k, r)
		}
	}
	for name, pod := range everydayCases() {
		n++
		if k, r, ok := check(t, &pod); !ok {
			bad++
			t.Errorf("%s: kubectl %+v, Row %+v", name, k, r)
		}
	}
	t.Logf("%d pods, %d disagree", n, bad)
}

// bytes reads choices from fuzz input; exhausted input reads as zeros.
type bytesReader struct{ b []byte }

func (r *bytesReader) pick(n int) int {
	if len(r.b) == 0 {
		return 0
	}
	v := int(r.b[0]) % n
	r.b = r.b[1:]
	return v
}

func (r *bytesReader) status(name string) corev1.ContainerStatus {
	s := corev1.ContainerStatus{Name: name, Ready: r.pick(2) == 1, RestartCount: int32(r.pick(4))}
	switch r.pick(3) {
	case 1:
		s.Started = ptr.To(false)
	case 2:
		s.Started = ptr.To(true)
	}
	switch r.pick(4) {
	case 1:
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: []string{"", "CrashLoopBackOff", "PodInitializing", "ContainerCreating", "ImagePullBackOff"}[r.pick(5)]}
	case 2:
		s.State.Running = &corev1.ContainerStateRunning{}
	case 3:
		s.State.Terminated = &corev1.ContainerStateTerminated{
			Reason:   []string{"", "Completed", "Error", "OOMKilled"}[r.pick(4)],
			ExitCode: []int32{0, 1, 137}[r.pick(3)],
			Signal:   []int32{0, 9, 15}[r.pick(3)],
		}
	}
	// Whole hours ago keep kubectl's "(Nh ago)" away from unit boundaries.
	if h := r.pick(4); h > 0 {
		s.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(time.Now().Add(-time.Duration(h) * time.Hour))}
	}
	return s
}

// fuzzPod builds a pod from fuzz bytes: phase, reason, deletion, conditions,
// init containers (some native sidecars), app containers and their statuses,
// with statuses sometimes missing or naming no container.
func fuzzPod(data []byte) *corev1.Pod {
	r := &bytesReader{data}
	p := &corev1.Pod{}
	p.Status.Phase = []corev1.PodPhase{"", corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed, corev1.PodUnknown}[r.pick(6)]
	p.Status.Reason = []string{"", "", "Evicted", "NodeLost", "Shutdown"}[r.pick(5)]
	if r.pick(3) == 0 {
		p.DeletionTimestamp = ptr.To(metav1.NewTime(time.Now()))
	}
	for _, typ := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.PodReady, corev1.PodReady} {
		switch r.pick(4) {
		case 1:
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: corev1.ConditionTrue})
		case 2:
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: corev1.ConditionFalse, Reason: "SchedulingGated"})
		case 3:
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: corev1.ConditionFalse})
		}
	}
	for i := range r.pick(4) {
		c := corev1.Container{Name: fmt.Sprintf("init%d", i)}
		if r.pick(2) == 1 {
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		}
		p.Spec.InitContainers = append(p.Spec.InitContainers, c)
	}
	for i := range r.pick(4) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprintf("app%d", i)})
	}
	for i := range r.pick(5) {
		p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, r.status(fmt.Sprintf("init%d", i)))
	}
	for i := range r.pick(5) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, r.status(fmt.Sprintf("app%d", i)))
	}
	return p
}

func FuzzRowMatchesKubectl(f *testing.F) {
	for _, seed := range []string{
		"",
		"\x02\x00\x01\x00\x00\x01\x01\x00\x01\x00\x01\x01\x01\x02\x01\x03\x02\x00\x00\x00",
		"\x01\x00\x00\x02\x01\x00\x02\x01\x01\x00\x01\x02\x00\x00\x03\x00\x02\x02\x00\x01\x00\x02\x01",
		"\x03\x00\x00\x00\x00\x00\x00\x00\x02\x01\x01\x01\x02\x01\x00\x02\x00\x00\x02\x01\x01\x03\x01\x01\x00\x01\x00",
		"\x04\x03\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x03\x00\x01\x01\x02\x03\x00\x00\x01\x00",
		"\x02\x00\x02\x00\x01\x00\x03\x01\x00\x01\x00\x02\x02\x01\x00\x01\x02\x03\x02\x01\x02\x01\x00\x00\x03\x03\x00\x00\x02",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pod := fuzzPod(data)
		if k, r, ok := check(t, pod); !ok {
			js, _ := json.Marshal(pod)
			t.Errorf("kubectl %+v, Row %+v\npod %s", k, r, js)
		}
	})
}
