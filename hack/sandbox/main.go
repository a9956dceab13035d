// Command sandbox stages the drill's incident on the local backends that
// hack/backends.sh starts, and keeps it moving until it is stopped. Its
// names, images, numbers and SQL come from internal/drill's Story, the one
// the in-process drill (warroom demo) tells, so the two cannot diverge:
//
//   - Kubernetes: namespace agent-platform with deployments api,
//     agent-runtime and worker and their ReplicaSet revisions; pods Running,
//     CrashLoopBackOff (restarts climbing), OOMKilled, ImagePullBackOff and
//     Pending; warning events.
//   - the exporter's ("api" service's) error ratio steps from the story's
//     baseline to its peak and back, in a loop;
//   - PostgreSQL: the story's sessions — long pg_sleep queries, the
//     idle-in-transaction blocker, the writers queued behind it (issued at
//     their story time after staging) and idle connections near
//     max_connections.
//
// It is started by hack/sandbox.sh, which runs it in the background; on
// SIGTERM it ends its sessions, resets the error ratio and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/warroom-dev/warroom/internal/drill"
)

type options struct {
	kubeconfig, kubecontext, namespace string
	pgDSN, exporterURL, readyFile      string
	baseline, peak                     float64
	calm, incident, restartEvery       time.Duration
}

func main() {
	var o options
	st := drill.NewStory()
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "admin kubeconfig of the sandbox apiserver")
	flag.StringVar(&o.kubecontext, "context", "", "kubeconfig context (default: current)")
	flag.StringVar(&o.namespace, "namespace", st.Namespace, "namespace to stage")
	flag.StringVar(&o.pgDSN, "pg-dsn", "", "superuser DSN of the sandbox PostgreSQL")
	flag.StringVar(&o.exporterURL, "exporter-url", "", "base URL of hack/exporter")
	flag.StringVar(&o.readyFile, "ready-file", "", "file written with a summary once the incident is staged")
	flag.Float64Var(&o.baseline, "baseline", st.Traffic.Baseline, "normal error ratio")
	flag.Float64Var(&o.peak, "peak", st.Traffic.Peak, "error ratio during the incident")
	flag.DurationVar(&o.calm, "calm", 45*time.Second, "time at the baseline ratio before each step up")
	flag.DurationVar(&o.incident, "incident", 3*time.Minute, "time at the peak ratio before stepping back")
	flag.DurationVar(&o.restartEvery, "restart-every", 20*time.Second, "how often crash-looping containers restart")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("[sandbox] ")
	if o.kubeconfig == "" || o.pgDSN == "" || o.exporterURL == "" {
		log.Fatal("need -kubeconfig, -pg-dsn and -exporter-url (hack/sandbox.sh passes them)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, o options) error {
	cs, err := kubeClient(o.kubeconfig, o.kubecontext)
	if err != nil {
		return err
	}
	k := &kubeStage{cs: cs, ns: o.namespace}
	setupCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := k.stage(setupCtx); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	log.Printf("kubernetes: namespace %s staged (%d pods)", o.namespace, len(k.pods))

	p := &pgStage{adminDSN: o.pgDSN}
	defer p.close()
	if err := p.stage(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	log.Printf("postgres: %d sandbox sessions open", p.count())

	ex := exporter{base: strings.TrimRight(o.exporterURL, "/")}
	if err := ex.setRatio(ctx, o.baseline); err != nil {
		return fmt.Errorf("exporter: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = ex.setRatio(c, o.baseline)
	}()

	up := time.Now().Add(o.calm)
	summary := summarize(drill.NewStory(), o, up, p)
	if o.readyFile != "" {
		if err := os.WriteFile(o.readyFile, []byte(summary), 0o644); err != nil {
			return err
		}
	}
	log.Printf("staged:\n%s", summary)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); k.climb(ctx, o.restartEvery) }()
	go func() { defer wg.Done(); ex.cycle(ctx, o) }()
	<-ctx.Done()
	wg.Wait()
	log.Print("stopping: ending sandbox sessions, error ratio back to baseline")
	return nil
}

// summarize says what was staged, from the story.
func summarize(st drill.Story, o options, up time.Time, p *pgStage) string {
	var b strings.Builder
	var deps []string
	for _, d := range st.Deployments {
		cur := d.Current()
		deps = append(deps, fmt.Sprintf("%s (revision %d, %s)", d.Name, cur.Number, cur.Image))
	}
	fmt.Fprintf(&b, "namespace %s: deployments %s\n", o.namespace, strings.Join(deps, ", "))
	fmt.Fprintf(&b, "pods: Running, CrashLoopBackOff (restarts +1 every %s), OOMKilled, ImagePullBackOff, Pending\n", o.restartEvery)
	fmt.Fprintf(&b, "error ratio: %.1f%% now, %.0f%% from %s for %s, then back (repeats)\n",
		o.baseline*100, o.peak*100, up.Format("15:04:05"), o.incident)
	var blocker, long, blocked int
	var blockerQ string
	for _, x := range st.Postgres.Sessions {
		switch x.Role {
		case drill.RoleBlocker:
			blocker, blockerQ = x.PID, x.Query
		case drill.RoleLong:
			long++
		case drill.RoleBlocked:
			blocked++
		}
	}
	fmt.Fprintf(&b, "postgres: %d sandbox sessions: %d long pg_sleep queries, the idle-in-transaction blocker (drill pid %d: %s) and %d writers queued behind it, idle pool up to ~%d of max_connections %d\n",
		p.count(), long, blocker, blockerQ, blocked, p.target, p.max)
	return b.String()
}

// ------------------------------------------------------------------ exporter

type exporter struct{ base string }

func (e exporter) setRatio(ctx context.Context, r float64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/control?error_ratio="+url.QueryEscape(fmt.Sprint(r)), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /control: %s", resp.Status)
	}
	return nil
}

