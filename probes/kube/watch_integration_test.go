package kube_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
)

// requestLog counts a client's requests by verb and resource.
type requestLog struct {
	mu   sync.Mutex
	seen []string // "LIST pods", "WATCH pods (initial events)", …
}

func (l *requestLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		res := parts[len(parts)-1]
		verb := r.Method
		if r.Method == http.MethodGet {
			switch {
			case q.Get("watch") == "true" || q.Get("watch") == "1":
				verb = "WATCH"
				if q.Get("sendInitialEvents") == "true" {
					verb = "WATCHLIST" // a list streamed as watch events
				}
			default:
				verb = "LIST"
			}
		}
		l.mu.Lock()
		l.seen = append(l.seen, verb+" "+res)
		l.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

// initialLists counts, per resource, the requests that read the whole
// collection: a LIST or a watch-list.
func (l *requestLog) initialLists() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, s := range l.seen {
		verb, res, _ := strings.Cut(s, " ")
		if verb == "LIST" || verb == "WATCHLIST" {
			out[res]++
		}
	}
	return out
}

func (l *requestLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.seen, ", ")
}

// next waits for a snapshot satisfying cond.
func next(t *testing.T, w *kube.Watch, what string, cond func(kube.Snapshot) bool) kube.Snapshot {
	t.Helper()
	deadline := time.After(clusterDeadline)
	var last kube.Snapshot
	for {
		got := make(chan kube.Snapshot, 1)
		go func() {
			if m, ok := w.Stream().Next()().(probes.StreamMsg[kube.Snapshot]); ok && !m.Closed {
				got <- m.Data
			}
		}()
		select {
		case s := <-got:
			last = s
			if cond(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("waiting for %s; last snapshot: %d pods, forbidden %v, err %v, pods: %s", what, len(last.Pods), last.Forbidden, last.Err, describeRows(last.Pods))
		}
	}
}

func describeRows(pods []kube.Pod) string {
	var out []string
	for _, p := range pods {
		out = append(out, fmt.Sprintf("%s %s %d/%d r=%d", p.Name, p.Status, p.Ready, p.Total, p.Restarts))
	}
	return strings.Join(out, "; ")
}

// A pod falling into CrashLoopBackOff reaches the watch, and the watch
// read each resource's collection exactly once: no re-list, however many
// changes came after.
func TestClusterWatchSeesCrashLoopWithOneListPerResource(t *testing.T) {
	sched := clusterScheduler(t)
	admin := adminClient(t)
	ns := namespace(t, admin, "it-watch")
	ctx := context.Background()

	var log requestLog
	cs, err := kubernetes.NewForConfig(restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), log.wrap))
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := kube.StartWatch(wctx, cs, kube.WatchOptions{Namespaces: []string{ns}})
	next(t, w, "the first sync", func(s kube.Snapshot) bool { return s.Synced })

	if _, err := admin.AppsV1().Deployments(ns).Create(ctx, deploymentSpec("api", sched, goodImage, 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	next(t, w, "2 running pods of api and its deployment line", func(s kube.Snapshot) bool {
		running := 0
		for _, p := range s.Pods {
			if p.Status == "Running" && p.Ready == 1 && p.Deployment == "api" {
				running++
			}
		}
		return running == 2 && len(s.Deployments) == 1 && s.Deployments[0].Ready == 2 && s.Deployments[0].Progress == "complete"
	})
	// Roll out a crash-looping image: the new pods crash-loop, the rollout
	// is progressing, history has both revisions.
	d, err := admin.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = crashloopImage
	if _, err := admin.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := next(t, w, "a crash-looping pod on top, revision 2 after 1", func(s kube.Snapshot) bool {
		if len(s.Pods) == 0 || s.Pods[0].Status != "CrashLoopBackOff" || len(s.Deployments) != 1 {
			return false
		}
		dep := s.Deployments[0]
		prev, ok := dep.Previous()
		return dep.Revision == 2 && ok && prev.Revision == 1 && prev.Image == goodImage && dep.Image == crashloopImage &&
			dep.NotHealthy["CrashLoopBackOff"] >= 1
	})
	if got := s.Deployments[0].Summary(time.Now()); !strings.Contains(got, "CrashLoopBackOff") || !strings.HasPrefix(got, "api ") {
		t.Errorf("summary %q", got)
	}
	// Restarts climb through the watch (kwok's back-off is 1 s here).
	first := s.Pods[0]
	next(t, w, "the crash-looping pod's restarts to climb", func(s kube.Snapshot) bool {
		for _, p := range s.Pods {
			if p.Name == first.Name && p.Restarts > first.Restarts {
				return true
			}
		}
		return false
	})
	for _, res := range []string{"pods", "deployments", "replicasets", "events"} {
		if n := log.initialLists()[res]; n != 1 {
			t.Errorf("%s: %d list requests, want exactly 1 (then watch); requests: %s", res, n, &log)
		}
	}
	if s.Err != nil || len(s.Forbidden) > 0 {
		t.Errorf("err %v, forbidden %v", s.Err, s.Forbidden)
	}
	t.Logf("requests: %s", &log)
}

// The narrow user may read pods but not events, deployments or
// replicasets in warroom-narrow-pods: pods show, the rest is named as
// forbidden in place.
func TestClusterWatchNarrowUserSeesForbiddenInPlace(t *testing.T) {
	narrow := testenv.KubeconfigNarrow(t)
	admin := adminClient(t)
	ns := testenv.NarrowPodsOnlyNamespace
	ctx := context.Background()
	if _, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Skipf("namespace %s is not set up (hack/backends.sh apply_rbac makes it): %v", ns, err)
	}
	name := fmt.Sprintf("narrow-%d", time.Now().UnixNano()%1e9)
	createWithStatus(t, admin, ns, podSpec(name, "it-node-1"), corev1.PodStatus{Phase: corev1.PodRunning,
		ContainerStatuses: containerStatus(0, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, true)})
	t.Cleanup(func() {
		zero := int64(0)
		_ = admin.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	cs, err := kubernetes.NewForConfig(restConfig(t, narrow, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := kube.StartWatch(wctx, cs, kube.WatchOptions{Namespaces: []string{ns}})
	s := next(t, w, "the pod and three forbidden resources", func(s kube.Snapshot) bool {
		found := false
		for _, p := range s.Pods {
			found = found || p.Name == name
		}
		return found && s.Synced && len(s.Forbidden) == 3
	})
	want := []string{
		"forbidden: list deployments in " + ns,
		"forbidden: list events in " + ns,
		"forbidden: list replicasets in " + ns,
	}
	if strings.Join(s.Forbidden, "|") != strings.Join(want, "|") {
		t.Errorf("forbidden = %q, want %q", s.Forbidden, want)
	}
	if s.Err != nil {
		t.Errorf("a forbidden resource made the watch fail: %v", s.Err)
	}
	// Its detail (from the cache) works without events.
	if d, ok := w.Detail(ns, name); !ok || d.Pod.Name != name || len(d.Events) != 0 {
		t.Errorf("detail: %v %+v", ok, d)
	}
}
