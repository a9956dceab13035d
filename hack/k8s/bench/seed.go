package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

const protobuf = "application/vnd.kubernetes.protobuf"

// podNames: the healthy pods and the crash-looping ones. Short enough that
// the pods pane never shortens them (it cuts long names in the middle),
// so the crash-looping ones are found on screen by name.
func healthyName(i int) string { return fmt.Sprintf("web-%05d", i) }
func crashName(i int) string   { return fmt.Sprintf("%s%02d", crashPrefix, i) }

const crashPrefix = "api-crash-"

// seedResult is what seeding took.
type seedResult struct {
	Pods, Crashing, Workers int
	Seconds                 float64 // creates and status updates, all pods
	Reused                  bool    // the namespace already held the pods
}

// seed creates the namespace (and its default ServiceAccount: no
// controller-manager runs) and n pods bound to nodes that need not exist,
// then sets their statuses: all Running and Ready but `crashing` of them in
// CrashLoopBackOff.
func seed(ctx context.Context, cfg *rest.Config, ns string, n, crashing, workers int) (seedResult, error) {
	res := seedResult{Pods: n, Crashing: crashing, Workers: workers}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 100000, 100000 // no client-side throttling
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return res, err
	}
	if l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 1}); err == nil && len(l.Items) > 0 {
		var rem int64
		if l.RemainingItemCount != nil {
			rem = *l.RemainingItemCount
		}
		if int(rem)+1 == n {
			res.Reused = true // a second run on the same API server
			return res, nil
		}
		logf("namespace %s holds %d pods: seeding the rest (and every status)", ns, rem+1)
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return res, err
	}
	_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return res, err
	}

	start := time.Now()
	jobs := make(chan int)
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := range jobs {
				if err := seedOne(ctx, cs, ns, i, n-crashing, start); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				if d := done.Add(1); d%2000 == 0 {
					logf("seeded %d/%d pods (%.0f/s)", d, n, float64(d)/time.Since(start).Seconds())
				}
			}
		})
	}
	// The crash-looping pods first: they exist from the start of the run.
	for i := n - 1; i >= 0 && ctx.Err() == nil; i-- {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	return res, firstErr
}

// seedOne creates pod i and sets its status; pods from `healthy` on are the
// crash-looping ones.
func seedOne(ctx context.Context, cs kubernetes.Interface, ns string, i, healthy int, now time.Time) error {
	crash := i >= healthy
	name, app, rs := healthyName(i), "web", "web-5d8f7c9b6"
	if crash {
		name, app, rs = crashName(i-healthy), "api", "api-6f9c7d5b8"
	}
	pod := podSpec(ns, name, app, rs, fmt.Sprintf("bench-node-%02d", i%50))
	var created *corev1.Pod
	err := retry(ctx, func() (err error) {
		created, err = cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // an earlier try (or run) made it
			created, err = cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create pod %s: %w", name, err)
	}
	ip := fmt.Sprintf("10.244.%d.%d", i/250, i%250+2)
	if crash {
		crashStatus(created, ip, now, int32(3+i-healthy))
	} else {
		runningStatus(created, ip, now)
	}
	err = retry(ctx, func() error {
		_, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) { // a timed-out try went through after all
			cur, gerr := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			cur.Status = created.Status
			_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("status of pod %s: %w", name, err)
	}
	return nil
}

// retry runs f again, up to 5 times with a growing pause, while it fails
// the way an overloaded API server does (timeouts, 429, 5xx).
func retry(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < 6; i++ {
		if err = f(); err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(200<<i) * time.Millisecond):
		}
	}
	return err
}

func transient(err error) bool {
	return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}

// podSpec is a pod as a Deployment would make it, kept lean (about 1.3 KB
// in protobuf with its status and managedFields): labels, an owner,
// resources, a port.
func podSpec(ns, name, app, rs, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns,
			Labels: map[string]string{"app": app, "pod-template-hash": rs[len(app)+1:]},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs,
				UID: "6f1b7a52-3c1e-4d8a-9b0e-000000000001", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example.com/" + app + ":2.14.0",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				},
			}},
		},
	}
}

