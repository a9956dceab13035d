package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/warroom-dev/warroom/probes"
)

// Snapshot is what the pods pane draws, as the watch's caches hold it: the
// pods of the watched namespaces worst first, their deployments, and what
// the watch could not read.
type Snapshot struct {
	Pods        []Pod        // worst first (SortWorstFirst)
	Deployments []Deployment // by namespace, then name
	// Forbidden says, per resource the user may not list, what was
	// refused: "forbidden: list events in agent-platform". The rest of the
	// watch goes on.
	Forbidden []string
	// Synced: every pods list the user may make has been read once. Until
	// then Pods is partial and "0 pods" would be a lie.
	Synced bool
	// Err is the error of a list or watch call that failed (not a
	// Forbidden one) and has not succeeded since: the caches keep what
	// they had, frozen at ErrSince.
	Err      error
	ErrSince time.Time
	// LastChange is when the caches last changed.
	LastChange time.Time
	// Metrics is why pod CPU/MEM are not shown ("" when they are, or when
	// no metrics source is watched).
	Metrics string
	// Watched are the namespaces, "" meaning all.
	Watched []string
	// Listed is how many pods the caches hold; while the first list is
	// read (Synced false) it is all a snapshot carries of them.
	Listed int
}

// Deployment is one deployment's rollout as the watch sees it.
type Deployment struct {
	Namespace, Name                     string
	Replicas, Updated, Ready, Available int32
	Paused                              bool
	// Progress is "complete", "progressing", "stalled" or "paused", from
	// the Progressing condition as `kubectl rollout status` reads it;
	// ProgressMessage is the condition's message when stalled.
	Progress        string
	ProgressMessage string
	Revision        int64 // the current revision (0: not yet known)
	// RevisionSince is when the current revision became current: when
	// the watch saw it change, else its ReplicaSet's creation.
	RevisionSince time.Time
	Image         string
	ChangeCause   string
	// History is the deployment's ReplicaSets, newest revision first:
	// `kubectl rollout history`.
	History []RevisionInfo
	// Pods counts the pods it owns; NotHealthy counts those needing
	// attention by STATUS ("CrashLoopBackOff": 2).
	Pods       int
	NotHealthy map[string]int
}

// RevisionInfo is one revision of a deployment (one ReplicaSet).
type RevisionInfo struct {
	Revision    int64
	ReplicaSet  string
	Image       string
	ChangeCause string
	Created     time.Time
	Replicas    int32 // the ReplicaSet's current replicas
}

// Current is the history entry of the current revision, if known.
func (d Deployment) Current() (RevisionInfo, bool) {
	for _, r := range d.History {
		if r.Revision == d.Revision {
			return r, true
		}
	}
	return RevisionInfo{}, false
}

// Previous is the revision a rollout undo goes back to: the newest one
// below the current, as kubectl picks it.
func (d Deployment) Previous() (RevisionInfo, bool) {
	for _, r := range d.History { // newest first
		if r.Revision < d.Revision {
			return r, true
		}
	}
	return RevisionInfo{}, false
}

// Summary is the one-line account: "api 3/5 ready · rev 42 (12m ago) · 2
// CrashLoopBackOff".
func (d Deployment) Summary(now time.Time) string {
	s := fmt.Sprintf("%s %d/%d ready", d.Name, d.Ready, d.Replicas)
	if d.Revision > 0 {
		s += fmt.Sprintf(" · rev %d", d.Revision)
		if !d.RevisionSince.IsZero() {
			s += " (" + probes.Ago(now, d.RevisionSince) + ")"
		}
	}
	for _, k := range sortedCounts(d.NotHealthy) {
		s += fmt.Sprintf(" · %d %s", d.NotHealthy[k], k)
	}
	return s
}

// Rollout is the rollout state: "progressing · 3 updated, 2 ready, 2
// available of 5".
func (d Deployment) Rollout() string {
	s := fmt.Sprintf("%s · %d updated, %d ready, %d available of %d", d.Progress, d.Updated, d.Ready, d.Available, d.Replicas)
	if d.ProgressMessage != "" {
		s += " · " + d.ProgressMessage
	}
	return s
}

