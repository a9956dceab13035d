package drill

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/rds"
)

// ---- Timeline script -----------------------------------------------------------

// Scripted is an event the drill records at Start+At. Event.ID is derived
// from the incident, the time and the event's key: the caller skips those
// already in the journal.
type Scripted struct {
	At    time.Duration
	Event incident.Event
}

// Script is the drill's timeline after the declaration of incident
// incidentID (the declared event's ID): the story's alerts and, once the
// service has been rolled back to a healthy revision, HighErrorRate
// resolving when the ratio is back at its baseline. IDs are stable: the
// same scenario and incident give the same IDs on every call and restart.
func (s *Scenario) Script(incidentID string) []Scripted {
	var out []Scripted
	for _, a := range s.story.Alerts {
		out = append(out, s.alert(incidentID, a.Key, a.At, a, "firing"))
	}
	s.mu.Lock()
	changes := append([]healthChange(nil), s.health...)
	s.mu.Unlock()
	if n := len(changes); n > 0 && changes[n-1].healthy {
		for _, a := range s.story.Alerts {
			if a.Name == "HighErrorRate" {
				at := changes[n-1].at.Add(s.story.Traffic.Recovery).Sub(s.Start)
				r := a
				r.Summary = fmt.Sprintf("HighErrorRate resolved: 5xx ratio back under 1%% (%s)", s.story.Service)
				r.Detail = ""
				ev := s.alert(incidentID, a.Key+"/resolved/"+strconv.FormatInt(at.Milliseconds(), 10), at, r, "resolved")
				// One firing, one resolution: the ID is derived from when it
				// fired, as the error-rate pane derives it when it sees the
				// alert gone, so the two record one event.
				ev.Event.ID = incident.ResolvedID(incident.AlertEventID(incidentID, a.Name, ev.Event.Alert.Labels, "firing", s.Start.Add(a.At)))
				out = append(out, ev)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

func (s *Scenario) alert(incidentID, key string, at time.Duration, a Alert, state string) Scripted {
	t := s.Start.Add(at)
	labels := map[string]string{}
	for k, v := range a.Labels {
		labels[k] = v
	}
	return Scripted{At: at, Event: incident.Event{
		ID: incident.AlertEventID(incidentID, a.Name, labels, state, t), Time: t, Actor: "drill", Kind: incident.KindAlert,
		Summary: a.Summary, Detail: a.Detail,
		Alert: &incident.AlertFields{Name: a.Name, State: state, Labels: labels},
	}}
}

// ---- Actions ---------------------------------------------------------------------

// The ops of the drill's actions (incident.ActionFields.Op). Replay
// re-applies finished ones found in a journal.
const (
	OpRolloutUndo    = kube.OpRolloutUndo    // Target: KubeTarget("deployment", ns, name)
	OpRolloutRestart = kube.OpRolloutRestart // Target: KubeTarget("deployment", ns, name)
	OpScale          = kube.OpScale          // Target: KubeTarget("deployment", ns, name); Lines: … --replicas=N
	OpDeletePod      = kube.OpDeletePod      // Target: KubeTarget("pod", ns, name)
	OpTerminate      = pg.OpTerminate        // Target: PIDTarget(pid)
	OpCancel         = pg.OpCancel           // Target: PIDTarget(pid), or several
	OpFailover       = rds.OpFailover        // Target: "rds <instance>"
)

// KubeTarget is an action's target for a namespaced object, e.g.
// "deployment/api in agent-platform".
func KubeTarget(kind, ns, name string) string { return kube.Target(kind, ns, name) }

// ParseKubeTarget is the inverse of KubeTarget.
func ParseKubeTarget(target string) (kind, ns, name string, ok bool) { return kube.ParseTarget(target) }

// PIDTarget is the Target of a backend signal action: "pid 4100", or
// "pids 4100, 4242" for several (pg.PIDsText).
func PIDTarget(pids ...int) string { return pg.PIDsText(pids...) }

// ParsePIDTarget is the inverse of PIDTarget.
func ParsePIDTarget(target string) ([]int, bool) { return pg.ParsePIDsText(target) }

// Replay re-applies the drill actions a journal records as done — events
// of kind action, phase finished (only executed actions finish), without
// error, not cancelled, whose Op is one of the drill's — at their recorded times, in time
// order, so a restarted drill shows the story as it was left. Actions
// whose target does not parse, or that fail now, are skipped: the journal
// already says what happened then.
func (s *Scenario) Replay(events []incident.Event) {
	var acts []incident.Event
	for _, ev := range events {
		a := ev.Action
		if ev.Kind != incident.KindAction || a == nil || a.Phase != incident.PhaseFinished ||
			a.Error != "" || a.Cancelled {
			continue
		}
		acts = append(acts, ev)
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].Time.Before(acts[j].Time) })
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range acts {
		switch a := ev.Action; a.Op {
		case OpRolloutUndo:
			if kind, ns, name, ok := ParseKubeTarget(a.Target); ok && kind == "deployment" {
				_, _ = s.rolloutUndoAt(ctx, ns, name, 0, ev.Time)
			}
		case OpRolloutRestart:
			if kind, ns, name, ok := ParseKubeTarget(a.Target); ok && kind == "deployment" {
				_, _ = s.restartAt(ctx, ns, name, ev.Time)
			}
		case OpScale:
			n, okn := replicasOf(a.Lines)
			if kind, ns, name, ok := ParseKubeTarget(a.Target); ok && okn && kind == "deployment" {
				_, _ = s.scaleAt(ctx, ns, name, -1, n, ev.Time)
			}
		case OpDeletePod:
			if kind, ns, name, ok := ParseKubeTarget(a.Target); ok && kind == "pod" {
				_, _ = s.deleteAt(ctx, ns, name, "", ev.Time)
			}
		case OpTerminate, OpCancel:
			// The same statement again, at the same time, with the same
			// re-check: what did not match then does not now.
			sig := pg.Terminate
			if a.Op == OpCancel {
				sig = pg.Cancel
			}
			pids, _ := ParsePIDTarget(a.Target)
			older := olderThanOf(a.Lines)
			for _, pid := range pids {
				s.signalAt(sig, pg.Target{PID: pid, OlderThan: older}, ev.Time)
			}
		case OpFailover:
			if a.Target == "rds "+InstanceID {
				s.failoverAt(ev.Time)
			}
		}
	}
}

// olderThanOf is the "query older than D" of a signal action's lines
// (the pane writes it there, per pid); 0 if none.
func olderThanOf(lines []string) time.Duration {
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "query older than "); ok {
			if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil {
				return d
			}
		}
	}
	return 0
}

