package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
)

// Usage is one pod's resource use as metrics.k8s.io reports it, summed
// over its containers the way `kubectl top pod` sums them: CPU in
// millicores (rounded up), memory working set in bytes.
type Usage struct{ CPUMilli, MemBytes int64 }

// ErrMetricsUnavailable is wrapped by every error that means "this cluster
// gives no pod metrics now" (metrics.k8s.io not served, its server not
// answering); the pane shows "metrics unavailable" for it. A Forbidden
// answer is not one of these: it is reported in place, as
// "forbidden: list pods.metrics.k8s.io in <ns>", and
// apierrors.IsForbidden recognises it.
var ErrMetricsUnavailable = errors.New("metrics unavailable")

// MetricsRecheck is how long a "not served" answer from discovery is
// trusted before Metrics asks again: a cluster without metrics-server
// costs one discovery request per MetricsRecheck, not a failing list per
// poll, and a metrics-server installed mid-incident shows within it.
const MetricsRecheck = 3 * time.Minute

const (
	metricsGroupVersion = "metrics.k8s.io/v1beta1"
	metricsPods         = "pods.metrics.k8s.io"
)

// Metrics reads pod CPU and memory from metrics.k8s.io/v1beta1 (what
// metrics-server serves and `kubectl top pod` reads). Safe for concurrent
// use.
type Metrics struct {
	pods    metricsclient.PodMetricsesGetter
	disc    discovery.DiscoveryInterfaceWithContext
	recheck time.Duration
	now     func() time.Time

	mu     sync.Mutex // held across discovery, so concurrent callers share one request
	served bool       // discovery found pods in metrics.k8s.io/v1beta1
	// notServed (when !served and set) is the cached "not served" error,
	// trusted until notServedUntil.
	notServed      error
	notServedUntil time.Time
}

// NewMetrics builds Metrics on a REST config (RestConfig's: protobuf is
// fine, metrics-server speaks it).
func NewMetrics(cfg *rest.Config) (*Metrics, error) {
	cfg = rest.CopyConfig(cfg)
	mc, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metrics client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return NewMetricsFor(mc, dc), nil
}

// NewMetricsFor builds Metrics on any PodMetricses getter and discovery
// client: a real MetricsV1beta1Client and DiscoveryClient, or, in the
// drill and in tests, k8s.io/metrics' fake clientset's MetricsV1beta1()
// and client-go's fake.FakeDiscovery (whose Resources must then list
// "pods" under metrics.k8s.io/v1beta1 for metrics to be "served"). The
// fake clientset's PodMetrics must be added with
// Tracker().Create(v1beta1.SchemeGroupVersion.WithResource("pods"), …):
// given to NewSimpleClientset they land under "podmetricses" and List
// never sees them (kubernetes/kubernetes#95421).
func NewMetricsFor(pods metricsclient.PodMetricsesGetter, disc discovery.DiscoveryInterface) *Metrics {
	return &Metrics{
		pods:    pods,
		disc:    discovery.ToDiscoveryInterfaceWithContext(disc),
		recheck: MetricsRecheck,
		now:     time.Now,
	}
}

// Pods returns the usage of every pod metrics-server has measured in
// namespaces (none, or one "", means all namespaces), keyed "ns/name".
// Pods it has not measured yet (just started) are absent from the map.
//
// An error wrapping ErrMetricsUnavailable means there is nothing to show
// anywhere. Otherwise a namespace the user may not read (Forbidden) or
// whose list failed costs only its own pods: the map holds the others and
// the error says which namespaces are missing and why.
func (m *Metrics) Pods(ctx context.Context, namespaces []string) (map[string]Usage, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	out := map[string]Usage{}
	var errs []error
	for _, ns := range listNamespaces(namespaces) {
		list, err := m.pods.PodMetricses(ns).List(ctx, metav1.ListOptions{})
		switch {
		case err == nil:
			for i := range list.Items {
				pm := &list.Items[i]
				out[pm.Namespace+"/"+pm.Name] = podUsage(pm)
			}
		case ctx.Err() != nil:
			return nil, err
		case apierrors.IsNotFound(err):
			// Served at discovery time, gone now (APIService deleted).
			return nil, m.markNotServed()
		case apierrors.IsServiceUnavailable(err):
			// The APIService exists but its server is down: not cached, the
			// next poll asks again (one request, as discovery would).
			return nil, fmt.Errorf("%w: metrics-server is not answering (%s: %v)", ErrMetricsUnavailable, metricsGroupVersion, err)
		case apierrors.IsForbidden(err):
			errs = append(errs, &forbiddenError{what: "list " + metricsPods + " in " + nsText(ns), err: err})
		default:
			errs = append(errs, fmt.Errorf("list %s in %s: %w", metricsPods, nsText(ns), err))
		}
	}
	return out, joinErrors(errs)
}