// sortedCounts orders count keys by count, descending, then name.
func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// Coalesce is how long a watch waits after a change for more before it
// publishes: a burst of changes costs the UI one snapshot.
const Coalesce = 50 * time.Millisecond

// MaxCoalesce bounds the wait when snapshots are slow to build (see
// publish): a change is on screen within about this, plus a build.
const MaxCoalesce = 400 * time.Millisecond

// Watch is a live view of some namespaces: informers for Pods,
// Deployments, ReplicaSets and Events per namespace (or one set for all
// namespaces), kept in caches stripped to what the pane shows, published
// as Snapshots through a probes.Stream. It lists once per resource, then
// watches: it never re-lists on a timer.
type Watch struct {
	cs      kubernetes.Interface
	out     *probes.Stream[Snapshot]
	now     func() time.Time
	watched []string
	metrics func(ctx context.Context, namespaces []string) (map[string]Usage, error)

	wake chan struct{}

	mu         sync.Mutex
	pods       map[string]Pod // by ns/name, rows made once per change
	deps       map[string]*appsv1.Deployment
	rss        map[string]*appsv1.ReplicaSet
	health     map[string]*health // by "resource ns"
	podInf     map[string]cache.SharedIndexInformer
	evInf      map[string]cache.SharedIndexInformer
	lastChange time.Time
	pingErr    error // the API server did not answer its last liveness ping
	pingSince  time.Time
	usage      map[string]Usage
	metricsErr string
	// revSeen is when the watch saw a deployment move to its current
	// revision (a rollback reuses an old ReplicaSet: its age says nothing
	// about when it became current).
	revSeen map[string]revSeen
}

type revSeen struct {
	rev int64
	at  time.Time
}

type health struct {
	resource, ns string
	synced       func() bool
	forbidden    bool
	err          error
	errSince     time.Time
}

// AllNamespaces is the namespace list meaning every namespace.
var AllNamespaces = []string{""}

// WatchOptions are what a watch needs besides the clientset.
type WatchOptions struct {
	Namespaces []string // "" (or none) for all namespaces
	Now        func() time.Time
	// Metrics, if set, is polled every MetricsEvery for pod CPU/MEM.
	Metrics      func(ctx context.Context, namespaces []string) (map[string]Usage, error)
	MetricsEvery time.Duration
}

// StartWatch starts the informers and returns the watch; it stops when ctx
// is done (its stream is closed then).
func StartWatch(ctx context.Context, cs kubernetes.Interface, o WatchOptions) *Watch {
	if o.Now == nil {
		o.Now = time.Now
	}
	ns := normNamespaces(o.Namespaces)
	w := &Watch{
		cs: cs, now: o.Now, watched: ns, metrics: o.Metrics,
		out:  probes.NewStream[Snapshot]("kube-watch", nil),
		wake: make(chan struct{}, 1),
		pods: map[string]Pod{}, deps: map[string]*appsv1.Deployment{}, rss: map[string]*appsv1.ReplicaSet{},
		health: map[string]*health{}, revSeen: map[string]revSeen{}, podInf: map[string]cache.SharedIndexInformer{}, evInf: map[string]cache.SharedIndexInformer{},
	}
	var infs []cache.SharedIndexInformer
	for _, n := range ns {
		n := n
		pi := w.informer(ctx, "pods", n, &corev1.Pod{}, cache.Indexers{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return cs.CoreV1().Pods(n).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return cs.CoreV1().Pods(n).Watch(ctx, o)
			}, stripPod, w.onPod)
		di := w.informer(ctx, "deployments", n, &appsv1.Deployment{}, cache.Indexers{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return cs.AppsV1().Deployments(n).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return cs.AppsV1().Deployments(n).Watch(ctx, o)
			}, stripDeployment, w.onDeployment)
		ri := w.informer(ctx, "replicasets", n, &appsv1.ReplicaSet{}, cache.Indexers{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return cs.AppsV1().ReplicaSets(n).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return cs.AppsV1().ReplicaSets(n).Watch(ctx, o)
			}, stripReplicaSet, w.onReplicaSet)
		ei := w.informer(ctx, "events", n, &corev1.Event{}, cache.Indexers{byInvolved: indexInvolved},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return cs.CoreV1().Events(n).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return cs.CoreV1().Events(n).Watch(ctx, o)
			}, stripEvent, func(any, bool) {})
		w.podInf[n], w.evInf[n] = pi, ei
		infs = append(infs, pi, di, ri, ei)
	}
	for _, inf := range infs {
		go inf.RunWithContext(ctx)
	}
	for _, h := range w.health {
		// Say when a first list is in (one that brought nothing calls no
		// handler at all).
		go func() {
			if cache.WaitForCacheSync(ctx.Done(), h.synced) {
				w.changed()
			}
		}()
	}
	go w.publish(ctx)
	if rc := cs.Discovery().RESTClient(); rc != nil {
		go w.ping(ctx, rc)
	}
	if o.Metrics != nil {
		every := o.MetricsEvery
		if every <= 0 {
			every = 15 * time.Second
		}
		go w.pollMetrics(ctx, every)
	}
	return w
}