// cycle steps the ratio: baseline for calm, peak for incident, repeat.
func (e exporter) cycle(ctx context.Context, o options) {
	for {
		for _, step := range []struct {
			wait  time.Duration
			ratio float64
		}{{o.calm, o.peak}, {o.incident, o.baseline}} {
			select {
			case <-ctx.Done():
				return
			case <-time.After(step.wait):
			}
			if err := e.setRatio(ctx, step.ratio); err != nil && ctx.Err() == nil {
				log.Printf("exporter: %v", err)
				continue
			}
			log.Printf("error ratio now %.1f%%", step.ratio*100)
		}
	}
}

// ------------------------------------------------------------------ kubernetes

func kubeClient(path, context string) (kubernetes.Interface, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return kubernetes.NewForConfig(cfg)
}

type podKind int

const (
	running podKind = iota
	crashLoop
	oomKilled
	imagePull
	pending
)

type podPlan struct {
	suffix string
	kind   podKind
	node   string
	age    time.Duration
}

type rsPlan struct {
	hash, image string
	revision    int64
	memory      string
	changeCause string
	pods        []podPlan
}

type deployPlan struct {
	name     string
	replicas int32
	rs       []rsPlan // oldest first, the current revision last
}

var kinds = map[drill.Fate]podKind{
	drill.Running: running, drill.CrashLoopBackOff: crashLoop, drill.OOMKilled: oomKilled,
	drill.ImagePullBackOff: imagePull, drill.Pending: pending,
}

// plans is the story's cluster. A pod whose fate strikes later in the story
// (OOMKilled at +20s) starts with it here: the sandbox has no declaration
// to count from.
func plans(st drill.Story) []deployPlan {
	var out []deployPlan
	for _, d := range st.Deployments {
		dp := deployPlan{name: d.Name, replicas: d.Replicas}
		for _, r := range d.Revisions {
			rp := rsPlan{hash: r.Hash, image: r.Image, revision: r.Number, memory: r.Memory, changeCause: r.ChangeCause}
			for _, p := range r.Pods {
				rp.pods = append(rp.pods, podPlan{suffix: p.Suffix, kind: kinds[p.Fate], node: p.Node, age: p.Age})
			}
			dp.rs = append(dp.rs, rp)
		}
		out = append(out, dp)
	}
	return out
}

// nodes are the story's nodes.
func nodes(st drill.Story) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range st.Deployments {
		for _, r := range d.Revisions {
			for _, p := range r.Pods {
				if p.Node != "" && !seen[p.Node] {
					seen[p.Node] = true
					out = append(out, p.Node)
				}
			}
		}
	}
	return out
}

type kubeStage struct {
	cs    kubernetes.Interface
	ns    string
	pods  []*corev1.Pod
	kinds map[string]podKind
}

func ignoreExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (k *kubeStage) stage(ctx context.Context) error {
	core, apps := k.cs.CoreV1(), k.cs.AppsV1()
	if err := ignoreExists(create(ctx, core.Namespaces(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}})); err != nil {
		return err
	}
	// No controller-manager: the default ServiceAccount is ours to create.
	if err := ignoreExists(create(ctx, core.ServiceAccounts(k.ns), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}})); err != nil {
		return err
	}
	for _, n := range nodes(drill.NewStory()) {
		if err := k.node(ctx, n); err != nil {
			return err
		}
	}
	// Start from a clean slate of pods and events (a re-run of the sandbox).
	zero := int64(0)
	if err := core.Pods(k.ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil {
		return err
	}
	if err := core.Events(k.ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		return err
	}
	k.kinds = map[string]podKind{}
	now := time.Now()
	for _, dp := range plans(drill.NewStory()) {
		labels := map[string]string{"app": dp.name}
		cur := dp.rs[len(dp.rs)-1]
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: dp.name, Labels: labels,
				Annotations: map[string]string{"deployment.kubernetes.io/revision": fmt.Sprint(cur.revision),
					"kubernetes.io/change-cause": cur.changeCause}},
			Spec: appsv1.DeploymentSpec{
				Replicas: &dp.replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: template(dp.name, cur, ""),
			},
		}
		created, err := apps.Deployments(k.ns).Create(ctx, d, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			created, err = apps.Deployments(k.ns).Get(ctx, dp.name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		owner := metav1.NewControllerRef(created, appsv1.SchemeGroupVersion.WithKind("Deployment"))
		var ready, total, updated int32
		for _, rp := range dp.rs {
			rsName := dp.name + "-" + rp.hash
			rsLabels := map[string]string{"app": dp.name, "pod-template-hash": rp.hash}
			var replicas int32 = int32(len(rp.pods))
			rs := &appsv1.ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Name: rsName, Labels: rsLabels, OwnerReferences: []metav1.OwnerReference{*owner},
					Annotations: map[string]string{
						"deployment.kubernetes.io/revision":         fmt.Sprint(rp.revision),
						"deployment.kubernetes.io/desired-replicas": fmt.Sprint(dp.replicas),
						"kubernetes.io/change-cause":                rp.changeCause,
					}},
				Spec: appsv1.ReplicaSetSpec{
					Replicas: &replicas,
					Selector: &metav1.LabelSelector{MatchLabels: rsLabels},
					Template: template(dp.name, rp, rp.hash),
				},
			}
			crs, err := apps.ReplicaSets(k.ns).Create(ctx, rs, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				crs, err = apps.ReplicaSets(k.ns).Get(ctx, rsName, metav1.GetOptions{})
			}
			if err != nil {
				return err
			}
			rsOwner := metav1.NewControllerRef(crs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
			var rsReady int32
			for _, pp := range rp.pods {
				pod, err := k.pod(ctx, dp.name, rp, pp, rsOwner, now)
				if err != nil {
					return err
				}
				k.pods = append(k.pods, pod)
				k.kinds[pod.Name] = pp.kind
				if pp.kind == running {
					rsReady++
				}
			}
			crs.Status = appsv1.ReplicaSetStatus{Replicas: replicas, FullyLabeledReplicas: replicas,
				ReadyReplicas: rsReady, AvailableReplicas: rsReady, ObservedGeneration: crs.Generation}
			if _, err := apps.ReplicaSets(k.ns).UpdateStatus(ctx, crs, metav1.UpdateOptions{}); err != nil {
				return err
			}
			ready += rsReady
			total += replicas
			if rp.revision == cur.revision {
				updated = replicas
			}
		}
		created.Status = appsv1.DeploymentStatus{
			ObservedGeneration: created.Generation, Replicas: total, UpdatedReplicas: updated,
			ReadyReplicas: ready, AvailableReplicas: ready, UnavailableReplicas: dp.replicas - ready,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable",
					Message: "Deployment does not have minimum availability.", LastUpdateTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
					Message:        fmt.Sprintf("ReplicaSet %q has timed out progressing.", dp.name+"-"+cur.hash),
					LastUpdateTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)},
			},
		}
		if _, err := apps.Deployments(k.ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return err
		}
		k.event(ctx, "Deployment", dp.name, "", corev1.EventTypeNormal, "ScalingReplicaSet",
			fmt.Sprintf("Scaled up replica set %s-%s to 1", dp.name, cur.hash), "deployment-controller", 1, now.Add(-9*time.Minute))
	}
	return nil
}

type creator[T any] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
}

func create[T any](ctx context.Context, c creator[T], obj T) error {
	_, err := c.Create(ctx, obj, metav1.CreateOptions{})
	return err
}

