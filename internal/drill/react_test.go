package drill

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
)

// clock is a settable scenario clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func apiPods(t *testing.T, p *KubeProbe) map[string]kube.Pod {
	t.Helper()
	pods, err := p.Pods(context.Background(), Namespace)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]kube.Pod{}
	for _, p := range pods {
		if strings.HasPrefix(p.Name, "api-") {
			out[p.Name] = p
		}
	}
	return out
}

func TestStoryAgreesWithTheConstants(t *testing.T) {
	st := NewStory()
	if st.Namespace != Namespace || st.Title != Title || st.Severity != Severity || st.InstanceID != InstanceID {
		t.Errorf("story %q %q %v %q disagrees with the package constants", st.Namespace, st.Title, st.Severity, st.InstanceID)
	}
	if d, ok := st.Deployment("api"); !ok || d.Current().Image != "api:2.14.0" || d.Revisions[0].Image != "api:2.13.2" {
		t.Errorf("api revisions: %+v", d)
	}
	if !reflect.DeepEqual(NewStory(), st) {
		t.Error("NewStory is not the same story twice")
	}
}

func TestRolloutUndoReplacesCrashLoopingPods(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	sc := New(t0, c.Now)
	ctx := context.Background()
	before := apiPods(t, sc.Kube())
	crashing := 0
	for _, p := range before {
		if p.Status == "CrashLoopBackOff" {
			crashing++
			if p.Owner != "ReplicaSet/api-6f9c7d5b8" {
				t.Errorf("%s owned by %s, want revision 2's ReplicaSet", p.Name, p.Owner)
			}
		}
	}
	if crashing != 3 {
		t.Fatalf("%d crash-looping api pods before the undo, want 3: %v", crashing, before)
	}

	res, err := sc.Kube().RolloutUndo(ctx, Namespace, "api", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.FromRevision != 2 || res.FromImage != "api:2.14.0" || res.ToRevision != 1 || res.ToImage != "api:2.13.2" || res.Replicas != 3 {
		t.Errorf("undo: %+v", res)
	}
	c.Set(t0.Add(90 * time.Second))
	after := apiPods(t, sc.Kube())
	if len(after) != 3 {
		t.Errorf("%d api pods after the undo, want 3: %v", len(after), after)
	}
	for name, p := range after {
		if p.Status != "Running" || p.Ready != 1 || p.Owner != "ReplicaSet/api-5d8b94c6f" {
			t.Errorf("after the undo %s: %s ready %d/%d owner %s; want Running, of revision 1's ReplicaSet", name, p.Status, p.Ready, p.Total, p.Owner)
		}
	}
	if _, ok := after["api-5d8b94c6f-mb2rt"]; !ok {
		t.Error("the revision 1 pod that was running is gone")
	}
	// As the deployment controller does, the restored ReplicaSet is now revision 3.
	rs, err := sc.cs.AppsV1().ReplicaSets(Namespace).Get(ctx, "api-5d8b94c6f", metav1.GetOptions{})
	if err != nil || rs.Annotations[kube.RevisionAnnotation] != "3" || *rs.Spec.Replicas != 3 {
		t.Errorf("restored ReplicaSet: %v %v", rs.Annotations, err)
	}

	// A second undo goes back to revision 2, and its pods crash-loop again.
	res, err = sc.RolloutUndo(ctx, Namespace, "api")
	if err != nil || res.FromRevision != 3 || res.ToRevision != 2 || res.ToImage != "api:2.14.0" {
		t.Fatalf("second undo: %+v %v", res, err)
	}
	c.Set(t0.Add(3 * time.Minute))
	for name, p := range apiPods(t, sc.Kube()) {
		if p.Status != "CrashLoopBackOff" {
			t.Errorf("after undoing the undo %s is %s, want CrashLoopBackOff", name, p.Status)
		}
	}
}

func TestErrorRatioFallsAfterTheUndo(t *testing.T) {
	c := &clock{t: t0.Add(2 * time.Minute)}
	sc := New(t0, c.Now)
	undo := c.Now()
	if _, err := sc.Kube().RolloutUndo(context.Background(), Namespace, "api", 0); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-90 * time.Second, -time.Second, 0} {
		if r := sc.ErrorRatio(undo.Add(d)); r < 0.05 {
			t.Errorf("ratio %.4f at undo%+v, want above 5%%", r, d)
		}
	}
	for _, d := range []time.Duration{90 * time.Second, 5 * time.Minute} {
		if r := sc.ErrorRatio(undo.Add(d)); r >= 0.01 {
			t.Errorf("ratio %.4f at undo+%v, want below 1%%", r, d)
		}
	}
	// Smooth: no jump of more than a few points between seconds.
	prev := sc.level(undo)
	for d := time.Second; d <= 70*time.Second; d += time.Second {
		l := sc.level(undo.Add(d))
		if l > prev+1e-9 || prev-l > 0.005 {
			t.Fatalf("level at +%v is %.4f after %.4f: not a smooth decline", d, l, prev)
		}
		prev = l
	}
	// And the script now says HighErrorRate resolved.
	var resolved bool
	for _, s := range sc.Script("inc-1") {
		if s.Event.Alert != nil && s.Event.Alert.Name == "HighErrorRate" && s.Event.Alert.State == "resolved" {
			resolved = s.Event.Time.Equal(undo.Add(time.Minute))
		}
	}
	if !resolved {
		t.Error("no HighErrorRate resolved event a minute after the undo")
	}
	// Its Prometheus says the same: firing at the undo, gone once recovered;
	// the top 5xx handler is the story's busiest.
	alerts := func() []string {
		as, err := sc.Prom().Alerts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range as {
			names = append(names, a.Name+":"+a.State)
		}
		return names
	}
	if got := strings.Join(alerts(), ","); !strings.Contains(got, "HighErrorRate:firing") {
		t.Errorf("alerts at the undo: %s", got)
	}
	top, err := sc.Prom().Query(context.Background(), `topk(10, sum by (handler) (rate(http_requests_total{status=~"5.."}[5m])))`, undo)
	if err != nil || len(top) == 0 || top[0].Labels["handler"] != "/v1/agents/run" {
		t.Errorf("top handlers at the undo: %+v, %v", top, err)
	}
	c.Set(undo.Add(2 * time.Minute))
	if got := strings.Join(alerts(), ","); strings.Contains(got, "HighErrorRate") {
		t.Errorf("alerts two minutes after the undo: %s", got)
	}
}

