package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/warroom-dev/warroom/internal/screentest"
)

// consoleOpts says how to measure one warroom binary.
type consoleOpts struct {
	name, bin, kubeconfig, ns string
	cols, rows                int
	runs                      int
	pods, crashing            int
	settle, idle, churn       time.Duration
	rate                      int
	apiPID, etcdPID           int
	cs                        kubernetes.Interface
	screens                   string // where to save screens ("" not)
}

// save writes the session's screen as text to the screens folder, for a
// person to check what was read.
func (o consoleOpts) save(s *session, step string) { o.saveText(s.text(), step) }

func (o consoleOpts) saveText(text, step string) {
	if o.screens == "" {
		return
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, o.name)
	path := filepath.Join(o.screens, name+"-"+step+".txt")
	err := os.MkdirAll(o.screens, 0o755)
	if err == nil {
		err = os.WriteFile(path, []byte(text+"\n"), 0o644)
	}
	if err != nil {
		logf("%s: screen not saved: %v", o.name, err)
	}
}

// consoleResult is every figure for one binary.
type consoleResult struct {
	Name, Bin     string
	Startup       []float64 // seconds from exec to the first frame with a crash-looping pod
	AllPods       []float64 // … to the first frame whose summary counts every pod
	StartupErrors []string
	Idle          idleResult
	Churn         churnResult
}

// idleResult compares a window with the console open and idle against one
// of the same length with no console (measured first).
type idleResult struct {
	Seconds                    float64
	ConsoleCPU                 float64 // CPU seconds used by the console in the window
	PeakRSSMB, RSSMB           float64 // VmHWM (since exec), VmRSS at the end
	APICPUClosed, APICPUOpen   float64 // API server CPU seconds in each window
	EtcdCPUClosed, EtcdCPUOpen float64
	ListsClosed, ListsOpen     float64 // LIST pods requests counted by the API server
	ListMBClosed, ListMBOpen   float64 // bytes of those responses, MB
	Err                        string
}

// churnResult is the console under a stream of pod status changes.
type churnResult struct {
	Writes, Failed  int
	Seconds         float64
	Visible         int // crash-looping pods on screen when the churn began (of Crashing)
	Crashing        int
	Visibility      summary // write → that state or a newer one of the pod on screen
	Drawn           summary // write → exactly that state on screen (states that were drawn)
	NeverDrawn      int     // states never on screen
	NeverShown      int     // states neither drawn nor overtaken on screen by the end
	WriteLatency    summary // UpdateStatus round trip
	Keys            int
	KeyDelay        summary // key written → the cursor drawn on another row
	KeysUnanswered  int
	RowFrames       int // frames that changed a crash-looping pod's restart count
	Frames          int // every frame
	RSSStartMB      float64
	RSSEndMB        float64
	PeakRSSMB       float64
	ConsoleCPU      float64 // CPU seconds during the churn
	ConsoleSecs     float64 // the window ConsoleCPU is over
	Err             string
	WritesBehindMax time.Duration // how late the pacer got, worst case
}

// summary is a distribution in seconds.
type summary struct {
	N             int
	P50, P95, Max float64
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	return summary{N: len(xs), P50: percentile(xs, 0.5), P95: percentile(xs, 0.95), Max: percentile(xs, 1)}
}

// session is one running console and the screen rebuilt from its output.
type session struct {
	tb      *runTB
	term    *screentest.Term
	started time.Time

	mu     sync.Mutex
	scr    *screen
	off    int
	onDraw func(now time.Time, s *screen) // under mu, after each frame

	every atomic.Int64 // poll interval, ns
	quit  chan struct{}
	wg    sync.WaitGroup
}

func (o consoleOpts) start(run int) (*session, error) {
	dir, err := os.MkdirTemp("", "warroom-bench-run-")
	if err != nil {
		return nil, err
	}
	s := &session{tb: track(newTB(fmt.Sprintf("%s run %d", o.name, run))), scr: newScreen(o.rows), quit: make(chan struct{})}
	s.tb.Cleanup(func() { _ = os.RemoveAll(dir) }) // first registered: runs after the console is stopped
	s.every.Store(int64(time.Millisecond))
	args := []string{"--kubeconfig", o.kubeconfig, "--namespace", o.ns, "--journal", filepath.Join(dir, "journal.jsonl")}
	s.started = time.Now()
	s.term = screentest.Start(s.tb, screentest.Options{Args: args, Cols: o.cols, Rows: o.rows, Dir: dir})
	s.wg.Go(s.pump)
	return s, nil
}