func (k *kubeStage) node(ctx context.Context, name string) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "node.kubernetes.io/instance-type": "m6i.xlarge"}}}
	created, err := k.cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"),
			corev1.ResourcePods: resource.MustParse("110")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3920m"), corev1.ResourceMemory: resource.MustParse("15Gi"),
			corev1.ResourcePods: resource.MustParse("110")},
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
	}
	_, err = k.cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

func template(app string, rp rsPlan, hash string) corev1.PodTemplateSpec {
	labels := map[string]string{"app": app}
	if hash != "" {
		labels["pod-template-hash"] = hash
	}
	mem := resource.MustParse(rp.memory)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: new(bool),
			Containers: []corev1.Container{{
				Name: app, Image: rp.image,
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: mem},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
				},
			}},
		},
	}
}

func (k *kubeStage) pod(ctx context.Context, app string, rp rsPlan, pp podPlan, owner *metav1.OwnerReference, now time.Time) (*corev1.Pod, error) {
	tpl := template(app, rp, rp.hash)
	grace := int64(30)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-" + rp.hash + "-" + pp.suffix, Labels: tpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*owner}},
		Spec: tpl.Spec,
	}
	pod.Spec.NodeName = pp.node
	pod.Spec.TerminationGracePeriodSeconds = &grace
	created, err := k.cs.CoreV1().Pods(k.ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	started := metav1.NewTime(now.Add(-pp.age).Truncate(time.Second))
	c := app
	ready := pp.kind == running
	st := corev1.ContainerStatus{Name: c, Image: rp.image, Ready: ready, Started: &ready}
	status := corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started, QOSClass: corev1.PodQOSBurstable}
	cond := func(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
		s := corev1.ConditionTrue
		if !ok {
			s = corev1.ConditionFalse
		}
		return corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: started}
	}
	status.Conditions = []corev1.PodCondition{cond(corev1.PodScheduled, true, ""), cond(corev1.PodInitialized, true, ""),
		cond(corev1.ContainersReady, ready, ""), cond(corev1.PodReady, ready, "")}
	if !ready {
		status.Conditions[2].Reason, status.Conditions[3].Reason = "ContainersNotReady", "ContainersNotReady"
	}
	switch pp.kind {
	case running:
		st.State.Running = &corev1.ContainerStateRunning{StartedAt: started}
		st.ImageID = rp.image + "@sha256:" + strings.Repeat(rp.hash[:2], 32)
		st.ContainerID = "containerd://" + strings.Repeat(pp.suffix+rp.hash, 5)[:64]
	case crashLoop:
		st.RestartCount = 4
		st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off 1m20s restarting failed container=%s pod=%s_%s", c, created.Name, k.ns)}
		st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error",
			StartedAt: metav1.NewTime(now.Add(-40 * time.Second)), FinishedAt: metav1.NewTime(now.Add(-38 * time.Second))}
		st.ImageID = rp.image + "@sha256:" + strings.Repeat(rp.hash[:2], 32)
		k.event(ctx, "Pod", created.Name, string(created.UID), corev1.EventTypeWarning, "BackOff",
			"Back-off restarting failed container "+c+" in pod "+created.Name+"_"+k.ns+"("+string(created.UID)+")", "kubelet", 4, now)
	case oomKilled:
		st.RestartCount = 2
		st.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
			StartedAt: metav1.NewTime(now.Add(-90 * time.Second)), FinishedAt: metav1.NewTime(now.Add(-2 * time.Second))}
		st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
			StartedAt: metav1.NewTime(now.Add(-4 * time.Minute)), FinishedAt: metav1.NewTime(now.Add(-3 * time.Minute))}
		st.ImageID = rp.image + "@sha256:" + strings.Repeat(rp.hash[:2], 32)
		k.event(ctx, "Pod", created.Name, string(created.UID), corev1.EventTypeWarning, "OOMKilling",
			"Memory cgroup out of memory: Killed process (agent-runtime) total-vm:1843200kB, anon-rss:786432kB", "kernel-monitor", 2, now)
	case imagePull:
		status.Phase = corev1.PodPending
		st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: `Back-off pulling image "` + rp.image + `"`}
		k.event(ctx, "Pod", created.Name, string(created.UID), corev1.EventTypeWarning, "Failed",
			`Failed to pull image "`+rp.image+`": rpc error: code = NotFound desc = failed to resolve reference "`+rp.image+`": not found`, "kubelet", 6, now)
	case pending:
		status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBurstable, Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", LastTransitionTime: started,
			Message: "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		}}}
		k.event(ctx, "Pod", created.Name, string(created.UID), corev1.EventTypeWarning, "FailedScheduling",
			status.Conditions[0].Message, "default-scheduler", 3, now)
	}
	if pp.kind != pending {
		status.ContainerStatuses = []corev1.ContainerStatus{st}
	}
	created.Status = status
	return k.cs.CoreV1().Pods(k.ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
}