// Stream is where the snapshots come: drain it with Next (probes.Stream).
func (w *Watch) Stream() *probes.Stream[Snapshot] { return w.out }

// Watched are the namespaces watched, "" meaning all.
func (w *Watch) Watched() []string { return append([]string(nil), w.watched...) }

func normNamespaces(ns []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range ns {
		n = strings.TrimSpace(n)
		if n == "" {
			return AllNamespaces
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return AllNamespaces
	}
	sort.Strings(out)
	return out
}

// where names a namespace in messages: "in agent-platform", "in all namespaces".
func where(ns string) string {
	if ns == "" {
		return "in all namespaces"
	}
	return "in " + ns
}

func (w *Watch) informer(ctx context.Context, resource, ns string, example runtime.Object, idx cache.Indexers,
	list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
	strip func(any) (any, error), on func(obj any, deleted bool)) cache.SharedIndexInformer {
	h := &health{resource: resource, ns: ns}
	w.health[resource+" "+ns] = h
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			obj, err := list(ctx, o)
			if err == nil {
				w.connected(h)
			} else {
				w.failed(h, err)
			}
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			// The reflector retries a refused watch by itself without
			// telling its error handler: the failure is seen here.
			wi, err := watchFn(ctx, o)
			switch {
			case err == nil:
				w.connected(h)
			case o.SendInitialEvents != nil && (apierrors.IsInvalid(err) || apierrors.IsBadRequest(err)):
				// A server without watch-lists refuses the streamed first
				// list; the reflector falls back to a LIST, which reports.
			default:
				w.failed(h, err)
			}
			return wi, err
		},
	}
	inf := cache.NewSharedIndexInformerWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, w.cs), example,
		cache.SharedIndexInformerOptions{Indexers: idx, ObjectDescription: resource})
	_ = inf.SetTransform(strip)
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		w.failed(h, err)
	})
	// Synced is when this handler has seen the whole first list: the
	// informer's own HasSynced turns true when the list is popped from its
	// queue, before the handlers have caught up (a "synced" snapshot would
	// then count 6,822 of 10,000 pods).
	reg, _ := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { on(obj, false); w.changed() },
		UpdateFunc: func(_, obj any) { on(obj, false); w.changed() },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			on(obj, true)
			w.changed()
		},
	})
	h.synced = reg.HasSynced
	return inf
}

// connected: a list or watch call of h's informer succeeded.
func (w *Watch) connected(h *health) {
	w.mu.Lock()
	changed := h.err != nil || h.forbidden
	h.err, h.forbidden, h.errSince = nil, false, time.Time{}
	w.mu.Unlock()
	if changed {
		w.changed()
	}
}

