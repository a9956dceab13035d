package drill

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/pg"
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
	// A three-level chain, as PostgreSQL shows it: 4242 waits on the
	// blocker's transaction, 4257 on 4242 for the row's tuple lock.
	behind := map[int][]int{}
	for _, s := range snap.Sessions {
		behind[s.PID] = s.BlockedBy
		if s.State == "idle" {
			t.Errorf("pid %d is idle: the snapshot lists non-idle sessions only", s.PID)
		}
	}
	if fmt.Sprint(behind[4242]) != "[4100]" || fmt.Sprint(behind[4257]) != "[4242]" || len(behind[4100]) != 0 {
		t.Errorf("after 2m: chain %v, want 4242 behind 4100 and 4257 behind 4242", behind)
	}
	if snap.Connections < 90 || snap.MaxConnections != 100 || snap.Counts.Waiting != 2 || snap.Counts.IdleInTxn != 1 ||
		snap.Counts.Idle != snap.Connections-len(snap.Sessions) {
		t.Errorf("after 2m: %d/%d connections, counts %+v with %d busy", snap.Connections, snap.MaxConnections, snap.Counts, len(snap.Sessions))
	}
	if st := snap.Stats; st.SizeAt.IsZero() || st.SizeAt.After(snap.At) || snap.At.Sub(st.SizeAt) >= pg.SizeEvery || st.Bytes <= 0 || st.Xacts <= 0 {
		t.Errorf("stats %+v at %v: want a size read within the last minute", st, snap.At)
	}
	if snap.OldestXminPID != 4100 || snap.OldestXminAge <= 0 {
		t.Errorf("oldest xmin: pid %d age %d, want the blocker's", snap.OldestXminPID, snap.OldestXminAge)
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

func TestOnCallFillsOnlyWhatIsNotKnown(t *testing.T) {
	p := incident.DefaultPolicy()
	p.Teams[0].Secondary = incident.Contact{Name: "Bob Roy", Contact: "@bob"}
	q := OnCall(p)
	if c, _ := q.Contact(0); c.Name != "Engineer A" {
		t.Errorf("primary = %+v, want the playbook's Engineer A", c)
	}
	if c, _ := q.Contact(1); c.Name != "Bob Roy" {
		t.Errorf("secondary = %+v, want the configured Bob Roy", c)
	}
	if c, _ := q.Contact(2); !c.Known() {
		t.Errorf("team lead not filled: %+v", c)
	}
	if p.Teams[0].Primary.Known() || p.Ladder[2].Contact.Known() {
		t.Error("OnCall modified its argument")
	}
	if err := q.Validate(); err != nil {
		t.Error(err)
	}
}