func baseStatus(p *corev1.Pod, ip string, now time.Time) {
	start := metav1.NewTime(now.Add(-time.Hour))
	p.Status.Phase = corev1.PodRunning
	p.Status.HostIP, p.Status.HostIPs = "10.0.0.1", []corev1.HostIP{{IP: "10.0.0.1"}}
	p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	p.Status.StartTime = &start
}

func conditions(ready bool, now time.Time) []corev1.PodCondition {
	t := metav1.NewTime(now.Add(-time.Hour))
	st, reason := corev1.ConditionTrue, ""
	if !ready {
		st, reason = corev1.ConditionFalse, "ContainersNotReady"
	}
	return []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: corev1.PodReady, Status: st, Reason: reason, LastTransitionTime: t},
		{Type: corev1.ContainersReady, Status: st, Reason: reason, LastTransitionTime: t},
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: t},
	}
}

func runningStatus(p *corev1.Pod, ip string, now time.Time) {
	baseStatus(p, ip, now)
	p.Status.Conditions = conditions(true, now)
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "app", Image: p.Spec.Containers[0].Image, ImageID: "registry.example.com/web@sha256:0f3c9a",
		ContainerID: "containerd://" + p.Name, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-time.Hour))}},
	}}
}

// crashStatus is CrashLoopBackOff with `restarts` restarts, the last
// termination just now.
func crashStatus(p *corev1.Pod, ip string, now time.Time, restarts int32) {
	if p.Status.Phase != corev1.PodRunning {
		baseStatus(p, ip, now)
		p.Status.Conditions = conditions(false, now)
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "app", Image: p.Spec.Containers[0].Image, ImageID: "registry.example.com/api@sha256:7b1e44",
		ContainerID: "containerd://" + p.Name, Ready: false, Started: ptr.To(false), RestartCount: restarts,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason:  "CrashLoopBackOff",
			Message: "back-off 5m0s restarting failed container=app pod=" + p.Name + "_" + p.Namespace,
		}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error",
			StartedAt: metav1.NewTime(now.Add(-2 * time.Second)), FinishedAt: metav1.NewTime(now),
		}},
	}}
}

// listResult is one way of listing the namespace, timed.
type listResult struct {
	Seconds []float64
	Bytes   int64 // body bytes on the wire (raw LIST)
	Items   int   // pods decoded (client-go)
}

// rawList times a single GET of the whole namespace as protobuf, as curl
// would do it: a new connection (TLS handshake included), the whole body
// read and thrown away. gzip asks for a compressed body, as Go clients
// (client-go included) do by default.
func rawList(ctx context.Context, cfg *rest.Config, ns string, gzip bool) (float64, int64, error) {
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return 0, 0, err
	}
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	tr := &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true, DisableCompression: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/api/v1/namespaces/"+ns+"/pods", nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Accept", protobuf)
	req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start).Seconds()
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("raw LIST: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != protobuf {
		return 0, 0, fmt.Errorf("raw LIST: Content-Type %q, not protobuf", ct)
	}
	return d, n, nil
}

// clientGoList times what warroom's probe does for its first frame: a new
// client (protobuf, as probes/kube.RestConfig sets it up), the namespace
// listed in pages of 500, every pod decoded.
func clientGoList(ctx context.Context, cfg *rest.Config, ns string) (float64, int, error) {
	start := time.Now()
	cfg = rest.CopyConfig(cfg)
	// A Dial of its own keeps client-go from reusing a cached transport
	// (and its open connection) from the last iteration.
	cfg.Dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	cfg.ContentType = protobuf
	cfg.AcceptContentTypes = protobuf + ",application/json"
	cfg.QPS, cfg.Burst = 20, 40
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, 0, err
	}
	items := 0
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := cs.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			return 0, 0, err
		}
		items += len(l.Items)
		if l.Continue == "" {
			break
		}
		opts.Continue = l.Continue
	}
	return time.Since(start).Seconds(), items, nil
}
