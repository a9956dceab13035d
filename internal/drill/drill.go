// Package drill is the embedded drill: a scripted incident, run in process,
// that feeds the panes through the same probe interfaces the real backends
// implement, and reacts to the actions taken on it. Kubernetes is client-go's
// fake clientset read (and rolled back) by the real kube probe code;
// Prometheus series and Postgres sessions are generated from the scenario
// clock and the actions taken. Nothing outside the process is touched.
//
// The story is data (see NewStory, shared with hack/sandbox). Times from the
// declaration, which is the drill's Start:
//
//	-3m  api rolled out revision 2 (image api:2.14.0); its pods crash-loop
//	-2m  5xx ratio climbs from 0.5% towards 12%
//	 0   drill starts; the incident is declared P1
//	+5s  alert HighErrorRate fires
//	+20s agent-runtime pod OOMKilled; Postgres connections near max
//	+45s a lock chain forms behind an idle-in-transaction session (pid 4100)
//
// What the responder can change (each at the action's time, s.Now()):
//
//   - kubectl rollout undo deployment/api: the drill's cluster acts as the
//     deployment controller would, replacing the crash-looping pods with
//     Running ones of revision 1 (api:2.13.2); the 5xx ratio falls back to
//     its baseline over the following minute and HighErrorRate resolves.
//   - pg_terminate_backend(4100): the blocker goes, its waiters finish, the
//     connection count falls.
//
// A restarted drill is anchored on the journal's declaration (Anchor) and
// re-applies the actions the journal records (Replay).
package drill

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
)

// Namespace is the playbook's namespace (NewStory().Namespace).
const Namespace = "agent-platform"

// Title and Severity of the drill's incident (NewStory().Title, .Severity).
const (
	Title    = "DRILL: API 5xx spike after api rollout"
	Severity = incident.P1
)

// EscalationSpeed is how much faster than the wall clock the drill's
// escalation ladder and response clock run (incident.Policy.Accelerated):
// the primary's 5 minutes take 30 seconds, a P1's 30-minute response
// time 3 minutes.
const EscalationSpeed = 10

// EvidenceAfter is when the console records an action's evidence in the
// drill (5 minutes for real): by then the drill's error ratio has settled
// after an undo, so the evidence shows what it did.
const EvidenceAfter = 90 * time.Second

// InstanceID is the drill's RDS instance, the playbook's (NewStory().InstanceID).
const InstanceID = "agent-platform-prod"

// Scenario is one run of the drill, anchored at Start. It is safe for
// concurrent use: actions run off the UI goroutine while probes read.
type Scenario struct {
	Start time.Time
	Now   func() time.Time

	story Story

	mu      sync.Mutex
	cs      *fake.Clientset
	seeded  bool
	pods    map[string]podState // by pod name
	written map[string]string   // pod name → the status last written
	created int                 // pods created by the drill's controller so far
	health  []healthChange      // of the story's service, in time order
	extra   map[string]Revision // ReplicaSets the drill's controller made (restarts), by name
	killed  map[int]time.Time   // pg_terminate_backend, by pid
	stopped map[int]time.Time   // pg_cancel_backend, by pid
	// failovers are the RDS reboots with failover, in time order.
	failovers []time.Time
}

type podState struct {
	fate      Fate
	from      time.Time // when the fate strikes
	created   time.Time
	container string
	image     string
}

type healthChange struct {
	at      time.Time
	healthy bool
}

// New starts a scenario at start, following clock now.
func New(start time.Time, now func() time.Time) *Scenario {
	return &Scenario{Start: start, Now: now, story: NewStory(), cs: fake.NewClientset(),
		pods: map[string]podState{}, written: map[string]string{}, extra: map[string]Revision{},
		killed: map[int]time.Time{}, stopped: map[int]time.Time{}}
}

// Anchor is the drill's Start for a journal: the time of its (last)
// declaration, or now for a journal that has none yet.
func Anchor(events []incident.Event, now time.Time) time.Time {
	at := now
	for _, ev := range events {
		if ev.Kind == incident.KindDeclared {
			at = ev.Time
		}
	}
	return at
}

// Resume is New anchored on the journal's declaration, with the journal's
// drill actions replayed: the drill as it was left.
func Resume(events []incident.Event, now func() time.Time) *Scenario {
	s := New(Anchor(events, now()), now)
	s.Replay(events)
	return s
}

// Story is the story this scenario tells.
func (s *Scenario) Story() Story { return s.story }