// OnCall is p with the contacts it does not know filled in with the
// drill's cast: the playbook's placeholders ("Engineer A"), marked as the
// drill's, so the drill shows whom each rung pages. Contacts p knows (from
// the config) are kept; p is not modified.
func OnCall(p incident.Policy) incident.Policy {
	cast := map[string][2]string{
		"platform":       {"Engineer A", "Engineer B"},
		"infrastructure": {"SRE A", "SRE B"},
		"security":       {"Security Lead", "Security Engineer"},
	}
	q := p
	q.Teams = append([]incident.Team(nil), p.Teams...)
	for i, t := range q.Teams {
		names, ok := cast[strings.ToLower(strings.TrimSpace(t.Name))]
		if !ok {
			names = [2]string{t.Name + " primary", t.Name + " secondary"}
		}
		if !t.Primary.Known() {
			q.Teams[i].Primary = incident.Contact{Name: names[0]}
		}
		if !t.Secondary.Known() {
			q.Teams[i].Secondary = incident.Contact{Name: names[1]}
		}
	}
	q.Ladder = append([]incident.Rung(nil), p.Ladder...)
	for i, r := range q.Ladder {
		if r.Rotation == "" && !r.Contact.Known() {
			q.Ladder[i].Contact = incident.Contact{Name: r.Role + " (drill)"}
		}
	}
	return q
}