// check answers from the cache or asks discovery whether
// metrics.k8s.io/v1beta1 serves pods. It caches the definite answers:
// served (until a list says otherwise) and not served (for recheck).
func (m *Metrics) check(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.served {
		return nil
	}
	if m.notServed != nil && m.now().Before(m.notServedUntil) {
		return m.notServed
	}
	list, err := m.disc.ServerResourcesForGroupVersionWithContext(ctx, metricsGroupVersion)
	switch {
	case err == nil:
		if slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
			return r.Name == "pods" && slices.Contains(r.Verbs, "list")
		}) {
			m.served, m.notServed = true, nil
			return nil
		}
		m.notServed = fmt.Errorf("%w: %s is served without a pods list", ErrMetricsUnavailable, metricsGroupVersion)
		m.notServedUntil = m.now().Add(m.recheck)
		return m.notServed
	case ctx.Err() != nil:
		return err
	case apierrors.IsNotFound(err):
		m.setNotServed()
		return m.notServed
	case apierrors.IsServiceUnavailable(err):
		return fmt.Errorf("%w: metrics-server is not answering (%s: %v)", ErrMetricsUnavailable, metricsGroupVersion, err)
	case apierrors.IsForbidden(err):
		return &forbiddenError{what: "get /apis/" + metricsGroupVersion, err: err}
	default:
		return fmt.Errorf("%w: discovering %s: %v", ErrMetricsUnavailable, metricsGroupVersion, err)
	}
}

func (m *Metrics) markNotServed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setNotServed()
	return m.notServed
}

// setNotServed needs m.mu.
func (m *Metrics) setNotServed() {
	m.served = false
	m.notServed = fmt.Errorf("%w: metrics.k8s.io is not served by this cluster (no metrics-server)", ErrMetricsUnavailable)
	m.notServedUntil = m.now().Add(m.recheck)
}

// listNamespaces turns the caller's namespaces into the lists to make:
// [""] (one cluster-wide list) for none or for any "", else each once.
func listNamespaces(namespaces []string) []string {
	if len(namespaces) == 0 || slices.Contains(namespaces, "") {
		return []string{""}
	}
	var out []string
	for _, ns := range namespaces {
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// podUsage sums the containers' quantities exactly, then rounds once, as
// kubectl's getPodMetrics and printSingleResourceUsage do
// (k8s.io/kubectl/pkg/metricsutil/metrics_printer.go): summing rounded
// millicores would print 2m for two 0.4m containers where kubectl prints 1m.
func podUsage(pm *metricsv1beta1.PodMetrics) Usage {
	var cpu, mem resource.Quantity
	for _, c := range pm.Containers {
		cpu.Add(c.Usage[corev1.ResourceCPU])
		mem.Add(c.Usage[corev1.ResourceMemory])
	}
	return Usage{CPUMilli: cpu.MilliValue(), MemBytes: mem.Value()}
}

// FormatCPU prints millicores as `kubectl top pod` does: "250m".
func FormatCPU(milli int64) string { return fmt.Sprintf("%dm", milli) }

// FormatMem prints bytes as `kubectl top pod` does: whole MiB rounded
// down, "128Mi".
func FormatMem(bytes int64) string { return fmt.Sprintf("%dMi", bytes/(1024*1024)) }

// forbiddenError is an RBAC refusal, worded for the pane
// ("forbidden: list pods.metrics.k8s.io in agent-platform"); it unwraps
// to the apiserver's StatusError, so apierrors.IsForbidden holds.
type forbiddenError struct {
	what string // "<verb> <resource> in <ns>"
	err  error
}

func (e *forbiddenError) Error() string { return "forbidden: " + e.what }

func (e *forbiddenError) Unwrap() error { return e.err }

func nsText(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return ns
}

// joinErrors is errors.Join on one line ("; "), for a status line.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return multiError(errs)
}

type multiError []error

func (e multiError) Error() string {
	s := e[0].Error()
	for _, err := range e[1:] {
		s += "; " + err.Error()
	}
	return s
}

func (e multiError) Unwrap() []error { return e }
