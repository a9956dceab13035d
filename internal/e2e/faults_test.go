package e2e

// The fault suite (issue 7, "Faults"): the real program in a pty against
// real backends that are stopped, frozen (SIGSTOP) and restarted under it;
// a Prometheus that accepts and never answers; the journal on a full
// filesystem and on a read-only one. Throughout, a key must keep changing
// the screen: keypress-to-frame latency is logged per phase as figures
// (WARROOM_FIGURES appends them to a file), and asserted only as a
// liveness bound (keyDeadline) that proves the UI did not freeze.

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warroom-dev/warroom/internal/testenv"
)

// A backend under test: the process the faults hit and the pane that
// shows it.
type faultTarget struct {
	proc string // testenv process name
	pane string // its pane's title
	data string // text its pane shows once it has data (kept while failing)
	// timeout is how long the pane's fetch waits for a frozen backend
	// before it reports the failure (the pane's feed Timeout).
	timeout time.Duration
}

const probePod = "faults-probe"

// faultTargets: etcd (kube-apiserver's store) passes the same three
// phases through the pods pane, but adds about 45 s; it is left out to
// keep the suite within its share of `make test`.
var faultTargets = []faultTarget{
	{proc: testenv.Postgres, pane: "3 Slow queries", data: "connections", timeout: 10 * time.Second},
	// While failing the headline says "5xx ratio at 17:27 …", not "now".
	{proc: testenv.Prometheus, pane: "2 Error rate", data: "5xx ratio ", timeout: 10 * time.Second},
	{proc: testenv.KubeAPIServer, pane: "1 Pods", data: probePod, timeout: 30 * time.Second},
}

// TestFaultsBackends stops, freezes and restarts each backend of a
// private set under a console that reads all of them: the pane shows the
// failure in place and keeps its last data, the other panes keep working,
// keys keep answering, a note typed while the backend is frozen reaches
// the journal, and the pane is OK again within two back-off periods of
// the backend's return.
func TestFaultsBackends(t *testing.T) {
	t.Parallel()
	b := testenv.StartBackends(t)
	createProbePod(t, b.Kubeconfig, b.KubeContext)
	args := []string{
		"--postgres", b.PostgresDSN,
		"--prometheus", b.PrometheusURL,
		"--kubeconfig", b.Kubeconfig, "--context", b.KubeContext, "--namespace", "default",
	}
	for _, tg := range faultTargets {
		t.Run(tg.proc, func(t *testing.T) {
			lat := newLatencies()
			defer lat.report(t, "backends/"+tg.proc)
			c := startConsole(t, lat, args...)
			allHealthy := func(s *vtScreen) bool {
				for _, o := range faultTargets {
					if !s.ok(o.pane) || !paneHas(s, o.pane, o.data) {
						return false
					}
				}
				return true
			}
			// Prometheus needs a few scrapes of a fresh exporter first.
			started := time.Now()
			c.waitScreen("every pane OK with data", 60*time.Second, allHealthy)
			t.Logf("every pane OK with data %v after the console's first frame", time.Since(started).Round(10*time.Millisecond))
			for range 3 {
				c.probe("healthy")
			}

			t.Run("stopped", func(t *testing.T) {
				c.t = t
				defer b.Start(t, tg.proc) // a no-op once it runs: the next phases need it
				down := time.Now()
				b.Stop(t, tg.proc)
				// Refused at once, but a fetch may be in flight.
				c.failsInPlace(tg, "stopped", tg.timeout+faultRefresh+faultSlack, false)
				b.Start(t, tg.proc)
				c.recovers(tg, "stopped", time.Since(down), 0, true)
			})
			t.Run("frozen", func(t *testing.T) {
				c.t = t
				down := time.Now()
				b.Freeze(t, tg.proc)
				thawed := false
				defer func() {
					if !thawed {
						b.Thaw(t, tg.proc) // the other subtests need it
					}
				}()
				// Typed while the pane's fetch hangs on the frozen backend.
				text := "typed while " + tg.proc + " was frozen: nothing is lost 👩‍💻"
				c.note(text)
				if err := c.journalHas(text, keyDeadline); err != nil {
					t.Errorf("%v\nthe screen:\n%s", err, c.screenNow())
				}
				c.dialogClosed()
				c.failsInPlace(tg, "frozen", tg.timeout+faultRefresh+faultSlack, true)
				b.Thaw(t, tg.proc)
				thawed = true
				c.recovers(tg, "frozen", time.Since(down), tg.timeout, true)
			})
			t.Run("restarted", func(t *testing.T) {
				c.t = t
				defer b.Start(t, tg.proc)
				down := time.Now()
				b.Stop(t, tg.proc)
				b.Start(t, tg.proc)
				c.recovers(tg, "restarted", time.Since(down), 0, false)
			})
		})
	}
}

