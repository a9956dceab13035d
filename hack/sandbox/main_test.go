package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

func TestPlansAreTheStory(t *testing.T) {
	st := drill.NewStory()
	ps := plans(st)
	if len(ps) != len(st.Deployments) {
		t.Fatalf("%d plans for %d deployments", len(ps), len(st.Deployments))
	}
	for i, d := range st.Deployments {
		p := ps[i]
		cur := p.rs[len(p.rs)-1]
		if p.name != d.Name || p.replicas != d.Replicas || cur.image != d.Current().Image || cur.revision != d.Current().Number {
			t.Errorf("plan %+v differs from the story's %s", p, d.Name)
		}
		for j, r := range d.Revisions {
			for k, pod := range r.Pods {
				if got := p.rs[j].pods[k]; got.suffix != pod.Suffix || got.kind != kinds[pod.Fate] || got.age != pod.Age {
					t.Errorf("%s pod %+v, story %+v", d.Name, got, pod)
				}
			}
		}
	}
	if n := nodes(st); len(n) != 2 {
		t.Errorf("nodes %v", n)
	}
	if _, ok := kinds[drill.Pending]; !ok || len(kinds) != 5 {
		t.Error("every fate needs a pod kind")
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
	if ok, err := probe.Terminate(ctx, blocker.PID); !ok || err != nil {
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
