// Package kube is the Kubernetes probe: pod rows for the pods pane, read
// through client-go. The same code serves a real cluster (protobuf, paged
// lists) and the drill (client-go's fake clientset).
package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warroom-dev/warroom/probes"
)

// Pod is one row of the pods pane, with kubectl's status reason.
type Pod struct {
	Namespace string
	Name      string
	UID       types.UID
	Ready     int
	Total     int
	Status    string // Running, CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending…
	Restarts  int32
	// LastRestart is when a counted container last terminated (zero if
	// unknown); kubectl prints it as "3 (2m ago)", see RestartsText.
	LastRestart time.Time
	Created     time.Time
	Node        string
	Owner       string // the controller: "ReplicaSet/api-7d9f8c6b5", if any
	// Deployment is the deployment owning the pod's ReplicaSet, when the
	// watch knows it.
	Deployment string
	// Usage is the pod's CPU and memory from metrics.k8s.io (HasUsage
	// false where metrics are not served).
	Usage    Usage
	HasUsage bool
}

// Healthy reports whether the pod needs no attention.
func (p Pod) Healthy() bool {
	return (p.Status == "Running" && p.Ready == p.Total) || p.Status == "Completed" || p.Status == "Succeeded"
}

// Probe is what the pods pane depends on. Reads come from a Watch (lists
// once, then watches); actions are the package functions of the same
// names, as kubectl does them.
type Probe interface {
	// Watch starts watching namespaces ("" for all) until ctx is done.
	Watch(ctx context.Context, namespaces []string) *Watch
	// Logs streams one container's log into out (StreamLogs).
	Logs(ctx context.Context, req LogRequest, out *probes.Stream[probes.Lines]) error
	// The actions are bound to what the user confirmed: the revision
	// rolled back from (RolloutUndoFrom), the count scaled from
	// (ScaleFrom), the pod's UID (DeletePodUID); 0, -1 and "" bind
	// nothing.
	RolloutUndo(ctx context.Context, namespace, name string, fromRevision int64) (UndoResult, error)
	RolloutRestart(ctx context.Context, namespace, name string) (RestartResult, error)
	Scale(ctx context.Context, namespace, name string, from, replicas int32) (ScaleResult, error)
	DeletePod(ctx context.Context, namespace, name string, uid types.UID) (DeleteResult, error)
}

// SplitNamespaces reads "a,b" (kube.namespace, --namespace) as a list;
// "" is all namespaces.
func SplitNamespaces(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return AllNamespaces
	}
	return out
}

// PageSize is how many pods one list request asks for.
const PageSize = 500

// Client is the Probe over a clientset, real or fake.
type Client struct {
	CS kubernetes.Interface
	// Metrics, if set, gives pod CPU/MEM (metrics.k8s.io) to watches.
	Metrics func(ctx context.Context, namespaces []string) (map[string]Usage, error)
	Now     func() time.Time
}

// New wraps a clientset (real or fake) as a Probe.
func New(cs kubernetes.Interface) *Client { return &Client{CS: cs, Now: time.Now} }

func (p *Client) Watch(ctx context.Context, namespaces []string) *Watch {
	return StartWatch(ctx, p.CS, WatchOptions{Namespaces: namespaces, Now: p.Now, Metrics: p.Metrics})
}

func (p *Client) Logs(ctx context.Context, req LogRequest, out *probes.Stream[probes.Lines]) error {
	return StreamLogs(ctx, p.CS, req, out)
}

func (p *Client) RolloutUndo(ctx context.Context, ns, name string, from int64) (UndoResult, error) {
	return RolloutUndoFrom(ctx, p.CS, ns, name, from)
}

func (p *Client) RolloutRestart(ctx context.Context, ns, name string) (RestartResult, error) {
	return RolloutRestart(ctx, p.CS, ns, name, p.Now())
}

func (p *Client) Scale(ctx context.Context, ns, name string, from, replicas int32) (ScaleResult, error) {
	return ScaleFrom(ctx, p.CS, ns, name, from, replicas)
}

func (p *Client) DeletePod(ctx context.Context, ns, name string, uid types.UID) (DeleteResult, error) {
	return DeletePodUID(ctx, p.CS, ns, name, uid)
}

// RestConfig loads a kubeconfig file ("" for the default loading rules:
// $KUBECONFIG, ~/.kube/config) and context ("" for current), asking the
// apiserver for protobuf: for 10,000 pods it is ~4x smaller than JSON and
// ~7x faster to decode.
func RestConfig(kubeconfig, kubecontext string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubecontext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cfg.QPS, cfg.Burst = 20, 40
	// No client-wide timeout: it would cut every watch and followed log
	// at that age. Each call has its own context deadline instead.
	return cfg, nil
}