func (k *kubeStage) event(ctx context.Context, kind, name, uid, typ, reason, msg, component string, count int32, at time.Time) {
	apiVersion := "v1"
	if kind == "Deployment" {
		apiVersion = "apps/v1"
	}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", name, at.UnixNano()), Namespace: k.ns},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: k.ns, Name: name, UID: types.UID(uid), APIVersion: apiVersion},
		Reason:         reason, Message: msg, Type: typ, Count: count,
		Source:         corev1.EventSource{Component: component},
		FirstTimestamp: metav1.NewTime(at.Add(-10 * time.Minute)), LastTimestamp: metav1.NewTime(at),
	}
	if _, err := k.cs.CoreV1().Events(k.ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil && ctx.Err() == nil {
		log.Printf("event %s/%s: %v", name, reason, err)
	}
}

// climb restarts the crash-looping containers every period: restart counts
// climb, the OOMKilled one alternates between a short run and another kill.
func (k *kubeStage) climb(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range k.pods {
			kind := k.kinds[p.Name]
			if kind != crashLoop && !(kind == oomKilled && tick%2 == 0) {
				continue
			}
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				pod, err := k.cs.CoreV1().Pods(k.ns).Get(ctx, p.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if len(pod.Status.ContainerStatuses) == 0 {
					return nil
				}
				cs := &pod.Status.ContainerStatuses[0]
				now := metav1.Now()
				cs.RestartCount++
				if kind == oomKilled {
					cs.LastTerminationState = cs.State
					cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
						StartedAt: metav1.NewTime(now.Add(-period)), FinishedAt: now}}
				} else if cs.LastTerminationState.Terminated != nil {
					cs.LastTerminationState.Terminated.StartedAt = metav1.NewTime(now.Add(-2 * time.Second))
					cs.LastTerminationState.Terminated.FinishedAt = now
				}
				_, err = k.cs.CoreV1().Pods(k.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
				if err == nil {
					reason, msg := "BackOff", "Back-off restarting failed container "+cs.Name+" in pod "+pod.Name
					if kind == oomKilled {
						reason, msg = "OOMKilling", "Memory cgroup out of memory: Killed process ("+cs.Name+")"
					}
					k.event(ctx, "Pod", pod.Name, string(pod.UID), corev1.EventTypeWarning, reason, msg, "kubelet", cs.RestartCount, now.Time)
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				log.Printf("restart %s: %v", p.Name, err)
			}
		}
	}
}

// ------------------------------------------------------------------ postgres

// appRole owns the story's database; the story's users (api, worker) are
// members of it, all with appPass.
const (
	appRole = "agent_app"
	appPass = "agent-app-pw"
)

// roles are every role the sandbox's sessions log in as.
func roles(st drill.Story) []string {
	out := []string{appRole}
	for _, x := range st.Postgres.Sessions {
		if !slices.Contains(out, x.User) {
			out = append(out, x.User)
		}
	}
	return out
}

type pgStage struct {
	adminDSN    string
	mu          sync.Mutex
	conns       []*pgx.Conn
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	target, max int
	roles       []string
	// delay maps a story time to the wait before it is staged (nil: as is).
	delay func(time.Duration) time.Duration
}

func (p *pgStage) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *pgStage) open(ctx context.Context, dsn, app string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = app
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c, nil
}

