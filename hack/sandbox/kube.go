package main

// The story's cluster, staged through real Deployments: this file only
// creates the namespace, the Deployments and their rollouts, and says where
// pods' logs are. The deployment and replicaset controllers make the
// ReplicaSets and pods, kube-scheduler binds them (or fails to, with its own
// FailedScheduling event), and kwok's stages (hack/kwok/stages) run them,
// crash-looping, OOM-killing or failing to pull where the story says so.

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/probes/kube"
)

// What hack/kwok/stages act on, and the labels the sandbox adds.
const (
	faultAnnotation   = "warroom.dev/fault"           // crashloop, oomkilled, imagepull, unready
	backoffAnnotation = "warroom.dev/backoff-seconds" // replaces kubelet's 10 s crash back-off base
	versionLabel      = "app.kubernetes.io/version"
	hostnameLabel     = "kubernetes.io/hostname"
	kwokNodeLabel     = "type" // kwok's nodes: type=kwok (hack/backends.sh)
)

// faults maps a story fate to the kwok fault stage that plays it. Running
// and Pending have none: kwok's pod-ready runs a pod, and Pending is the
// scheduler's doing (see template).
var faults = map[drill.Fate]string{
	drill.CrashLoopBackOff: "crashloop",
	drill.OOMKilled:        "oomkilled",
	drill.ImagePullBackOff: "imagepull",
}

var logsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

func restConfig(path, context string) (*rest.Config, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

// tag is an image's tag ("latest" without one): the version label.
func tag(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return "latest"
}

// strategy is a rolling update whose stuck state is the story's: a
// deployment whose current revision never gets ready keeps
// replicas-maxUnavailable pods of the previous revision and runs
// maxUnavailable+maxSurge of the new one. So from the story's counts (api: 1
// old, 3 new of 3) come maxUnavailable 2, maxSurge 1. A healthy current
// revision gets the default (its rollout completes).
func strategy(d drill.Deployment) appsv1.DeploymentStrategy {
	cur := d.Current()
	if cur.Healthy() || len(d.Revisions) < 2 {
		return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	}
	prev := int32(len(d.Revisions[len(d.Revisions)-2].Pods))
	unavailable := max(d.Replicas-prev, 0)
	surge := max(int32(len(cur.Pods))-unavailable, 0)
	if unavailable+surge == 0 { // the API refuses both at 0
		surge = 1
	}
	u, s := intstr.FromInt32(unavailable), intstr.FromInt32(surge)
	return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &u, MaxSurge: &s}}
}

// template is a revision's pod template. Its fault (if any) is an
// annotation, so the story's image name stays what the console shows.
// A revision with Pending pods (worker 1.9.1-rc) is pinned to as many kwok
// nodes as it has scheduled pods, one pod per node (required
// anti-affinity): the rest cannot be placed, and the scheduler says so in a
// real FailedScheduling event.
func template(d drill.Deployment, r drill.Revision, scheduler string, backoff int, nodes []string) corev1.PodTemplateSpec {
	labels := map[string]string{"app": d.Name, versionLabel: tag(r.Image)}
	ann := map[string]string{}
	if f, ok := faults[r.Fate]; ok {
		ann[faultAnnotation] = f
	}
	if backoff > 0 {
		ann[backoffAnnotation] = strconv.Itoa(backoff)
	}
	mem := resource.MustParse(r.Memory)
	spec := corev1.PodSpec{
		SchedulerName:                scheduler,
		NodeSelector:                 map[string]string{kwokNodeLabel: "kwok"},
		AutomountServiceAccountToken: new(bool),
		Containers: []corev1.Container{{
			Name: d.Name, Image: r.Image,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: mem},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
			},
		}},
	}
	var scheduled, pending int
	for _, p := range r.Pods {
		if p.Fate == drill.Pending {
			pending++
		} else {
			scheduled++
		}
	}
	if pending > 0 {
		pin := nodes[:min(scheduled, len(nodes))]
		spec.Affinity = &corev1.Affinity{
			NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: pin}}}}}},
			PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": d.Name, versionLabel: tag(r.Image)}},
				TopologyKey:   hostnameLabel}}},
		}
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: ann}, Spec: spec}
}

