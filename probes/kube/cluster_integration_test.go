package kube_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/kube"
)

// These tests need the whole local cluster hack/backends.sh starts by
// default: kube-controller-manager (deployment, replicaset, garbage
// collector), kube-scheduler and kwok with its fake nodes and our fault
// stages (hack/kwok/stages). Nothing is hand-made here: the controllers
// create ReplicaSets and pods, the scheduler binds them, kwok runs them.

// Images the fault stages in hack/kwok/stages act on.
const (
	goodImage      = "registry.invalid/it/api:1.0"
	crashloopImage = "fault.warroom.test/crashloop:2.0"
	oomImage       = "fault.warroom.test/oomkilled:1.0"
	imagePullImage = "fault.warroom.test/imagepull:1.0"
	unreadyImage   = "fault.warroom.test/unready:1.0"
)

// Deadlines are generous on purpose (a loaded 2-core CI machine); nothing
// here asserts on time, the waits only bound a test that would hang.
const clusterDeadline = 3 * time.Minute

// clusterScheduler returns the schedulerName the test cluster's scheduler
// serves, or skips when the controllers, scheduler and kwok do not run.
func clusterScheduler(t *testing.T) string {
	t.Helper()
	name := os.Getenv("WARROOM_TEST_KUBE_SCHEDULER")
	if name == "" {
		t.Skip("no controller-manager, scheduler and kwok in the test cluster (WARROOM_TEST_KUBE_SCHEDULER is not set): " +
			"run `make test`, or hack/backends.sh start with WARROOM_BACKENDS including \"cluster\" (the default)")
	}
	return name
}

// waitFor polls cond until it is true or the deadline passes; on failure
// the message carries cond's last account of what it saw.
func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, clusterDeadline, true,
		func(ctx context.Context) (bool, error) {
			ok, seen, err := cond(ctx)
			if err == nil {
				last = seen // keep what was seen before a deadline error
			}
			return ok, err
		})
	if err != nil {
		t.Fatalf("waiting for %s: %v; last seen: %s", what, err, last)
	}
}

func deploymentSpec(name, scheduler, image string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: labels,
					// Kubelet's crash back-off starts at 10 s; 1 s keeps the
					// test short with the same doubling.
					Annotations: map[string]string{"warroom.dev/backoff-seconds": "1"},
				},
				Spec: corev1.PodSpec{
					SchedulerName:                 scheduler,
					AutomountServiceAccountToken:  new(bool),
					TerminationGracePeriodSeconds: new(int64),
					Containers:                    []corev1.Container{{Name: "main", Image: image}},
				},
			},
		},
	}
}

// podsOf lists the deployment's pods that are not being deleted.
func podsOf(ctx context.Context, cs kubernetes.Interface, ns, app string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	var live []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	return live, nil
}

func describePods(pods []corev1.Pod) string {
	var parts []string
	for _, p := range pods {
		s := fmt.Sprintf("%s node=%q phase=%s", p.Name, p.Spec.NodeName, p.Status.Phase)
		for _, c := range p.Status.ContainerStatuses {
			state := "?"
			switch {
			case c.State.Running != nil:
				state = "running"
			case c.State.Waiting != nil:
				state = "waiting:" + c.State.Waiting.Reason
			case c.State.Terminated != nil:
				state = "terminated:" + c.State.Terminated.Reason
			}
			s += fmt.Sprintf(" %s(%s ready=%v restarts=%d)", c.Image, state, c.Ready, c.RestartCount)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no pods"
	}
	return strings.Join(parts, "; ")
}

// allRunning: exactly n pods, all of image, Running and Ready, on kwok nodes.
func allRunning(cs kubernetes.Interface, ns, app, image string, n int) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		pods, err := podsOf(ctx, cs, ns, app)
		if err != nil {
			return false, "", err
		}
		if len(pods) != n {
			return false, describePods(pods), nil
		}
		for _, p := range pods {
			if p.Status.Phase != corev1.PodRunning || !strings.HasPrefix(p.Spec.NodeName, "kwok-node-") ||
				len(p.Status.ContainerStatuses) != 1 || !p.Status.ContainerStatuses[0].Ready ||
				p.Spec.Containers[0].Image != image {
				return false, describePods(pods), nil
			}
		}
		return true, describePods(pods), nil
	}
}

