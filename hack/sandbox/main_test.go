package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
)

// The templates say in annotations what kwok's fault stages act on, keep
// the story's images, and pin the revision with an unschedulable pod so
// that exactly the story's scheduled pods find a node.
func TestTemplatesAreTheStory(t *testing.T) {
	st := drill.NewStory()
	nodes := []string{"kwok-node-0", "kwok-node-1", "kwok-node-2"}
	seen := map[string]bool{}
	for _, d := range st.Deployments {
		for _, r := range d.Revisions {
			tpl := template(d, r, "sched", 0, nodes)
			c := tpl.Spec.Containers[0]
			if c.Image != r.Image || c.Name != d.Name || tpl.Spec.SchedulerName != "sched" || c.Resources.Limits.Memory().String() != r.Memory {
				t.Errorf("%s revision %d: template %+v", d.Name, r.Number, tpl.Spec)
			}
			if got, want := tpl.Annotations[faultAnnotation], faults[r.Fate]; got != want {
				t.Errorf("%s revision %d (%s): fault %q, want %q", d.Name, r.Number, r.Fate, got, want)
			}
			seen[tpl.Annotations[faultAnnotation]] = true
			pending := slices.ContainsFunc(r.Pods, func(p drill.PodFate) bool { return p.Fate == drill.Pending })
			if a := tpl.Spec.Affinity; pending != (a != nil) {
				t.Errorf("%s revision %d: pending pods %v, affinity %+v", d.Name, r.Number, pending, a)
			} else if pending {
				pin := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values
				if len(pin) != len(r.Pods)-1 || a.PodAntiAffinity == nil {
					t.Errorf("%s revision %d: pinned to %v for %d pods, one of them Pending", d.Name, r.Number, pin, len(r.Pods))
				}
			}
		}
	}
	for _, f := range []string{"crashloop", "imagepull"} {
		if !seen[f] {
			t.Errorf("no revision of the story is %s", f)
		}
	}
	if tpl := template(st.Deployments[0], st.Deployments[0].Current(), "s", 3, nodes); tpl.Annotations[backoffAnnotation] != "3" {
		t.Errorf("back-off annotation: %v", tpl.Annotations)
	}
}

// A stuck rollout keeps maxUnavailable+maxSurge new pods and
// replicas-maxUnavailable old ones (the deployment controller's steady
// state): the strategy must give the story's counts.
func TestStrategyStopsWhereTheStoryIs(t *testing.T) {
	for _, d := range drill.NewStory().Deployments {
		s := strategy(d)
		cur := d.Current()
		if cur.Healthy() {
			if s.RollingUpdate != nil {
				t.Errorf("%s: a healthy rollout gets the default strategy, not %+v", d.Name, s.RollingUpdate)
			}
			continue
		}
		u, g := int32(s.RollingUpdate.MaxUnavailable.IntValue()), int32(s.RollingUpdate.MaxSurge.IntValue())
		oldPods, newPods := d.Replicas-u, min(u+g, d.Replicas)
		if want := int32(len(d.Revisions[len(d.Revisions)-2].Pods)); oldPods != want {
			t.Errorf("%s: %d pods of the previous revision stay, the story has %d", d.Name, oldPods, want)
		}
		if want := int32(len(cur.Pods)); newPods != want {
			t.Errorf("%s: %d pods of the current revision, the story has %d", d.Name, newPods, want)
		}
	}
}

func TestLogsAreCRI(t *testing.T) {
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lines := logLines("api", "api:2.14.0", "crashloop", false)
	out := strings.Split(strings.TrimSuffix(string(criLog(end, lines)), "\n"), "\n")
	if len(out) != len(lines) {
		t.Fatalf("%d lines for %d", len(out), len(lines))
	}
	for i, l := range out {
		ts, rest, _ := strings.Cut(l, " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !strings.HasSuffix(rest, " F "+lines[i]) {
			t.Errorf("line %d %q: %v", i, l, err)
		}
		if i == len(out)-1 && !at.Equal(end) {
			t.Errorf("last line at %s, want %s", at, end)
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), "panic:") {
		t.Error("the crash loop's log does not end in its panic")
	}
}