func TestTerminateTheBlockerClearsTheLockChain(t *testing.T) {
	c := &clock{t: t0.Add(2 * time.Minute)}
	sc := New(t0, c.Now)
	ctx := context.Background()
	snap, err := sc.PG().Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var waiters []int
	for _, s := range snap.Sessions {
		if len(s.BlockedBy) > 0 {
			waiters = append(waiters, s.PID)
		}
	}
	if len(waiters) != 2 {
		t.Fatalf("waiters %v, want 2", waiters)
	}
	conns := snap.Connections

	if ok, err := sc.PG().Signal(ctx, pg.Terminate, pg.Target{PID: 4100}); !ok || err != nil {
		t.Fatalf("Terminate(4100) = %v, %v", ok, err)
	}
	if ok, _ := sc.PG().Signal(ctx, pg.Terminate, pg.Target{PID: 4100}); ok {
		t.Error("terminating 4100 twice: the second time it is no backend")
	}
	if ok, _ := sc.PG().Signal(ctx, pg.Terminate, pg.Target{PID: 999}); ok {
		t.Error("Terminate(999): not a backend, want false")
	}
	c.Set(t0.Add(3 * time.Minute))
	snap, err = sc.PG().Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snap.Sessions {
		if s.PID == 4100 || s.PID == 4242 || s.PID == 4257 || len(s.BlockedBy) > 0 {
			t.Errorf("after terminating 4100: %d %s blocked by %v", s.PID, s.State, s.BlockedBy)
		}
	}
	if snap.Connections >= conns {
		t.Errorf("connections %d after terminating the blocker, %d before: want fewer", snap.Connections, conns)
	}

	// Cancel stops the long query; the session stays, idle.
	if ok, err := sc.PG().Signal(ctx, pg.Cancel, pg.Target{PID: 4188}); !ok || err != nil {
		t.Fatalf("Cancel(4188) = %v, %v", ok, err)
	}
	snap, _ = sc.PG().Activity(ctx)
	for _, s := range snap.Sessions {
		if s.PID == 4188 && s.State != "idle" {
			t.Errorf("4188 is %s after Cancel, want idle", s.State)
		}
	}
}

