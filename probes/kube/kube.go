// Package kube is the Kubernetes probe: pod rows for the pods pane, read
// through client-go. The same code serves a real cluster (protobuf, paged
// lists) and the drill (client-go's fake clientset).
package kube

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Pod is one row of the pods pane, with kubectl's status reason.
type Pod struct {
	Namespace string
	Name      string
	Ready     int
	Total     int
	Status    string // Running, CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending…
	Restarts  int32
	Created   time.Time
	Node      string
	Owner     string // controlling ReplicaSet/Deployment-ish name, if any
}

// Healthy reports whether the pod needs no attention.
func (p Pod) Healthy() bool {
	return (p.Status == "Running" && p.Ready == p.Total) || p.Status == "Completed" || p.Status == "Succeeded"
}

// Probe is what panes depend on.
type Probe interface {
	// Pods lists the pods of namespace ("" for all), worst first.
	Pods(ctx context.Context, namespace string) ([]Pod, error)
	// RolloutUndo rolls a deployment back to its previous revision, as
	// kubectl rollout undo does (see the package function RolloutUndo).
	RolloutUndo(ctx context.Context, namespace, name string) (UndoResult, error)
}

// PageSize is how many pods one list request asks for.
const PageSize = 500

type probe struct{ cs kubernetes.Interface }

// New wraps a clientset (real or fake) as a Probe.
func New(cs kubernetes.Interface) Probe { return probe{cs: cs} }

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
	cfg.Timeout = 30 * time.Second
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

func (p probe) Pods(ctx context.Context, namespace string) ([]Pod, error) {
	var out []Pod
	opts := metav1.ListOptions{Limit: PageSize}
	for {
		list, err := p.cs.CoreV1().Pods(namespace).List(ctx, opts)
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

// SortWorstFirst orders pods needing attention first, then by restarts, then name.
func SortWorstFirst(pods []Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if a.Healthy() != b.Healthy() {
			return !a.Healthy()
		}
		if a.Restarts != b.Restarts {
			return a.Restarts > b.Restarts
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// Row turns a Pod object into a row, with the status reason kubectl prints.
func Row(pod *corev1.Pod) Pod {
	r := Pod{
		Namespace: pod.Namespace,
		Name:      pod.Name,
		Total:     len(pod.Spec.Containers),
		Created:   pod.CreationTimestamp.Time,
		Node:      pod.Spec.NodeName,
		Status:    string(pod.Status.Phase),
	}
	for _, o := range pod.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			r.Owner = o.Kind + "/" + o.Name
		}
	}
	if pod.Status.Reason != "" {
		r.Status = pod.Status.Reason
	}
	initializing := false
	for i, c := range pod.Status.InitContainerStatuses {
		r.Restarts += c.RestartCount
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.State.Terminated != nil:
			if c.State.Terminated.Reason != "" {
				r.Status = "Init:" + c.State.Terminated.Reason
			} else {
				r.Status = fmt.Sprintf("Init:ExitCode:%d", c.State.Terminated.ExitCode)
			}
			initializing = true
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			r.Status = "Init:" + c.State.Waiting.Reason
			initializing = true
		default:
			r.Status = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
			initializing = true
		}
		break
	}
	if !initializing {
		hasRunning := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := pod.Status.ContainerStatuses[i]
			r.Restarts += c.RestartCount
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				r.Status = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				r.Status = c.State.Terminated.Reason
			case c.State.Terminated != nil && c.State.Terminated.Signal != 0:
				r.Status = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
			case c.State.Terminated != nil:
				r.Status = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				r.Ready++
			}
		}
		if r.Status == "Completed" && hasRunning {
			r.Status = "Running"
		}
	}
	if pod.DeletionTimestamp != nil {
		r.Status = "Terminating"
	}
	return r
}