type kubeStage struct {
	cs        kubernetes.Interface
	dyn       dynamic.Interface
	ns        string
	scheduler string
	logDir    string
	backoff   int // crash back-off base in seconds; 0: kubelet's 10 s
	// delay maps a story time to the wait before it is staged (nil: as is).
	delay func(time.Duration) time.Duration

	wg    sync.WaitGroup
	nodes []string
	start time.Time
	logs  map[string]string // pod name → the log kind its Logs object names
	pods  int               // pods at the end of staging (for the summary)
}

func newKubeStage(kubeconfig, context, ns, scheduler, logDir string, backoff int) (*kubeStage, error) {
	cfg, err := restConfig(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &kubeStage{cs: cs, dyn: dyn, ns: ns, scheduler: scheduler, logDir: logDir, backoff: backoff}, nil
}

// poll waits for cond, at most d; what names it in the error.
func poll(ctx context.Context, d time.Duration, what string, cond func(ctx context.Context) (bool, string, error)) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		ok, seen, err := cond(ctx)
		if err == nil {
			last = seen
		}
		return ok, err
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w (last seen: %s)", what, err, last)
	}
	return nil
}

// stage builds the story's namespace from scratch: each deployment is
// created at its first revision, rolled out, then rolled to each later one
// in turn, as its history says.
func (k *kubeStage) stage(ctx context.Context) error {
	st := drill.NewStory()
	k.start = time.Now()
	k.logs = map[string]string{}
	nodes, err := k.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: kwokNodeLabel + "=kwok"})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		k.nodes = append(k.nodes, n.Name)
	}
	sort.Strings(k.nodes)
	if len(k.nodes) == 0 {
		return fmt.Errorf("no kwok nodes (label %s=kwok): start the backends with the cluster part (hack/backends.sh, WARROOM_BACKENDS including \"cluster\")", kwokNodeLabel)
	}
	if _, err := k.cs.Discovery().ServerResourcesForGroupVersion("kwok.x-k8s.io/v1alpha1"); err != nil {
		return fmt.Errorf("kwok's Logs kind is not installed: %w", err)
	}
	if err := k.freshNamespace(ctx); err != nil {
		return err
	}
	if err := k.writeLogFiles(st); err != nil {
		return err
	}
	// Revision i of every deployment at once, then wait for all of them.
	for i := 0; ; i++ {
		var rolling []drill.Deployment
		for _, d := range st.Deployments {
			if i < len(d.Revisions) {
				if err := k.rollTo(ctx, d, i); err != nil {
					return fmt.Errorf("deployment %s revision %d: %w", d.Name, d.Revisions[i].Number, err)
				}
				rolling = append(rolling, d)
			}
		}
		if len(rolling) == 0 {
			break
		}
		for _, d := range rolling {
			if err := k.settled(ctx, d, i); err != nil {
				return err
			}
		}
	}
	// Faults that strike single pods later in the story (agent-runtime's
	// OOMKilled at +20s): the pod's own annotation, which kwok's stages read
	// like the template's.
	for _, d := range st.Deployments {
		if err := k.podFaults(ctx, d); err != nil {
			return err
		}
	}
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	k.pods = len(pods.Items)
	return k.syncLogs(ctx)
}

