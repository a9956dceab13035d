package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The machine names of the other write actions on the timeline
// (incident.ActionFields.Op), beside OpRolloutUndo.
const (
	OpRolloutRestart = "kube.rollout-restart"
	OpScale          = "kube.scale"
	OpDeletePod      = "kube.delete-pod"
)

// RestartedAtAnnotation is the pod template annotation `kubectl rollout
// restart` sets: changing the template is what makes the deployment
// controller roll every pod.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// RestartResult is what RolloutRestart did.
type RestartResult struct {
	Namespace  string
	Deployment string
	Replicas   int32 // spec.replicas when restarted: how many pods will roll
	// RestartedAt is the time written into the template annotation, to the
	// second (RFC 3339), as kubectl writes it.
	RestartedAt time.Time
}

// String is a one-line account, e.g.
// "deployment/api restarted: 5 replicas will roll".
func (r RestartResult) String() string {
	switch r.Replicas {
	case 0:
		return fmt.Sprintf("deployment/%s restarted: scaled to 0, no pods to roll", r.Deployment)
	case 1:
		return fmt.Sprintf("deployment/%s restarted: 1 replica will roll", r.Deployment)
	}
	return fmt.Sprintf("deployment/%s restarted: %d replicas will roll", r.Deployment, r.Replicas)
}

// RolloutRestart restarts deployment ns/name as `kubectl rollout restart
// deployment/name -n ns` does: a strategic-merge patch setting the pod
// template's kubectl.kubernetes.io/restartedAt annotation to now (RFC 3339,
// in now's zone, to the second); the deployment controller then rolls
// every pod. Like kubectl it refuses a paused deployment, and refuses a
// second restart within the same second (the patch would change nothing).
func RolloutRestart(ctx context.Context, cs kubernetes.Interface, ns, name string, now time.Time) (RestartResult, error) {
	res := RestartResult{Namespace: ns, Deployment: name}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	res.Replicas = 1
	if d.Spec.Replicas != nil {
		res.Replicas = *d.Spec.Replicas
	}
	if d.Spec.Paused {
		// kubectl's words (polymorphichelpers.defaultObjectRestarter).
		return res, errors.New("can't restart paused deployment (run rollout resume first)")
	}
	stamp := now.Format(time.RFC3339)
	if d.Spec.Template.Annotations[RestartedAtAnnotation] == stamp {
		// kubectl computes an empty patch here and says so in these words.
		return res, fmt.Errorf("failed to create patch for %s: if restart has already been triggered within the past second, please wait before attempting to trigger another", name)
	}
	res.RestartedAt, _ = time.Parse(time.RFC3339, stamp)
	// The patch kubectl's two-way strategic merge computes for this change.
	patch, err := json.Marshal(map[string]any{
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
			"annotations": map[string]string{RestartedAtAnnotation: stamp},
		}}},
	})
	if err != nil {
		return res, err
	}
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return res, fmt.Errorf("failed to patch: %w", err)
	}
	return res, nil
}

// ScaleResult is what Scale did.
type ScaleResult struct {
	Namespace  string
	Deployment string
	From, To   int32
}

// String is a one-line account, e.g. "deployment/api scaled 5 → 3".
func (r ScaleResult) String() string {
	if r.From == r.To {
		return fmt.Sprintf("deployment/%s already at %d replicas", r.Deployment, r.To)
	}
	return fmt.Sprintf("deployment/%s scaled %d → %d", r.Deployment, r.From, r.To)
}

// ErrScaledMeanwhile: the deployment's replica count changed between the
// read and the write of a Scale (the write was refused with a conflict);
// nothing was written.
var ErrScaledMeanwhile = errors.New("replica count changed meanwhile")

// Scale sets deployment ns/name's replicas through its scale subresource.
// The scale read carries the deployment's resourceVersion and the update
// sends it back as a precondition, so a concurrent write fails with a
// conflict instead of being overwritten. A conflict caused by something
// other than the replica count (the controller writing status, a label) is
// retried on a fresh read; if the count itself changed, Scale gives up with
// ErrScaledMeanwhile and the other writer's value stands. Negative counts
// are refused before anything is sent.
func Scale(ctx context.Context, cs kubernetes.Interface, ns, name string, replicas int32) (ScaleResult, error) {
	return ScaleFrom(ctx, cs, ns, name, -1, replicas)
}