// failsInPlace waits (probing keys all along) until the target's pane
// shows the failure, then checks it kept its last data and that the
// other panes still work. hung says the backend hangs (frozen): then
// keys must have been answered while its fetch was waiting.
func (c *faultConsole) failsInPlace(tg faultTarget, phase string, within time.Duration, hung bool) {
	c.t.Helper()
	start := time.Now()
	held, answered := c.probeUntil(phase, within, func(s *vtScreen) bool { return s.failing(tg.pane) })
	if !held {
		c.t.Fatalf("%s %s: pane %q does not show the failure within %v; the screen:\n%s", tg.proc, phase, tg.pane, within, c.screenNow())
	}
	if hung && answered < minAnswered {
		c.t.Errorf("%s %s: only %d keys answered while the fetch hung (%v): the UI waits on the backend", tg.proc, phase, answered, time.Since(start).Round(time.Millisecond))
	}
	s := c.sync()
	logFigures(c.t, fmt.Sprintf("failure shown backends/%s/%s: %v after the fault; the pane says %q",
		tg.proc, phase, time.Since(start).Round(10*time.Millisecond), s.state(tg.pane)))
	if !paneHas(s, tg.pane, tg.data) {
		c.t.Errorf("%s %s: pane %q dropped its last data (%q) while failing; the screen:\n%s", tg.proc, phase, tg.pane, tg.data, s)
	}
	// The others keep working: OK (fresh by their own stale rule) and
	// still showing data. Polled: a busy machine may make one stale for
	// a moment.
	others := func(s *vtScreen) bool {
		for _, o := range faultTargets {
			if o.pane != tg.pane && (!s.ok(o.pane) || !paneHas(s, o.pane, o.data)) {
				return false
			}
		}
		return true
	}
	if held, _ := c.probeUntil(phase, 30*time.Second, others); !held {
		c.t.Errorf("%s %s: the other panes stopped working; the screen:\n%s", tg.proc, phase, c.screenNow())
	}
}

// recovers waits (probing keys all along) until the target's pane is OK
// with data fetched after the backend came back. The deadline is two
// back-off periods: after an outage of d, probes.Loop's back-off (doubling
// from the refresh interval, capped at a minute) is at most d+refresh, and
// the first retry after the return, at most one back-off away, succeeds.
// hung is the fetch timeout for a frozen backend, whose last fetch may
// still be waiting when it is thawed. failed says the pane was seen
// failing: then its first OK is the recovery; otherwise (a quick restart
// may fall between two polls) it must show data fetched after the return.
func (c *faultConsole) recovers(tg faultTarget, phase string, outage, hung time.Duration, failed bool) {
	c.t.Helper()
	back := time.Now()
	period := min(outage+faultRefresh, faultMaxBack)
	deadline := 2*period + hung + faultSlack
	ok, _ := c.probeUntil(phase+"→recovery", deadline, func(s *vtScreen) bool {
		if s.failing(tg.pane) {
			failed = true
			return false
		}
		return s.ok(tg.pane) && paneHas(s, tg.pane, tg.data) && (failed || s.freshSince(tg.pane, back))
	})
	took := time.Since(back)
	if !ok {
		c.t.Fatalf("%s %s: pane %q not OK again within %v of the backend's return (outage %v, back-off period ≤ %v); the screen:\n%s",
			tg.proc, phase, tg.pane, deadline, outage.Round(time.Millisecond), period, c.screenNow())
	}
	logFigures(c.t, fmt.Sprintf("recovery backends/%s/%s: %v after the backend's return (outage %v, back-off period ≤ %v, deadline %v)",
		tg.proc, phase, took.Round(10*time.Millisecond), outage.Round(10*time.Millisecond), period, deadline))
}

func paneHas(s *vtScreen, pane, text string) bool {
	return strings.Contains(strings.Join(s.Pane(pane), "\n"), text)
}

// createProbePod gives the pods pane something to show: a pod that stays
// Pending (the private cluster has no scheduler).
func createProbePod(t *testing.T, kubeconfig, kubeContext string) {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: probePod, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/none:1"}}},
	}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", probePod, err)
	}
}

// TestFaultsPrometheusNeverAnswers points the console at a Prometheus
// that accepts connections and never answers: the error-rate pane must
// report a timeout in place, and keys keep answering the whole time.
func TestFaultsPrometheusNeverAnswers(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	lat := newLatencies()
	defer lat.report(t, "prometheus-never-answers")
	c := startConsole(t, lat, "--prometheus", "http://"+addr)
	const pane = "2 Error rate"
	// The feed's fetch timeout is 10 s; then the pane fails with the
	// context's deadline.
	timedOut := func(s *vtScreen) bool {
		text := strings.ToLower(strings.Join(s.Pane(pane), " "))
		return s.failing(pane) && (strings.Contains(text, "deadline") || strings.Contains(text, "timeout") || strings.Contains(text, "timed out"))
	}
	start := time.Now()
	held, answered := c.probeUntil("hung", 10*time.Second+faultRefresh+faultSlack, timedOut)
	if !held {
		t.Fatalf("pane %q does not show a timeout; the screen:\n%s", pane, c.screenNow())
	}
	if answered < minAnswered {
		t.Errorf("only %d keys answered while the query hung: the UI waits on Prometheus", answered)
	}
	logFigures(t, fmt.Sprintf("failure shown prometheus-never-answers: %v after the start; the pane says %q",
		time.Since(start).Round(10*time.Millisecond), strings.Join(slices.DeleteFunc(c.sync().Pane(pane), func(l string) bool { return l == "" }), " / ")))
	for range 5 {
		c.probe("timed out")
	}
}

// silentServer listens on loopback, accepts every connection and holds it
// without reading or writing, until the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
