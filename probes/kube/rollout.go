package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Annotations the deployment controller and kubectl maintain.
const (
	RevisionAnnotation    = "deployment.kubernetes.io/revision"
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
)

// OpRolloutUndo is the machine name of a rollout undo on the timeline
// (incident.ActionFields.Op); the drill replays executed ones by it.
const OpRolloutUndo = "kube.rollout-undo"

// Target names an object as actions record it (incident.ActionFields.Target):
// "deployment/api in agent-platform". ParseTarget reads it back.
func Target(kind, ns, name string) string { return kind + "/" + name + " in " + ns }

// ParseTarget is the inverse of Target.
func ParseTarget(target string) (kind, ns, name string, ok bool) {
	obj, ns, found := strings.Cut(target, " in ")
	kind, name, found2 := strings.Cut(obj, "/")
	if !found || !found2 || kind == "" || name == "" || ns == "" || strings.ContainsAny(ns+name, " /") {
		return "", "", "", false
	}
	return kind, ns, name, true
}

// ErrNoRolloutHistory: the deployment has no earlier revision to go back to.
var ErrNoRolloutHistory = errors.New("no rollout history found")

// UndoResult is what RolloutUndo did: from the current revision to the
// previous one.
type UndoResult struct {
	Namespace    string
	Deployment   string
	FromRevision int64
	FromImage    string // the images of the template, comma-separated
	ToRevision   int64
	ToImage      string
	Replicas     int32
	ChangeCause  string // the restored revision's kubernetes.io/change-cause, if any
	// Skipped: the deployment's template already matched the previous
	// revision, nothing was changed (kubectl: "skipped rollback").
	Skipped bool
}

// String is a one-line account, e.g.
// "deployment/api rolled back: revision 2 (api:2.14.0) → revision 1 (api:2.13.2), 3 replicas".
func (r UndoResult) String() string {
	if r.Skipped {
		return fmt.Sprintf("deployment/%s: skipped rollback (current template already matches revision %d)", r.Deployment, r.ToRevision)
	}
	return fmt.Sprintf("deployment/%s rolled back: revision %d (%s) → revision %d (%s), %d replicas",
		r.Deployment, r.FromRevision, r.FromImage, r.ToRevision, r.ToImage, r.Replicas)
}

// annotationsToSkip are the deployment annotations kubectl keeps on undo
// rather than copying them from the ReplicaSet.
var annotationsToSkip = []string{
	corev1.LastAppliedConfigAnnotation,
	RevisionAnnotation,
	"deployment.kubernetes.io/revision-history",
	"deployment.kubernetes.io/desired-replicas",
	"deployment.kubernetes.io/max-replicas",
	"deprecated.deployment.rollback.to",
}

// RolloutUndo rolls deployment ns/name back to its previous revision, as
// `kubectl rollout undo deployment/name -n ns` does: it finds the ReplicaSets
// the deployment controls, takes the previous revision's pod template (minus
// its pod-template-hash label) and its annotations (kubernetes.io/change-cause
// among them) and patches them into the deployment. The deployment
// controller then does the rollout. A paused deployment is refused, as
// kubectl refuses it.
func RolloutUndo(ctx context.Context, cs kubernetes.Interface, ns, name string) (UndoResult, error) {
	return RolloutUndoFrom(ctx, cs, ns, name, 0)
}

// ErrRevisionMoved: the deployment is no longer at the revision the user
// confirmed rolling back from; nothing was changed.
var ErrRevisionMoved = errors.New("the deployment moved to another revision since you confirmed")

