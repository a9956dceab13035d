package pods

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/internal/drill"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/kube"
	"github.com/warroom-dev/warroom/tui/common"
)

// show is a VitalsMsg's vitals as "name value" (or "name unknown: why").
func show(vm common.VitalsMsg) []string {
	var out []string
	for _, v := range vm.Vitals {
		s := v.String()
		if !v.Known() {
			s += ": " + v.Error
		}
		out = append(out, s)
	}
	return out
}

// oneVitals fails unless vms is one VitalsMsg from the pods pane showing
// want, every vital measured (or not) at at.
func oneVitals(t *testing.T, what string, vms []common.VitalsMsg, at time.Time, want ...string) common.VitalsMsg {
	t.Helper()
	if len(vms) != 1 {
		t.Fatalf("%s: %d VitalsMsgs, want 1: %+v", what, len(vms), vms)
	}
	vm := vms[0]
	if got := show(vm); vm.Source != "pods" || !slices.Equal(got, want) {
		t.Fatalf("%s: from %q %q, want %q", what, vm.Source, got, want)
	}
	for _, v := range vm.Vitals {
		if v.Source != "pods" || v.Unit != incident.UnitCount || !v.At.Equal(at) {
			t.Errorf("%s: %+v: source %q unit %q at %v, want pods, a count, at %v", what, v, v.Source, v.Unit, v.At, at)
		}
	}
	return vm
}

func fivePods(ns string) kube.Snapshot {
	return kube.Snapshot{Synced: true, Pods: []kube.Pod{
		pod(ns, "api-1", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "api-2", "api", "CrashLoopBackOff", 0, 1),
		pod(ns, "api-3", "api", "Init:CrashLoopBackOff", 0, 1),
		pod(ns, "worker-1", "worker", "Running", 1, 1),
		pod(ns, "worker-2", "worker", "Pending", 0, 1), // needs attention, not crash-looping
	}}
}

// A snapshot's counts are published: the pods the list says need
// attention, the crash-looping ones; the same counts again (another order,
// another moment) say nothing; a change is a new set.
func TestVitalsCountBadAndCrashLoopingPods(t *testing.T) {
	const ns = "agent-platform"
	now := t0
	c := testCommon(t0)
	c.Now = func() time.Time { return now }
	m := New(c, nil, Config{Namespaces: []string{ns}})
	m.SetSize(120, 30)
	s := fivePods(ns)
	oneVitals(t, "3 crash-looping of 5", cmdtest.Vitals(m.setSnapshot(s)), t0, "bad pods 4", "CrashLoopBackOff 3")
	if v := m.View(); !strings.Contains(v, "5 pods · 4 need attention") {
		t.Errorf("the list and the vital disagree:\n%s", v)
	}
	now = t0.Add(time.Second)
	again := s
	again.Pods = slices.Clone(s.Pods)
	slices.Reverse(again.Pods)
	if vms := cmdtest.Vitals(m.setSnapshot(again)); len(vms) != 0 {
		t.Fatalf("unchanged: published again %+v", vms)
	}
	now = t0.Add(2 * time.Second)
	fewer := s
	fewer.Pods = slices.Clone(s.Pods)
	fewer.Pods[0].Status, fewer.Pods[0].Ready = "Running", 1
	oneVitals(t, "one recovered", cmdtest.Vitals(m.setSnapshot(fewer)), now, "bad pods 3", "CrashLoopBackOff 2")
	now = t0.Add(3 * time.Second)
	healthy := kube.Snapshot{Synced: true, Pods: []kube.Pod{pod(ns, "api-1", "api", "Running", 1, 1), pod(ns, "job", "", "Completed", 0, 1)}}
	oneVitals(t, "all healthy", cmdtest.Vitals(m.setSnapshot(healthy)), now, "bad pods 0", "CrashLoopBackOff 0")
	// An empty namespace is measured too: zero pods, zero bad.
	if vms := cmdtest.Vitals(m.setSnapshot(kube.Snapshot{Synced: true})); len(vms) != 0 {
		t.Fatalf("no pods, as healthy as before: published %+v", vms)
	}
}