// failed: a list or watch call of h's informer failed; the reflector
// retries with back-off.
func (w *Watch) failed(h *health, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.mu.Lock()
	if apierrors.IsForbidden(err) {
		h.forbidden, h.err = true, nil
	} else {
		if h.err == nil {
			h.errSince = w.now()
		}
		h.err = err
	}
	w.mu.Unlock()
	w.changed()
}

func (w *Watch) changed() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Watch) onPod(obj any, deleted bool) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key := p.Namespace + "/" + p.Name
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastChange = w.now()
	if deleted {
		delete(w.pods, key)
		return
	}
	w.pods[key] = Row(p)
}

func (w *Watch) onDeployment(obj any, deleted bool) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastChange = w.now()
	key := d.Namespace + "/" + d.Name
	if deleted {
		delete(w.deps, key)
		delete(w.revSeen, key)
		return
	}
	if rev, ok := Revision(&d.ObjectMeta); ok {
		if old, had := w.deps[key]; had {
			if before, _ := Revision(&old.ObjectMeta); before != rev {
				w.revSeen[key] = revSeen{rev: rev, at: w.now()}
			}
		}
	}
	w.deps[key] = d
}

func (w *Watch) onReplicaSet(obj any, deleted bool) {
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastChange = w.now()
	if deleted {
		delete(w.rss, rs.Namespace+"/"+rs.Name)
		return
	}
	w.rss[rs.Namespace+"/"+rs.Name] = rs
}

// publish builds a snapshot after each burst of changes: it waits for a
// change, then Coalesce for the rest of the burst.
func (w *Watch) publish(ctx context.Context) {
	defer w.out.Close()
	t := time.NewTimer(0)
	<-t.C
	wait := Coalesce
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select { // changes during the wait are in this snapshot
		case <-w.wake:
		default:
		}
		start := time.Now()
		w.out.Publish(w.Snapshot())
		// A big namespace under a storm of changes: wait longer between
		// snapshots, so building them stays under a fifth of a core.
		wait = min(max(Coalesce, 4*time.Since(start)), MaxCoalesce)
	}
}

