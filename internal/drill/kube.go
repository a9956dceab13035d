package drill

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
)

// Kube is the drill's kube.Probe: the real probe code (watch, rollout
// undo, restart, scale, delete) over the fake clientset, with the drill's
// kubelet and controllers behind it: pod statuses follow the scenario
// clock, and the actions' effects (new pods, a rollback) are applied as
// the controllers would.
func (s *Scenario) Kube() *KubeProbe { return &KubeProbe{s: s} }

// KubeProbe is the drill's kube.Probe (see Scenario.Kube).
type KubeProbe struct{ s *Scenario }

var _ kube.Probe = (*KubeProbe)(nil)

// SyncEvery is how often, in wall time, a watched drill brings its cluster
// to scenario time (statuses change through the watch, as a kubelet's do).
const SyncEvery = 500 * time.Millisecond

// Pods lists the pods once, at scenario time (tests and the sandbox).
func (k *KubeProbe) Pods(ctx context.Context, ns string) ([]kube.Pod, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	if err := k.s.syncCluster(ctx, k.s.Now()); err != nil {
		return nil, err
	}
	return kube.New(k.s.cs).Pods(ctx, ns)
}

// Sync brings the drill's cluster to scenario time now.
func (k *KubeProbe) Sync(ctx context.Context) error {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	return k.s.syncCluster(ctx, k.s.Now())
}

// Watch seeds the cluster, keeps it at scenario time every SyncEvery, and
// watches it with the real watch code until ctx is done.
func (k *KubeProbe) Watch(ctx context.Context, namespaces []string) *kube.Watch {
	_ = k.Sync(ctx) // an error here shows again on the next sync
	go func() {
		t := time.NewTicker(SyncEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = k.Sync(ctx)
			}
		}
	}()
	return kube.StartWatch(ctx, k.s.cs, kube.WatchOptions{Namespaces: namespaces, Now: k.s.Now})
}

func (k *KubeProbe) RolloutUndo(ctx context.Context, ns, name string, from int64) (kube.UndoResult, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	return k.s.rolloutUndoAt(ctx, ns, name, from, k.s.Now())
}

// RolloutRestart is kubectl rollout restart on the drill's cluster; the
// drill's controller rolls new pods of the same revision.
func (k *KubeProbe) RolloutRestart(ctx context.Context, ns, name string) (kube.RestartResult, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	return k.s.restartAt(ctx, ns, name, k.s.Now())
}

func (s *Scenario) restartAt(ctx context.Context, ns, name string, at time.Time) (kube.RestartResult, error) {
	if err := s.syncCluster(ctx, at); err != nil {
		return kube.RestartResult{Namespace: ns, Deployment: name}, err
	}
	res, err := kube.RolloutRestart(ctx, s.cs, ns, name, at)
	if err != nil {
		return res, err
	}
	if err := s.rollOver(ctx, ns, name, at); err != nil {
		return res, fmt.Errorf("drill controller: %w", err)
	}
	return res, s.syncCluster(ctx, at)
}

// Scale sets the deployment's replicas; the drill's controller creates or
// deletes pods to match. (The fake clientset serves no scale subresource,
// so the drill writes spec.replicas as the scale subresource would.)
func (k *KubeProbe) Scale(ctx context.Context, ns, name string, from, replicas int32) (kube.ScaleResult, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	return k.s.scaleAt(ctx, ns, name, from, replicas, k.s.Now())
}

func (s *Scenario) scaleAt(ctx context.Context, ns, name string, from, replicas int32, at time.Time) (kube.ScaleResult, error) {
	res := kube.ScaleResult{Namespace: ns, Deployment: name, To: replicas}
	if replicas < 0 {
		return res, fmt.Errorf("replicas must be 0 or more, not %d", replicas)
	}
	if err := s.syncCluster(ctx, at); err != nil {
		return res, err
	}
	deps := s.cs.AppsV1().Deployments(ns)
	d, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	res.From = 1
	if d.Spec.Replicas != nil {
		res.From = *d.Spec.Replicas
	}
	if from >= 0 && res.From != from {
		return res, fmt.Errorf("deployment/%s: %w (%d when you confirmed, %d now); nothing changed", name, kube.ErrScaledMeanwhile, from, res.From)
	}
	d.Spec.Replicas = &replicas
	if _, err := deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		return res, err
	}
	if err := s.rollOver(ctx, ns, name, at); err != nil {
		return res, fmt.Errorf("drill controller: %w", err)
	}
	return res, s.syncCluster(ctx, at)
}

// DeletePod deletes a pod; the drill's ReplicaSet controller replaces it.
func (k *KubeProbe) DeletePod(ctx context.Context, ns, name string, uid types.UID) (kube.DeleteResult, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	return k.s.deleteAt(ctx, ns, name, uid, k.s.Now())
}

