// Command sandbox stages a realistic incident on the local backends that
// hack/backends.sh starts, and keeps it moving until it is stopped:
//
//   - Kubernetes: namespace agent-platform with deployments api,
//     agent-runtime and worker, each with a good and a bad ReplicaSet
//     revision; pods Running, CrashLoopBackOff (restarts climbing),
//     OOMKilled, ImagePullBackOff and Pending; warning events.
//   - the exporter's ("api" service's) error ratio steps from 0.5% to 12%
//     and back, in a loop;
//   - PostgreSQL: long pg_sleep queries, an idle-in-transaction session that
//     blocks two writers, and idle connections up to near max_connections.
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
)

type options struct {
	kubeconfig, kubecontext, namespace string
	pgDSN, exporterURL, readyFile      string
	baseline, peak                     float64
	calm, incident, restartEvery       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "admin kubeconfig of the sandbox apiserver")
	flag.StringVar(&o.kubecontext, "context", "", "kubeconfig context (default: current)")
	flag.StringVar(&o.namespace, "namespace", "agent-platform", "namespace to stage")
	flag.StringVar(&o.pgDSN, "pg-dsn", "", "superuser DSN of the sandbox PostgreSQL")
	flag.StringVar(&o.exporterURL, "exporter-url", "", "base URL of hack/exporter")
	flag.StringVar(&o.readyFile, "ready-file", "", "file written with a summary once the incident is staged")
	flag.Float64Var(&o.baseline, "baseline", 0.005, "normal error ratio")
	flag.Float64Var(&o.peak, "peak", 0.12, "error ratio during the incident")
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
	summary := fmt.Sprintf(`namespace %s: deployments api, agent-runtime, worker (revision 2 is bad)
pods: Running, CrashLoopBackOff (restarts +1 every %s), OOMKilled, ImagePullBackOff, Pending
error ratio: %.1f%% now, %.0f%% from %s for %s, then back (repeats)
postgres: %d sandbox sessions: 3 long pg_sleep queries, 1 idle-in-transaction session blocking 2 writers, idle pool up to ~%d of max_connections %d
`, o.namespace, o.restartEvery, o.baseline*100, o.peak*100, up.Format("15:04:05"), o.incident,
		p.count(), p.target, p.max)
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
}

type rsPlan struct {
	hash, image string
	revision    int
	memory      string
	pods        []podPlan
}

type deployPlan struct {
	name     string
	replicas int32
	rs       []rsPlan // good first, bad (current) last
}

