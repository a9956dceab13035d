package drill

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
)

// client-go's fake clientset records every call it serves (its Actions),
// forever unless cleared. Over 30 minutes of drill on a compressed clock —
// a poll every 2s, a rollout undo and a terminate on the way — neither the
// record nor the cluster's objects may grow with time.
func TestRecordedActionsStayBoundedOverALongDrill(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	sc := New(t0, c.Now)
	const polls = 30 * 60 / 2
	maxActions, maxPods := 0, 0
	var first, last int
	for i := range polls {
		at := t0.Add(time.Duration(i) * 2 * time.Second)
		c.Set(at)
		if _, err := sc.Kube().Pods(ctx, Namespace); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Prom().QueryRange(ctx, prom.ErrorRatioQuery, at.Add(-15*time.Minute), at, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.PG().Activity(ctx); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 150: // 5 minutes in
			if _, err := sc.RolloutUndo(ctx, Namespace, "api"); err != nil {
				t.Fatal(err)
			}
		case 300:
			if _, err := sc.PG().Signal(ctx, pg.Terminate, pg.Target{PID: 4100}); err != nil {
				t.Fatal(err)
			}
		}
		sc.mu.Lock()
		n := len(sc.cs.Actions())
		pods, err := sc.cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{})
		// (this List is recorded too: the drill's next sync must clear it)
		sc.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		maxActions, maxPods = max(maxActions, n), max(maxPods, len(pods.Items))
		if i == polls/3 {
			first = n
		}
		last = n
	}
	t.Logf("over %d polls (30 simulated minutes): at most %d recorded actions after a poll, %d pods; %d at 10m, %d at 30m",
		polls, maxActions, maxPods, first, last)
	// A poll leaves its own List behind until the next sync clears it; an
	// undo leaves a handful. Anything growing with time is a leak.
	if maxActions > 20 {
		t.Errorf("the fake clientset held %d recorded actions after one poll", maxActions)
	}
	if maxPods > 40 {
		t.Errorf("the drill's cluster grew to %d pods", maxPods)
	}
}