func (p *pgStage) stage(parent context.Context) error {
	st := drill.NewStory()
	db := st.Postgres.Database
	ctx, cancel := context.WithCancel(parent)
	p.cancel = cancel
	p.roles = roles(st)
	admin, err := pgx.Connect(ctx, p.adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	// A clean slate: end sessions of an earlier sandbox run.
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)`, p.roles); err != nil {
		return err
	}
	for _, role := range p.roles {
		var exists bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, pgx.Identifier{role}.Sanitize(), appPass)); err != nil {
				return err
			}
		}
		if role != appRole {
			if _, err := admin.Exec(ctx, fmt.Sprintf(`GRANT %s TO %s`, appRole, pgx.Identifier{role}.Sanitize())); err != nil {
				return err
			}
		}
	}
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, pgx.Identifier{db}.Sanitize(), appRole)); err != nil {
			return err
		}
	}
	u, err := url.Parse(p.adminDSN)
	if err != nil {
		return fmt.Errorf("-pg-dsn must be a URL: %s", err)
	}
	dsn := func(user string) string {
		v := *u
		v.User = url.UserPassword(user, appPass)
		v.Path = "/" + db
		return v.String()
	}

	setup, err := p.open(ctx, dsn(appRole), "migrations")
	if err != nil {
		return err
	}
	// The tables the story's queries touch; rows 88411 and 88412 are the
	// agent runs its sessions fight over.
	if _, err := setup.Exec(ctx, `
CREATE TABLE IF NOT EXISTS agent_runs (id bigint PRIMARY KEY, agent text, status text, created_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS tool_calls (id bigserial PRIMARY KEY, run_id bigint, tool text);
CREATE TABLE IF NOT EXISTS request_logs (id bigserial PRIMARY KEY, api_key_id int, created_at timestamptz DEFAULT now());
INSERT INTO agent_runs (id, agent, status) SELECT g, 'agent-' || (g % 17), 'done' FROM generate_series(86400, 88412) g ON CONFLICT (id) DO UPDATE SET status = 'queued';
INSERT INTO request_logs (api_key_id) SELECT g % 40 FROM generate_series(1, 2000) g WHERE NOT EXISTS (SELECT 1 FROM request_logs);`); err != nil {
		return err
	}

	for _, x := range st.Postgres.Sessions {
		switch x.Role {
		case drill.RoleLong: // kept running (re-issued if it ever finishes)
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			p.loop(ctx, c, x.Query)
		case drill.RoleBlocker: // a request handler that updated a row and never committed
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, "BEGIN"); err != nil {
				return err
			}
			if _, err := c.Exec(ctx, x.Query); err != nil {
				return err
			}
		case drill.RoleIdle:
			c, err := p.open(ctx, dsn(x.User), x.App)
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, x.Query); err != nil {
				return err
			}
		}
	}
	// The writers queue behind the blocker at their story time (counted from
	// now), once: they finish when the blocker is terminated.
	for _, x := range st.Postgres.Sessions {
		if x.Role != drill.RoleBlocked {
			continue
		}
		c, err := p.open(ctx, dsn(x.User), x.App)
		if err != nil {
			return err
		}
		wait := max(x.Start, 0)
		if p.delay != nil {
			wait = p.delay(wait)
		}
		p.once(ctx, c, x.Query, wait)
	}

	// The pool: idle connections up to as far short of max_connections as
	// the story's surge is.
	var n int
	if err := admin.QueryRow(ctx, `SELECT current_setting('max_connections')::int`).Scan(&p.max); err != nil {
		return err
	}
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'`).Scan(&n); err != nil {
		return err
	}
	// Leave room for the console's probe (2), this admin session and psql.
	p.target = p.max - max(st.Postgres.MaxConnections-st.Postgres.Surge, 6)
	for i := n; i < p.target; i++ {
		c, err := p.open(ctx, dsn("api"), "api")
		if err != nil {
			log.Printf("postgres: pool connection %d: %v (stopping there)", i, err)
			break
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			return err
		}
	}
	if _, err := setup.Exec(ctx, "SELECT 1"); err != nil { // back to idle
		return err
	}
	return nil
}

// once runs sql on c after wait, in the background, and logs when it is done.
func (p *pgStage) once(ctx context.Context, c *pgx.Conn, sql string, wait time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if _, err := c.Exec(ctx, sql); err != nil {
			if ctx.Err() == nil {
				log.Printf("postgres: %q: %v", sql, err)
			}
			return
		}
		log.Printf("postgres: %q done: its lock was released", sql)
	}()
}

// loop keeps sql running on c in the background until ctx ends.
func (p *pgStage) loop(ctx context.Context, c *pgx.Conn, sql string) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for ctx.Err() == nil {
			if _, err := c.Exec(ctx, sql); err != nil {
				if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
					log.Printf("postgres: %q: %v", sql, err)
					select {
					case <-ctx.Done():
					case <-time.After(5 * time.Second):
					}
				}
			}
		}
	}()
}

// close cancels running queries and closes every session.
func (p *pgStage) close() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = c.Close(ctx)
		cancel()
	}
	p.conns = nil
	// Belt and braces: end whatever is left of our sessions server-side.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if admin, err := pgx.Connect(ctx, p.adminDSN); err == nil {
		_, _ = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)`, p.roles)
		_ = admin.Close(ctx)
	}
}