// RolloutUndoFrom is RolloutUndo bound to what the user confirmed: it
// rolls back only if the deployment is still at revision from (0: no
// expectation), checked on the read and again in the patch itself (a JSON
// patch test of the revision annotation), so a second engineer's undo, or
// a deploy landing while the dialog was open, never rolls the bad release
// back out.
func RolloutUndoFrom(ctx context.Context, cs kubernetes.Interface, ns, name string, from int64) (UndoResult, error) {
	res := UndoResult{Namespace: ns, Deployment: name}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	res.Replicas = 1
	if d.Spec.Replicas != nil {
		res.Replicas = *d.Spec.Replicas
	}
	res.FromImage = Images(d.Spec.Template)
	if d.Spec.Paused {
		return res, fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/%s' and try again", name)
	}
	rss, err := ownedReplicaSets(ctx, cs, d)
	if err != nil {
		return res, fmt.Errorf("failed to retrieve replica sets from deployment %s: %w", name, err)
	}
	var latest int64 = -1
	for _, rs := range rss {
		if v, ok := Revision(&rs.ObjectMeta); ok && v > latest {
			latest = v
		}
	}
	cur, ok := Revision(&d.ObjectMeta)
	if !ok {
		cur = latest
	}
	res.FromRevision = cur
	if from > 0 && cur != from {
		return res, fmt.Errorf("deployment/%s: %w (revision %d when you confirmed, %d now); nothing changed", name, ErrRevisionMoved, from, cur)
	}
	var prev *appsv1.ReplicaSet
	var prevRev int64 = -1
	for i := range rss {
		if v, ok := Revision(&rss[i].ObjectMeta); ok && v < cur && v > prevRev {
			prev, prevRev = &rss[i], v
		}
	}
	if prev == nil {
		return res, fmt.Errorf("%w for deployment %q", ErrNoRolloutHistory, name)
	}
	res.ToRevision = prevRev
	tpl := *prev.Spec.Template.DeepCopy()
	delete(tpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	res.ToImage = Images(tpl)
	res.ChangeCause = prev.Annotations[ChangeCauseAnnotation]
	if EqualIgnoreHash(tpl, d.Spec.Template) {
		res.Skipped = true
		return res, nil
	}

	annotations := map[string]string{}
	for _, k := range annotationsToSkip {
		if v, ok := d.Annotations[k]; ok {
			annotations[k] = v
		}
	}
	for k, v := range prev.Annotations {
		if !skipped(k) {
			annotations[k] = v
		}
	}
	ops := []map[string]any{}
	if v, ok := d.Annotations[RevisionAnnotation]; ok && from > 0 {
		// The deployment must still be at the revision read above.
		ops = append(ops, map[string]any{"op": "test", "path": "/metadata/annotations/deployment.kubernetes.io~1revision", "value": v})
	}
	ops = append(ops,
		map[string]any{"op": "replace", "path": "/spec/template", "value": tpl},
		map[string]any{"op": "add", "path": "/metadata/annotations", "value": annotations})
	patch, err := json.Marshal(ops)
	if err != nil {
		return res, err
	}
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		if from > 0 && (apierrors.IsInvalid(err) || strings.Contains(err.Error(), "test operation")) {
			return res, fmt.Errorf("deployment/%s: %w (it changed between the read and the patch); nothing changed: %v", name, ErrRevisionMoved, err)
		}
		return res, fmt.Errorf("failed restoring revision %d: %w", prevRev, err)
	}
	return res, nil
}

func skipped(k string) bool {
	for _, s := range annotationsToSkip {
		if k == s {
			return true
		}
	}
	return false
}

// ownedReplicaSets lists the ReplicaSets whose controller is d (by UID when
// d has one), narrowed by d's selector.
func ownedReplicaSets(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) ([]appsv1.ReplicaSet, error) {
	opts := metav1.ListOptions{}
	if d.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return nil, err
		}
		opts.LabelSelector = sel.String()
	}
	var out []appsv1.ReplicaSet
	for {
		list, err := cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, rs := range list.Items {
			if ControlledBy(&rs.ObjectMeta, "Deployment", d.Name, d.UID) {
				out = append(out, rs)
			}
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// ControlledBy reports whether obj's controller reference is kind/name
// (and uid, when uid is set).
func ControlledBy(obj *metav1.ObjectMeta, kind, name string, uid types.UID) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.Kind == kind && ref.Name == name && (uid == "" || ref.UID == uid)
}

// Revision is obj's deployment.kubernetes.io/revision annotation.
func Revision(obj *metav1.ObjectMeta) (int64, bool) {
	v, err := strconv.ParseInt(obj.Annotations[RevisionAnnotation], 10, 64)
	return v, err == nil
}

// Images lists a pod template's container images, comma-separated.
func Images(t corev1.PodTemplateSpec) string {
	var out []string
	for _, c := range t.Spec.Containers {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

// EqualIgnoreHash reports whether two pod templates are the same but for
// the pod-template-hash label (the deployment controller's test for "this
// ReplicaSet is the deployment's current template").
func EqualIgnoreHash(a, b corev1.PodTemplateSpec) bool {
	a, b = *a.DeepCopy(), *b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return apiequality.Semantic.DeepEqual(a, b)
}