func TestTerminateBeforeTheLockChainForms(t *testing.T) {
	c := &clock{t: t0.Add(10 * time.Second)}
	sc := New(t0, c.Now)
	if ok, _ := sc.Terminate(context.Background(), 4100); !ok {
		t.Fatal("4100 not terminated")
	}
	c.Set(t0.Add(2 * time.Minute))
	snap, _ := sc.PG().Activity(context.Background())
	for _, s := range snap.Sessions {
		if len(s.BlockedBy) > 0 {
			t.Errorf("%d blocked by %v though the blocker is gone", s.PID, s.BlockedBy)
		}
	}
}

// finished is the journal's record of a drill action done at t.
func finished(t time.Time, a incident.ActionFields) incident.Event {
	a.Phase, a.Executed, a.Mode = incident.PhaseFinished, true, "drill"
	return incident.Event{ID: incident.NewID(t), Time: t, Actor: "alice", Kind: incident.KindAction, Summary: a.Title, Action: &a}
}

func TestReplayGivesTheStateOfTheLiveDrill(t *testing.T) {
	ctx := context.Background()
	undoAt, killAt, end := t0.Add(70*time.Second), t0.Add(80*time.Second), t0.Add(4*time.Minute)

	c := &clock{t: undoAt}
	live := New(t0, c.Now)
	if _, err := live.Kube().RolloutUndo(ctx, Namespace, "api", 0); err != nil {
		t.Fatal(err)
	}
	c.Set(killAt)
	if ok, _ := live.PG().Signal(ctx, pg.Terminate, pg.Target{PID: 4100}); !ok {
		t.Fatal("terminate")
	}
	c.Set(end)

	failed := finished(t0.Add(75*time.Second), terminateAction(4188))
	failed.Action.Error = "permission denied"
	journal := []incident.Event{
		incident.Declared("alice", Title, Severity, t0),
		finished(killAt, terminateAction(4100)), // out of order on purpose
		finished(undoAt, rolloutUndoAction(Namespace, "api")),
		failed,
		{Time: t0.Add(76 * time.Second), Kind: incident.KindAction, Action: &incident.ActionFields{Phase: incident.PhaseStarted, Op: OpCancel, Target: PIDTarget(4213)}},
	}
	resumed := Resume(journal, func() time.Time { return end })
	if !resumed.Start.Equal(t0) {
		t.Fatalf("resumed drill starts at %v, want the declaration %v", resumed.Start, t0)
	}

	lp, rp := apiPods(t, live.Kube()), apiPods(t, resumed.Kube())
	if !reflect.DeepEqual(lp, rp) {
		t.Errorf("pods differ:\nlive    %v\nresumed %v", lp, rp)
	}
	ls, _ := live.PG().Activity(ctx)
	rs, _ := resumed.PG().Activity(ctx)
	if !reflect.DeepEqual(ls, rs) {
		t.Errorf("postgres differs:\nlive    %+v\nresumed %+v", ls, rs)
	}
	for d := -time.Minute; d <= 3*time.Minute; d += 7 * time.Second {
		if l, r := live.ErrorRatio(undoAt.Add(d)), resumed.ErrorRatio(undoAt.Add(d)); l != r {
			t.Errorf("ratio at undo%+v: live %.4f, resumed %.4f", d, l, r)
		}
	}
	if l, r := live.Script("inc"), resumed.Script("inc"); !reflect.DeepEqual(l, r) {
		t.Errorf("scripts differ:\nlive    %v\nresumed %v", l, r)
	}
}

