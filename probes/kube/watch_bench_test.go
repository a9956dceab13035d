package kube

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Building the snapshot the pane gets after a burst of changes, from
// caches of 10,000 pods in 100 deployments: off the UI goroutine, but it
// bounds how often a burst can be published.
func BenchmarkSnapshot10kPods(b *testing.B) {
	w := &Watch{now: time.Now, pods: map[string]Pod{}, deps: map[string]*appsv1.Deployment{}, rss: map[string]*appsv1.ReplicaSet{}, health: map[string]*health{}}
	t := true
	for d := range 100 {
		name := fmt.Sprintf("svc-%03d", d)
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name, UID: "uid-" + types.UID(name),
			Annotations: map[string]string{RevisionAnnotation: "3"}}}
		w.deps["bench/"+name] = dep
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name + "-7d9f8c6b5",
			Annotations:     map[string]string{RevisionAnnotation: "3"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, Controller: &t}}}}
		w.rss["bench/"+rs.Name] = rs
	}
	for i := range 10000 {
		p := Pod{Namespace: "bench", Name: fmt.Sprintf("svc-%03d-7d9f8c6b5-%05d", i%100, i), Ready: 1, Total: 1, Status: "Running",
			Owner: fmt.Sprintf("ReplicaSet/svc-%03d-7d9f8c6b5", i%100)}
		if i%400 == 0 {
			p.Status, p.Ready, p.Restarts = "CrashLoopBackOff", 0, 4
		}
		w.pods["bench/"+p.Name] = p
	}
	b.ReportAllocs()
	for b.Loop() {
		s := w.Snapshot()
		if len(s.Pods) != 10000 || s.Pods[0].Status != "CrashLoopBackOff" || len(s.Deployments) != 100 || s.Deployments[0].Pods != 100 {
			b.Fatalf("snapshot: %d pods, first %s, %d deployments", len(s.Pods), s.Pods[0].Status, len(s.Deployments))
		}
	}
}