// pump reads what the console wrote since the last look into the screen,
// every poll interval (1 ms while timing, slower while idle).
func (s *session) pump() {
	for {
		b := s.term.Since(s.off)
		if len(b) > 0 {
			now := time.Now()
			s.mu.Lock()
			s.off += len(b)
			s.scr.feed(b, func() {
				if s.onDraw != nil {
					s.onDraw(now, s.scr)
				}
			})
			s.mu.Unlock()
		}
		select {
		case <-s.quit:
			return
		case <-time.After(time.Duration(s.every.Load())):
		}
	}
}

func (s *session) setDraw(f func(time.Time, *screen)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDraw = f
}

func (s *session) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scr.String()
}

func (s *session) alive() bool { return syscall.Kill(s.term.Pid(), 0) == nil }

func (s *session) close() {
	close(s.quit)
	s.wg.Wait()
	release(s.tb)
}

// waitFor waits until cond holds on a completed frame, and returns when
// that frame was read.
func (s *session) waitFor(timeout time.Duration, cond func(*screen) bool) (time.Time, error) {
	found := make(chan time.Time, 1)
	check := func(now time.Time, scr *screen) {
		if cond(scr) {
			select {
			case found <- now:
			default:
			}
		}
	}
	s.mu.Lock()
	if s.scr.frames > 0 && cond(s.scr) {
		s.mu.Unlock()
		return time.Now(), nil
	}
	s.onDraw = check
	s.mu.Unlock()
	defer s.setDraw(nil)
	deadline := time.After(timeout)
	for {
		select {
		case at := <-found:
			return at, nil
		case <-deadline:
			return time.Time{}, fmt.Errorf("not on screen within %v; the screen:\n%s", timeout, s.text())
		case <-time.After(100 * time.Millisecond):
			if !s.alive() {
				time.Sleep(200 * time.Millisecond)
				return time.Time{}, fmt.Errorf("the console exited; its output:\n%s", tailText(s.term.Output()))
			}
		}
	}
}

func tailText(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// startupTimes are one start's figures, in seconds from exec.
type startupTimes struct {
	crash, all float64 // first frame with a crash-looping pod; with every pod counted (0: never seen)
	firstFrame string  // the screen of the first
}

// startup waits for the first frame with a crash-looping pod in the pods
// pane, and for the first whose summary counts every pod (a console that
// draws the list as its pages arrive shows crash-looping pods before it
// has them all); it gives up on the second 20 s after the first.
func (o consoleOpts) startup(s *session, re *regexp.Regexp) (startupTimes, error) {
	var st startupTimes
	var crashAt, allAt time.Time
	crash, all := crashOnScreen(re), podsCounted(o.pods)
	both := make(chan struct{}, 1)
	s.setDraw(func(now time.Time, scr *screen) {
		if crashAt.IsZero() && crash(scr) {
			crashAt, st.firstFrame = now, scr.String()
		}
		if allAt.IsZero() && all(scr) {
			allAt = now
		}
		if !crashAt.IsZero() && !allAt.IsZero() {
			select {
			case both <- struct{}{}:
			default:
			}
		}
	})
	defer s.setDraw(nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-both:
		case <-time.After(100 * time.Millisecond):
		}
		s.mu.Lock()
		c, a := crashAt, allAt
		s.mu.Unlock()
		switch {
		case !c.IsZero() && (!a.IsZero() || time.Since(c) > 20*time.Second):
			st.crash = c.Sub(s.started).Seconds()
			if !a.IsZero() {
				st.all = a.Sub(s.started).Seconds()
			}
			return st, nil
		case time.Now().After(deadline):
			return st, fmt.Errorf("no crash-looping pod on screen within 60 s; the screen:\n%s", s.text())
		case !s.alive():
			time.Sleep(200 * time.Millisecond)
			return st, fmt.Errorf("the console exited; its output:\n%s", tailText(s.term.Output()))
		}
	}
}

// podsCounted: the pods pane's summary says "N pods" (N the whole
// namespace; "10000" or "10,000").
func podsCounted(n int) func(*screen) bool {
	re := regexp.MustCompile(`(?:^|[^\d,])(\d[\d,]*) pods\b`)
	return func(scr *screen) bool {
		for _, line := range scr.text {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				if v, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); err == nil && v == n {
					return true
				}
			}
		}
		return false
	}
}

