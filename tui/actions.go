package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
)

// The one action path. A pane hands the shell a common.Action; the shell:
//
//  1. refuses a destructive action in a read-only session, before any dialog;
//  2. asks for confirmation, showing the exact lines, the target and what
//     the mode will do with it — except for an Auto action, the console's
//     own, set off by the incident: it has no dialog (only a notification
//     may be one), and its failure shows in the status line;
//  3. in dry-run, and in a drill for actions that touch this machine,
//     records "would run — not executed" and never calls Run;
//  4. otherwise records the start (fsync'd), calls Run off the UI goroutine
//     with a cancellable context and the action's timeout, streams its
//     progress to whoever shows it, and records the outcome.

const (
	// outputKeep is how many output lines a running action keeps for the
	// dialog; outputHead/outputTail are what the outcome event keeps.
	outputKeep = 200
	outputHead = 5
	outputTail = 15
	// stopGrace is how long a cancelled or timed-out Run may take to
	// return before the shell stops waiting for it.
	stopGrace = 5 * time.Second
)

// running is an action that is executing. It lives in the model and is
// changed only on the UI goroutine.
type running struct {
	id      string
	action  common.Action
	started time.Time
	cancel  context.CancelFunc
	stream  *probes.Stream[runUpdate]
	out     probes.Lines // the newest outputKeep lines, for its dialog
	// cancelling is set once esc asked it to stop.
	cancelling bool
	// done is set when the outcome is known.
	done *runResult
	// ended is closed by the action's goroutine once its outcome is
	// recorded (quitting waits for it).
	ended chan struct{}
	// before are the vital signs when it started (its evidence compares).
	before []incident.Vital
}

// runUpdate is what the goroutine running an action sends the UI; bursts
// are merged by mergeRun so the UI drains them at its own pace.
type runUpdate struct {
	events []common.EventMsg
	out    probes.Lines
	done   *runResult
}

// runResult is an action's end, as the journal says it.
type runResult struct {
	outcome  common.Outcome
	duration time.Duration
	summary  string // the outcome event's summary
	failed   bool   // failed, cancelled, or not run at all
	ran      bool   // Run was called (its start is on disk)
	ending   string // incident.OutcomeFailed or OutcomeCancelled; "" on success
}

var keepLines = probes.AppendLines(outputKeep)

func mergeRun(p, n runUpdate) runUpdate {
	p.events = append(p.events, n.events...)
	p.out = keepLines(p.out, n.out)
	if n.done != nil {
		p.done = n.done
	}
	return p
}

func modeName(m common.Mode) string {
	switch {
	case m.DryRun:
		return "dry-run"
	case m.Drill:
		return "drill"
	}
	return ""
}

// executes reports whether a confirmed action's Run is called in mode m,
// and if not, why.
func executes(m common.Mode, a common.Action) (bool, string) {
	switch {
	case m.DryRun:
		return false, "dry-run"
	case m.Drill && !a.OnBackend():
		return false, "drill: it would run on this machine"
	}
	return true, ""
}

// requestAction is step 1 and 2: refuse, or ask. An Auto action (the
// console's own, set off by the incident) is not asked about: it goes
// straight to step 3, so nobody's typing is interrupted by a dialog.
func (m *Model) requestAction(a common.Action) tea.Cmd {
	a = masked(a)
	if a.Auto && (a.Destructive || a.Kind != incident.ActionNotify) {
		// Only a person may set off what changes systems: an automatic
		// action is a notification, never without a dialog otherwise.
		m.setFlash("\""+a.Title+"\" is automatic but not a notification: not run (a bug: please report it)", true)
		return nil
	}
	if m.c.Mode.Refuses(a.Destructive) {
		m.setFlash("read-only session: \""+a.Title+"\" is not possible (restart without --read-only to act)", true)
		return nil
	}
	if a.Run == nil {
		m.setFlash("\""+a.Title+"\" has nothing to run (a bug: please report it)", true)
		return nil
	}
	for _, r := range m.running {
		if a.Op != "" && r.action.Op == a.Op && r.action.Target == a.Target {
			if a.Auto {
				return m.autoSkipped(a)
			}
			m.setFlash("\""+a.Title+"\" is already running (o shows it)", true)
			return nil
		}
	}
	if a.Auto {
		return m.startAction(a)
	}
	run, why := executes(m.c.Mode, a)
	var note string
	switch {
	case !run:
		note = strings.ToUpper(why[:1]) + why[1:] + ": it will be shown as \"would run\" and recorded as not executed."
	case m.c.Mode.Drill:
		note = "DRILL: it runs against the drill's own backends, not a real one."
	}
	m.pushModal(&confirmModal{st: m.c.Styles, keys: m.dialogKeys, c: confirmation{
		title: a.Title, lines: a.Lines, target: a.Target, impact: a.Impact, destructive: a.Destructive, note: note,
		onConfirm: func() tea.Msg { return confirmedAction{a} },
	}})
	return nil
}

