package pods

import (
	"fmt"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/kube"
)

// snapshot10k is 10,000 pods in 100 deployments, 25 crash-looping, sorted
// as the watch sends them.
func snapshot10k() kube.Snapshot {
	var s kube.Snapshot
	s.Synced = true
	for i := range 10000 {
		p := kube.Pod{Namespace: "bench", Name: fmt.Sprintf("svc-%03d-7d9f8c6b5-%05d", i%100, i), Ready: 1, Total: 1, Status: "Running",
			Created: t0.Add(-time.Duration(i) * time.Minute), Node: fmt.Sprintf("node-%02d", i%50), Owner: "ReplicaSet/x", Deployment: fmt.Sprintf("svc-%03d", i%100)}
		if i%400 == 0 {
			p.Status, p.Ready, p.Restarts, p.LastRestart = "CrashLoopBackOff", 0, int32(i%9+1), t0.Add(-time.Minute)
		}
		s.Pods = append(s.Pods, p)
	}
	kube.SortWorstFirst(s.Pods)
	for d := range 100 {
		s.Deployments = append(s.Deployments, kube.Deployment{Namespace: "bench", Name: fmt.Sprintf("svc-%03d", d), Replicas: 100, Ready: 100,
			Updated: 100, Available: 100, Progress: "complete", Revision: 3, Pods: 100})
	}
	return s
}

// Drawing the pane over 10,000 pods: only the visible rows are rendered.
func BenchmarkView10kPods(b *testing.B) {
	m := New(testCommon(t0), nil, Config{Namespaces: []string{"bench"}})
	m.SetSize(160, 48)
	m.setSnapshot(snapshot10k())
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// Taking a new snapshot of 10,000 pods on the UI goroutine (state, the
// filter's index, the selection found again), without and with a filter.
func BenchmarkSetSnapshot10kPods(b *testing.B) {
	for _, filter := range []string{"", "crash"} {
		b.Run("filter="+filter, func(b *testing.B) {
			m := New(testCommon(t0), nil, Config{Namespaces: []string{"bench"}})
			m.SetSize(160, 48)
			m.filter.SetValue(filter)
			s := snapshot10k()
			m.setSnapshot(s)
			m.cursor.Pos = 5000
			m.sel = s.Pods[5000].Namespace + "/" + s.Pods[5000].Name
			b.ReportAllocs()
			for b.Loop() {
				m.setSnapshot(s)
			}
		})
	}
}

// The pane's signals for the runbook sidebar, computed once per snapshot:
// 10,000 pods, 25 crash-looping (all in svc-000).
func BenchmarkSignals10kPods(b *testing.B) {
	s := snapshot10k()
	b.ReportAllocs()
	for b.Loop() {
		if len(signals(s)) != 1 {
			b.Fatal("want 1 signal")
		}
	}
}