// NewClientset builds a clientset from RestConfig; it also returns the API
// server's address.
func NewClientset(kubeconfig, kubecontext string) (kubernetes.Interface, string, error) {
	cfg, err := RestConfig(kubeconfig, kubecontext)
	if err != nil {
		return nil, "", err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return cs, cfg.Host, nil
}

// Pods lists the pods of namespace ("" for all) once, in pages, worst
// first. The pane watches instead (Watch); this is the one-shot read.
func (p *Client) Pods(ctx context.Context, namespace string) ([]Pod, error) {
	var out []Pod
	opts := metav1.ListOptions{Limit: PageSize}
	for {
		list, err := p.CS.CoreV1().Pods(namespace).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, Row(&list.Items[i]))
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	SortWorstFirst(out)
	return out, nil
}

// SortWorstFirst orders pods needing attention first, then by restarts,
// then namespace and name. Namespace and name are unique, so the order is
// total. It sorts small keys, then moves each row once: a Pod row is a
// few hundred bytes, and sorting 10,000 of them in place is mostly
// copying.
func SortWorstFirst(pods []Pod) {
	type sortKey struct {
		healthy  bool
		restarts int32
		ns, name string
		i        int
	}
	keys := make([]sortKey, len(pods))
	for i := range pods {
		p := &pods[i]
		keys[i] = sortKey{p.Healthy(), p.Restarts, p.Namespace, p.Name, i}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.healthy != b.healthy {
			if b.healthy {
				return -1
			}
			return 1
		}
		if a.restarts != b.restarts {
			return cmp.Compare(b.restarts, a.restarts)
		}
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	sorted := make([]Pod, len(pods))
	for j, k := range keys {
		sorted[j] = pods[k.i]
	}
	copy(pods, sorted)
}

// Row turns a Pod object into a row with the READY, STATUS and RESTARTS
// columns kubectl prints. It follows kubectl's pod printer
// (k8s.io/kubernetes/pkg/printers/internalversion printPod) step by step;
// hack/k8s/printdiff checks the two agree, case by case and under fuzzing.
func Row(pod *corev1.Pod) Pod {
	r := Pod{
		Namespace: pod.Namespace,
		Name:      pod.Name,
		UID:       pod.UID,
		Total:     len(pod.Spec.Containers),
		Created:   pod.CreationTimestamp.Time,
		Node:      pod.Spec.NodeName,
	}
	for _, o := range pod.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			r.Owner = o.Kind + "/" + o.Name
		}
	}

	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}

	// Native sidecars (init containers with restartPolicy Always) count as
	// containers, and their restarts survive initialization.
	sidecar := make(map[string]bool, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecar[c.Name] = true
			r.Total++
		}
	}

	var restarts, sidecarRestarts int32
	var last, sidecarLast time.Time
	later := func(t *time.Time, s corev1.ContainerStatus) {
		if term := s.LastTerminationState.Terminated; term != nil && term.FinishedAt.After(*t) {
			*t = term.FinishedAt.Time
		}
	}

	initializing := false
	for i, c := range pod.Status.InitContainerStatuses {
		restarts += c.RestartCount
		later(&last, c)
		if sidecar[c.Name] {
			sidecarRestarts += c.RestartCount
			later(&sidecarLast, c)
		}
		switch t := c.State.Terminated; {
		case t != nil && t.ExitCode == 0:
			continue
		case sidecar[c.Name] && c.Started != nil && *c.Started:
			if c.Ready {
				r.Ready++
			}
			continue
		case t != nil:
			switch {
			case t.Reason != "":
				reason = "Init:" + t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}

	if !initializing || conditionTrue(pod.Status.Conditions, corev1.PodInitialized, false) {
		// Once initialized, only sidecar restarts still count from the init
		// containers (kubectl's rule), plus the app containers'.
		restarts, last = sidecarRestarts, sidecarLast
		hasRunning := false
		errorReason := ""
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := pod.Status.ContainerStatuses[i]
			restarts += c.RestartCount
			later(&last, c)
			switch t := c.State.Terminated; {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
			case t != nil:
				switch {
				case t.Reason != "":
					reason = t.Reason
				case t.Signal != 0:
					reason = fmt.Sprintf("Signal:%d", t.Signal)
				default:
					reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
				if t.ExitCode != 0 {
					errorReason = reason
				}
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				r.Ready++
			}
		}
		// A completed container beside running ones: the pod is Running if
		// it is Ready, else a failed sibling's reason, else NotReady.
		if reason == "Completed" {
			switch {
			case hasRunning && conditionTrue(pod.Status.Conditions, corev1.PodReady, true):
				reason = "Running"
			case errorReason != "":
				reason = errorReason
			case hasRunning:
				reason = "NotReady"
			}
		}
	}

	if pod.DeletionTimestamp != nil {
		switch {
		case pod.Status.Reason == "NodeLost": // the node controller's NodeUnreachablePodReason
			reason = "Unknown"
		case pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed:
			reason = "Terminating"
		}
	}

	r.Status = reason
	r.Restarts = restarts
	if restarts != 0 {
		r.LastRestart = last
	}
	return r
}

// conditionTrue reports whether the pod condition of type typ is True.
// kubectl reads the first Initialized condition but any True Ready one;
// anyMatch picks which.
func conditionTrue(conds []corev1.PodCondition, typ corev1.PodConditionType, anyMatch bool) bool {
	for _, c := range conds {
		if c.Type != typ {
			continue
		}
		if c.Status == corev1.ConditionTrue || !anyMatch {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