// Nothing is measured while the first list is read, nor while the watch
// fails: the vitals are unknown and say why (never 0), even though the
// list keeps showing the pods as of the failure; the same failure again
// says nothing; recovery measures again.
func TestVitalsUnknownWhileListingOrFailing(t *testing.T) {
	const ns = "agent-platform"
	m := New(testCommon(t0), nil, Config{Namespaces: []string{ns}})
	m.SetSize(120, 30)
	s := fivePods(ns)
	partial := kube.Snapshot{Pods: s.Pods[:1], Listed: 1}
	oneVitals(t, "still listing", cmdtest.Vitals(m.setSnapshot(partial)), t0,
		"bad pods unknown: still listing pods", "CrashLoopBackOff unknown: still listing pods")
	oneVitals(t, "listed", cmdtest.Vitals(m.setSnapshot(s)), t0, "bad pods 4", "CrashLoopBackOff 3")

	failing := s
	failing.Err, failing.ErrSince = errors.New("Get \"https://k8s.example:6443/api/v1/pods?token=s3cret\": dial tcp: connection refused"), t0
	why := probes.ErrorText(failing.Err) // the error as the state line says it
	vm := oneVitals(t, "failing", cmdtest.Vitals(m.setSnapshot(failing)), t0, "bad pods unknown: "+why, "CrashLoopBackOff unknown: "+why)
	for _, v := range vm.Vitals {
		if v.Value != nil || v.Max != nil || !strings.Contains(v.Error, "connection refused") || strings.Contains(v.Error, "s3cret") {
			t.Errorf("failing: %+v, want no value, the error without its secret", v)
		}
	}
	if v := m.View(); !strings.Contains(v, "failing") || !strings.Contains(v, "5 pods · 4 need attention") {
		t.Errorf("the list no longer shows its last good data:\n%s", v)
	}
	if vms := cmdtest.Vitals(m.setSnapshot(failing)); len(vms) != 0 {
		t.Fatalf("the same failure: published again %+v", vms)
	}
	other := failing
	other.Err = errors.New("Unauthorized")
	oneVitals(t, "another failure", cmdtest.Vitals(m.setSnapshot(other)), t0, "bad pods unknown: Unauthorized", "CrashLoopBackOff unknown: Unauthorized")
	oneVitals(t, "recovered", cmdtest.Vitals(m.setSnapshot(s)), t0, "bad pods 4", "CrashLoopBackOff 3")
}

// Init says the vitals are unknown before the watch's first snapshot.
func TestInitPublishesUnknownVitals(t *testing.T) {
	c := testCommon(t0)
	m := New(c, fakeProbe(fake.NewClientset()), Config{Namespaces: []string{"ns"}, Context: t.Context()})
	m.SetSize(80, 20)
	var vms []common.VitalsMsg
	for _, msg := range cmdtest.Collect(m.Init(), 100*time.Millisecond) {
		if vm, ok := msg.(common.VitalsMsg); ok {
			vms = append(vms, vm)
		}
	}
	oneVitals(t, "Init", vms, t0, "bad pods unknown: not polled yet", "CrashLoopBackOff unknown: not polled yet")
}

// The drill's cluster through the watch: what the list counts.
func TestDrillPublishesItsVitals(t *testing.T) {
	l, _ := drillPane(t, 120, 30)
	last := func() []string {
		if len(l.vitals) == 0 {
			return nil
		}
		return show(l.vitals[len(l.vitals)-1])
	}
	l.until("the pods' vitals", func() bool { return len(last()) == 2 && !strings.Contains(last()[0], "unknown") })
	l.until("the drill's pods", l.shows("10 pods", "6 need attention"))
	if got, want := last(), []string{"bad pods 6", "CrashLoopBackOff 3"}; !slices.Equal(got, want) {
		t.Fatalf("drill vitals %q, want %q (namespace %s)", got, want, drill.Namespace)
	}
	if first := show(l.vitals[0]); !slices.Equal(first, []string{"bad pods unknown: not polled yet", "CrashLoopBackOff unknown: not polled yet"}) {
		t.Errorf("the first vitals %q, want unknown until the first snapshot", first)
	}
	for i := 1; i < len(l.vitals); i++ {
		if l.vitals[i].Seq <= l.vitals[i-1].Seq || slices.Equal(show(l.vitals[i]), show(l.vitals[i-1])) {
			t.Errorf("vitals %d: %q (seq %d) after %q (seq %d)", i, show(l.vitals[i]), l.vitals[i].Seq, show(l.vitals[i-1]), l.vitals[i-1].Seq)
		}
	}
}

// Counting the vitals of 10,000 pods, as each snapshot does.
func BenchmarkVitals10kPods(b *testing.B) {
	s := snapshot10k()
	b.ReportAllocs()
	for b.Loop() {
		if vs := vitals(s, t0); len(vs) != 2 {
			b.Fatal(fmt.Sprint(vs))
		}
	}
}