// freshNamespace deletes the namespace of an earlier run (the namespace
// controller empties it) and makes it again, with the default
// ServiceAccount pods need (the serviceaccount controller does not run).
func (k *kubeStage) freshNamespace(ctx context.Context) error {
	core := k.cs.CoreV1()
	err := core.Namespaces().Delete(ctx, k.ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err == nil {
		log.Printf("kubernetes: deleting namespace %s of an earlier run", k.ns)
		if err := poll(ctx, 2*time.Minute, "namespace "+k.ns+" to be gone", func(ctx context.Context) (bool, string, error) {
			ns, err := core.Namespaces().Get(ctx, k.ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, "gone", nil
			}
			if err != nil {
				return false, "", err
			}
			return false, string(ns.Status.Phase), nil
		}); err != nil {
			return err
		}
	}
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err = core.ServiceAccounts(k.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	return err
}

// rollTo creates the deployment at revision i (i == 0) or rolls it there,
// as `kubectl set image` plus a change cause would.
func (k *kubeStage) rollTo(ctx context.Context, d drill.Deployment, i int) error {
	r := d.Revisions[i]
	tpl := template(d, r, k.scheduler, k.backoff, k.nodes)
	apps := k.cs.AppsV1().Deployments(k.ns)
	if i == 0 {
		replicas := d.Replicas
		_, err := apps.Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name, Labels: map[string]string{"app": d.Name},
				Annotations: map[string]string{kube.ChangeCauseAnnotation: r.ChangeCause}},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": d.Name}},
				Template: tpl,
				Strategy: strategy(d),
			},
		}, metav1.CreateOptions{})
		return err
	}
	// The controller writes the deployment too: a conflict is retried.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := apps.Get(ctx, d.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Template = tpl
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations[kube.ChangeCauseAnnotation] = r.ChangeCause
		_, err = apps.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// replicaSets are the deployment's ReplicaSets by revision.
func (k *kubeStage) replicaSets(ctx context.Context, d *appsv1.Deployment) (map[int64]appsv1.ReplicaSet, error) {
	list, err := k.cs.AppsV1().ReplicaSets(k.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + d.Name})
	if err != nil {
		return nil, err
	}
	out := map[int64]appsv1.ReplicaSet{}
	for _, rs := range list.Items {
		if rev, ok := kube.Revision(&rs.ObjectMeta); ok && kube.ControlledBy(&rs.ObjectMeta, "Deployment", d.Name, d.UID) {
			out[rev] = rs
		}
	}
	return out, nil
}

// settled waits until the deployment's rollout to revision i is where the
// story has it: complete for a healthy revision or one the story moves on
// from, else stuck with the story's pod counts in the current and previous
// ReplicaSets.
func (k *kubeStage) settled(ctx context.Context, d drill.Deployment, i int) error {
	r := d.Revisions[i]
	last := i == len(d.Revisions)-1
	what := fmt.Sprintf("deployment %s at revision %d (%s)", d.Name, r.Number, r.Image)
	return poll(ctx, 2*time.Minute, what, func(ctx context.Context) (bool, string, error) {
		dep, err := k.cs.AppsV1().Deployments(k.ns).Get(ctx, d.Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		revs, err := k.replicaSets(ctx, dep)
		if err != nil {
			return false, "", err
		}
		var seen []string
		for n, rs := range revs {
			seen = append(seen, fmt.Sprintf("revision %d %s: %d/%d ready", n, rs.Name, rs.Status.ReadyReplicas, *rs.Spec.Replicas))
		}
		sort.Strings(seen)
		cur, ok := revs[r.Number]
		if !ok || dep.Status.ObservedGeneration < dep.Generation {
			return false, strings.Join(seen, ", "), nil
		}
		if !last || r.Healthy() {
			s := dep.Status
			return s.UpdatedReplicas == d.Replicas && s.AvailableReplicas == d.Replicas && s.Replicas == d.Replicas,
				strings.Join(seen, ", "), nil
		}
		ok = *cur.Spec.Replicas == int32(len(r.Pods))
		if i > 0 {
			prev, found := revs[d.Revisions[i-1].Number]
			ok = ok && found && *prev.Spec.Replicas == int32(len(d.Revisions[i-1].Pods))
		}
		return ok, strings.Join(seen, ", "), nil
	})
}

// podFaults gives single pods of the current revision the fault the story
// gives them at its time (PodFate.From), in the background.
func (k *kubeStage) podFaults(ctx context.Context, d drill.Deployment) error {
	cur := d.Current()
	var later []drill.PodFate
	for _, p := range cur.Pods {
		if _, ok := faults[p.Fate]; ok && p.Fate != cur.Fate {
			later = append(later, p)
		}
	}
	if len(later) == 0 {
		return nil
	}
	dep, err := k.cs.AppsV1().Deployments(k.ns).Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	revs, err := k.replicaSets(ctx, dep)
	if err != nil {
		return err
	}
	rs, ok := revs[cur.Number]
	if !ok {
		return fmt.Errorf("deployment %s has no revision %d", d.Name, cur.Number)
	}
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{LabelSelector: "pod-template-hash=" + rs.Labels["pod-template-hash"]})
	if err != nil {
		return err
	}
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if len(names) < len(later) {
		return fmt.Errorf("deployment %s: %d pods of revision %d, the story faults %d", d.Name, len(names), cur.Number, len(later))
	}
	for i, p := range later {
		name, fault := names[i], faults[p.Fate]
		wait := max(p.From, 0)
		if k.delay != nil {
			wait = k.delay(wait)
		}
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, faultAnnotation, fault)
			if _, err := k.cs.CoreV1().Pods(k.ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				if ctx.Err() == nil {
					log.Printf("kubernetes: %s %s: %v", fault, name, err)
				}
				return
			}
			log.Printf("kubernetes: pod %s now %s (kwok's %s stage)", name, p.Fate, fault)
		}()
	}
	return nil
}

