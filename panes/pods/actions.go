package pods

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
)

// act builds the action for key k on pod p (or its deployment) and hands
// it to the shell, which confirms, gates, runs and records it. p is the
// pod as the user saw it: the action is bound to it (its UID, the
// deployment's revision and replica count), so what runs is what was
// confirmed or nothing.
func (m *Model) act(k tea.KeyMsg, p kube.Pod) tea.Cmd {
	if key.Matches(k, m.keys.Delete) {
		return common.Do(m.deleteAction(p))
	}
	d, ok := m.deploymentNamed(p.Namespace, p.Deployment)
	if !ok {
		return common.Flash("pod "+sanitize.Line(p.Name)+" belongs to no deployment the watch knows (no ReplicaSet of a Deployment owns it)", true)
	}
	switch {
	case key.Matches(k, m.keys.Undo):
		return common.Do(m.undoAction(d))
	case key.Matches(k, m.keys.Restart):
		return common.Do(m.restartAction(d))
	case key.Matches(k, m.keys.Scale):
		return m.scaleInput(d)
	}
	return nil
}

// undoAction is `kubectl rollout undo` of d; its impact line names both
// revisions and images as the watch sees them.
func (m *Model) undoAction(d kube.Deployment) common.Action {
	probe, ns, name, from := m.probe, d.Namespace, d.Name, d.Revision
	impact := fmt.Sprintf("deployment/%s in %s: ", name, ns)
	cur, okc := d.Current()
	prev, okp := d.Previous()
	switch {
	case okc && okp:
		impact += fmt.Sprintf("revision %d (%s) → %d (%s), %d replicas will roll", cur.Revision, cur.Image, prev.Revision, prev.Image, d.Replicas)
	case okp:
		impact += fmt.Sprintf("revision %d → %d (%s), %d replicas will roll", d.Revision, prev.Revision, prev.Image, d.Replicas)
	default:
		impact += "no earlier revision is known: the API server will say whether there is one"
	}
	if prev.ChangeCause != "" {
		impact += " · change-cause: " + prev.ChangeCause
	}
	return common.Action{
		Title:       "Roll back deployment/" + name + " to its previous revision",
		Kind:        incident.ActionKube,
		Op:          kube.OpRolloutUndo,
		Lines:       []string{"kubectl rollout undo deployment/" + name + " -n " + ns},
		Target:      kube.Target("deployment", ns, name),
		Impact:      []string{impact},
		Destructive: true,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			res, err := probe.RolloutUndo(ctx, ns, name, from)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: res.String()}
		},
	}
}

func (m *Model) restartAction(d kube.Deployment) common.Action {
	probe, ns, name := m.probe, d.Namespace, d.Name
	return common.Action{
		Title:       "Restart deployment/" + name,
		Kind:        incident.ActionKube,
		Op:          kube.OpRolloutRestart,
		Lines:       []string{"kubectl rollout restart deployment/" + name + " -n " + ns},
		Target:      kube.Target("deployment", ns, name),
		Impact:      []string{fmt.Sprintf("deployment/%s in %s: all %d replicas will roll (revision %d, %s)", name, ns, d.Replicas, d.Revision, d.Image)},
		Destructive: true,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			res, err := probe.RolloutRestart(ctx, ns, name)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: res.String()}
		},
	}
}

// MaxReplicas bounds what the scale dialog takes: a typo of 500 for 5
// must not be one keystroke from a 100-fold scale-up.
const MaxReplicas = 1000

// scaleInput asks for the replica count (the current one prefilled), then
// hands the scale action to the shell.
func (m *Model) scaleInput(d kube.Deployment) tea.Cmd {
	return common.Input(common.InputRequest{
		Title: fmt.Sprintf("Scale deployment/%s in %s (now %d replicas)", d.Name, d.Namespace, d.Replicas),
		Fields: []common.Field{{Name: "replicas", Label: "Replicas", Default: strconv.Itoa(int(d.Replicas)), MaxLen: 4,
			Validate: func(s string) error { _, err := parseReplicas(s); return err }}},
		OnSubmit: func(v map[string]string) tea.Cmd {
			n, err := parseReplicas(v["replicas"])
			if err != nil {
				return common.Flash(err.Error(), true)
			}
			return common.Do(m.scaleAction(d, n))
		},
	})
}