var plans = []deployPlan{
	{name: "api", replicas: 3, rs: []rsPlan{
		{hash: "7d9f8b6c5d", image: "ghcr.io/agent-platform/api:1.41.0", revision: 1, memory: "512Mi",
			pods: []podPlan{{"x2kqp", running, "sandbox-node-1"}, {"m8v4t", running, "sandbox-node-2"}}},
		{hash: "5c6b7f9d48", image: "ghcr.io/agent-platform/api:1.42.0", revision: 2, memory: "512Mi",
			pods: []podPlan{{"q7wzn", crashLoop, "sandbox-node-1"}}},
	}},
	{name: "agent-runtime", replicas: 3, rs: []rsPlan{
		{hash: "6f8d9c7b54", image: "ghcr.io/agent-platform/agent-runtime:2.8.3", revision: 1, memory: "2Gi",
			pods: []podPlan{{"h4rj9", running, "sandbox-node-2"}, {"t6bxl", running, "sandbox-node-1"}}},
		{hash: "84c5f6d7b9", image: "ghcr.io/agent-platform/agent-runtime:2.9.0", revision: 2, memory: "768Mi",
			pods: []podPlan{{"z9fkd", oomKilled, "sandbox-node-2"}}},
	}},
	{name: "worker", replicas: 3, rs: []rsPlan{
		{hash: "9b7c6d5f4e", image: "ghcr.io/agent-platform/worker:1.17.2", revision: 1, memory: "1Gi",
			pods: []podPlan{{"p3nvc", running, "sandbox-node-1"}}},
		{hash: "6d4f8b9c7a", image: "ghcr.io/agent-platform/worker:1.18.0-rc1", revision: 2, memory: "16Gi",
			pods: []podPlan{{"k2lwm", imagePull, "sandbox-node-2"}, {"r5sgh", pending, ""}}},
	}},
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
	for _, n := range []string{"sandbox-node-1", "sandbox-node-2"} {
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
	for _, dp := range plans {
		labels := map[string]string{"app": dp.name}
		cur := dp.rs[len(dp.rs)-1]
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: dp.name, Labels: labels,
				Annotations: map[string]string{"deployment.kubernetes.io/revision": fmt.Sprint(cur.revision)}},
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
	started := metav1.NewTime(now.Add(-time.Duration(rp.revision) * 7 * time.Minute).Truncate(time.Second))
	if rp.revision == 1 {
		started = metav1.NewTime(now.Add(-26 * time.Hour).Truncate(time.Second))
	}
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

const (
	appRole = "agent_app"
	appPass = "agent-app-pw"
	appDB   = "agent_platform"
)

type pgStage struct {
	adminDSN    string
	mu          sync.Mutex
	conns       []*pgx.Conn
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	target, max int
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
	ctx, cancel := context.WithCancel(parent)
	p.cancel = cancel
	admin, err := pgx.Connect(ctx, p.adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	// A clean slate: end sessions of an earlier sandbox run.
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, appRole); err != nil {
		return err
	}
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, appRole).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, appRole, appPass)); err != nil {
			return err
		}
	}
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, appDB).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, appDB, appRole)); err != nil {
			return err
		}
	}
	u, err := url.Parse(p.adminDSN)
	if err != nil {
		return fmt.Errorf("-pg-dsn must be a URL: %s", err)
	}
	u.User = url.UserPassword(appRole, appPass)
	u.Path = "/" + appDB
	appDSN := u.String()

	setup, err := p.open(ctx, appDSN, "migrations")
	if err != nil {
		return err
	}
	if _, err := setup.Exec(ctx, `
CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, customer text, status text, updated_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS agent_runs (id bigserial PRIMARY KEY, agent text, started_at timestamptz DEFAULT now(), tokens int);
INSERT INTO orders SELECT g, 'customer-' || g, 'paid', now() FROM generate_series(1, 500) g ON CONFLICT DO NOTHING;
INSERT INTO agent_runs (agent, tokens) SELECT 'agent-' || (g % 17), g * 13 FROM generate_series(1, 2000) g WHERE NOT EXISTS (SELECT 1 FROM agent_runs);`); err != nil {
		return err
	}

	// Long queries, kept running (re-issued if they ever finish).
	for _, q := range []struct{ app, sql string }{
		{"worker", "SELECT pg_sleep(3600) /* nightly usage rollup: agent_runs by customer */"},
		{"worker", "SELECT pg_sleep(2400) /* export invoices batch 2026-11 */"},
		{"agent-runtime", "SELECT count(*) FROM agent_runs, pg_sleep(1800) /* tool-call audit scan */"},
	} {
		c, err := p.open(ctx, appDSN, q.app)
		if err != nil {
			return err
		}
		p.loop(ctx, c, q.sql)
	}

	// The holder: a request handler that updated two orders and never
	// committed. Two writers queue behind it, each on its own row.
	holder, err := p.open(ctx, appDSN, "api")
	if err != nil {
		return err
	}
	if _, err := holder.Exec(ctx, `BEGIN; UPDATE orders SET status = 'refunding', updated_at = now() WHERE id IN (42, 43)`); err != nil {
		return err
	}
	for _, q := range []string{
		"UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = 42",
		"UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = 43",
	} {
		c, err := p.open(ctx, appDSN, "api")
		if err != nil {
			return err
		}
		p.loop(ctx, c, q)
	}
	// Another idle-in-transaction session, holding only a snapshot.
	idle, err := p.open(ctx, appDSN, "agent-runtime")
	if err != nil {
		return err
	}
	if _, err := idle.Exec(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT id, agent FROM agent_runs ORDER BY id DESC LIMIT 20`); err != nil {
		return err
	}

	// The pool: idle connections up to a few short of max_connections.
	var n int
	if err := admin.QueryRow(ctx, `SELECT current_setting('max_connections')::int`).Scan(&p.max); err != nil {
		return err
	}
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'`).Scan(&n); err != nil {
		return err
	}
	// Leave room for the console's probe (2), this admin session and psql.
	p.target = p.max - 6
	for i := n; i < p.target; i++ {
		c, err := p.open(ctx, appDSN, "api")
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
		_, _ = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, appRole)
		_ = admin.Close(ctx)
	}
}