// ------------------------------------------------------------------ pod logs

// logKind is which of the sandbox's log files a pod's container writes:
// its fault, or "running". "" for a pod that never runs a container.
func logKind(p *corev1.Pod) string {
	if p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
		return ""
	}
	switch f := p.Annotations[faultAnnotation]; f {
	case "imagepull":
		return ""
	case "crashloop", "oomkilled":
		return f
	default: // running, or unready (it runs: its log is a running one)
		return "running"
	}
}

// logLines are a container's log: what it printed before now, oldest
// first. previous: the container before the last restart.
func logLines(app, image, kind string, previous bool) []string {
	version := tag(image)
	switch {
	case app == "api" && kind == "crashloop":
		return []string{
			"starting api version=" + version,
			"config: DATABASE_URL=postgres://api:s3cr3t-api-pw@pg-primary.agent-platform.svc:5432/agent_platform",
			"ratelimit: loading per-key limits from table api_keys",
			"panic: assignment to entry in nil map",
			"",
			"goroutine 1 [running]:",
			"github.com/agent-platform/api/internal/ratelimit.(*Limiter).Load(0x0, {0x1c2f8e0, 0xc0001a2000})",
			"\t/src/internal/ratelimit/limiter.go:88 +0x1a5",
			"main.main()",
			"\t/src/cmd/api/main.go:61 +0x3c9",
		}
	case kind == "oomkilled":
		heap := []string{"212", "398", "547", "689"}
		if previous {
			heap = append(heap, "741")
		}
		out := []string{"starting " + app + " version=" + version + " memory-limit=768Mi"}
		for i, h := range heap {
			out = append(out, fmt.Sprintf("runs in flight=%d heap_inuse=%sMiB tool_cache_entries=%d", 12+i*9, h, 4000+i*5200))
		}
		return out
	case app == "api":
		return []string{"listening on :8080 version=" + version,
			"POST /v1/agents/run 200 182ms", "GET /v1/runs/88390 200 12ms", "POST /v1/tools/call 200 341ms",
			"GET /healthz 200 1ms", "POST /v1/agents/run 200 203ms"}
	case app == "worker":
		return []string{"worker version=" + version + " queue=agent-runs concurrency=4",
			"job 88391 done in 2.4s", "job 88392 done in 1.9s", "job 88393 retry 1/3: upstream 503"}
	default:
		return []string{"starting " + app + " version=" + version,
			"run 88390 tool=search ok 1.2s", "run 88391 tool=browser ok 4.7s", "run 88392 tool=sql ok 0.3s"}
	}
}

// criLog renders lines in the CRI log format kwok (like kubelet) reads,
// one second apart, the last at end.
func criLog(end time.Time, lines []string) []byte {
	var b strings.Builder
	for i, l := range lines {
		stream := "stdout"
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "goroutine ") || strings.HasPrefix(l, "\t") || l == "" {
			stream = "stderr"
		}
		at := end.Add(time.Duration(i-len(lines)+1) * time.Second)
		fmt.Fprintf(&b, "%s %s F %s\n", at.UTC().Format(time.RFC3339Nano), stream, l)
	}
	return []byte(b.String())
}