// Snapshot builds the current snapshot from the caches.
func (w *Watch) Snapshot() Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Snapshot{Watched: w.Watched(), LastChange: w.lastChange, Metrics: w.metricsErr, Synced: true}
	for _, h := range w.health {
		switch {
		case h.forbidden:
			s.Forbidden = append(s.Forbidden, fmt.Sprintf("forbidden: list %s %s", h.resource, where(h.ns)))
		case h.err != nil:
			if s.Err == nil || h.errSince.Before(s.ErrSince) {
				s.Err, s.ErrSince = h.err, h.errSince
			}
		}
		if h.resource == "pods" && !h.forbidden && !h.synced() {
			s.Synced = false
		}
	}
	sort.Strings(s.Forbidden)
	if s.Err == nil && w.pingErr != nil {
		s.Err, s.ErrSince = fmt.Errorf("the API server does not answer (the watch may be stale): %w", w.pingErr), w.pingSince
	}
	s.Listed = len(w.pods)
	if !s.Synced && s.Err == nil {
		// Still reading the first list: a partial, sorted list would
		// cost a sort per burst and show a wrong worst-first; the count
		// says how far it is.
		return s
	}

	// ReplicaSet → deployment, by controller reference.
	type nsName struct{ ns, name string }
	owner := make(map[nsName]string, len(w.rss))
	byDep := map[nsName][]*appsv1.ReplicaSet{}
	for _, rs := range w.rss {
		if ref := metav1.GetControllerOfNoCopy(rs); ref != nil && ref.Kind == "Deployment" {
			dk := nsName{rs.Namespace, ref.Name}
			owner[nsName{rs.Namespace, rs.Name}] = ref.Name
			byDep[dk] = append(byDep[dk], rs)
		}
	}
	s.Pods = make([]Pod, 0, len(w.pods))
	pods := map[nsName]int{}
	bad := map[nsName]map[string]int{}
	for key, p := range w.pods {
		if rs, ok := strings.CutPrefix(p.Owner, "ReplicaSet/"); ok {
			if d, ok := owner[nsName{p.Namespace, rs}]; ok {
				p.Deployment = d
				dk := nsName{p.Namespace, d}
				pods[dk]++
				if !p.Healthy() {
					if bad[dk] == nil {
						bad[dk] = map[string]int{}
					}
					bad[dk][p.Status]++
				}
			}
		}
		if u, ok := w.usage[key]; ok {
			p.Usage, p.HasUsage = u, true
		}
		s.Pods = append(s.Pods, p)
	}
	SortWorstFirst(s.Pods)
	for _, d := range w.deps {
		key := nsName{d.Namespace, d.Name}
		dep := deploymentRow(d, byDep[key])
		dep.Pods, dep.NotHealthy = pods[key], bad[key]
		if seen, ok := w.revSeen[d.Namespace+"/"+d.Name]; ok && seen.rev == dep.Revision {
			dep.RevisionSince = seen.at
		} else if cur, ok := dep.Current(); ok {
			dep.RevisionSince = cur.Created
		}
		s.Deployments = append(s.Deployments, dep)
	}
	sort.Slice(s.Deployments, func(i, j int) bool {
		a, b := s.Deployments[i], s.Deployments[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return s
}

// deploymentRow reads a deployment's rollout state and history.
func deploymentRow(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) Deployment {
	out := Deployment{Namespace: d.Namespace, Name: d.Name, Replicas: 1, Paused: d.Spec.Paused,
		Updated: d.Status.UpdatedReplicas, Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas,
		Image: Images(d.Spec.Template), ChangeCause: d.Annotations[ChangeCauseAnnotation]}
	if d.Spec.Replicas != nil {
		out.Replicas = *d.Spec.Replicas
	}
	out.Revision, _ = Revision(&d.ObjectMeta)
	for _, rs := range rss {
		if rs.Namespace != d.Namespace {
			continue
		}
		rev, ok := Revision(&rs.ObjectMeta)
		if !ok {
			continue
		}
		out.History = append(out.History, RevisionInfo{Revision: rev, ReplicaSet: rs.Name, Image: Images(rs.Spec.Template),
			ChangeCause: rs.Annotations[ChangeCauseAnnotation], Created: rs.CreationTimestamp.Time, Replicas: rs.Status.Replicas})
	}
	sort.Slice(out.History, func(i, j int) bool { return out.History[i].Revision > out.History[j].Revision })
	out.Progress, out.ProgressMessage = progress(d)
	return out
}

// progress reads the rollout's state as `kubectl rollout status` does.
func progress(d *appsv1.Deployment) (string, string) {
	if d.Spec.Paused {
		return "paused", ""
	}
	if d.Generation > d.Status.ObservedGeneration {
		return "progressing", "waiting for the deployment controller"
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return "stalled", c.Message
		}
	}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	st := d.Status
	if st.UpdatedReplicas < replicas || st.Replicas > st.UpdatedReplicas || st.AvailableReplicas < st.UpdatedReplicas {
		return "progressing", ""
	}
	return "complete", ""
}

// ---- pod detail ---------------------------------------------------------------

// Detail is one pod as `kubectl describe pod` would tell an on-call
// engineer: its containers with their last termination, and its events.
type Detail struct {
	Pod        Pod
	Phase      string
	Reason     string // the pod's status reason/message (Evicted: …)
	Message    string
	Containers []Container
	Events     []Event // oldest first
}

// Container is one container's state.
type Container struct {
	Name, Image string
	Init        bool // an init container (Sidecar: one that keeps running)
	Sidecar     bool
	Ready       bool
	Restarts    int32
	// State is "Running", "Waiting", "Terminated" (or "" when unknown);
	// Reason and Message say why, Since when.
	State, Reason, Message string
	Since                  time.Time
	ExitCode               int32
	Last                   *Termination // the last termination, if any
}

// Termination is a container's last termination: where a crash loop's
// cause is.
type Termination struct {
	Reason     string
	ExitCode   int32
	Signal     int32
	Message    string
	StartedAt  time.Time
	FinishedAt time.Time
}

// Event is one event about an object.
type Event struct {
	Type, Reason, Message, Source string
	Count                         int32
	First, Last                   time.Time
}

const byInvolved = "involved"

func indexInvolved(obj any) ([]string, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return nil, nil
	}
	return []string{e.InvolvedObject.Kind + "/" + e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name}, nil
}