// replicaSetsByRevision lists the deployment's ReplicaSets keyed by their
// deployment.kubernetes.io/revision.
func replicaSetsByRevision(ctx context.Context, cs kubernetes.Interface, ns string, d *appsv1.Deployment) (map[int64]appsv1.ReplicaSet, error) {
	list, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[int64]appsv1.ReplicaSet{}
	for _, rs := range list.Items {
		if !kube.ControlledBy(&rs.ObjectMeta, "Deployment", d.Name, d.UID) {
			continue
		}
		if rev, ok := kube.Revision(&rs.ObjectMeta); ok {
			out[rev] = rs
		}
	}
	return out, nil
}

func describeReplicaSets(m map[int64]appsv1.ReplicaSet) string {
	var revs []int64
	for r := range m {
		revs = append(revs, r)
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i] < revs[j] })
	var parts []string
	for _, r := range revs {
		rs := m[r]
		parts = append(parts, fmt.Sprintf("rev %d %s (%s) replicas=%d", r, rs.Name, kube.Images(rs.Spec.Template), *rs.Spec.Replicas))
	}
	return strings.Join(parts, "; ")
}

// A bad rollout crash-loops for real and `rollout undo` brings the previous
// revision back: the deployment controller makes the ReplicaSets, the
// scheduler binds the pods to kwok's nodes, kwok's stages run them (and
// crash the bad image with kubelet's back-off).
func TestClusterRolloutCrashLoopThenUndo(t *testing.T) {
	scheduler := clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-rollout")
	ctx := context.Background()
	const replicas = 2

	d, err := cs.AppsV1().Deployments(ns).Create(ctx, deploymentSpec("api", scheduler, goodImage, replicas), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "revision 1 running", allRunning(cs, ns, "api", goodImage, replicas))

	// The bad rollout, as `kubectl set image` plus a change cause. (The
	// controllers write the deployment too: a conflict is retried.)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Template.Spec.Containers[0].Image = crashloopImage
		cur.Annotations = map[string]string{"kubernetes.io/change-cause": "deploy api 2.0"}
		d, err = cs.AppsV1().Deployments(ns).Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A new pod crash-loops, and its restart count climbs while it does.
	var crashing string
	var firstRestarts int32
	waitFor(t, "a CrashLoopBackOff pod of revision 2", func(ctx context.Context) (bool, string, error) {
		pods, err := podsOf(ctx, cs, ns, "api")
		if err != nil {
			return false, "", err
		}
		for _, p := range pods {
			for _, c := range p.Status.ContainerStatuses {
				if c.Image == crashloopImage && c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" &&
					c.LastTerminationState.Terminated != nil && c.LastTerminationState.Terminated.ExitCode != 0 {
					crashing, firstRestarts = p.Name, c.RestartCount
					return true, describePods(pods), nil
				}
			}
		}
		return false, describePods(pods), nil
	})
	waitFor(t, "restarts of "+crashing+" to climb past "+fmt.Sprint(firstRestarts+1), func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, crashing, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		seen := describePods([]corev1.Pod{*p})
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= firstRestarts+2, seen, nil
	})

	// The pods pane reads it as the incident does.
	rows, err := kube.New(cs).Pods(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	var sawCrash bool
	for _, r := range rows {
		if r.Name == crashing {
			sawCrash = r.Status == "CrashLoopBackOff" || r.Restarts > firstRestarts
		}
	}
	if !sawCrash {
		t.Errorf("probe rows %+v: want %s crash-looping", rows, crashing)
	}

	// The rollout is stuck (the new pod never gets ready), so the previous
	// ReplicaSet is still there, as revision 1, still serving.
	var revs map[int64]appsv1.ReplicaSet
	waitFor(t, "two revisions", func(ctx context.Context) (bool, string, error) {
		revs, err = replicaSetsByRevision(ctx, cs, ns, d)
		if err != nil {
			return false, "", err
		}
		return len(revs) == 2, describeReplicaSets(revs), nil
	})
	if rs, ok := revs[1]; !ok || kube.Images(rs.Spec.Template) != goodImage || *rs.Spec.Replicas == 0 {
		t.Fatalf("revision 1 is not the serving %s: %s", goodImage, describeReplicaSets(revs))
	}
	if rs, ok := revs[2]; !ok || kube.Images(rs.Spec.Template) != crashloopImage {
		t.Fatalf("revision 2 is not %s: %s", crashloopImage, describeReplicaSets(revs))
	}

	// Undo, the way kubectl does it, bound to the revision the user saw
	// (a JSON patch test of the revision annotation, checked by this real
	// API server); the controller does the rest.
	if _, err := kube.RolloutUndoFrom(ctx, cs, ns, "api", 7); !errors.Is(err, kube.ErrRevisionMoved) {
		t.Fatalf("undo from a revision the deployment is not at: %v", err)
	}
	res, err := kube.RolloutUndoFrom(ctx, cs, ns, "api", 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped || res.FromRevision != 2 || res.ToRevision != 1 || res.ToImage != goodImage {
		t.Fatalf("undo: %+v", res)
	}
	t.Logf("undo: %s", res)
	waitFor(t, "revision 1's pods back, the crash-looping ones gone", allRunning(cs, ns, "api", goodImage, replicas))
	// A second undo from the same confirmation (revision 2) changes
	// nothing: the deployment is at 3 now.
	if _, err := kube.RolloutUndoFrom(ctx, cs, ns, "api", 2); !errors.Is(err, kube.ErrRevisionMoved) {
		t.Fatalf("a second undo from revision 2: %v", err)
	}
	waitFor(t, "the restored revision renumbered 3 and revision 2 scaled to 0", func(ctx context.Context) (bool, string, error) {
		revs, err := replicaSetsByRevision(ctx, cs, ns, d)
		if err != nil {
			return false, "", err
		}
		cur, ok3 := revs[3]
		bad, ok2 := revs[2]
		ok := ok3 && ok2 && kube.Images(cur.Spec.Template) == goodImage && *cur.Spec.Replicas == replicas && *bad.Spec.Replicas == 0
		return ok, describeReplicaSets(revs), nil
	})

	// Scale to 0 and back.
	scale := func(n int32) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			s, err := cs.AppsV1().Deployments(ns).GetScale(ctx, "api", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Spec.Replicas = n
			_, err = cs.AppsV1().Deployments(ns).UpdateScale(ctx, "api", s, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scale(0)
	waitFor(t, "no pods after scaling to 0", func(ctx context.Context) (bool, string, error) {
		// Terminating pods count too: kwok deletes them for good.
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=api"})
		if err != nil {
			return false, "", err
		}
		return len(list.Items) == 0, describePods(list.Items), nil
	})
	scale(replicas)
	waitFor(t, "pods back after scaling up", allRunning(cs, ns, "api", goodImage, replicas))

	// The events are the components' own: the deployment controller's
	// scaling, the scheduler's binding, kwok's (kubelet's) back-off.
	waitFor(t, "real events", func(ctx context.Context) (bool, string, error) {
		list, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", err
		}
		seen := map[string]bool{}
		var all []string
		for _, e := range list.Items {
			key := e.InvolvedObject.Kind + "/" + e.Reason
			if !seen[key] {
				all = append(all, key+" ("+e.Source.Component+e.ReportingController+")")
			}
			seen[key] = true
		}
		return seen["Deployment/ScalingReplicaSet"] && seen["Pod/Scheduled"] && seen["Pod/BackOff"], strings.Join(all, ", "), nil
	})
}

// Each fault stage, chosen by image or by annotation, shows as the pods
// pane names it.
func TestClusterFaultStages(t *testing.T) {
	scheduler := clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-faults")
	ctx := context.Background()

	pod := func(name, image string, annotations map[string]string) {
		t.Helper()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "faults"}, Annotations: annotations},
			Spec: corev1.PodSpec{
				SchedulerName:                 scheduler,
				AutomountServiceAccountToken:  new(bool),
				TerminationGracePeriodSeconds: new(int64),
				Containers:                    []corev1.Container{{Name: "main", Image: image}},
			},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fast := map[string]string{"warroom.dev/backoff-seconds": "1"}
	pod("healthy", goodImage, nil)
	pod("crashloop", crashloopImage, fast)
	pod("oomkilled", oomImage, fast)
	pod("image-pull", imagePullImage, nil)
	pod("unready", unreadyImage, nil)
	pod("unready-by-annotation", goodImage, map[string]string{"warroom.dev/fault": "unready"})

	// What the probe shows once every stage has acted (restarts are
	// checked as "at least": they keep climbing).
	want := map[string]func(kube.Pod) bool{
		"healthy":               func(r kube.Pod) bool { return r.Status == "Running" && r.Ready == 1 },
		"crashloop":             func(r kube.Pod) bool { return r.Status == "CrashLoopBackOff" && r.Ready == 0 },
		"oomkilled":             func(r kube.Pod) bool { return r.Status == "OOMKilled" && r.Restarts >= 1 && r.Ready == 0 },
		"image-pull":            func(r kube.Pod) bool { return r.Status == "ImagePullBackOff" && r.Ready == 0 },
		"unready":               func(r kube.Pod) bool { return r.Status == "Running" && r.Ready == 0 && r.Restarts == 0 },
		"unready-by-annotation": func(r kube.Pod) bool { return r.Status == "Running" && r.Ready == 0 && r.Restarts == 0 },
	}
	probe := kube.New(cs)
	for name, ok := range want {
		waitFor(t, name+" in its fault state", func(ctx context.Context) (bool, string, error) {
			rows, err := probe.Pods(ctx, ns)
			if err != nil {
				return false, "", err
			}
			for _, r := range rows {
				if r.Name == name {
					return ok(r), fmt.Sprintf("%+v", r), nil
				}
			}
			return false, fmt.Sprintf("%s not listed in %+v", name, rows), nil
		})
	}
}

// criLines renders log lines in the CRI log format kubelet (and kwok)
// read: "<RFC3339Nano> stdout F <line>".
func criLines(start time.Time, lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "%s stdout F %s\n", start.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339Nano), l)
	}
	return b.String()
}