// Elapsed is scenario time since the drill started.
func (s *Scenario) Elapsed() time.Duration { return s.Now().Sub(s.Start) }

// ---- Kubernetes -------------------------------------------------------------

// RolloutUndo is kubectl rollout undo on the drill's cluster (kube.RolloutUndo
// on the fake clientset), at s.Now(); the drill's controller then rolls the
// deployment over to the restored revision.
func (s *Scenario) RolloutUndo(ctx context.Context, ns, name string) (kube.UndoResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rolloutUndoAt(ctx, ns, name, 0, s.Now())
}

func (s *Scenario) rolloutUndoAt(ctx context.Context, ns, name string, from int64, at time.Time) (kube.UndoResult, error) {
	if err := s.syncCluster(ctx, at); err != nil {
		return kube.UndoResult{Namespace: ns, Deployment: name}, err
	}
	res, err := kube.RolloutUndoFrom(ctx, s.cs, ns, name, from)
	if err != nil || res.Skipped {
		return res, err
	}
	if err := s.rollOver(ctx, ns, name, at); err != nil {
		return res, fmt.Errorf("drill controller: %w", err)
	}
	return res, s.syncCluster(ctx, at)
}

const revisionAnnotation = kube.RevisionAnnotation

func (s *Scenario) template(d Deployment, r Revision, hash bool) corev1.PodTemplateSpec {
	labels := map[string]string{"app": d.Name}
	if hash {
		labels[appsv1.DefaultDeploymentUniqueLabelKey] = r.Hash
	}
	mem := resource.MustParse(r.Memory)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: d.Name, Image: r.Image,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: mem},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
			}}}},
	}
}

// seed creates the story's objects: deployments, their ReplicaSets (one per
// revision) and pods, with owner references and UIDs as a cluster has them.
func (s *Scenario) seed(ctx context.Context) error {
	ns := s.story.Namespace
	if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	for _, d := range s.story.Deployments {
		cur := d.Current()
		replicas := d.Replicas
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: ns, UID: types.UID("drill-deploy-" + d.Name),
				Labels:            map[string]string{"app": d.Name},
				CreationTimestamp: metav1.NewTime(s.Start.Add(-60 * 24 * time.Hour)),
				Annotations: map[string]string{revisionAnnotation: fmt.Sprint(cur.Number),
					kube.ChangeCauseAnnotation: cur.ChangeCause}},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": d.Name}},
				Template: s.template(d, cur, false)},
		}
		dep, err := s.cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		for _, r := range d.Revisions {
			n := int32(len(r.Pods))
			// The ReplicaSet was made when its first pod was (a revision
			// without pods left: long ago).
			made := s.Start.Add(-60 * 24 * time.Hour)
			for i, p := range r.Pods {
				if i == 0 || s.Start.Add(-p.Age).Before(made) {
					made = s.Start.Add(-p.Age)
				}
			}
			rs := &appsv1.ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-" + r.Hash, Namespace: ns, UID: types.UID("drill-rs-" + d.Name + "-" + r.Hash),
					CreationTimestamp: metav1.NewTime(made),
					Labels:            map[string]string{"app": d.Name, appsv1.DefaultDeploymentUniqueLabelKey: r.Hash},
					Annotations: map[string]string{revisionAnnotation: fmt.Sprint(r.Number), kube.ChangeCauseAnnotation: r.ChangeCause,
						"deployment.kubernetes.io/desired-replicas": fmt.Sprint(d.Replicas)},
					OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(dep, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
				Spec: appsv1.ReplicaSetSpec{Replicas: &n,
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": d.Name, appsv1.DefaultDeploymentUniqueLabelKey: r.Hash}},
					Template: s.template(d, r, true)},
			}
			rs, err := s.cs.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			for _, p := range r.Pods {
				created := s.Start.Add(-p.Age)
				if err := s.createPod(ctx, d, r, rs, p.Suffix, p.Node, created, podState{fate: p.Fate, from: s.Start.Add(p.From), created: created, image: r.Image}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Scenario) createPod(ctx context.Context, d Deployment, r Revision, rs *appsv1.ReplicaSet, suffix, node string, created time.Time, st podState) error {
	tpl := s.template(d, r, true)
	name := d.Name + "-" + r.Hash + "-" + suffix
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.story.Namespace, UID: types.UID("drill-pod-" + name),
			CreationTimestamp: metav1.NewTime(created), Labels: tpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}},
		Spec: tpl.Spec,
	}
	pod.Spec.NodeName = node
	if _, err := s.cs.CoreV1().Pods(s.story.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return err
	}
	st.container = d.Name
	s.pods[name] = st
	return nil
}