// Detail reads one pod and its events from the caches (no API call).
func (w *Watch) Detail(ns, name string) (Detail, bool) {
	inf := w.podInf[ns]
	if inf == nil {
		inf = w.podInf[""]
	}
	if inf == nil {
		return Detail{}, false
	}
	obj, ok, err := inf.GetStore().GetByKey(ns + "/" + name)
	if err != nil || !ok {
		return Detail{}, false
	}
	p := obj.(*corev1.Pod)
	d := Detail{Pod: Row(p), Phase: string(p.Status.Phase), Reason: p.Status.Reason, Message: p.Status.Message}
	sidecar := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		sidecar[c.Name] = c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	}
	for _, s := range p.Status.InitContainerStatuses {
		c := container(s)
		c.Init, c.Sidecar = true, sidecar[s.Name]
		d.Containers = append(d.Containers, c)
	}
	for _, s := range p.Status.ContainerStatuses {
		d.Containers = append(d.Containers, container(s))
	}
	if len(p.Status.ContainerStatuses) == 0 { // not started yet: the spec's containers
		for _, c := range p.Spec.Containers {
			d.Containers = append(d.Containers, Container{Name: c.Name, Image: c.Image})
		}
	}
	ei := w.evInf[ns]
	if ei == nil {
		ei = w.evInf[""]
	}
	if ei != nil {
		evs, _ := ei.GetIndexer().ByIndex(byInvolved, "Pod/"+ns+"/"+name)
		for _, o := range evs {
			e := o.(*corev1.Event)
			if e.InvolvedObject.UID != "" && p.UID != "" && e.InvolvedObject.UID != p.UID {
				continue // an earlier pod of the same name
			}
			d.Events = append(d.Events, event(e))
		}
		sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].Last.Before(d.Events[j].Last) })
		if n := len(d.Events); n > MaxEvents {
			d.Events = d.Events[n-MaxEvents:]
		}
	}
	return d, true
}

// MaxEvents is how many of a pod's events Detail keeps (the newest).
const MaxEvents = 20

func container(s corev1.ContainerStatus) Container {
	c := Container{Name: s.Name, Image: s.Image, Ready: s.Ready, Restarts: s.RestartCount}
	switch st := s.State; {
	case st.Running != nil:
		c.State, c.Since = "Running", st.Running.StartedAt.Time
	case st.Waiting != nil:
		c.State, c.Reason, c.Message = "Waiting", st.Waiting.Reason, st.Waiting.Message
	case st.Terminated != nil:
		c.State, c.Reason, c.Message, c.ExitCode, c.Since = "Terminated", st.Terminated.Reason, st.Terminated.Message, st.Terminated.ExitCode, st.Terminated.FinishedAt.Time
	}
	if t := s.LastTerminationState.Terminated; t != nil {
		c.Last = &Termination{Reason: t.Reason, ExitCode: t.ExitCode, Signal: t.Signal, Message: t.Message,
			StartedAt: t.StartedAt.Time, FinishedAt: t.FinishedAt.Time}
	}
	return c
}

func event(e *corev1.Event) Event {
	out := Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count,
		First: e.FirstTimestamp.Time, Last: e.LastTimestamp.Time, Source: e.Source.Component}
	if out.Source == "" {
		out.Source = e.ReportingController
	}
	if out.Last.IsZero() {
		out.Last = e.EventTime.Time
		if e.Series != nil {
			out.Last = e.Series.LastObservedTime.Time
			out.Count = e.Series.Count
		}
	}
	if out.First.IsZero() {
		out.First = e.EventTime.Time
	}
	if out.Count == 0 {
		out.Count = 1
	}
	return out
}

