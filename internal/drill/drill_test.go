package drill

import (
	"context"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/prom"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func TestStoryUnfoldsOnTheScenarioClock(t *testing.T) {
	now := t0
	sc := New(t0, func() time.Time { return now })
	ctx := context.Background()

	status := func() map[string]string {
		pods, err := sc.Kube().Pods(ctx, Namespace)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range pods {
			out[p.Name] = p.Status
		}
		return out
	}
	restarts := func(name string) int32 {
		pods, _ := sc.Kube().Pods(ctx, Namespace)
		for _, p := range pods {
			if p.Name == name {
				return p.Restarts
			}
		}
		t.Fatalf("no pod %s", name)
		return 0
	}

	s := status()
	want := map[string]string{
		"api-6f9c7d5b8-2xkqp":           "CrashLoopBackOff",
		"worker-59d7c8b6c-xj5fh":        "ImagePullBackOff",
		"worker-59d7c8b6c-pn3vb":        "Pending",
		"agent-runtime-7b44d9c9d-5pjwn": "Running",
		"api-5d8b94c6f-mb2rt":           "Running",
	}
	for name, st := range want {
		if s[name] != st {
			t.Errorf("at start %s = %q, want %q", name, s[name], st)
		}
	}
	r0 := restarts("api-6f9c7d5b8-2xkqp")

	now = t0.Add(2 * time.Minute)
	if got := status()["agent-runtime-7b44d9c9d-5pjwn"]; got != "OOMKilled" {
		t.Errorf("after 2m agent-runtime = %q, want OOMKilled", got)
	}
	if r := restarts("api-6f9c7d5b8-2xkqp"); r <= r0 {
		t.Errorf("restarts did not climb: %d then %d", r0, r)
	}

	snap, err := sc.PG().Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	blocked := 0
	for _, s := range snap.Sessions {
		if len(s.BlockedBy) == 1 && s.BlockedBy[0] == 4100 {
			blocked++
		}
	}
	if blocked != 2 || snap.Connections < 90 || snap.MaxConnections != 100 {
		t.Errorf("after 2m: %d blocked behind 4100, %d/%d connections", blocked, snap.Connections, snap.MaxConnections)
	}
}

func TestErrorRatioCrossesThePlaybookThreshold(t *testing.T) {
	sc := New(t0, func() time.Time { return t0 })
	series, err := sc.Prom().QueryRange(context.Background(), prom.ErrorRatioQuery, t0.Add(-15*time.Minute), t0, 15*time.Second)
	if err != nil || len(series) != 1 {
		t.Fatalf("%v %v", series, err)
	}
	pts := series[0].Points
	if len(pts) != 61 {
		t.Errorf("%d points for 15m at 15s, want 61", len(pts))
	}
	if first := pts[0].V; first > 0.01 {
		t.Errorf("baseline %.3f, want about 0.5%%", first)
	}
	if last := pts[len(pts)-1].V; last < 0.05 {
		t.Errorf("at the start of the drill the ratio is %.3f, want above 5%%", last)
	}
}

func TestScriptIsInOrderAndAfterDeclaration(t *testing.T) {
	sc := New(t0, time.Now)
	var prev time.Duration
	for _, s := range sc.Script("inc-1") {
		if s.At <= prev || s.Event.Actor != "drill" || s.Event.Kind == "" {
			t.Fatalf("bad scripted event %+v", s)
		}
		prev = s.At
	}
}
