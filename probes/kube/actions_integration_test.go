package kube_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
)

// The write actions and the log reader on the whole local cluster (see
// cluster_integration_test.go): the controllers, the scheduler and kwok do
// what follows each action, nothing is hand-made.

// startDeployment creates deployment app with n pods of goodImage and
// waits until they run.
func startDeployment(t *testing.T, cs kubernetes.Interface, ns, app string, n int32) *appsv1.Deployment {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Create(context.Background(), deploymentSpec(app, clusterScheduler(t), goodImage, n), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, fmt.Sprintf("%d pods of %s running", n, app), allRunning(cs, ns, app, goodImage, int(n)))
	return d
}

// allPodNames lists every pod of app, terminating ones too.
func allPodNames(ctx context.Context, cs kubernetes.Interface, ns, app string) ([]string, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	return names, nil
}

func TestClusterRolloutRestartRollsNewPods(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-restart")
	ctx := context.Background()
	d := startDeployment(t, cs, ns, "api", 2)
	old, err := allPodNames(ctx, cs, ns, "api")
	if err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	res, err := kube.RolloutRestart(ctx, cs, ns, "api", now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart: %s", res)
	stamp := now.Format(time.RFC3339)
	if res.Replicas != 2 || res.RestartedAt.Format(time.RFC3339) != stamp || res.String() != "deployment/api restarted: 2 replicas will roll" {
		t.Errorf("result %+v (%s)", res, res)
	}

	// The controller makes a ReplicaSet for the new template and moves the
	// pods over: two new pods running, every old one gone for good.
	waitFor(t, "revision 2 with the restartedAt annotation, revision 1 scaled to 0", func(ctx context.Context) (bool, string, error) {
		revs, err := replicaSetsByRevision(ctx, cs, ns, d)
		if err != nil {
			return false, "", err
		}
		cur, ok2 := revs[2]
		prev, ok1 := revs[1]
		ok := ok1 && ok2 && cur.Spec.Template.Annotations[kube.RestartedAtAnnotation] == stamp &&
			*cur.Spec.Replicas == 2 && *prev.Spec.Replicas == 0
		return ok, describeReplicaSets(revs), nil
	})
	waitFor(t, "two new pods running", allRunning(cs, ns, "api", goodImage, 2))
	waitFor(t, "the old pods gone", func(ctx context.Context) (bool, string, error) {
		names, err := allPodNames(ctx, cs, ns, "api")
		if err != nil {
			return false, "", err
		}
		for _, n := range names {
			if slices.Contains(old, n) {
				return false, fmt.Sprintf("pods %v, old %v", names, old), nil
			}
		}
		return len(names) == 2, fmt.Sprintf("pods %v, old %v", names, old), nil
	})

	// A paused deployment is refused, and left as it was.
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "api", types.MergePatchType, []byte(`{"spec":{"paused":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = kube.RolloutRestart(ctx, cs, ns, "api", now.Add(time.Hour))
	if err == nil || err.Error() != "can't restart paused deployment (run rollout resume first)" {
		t.Errorf("restart of a paused deployment: %v", err)
	}
	cur, err := cs.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cur.Spec.Template.Annotations[kube.RestartedAtAnnotation]; got != stamp {
		t.Errorf("paused deployment's restartedAt changed to %q", got)
	}
}

func TestClusterScaleUpAndDown(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-scale")
	ctx := context.Background()
	startDeployment(t, cs, ns, "api", 2)

	res, err := kube.Scale(ctx, cs, ns, "api", 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 2 || res.To != 4 || res.String() != "deployment/api scaled 2 → 4" {
		t.Errorf("scale up: %+v (%s)", res, res)
	}
	waitFor(t, "4 pods running", allRunning(cs, ns, "api", goodImage, 4))

	res, err = kube.Scale(ctx, cs, ns, "api", 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 4 || res.To != 1 {
		t.Errorf("scale down: %+v", res)
	}
	waitFor(t, "1 pod running", allRunning(cs, ns, "api", goodImage, 1))
	waitFor(t, "the 3 others gone", func(ctx context.Context) (bool, string, error) {
		names, err := allPodNames(ctx, cs, ns, "api")
		return len(names) == 1, fmt.Sprint(names), err
	})

	if _, err := kube.Scale(ctx, cs, ns, "api", -1); err == nil {
		t.Error("scaled to -1")
	}
}

// racyClient is a client whose first PUT of deployment api's scale is
// preceded by another writer's change, made by the admin client in
// between Scale's read and its write. It records the status of every scale
// PUT.
func racyClient(t *testing.T, other func(ctx context.Context) error) (kubernetes.Interface, func() []int) {
	t.Helper()
	var mu sync.Mutex
	var statuses []int
	cfg := restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			isScalePut := r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/deployments/api/scale")
			if isScalePut {
				mu.Lock()
				first := len(statuses) == 0
				mu.Unlock()
				if first {
					if err := other(r.Context()); err != nil {
						return nil, fmt.Errorf("the other writer: %w", err)
					}
				}
			}
			resp, err := rt.RoundTrip(r)
			if isScalePut && err == nil {
				mu.Lock()
				statuses = append(statuses, resp.StatusCode)
				mu.Unlock()
			}
			return resp, err
		})
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(statuses)
	}
}

// The API server enforces the resourceVersion Scale read: another writer's
// scale in between is not overwritten, a change to something else is
// retried.
func TestClusterScaleIsConditional(t *testing.T) {
	clusterScheduler(t)
	admin := adminClient(t)
	ns := namespace(t, admin, "it-scale-race")
	ctx := context.Background()
	startDeployment(t, admin, ns, "api", 2)
	replicas := func() int32 {
		t.Helper()
		d, err := admin.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return *d.Spec.Replicas
	}

	t.Run("a concurrent scale stands", func(t *testing.T) {
		racy, statuses := racyClient(t, func(ctx context.Context) error {
			_, err := admin.AppsV1().Deployments(ns).Patch(ctx, "api", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{})
			return err
		})
		_, err := kube.Scale(ctx, racy, ns, "api", 1)
		if !errors.Is(err, kube.ErrScaledMeanwhile) {
			t.Fatalf("error %v, want ErrScaledMeanwhile", err)
		}
		t.Logf("refused: %v", err)
		if got := statuses(); !slices.Equal(got, []int{http.StatusConflict}) {
			t.Errorf("scale PUT statuses %v, want one 409 from the API server", got)
		}
		if got := replicas(); got != 3 {
			t.Errorf("replicas %d: the other writer's 3 was overwritten", got)
		}
	})

	t.Run("a concurrent label is retried", func(t *testing.T) {
		racy, statuses := racyClient(t, func(ctx context.Context) error {
			_, err := admin.AppsV1().Deployments(ns).Patch(ctx, "api", types.MergePatchType, []byte(`{"metadata":{"labels":{"touched":"yes"}}}`), metav1.PatchOptions{})
			return err
		})
		res, err := kube.Scale(ctx, racy, ns, "api", 1)
		if err != nil {
			t.Fatal(err)
		}
		got := statuses()
		if res.From != 3 || res.To != 1 || len(got) < 2 || got[0] != http.StatusConflict || got[len(got)-1] != http.StatusOK {
			t.Errorf("result %+v, scale PUT statuses %v: want a 409, then 200 on the retry", res, got)
		}
		if got := replicas(); got != 1 {
			t.Errorf("replicas %d, want 1", got)
		}
	})
}

func TestClusterDeletePodIsReplaced(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-delete")
	ctx := context.Background()
	startDeployment(t, cs, ns, "api", 2)
	pods, err := podsOf(ctx, cs, ns, "api")
	if err != nil {
		t.Fatal(err)
	}
	victim := pods[0]
	owner := metav1.GetControllerOf(&victim)
	if owner == nil {
		t.Fatalf("pod %s has no controller", victim.Name)
	}

	res, err := kube.DeletePod(ctx, cs, ns, victim.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delete: %s", res)
	want := kube.DeleteResult{Namespace: ns, Pod: victim.Name, Owner: "ReplicaSet/" + owner.Name, GracePeriod: 0}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if !strings.HasSuffix(res.String(), "ReplicaSet/"+owner.Name+" will replace it") {
		t.Errorf("String() = %q", res)
	}
	waitFor(t, "a replacement running and "+victim.Name+" gone", func(ctx context.Context) (bool, string, error) {
		names, err := allPodNames(ctx, cs, ns, "api")
		if err != nil {
			return false, "", err
		}
		if slices.Contains(names, victim.Name) {
			return false, fmt.Sprint(names), nil
		}
		ok, seen, err := allRunning(cs, ns, "api", goodImage, 2)(ctx)
		return ok && len(names) == 2, seen, err
	})

	if _, err := kube.DeletePod(ctx, cs, ns, victim.Name); !apierrors.IsNotFound(err) {
		t.Errorf("deleting it again: %v, want not found", err)
	}
}

// kwokLogs makes kwok serve pod's container "main" from the given files
// (previous "" for none) through pods/log; it skips when kwok's Logs kind
// is not installed.
func kwokLogs(t *testing.T, cs kubernetes.Interface, ns, pod, current, previous string) {
	t.Helper()
	if _, err := cs.Discovery().ServerResourcesForGroupVersion("kwok.x-k8s.io/v1alpha1"); err != nil {
		t.Skipf("kwok's Logs kind is not installed in the test cluster (a set started before it was added?): %v", err)
	}
	dyn, err := dynamic.NewForConfig(restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), nil))
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]any{"containers": []any{"main"}, "logsFile": current}
	if previous != "" {
		spec["previousLogsFile"] = previous
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": pod, "namespace": ns},
		"spec":     map[string]any{"logs": []any{spec}},
	}}
	gvr := schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	if _, err := dyn.Resource(gvr).Namespace(ns).Create(context.Background(), logs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createPod(t *testing.T, cs kubernetes.Interface, ns, name, image string) {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{"warroom.dev/backoff-seconds": "1"}},
		Spec: corev1.PodSpec{
			SchedulerName:                 clusterScheduler(t),
			AutomountServiceAccountToken:  new(bool),
			TerminationGracePeriodSeconds: new(int64),
			Containers:                    []corev1.Container{{Name: "main", Image: image}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readLogs runs StreamLogs to its end into a fresh stream.
func readLogs(ctx context.Context, cs kubernetes.Interface, req kube.LogRequest) ([]string, error) {
	out := probes.NewLineStream("logs", 10_000)
	err := kube.StreamLogs(ctx, cs, req, out)
	out.Close()
	var lines []string
	for {
		m := out.Next()().(probes.StreamMsg[probes.Lines])
		if m.Closed {
			return lines, err
		}
		lines = append(lines, m.Data.Lines...)
	}
}

// The pod detail's "previous container" toggle on a pod that crash-loops
// for real (kwok's fault stages): its previous container's log, read
// through the API server's pods/log, sanitized and capped as the pane
// shows it.
//
// What kwok serves as "previous" is the file its Logs object names: kwok
// runs no containers, so it keeps no per-instance logs and does not check
// that a previous instance exists (kubelet answers 400 "previous
// terminated container ... not found" then). What is real here is the
// path: the pod crash-looping through its stages, pods/log with
// previous=true through the API server to the node's kubelet endpoint
// (kwok), and the CRI log file read and tailed there as kubelet does.
func TestClusterStreamLogsPreviousOfACrashLoopingPod(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-prevlogs")

	dir := t.TempDir()
	current, previous := filepath.Join(dir, "current.log"), filepath.Join(dir, "previous.log")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	long := strings.Repeat("x", kube.MaxLogLine+100)
	if err := os.WriteFile(current, []byte(criLines(start, "starting api 2.0")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(previous, []byte(criLines(start,
		"starting api 2.0",
		"\x1b[31mpanic: assignment to entry in nil map\x1b[0m\r",
		"goroutine 1 [running]:",
		long,
		"exit status 2")), 0o644); err != nil {
		t.Fatal(err)
	}
	kwokLogs(t, cs, ns, "crasher", current, previous)
	createPod(t, cs, ns, "crasher", crashloopImage)
	waitFor(t, "crasher in CrashLoopBackOff after a restart", func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "crasher", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		ok := len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1 &&
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated != nil
		return ok, describePods([]corev1.Pod{*p}), nil
	})

	want := []string{
		"starting api 2.0",
		"panic: assignment to entry in nil map",
		"goroutine 1 [running]:",
		long[:kube.MaxLogLine] + "…",
		"exit status 2",
	}
	for _, c := range []struct {
		what string
		req  kube.LogRequest
		want []string
	}{
		{"the previous container's log", kube.LogRequest{Namespace: ns, Pod: "crasher", Container: "main", Previous: true}, want},
		{"its last two lines", kube.LogRequest{Namespace: ns, Pod: "crasher", Container: "main", Previous: true, TailLines: 2}, want[3:]},
		{"the current container's log", kube.LogRequest{Namespace: ns, Pod: "crasher", Previous: false}, []string{"starting api 2.0"}},
	} {
		// kwok learns of the Logs object through a watch: until then the
		// API server relays its "no logs found" (an error, retried).
		waitFor(t, c.what+" through pods/log", func(ctx context.Context) (bool, string, error) {
			got, err := readLogs(ctx, cs, c.req)
			if err != nil {
				return false, err.Error(), nil
			}
			return slices.Equal(got, c.want), fmt.Sprintf("%q", got), nil
		})
	}
}

// An error from the node comes back as StreamLogs' error, with nothing
// published: here kwok's for a pod whose Logs object names no previous
// file (kubelet's would be "previous terminated container ... not
// found"), and the API server's own for a container the pod lacks.
func TestClusterStreamLogsErrorsPassThrough(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-logerr")
	current := filepath.Join(t.TempDir(), "current.log")
	if err := os.WriteFile(current, []byte(criLines(time.Now(), "up")), 0o644); err != nil {
		t.Fatal(err)
	}
	kwokLogs(t, cs, ns, "healthy", current, "")
	createPod(t, cs, ns, "healthy", goodImage)
	waitFor(t, "healthy's log served", func(ctx context.Context) (bool, string, error) {
		got, err := readLogs(ctx, cs, kube.LogRequest{Namespace: ns, Pod: "healthy"})
		if err != nil {
			return false, err.Error(), nil
		}
		return slices.Equal(got, []string{"up"}), fmt.Sprintf("%q", got), nil
	})

	ctx := context.Background()
	got, err := readLogs(ctx, cs, kube.LogRequest{Namespace: ns, Pod: "healthy", Previous: true})
	if !apierrors.IsBadRequest(err) || len(got) != 0 {
		t.Errorf("previous of a pod without one: lines %q, error %v; want the node's 400 and no lines", got, err)
	}
	t.Logf("no previous log: %v", err)

	got, err = readLogs(ctx, cs, kube.LogRequest{Namespace: ns, Pod: "healthy", Container: "sidecar"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "sidecar") || len(got) != 0 {
		t.Errorf("unknown container: lines %q, error %v; want the API server's 400 naming it", got, err)
	}
	t.Logf("unknown container: %v", err)
}

// nextLines waits for the next drain of out, bounded so a broken follow
// fails instead of hanging.
func nextLines(t *testing.T, out *probes.Stream[probes.Lines]) probes.StreamMsg[probes.Lines] {
	t.Helper()
	ch := make(chan probes.StreamMsg[probes.Lines], 1)
	go func() { ch <- out.Next()().(probes.StreamMsg[probes.Lines]) }()
	select {
	case m := <-ch:
		return m
	case <-time.After(clusterDeadline):
		t.Fatal("no lines from the followed log")
		return probes.StreamMsg[probes.Lines]{}
	}
}

// Follow: lines appended to the container's log file after the stream
// started arrive (kwok follows the file with inotify as kubelet does),
// and cancelling ends the stream with ctx's error.
func TestClusterStreamLogsFollow(t *testing.T) {
	clusterScheduler(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-follow")
	current := filepath.Join(t.TempDir(), "current.log")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.WriteFile(current, []byte(criLines(start, "one", "two")), 0o644); err != nil {
		t.Fatal(err)
	}
	kwokLogs(t, cs, ns, "tailed", current, "")
	createPod(t, cs, ns, "tailed", goodImage)
	waitFor(t, "tailed's log served", func(ctx context.Context) (bool, string, error) {
		got, err := readLogs(ctx, cs, kube.LogRequest{Namespace: ns, Pod: "tailed"})
		if err != nil {
			return false, err.Error(), nil
		}
		return slices.Equal(got, []string{"one", "two"}), fmt.Sprintf("%q", got), nil
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := probes.NewLineStream("logs", 10_000)
	defer out.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- kube.StreamLogs(ctx, cs, kube.LogRequest{Namespace: ns, Pod: "tailed", Follow: true}, out)
	}()
	var got []string
	collect := func(want []string) {
		t.Helper()
		for !slices.Equal(got, want) {
			if len(got) >= len(want) {
				t.Fatalf("followed lines %q, want %q", got, want)
			}
			got = append(got, nextLines(t, out).Data.Lines...)
		}
	}
	collect([]string{"one", "two"})

	// Append while following, in two writes, the second line split
	// across them.
	f, err := os.OpenFile(current, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	more := criLines(start.Add(time.Minute), "three", "\x1b[2Jfour")
	cut := strings.Index(more, "four") + 2
	if _, err := f.WriteString(more[:cut]); err != nil {
		t.Fatal(err)
	}
	collect([]string{"one", "two", "three"})
	if _, err := f.WriteString(more[cut:]); err != nil {
		t.Fatal(err)
	}
	collect([]string{"one", "two", "three", "four"})

	select {
	case err := <-errc:
		t.Fatalf("StreamLogs returned %v while following", err)
	default:
	}
	cancel()
	select {
	case err := <-errc:
		if err != context.Canceled { // ctx.Err() itself, not a read error wrapping it
			t.Errorf("after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(clusterDeadline):
		t.Fatal("StreamLogs did not return after cancel")
	}
}
