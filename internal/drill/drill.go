// Package drill is the embedded drill: a scripted incident, run in process,
// that feeds the panes through the same probe interfaces the real backends
// implement. Kubernetes is client-go's fake clientset read by the real kube
// probe; Prometheus series and Postgres sessions are generated from the
// scenario clock. Nothing outside the process is touched.
//
// The story (times from the start of the drill):
//
//	-3m  api rolled out revision 2 (image api:2.14.0); its pods crash-loop
//	-2m  5xx ratio climbs from 0.5% towards 12%
//	 0   drill starts; the incident is declared P1
//	+5s  alert HighErrorRate fires
//	+20s agent-runtime pod OOMKilled; Postgres connections near max
//	+45s a lock chain forms behind an idle-in-transaction session
package drill

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/probes/rds"
)

// Namespace is the playbook's namespace.
const Namespace = "agent-platform"

// Title and Severity of the drill's incident.
const (
	Title    = "DRILL: API 5xx spike after api rollout"
	Severity = incident.P1
)

// Scenario is one run of the drill, anchored at Start.
type Scenario struct {
	Start time.Time
	Now   func() time.Time

	mu     sync.Mutex
	cs     *fake.Clientset
	seeded bool
}

// New starts a scenario at start, following clock now.
func New(start time.Time, now func() time.Time) *Scenario {
	return &Scenario{Start: start, Now: now, cs: fake.NewClientset()}
}

// Elapsed is scenario time since the drill started.
func (s *Scenario) Elapsed() time.Duration { return s.Now().Sub(s.Start) }

// ---- Kubernetes -------------------------------------------------------------

// Kube is the drill's kube.Probe: the real probe over the fake clientset,
// with the cluster brought up to scenario time before each read.
func (s *Scenario) Kube() kube.Probe { return kubeProbe{s: s, inner: kube.New(s.cs)} }

type kubeProbe struct {
	s     *Scenario
	inner kube.Probe
}

func (k kubeProbe) Pods(ctx context.Context, ns string) ([]kube.Pod, error) {
	if err := k.s.syncCluster(ctx); err != nil {
		return nil, err
	}
	return k.inner.Pods(ctx, ns)
}

type podSpec struct {
	name, deploy, rs string
	state            func(e time.Duration) corev1.ContainerStatus
	phase            corev1.PodPhase
	age              time.Duration
}

func running(name string) func(time.Duration) corev1.ContainerStatus {
	return func(time.Duration) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	}
}