// rollOver is the deployment controller's part of a rollback, done at once:
// the ReplicaSet matching the deployment's template becomes the newest
// revision and gets all the replicas; the other ReplicaSets' pods go.
func (s *Scenario) rollOver(ctx context.Context, ns, name string, at time.Time) error {
	sd, ok := s.story.Deployment(name)
	if !ok || ns != s.story.Namespace {
		return nil
	}
	apps := s.cs.AppsV1()
	dep, err := apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	list, err := apps.ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var target *appsv1.ReplicaSet
	var newest int64
	owned := map[string]bool{}
	for i := range list.Items {
		rs := &list.Items[i]
		if !kube.ControlledBy(&rs.ObjectMeta, "Deployment", dep.Name, dep.UID) {
			continue
		}
		owned[rs.Name] = true
		if v, ok := kube.Revision(&rs.ObjectMeta); ok && v > newest {
			newest = v
		}
		if kube.EqualIgnoreHash(rs.Spec.Template, dep.Spec.Template) {
			target = rs
		}
	}
	var rev Revision
	if target == nil {
		// A new template (a rollout restart): a new ReplicaSet, whose
		// pods do what pods of the same image do.
		img := kube.Images(dep.Spec.Template)
		found := false
		for _, r := range sd.Revisions {
			if r.Image == img {
				rev, found = r, true
			}
		}
		if !found {
			return fmt.Errorf("the drill knows no revision of deployment %s with image %s", name, img)
		}
		s.created++
		rev.Hash = podSuffix(1000+s.created) + "7c"
		tpl := *dep.Spec.Template.DeepCopy()
		if tpl.Labels == nil {
			tpl.Labels = map[string]string{}
		}
		tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = rev.Hash
		zero := int32(0)
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + rev.Hash, Namespace: ns, UID: types.UID("drill-rs-" + name + "-" + rev.Hash),
				Labels:            map[string]string{"app": name, appsv1.DefaultDeploymentUniqueLabelKey: rev.Hash},
				CreationTimestamp: metav1.NewTime(at),
				Annotations:       map[string]string{revisionAnnotation: fmt.Sprint(newest + 1), kube.ChangeCauseAnnotation: dep.Annotations[kube.ChangeCauseAnnotation]},
				OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(dep, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
			Spec: appsv1.ReplicaSetSpec{Replicas: &zero,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name, appsv1.DefaultDeploymentUniqueLabelKey: rev.Hash}},
				Template: tpl},
		}
		if target, err = apps.ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{}); err != nil {
			return err
		}
		owned[target.Name] = true
		newest++
		s.extra[target.Name] = rev
	} else {
		for _, r := range sd.Revisions {
			if name+"-"+r.Hash == target.Name {
				rev = r
			}
		}
		if r, ok := s.extra[target.Name]; ok {
			rev = r
		}
	}
	if v, _ := kube.Revision(&target.ObjectMeta); v != newest {
		newest++
		target.Annotations[revisionAnnotation] = fmt.Sprint(newest)
	}
	replicas := int32(1)
	if dep.Spec.Replicas != nil {
		replicas = *dep.Spec.Replicas
	}
	target.Spec.Replicas = &replicas
	if target, err = apps.ReplicaSets(ns).Update(ctx, target, metav1.UpdateOptions{}); err != nil {
		return err
	}
	for i := range list.Items {
		rs := &list.Items[i]
		if owned[rs.Name] && rs.Name != target.Name && (rs.Spec.Replicas == nil || *rs.Spec.Replicas != 0) {
			zero := int32(0)
			rs.Spec.Replicas = &zero
			if _, err := apps.ReplicaSets(ns).Update(ctx, rs, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
	}
	dep.Annotations[revisionAnnotation] = fmt.Sprint(newest)
	if _, err := apps.Deployments(ns).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		return err
	}

	pods, err := s.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	have := int32(0)
	for _, p := range pods.Items {
		ref := metav1.GetControllerOfNoCopy(&p)
		switch {
		case ref == nil || ref.Kind != "ReplicaSet" || !owned[ref.Name]:
		case ref.Name == target.Name && have < replicas:
			have++
		default: // an old revision's pod, or one too many after a scale-down
			if err := s.cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				return err
			}
			delete(s.pods, p.Name)
			delete(s.written, p.Name)
		}
	}
	nodes := []string{"node-a", "node-b"}
	for ; have < replicas; have++ {
		s.created++
		node := nodes[s.created%len(nodes)]
		if rev.Fate == Pending {
			node = ""
		}
		if err := s.createPod(ctx, sd, rev, target, podSuffix(s.created), node, at,
			podState{fate: rev.Fate, from: at, created: at, image: rev.Image}); err != nil {
			return err
		}
	}
	if name == s.story.Service {
		s.health = append(s.health, healthChange{at: at, healthy: rev.Healthy()})
		sort.SliceStable(s.health, func(i, j int) bool { return s.health[i].at.Before(s.health[j].at) })
	}
	return nil
}