// ScaleFrom is Scale with the count the user saw: if the deployment's
// replicas are no longer from (an autoscaler or a colleague moved them
// while the dialog was open), nothing is written and the error says so.
// from < 0 means no expectation.
func ScaleFrom(ctx context.Context, cs kubernetes.Interface, ns, name string, from, replicas int32) (ScaleResult, error) {
	res := ScaleResult{Namespace: ns, Deployment: name, To: replicas}
	if replicas < 0 {
		return res, fmt.Errorf("cannot scale deployment/%s to %d replicas: the count must be 0 or more", name, replicas)
	}
	deployments := cs.AppsV1().Deployments(ns)
	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := deployments.GetScale(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if first && from >= 0 && s.Spec.Replicas != from {
			res.From = s.Spec.Replicas
			return fmt.Errorf("deployment/%s: %w (%d when you confirmed, %d now) while scaling to %d; nothing changed",
				name, ErrScaledMeanwhile, from, s.Spec.Replicas, replicas)
		}
		if first {
			res.From, first = s.Spec.Replicas, false
		} else if s.Spec.Replicas != res.From {
			return fmt.Errorf("deployment/%s: %w (%d → %d by someone else) while scaling to %d; nothing changed",
				name, ErrScaledMeanwhile, res.From, s.Spec.Replicas, replicas)
		}
		if s.Spec.Replicas == replicas {
			return nil
		}
		up := &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, ResourceVersion: s.ResourceVersion, UID: s.UID},
			Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
		}
		if up.ResourceVersion == "" {
			return fmt.Errorf("deployment/%s: the scale read has no resourceVersion to make the update conditional", name)
		}
		_, err = deployments.UpdateScale(ctx, name, up, metav1.UpdateOptions{})
		return err
	})
	return res, err
}

// DeleteResult is what DeletePod did.
type DeleteResult struct {
	Namespace string
	Pod       string
	// Owner is the pod's controller, "ReplicaSet/api-7d9f8c6b5"; "" for a
	// bare pod, which nothing brings back.
	Owner string
	// GracePeriod is the pod's terminationGracePeriodSeconds: how long its
	// containers get to stop.
	GracePeriod int64
}

// String is a one-line account, e.g. "pod/api-7d9f8c6b5-x2k4q deleted
// (grace 30s): ReplicaSet/api-7d9f8c6b5 will replace it".
func (r DeleteResult) String() string {
	head := fmt.Sprintf("pod/%s deleted (grace %ds)", r.Pod, r.GracePeriod)
	if r.Owner == "" {
		return head + ": no controller, nothing will replace it"
	}
	return head + ": " + r.Owner + " will replace it"
}

// DeletePod deletes pod ns/name with its default grace period, as `kubectl
// delete pod name -n ns` does. The delete is conditional on the UID read
// first, so what it reports (the owner, the grace period) is about the pod
// it deleted, not a namesake created meanwhile (a StatefulSet's).
func DeletePod(ctx context.Context, cs kubernetes.Interface, ns, name string) (DeleteResult, error) {
	return DeletePodUID(ctx, cs, ns, name, "")
}

// DeletePodUID is DeletePod of the very pod the user chose: if pod ns/name
// is now another pod (a StatefulSet's namesake), nothing is deleted. uid
// "" means no expectation.
func DeletePodUID(ctx context.Context, cs kubernetes.Interface, ns, name string, uid types.UID) (DeleteResult, error) {
	res := DeleteResult{Namespace: ns, Pod: name, GracePeriod: corev1.DefaultTerminationGracePeriodSeconds}
	pods := cs.CoreV1().Pods(ns)
	p, err := pods.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	if uid != "" && p.UID != uid {
		return res, fmt.Errorf("pod/%s is not the pod you chose: it was replaced by a namesake (uid %s, was %s); nothing deleted", name, p.UID, uid)
	}
	if ref := metav1.GetControllerOfNoCopy(p); ref != nil {
		res.Owner = ref.Kind + "/" + ref.Name
	}
	if p.Spec.TerminationGracePeriodSeconds != nil {
		res.GracePeriod = *p.Spec.TerminationGracePeriodSeconds
	}
	opts := metav1.DeleteOptions{}
	if p.UID != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &p.UID}
	}
	if err := pods.Delete(ctx, name, opts); err != nil {
		if apierrors.IsConflict(err) {
			return res, fmt.Errorf("pod/%s was replaced by a namesake before it could be deleted; nothing deleted: %w", name, err)
		}
		return res, err
	}
	return res, nil
}
