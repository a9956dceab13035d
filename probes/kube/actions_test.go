package kube

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// restartable is deployment agent-platform/api.
func restartable(replicas int32, annotations map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": "api"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "agent-platform", UID: "d-uid"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "registry.invalid/api:1"}}},
			},
		},
	}
}

// writes lists the actions that are not reads.
func writes(cs *fake.Clientset) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range cs.Actions() {
		if v := a.GetVerb(); v != "get" && v != "list" && v != "watch" {
			out = append(out, a)
		}
	}
	return out
}

// kubectlRestartPatch is the patch `kubectl rollout restart` sends for d:
// its restarter sets the annotation on a copy and kubectl diffs the two
// with the strategic two-way merge (set.CalculatePatches).
func kubectlRestartPatch(t *testing.T, d *appsv1.Deployment, stamp string) []byte {
	t.Helper()
	modified := d.DeepCopy()
	if modified.Spec.Template.Annotations == nil {
		modified.Spec.Template.Annotations = map[string]string{}
	}
	modified.Spec.Template.Annotations[RestartedAtAnnotation] = stamp
	before, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	after, err := json.Marshal(modified)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(before, after, appsv1.Deployment{})
	if err != nil {
		t.Fatal(err)
	}
	return patch
}

func TestRolloutRestartSendsKubectlsPatch(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, cet)
	const stamp = "2026-01-02T03:04:05+01:00"
	for _, c := range []struct {
		name        string
		annotations map[string]string
	}{
		{"no template annotations", nil},
		{"keeps the others, replaces an earlier restart", map[string]string{
			"warroom.dev/backoff-seconds": "1", RestartedAtAnnotation: "2025-12-31T23:00:00Z",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := restartable(5, c.annotations)
			cs := fake.NewClientset(d)
			res, err := RolloutRestart(context.Background(), cs, "agent-platform", "api", now)
			if err != nil {
				t.Fatal(err)
			}
			want := RestartResult{Namespace: "agent-platform", Deployment: "api", Replicas: 5}
			if got := res; got.Namespace != want.Namespace || got.Deployment != want.Deployment || got.Replicas != want.Replicas ||
				!got.RestartedAt.Equal(now.Truncate(time.Second)) {
				t.Errorf("result %+v, want %+v at %v", got, want, now.Truncate(time.Second))
			}
			if got, want := res.String(), "deployment/api restarted: 5 replicas will roll"; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}

			w := writes(cs)
			if len(w) != 1 {
				t.Fatalf("writes %v, want one patch", w)
			}
			p, ok := w[0].(k8stesting.PatchAction)
			if !ok || p.GetResource().Resource != "deployments" || p.GetSubresource() != "" || p.GetName() != "api" {
				t.Fatalf("write %v: want a patch of deployment api", w[0])
			}
			if p.GetPatchType() != types.StrategicMergePatchType {
				t.Errorf("patch type %s, want %s", p.GetPatchType(), types.StrategicMergePatchType)
			}
			if got, want := string(p.GetPatch()), string(kubectlRestartPatch(t, d, stamp)); got != want {
				t.Errorf("patch %s\nkubectl's %s", got, want)
			}

			after, err := cs.AppsV1().Deployments("agent-platform").Get(context.Background(), "api", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantAnn := map[string]string{RestartedAtAnnotation: stamp}
			for k, v := range c.annotations {
				if k != RestartedAtAnnotation {
					wantAnn[k] = v
				}
			}
			if got := after.Spec.Template.Annotations; len(got) != len(wantAnn) || got[RestartedAtAnnotation] != stamp ||
				(c.annotations != nil && got["warroom.dev/backoff-seconds"] != "1") {
				t.Errorf("template annotations %v, want %v", got, wantAnn)
			}
		})
	}
}

func TestRolloutRestartRefusals(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	paused := restartable(3, nil)
	paused.Spec.Paused = true
	again := restartable(3, map[string]string{RestartedAtAnnotation: now.Format(time.RFC3339)})
	for _, c := range []struct {
		name string
		d    *appsv1.Deployment
		want string
	}{
		// kubectl's own words for both.
		{"paused", paused, "can't restart paused deployment (run rollout resume first)"},
		{"twice in one second", again, "failed to create patch for api: if restart has already been triggered within the past second, please wait before attempting to trigger another"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(c.d)
			_, err := RolloutRestart(context.Background(), cs, "agent-platform", "api", now.Add(300*time.Millisecond))
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v, want %q", err, c.want)
			}
			if w := writes(cs); len(w) != 0 {
				t.Errorf("writes %v, want none", w)
			}
		})
	}
	_, err := RolloutRestart(context.Background(), fake.NewClientset(), "agent-platform", "api", now)
	if !apierrors.IsNotFound(err) {
		t.Errorf("missing deployment: %v, want not found", err)
	}
}