func (s *Scenario) deleteAt(ctx context.Context, ns, name string, uid types.UID, at time.Time) (kube.DeleteResult, error) {
	if err := s.syncCluster(ctx, at); err != nil {
		return kube.DeleteResult{Namespace: ns, Pod: name}, err
	}
	res, err := kube.DeletePodUID(ctx, s.cs, ns, name, uid)
	if err != nil {
		return res, err
	}
	delete(s.pods, name)
	delete(s.written, name)
	if kind, rs, ok := strings.Cut(res.Owner, "/"); ok && kind == "ReplicaSet" {
		if i := strings.LastIndexByte(rs, '-'); i > 0 {
			if err := s.rollOver(ctx, ns, rs[:i], at); err != nil {
				return res, fmt.Errorf("drill controller: %w", err)
			}
		}
	}
	return res, s.syncCluster(ctx, at)
}

// replicasOf reads --replicas=N from a recorded scale command.
func replicasOf(lines []string) (int32, bool) {
	for _, l := range lines {
		for _, f := range strings.Fields(l) {
			if v, ok := strings.CutPrefix(f, "--replicas="); ok {
				n, err := strconv.ParseInt(v, 10, 32)
				return int32(n), err == nil && n >= 0
			}
		}
	}
	return 0, false
}

// Logs writes the drill's log of a pod's container: what its revision's
// process printed. A crash-looping api pod's previous container says why
// it crashed; followed, a running pod goes on logging requests.
func (k *KubeProbe) Logs(ctx context.Context, req kube.LogRequest, out *probes.Stream[probes.Lines]) error {
	k.s.mu.Lock()
	p, ok := k.s.pods[req.Pod]
	now := k.s.Now()
	k.s.mu.Unlock()
	if !ok || req.Namespace != k.s.story.Namespace {
		return fmt.Errorf("pods %q not found", req.Pod)
	}
	lines, err := drillLog(p, req, now)
	if err != nil {
		return err
	}
	if n := int(req.TailLines); n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out.Publish(probes.Lines{Lines: lines})
	if !req.Follow || p.fate != Running {
		return nil
	}
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			out.Publish(probes.Lines{Lines: []string{requestLine(k.s.Now(), i)}})
		}
	}
}

func requestLine(at time.Time, i int) string {
	paths := []string{"/v1/agents/run", "/v1/runs/88412", "/v1/tools/call", "/v1/agents"}
	return fmt.Sprintf("%s INFO request method=POST path=%s status=200 duration=%dms", at.UTC().Format(time.RFC3339), paths[i%len(paths)], 12+i%37)
}

// drillLog is the log a container of pod p has at now.
func drillLog(p podState, req kube.LogRequest, now time.Time) ([]string, error) {
	ts := func(d time.Duration) string { return p.created.Add(d).UTC().Format(time.RFC3339) }
	switch p.fate {
	case CrashLoopBackOff:
		if now.Before(p.from) {
			break
		}
		// Every run of the container prints the same start-up and crash;
		// current and previous differ only in when.
		return []string{
			ts(0) + " INFO api " + strings.TrimPrefix(p.image, "api:") + " starting (GOMAXPROCS=2)",
			ts(time.Second) + " INFO config loaded from /etc/api/config.yaml",
			ts(time.Second) + " INFO connecting to postgres agent-platform-prod:5432 pool=50",
			ts(2*time.Second) + " INFO running migrations: schema at 41, want 42",
			ts(3*time.Second) + ` ERROR migration 0042_agent_runs_tool_index: ERROR: column "tool_call_id" does not exist (SQLSTATE 42703)`,
			ts(3*time.Second) + " FATAL startup failed: migrations: 0042_agent_runs_tool_index failed; refusing to serve with schema 41",
			"goroutine 1 [running]:",
			"main.main()",
			"\t/src/cmd/api/main.go:88 +0x1c5",
			"exit status 1",
		}, nil
	case OOMKilled:
		if now.Before(p.from) {
			break
		}
		if !req.Previous {
			return []string{ts(0) + " INFO agent-runtime starting (memory limit 768Mi)", ts(time.Second) + " INFO worker pool ready: 16 slots"}, nil
		}
		return []string{
			ts(0) + " INFO agent-runtime starting (memory limit 768Mi)",
			ts(time.Second) + " INFO worker pool ready: 16 slots",
			ts(time.Minute) + " WARN heap 512Mi of 768Mi: tool-call results cached for run 88412 (41,230 items)",
			ts(2*time.Minute) + " WARN heap 701Mi of 768Mi: GC cannot keep up",
			"(the container was OOMKilled here: the kernel ends it without a last word)",
		}, nil
	case ImagePullBackOff, Pending:
		return nil, fmt.Errorf("container %q in pod is waiting to start: %s", req.Container, p.fate)
	}
	if req.Previous {
		return nil, fmt.Errorf("previous terminated container %q not found", req.Container)
	}
	var out []string
	for i := 0; i < 12; i++ {
		out = append(out, requestLine(now.Add(time.Duration(i-12)*5*time.Second), i))
	}
	return out, nil
}