// podSuffix is a deterministic five-letter pod name suffix, as the
// ReplicaSet controller's random ones look.
func podSuffix(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	x := uint32(n)*2654435761 + 12345
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[x%uint32(len(alphabet))]
		x /= uint32(len(alphabet))
	}
	return string(b)
}

// syncCluster seeds the drill's objects once, then brings pod statuses to
// time now through the status subresource, as a kubelet would: only the
// pods whose status changed are written. The fake clientset records every
// call it serves; the record is dropped after each sync so a long drill
// does not grow it without bound. s.mu must be held.
func (s *Scenario) syncCluster(ctx context.Context, now time.Time) error {
	defer s.cs.ClearActions()
	if !s.seeded {
		if err := s.seed(ctx); err != nil {
			return err
		}
		s.seeded = true
	}
	pods := s.cs.CoreV1().Pods(s.story.Namespace)
	names := make([]string, 0, len(s.pods))
	for name := range s.pods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		phase, statuses := podStatus(s.pods[name], now)
		key := fmt.Sprintf("%s %+v", phase, statuses)
		if s.written[name] == key {
			continue
		}
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		pod.Status.Phase = phase
		pod.Status.ContainerStatuses = statuses
		pod.Status.Conditions = nil
		if s.pods[name].fate == Pending {
			pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
				Message: "0/2 nodes are available: 2 Insufficient memory."}}
		}
		if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if err := s.podEvents(ctx, pod, statuses, now); err != nil {
			return err
		}
		s.written[name] = key
	}
	return s.syncDeployments(ctx, now)
}

// syncDeployments writes the deployments' and ReplicaSets' status from
// their pods at time now, as the controllers would: replicas, updated,
// ready, available, and the Progressing condition. Only changes are
// written.
func (s *Scenario) syncDeployments(ctx context.Context, now time.Time) error {
	ns := s.story.Namespace
	apps := s.cs.AppsV1()
	rss, err := apps.ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	type count struct{ replicas, ready int32 }
	byRS := map[string]*count{}
	for name, p := range s.pods {
		rs := name[:strings.LastIndexByte(name, '-')]
		c := byRS[rs]
		if c == nil {
			c = &count{}
			byRS[rs] = c
		}
		c.replicas++
		if _, st := podStatus(p, now); len(st) == 1 && st[0].Ready {
			c.ready++
		}
	}
	deps, err := apps.Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		var st appsv1.DeploymentStatus
		for j := range rss.Items {
			rs := &rss.Items[j]
			if !kube.ControlledBy(&rs.ObjectMeta, "Deployment", d.Name, d.UID) {
				continue
			}
			c := byRS[rs.Name]
			if c == nil {
				c = &count{}
			}
			if rs.Status.Replicas != c.replicas || rs.Status.ReadyReplicas != c.ready {
				rs.Status = appsv1.ReplicaSetStatus{Replicas: c.replicas, ReadyReplicas: c.ready, AvailableReplicas: c.ready,
					FullyLabeledReplicas: c.replicas, ObservedGeneration: rs.Generation}
				if _, err := apps.ReplicaSets(ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{}); err != nil {
					return err
				}
			}
			st.Replicas += c.replicas
			st.ReadyReplicas += c.ready
			st.AvailableReplicas += c.ready
			if kube.EqualIgnoreHash(rs.Spec.Template, d.Spec.Template) {
				st.UpdatedReplicas += c.replicas
			}
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		st.UnavailableReplicas = max(want-st.AvailableReplicas, 0)
		st.ObservedGeneration = d.Generation
		reason, msg := "ReplicaSetUpdated", fmt.Sprintf("ReplicaSet is progressing (%d of %d updated replicas available)", min(st.AvailableReplicas, st.UpdatedReplicas), want)
		if st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want {
			reason, msg = "NewReplicaSetAvailable", "ReplicaSet has successfully progressed."
		}
		avail := corev1.ConditionTrue
		if st.AvailableReplicas < want {
			avail = corev1.ConditionFalse
		}
		st.Conditions = []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: avail, Reason: "MinimumReplicas"},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: reason, Message: msg},
		}
		if key := fmt.Sprintf("%+v", st); s.written["deployment/"+d.Name] != key {
			d.Status = st
			if _, err := apps.Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
				return err
			}
			s.written["deployment/"+d.Name] = key
		}
	}
	return nil
}