func TestRestartResultString(t *testing.T) {
	for n, want := range map[int32]string{
		0: "deployment/api restarted: scaled to 0, no pods to roll",
		1: "deployment/api restarted: 1 replica will roll",
		5: "deployment/api restarted: 5 replicas will roll",
	} {
		if got := (RestartResult{Deployment: "api", Replicas: n}).String(); got != want {
			t.Errorf("%d replicas: %q, want %q", n, got, want)
		}
	}
}

// scaleServer serves a deployment's scale subresource over the fake
// clientset's tracker as the API server does (the fake has no scale of its
// own): the scale carries the deployment's resourceVersion, and an update
// whose resourceVersion is not the stored one is a conflict. Every stored
// change bumps the resourceVersion. meanwhile, if set, runs before the
// n-th update (from 1) is looked at: another writer, whose change to d is
// stored when it returns true.
type scaleServer struct {
	cs        *fake.Clientset
	updates   []autoscalingv1.Scale // as received
	conflicts int
	meanwhile func(n int, d *appsv1.Deployment) bool
}

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func newScaleServer(t *testing.T, d *appsv1.Deployment) *scaleServer {
	d = d.DeepCopy()
	d.ResourceVersion = "10"
	s := &scaleServer{cs: fake.NewClientset(d)}
	tracker := s.cs.Tracker()
	get := func(ns, name string) (*appsv1.Deployment, error) {
		obj, err := tracker.Get(deploymentsGVR, ns, name)
		if err != nil {
			return nil, err
		}
		return obj.(*appsv1.Deployment).DeepCopy(), nil
	}
	store := func(d *appsv1.Deployment) error {
		rv, err := strconv.Atoi(d.ResourceVersion)
		if err != nil {
			return err
		}
		d.ResourceVersion = strconv.Itoa(rv + 1)
		return tracker.Update(deploymentsGVR, d, d.Namespace)
	}
	s.cs.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		d, err := get(a.GetNamespace(), a.(k8stesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, ResourceVersion: d.ResourceVersion, UID: d.UID},
			Spec:       autoscalingv1.ScaleSpec{Replicas: *d.Spec.Replicas},
		}, nil
	})
	s.cs.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		sc := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		s.updates = append(s.updates, *sc.DeepCopy())
		if s.meanwhile != nil {
			d, err := get(a.GetNamespace(), sc.Name)
			if err != nil {
				t.Fatal(err)
			}
			if s.meanwhile(len(s.updates), d) {
				if err := store(d); err != nil {
					t.Fatal(err)
				}
			}
		}
		d, err := get(a.GetNamespace(), sc.Name)
		if err != nil {
			return true, nil, err
		}
		if sc.ResourceVersion != "" && sc.ResourceVersion != d.ResourceVersion {
			s.conflicts++
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, sc.Name,
				errors.New("the object has been modified; please apply your changes to the latest version and try again"))
		}
		d.Spec.Replicas = new(sc.Spec.Replicas)
		if err := store(d); err != nil {
			return true, nil, err
		}
		out := sc.DeepCopy()
		out.ResourceVersion = d.ResourceVersion
		return true, out, nil
	})
	return s
}

