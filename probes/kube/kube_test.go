package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443"}
- name: c2
  cluster: {server: "https://10.0.0.2:6443"}
users:
- name: u
  user: {token: "t0k3n"}
contexts:
- name: one
  context: {cluster: c1, user: u}
- name: two
  context: {cluster: c2, user: u}
current-context: one
`

func TestRestConfigAsksForProtobufAndHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := RestConfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ContentType != "application/vnd.kubernetes.protobuf" || !strings.HasPrefix(cfg.AcceptContentTypes, "application/vnd.kubernetes.protobuf") {
		t.Errorf("content types %q / %q: want protobuf", cfg.ContentType, cfg.AcceptContentTypes)
	}
	if cfg.Host != "https://127.0.0.1:6443" {
		t.Errorf("current context: host %q", cfg.Host)
	}
	cfg, err = RestConfig(path, "two")
	if err != nil || cfg.Host != "https://10.0.0.2:6443" {
		t.Errorf("--context two: host %q, err %v", cfg.Host, err)
	}
	if _, err := RestConfig(path, "nope"); err == nil {
		t.Error("an unknown context must be an error")
	}
}

func TestRowStatusReasons(t *testing.T) {
	waiting := func(reason string) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}, RestartCount: 3}
	}
	now := metav1.NewTime(time.Now())
	cases := []struct {
		name string
		pod  corev1.Pod
		want string
	}{
		{"crashloop", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{waiting("CrashLoopBackOff")}}}, "CrashLoopBackOff"},
		{"oom", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}}}, "OOMKilled"},
		{"signal", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Signal: 9}}}}}}, "Signal:9"},
		{"init", corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{}, {}}}, Status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{waiting("ImagePullBackOff")}}}, "Init:ImagePullBackOff"},
		{"evicted", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}}, "Evicted"},
		{"pending", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending}}, "Pending"},
		{"terminating", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}, "Terminating"},
		// The cases below are kubectl's, checked against its printer in hack/k8s/printdiff.
		{"deleted after it finished", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}, Status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}}}}, "Completed"},
		{"node lost", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}, Status: corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost"}}, "Unknown"},
		{"gated", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "SchedulingGated"}}}}, "SchedulingGated"},
		{"init signal", corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{}}}, Status: corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Signal: 9}}}}}}, "Init:Signal:9"},
		{"completed beside running, not ready", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}},
		}}}, "NotReady"},
	}
	for _, c := range cases {
		if got := Row(&c.pod).Status; got != c.want {
			t.Errorf("%s: status %q, want %q", c.name, got, c.want)
		}
	}
}

// A native sidecar (restartable init container) counts as a container and
// its restarts stay counted once the pod is initialized; the RESTARTS text
// carries the last restart's age as kubectl prints it.
func TestRowSidecarReadyAndRestarts(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	always := corev1.ContainerRestartPolicyAlways
	started := true
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pod := corev1.Pod{
		Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "proxy", RestartPolicy: &always}}, Containers: []corev1.Container{{Name: "app"}}},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "proxy", Ready: true, Started: &started, State: running, RestartCount: 2,
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(now.Add(-2 * time.Minute))}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: running, RestartCount: 1}},
		},
	}
	r := Row(&pod)
	if r.Status != "Running" || r.Ready != 2 || r.Total != 2 || r.Restarts != 3 {
		t.Errorf("row %+v: want Running 2/2 with 3 restarts", r)
	}
	if got := r.RestartsText(now); got != "3 (2m ago)" {
		t.Errorf("restarts text %q, want %q", got, "3 (2m ago)")
	}
	if got := (Pod{Restarts: 4}).RestartsText(now); got != "4" {
		t.Errorf("restarts text with no last restart %q, want %q", got, "4")
	}
}

func TestSortWorstFirst(t *testing.T) {
	pods := []Pod{
		{Name: "b-ok", Status: "Running", Ready: 1, Total: 1},
		{Name: "a-crash", Status: "CrashLoopBackOff", Total: 1, Restarts: 2},
		{Name: "c-crash", Status: "CrashLoopBackOff", Total: 1, Restarts: 9},
		{Name: "a-ok", Status: "Running", Ready: 1, Total: 1},
	}
	SortWorstFirst(pods)
	var got []string
	for _, p := range pods {
		got = append(got, p.Name)
	}
	if strings.Join(got, ",") != "c-crash,a-crash,a-ok,b-ok" {
		t.Errorf("order %v", got)
	}
}

// BenchmarkRows10k turns 10,000 pod objects into sorted rows, the probe's
// work after a list (off the UI goroutine, but it bounds refresh cost).
func BenchmarkRows10k(b *testing.B) {
	objs := make([]corev1.Pod, 10000)
	for i := range objs {
		objs[i].Name = "api-" + strings.Repeat("x", 10) + "-" + string(rune('a'+i%26))
		objs[i].Spec.Containers = []corev1.Container{{Name: "api"}}
		objs[i].Status.Phase = corev1.PodRunning
		objs[i].Status.ContainerStatuses = []corev1.ContainerStatus{{Ready: i%50 != 0, RestartCount: int32(i % 7), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := make([]Pod, len(objs))
		for j := range objs {
			rows[j] = Row(&objs[j])
		}
		SortWorstFirst(rows)
	}
}