// Ping is how often a watch asks the API server whether it is alive, and
// PingTimeout how long it waits. A stopped server breaks the watch at once,
// but a hung one (frozen, a half-open connection) keeps it open and silent:
// without this the pane would say "watching" over data that no longer
// moves. It is one small GET of /version, nothing like a re-list.
const (
	Ping        = 10 * time.Second
	PingTimeout = 5 * time.Second // two in a row: the server is not answering
)

func (w *Watch) ping(ctx context.Context, rc rest.Interface) {
	t := time.NewTicker(Ping)
	defer t.Stop()
	misses := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, PingTimeout)
		err := rc.Get().AbsPath("/version").Do(c).Error()
		cancel()
		if ctx.Err() != nil {
			return
		}
		if _, answered := err.(apierrors.APIStatus); answered {
			err = nil // any answer (a 403 where /version is locked down) is alive
		}
		if err != nil {
			// One slow answer under load is not an outage: two in a row are.
			if misses++; misses < 2 {
				continue
			}
		} else {
			misses = 0
		}
		w.mu.Lock()
		changed := (err == nil) != (w.pingErr == nil)
		if err != nil && w.pingErr == nil {
			w.pingSince = w.now()
		}
		w.pingErr = err
		w.mu.Unlock()
		if changed {
			w.changed()
		}
	}
}

// ---- metrics ----------------------------------------------------------------

func (w *Watch) pollMetrics(ctx context.Context, every time.Duration) {
	for {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		u, err := w.metrics(c, w.watched)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		switch {
		case err == nil:
			w.usage, w.metricsErr = u, ""
		case u != nil:
			// Some namespaces answered (the others are forbidden): show
			// theirs, say why the rest are missing.
			w.usage, w.metricsErr = u, probes.ErrorText(err)
		default:
			w.metricsErr = probes.ErrorText(err)
			// Keep the last usage: a blip must not blank the columns.
		}
		w.mu.Unlock()
		w.changed()
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// ---- transforms: what the caches keep ----------------------------------------

// stripMeta keeps what the pane uses of an object's metadata.
func stripMeta(m *metav1.ObjectMeta, keep ...string) {
	m.ManagedFields = nil
	var ann map[string]string
	for _, k := range keep {
		if v, ok := m.Annotations[k]; ok {
			if ann == nil {
				ann = map[string]string{}
			}
			ann[k] = v
		}
	}
	m.Annotations = ann
	m.Labels = nil
}

func stripContainers(cs []corev1.Container) []corev1.Container {
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Image: c.Image, RestartPolicy: c.RestartPolicy}
	}
	return out
}

func stripTemplate(t *corev1.PodTemplateSpec) {
	t.ObjectMeta = metav1.ObjectMeta{}
	t.Spec = corev1.PodSpec{Containers: stripContainers(t.Spec.Containers)}
}

// stripPod keeps the metadata, the containers' names and images, the node
// and the whole status: env, volumes, probes and managedFields go.
func stripPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	stripMeta(&p.ObjectMeta)
	p.Spec = corev1.PodSpec{NodeName: p.Spec.NodeName, Containers: stripContainers(p.Spec.Containers),
		InitContainers: stripContainers(p.Spec.InitContainers), SchedulingGates: p.Spec.SchedulingGates}
	return p, nil
}

func stripDeployment(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	stripMeta(&d.ObjectMeta, RevisionAnnotation, ChangeCauseAnnotation)
	stripTemplate(&d.Spec.Template)
	return d, nil
}

func stripReplicaSet(obj any) (any, error) {
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return obj, nil
	}
	stripMeta(&rs.ObjectMeta, RevisionAnnotation, ChangeCauseAnnotation)
	stripTemplate(&rs.Spec.Template)
	return rs, nil
}

func stripEvent(obj any) (any, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return obj, nil
	}
	stripMeta(&e.ObjectMeta)
	return e, nil
}