// crashOnScreen: a crash-looping pod's row, with its status, is drawn.
func crashOnScreen(re *regexp.Regexp) func(*screen) bool {
	return func(scr *screen) bool {
		for _, r := range scr.rows(re) {
			if r.status == "CrashLoopBackOff" {
				return true
			}
		}
		return false
	}
}

// measureConsole runs every measurement for one binary.
func measureConsole(ctx context.Context, o consoleOpts) consoleResult {
	res := consoleResult{Name: o.name, Bin: o.bin}
	re := podRowsRE(crashPrefix)

	// Idle, closed: the same window with no console, first.
	logf("%s: API server with no console for %v", o.name, o.idle)
	closed, err := o.window(ctx, 0, o.idle)
	if err != nil {
		res.Idle.Err = err.Error()
	}

	var last *session
	for run := 1; run <= o.runs; run++ {
		s, err := o.start(run)
		if err != nil {
			res.StartupErrors = append(res.StartupErrors, err.Error())
			continue
		}
		st, err := o.startup(s, re)
		if err != nil {
			res.StartupErrors = append(res.StartupErrors, fmt.Sprintf("run %d: %v", run, err))
			logf("%s: run %d: %v", o.name, run, err)
			s.close()
			continue
		}
		res.Startup = append(res.Startup, st.crash)
		msg := fmt.Sprintf("%s: run %d: crash-looping pods on screen after %.3f s", o.name, run, st.crash)
		if st.all > 0 {
			res.AllPods = append(res.AllPods, st.all)
			msg += fmt.Sprintf(", all %d pods counted after %.3f s", o.pods, st.all)
		}
		logf("%s", msg)
		if run == 1 {
			o.saveText(st.firstFrame, "1-first-frame")
		}
		if run < o.runs {
			s.close()
			time.Sleep(time.Second) // let the API server finish with it
			continue
		}
		last = s
	}
	if last == nil {
		res.Idle.Err = "no console came up"
		res.Churn.Err = "no console came up"
		return res
	}
	defer last.close()
	last.every.Store(int64(50 * time.Millisecond))

	logf("%s: console open and idle: settle %v, then %v", o.name, o.settle, o.idle)
	time.Sleep(o.settle)
	open, err := o.window(ctx, last.term.Pid(), o.idle)
	if err != nil {
		res.Idle.Err = err.Error()
	}
	res.Idle.Seconds = o.idle.Seconds()
	res.Idle.ConsoleCPU = open.console
	res.Idle.APICPUClosed, res.Idle.APICPUOpen = closed.api, open.api
	res.Idle.EtcdCPUClosed, res.Idle.EtcdCPUOpen = closed.etcd, open.etcd
	res.Idle.ListsClosed, res.Idle.ListsOpen = closed.lists, open.lists
	res.Idle.ListMBClosed, res.Idle.ListMBOpen = closed.listBytes/1e6, open.listBytes/1e6
	res.Idle.PeakRSSMB, _ = memMB(last.term.Pid(), "VmHWM")
	res.Idle.RSSMB, _ = memMB(last.term.Pid(), "VmRSS")
	res.Idle.PeakRSSMB = max(res.Idle.PeakRSSMB, res.Idle.RSSMB)

	res.Churn = o.churnRun(ctx, last, re)
	return res
}

// windowResult is what changed over one measuring window.
type windowResult struct {
	console, api, etcd float64 // CPU seconds
	lists, listBytes   float64
}

// window measures for d: the console's CPU (pid 0: none), the API
// server's and etcd's, and the API server's LIST counters.
func (o consoleOpts) window(ctx context.Context, pid int, d time.Duration) (windowResult, error) {
	read := func() (w windowResult, err error) {
		if pid != 0 {
			if w.console, err = cpuSeconds(pid); err != nil {
				return w, err
			}
		}
		if w.api, err = cpuSeconds(o.apiPID); err != nil {
			return w, err
		}
		if o.etcdPID != 0 {
			if w.etcd, err = cpuSeconds(o.etcdPID); err != nil {
				return w, err
			}
		}
		c, err := scrapeAPIServer(ctx, o.cs)
		w.lists, w.listBytes = c.lists, c.listBytes
		return w, err
	}
	a, err := read()
	if err != nil {
		return windowResult{}, err
	}
	time.Sleep(d)
	b, err := read()
	if err != nil {
		return windowResult{}, err
	}
	return windowResult{
		console: b.console - a.console, api: b.api - a.api, etcd: b.etcd - a.etcd,
		lists: b.lists - a.lists, listBytes: b.listBytes - a.listBytes,
	}, nil
}