// A pod's logs, current and previous container, read through the
// apiserver's pods/log: the apiserver asks the node's "kubelet" (kwok's
// server), which serves the files a kwok Logs object names.
func TestClusterPodLogsThroughAPIServer(t *testing.T) {
	scheduler := clusterScheduler(t)
	cfg := restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), nil)
	cs := adminClient(t)
	ctx := context.Background()
	logsGVR := schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	if _, err := cs.Discovery().ServerResourcesForGroupVersion("kwok.x-k8s.io/v1alpha1"); err != nil {
		t.Skipf("kwok's Logs kind is not installed in the test cluster (a set started before it was added?): %v", err)
	}
	ns := namespace(t, cs, "it-logs")

	dir := t.TempDir()
	current, previous := filepath.Join(dir, "current.log"), filepath.Join(dir, "previous.log")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.WriteFile(current, []byte(criLines(start, "listening on :8080", "GET /healthz 200", "GET /api/v1/runs 500")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(previous, []byte(criLines(start, "panic: nil map write", "goroutine 1 [running]:")), 0o644); err != nil {
		t.Fatal(err)
	}

	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": "logger", "namespace": ns},
		"spec": map[string]any{"logs": []any{map[string]any{
			"containers": []any{"main"}, "logsFile": current, "previousLogsFile": previous,
		}}},
	}}
	if _, err := dyn.Resource(logsGVR).Namespace(ns).Create(ctx, logs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "logger"},
		Spec: corev1.PodSpec{
			SchedulerName:                 scheduler,
			AutomountServiceAccountToken:  new(bool),
			TerminationGracePeriodSeconds: new(int64),
			Containers:                    []corev1.Container{{Name: "main", Image: goodImage}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the logger pod running", func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "logger", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return p.Status.Phase == corev1.PodRunning, describePods([]corev1.Pod{*p}), nil
	})

	read := func(opts *corev1.PodLogOptions) func(ctx context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			b, err := cs.CoreV1().Pods(ns).GetLogs("logger", opts).DoRaw(ctx)
			return string(b), err
		}
	}
	for _, c := range []struct {
		what string
		get  func(ctx context.Context) (string, error)
		want string
	}{
		{"current logs", read(&corev1.PodLogOptions{Container: "main"}), "listening on :8080\nGET /healthz 200\nGET /api/v1/runs 500\n"},
		{"the last line", read(&corev1.PodLogOptions{Container: "main", TailLines: new(int64(1))}), "GET /api/v1/runs 500\n"},
		{"the previous container's logs", read(&corev1.PodLogOptions{Container: "main", Previous: true}), "panic: nil map write\ngoroutine 1 [running]:\n"},
	} {
		// kwok learns of the Logs object through a watch: until then the
		// apiserver relays its "no logs found" (an error, retried).
		waitFor(t, c.what+" through pods/log", func(ctx context.Context) (bool, string, error) {
			got, err := c.get(ctx)
			if err != nil {
				return false, err.Error(), nil
			}
			return got == c.want, fmt.Sprintf("%q, want %q", got, c.want), nil
		})
	}
}