// TestPostgresStagesTheStory stages the story's sessions on a real
// PostgreSQL (make test) and checks them through the console's pg probe.
func TestPostgresStagesTheStory(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := &pgStage{adminDSN: dsn, delay: func(time.Duration) time.Duration { return 0 }}
	t.Cleanup(p.close)
	if err := p.stage(ctx); err != nil {
		t.Fatal(err)
	}
	probe, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var blocker pg.Session
	var snap pg.Snapshot
	deadline := time.Now().Add(20 * time.Second)
	for {
		snap, err = probe.Activity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		blocked, long := 0, 0
		for _, s := range snap.Sessions {
			switch {
			case s.State == "idle in transaction" && strings.Contains(s.Query, "88412"):
				blocker = s
			case len(s.BlockedBy) > 0:
				blocked++
			case s.State == "active" && strings.Contains(s.Query, "pg_sleep"):
				long++
			}
		}
		if blocker.PID != 0 && blocked == 2 && long == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw the story: blocker %+v, %d blocked, %d long", blocker, blocked, long)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if snap.Connections < p.target-2 {
		t.Errorf("%d connections, want about %d", snap.Connections, p.target)
	}
	if ok, err := probe.Signal(ctx, pg.Terminate, pg.Target{PID: blocker.PID}); !ok || err != nil {
		t.Fatalf("terminate the blocker: %v %v", ok, err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		snap, _ = probe.Activity(ctx)
		blocked := 0
		for _, s := range snap.Sessions {
			if len(s.BlockedBy) > 0 {
				blocked++
			}
		}
		if blocked == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still blocked after terminating the blocker", blocked)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKubeStagesTheStory stages the story's cluster on the real test
// cluster (make test: controllers, scheduler, kwok) in a namespace of its
// own, checks it through the console's kube probe and pods/log, and undoes
// api's bad rollout as the pods pane does.
func TestKubeStagesTheStory(t *testing.T) {
	scheduler := os.Getenv("WARROOM_TEST_KUBE_SCHEDULER")
	kubeconfig, kubecontext := testenv.Kubeconfig(t), testenv.KubeContext(t)
	if scheduler == "" {
		t.Skip("no controller-manager, scheduler and kwok in the test cluster (WARROOM_TEST_KUBE_SCHEDULER is not set): " +
			"run `make test`, or hack/backends.sh start with WARROOM_BACKENDS including \"cluster\" (the default)")
	}
	ns := fmt.Sprintf("sandbox-it-%d", time.Now().UnixNano()%1e9)
	k, err := newKubeStage(kubeconfig, kubecontext, ns, scheduler, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	k.delay = func(time.Duration) time.Duration { return 0 }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(func() { cancel(); k.close() })
	if err := k.stage(ctx); err != nil {
		t.Fatal(err)
	}
	go k.follow(ctx, 250*time.Millisecond)

	st := drill.NewStory()
	probe := kube.New(k.cs)
	// Every fate of the story, as the pods pane names it, in the
	// deployment the story gives it to.
	want := map[string]map[drill.Fate]int{}
	for _, d := range st.Deployments {
		want[d.Name] = map[drill.Fate]int{}
		for _, r := range d.Revisions {
			for _, p := range r.Pods {
				want[d.Name][p.Fate]++
			}
		}
	}
	var rows []kube.Pod
	if err := poll(ctx, 3*time.Minute, "the story's pod states", func(ctx context.Context) (bool, string, error) {
		rows, err = probe.Pods(ctx, ns)
		if err != nil {
			return false, "", err
		}
		got := map[string]map[drill.Fate]int{}
		for _, r := range rows {
			app := r.Name[:strings.LastIndex(r.Name[:strings.LastIndex(r.Name, "-")], "-")]
			if got[app] == nil {
				got[app] = map[drill.Fate]int{}
			}
			got[app][drill.Fate(r.Status)]++
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("%v, want %v", got, want), nil
	}); err != nil {
		t.Fatal(err)
	}

	// The Pending pod's reason is the scheduler's own event.
	if err := poll(ctx, time.Minute, "a FailedScheduling event", func(ctx context.Context) (bool, string, error) {
		evs, err := k.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "reason=FailedScheduling"})
		if err != nil {
			return false, "", err
		}
		for _, e := range evs.Items {
			if e.Source.Component == scheduler || e.ReportingController == scheduler {
				return true, e.Message, nil
			}
		}
		return false, fmt.Sprintf("%d events", len(evs.Items)), nil
	}); err != nil {
		t.Fatal(err)
	}

	// Logs through pods/log: the crash loop's panic, now and before the
	// restart, and a healthy pod's traffic.
	logs := func(pod string, previous bool) (string, error) {
		b, err := k.cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Previous: previous}).DoRaw(ctx)
		return string(b), err
	}
	checkLogs := func(pod string, previous bool, wantText string) {
		t.Helper()
		if err := poll(ctx, time.Minute, "logs of "+pod, func(ctx context.Context) (bool, string, error) {
			got, err := logs(pod, previous)
			if err != nil {
				return false, err.Error(), nil // until kwok has seen the Logs object
			}
			return strings.Contains(got, wantText), got, nil
		}); err != nil {
			t.Error(err)
		}
	}
	for _, r := range rows {
		switch {
		case strings.HasPrefix(r.Name, "api-") && r.Status == "CrashLoopBackOff":
			checkLogs(r.Name, false, "panic: assignment to entry in nil map")
			checkLogs(r.Name, true, "panic: assignment to entry in nil map")
		case strings.HasPrefix(r.Name, "api-") && r.Status == "Running":
			checkLogs(r.Name, false, "listening on :8080 version=2.13.2")
		}
	}

	// The pods pane's undo: revision 1 comes back, Running, with logs.
	api := st.Deployments[0]
	res, err := kube.RolloutUndo(ctx, k.cs, ns, api.Name)
	if err != nil {
		t.Fatal(err)
	}
	if res.FromRevision != 2 || res.ToRevision != 1 || res.ToImage != api.Revisions[0].Image {
		t.Fatalf("undo: %+v", res)
	}
	if err := poll(ctx, 3*time.Minute, "api back at revision 1, all Running", func(ctx context.Context) (bool, string, error) {
		pods, err := k.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + api.Name})
		if err != nil {
			return false, "", err
		}
		var seen []string
		ok := len(pods.Items) == int(api.Replicas)
		for _, p := range pods.Items {
			ready := len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready
			seen = append(seen, fmt.Sprintf("%s %s %s ready=%v", p.Name, p.Spec.Containers[0].Image, p.Status.Phase, ready))
			ok = ok && ready && p.Spec.Containers[0].Image == api.Revisions[0].Image && p.DeletionTimestamp == nil
		}
		if ok {
			for _, p := range pods.Items {
				checkLogs(p.Name, false, "listening on :8080")
			}
		}
		return ok, strings.Join(seen, "; "), nil
	}); err != nil {
		t.Fatal(err)
	}
}