func TestTargetsRoundTrip(t *testing.T) {
	kind, ns, name, ok := ParseKubeTarget(KubeTarget("deployment", "agent-platform", "api"))
	if !ok || kind != "deployment" || ns != "agent-platform" || name != "api" {
		t.Errorf("kube target: %q %q %q %v", kind, ns, name, ok)
	}
	for _, bad := range []string{"", "deployment/api", "api in ns", "deployment/ in ns", "deployment/api in "} {
		if _, _, _, ok := ParseKubeTarget(bad); ok {
			t.Errorf("ParseKubeTarget(%q) ok", bad)
		}
	}
	if pids, ok := ParsePIDTarget(PIDTarget(4100)); !ok || len(pids) != 1 || pids[0] != 4100 {
		t.Errorf("pid target: %v %v", pids, ok)
	}
	if pids, ok := ParsePIDTarget(PIDTarget(4100, 4242)); !ok || len(pids) != 2 || pids[1] != 4242 {
		t.Errorf("pids target %q: %v %v", PIDTarget(4100, 4242), pids, ok)
	}
	for _, bad := range []string{"pid x", "pids ", "pid 4100,", "rds x", "pid -1"} {
		if _, ok := ParsePIDTarget(bad); ok {
			t.Errorf("ParsePIDTarget(%q) ok", bad)
		}
	}
}

func TestScriptIDsAreStableAndDistinct(t *testing.T) {
	sc := New(t0, func() time.Time { return t0 })
	a, b := sc.Script("inc-1"), sc.Script("inc-1")
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Script differs between calls")
	}
	seen := map[string]bool{}
	for _, s := range a {
		if s.Event.ID == "" || seen[s.Event.ID] {
			t.Errorf("ID %q empty or repeated", s.Event.ID)
		}
		seen[s.Event.ID] = true
		if s.Event.Alert == nil || s.Event.Alert.State != "firing" || s.Event.Alert.Name == "" || s.Event.Alert.Labels["alertname"] != s.Event.Alert.Name {
			t.Errorf("alert fields %+v", s.Event.Alert)
		}
	}
	if New(t0, time.Now).Script("inc-1")[0].Event.ID != a[0].Event.ID {
		t.Error("another scenario at the same start gives other IDs")
	}
	if sc.Script("inc-2")[0].Event.ID == a[0].Event.ID {
		t.Error("another incident gets the same IDs")
	}
}