// masked is a with its secrets masked in everything the shell shows,
// records or logs; Run (which needs them) is untouched.
func masked(a common.Action) common.Action {
	if len(a.Secrets) == 0 {
		return a
	}
	mask := func(s string) string { return common.Mask(s, a.Secrets) }
	a.Title, a.Target, a.Step = mask(a.Title), mask(a.Target), mask(a.Step)
	lines := make([]string, len(a.Lines))
	for i, l := range a.Lines {
		lines[i] = mask(l)
	}
	a.Lines = lines
	impact := make([]string, len(a.Impact))
	for i, l := range a.Impact {
		impact[i] = mask(l)
	}
	a.Impact = impact
	return a
}

// maskedOutcome is out with a's secrets masked.
func maskedOutcome(out common.Outcome, secrets []string) common.Outcome {
	if len(secrets) == 0 {
		return out
	}
	out.Output, out.Result = common.Mask(out.Output, secrets), common.Mask(out.Result, secrets)
	if out.Err != nil {
		if m := common.Mask(out.Err.Error(), secrets); m != out.Err.Error() {
			out.Err = maskedErr{msg: m, err: out.Err}
		}
	}
	return out
}

// maskedErr is an error whose text had a secret masked: it says the
// masked text and still unwraps to what it was (context.Canceled stays a
// cancellation).
type maskedErr struct {
	msg string
	err error
}

func (e maskedErr) Error() string { return e.msg }
func (e maskedErr) Unwrap() error { return e.err }

// autoSkipped is an Auto action set off again while the same one still
// runs: the run under way stands for it. Said quietly (never over an
// error), and logged.
func (m *Model) autoSkipped(a common.Action) tea.Cmd {
	if !m.flashErr {
		m.setFlash("\""+a.Title+"\" is already running: not started again (o shows it)", false)
	}
	log := m.c.Logger()
	return func() tea.Msg {
		log.Info("automatic action skipped: already running", "title", incident.Clean(a.Title), "op", a.Op,
			"target", incident.Clean(a.Target))
		return nil
	}
}

// notExecutedMsg is an action recorded as not executed: the shell shows
// the event, then tells the panes, in that order.
type notExecutedMsg struct {
	recorded common.EventMsg
	done     common.ActionDoneMsg
}

// confirmedAction is the confirmation dialog's answer.
type confirmedAction struct{ action common.Action }