func (s *Scenario) pods() []podSpec {
	crash := func(e time.Duration) corev1.ContainerStatus {
		// Restarts climb with kubelet's back-off as the drill goes on.
		restarts := int32(4 + max(e, 0)/(30*time.Second))
		return corev1.ContainerStatus{Name: "api", RestartCount: restarts,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}
	}
	oom := func(e time.Duration) corev1.ContainerStatus {
		if e < 20*time.Second {
			return running("agent-runtime")(e)
		}
		return corev1.ContainerStatus{Name: "agent-runtime", RestartCount: 1 + int32(e/(90*time.Second)),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}
	}
	pull := func(time.Duration) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "worker", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "worker:1.9.1-rc"`}}}
	}
	return []podSpec{
		{"api-6f9c7d5b8-2xkqp", "api", "api-6f9c7d5b8", crash, corev1.PodRunning, 3 * time.Minute},
		{"api-6f9c7d5b8-7hvzm", "api", "api-6f9c7d5b8", crash, corev1.PodRunning, 3 * time.Minute},
		{"api-6f9c7d5b8-qq4ld", "api", "api-6f9c7d5b8", crash, corev1.PodRunning, 2 * time.Minute},
		{"api-5d8b94c6f-mb2rt", "api", "api-5d8b94c6f", running("api"), corev1.PodRunning, 26 * time.Hour},
		{"agent-runtime-7b44d9c9d-5pjwn", "agent-runtime", "agent-runtime-7b44d9c9d", oom, corev1.PodRunning, 5 * time.Hour},
		{"agent-runtime-7b44d9c9d-k8s2x", "agent-runtime", "agent-runtime-7b44d9c9d", running("agent-runtime"), corev1.PodRunning, 5 * time.Hour},
		{"worker-84c5f6d7b-9wq6z", "worker", "worker-84c5f6d7b", running("worker"), corev1.PodRunning, 50 * time.Hour},
		{"worker-84c5f6d7b-tl7cd", "worker", "worker-84c5f6d7b", running("worker"), corev1.PodRunning, 50 * time.Hour},
		{"worker-59d7c8b6c-xj5fh", "worker", "worker-59d7c8b6c", pull, corev1.PodPending, 10 * time.Minute},
		{"worker-59d7c8b6c-pn3vb", "worker", "worker-59d7c8b6c", nil, corev1.PodPending, 40 * time.Second},
	}
}

// syncCluster creates the drill's objects once, then updates pod statuses
// to scenario time through the status subresource, as a kubelet would.
func (s *Scenario) syncCluster(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.Elapsed()
	ctrl := true
	pods := s.cs.CoreV1().Pods(Namespace)
	if !s.seeded {
		if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		for _, d := range []struct {
			name     string
			replicas int32
		}{{"api", 3}, {"agent-runtime", 2}, {"worker", 2}} {
			dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: d.name, Namespace: Namespace,
				Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}},
				Spec: appsv1.DeploymentSpec{Replicas: &d.replicas}}
			if _, err := s.cs.AppsV1().Deployments(Namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
				return err
			}
		}
		for _, p := range s.pods() {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: Namespace,
					CreationTimestamp: metav1.NewTime(s.Start.Add(-p.age)),
					Labels:            map[string]string{"app": p.deploy},
					OwnerReferences:   []metav1.OwnerReference{{Kind: "ReplicaSet", Name: p.rs, Controller: &ctrl, APIVersion: "apps/v1"}}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: p.deploy, Image: p.deploy + ":drill"}}},
			}
			if p.state != nil {
				pod.Spec.NodeName = "node-a"
			}
			if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				return err
			}
		}
		s.seeded = true
	}
	for _, p := range s.pods() {
		pod, err := pods.Get(ctx, p.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		pod.Status.Phase = p.phase
		pod.Status.ContainerStatuses = nil
		if p.state != nil {
			pod.Status.ContainerStatuses = []corev1.ContainerStatus{p.state(e)}
		}
		if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// ---- Prometheus ---------------------------------------------------------------

// Prom is the drill's prom.Probe: the 5xx ratio of the story, whatever the
// query (the drill has one metric).
func (s *Scenario) Prom() prom.Probe { return promProbe{s: s} }

type promProbe struct{ s *Scenario }

// ErrorRatio is the story's 5xx ratio at time t.
func (s *Scenario) ErrorRatio(t time.Time) float64 {
	rel := t.Sub(s.Start)
	base := 0.005
	switch {
	case rel < -2*time.Minute:
	case rel < -1*time.Minute:
		base += (0.12 - base) * float64(rel+2*time.Minute) / float64(time.Minute)
	default:
		base = 0.12
	}
	return math.Max(0, base*(1+0.15*noise(t)))
}

// noise is a deterministic value in [-1, 1] for a timestamp.
func noise(t time.Time) float64 {
	h := fnv.New32a()
	fmt.Fprint(h, t.Unix())
	return float64(h.Sum32()%2001)/1000 - 1
}

func (p promProbe) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]prom.Series, error) {
	if step <= 0 {
		return nil, fmt.Errorf("drill: step must be positive")
	}
	var pts []prom.Point
	for t := start.Truncate(step); !t.After(end); t = t.Add(step) {
		if t.Before(start) {
			continue
		}
		pts = append(pts, prom.Point{T: t, V: p.s.ErrorRatio(t)})
	}
	return []prom.Series{{Labels: map[string]string{"job": "api"}, Points: pts}}, ctx.Err()
}

// ---- Postgres -----------------------------------------------------------------

// PG is the drill's pg.Probe: sessions of the story at scenario time.
func (s *Scenario) PG() pg.Probe { return pgProbe{s: s} }

type pgProbe struct{ s *Scenario }

func (p pgProbe) Activity(ctx context.Context) (pg.Snapshot, error) {
	now := p.s.Now()
	e := now.Sub(p.s.Start)
	at := func(d time.Duration) time.Time { return p.s.Start.Add(d) }
	ss := []pg.Session{
		{PID: 4100, User: "api", Database: "agent_platform", App: "api", State: "idle in transaction",
			Query: "UPDATE agent_runs SET status = 'running' WHERE id = 88412", QueryStart: at(-4 * time.Minute), XactStart: at(-4 * time.Minute)},
		{PID: 4188, User: "api", Database: "agent_platform", App: "api", State: "active", WaitEvent: "Timeout:PgSleep",
			Query: "SELECT a.*, pg_sleep(30) FROM agent_runs a JOIN tool_calls t ON t.run_id = a.id WHERE a.created_at > now() - interval '7 days'", QueryStart: at(-3 * time.Minute)},
		{PID: 4213, User: "worker", Database: "agent_platform", App: "worker", State: "active",
			Query: "SELECT count(*) FROM request_logs WHERE created_at > now() - interval '1 hour' GROUP BY api_key_id", QueryStart: at(-95 * time.Second)},
	}
	if e >= 45*time.Second {
		ss = append(ss,
			pg.Session{PID: 4242, User: "api", Database: "agent_platform", App: "api", State: "active", WaitEvent: "Lock:transactionid",
				Query: "UPDATE agent_runs SET status = 'failed' WHERE id = 88412", QueryStart: at(45 * time.Second), BlockedBy: []int{4100}},
			pg.Session{PID: 4257, User: "worker", Database: "agent_platform", App: "worker", State: "active", WaitEvent: "Lock:transactionid",
				Query: "DELETE FROM agent_runs WHERE id = 88412", QueryStart: at(50 * time.Second), BlockedBy: []int{4100}},
		)
	}
	conns := 71
	if e >= 20*time.Second {
		conns = min(92+int(e/(30*time.Second)), 98)
	}
	for i := 0; i < 4; i++ {
		ss = append(ss, pg.Session{PID: 5000 + i, User: "api", Database: "agent_platform", App: "api", State: "idle", Query: "COMMIT", QueryStart: at(-time.Duration(i) * time.Second)})
	}
	return pg.Snapshot{At: now, Sessions: ss, Connections: conns, MaxConnections: 100}, ctx.Err()
}

// ---- RDS ------------------------------------------------------------------------

// InstanceID is the drill's RDS instance, the playbook's.
const InstanceID = "agent-platform-prod"

// RDS is the drill's rds.Probe.
func (s *Scenario) RDS() rds.Probe { return rdsProbe{} }

type rdsProbe struct{}

func (rdsProbe) Describe(ctx context.Context, id string) (rds.Instance, error) {
	return rds.Instance{ID: id, Status: "available", Engine: "postgres", EngineVersion: "15.8", Class: "db.r6g.xlarge",
		MultiAZ: true, AZ: "eu-west-1a", SecondaryAZ: "eu-west-1b", Endpoint: id + ".drill.internal", Port: 5432}, ctx.Err()
}

// ---- Timeline script -----------------------------------------------------------

// Scripted is an event the drill records at Start+At.
type Scripted struct {
	At    time.Duration
	Event incident.Event
}

// Script is the drill's timeline after the declaration.
func (s *Scenario) Script() []Scripted {
	ev := func(at time.Duration, kind incident.Kind, summary, detail string) Scripted {
		return Scripted{At: at, Event: incident.Event{Time: s.Start.Add(at), Actor: "drill", Kind: kind, Summary: summary, Detail: detail}}
	}
	return []Scripted{
		ev(5*time.Second, incident.KindAlert, "HighErrorRate firing: 5xx ratio 12% > 5% for 2m (api)", "alertname=HighErrorRate severity=page service=api"),
		ev(20*time.Second, incident.KindAlert, "KubePodCrashLooping: api-6f9c7d5b8-* restarting (agent-platform)", "3 pods of ReplicaSet api-6f9c7d5b8 (revision 2, image api:2.14.0)"),
		ev(25*time.Second, incident.KindAlert, "PostgresConnectionsHigh: 92/100 connections on agent-platform-prod", ""),
		ev(50*time.Second, incident.KindAlert, "PostgresLockWait: 2 sessions blocked behind pid 4100 (idle in transaction)", ""),
	}
}