// podEvents records the events a kubelet and the scheduler would have for
// a pod in this state, counted as they repeat.
func (s *Scenario) podEvents(ctx context.Context, pod *corev1.Pod, statuses []corev1.ContainerStatus, now time.Time) error {
	type ev struct {
		typ, reason, source, msg string
		count                    int32
	}
	var evs []ev
	st := s.pods[pod.Name]
	switch {
	case st.fate == Pending:
		evs = append(evs, ev{"Warning", "FailedScheduling", "default-scheduler", "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.", 1})
	case len(statuses) == 1 && statuses[0].State.Waiting != nil && statuses[0].State.Waiting.Reason == "ImagePullBackOff":
		evs = append(evs,
			ev{"Warning", "Failed", "kubelet", `Failed to pull image "` + st.image + `": rpc error: code = NotFound desc = failed to pull and unpack image "registry.internal/` + st.image + `": not found`, 1},
			ev{"Normal", "BackOff", "kubelet", `Back-off pulling image "` + st.image + `"`, 1})
	case len(statuses) == 1 && statuses[0].RestartCount > 0:
		c := statuses[0]
		evs = append(evs, ev{"Normal", "Pulled", "kubelet", `Container image "` + st.image + `" already present on machine`, c.RestartCount + 1})
		if c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" {
			evs = append(evs, ev{"Warning", "BackOff", "kubelet", "Back-off restarting failed container " + c.Name + " in pod " + pod.Name + "_" + pod.Namespace + "(" + string(pod.UID) + ")", c.RestartCount})
		}
	}
	events := s.cs.CoreV1().Events(pod.Namespace)
	for _, e := range evs {
		name := pod.Name + "." + strings.ToLower(e.reason)
		old, err := events.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if old.Count == e.count && old.Message == e.msg {
				continue
			}
			old.Count, old.Message, old.LastTimestamp = e.count, e.msg, metav1.NewTime(now)
			if _, err := events.Update(ctx, old, metav1.UpdateOptions{}); err != nil {
				return err
			}
			continue
		}
		_, err = events.Create(ctx, &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pod.Namespace},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
				APIVersion: "v1", FieldPath: "spec.containers{" + st.container + "}"},
			Type: e.typ, Reason: e.reason, Message: e.msg, Count: e.count, Source: corev1.EventSource{Component: e.source, Host: pod.Spec.NodeName},
			FirstTimestamp: metav1.NewTime(st.created), LastTimestamp: metav1.NewTime(now),
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
	}
	return nil
}