// logFile is the file of one version's log of a kind.
func (k *kubeStage) logFile(app, image, kind string, previous bool) string {
	name := app + "-" + tag(image) + "-" + kind
	if previous {
		name += ".previous"
	}
	return filepath.Join(k.logDir, name+".log")
}

// writeLogFiles writes every log a pod of the story may have — each
// version's running, crash-loop and OOM logs, also for faults the story
// does not give it, so a fault annotated by hand has its log too; the Logs
// objects (syncLogs) say which file is whose.
func (k *kubeStage) writeLogFiles(st drill.Story) error {
	if err := os.MkdirAll(k.logDir, 0o755); err != nil {
		return err
	}
	for _, d := range st.Deployments {
		for _, r := range d.Revisions {
			kinds := []string{"running"}
			for _, f := range faults {
				kinds = append(kinds, f)
			}
			for _, kind := range kinds {
				if kind == "imagepull" {
					continue
				}
				if err := os.WriteFile(k.logFile(d.Name, r.Image, kind, false), criLog(k.start, logLines(d.Name, r.Image, kind, false)), 0o644); err != nil {
					return err
				}
				if kind != "running" {
					prev := criLog(k.start.Add(-20*time.Second), logLines(d.Name, r.Image, kind, true))
					if err := os.WriteFile(k.logFile(d.Name, r.Image, kind, true), prev, 0o644); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// syncLogs gives every pod that runs a container a kwok Logs object naming
// its log files (kwok serves pods/log from them), and updates it when the
// pod's fault changes. The object is owned by the pod: the garbage
// collector removes it with the pod.
func (k *kubeStage) syncLogs(ctx context.Context) error {
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for i := range pods.Items {
		p := &pods.Items[i]
		live[p.Name] = true
		kind := logKind(p)
		if kind == "" || k.logs[p.Name] == kind || len(p.Spec.Containers) == 0 {
			continue
		}
		c := p.Spec.Containers[0]
		entry := map[string]any{"containers": []any{c.Name}, "logsFile": k.logFile(c.Name, c.Image, kind, false)}
		if kind != "running" {
			entry["previousLogsFile"] = k.logFile(c.Name, c.Image, kind, true)
		}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
			"metadata": map[string]any{"name": p.Name, "namespace": k.ns,
				"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "Pod", "name": p.Name, "uid": string(p.UID)}}},
			"spec": map[string]any{"logs": []any{entry}},
		}}
		res := k.dyn.Resource(logsGVR).Namespace(k.ns)
		_, err := res.Create(ctx, obj, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur, err := res.Get(ctx, p.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				cur.Object["spec"] = obj.Object["spec"]
				_, err = res.Update(ctx, cur, metav1.UpdateOptions{})
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("logs of pod %s: %w", p.Name, err)
		}
		k.logs[p.Name] = kind
	}
	for name := range k.logs {
		if !live[name] {
			delete(k.logs, name)
		}
	}
	return nil
}

// follow keeps the Logs objects in step with the pods (an undo, a restart
// or a scale makes new ones) until ctx ends.
func (k *kubeStage) follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := k.syncLogs(ctx); err != nil && ctx.Err() == nil {
			log.Printf("kubernetes: %v", err)
		}
	}
}

// close waits for the pod faults still pending, then deletes the namespace
// (best effort, not waited for): the staged incident is undone even where
// the cluster keeps running.
func (k *kubeStage) close() {
	k.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := k.cs.CoreV1().Namespaces().Delete(ctx, k.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		log.Printf("kubernetes: delete namespace %s: %v", k.ns, err)
	}
}

// fatesSummary says, from the story, what each deployment's pods do.
func fatesSummary(st drill.Story) string {
	var parts []string
	for _, d := range st.Deployments {
		counts := map[drill.Fate]int{}
		for _, p := range d.Revisions {
			for _, pod := range p.Pods {
				counts[pod.Fate]++
			}
		}
		var fs []string
		for f, n := range counts {
			fs = append(fs, fmt.Sprintf("%d %s", n, f))
		}
		slices.Sort(fs)
		parts = append(parts, d.Name+": "+strings.Join(fs, ", "))
	}
	return strings.Join(parts, "; ")
}