// stateWrite is one status change of one crash-looping pod.
type stateWrite struct {
	pod                  int
	count                int32
	sent, acked          time.Time
	visible, drawn       time.Time // that state or a newer one on screen; exactly that one
	visibleSet, drawnSet bool
	failed               bool
}

// churnState is shared by the writers, the key prober and the screen.
type churnState struct {
	mu       sync.Mutex
	writes   [][]*stateWrite // per pod, in order (counts increase)
	next     []int           // per pod: the first write not yet visible
	shown    map[string]int  // pod → restart count on screen
	rowDraws int

	selLine    int // the cursor's row among the crash-looping pods' rows, -1 unknown
	keyFrom    int // selLine when the pending key was sent
	keySent    time.Time
	keyPending bool
	keyDelays  []float64
	keys       int
}

// observe is called after each frame with the crash-looping pods' rows in
// screen order: restart counts on screen resolve the writes they show, and
// a cursor that moved answers the pending key.
func (c *churnState) observe(now time.Time, rows []podRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	sel := -1
	for i, r := range rows {
		if r.selected {
			sel = i // the cursor's place among the rows: a line added above them does not move it
		}
		if old, ok := c.shown[r.name]; ok && old == r.restarts {
			continue
		}
		c.shown[r.name] = r.restarts
		changed = true
		p, err := strconv.Atoi(strings.TrimPrefix(r.name, crashPrefix))
		if err != nil || p < 0 || p >= len(c.writes) {
			continue
		}
		ws := c.writes[p]
		for c.next[p] < len(ws) && ws[c.next[p]].count <= int32(r.restarts) {
			w := ws[c.next[p]]
			w.visible, w.visibleSet = now, true
			if w.count == int32(r.restarts) {
				w.drawn, w.drawnSet = now, true
			}
			c.next[p]++
		}
	}
	if changed {
		c.rowDraws++
	}
	c.selLine = sel
	if c.keyPending && sel >= 0 && c.keyFrom >= 0 && sel != c.keyFrom {
		c.keyDelays = append(c.keyDelays, now.Sub(c.keySent).Seconds())
		c.keyPending = false
	}
}