// podStatus is a pod's phase and container statuses at time now.
func podStatus(p podState, now time.Time) (corev1.PodPhase, []corev1.ContainerStatus) {
	c := p.container
	run := corev1.ContainerStatus{Name: c, Image: p.image, Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(p.created)}}}
	if now.Before(p.from) {
		return corev1.PodRunning, []corev1.ContainerStatus{run}
	}
	switch p.fate {
	case CrashLoopBackOff:
		// Restarts climb with kubelet's back-off as the drill goes on.
		restarts := int32(max(now.Sub(p.created), 0) / (40 * time.Second))
		return corev1.PodRunning, []corev1.ContainerStatus{{Name: c, Image: p.image, RestartCount: restarts,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error",
				FinishedAt: metav1.NewTime(p.created.Add(time.Duration(restarts) * 40 * time.Second))}}}}
	case OOMKilled:
		kills := int32(now.Sub(p.from) / (90 * time.Second))
		return corev1.PodRunning, []corev1.ContainerStatus{{Name: c, Image: p.image, RestartCount: 1 + kills,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
				FinishedAt: metav1.NewTime(p.from.Add(time.Duration(kills) * 90 * time.Second))}}}}
	case ImagePullBackOff:
		return corev1.PodPending, []corev1.ContainerStatus{{Name: c, Image: p.image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "` + p.image + `"`}}}}
	case Pending:
		return corev1.PodPending, nil
	}
	return corev1.PodRunning, []corev1.ContainerStatus{run}
}

// ---- Postgres -----------------------------------------------------------------

// PG is the drill's pg.Probe: sessions of the story at scenario time, and
// pg_terminate_backend / pg_cancel_backend on them.
func (s *Scenario) PG() pg.Probe { return pgProbe{s: s} }

type pgProbe struct{ s *Scenario }

func (p pgProbe) Activity(ctx context.Context) (pg.Snapshot, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if err := s.unreachable(now); err != nil {
		return pg.Snapshot{}, err
	}
	st := s.story.Postgres
	snap := pg.Snapshot{At: now, Connections: s.connections(now), MaxConnections: st.MaxConnections}
	busy := 0
	for _, x := range st.Sessions {
		sess, ok := s.session(x, now)
		if !ok {
			continue
		}
		switch sess.State {
		case "idle":
			continue
		case "idle in transaction":
			snap.Counts.IdleInTxn++
		default:
			snap.Counts.Active++
		}
		if sess.WaitsOnLock() {
			snap.Counts.Waiting++
		}
		busy++
		if sess.XminAge > snap.OldestXminAge {
			snap.OldestXminAge, snap.OldestXminPID = sess.XminAge, sess.PID
		}
		snap.Sessions = append(snap.Sessions, sess)
	}
	snap.Counts.Idle = max(snap.Connections-busy, 0)
	sort.SliceStable(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].QueryStart.Before(snap.Sessions[j].QueryStart) })
	snap.Stats = s.stats(now)
	return snap, ctx.Err()
}

// The drill database's throughput: what pg_stat_database's counters grow
// by each second.
const (
	drillTPS       = 380
	drillHitPerSec = 45000
	drillRdPerSec  = 700
	drillGrowth    = 12 << 10 // bytes per second
)

// stats are pg_stat_database's counters at now: steady growth from a
// base, so the pane's rates are the constants above.
func (s *Scenario) stats(now time.Time) pg.Stats {
	e := func(t time.Time) float64 { return max(t.Sub(s.Start.Add(-time.Hour)).Seconds(), 0) }
	// The size is read once a minute, as the probe reads it.
	sizeAt := s.Start.Add(now.Sub(s.Start).Truncate(pg.SizeEvery))
	if sizeAt.After(now) {
		sizeAt = sizeAt.Add(-pg.SizeEvery)
	}
	return pg.Stats{
		Xacts:   91_000_000 + int64(e(now)*drillTPS),
		BlksHit: 2_400_000_000 + int64(e(now)*drillHitPerSec),
		BlksRd:  31_000_000 + int64(e(now)*drillRdPerSec),
		Bytes:   48<<30 + int64(e(sizeAt)*drillGrowth),
		SizeAt:  sizeAt,
	}
}

// Signal is pg_cancel_backend / pg_terminate_backend with the probe's
// re-check: only if pid is still the same backend and, with OlderThan,
// still busy with a query older than that.
func (p pgProbe) Signal(ctx context.Context, sig pg.Signal, t pg.Target) (bool, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if err := s.unreachable(now); err != nil {
		return false, err
	}
	return s.signalAt(sig, t, now), ctx.Err()
}

// signalAt is the probe's statement at time at: the signal goes only if
// pid is still that backend and, with OlderThan, still active with a
// query older than that.
func (s *Scenario) signalAt(sig pg.Signal, t pg.Target, at time.Time) bool {
	sess, ok := s.find(t.PID, at)
	switch {
	case !ok:
		return false
	case !t.BackendStart.IsZero() && !t.BackendStart.Equal(sess.BackendStart):
		return false
	case t.OlderThan > 0 && (sess.State != "active" || sess.QueryStart.IsZero() || at.Sub(sess.QueryStart) <= t.OlderThan):
		return false
	}
	if sig == pg.Terminate {
		return s.terminateAt(t.PID, at)
	}
	return s.cancelAt(t.PID, at)
}

// unreachable is the error of a read or signal during an RDS failover.
func (s *Scenario) unreachable(now time.Time) error {
	for _, f := range s.failovers {
		if !f.After(now) && now.Sub(f) < FailoverTook {
			return fmt.Errorf("dial tcp %s:5432: connect: connection refused (the drill's RDS failover is in progress)", InstanceID+".drill.internal")
		}
	}
	return nil
}

// failedOverBy is the first failover at or before now.
func (s *Scenario) failedOverBy(now time.Time) (time.Time, bool) {
	for _, f := range s.failovers {
		if !f.After(now) {
			return f, true
		}
	}
	return time.Time{}, false
}

// Terminate is pg_terminate_backend(pid) at s.Now(): false if pid is not a
// backend of the story at that time. Terminating the idle-in-transaction
// blocker (pid 4100) clears its lock chain: its waiters finish.
func (s *Scenario) Terminate(ctx context.Context, pid int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.terminateAt(pid, s.Now()), ctx.Err()
}

// Cancel is pg_cancel_backend(pid) at s.Now(): an active query stops and
// its session goes idle; an idle (or idle-in-transaction) session is not
// affected, as in PostgreSQL.
func (s *Scenario) Cancel(ctx context.Context, pid int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelAt(pid, s.Now()), ctx.Err()
}

func (s *Scenario) find(pid int, at time.Time) (pg.Session, bool) {
	for _, x := range s.story.Postgres.Sessions {
		if x.PID == pid {
			return s.session(x, at)
		}
	}
	return pg.Session{}, false
}

func (s *Scenario) terminateAt(pid int, at time.Time) bool {
	if _, ok := s.find(pid, at); !ok {
		return false
	}
	s.killed[pid] = at
	return true
}

func (s *Scenario) cancelAt(pid int, at time.Time) bool {
	sess, ok := s.find(pid, at)
	if ok && sess.State == "active" {
		s.stopped[pid] = at
	}
	return ok
}

func (s *Scenario) blocker() int {
	for _, x := range s.story.Postgres.Sessions {
		if x.Role == RoleBlocker {
			return x.PID
		}
	}
	return 0
}

// gone reports whether pid was terminated at or before now.
// A failover ends every session of the story (they all began before it,
// or wait on one that did).
func (s *Scenario) gone(pid int, now time.Time) bool {
	if _, ok := s.failedOverBy(now); ok {
		return true
	}
	t, ok := s.killed[pid]
	return ok && !t.After(now)
}

// session is story session x as pg_stat_activity shows it at now.
func (s *Scenario) session(x PGSession, now time.Time) (pg.Session, bool) {
	qs := s.Start.Add(x.Start)
	if s.gone(x.PID, now) {
		return pg.Session{}, false
	}
	client := x.Client
	if client == "" {
		client = fmt.Sprintf("10.42.%d.%d", x.PID/250%250, x.PID%250)
	}
	// The pool opened its connections well before the incident.
	bs := s.Start.Add(-40*time.Minute - time.Duration(x.PID%17)*time.Minute)
	out := pg.Session{PID: x.PID, User: x.User, Database: s.story.Postgres.Database, App: x.App, Client: client,
		Query: x.Query, QueryStart: qs, BackendStart: bs}
	switch x.Role {
	case RoleBlocker:
		out.State, out.XactStart = "idle in transaction", qs
	case RoleIdle:
		out.State = "idle"
	case RoleBlocked:
		b := s.blocker()
		if now.Before(qs) || s.gone(b, now) {
			return pg.Session{}, false // not issued yet, or finished once the lock was released
		}
		// It waits on the session it queued behind while that one is
		// there; else on the blocker itself.
		behind := b
		if x.Behind != 0 && !s.gone(x.Behind, now) {
			// Only while that one still waits: a cancelled 4242 holds
			// no tuple lock, and 4257 waits on the blocker itself.
			if ahead, ok := s.find(x.Behind, now); ok && len(ahead.BlockedBy) > 0 {
				behind = x.Behind
			}
		}
		out.State, out.WaitEvent, out.BlockedBy, out.XactStart, out.Lock = "active", x.WaitEvent, []int{behind}, qs, x.Lock
	default:
		out.State, out.WaitEvent, out.XactStart = "active", x.WaitEvent, qs
	}
	if !out.XactStart.IsZero() && now.After(out.XactStart) {
		out.XminAge = int64(now.Sub(out.XactStart).Seconds()*drillTPS) + 1
	}
	if t, ok := s.stopped[x.PID]; ok && !t.After(now) && out.State == "active" {
		out.State, out.WaitEvent, out.BlockedBy, out.XactStart, out.Lock, out.XminAge = "idle", "", nil, time.Time{}, "", 0
	}
	return out, true
}

// connections is the client backend count at now: the pool surges with the
// incident; once the blocker is terminated it drains towards AfterClear
// over half a minute. Every other terminated backend is one fewer.
func (s *Scenario) connections(now time.Time) int {
	st := s.story.Postgres
	surge := func(t time.Time) int {
		e := t.Sub(s.Start)
		if e < st.SurgeAt {
			return st.Connections
		}
		return min(st.Surge+int((e-st.SurgeAt)/st.SurgeClimb), st.SurgeCeiling)
	}
	n := surge(now)
	b := s.blocker()
	for pid, t := range s.killed {
		if t.After(now) || pid == b {
			continue
		}
		n--
	}
	t, ok := s.killed[b]
	if f, failed := s.failedOverBy(now); failed && (!ok || f.Before(t) || t.After(now)) {
		// Every connection dropped; the pool reconnects, without the
		// blocker's pile-up.
		t, ok = f, true
	}
	if ok && !t.After(now) {
		from := surge(t) - 1
		const drain = 30 * time.Second
		f := min(float64(now.Sub(t))/float64(drain), 1)
		n = min(n, from-int(f*float64(from-st.AfterClear)))
	}
	return max(n, 1)
}

// ---- RDS ------------------------------------------------------------------------

// RDS is the drill's rds.Probe: a Multi-AZ instance with a pending
// maintenance action and the incident's events; a reboot with failover
// shows "rebooting" for FailoverTook, then the AZs swapped.
func (s *Scenario) RDS() rds.Probe { return rdsProbe{s: s} }

// FailoverTook is how long the drill's reboot with failover takes.
const FailoverTook = 40 * time.Second

type rdsProbe struct{ s *Scenario }

func (p rdsProbe) Describe(ctx context.Context, id string) (rds.Instance, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instance(id, s.Now()), ctx.Err()
}

func (p rdsProbe) Failover(ctx context.Context, id string) (rds.Instance, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return rds.Instance{}, err
	}
	now := s.Now()
	if id != InstanceID {
		return rds.Instance{}, fmt.Errorf("DBInstanceNotFound: DBInstance %s not found", id)
	}
	if in := s.instance(id, now); in.Status != "available" {
		return rds.Instance{}, fmt.Errorf("InvalidDBInstanceState: Instance %s is not in available state (it is %s)", id, in.Status)
	}
	s.failoverAt(now)
	return s.instance(id, now), nil
}

func (s *Scenario) failoverAt(at time.Time) {
	s.failovers = append(s.failovers, at)
}

// instance is the drill's RDS instance at now.
func (s *Scenario) instance(id string, now time.Time) rds.Instance {
	in := rds.Instance{ID: id, Status: "available", Engine: "postgres", EngineVersion: "15.8", Class: "db.r6g.xlarge",
		MultiAZ: true, AZ: "eu-west-1a", SecondaryAZ: "eu-west-1b", Endpoint: id + ".drill.internal", Port: 5432,
		AllocatedGiB: 500, MaxAllocatedGiB: 1000, StorageType: "gp3", IOPS: 12000,
		Maintenance: []rds.Maintenance{{Action: "system-update", Description: "New Operating System update is available",
			AutoAppliedAfter: s.Start.Add(9 * 24 * time.Hour).Truncate(time.Hour), OptInStatus: "next-maintenance"}}}
	ev := func(at time.Time, msg string, cat ...string) {
		if !at.After(now) && now.Sub(at) <= time.Hour {
			in.Events = append([]rds.Event{{At: at, Message: msg, Categories: cat}}, in.Events...)
		}
	}
	ev(s.Start.Add(-50*time.Minute), "Backing up DB instance", "backup")
	ev(s.Start.Add(-48*time.Minute), "Finished DB Instance backup", "backup")
	ev(s.Start.Add(s.story.Postgres.SurgeAt+30*time.Second), "The number of connections is approaching max_connections", "notification")
	for _, t := range s.failovers {
		if t.After(now) {
			continue
		}
		ev(t, "Multi-AZ instance failover started.", "failover")
		ev(t.Add(2*time.Second), "DB instance restarted", "availability")
		if now.Sub(t) < FailoverTook {
			in.Status = "rebooting"
		} else {
			in.AZ, in.SecondaryAZ = in.SecondaryAZ, in.AZ
			ev(t.Add(FailoverTook), "Multi-AZ instance failover completed.", "failover")
		}
	}
	if len(in.Events) > 20 {
		in.Events = in.Events[:20]
	}
	return in
}