// startAction is steps 3 and 4.
func (m *Model) startAction(a common.Action) tea.Cmd {
	now := m.c.Now()
	f := incident.ActionFields{
		Title: a.Title, Kind: a.Kind, Op: a.Op, Lines: a.Lines, Target: a.Target,
		Destructive: a.Destructive, Mode: modeName(m.c.Mode), Step: a.Step,
		Vitals: m.vitals.Snapshot(),
	}
	log := m.c.Logger()
	// An automatic action is the console's doing, not the person's at the
	// keyboard.
	actor := m.c.Actor
	if a.Auto {
		actor = common.SystemActor
	}
	if run, why := executes(m.c.Mode, a); !run {
		f.Phase = incident.PhaseNotExecuted
		ev := incident.Event{ID: incident.NewID(now), Time: now, Actor: actor, Kind: incident.KindAction,
			Summary: "would run — not executed (" + why + "): " + a.Title, Action: &f}
		if !a.Auto || !m.flashErr {
			m.setFlash(ev.Summary, false) // an error stays in view
		}
		rec := common.RecordEvent(m.c.Journal, ev)
		done := common.ActionDoneMsg{ID: ev.ID, Tag: a.Tag, Op: a.Op}
		return func() tea.Msg {
			log.Info("action not executed", "id", ev.ID, "title", incident.Clean(a.Title), "op", a.Op, "why", why,
				"lines", cleanAll(a.Lines), "target", incident.Clean(a.Target))
			return notExecutedMsg{recorded: rec().(common.EventMsg), done: done}
		}
	}
	f.Phase, f.Executed = incident.PhaseStarted, true
	id := incident.NewID(now)
	start := incident.Event{ID: id, Time: now, Actor: actor, Kind: incident.KindAction,
		Summary: "started: " + a.Title, Action: &f}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = common.DefaultActionTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	r := &running{id: id, action: a, started: now, cancel: cancel, ended: make(chan struct{}), before: f.Vitals,
		stream: probes.NewStream[runUpdate]("action:"+id, mergeRun)}
	m.running = append(m.running, r)
	m.keys.Running.SetEnabled(true)
	var shown tea.Cmd
	switch {
	case a.InPlace:
		// The pane that asked shows it (by Tag) and cancels it by ID.
		shown = m.broadcast(common.ActionStartedMsg{ID: id, Tag: a.Tag, Op: a.Op, Started: now})
	case !a.Auto:
		// An Auto action runs in the background: the status bar's badge
		// says so, o shows it; its failure is flashed when it ends.
		m.pushModal(&runningModal{st: m.c.Styles, keys: m.dialogKeys, r: r, now: m.c.Now})
	}
	exec := execution{j: m.c.Journal, now: m.c.Now, log: log, action: a, start: start, stream: r.stream, timeout: timeout, vitals: m.vitals}
	ended := r.ended
	return tea.Batch(shown, func() tea.Msg { exec.run(ctx, cancel); close(ended); return nil }, r.stream.Next())
}

// execution is what the action's goroutine needs: copies, never the model.
type execution struct {
	j       common.Recorder
	now     func() time.Time
	log     *slog.Logger
	action  common.Action
	start   incident.Event
	stream  *probes.Stream[runUpdate]
	timeout time.Duration
	// vitals is read (its immutable snapshot) when the action ends.
	vitals *vitalsBoard
}

func (x execution) record(ev incident.Event) common.EventMsg {
	msg, _ := common.RecordEvent(x.j, ev)().(common.EventMsg)
	return msg
}