func (s *scaleServer) replicas(t *testing.T) int32 {
	t.Helper()
	d, err := s.cs.AppsV1().Deployments("agent-platform").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func TestScaleSendsTheResourceVersionItRead(t *testing.T) {
	s := newScaleServer(t, restartable(5, nil))
	res, err := Scale(context.Background(), s.cs, "agent-platform", "api", 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ScaleResult{Namespace: "agent-platform", Deployment: "api", From: 5, To: 3}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if got, want := res.String(), "deployment/api scaled 5 → 3"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if len(s.updates) != 1 || s.updates[0].ResourceVersion != "10" || s.updates[0].Spec.Replicas != 3 {
		t.Errorf("scale updates %+v: want one, replicas 3, resourceVersion 10 (as read)", s.updates)
	}
	if got := s.replicas(t); got != 3 {
		t.Errorf("deployment at %d replicas, want 3", got)
	}
	// Nothing but the scale subresource was written.
	for _, a := range writes(s.cs) {
		if a.GetSubresource() != "scale" {
			t.Errorf("write %v outside the scale subresource", a)
		}
	}
}

func TestScaleDoesNotOverwriteAConcurrentScale(t *testing.T) {
	s := newScaleServer(t, restartable(5, nil))
	s.meanwhile = func(n int, d *appsv1.Deployment) bool {
		d.Spec.Replicas = new(int32(8)) // someone else scales 5 → 8
		return n == 1
	}
	res, err := Scale(context.Background(), s.cs, "agent-platform", "api", 3)
	if !errors.Is(err, ErrScaledMeanwhile) {
		t.Fatalf("error %v, want ErrScaledMeanwhile", err)
	}
	if !strings.Contains(err.Error(), "5 → 8") {
		t.Errorf("error %q does not say what the other writer did (5 → 8)", err)
	}
	if res.From != 5 || res.To != 3 {
		t.Errorf("result %+v, want From 5 To 3", res)
	}
	if got := s.replicas(t); got != 8 {
		t.Errorf("deployment at %d replicas: the concurrent scale to 8 was overwritten", got)
	}
	if len(s.updates) != 1 || s.conflicts != 1 {
		t.Errorf("%d updates (%d conflicts): want the one refused", len(s.updates), s.conflicts)
	}
}

func TestScaleRetriesAConflictThatIsNotAboutReplicas(t *testing.T) {
	s := newScaleServer(t, restartable(5, nil))
	s.meanwhile = func(n int, d *appsv1.Deployment) bool {
		d.Labels = map[string]string{"touched": "yes"} // the controller or a label: not the count
		return n == 1
	}
	res, err := Scale(context.Background(), s.cs, "agent-platform", "api", 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != 5 || res.To != 3 {
		t.Errorf("result %+v, want From 5 To 3", res)
	}
	if s.conflicts != 1 || len(s.updates) != 2 || s.updates[1].ResourceVersion != "11" {
		t.Errorf("updates %+v (%d conflicts): want a conflict, then a retry on the fresh resourceVersion 11", s.updates, s.conflicts)
	}
	if got := s.replicas(t); got != 3 {
		t.Errorf("deployment at %d replicas, want 3", got)
	}
}

func TestScaleRefusesANegativeCount(t *testing.T) {
	s := newScaleServer(t, restartable(5, nil))
	_, err := Scale(context.Background(), s.cs, "agent-platform", "api", -1)
	if err == nil || !strings.Contains(err.Error(), "-1") {
		t.Errorf("error %v, want a refusal naming -1", err)
	}
	if a := s.cs.Actions(); len(a) != 0 {
		t.Errorf("actions %v: nothing should be sent", a)
	}
}

func TestScaleToTheCurrentCountWritesNothing(t *testing.T) {
	s := newScaleServer(t, restartable(4, nil))
	res, err := Scale(context.Background(), s.cs, "agent-platform", "api", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.updates) != 0 || res.From != 4 || res.To != 4 {
		t.Errorf("result %+v, updates %+v: want nothing written", res, s.updates)
	}
	if got, want := res.String(), "deployment/api already at 4 replicas"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDeletePod(t *testing.T) {
	owned := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "api-7d9f-x2k4q", Namespace: "agent-platform", UID: "uid-1",
			OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "Node", Name: "not-the-controller"},
				{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7d9f", Controller: new(true)},
			},
		},
		Spec: corev1.PodSpec{TerminationGracePeriodSeconds: new(int64(45))},
	}
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "agent-platform", UID: "uid-2"}}
	for _, c := range []struct {
		pod  *corev1.Pod
		want DeleteResult
		text string
	}{
		{owned, DeleteResult{Namespace: "agent-platform", Pod: "api-7d9f-x2k4q", Owner: "ReplicaSet/api-7d9f", GracePeriod: 45},
			"pod/api-7d9f-x2k4q deleted (grace 45s): ReplicaSet/api-7d9f will replace it"},
		// No grace period on the object (the API server defaults it): 30 s.
		{bare, DeleteResult{Namespace: "agent-platform", Pod: "debug", GracePeriod: 30},
			"pod/debug deleted (grace 30s): no controller, nothing will replace it"},
	} {
		t.Run(c.pod.Name, func(t *testing.T) {
			cs := fake.NewClientset(c.pod)
			res, err := DeletePod(context.Background(), cs, "agent-platform", c.pod.Name)
			if err != nil {
				t.Fatal(err)
			}
			if res != c.want {
				t.Errorf("result %+v, want %+v", res, c.want)
			}
			if got := res.String(); got != c.text {
				t.Errorf("String() = %q, want %q", got, c.text)
			}
			w := writes(cs)
			if len(w) != 1 {
				t.Fatalf("writes %v, want one delete", w)
			}
			del, ok := w[0].(k8stesting.DeleteActionImpl)
			if !ok || del.GetName() != c.pod.Name {
				t.Fatalf("write %v, want the delete of %s", w[0], c.pod.Name)
			}
			opts := del.DeleteOptions
			if opts.GracePeriodSeconds != nil {
				t.Errorf("grace period %d sent: want the pod's default", *opts.GracePeriodSeconds)
			}
			if opts.Preconditions == nil || opts.Preconditions.UID == nil || *opts.Preconditions.UID != c.pod.UID {
				t.Errorf("preconditions %+v, want the UID read, %s", opts.Preconditions, c.pod.UID)
			}
			if _, err := cs.CoreV1().Pods("agent-platform").Get(context.Background(), c.pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("pod still there: %v", err)
			}
		})
	}
	if _, err := DeletePod(context.Background(), fake.NewClientset(), "agent-platform", "gone"); !apierrors.IsNotFound(err) {
		t.Errorf("missing pod: %v, want not found", err)
	}
}
