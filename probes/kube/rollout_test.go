package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func tpl(image, hash string) corev1.PodTemplateSpec {
	labels := map[string]string{"app": "api"}
	if hash != "" {
		labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: image}}}}
}

func deployment(rev, image string) *appsv1.Deployment {
	three := int32(3)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "ns", UID: "d-uid",
			Annotations: map[string]string{RevisionAnnotation: rev, ChangeCauseAnnotation: "deploy api " + image}},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Template: tpl(image, "")},
	}
}

func replicaSet(d *appsv1.Deployment, hash, rev, image string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "api-" + hash, Namespace: "ns", Labels: tpl(image, hash).Labels,
			Annotations: map[string]string{RevisionAnnotation: rev, ChangeCauseAnnotation: "deploy api " + image,
				"deployment.kubernetes.io/desired-replicas": "3"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
		Spec: appsv1.ReplicaSetSpec{Template: tpl(image, hash)},
	}
}

func TestRolloutUndoPicksThePreviousRevision(t *testing.T) {
	d := deployment("3", "api:2.14.0")
	other := deployment("1", "api:0.1")
	other.Name, other.UID = "other", "o-uid"
	stranger := replicaSet(other, "zzz", "7", "api:0.1") // same labels, another owner
	cs := fake.NewClientset(d,
		replicaSet(d, "aaa", "1", "api:2.12.0"),
		replicaSet(d, "bbb", "2", "api:2.13.2"),
		replicaSet(d, "ccc", "3", "api:2.14.0"),
		stranger)
	ctx := context.Background()
	res, err := New(cs).RolloutUndo(ctx, "ns", "api", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := UndoResult{Namespace: "ns", Deployment: "api", FromRevision: 3, FromImage: "api:2.14.0",
		ToRevision: 2, ToImage: "api:2.13.2", Replicas: 3, ChangeCause: "deploy api api:2.13.2"}
	if res != want {
		t.Errorf("result %+v\nwant   %+v", res, want)
	}
	if s := res.String(); !strings.Contains(s, "revision 3 (api:2.14.0) → revision 2 (api:2.13.2), 3 replicas") {
		t.Errorf("String() = %q", s)
	}
	got, err := cs.AppsV1().Deployments("ns").Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "api:2.13.2" {
		t.Errorf("template image %q, want api:2.13.2", img)
	}
	if _, ok := got.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; ok {
		t.Errorf("pod-template-hash copied into the deployment: %v", got.Spec.Template.Labels)
	}
	if got.Annotations[ChangeCauseAnnotation] != "deploy api api:2.13.2" || got.Annotations[RevisionAnnotation] != "3" {
		t.Errorf("annotations %v: want the restored change-cause and the deployment's own revision", got.Annotations)
	}
	if _, ok := got.Annotations["deployment.kubernetes.io/desired-replicas"]; ok {
		t.Errorf("desired-replicas copied from the ReplicaSet: %v", got.Annotations)
	}

	// Undoing again before a controller moved the revision on: nothing to do.
	res, err = RolloutUndo(ctx, cs, "ns", "api")
	if err != nil || !res.Skipped || res.ToRevision != 2 {
		t.Errorf("second undo: %+v %v, want skipped (template already at revision 2)", res, err)
	}
}

func TestRolloutUndoWithoutHistory(t *testing.T) {
	d := deployment("1", "api:2.14.0")
	cs := fake.NewClientset(d, replicaSet(d, "aaa", "1", "api:2.14.0"))
	_, err := RolloutUndo(context.Background(), cs, "ns", "api")
	if !errors.Is(err, ErrNoRolloutHistory) || !strings.Contains(err.Error(), `deployment "api"`) {
		t.Errorf("err = %v, want no rollout history for deployment \"api\"", err)
	}
	if _, err := RolloutUndo(context.Background(), cs, "ns", "nope"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing deployment: %v", err)
	}
}

func TestRolloutUndoRefusesAPausedDeployment(t *testing.T) {
	d := deployment("2", "api:2.14.0")
	d.Spec.Paused = true
	cs := fake.NewClientset(d, replicaSet(d, "aaa", "1", "api:2.13.2"), replicaSet(d, "bbb", "2", "api:2.14.0"))
	if _, err := RolloutUndo(context.Background(), cs, "ns", "api"); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("err = %v, want paused refusal", err)
	}
}

// An undo bound to the revision the user confirmed changes nothing once
// the deployment has moved (a colleague's undo, a deploy): a second undo
// must not roll the bad release back out.
func TestRolloutUndoFromRefusesAMovedDeployment(t *testing.T) {
	d := deployment("2", "api:2.14.0")
	cs := fake.NewClientset(d, replicaSet(d, "aaa", "1", "api:2.13.2"), replicaSet(d, "bbb", "2", "api:2.14.0"))
	ctx := context.Background()
	if _, err := RolloutUndoFrom(ctx, cs, "ns", "api", 3); !errors.Is(err, ErrRevisionMoved) || !strings.Contains(err.Error(), "revision 3 when you confirmed, 2 now") {
		t.Fatalf("undo from 3 of a deployment at 2: %v", err)
	}
	got, err := cs.AppsV1().Deployments("ns").Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "api:2.14.0" {
		t.Errorf("the refused undo changed the template to %s", img)
	}
	res, err := RolloutUndoFrom(ctx, cs, "ns", "api", 2)
	if err != nil || res.ToImage != "api:2.13.2" {
		t.Fatalf("undo from the confirmed revision: %+v, %v", res, err)
	}
}
