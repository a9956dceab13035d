package kube_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/kube"
)

// restConfig loads a kubeconfig; wrap, if given, sees every request.
func restConfig(t *testing.T, path, context string, wrap func(http.RoundTripper) http.RoundTripper) *rest.Config {
	t.Helper()
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000 // test setup creates many objects
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.WrapTransport = wrap
	return cfg
}

func adminClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), nil))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a fresh namespace with its default ServiceAccount (no
// controller-manager runs, so nothing else creates it) and empties it at
// the end. (Without the namespace controller a deleted namespace stays
// Terminating; the apiserver is throwaway, so it is left in place.)
func namespace(t *testing.T, cs kubernetes.Interface, prefix string) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		_ = cs.CoreV1().Pods(name).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	})
	return name
}

func podSpec(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "it"}},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			AutomountServiceAccountToken:  new(bool),
			TerminationGracePeriodSeconds: new(int64),
			Containers:                    []corev1.Container{{Name: "main", Image: "registry.invalid/it/app:1.0"}},
		},
	}
}

// createWithStatus creates a pod and sets its status through the status
// subresource, as a kubelet would.
func createWithStatus(t *testing.T, cs kubernetes.Interface, ns string, pod *corev1.Pod, status corev1.PodStatus) {
	t.Helper()
	ctx := context.Background()
	created, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", pod.Name, err)
	}
	if status.Phase == "" {
		return
	}
	created.Status = status
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status of pod %s: %v", pod.Name, err)
	}
}

func containerStatus(restarts int32, state corev1.ContainerState, ready bool) []corev1.ContainerStatus {
	return []corev1.ContainerStatus{{
		Name: "main", Image: "registry.invalid/it/app:1.0", ImageID: "", Ready: ready,
		RestartCount: restarts, State: state, Started: &ready,
	}}
}

// The apiserver is built from Go modules; without the version ldflags its
// version is "v0.0.0-master+$Format:%H$" and clients cannot parse it.
func TestServerVersionIsParseable(t *testing.T) {
	info, err := adminClient(t).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.ParseSemantic(info.GitVersion)
	if err != nil || v.Major() != 1 || info.Major != "1" || info.Minor == "" || strings.Contains(info.GitVersion, "$Format") {
		t.Errorf("server version %+v (parse: %v)", info, err)
	}
}

func TestPodsStatusReasonsFromRealAPIServer(t *testing.T) {
	cs := adminClient(t)
	ns := namespace(t, cs, "it-pods")
	since := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))

	createWithStatus(t, cs, ns, podSpec("healthy", "it-node-1"), corev1.PodStatus{
		Phase:             corev1.PodRunning,
		StartTime:         &since,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		ContainerStatuses: containerStatus(0, corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: since}}, true),
	})
	createWithStatus(t, cs, ns, podSpec("crashloop", "it-node-1"), corev1.PodStatus{
		Phase:     corev1.PodRunning,
		StartTime: &since,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "main", Image: "registry.invalid/it/app:1.0", RestartCount: 7,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: since, FinishedAt: since}},
		}},
	})
	createWithStatus(t, cs, ns, podSpec("oomkilled", "it-node-2"), corev1.PodStatus{
		Phase:             corev1.PodRunning,
		StartTime:         &since,
		ContainerStatuses: containerStatus(3, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled", StartedAt: since, FinishedAt: since}}, false),
	})
	createWithStatus(t, cs, ns, podSpec("image-pull", "it-node-2"), corev1.PodStatus{
		Phase:             corev1.PodPending,
		StartTime:         &since,
		ContainerStatuses: containerStatus(0, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}, false),
	})
	createWithStatus(t, cs, ns, podSpec("unscheduled", ""), corev1.PodStatus{
		Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: "0/2 nodes are available: 2 Insufficient memory.",
		}},
	})

	p, err := kubeProbe(t, testenv.Kubeconfig(t), testenv.KubeContext(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods, err := p.Pods(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range pods {
		got = append(got, fmt.Sprintf("%s=%s/%d/%d-%d", r.Name, r.Status, r.Restarts, r.Ready, r.Total))
		if r.Namespace != ns {
			t.Errorf("pod %s: namespace %q", r.Name, r.Namespace)
		}
	}
	// Worst first: unhealthy pods by restarts, then by name; healthy last.
	want := []string{
		"crashloop=CrashLoopBackOff/7/0-1",
		"oomkilled=OOMKilled/3/0-1",
		"image-pull=ImagePullBackOff/0/0-1",
		"unscheduled=Pending/0/0-1",
		"healthy=Running/0/1-1",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Pods(%s):\n got %v\nwant %v", ns, got, want)
	}
	if len(pods) == 5 && (pods[0].Node != "it-node-1" || pods[3].Node != "" || pods[0].Created.IsZero()) {
		t.Errorf("node/created fields: %+v", pods)
	}
}

// kubeProbe builds the probe exactly as the app does (protobuf, kubeconfig).
func kubeProbe(t *testing.T, kubeconfig, context string) (*kube.Client, error) {
	t.Helper()
	cs, host, err := kube.NewClientset(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(host, "https://127.0.0.1:") {
		t.Errorf("host %q: want the loopback test apiserver", host)
	}
	return kube.New(cs), nil
}

func TestPodsPagesThroughLargeNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 520-pod paging test")
	}
	cs := adminClient(t)
	ns := namespace(t, cs, "it-paging")
	const n = kube.PageSize + 20

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if _, err := cs.CoreV1().Pods(ns).Create(ctx, podSpec(fmt.Sprintf("bulk-%04d", i), "it-node-1"), metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create: %v", err)
	}

	// Count the list requests the probe makes.
	var lists atomic.Int32
	cfg := restConfig(t, testenv.Kubeconfig(t), testenv.KubeContext(t), func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/namespaces/"+ns+"/pods") {
				lists.Add(1)
				if r.URL.Query().Get("limit") != fmt.Sprint(kube.PageSize) {
					t.Errorf("list without limit=%d: %s", kube.PageSize, r.URL)
				}
			}
			return rt.RoundTrip(r)
		})
	})
	counted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pods, err := kube.New(counted).Pods(lctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != n {
		t.Fatalf("got %d pods, want %d", len(pods), n)
	}
	seen := map[string]bool{}
	for _, p := range pods {
		if seen[p.Name] {
			t.Fatalf("pod %s listed twice", p.Name)
		}
		seen[p.Name] = true
	}
	if got := lists.Load(); got != 2 {
		t.Errorf("%d list requests for %d pods, want 2 pages", got, n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNarrowUserIsForbidden(t *testing.T) {
	narrow := testenv.KubeconfigNarrow(t)
	cs := adminClient(t)
	ns := namespace(t, cs, "it-forbidden")
	createWithStatus(t, cs, ns, podSpec("secret-pod", "it-node-1"), corev1.PodStatus{})

	p, err := kubeProbe(t, narrow, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, where := range []string{ns, ""} {
		pods, err := p.Pods(ctx, where)
		if !apierrors.IsForbidden(err) {
			t.Errorf("narrow user listing pods in %q: %d pods, err %v; want Forbidden", where, len(pods), err)
		}
	}
	if _, err := p.Pods(ctx, testenv.NarrowAllowedNamespace); err != nil {
		t.Errorf("narrow user listing pods in %q: %v; want allowed", testenv.NarrowAllowedNamespace, err)
	}
}