func TestPromAnswersPerQuery(t *testing.T) {
	sc := New(t0, func() time.Time { return t0 })
	ctx := context.Background()
	q := func(query string) []prom.Series {
		t.Helper()
		series, err := sc.Prom().QueryRange(ctx, query, t0.Add(-time.Minute), t0, 15*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return series
	}
	last := func(s prom.Series) float64 { return s.Points[len(s.Points)-1].V }

	ratio := q(prom.ErrorRatioQuery)
	spaced := q("sum(rate(http_requests_total{status=~\"5..\"}[5m]))\n  /\n  sum(rate(http_requests_total[5m]))")
	if len(ratio) != 1 || len(ratio[0].Points) != 5 || !reflect.DeepEqual(ratio, spaced) {
		t.Errorf("ratio: %v vs %v", ratio, spaced)
	}
	if v := last(ratio[0]); v < 0.05 || v > 0.2 {
		t.Errorf("ratio %.3f at the start", v)
	}

	byStatus := q(`sum by (status) (rate(http_requests_total[1m]))`)
	codes := map[string]float64{}
	total := 0.0
	for _, s := range byStatus {
		codes[s.Labels["status"]] = last(s)
		total += last(s)
	}
	if len(codes) != 4 || codes["200"] < codes["500"] || codes["500"] == 0 || codes["429"] == 0 {
		t.Errorf("by status: %v", codes)
	}
	if rps := NewStory().Traffic.RPS; total < rps*0.999 || total > rps*1.001 {
		t.Errorf("statuses add up to %.1f req/s, want %.0f", total, rps)
	}
	if s := q(`sum(rate(http_requests_total[1m])) by (code)`); len(s) != 4 || s[0].Labels["code"] == "" {
		t.Errorf("by code: %v", s)
	}

	top := q(`topk(3, sum by (handler) (rate(http_requests_total{status=~"5.."}[5m])))`)
	best, bestV := "", 0.0
	for _, s := range top {
		if v := last(s); v > bestV {
			best, bestV = s.Labels["handler"], v
		}
	}
	if len(top) != 3 || best != "/v1/agents/run" {
		t.Errorf("topk: %d series, top %q", len(top), best)
	}

	if s := q(`sum(rate(agent_runs_total{outcome="success"}[5m])) / sum(rate(agent_runs_total[5m]))`); len(s) != 1 || last(s[0]) > 0.95 || last(s[0]) < 0.5 {
		t.Errorf("agent success: %v", s)
	}

	_, err := sc.Prom().QueryRange(ctx, `up{job="api"}`, t0.Add(-time.Minute), t0, 15*time.Second)
	if err == nil || !strings.Contains(err.Error(), `drill: no series for this query: up{job="api"}`) {
		t.Errorf("unknown query: %v", err)
	}
}

func TestConcurrentActionsAndReads(t *testing.T) {
	c := &clock{t: t0}
	sc := New(t0, c.Now)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				c.Set(t0.Add(time.Duration(i*20+j) * time.Second))
				_, _ = sc.Kube().Pods(ctx, Namespace)
				_, _ = sc.PG().Activity(ctx)
				_, _ = sc.Prom().QueryRange(ctx, prom.ErrorRatioQuery, t0.Add(-time.Minute), c.Now(), 15*time.Second)
				_ = sc.Script(fmt.Sprint(i))
			}
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = sc.RolloutUndo(ctx, Namespace, "api") }()
	go func() { defer wg.Done(); _, _ = sc.Terminate(ctx, 4100) }()
	wg.Wait()
}