func (x execution) run(ctx context.Context, cancel context.CancelFunc) {
	defer x.stream.Close()
	defer cancel()
	a := x.action
	started := x.record(x.start)
	x.stream.Publish(runUpdate{events: []common.EventMsg{started}})
	if started.Err != nil {
		// Nothing changes the world unrecorded: the start must be on disk
		// before Run is called.
		x.log.Error("action not run: its start could not be recorded", "id", x.start.ID, "title", incident.Clean(a.Title), "err", started.Err)
		x.stream.Publish(runUpdate{done: &runResult{failed: true,
			outcome: common.Outcome{Err: fmt.Errorf("not run: the journal could not record its start: %w", started.Err)},
			summary: "NOT RUN: " + a.Title + " — the journal could not record its start"}})
		return
	}
	x.log.Info("action started", "id", x.start.ID, "title", incident.Clean(a.Title), "op", a.Op, "kind", a.Kind,
		"lines", cleanAll(a.Lines), "target", incident.Clean(a.Target), "destructive", a.Destructive)

	ex := &excerpt{}
	var stopped atomic.Bool // set once the shell stops listening to Run
	progress := func(line string) {
		if stopped.Load() {
			return
		}
		lines := strings.Split(strings.TrimRight(common.Mask(line, a.Secrets), "\n"), "\n")
		ex.add(lines...)
		x.stream.Publish(runUpdate{out: probes.Lines{Lines: lines}})
	}
	t0 := time.Now()
	out, leftBehind := callRun(ctx, a.Run, progress)
	stopped.Store(true)
	out = maskedOutcome(out, a.Secrets)
	dur := time.Since(t0)
	if out.Output != "" {
		ex.add(strings.Split(strings.TrimRight(out.Output, "\n"), "\n")...)
	}

	f := *x.start.Action
	f.Phase, f.Ref, f.ExitCode, f.DurationMS, f.Output = incident.PhaseFinished, x.start.ID, out.ExitCode, dur.Milliseconds(), ex.String()
	f.Vitals = x.vitals.Snapshot()
	took := " (" + dur.Round(100*time.Millisecond).String() + ")"
	res := &runResult{outcome: out, duration: dur, failed: out.Err != nil, ran: true}
	switch {
	case out.Err != nil && errors.Is(ctx.Err(), context.Canceled):
		f.Cancelled, f.Error = true, out.Err.Error()
		res.ending = incident.OutcomeCancelled
		res.summary = "cancelled: " + a.Title + took
	case out.Err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		f.Error = fmt.Sprintf("timed out after %s: %v", x.timeout, out.Err)
		res.summary = "TIMED OUT: " + a.Title + " after " + x.timeout.String()
	case out.Err != nil:
		f.Error = out.Err.Error()
		res.summary = "FAILED: " + a.Title + " — " + firstLine(out.Err.Error()) + took
	case out.Result != "":
		res.summary = "done: " + a.Title + " — " + out.Result + took
	default:
		res.summary = "done: " + a.Title + took
	}
	if leftBehind {
		res.summary += " — it did not stop and was left behind"
	}
	if out.Err != nil && res.ending == "" {
		res.ending = incident.OutcomeFailed
	}
	fin := incident.Event{Time: x.now(), Actor: x.start.Actor, Kind: incident.KindAction, Summary: res.summary, Detail: out.Result, Action: &f}
	finished := x.record(fin)
	x.log.Info("action finished", "id", x.start.ID, "title", incident.Clean(a.Title), "op", a.Op, "duration", dur,
		"error", incident.Clean(f.Error), "cancelled", f.Cancelled, "exit_code", f.ExitCode, "left_behind", leftBehind)
	x.stream.Publish(runUpdate{events: []common.EventMsg{finished}, done: res})
}

// callRun calls run and returns its outcome: what Run returned, even if
// its context ended meanwhile (an undo that went through is done, not
// cancelled). A Run that panics fails; one that does not return within
// stopGrace of its context ending is left behind (true), with an error.
func callRun(ctx context.Context, run func(context.Context, func(string)) common.Outcome, progress func(string)) (common.Outcome, bool) {
	done := make(chan common.Outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- common.Outcome{Err: fmt.Errorf("action panicked: %v", p)}
			}
		}()
		done <- run(ctx, progress)
	}()
	select {
	case out := <-done:
		return out, false
	case <-ctx.Done():
	}
	select {
	case out := <-done:
		return out, false
	case <-time.After(stopGrace):
		return common.Outcome{Err: fmt.Errorf("%w; it did not stop within %s", ctx.Err(), stopGrace)}, true
	}
}

// excerpt keeps the first and last lines of an action's output. Run may
// call progress from several goroutines: it is guarded.
type excerpt struct {
	mu      sync.Mutex
	head    []string
	tail    []string
	skipped int
}

func (e *excerpt) add(lines ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range lines {
		if len(l) > 300 {
			l = l[:300] + "…"
		}
		if len(e.head) < outputHead {
			e.head = append(e.head, l)
			continue
		}
		e.tail = append(e.tail, l)
		if len(e.tail) > outputTail {
			e.tail = e.tail[1:]
			e.skipped++
		}
	}
}