func parseReplicas(s string) (int32, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > MaxReplicas {
		return 0, fmt.Errorf("replicas: a whole number from 0 to %d", MaxReplicas)
	}
	return int32(n), nil
}

func (m *Model) scaleAction(d kube.Deployment, n int32) common.Action {
	probe, ns, name, from := m.probe, d.Namespace, d.Name, d.Replicas
	impact := fmt.Sprintf("deployment/%s in %s: %d → %d replicas", name, ns, d.Replicas, n)
	switch {
	case n == 0:
		impact += " · ALL its pods will be deleted: the service stops"
	case n < d.Replicas:
		impact += fmt.Sprintf(" · %d pods will be deleted", d.Replicas-n)
	case n > d.Replicas:
		impact += fmt.Sprintf(" · %d pods will be created", n-d.Replicas)
	}
	return common.Action{
		Title:       fmt.Sprintf("Scale deployment/%s to %d", name, n),
		Kind:        incident.ActionKube,
		Op:          kube.OpScale,
		Lines:       []string{fmt.Sprintf("kubectl scale deployment/%s -n %s --replicas=%d", name, ns, n)},
		Target:      kube.Target("deployment", ns, name),
		Impact:      []string{impact},
		Destructive: n < d.Replicas,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			res, err := probe.Scale(ctx, ns, name, from, n)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: res.String()}
		},
	}
}

func (m *Model) deleteAction(p kube.Pod) common.Action {
	probe, ns, name, uid := m.probe, p.Namespace, p.Name, p.UID
	impact := fmt.Sprintf("pod/%s in %s will be deleted", name, ns)
	if d, ok := m.deploymentNamed(ns, p.Deployment); ok {
		impact += fmt.Sprintf("; deployment/%s will create a replacement (%d/%d ready now)", d.Name, d.Ready, d.Replicas)
	} else if p.Owner != "" {
		impact += "; its controller " + p.Owner + " should replace it"
	} else {
		impact += "; it has no controller: nothing will replace it"
	}
	return common.Action{
		Title:       "Delete pod/" + name,
		Kind:        incident.ActionKube,
		Op:          kube.OpDeletePod,
		Lines:       []string{"kubectl delete pod/" + name + " -n " + ns},
		Target:      kube.Target("pod", ns, name),
		Impact:      []string{impact},
		Destructive: true,
		Timeout:     30 * time.Second,
		Tag:         tag,
		Run: func(ctx context.Context, _ func(string)) common.Outcome {
			res, err := probe.DeletePod(ctx, ns, name, uid)
			if err != nil {
				return common.Outcome{Err: err}
			}
			return common.Outcome{Result: res.String()}
		},
	}
}

// Offers puts the actions on the selected pod's deployment in the command
// palette.
func (m *Model) Offers() []common.Offer {
	if m.probe == nil {
		return nil
	}
	p, ok := m.target()
	if !ok {
		return nil
	}
	var out []common.Offer
	if d, ok := m.deploymentNamed(p.Namespace, p.Deployment); ok {
		u, r := m.undoAction(d), m.restartAction(d)
		out = append(out,
			common.Offer{Name: u.Title, Key: m.keys.Undo.Help().Key, Cmd: common.Do(u)},
			common.Offer{Name: r.Title, Key: m.keys.Restart.Help().Key, Cmd: common.Do(r)},
			common.Offer{Name: "Scale deployment/" + d.Name, Key: m.keys.Scale.Help().Key, Cmd: m.scaleInput(d)})
	}
	del := m.deleteAction(p)
	return append(out, common.Offer{Name: del.Title, Key: m.keys.Delete.Help().Key, Cmd: common.Do(del)})
}