func TestLongDrillKeepsTheFakeClientsetSmall(t *testing.T) {
	c := &clock{t: t0}
	sc := New(t0, c.Now)
	for i := range 200 {
		c.Set(t0.Add(time.Duration(i) * 2 * time.Second))
		if _, err := sc.Kube().Pods(context.Background(), Namespace); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(sc.cs.Actions()); n > 5 {
		t.Errorf("the fake clientset holds %d recorded actions after 200 polls", n)
	}
}

// Test fixtures: the fields a journal holds for these drill actions.

// rolloutUndoAction describes kubectl rollout undo of deployment ns/name as
// an action's fields (before its outcome).
func rolloutUndoAction(ns, name string) incident.ActionFields {
	return incident.ActionFields{Title: "Roll back deployment/" + name, Kind: incident.ActionKube, Op: OpRolloutUndo,
		Target: KubeTarget("deployment", ns, name), Destructive: true,
		Lines: []string{"kubectl rollout undo deployment/" + name + " -n " + ns}}
}

// terminateAction describes pg_terminate_backend(pid) as an action's fields.
func terminateAction(pid int) incident.ActionFields {
	return incident.ActionFields{Title: fmt.Sprintf("Terminate backend %d", pid), Kind: incident.ActionSQL, Op: OpTerminate,
		Target: PIDTarget(pid), Destructive: true, Lines: []string{fmt.Sprintf("SELECT pg_terminate_backend(%d);", pid)}}
}

// Every default graph and table of the error-rate pane has an answer in the
// drill: none shows "no data" there.
func TestDrillAnswersThePanesDefaultQueries(t *testing.T) {
	sc := New(t0, func() time.Time { return t0.Add(time.Minute) })
	for _, q := range []string{
		`sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`,
		`sum by (class) (label_replace(rate(http_requests_total[5m]), "class", "${1}xx", "status", "([0-9]).."))`,
		`sum(rate(agent_runs_total{outcome="success"}[5m])) / sum(rate(agent_runs_total[5m]))`,
		`topk(10, sum by (handler) (rate(http_requests_total{status=~"5.."}[5m])))`,
	} {
		s, err := sc.Prom().QueryRange(context.Background(), q, t0, t0.Add(time.Minute), 15*time.Second)
		if err != nil || len(s) == 0 || len(s[0].Points) == 0 {
			t.Errorf("%s: %d series, %v", q, len(s), err)
		}
	}
}

// The script's resolution of HighErrorRate has the ID a pane derives from
// the firing it saw: the two paths record one event.
func TestScriptResolutionIDIsThePanes(t *testing.T) {
	c := &clock{t: t0.Add(2 * time.Minute)}
	sc := New(t0, c.Now)
	if _, err := sc.Kube().RolloutUndo(context.Background(), Namespace, "api", 0); err != nil {
		t.Fatal(err)
	}
	var fired, resolved string
	for _, s := range sc.Script("inc-1") {
		if a := s.Event.Alert; a != nil && a.Name == "HighErrorRate" {
			if a.State == "firing" {
				fired = s.Event.ID
			} else {
				resolved = s.Event.ID
			}
		}
	}
	if fired == "" || resolved == "" || resolved != incident.ResolvedID(fired) {
		t.Fatalf("fired %q, resolved %q, want %q", fired, resolved, incident.ResolvedID(fired))
	}
}

// Signal re-checks its target as the real statement does: another backend
// under the same pid, or a query younger than OlderThan, is not hit.
func TestSignalRechecksItsTarget(t *testing.T) {
	c := &clock{t: t0.Add(2 * time.Minute)}
	sc := New(t0, c.Now)
	ctx := context.Background()
	snap, _ := sc.PG().Activity(ctx)
	byPID := map[int]pg.Session{}
	for _, s := range snap.Sessions {
		byPID[s.PID] = s
	}
	long := byPID[4188] // running 5 min at t0+2m
	if long.BackendStart.IsZero() {
		t.Fatal("no backend start")
	}
	wrong := long.Target()
	wrong.BackendStart = wrong.BackendStart.Add(time.Second)
	if ok, _ := sc.PG().Signal(ctx, pg.Terminate, wrong); ok {
		t.Error("terminated another backend under the same pid")
	}
	young := byPID[4242].Target() // its query is 75 s old
	young.OlderThan = 5 * time.Minute
	if ok, _ := sc.PG().Signal(ctx, pg.Terminate, young); ok {
		t.Error("terminated a query younger than OlderThan")
	}
	old := long.Target()
	old.OlderThan = 4 * time.Minute
	if ok, err := sc.PG().Signal(ctx, pg.Terminate, old); !ok || err != nil {
		t.Fatalf("older-than terminate of 4188 = %v, %v", ok, err)
	}
	// The middle of the chain goes: 4257 waits on the blocker itself.
	if ok, _ := sc.PG().Signal(ctx, pg.Terminate, byPID[4242].Target()); !ok {
		t.Fatal("4242 not terminated")
	}
	snap, _ = sc.PG().Activity(ctx)
	for _, s := range snap.Sessions {
		switch s.PID {
		case 4188, 4242:
			t.Errorf("%d still listed", s.PID)
		case 4257:
			if fmt.Sprint(s.BlockedBy) != "[4100]" {
				t.Errorf("4257 blocked by %v, want [4100] once 4242 is gone", s.BlockedBy)
			}
		}
	}
}

func TestFailoverSwapsTheAZsAfterRebooting(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	sc := New(t0, c.Now)
	ctx := context.Background()
	before, err := sc.RDS().Describe(ctx, InstanceID)
	if err != nil || before.Status != "available" || !before.MultiAZ || len(before.Maintenance) != 1 || len(before.Events) == 0 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	got, err := sc.RDS().Failover(ctx, InstanceID)
	if err != nil || got.Status != "rebooting" || got.AZ != before.AZ {
		t.Fatalf("failover: %+v, %v", got, err)
	}
	if _, err := sc.RDS().Failover(ctx, InstanceID); err == nil || !strings.Contains(err.Error(), "not in available state") {
		t.Errorf("a second failover while rebooting: %v", err)
	}
	// While it fails over, the database is unreachable.
	if _, err := sc.PG().Activity(ctx); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("postgres during the failover: %v", err)
	}
	c.Set(t0.Add(time.Minute + FailoverTook + time.Second))
	// Every session dropped; the pool reconnected without the pile-up.
	snap, err := sc.PG().Activity(ctx)
	if err != nil || len(snap.Sessions) != 0 || snap.Connections >= 92 {
		t.Errorf("postgres after the failover: %d sessions, %d connections, %v", len(snap.Sessions), snap.Connections, err)
	}
	after, _ := sc.RDS().Describe(ctx, InstanceID)
	if after.Status != "available" || after.AZ != before.SecondaryAZ || after.SecondaryAZ != before.AZ {
		t.Errorf("after: %s %s→%s, want available %s→%s", after.Status, after.AZ, after.SecondaryAZ, before.SecondaryAZ, before.AZ)
	}
	if !strings.Contains(after.Events[0].Message, "failover completed") {
		t.Errorf("newest event %q", after.Events[0].Message)
	}
	if _, err := sc.RDS().Failover(ctx, "other"); err == nil {
		t.Error("failover of an unknown instance")
	}
	// A journal's failover and multi-pid terminate replay.
	re := New(t0, c.Now)
	re.Replay([]incident.Event{
		finished(t0.Add(time.Minute), incident.ActionFields{Op: OpFailover, Target: "rds " + InstanceID}),
		finished(t0.Add(70*time.Second), incident.ActionFields{Op: OpTerminate, Target: PIDTarget(4188, 4213)}),
	})
	in, _ := re.RDS().Describe(ctx, InstanceID)
	if in.AZ != before.SecondaryAZ {
		t.Errorf("replayed failover: AZ %s", in.AZ)
	}
	if got, _ := re.RDS().Describe(ctx, InstanceID); got.Status != "available" {
		t.Errorf("replayed failover: %s", got.Status)
	}
}