func (e *excerpt) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	lines := append([]string(nil), e.head...)
	if e.skipped > 0 {
		lines = append(lines, fmt.Sprintf("… %d lines …", e.skipped))
	}
	return strings.Join(append(lines, e.tail...), "\n")
}

func cleanAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = incident.Clean(l)
	}
	return out
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// actionUpdate handles what a running action's goroutine sent.
func (m *Model) actionUpdate(msg probes.StreamMsg[runUpdate]) tea.Cmd {
	var r *running
	for _, x := range m.running {
		if _, ok := x.stream.Match(msg); ok {
			r = x
		}
	}
	if r == nil {
		return nil
	}
	var cmds []tea.Cmd
	for _, ev := range msg.Data.events {
		cmds = append(cmds, m.recorded(ev))
	}
	if out := msg.Data.out; len(out.Lines) > 0 || out.Dropped > 0 {
		r.out = keepLines(r.out, out)
		cmds = append(cmds, m.broadcast(common.ActionProgressMsg{ID: r.id, Tag: r.action.Tag, Lines: out.Lines, Dropped: out.Dropped}))
	}
	if d := msg.Data.done; d != nil {
		r.done = d
		m.forget(r)
		if d.ran {
			m.followUp(r, d.ending, m.c.Now())
		}
		if !m.flashErr || d.failed {
			// A failure (the journal's included) is never covered by a success.
			m.setFlash(d.summary, d.failed)
		}
		cmds = append(cmds, m.broadcast(common.ActionDoneMsg{ID: r.id, Tag: r.action.Tag, Op: r.action.Op,
			Executed: true, Outcome: d.outcome, Duration: d.duration}))
	}
	if !msg.Closed {
		cmds = append(cmds, r.stream.Next())
	}
	return tea.Batch(cmds...)
}

func (m *Model) forget(r *running) {
	for i, x := range m.running {
		if x == r {
			m.running = append(m.running[:i:i], m.running[i+1:]...)
			break
		}
	}
	m.keys.Running.SetEnabled(len(m.running) > 0)
}

// cancelAction cancels the running action id (a pane's in-place cancel).
func (m *Model) cancelAction(id string) {
	for _, r := range m.running {
		if r.id == id && !r.cancelling {
			r.cancelling = true
			r.cancel() // not I/O: the action's goroutine sees its context end
		}
	}
}

// stopAll cancels every running action and returns a Cmd that waits (at
// most stopGrace and a little) until their outcomes are recorded, then
// quits: closing the console never leaves a "started" without its end.
func (m *Model) stopAll() tea.Cmd {
	var ended []chan struct{}
	for _, r := range m.running {
		r.cancelling = true
		r.cancel()
		ended = append(ended, r.ended)
	}
	return func() tea.Msg {
		deadline := time.After(stopGrace + time.Second)
		for _, e := range ended {
			select {
			case <-e:
			case <-deadline:
				return tea.QuitMsg{}
			}
		}
		return tea.QuitMsg{}
	}
}

// runningBadge is the status bar's account of running actions; compact
// drops the title for a narrow screen.
func (m *Model) runningBadge(now time.Time, compact bool) string {
	switch {
	case len(m.running) == 0:
		return ""
	case len(m.running) > 1 && compact:
		return fmt.Sprintf("⟳ %d", len(m.running))
	case len(m.running) > 1:
		return fmt.Sprintf("⟳ %d actions running", len(m.running))
	}
	r := m.running[0]
	if compact {
		return "⟳ " + common.Duration(now.Sub(r.started))
	}
	return "⟳ " + common.Truncate(sanitize.Line(r.action.Title), 24) + " " + common.Duration(now.Sub(r.started))
}

// showRunning reopens the dialog of the oldest running action.
func (m *Model) showRunning() tea.Cmd {
	if len(m.running) > 0 {
		m.pushModal(&runningModal{st: m.c.Styles, keys: m.dialogKeys, r: m.running[0], now: m.c.Now})
	}
	return nil
}