// churnRun zooms the pods pane (so all crash-looping pods fit), then writes
// `rate` status changes per second for the churn duration, round-robin
// over the crash-looping pods, each one more restart, and reads the screen
// for when each new count is drawn; every second it sends j or k (they
// alternate, so the cursor stays on the top rows) and times the cursor's
// move on screen.
func (o consoleOpts) churnRun(ctx context.Context, s *session, re *regexp.Regexp) churnResult {
	res := churnResult{Crashing: o.crashing}
	s.every.Store(int64(2 * time.Millisecond))
	s.term.Send("z")
	allRows := func(scr *screen) bool { return len(scr.rows(re)) >= o.crashing }
	if _, err := s.waitFor(10*time.Second, allRows); err != nil {
		logf("%s: not every crash-looping pod is on screen after zooming: %v", o.name, err)
	}
	s.mu.Lock()
	res.Visible = len(s.scr.rows(re))
	s.mu.Unlock()
	o.save(s, "2-zoomed")

	// Each crash-looping pod as it is now: one writer per pod.
	pods := make([]*corev1.Pod, o.crashing)
	for i := range pods {
		p, err := o.cs.CoreV1().Pods(o.ns).Get(ctx, crashName(i), metav1.GetOptions{})
		if err != nil {
			res.Err = err.Error()
			return res
		}
		pods[i] = p
	}
	st := &churnState{
		writes: make([][]*stateWrite, o.crashing), next: make([]int, o.crashing),
		shown: map[string]int{}, selLine: -1,
	}
	s.mu.Lock()
	st.observe(time.Now(), s.scr.rows(re))
	s.onDraw = func(now time.Time, scr *screen) { st.observe(now, scr.rows(re)) }
	frames0 := s.scr.frames
	s.mu.Unlock()

	pid := s.term.Pid()
	res.RSSStartMB, _ = memMB(pid, "VmRSS")
	cpu0, _ := cpuSeconds(pid)
	t0 := time.Now()

	total := int(o.churn.Seconds() * float64(o.rate))
	interval := time.Second / time.Duration(o.rate)
	chans := make([]chan time.Time, o.crashing)
	var wg sync.WaitGroup
	var latencies []float64
	var latMu sync.Mutex
	var failed atomic.Int64
	for p := range chans {
		chans[p] = make(chan time.Time, 64)
		wg.Go(func() {
			pod := pods[p]
			for range chans[p] {
				cs := &pod.Status.ContainerStatuses[0]
				cs.RestartCount++
				now := time.Now()
				cs.LastTerminationState.Terminated.StartedAt = metav1.NewTime(now.Add(-2 * time.Second))
				cs.LastTerminationState.Terminated.FinishedAt = metav1.NewTime(now)
				w := &stateWrite{pod: p, count: cs.RestartCount}
				st.mu.Lock()
				w.sent = now
				st.writes[p] = append(st.writes[p], w)
				st.mu.Unlock()
				upd, err := o.cs.CoreV1().Pods(o.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
				if apierrors.IsConflict(err) { // should not happen: one writer per pod
					if cur, gerr := o.cs.CoreV1().Pods(o.ns).Get(ctx, pod.Name, metav1.GetOptions{}); gerr == nil {
						cur.Status = pod.Status
						upd, err = o.cs.CoreV1().Pods(o.ns).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
					}
				}
				acked := time.Now()
				st.mu.Lock()
				w.acked = acked
				if err != nil {
					w.failed = true
				}
				st.mu.Unlock()
				if err != nil {
					failed.Add(1)
					logf("%s: status write %s %d: %v", o.name, pod.Name, w.count, err)
					cs.RestartCount-- // the next write tries this count again
					continue
				}
				pod = upd
				latMu.Lock()
				latencies = append(latencies, acked.Sub(now).Seconds())
				latMu.Unlock()
			}
		})
	}

	// The key prober.
	keysDone := make(chan struct{})
	var keysWG sync.WaitGroup
	keysWG.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		down := true
		for {
			select {
			case <-keysDone:
				return
			case <-tick.C:
			}
			st.mu.Lock()
			st.keyFrom, st.keySent, st.keyPending = st.selLine, time.Now(), true
			st.keys++
			st.mu.Unlock()
			if down {
				s.term.Send("j")
			} else {
				s.term.Send("k")
			}
			down = !down
		}
	})

	logf("%s: churn: %d status changes/s for %v over %d pods", o.name, o.rate, o.churn, o.crashing)
	var behindMax time.Duration
	for i := 0; i < total; i++ {
		due := t0.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		} else if -d > behindMax {
			behindMax = -d
		}
		chans[i%o.crashing] <- due
	}
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	close(keysDone)
	keysWG.Wait()
	res.Seconds = time.Since(t0).Seconds()
	cpu1, _ := cpuSeconds(pid)
	res.ConsoleCPU, res.ConsoleSecs = cpu1-cpu0, time.Since(t0).Seconds()
	res.RSSEndMB, _ = memMB(pid, "VmRSS")

	// Let the last states reach the screen (a polling console needs a
	// refresh and a list), then stop reading.
	time.Sleep(5 * time.Second)
	s.mu.Lock()
	s.onDraw = nil
	res.Frames = s.scr.frames - frames0
	s.mu.Unlock()
	res.PeakRSSMB, _ = memMB(pid, "VmHWM")
	// The kernel updates the high-water mark lazily: never report it below
	// a reading of RSS.
	res.PeakRSSMB = max(res.PeakRSSMB, res.RSSStartMB, res.RSSEndMB)
	o.save(s, "3-after-churn")

	st.mu.Lock()
	defer st.mu.Unlock()
	var vis, drawn []float64
	for _, ws := range st.writes {
		for _, w := range ws {
			if w.failed {
				res.Failed++
				continue
			}
			res.Writes++
			if w.visibleSet {
				vis = append(vis, w.visible.Sub(w.sent).Seconds())
			} else {
				res.NeverShown++
			}
			if w.drawnSet {
				drawn = append(drawn, w.drawn.Sub(w.sent).Seconds())
			} else {
				res.NeverDrawn++
			}
		}
	}
	res.Visibility, res.Drawn = summarize(vis), summarize(drawn)
	latMu.Lock()
	res.WriteLatency = summarize(latencies)
	latMu.Unlock()
	res.Keys = st.keys
	res.KeyDelay = summarize(st.keyDelays)
	res.KeysUnanswered = st.keys - len(st.keyDelays)
	res.RowFrames = st.rowDraws
	res.WritesBehindMax = behindMax
	return res
}