// Replay applies a signal's re-check as it ran: "older than" does not end
// in the replay what it did not end live.
func TestReplayRechecksOlderThan(t *testing.T) {
	at := t0.Add(70 * time.Second)
	c := &clock{t: at}
	re := New(t0, c.Now)
	// 4188's query is 4m10s old at t0+70s, 4213's 2m45s.
	re.Replay([]incident.Event{finished(at, incident.ActionFields{Op: OpTerminate, Target: PIDTarget(4188, 4213),
		Lines: []string{"SELECT …", "  -- pid 4188, query older than 3m0s", "  -- pid 4213, query older than 3m0s"}})})
	snap, _ := re.PG().Activity(context.Background())
	listed := map[int]bool{}
	for _, s := range snap.Sessions {
		listed[s.PID] = true
	}
	if listed[4188] || !listed[4213] {
		t.Errorf("after the replay: 4188 listed %v (want ended), 4213 listed %v (want kept: younger than 3m)", listed[4188], listed[4213])
	}
}

// A cancelled waiter holds no lock: the one queued behind it then waits on
// the blocker itself.
func TestCancelledWaiterLeavesTheQueue(t *testing.T) {
	c := &clock{t: t0.Add(2 * time.Minute)}
	sc := New(t0, c.Now)
	ctx := context.Background()
	if ok, err := sc.PG().Signal(ctx, pg.Cancel, pg.Target{PID: 4242}); !ok || err != nil {
		t.Fatalf("cancel 4242: %v, %v", ok, err)
	}
	snap, _ := sc.PG().Activity(ctx)
	for _, s := range snap.Sessions {
		if s.PID == 4257 && fmt.Sprint(s.BlockedBy) != "[4100]" {
			t.Errorf("4257 blocked by %v after 4242 was cancelled, want [4100]", s.BlockedBy)
		}
	}
}
