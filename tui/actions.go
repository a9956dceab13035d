package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
)

// The one action path. A pane hands the shell a common.Action; the shell:
//
//  1. refuses a destructive action in a read-only session, before any dialog;
//  2. asks for confirmation, showing the exact lines, the target and what
//     the mode will do with it;
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
	lines   []string
	dropped int
	// cancelling is set once esc asked it to stop.
	cancelling bool
	// done is set when the outcome is known.
	done *runResult
}

// runUpdate is what the goroutine running an action sends the UI; bursts
// are merged by mergeRun so the UI drains them at its own pace.
type runUpdate struct {
	events  []common.EventMsg
	lines   []string
	dropped int
	done    *runResult
}

type runResult struct {
	outcome  common.Outcome
	duration time.Duration
}

func mergeRun(p, n runUpdate) runUpdate {
	p.events = append(p.events, n.events...)
	p.lines = append(p.lines, n.lines...)
	p.dropped += n.dropped
	if over := len(p.lines) - outputKeep; over > 0 {
		p.lines = append([]string(nil), p.lines[over:]...)
		p.dropped += over
	}
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
	case m.Drill && a.TouchesHost():
		return false, "drill: it would run on this machine"
	}
	return true, ""
}

// requestAction is step 1 and 2: refuse, or ask.
func (m *Model) requestAction(a common.Action) tea.Cmd {
	if a.Destructive && m.c.Mode.ReadOnly {
		m.setFlash("read-only session: \""+a.Title+"\" is not possible (restart without --read-only to act)", true)
		return nil
	}
	if a.Run == nil {
		m.setFlash("\""+a.Title+"\" has nothing to run (a bug: please report it)", true)
		return nil
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
		title: a.Title, lines: a.Lines, target: a.Target, destructive: a.Destructive, note: note,
		onConfirm: func() tea.Msg { return confirmedAction{a} },
	}})
	return nil
}

// confirmedAction is the confirmation dialog's answer.
type confirmedAction struct{ action common.Action }

// startAction is steps 3 and 4.
func (m *Model) startAction(a common.Action) tea.Cmd {
	now := m.c.Now()
	f := incident.ActionFields{
		Title: a.Title, Kind: a.Kind, Op: a.Op, Lines: a.Lines, Target: a.Target,
		Destructive: a.Destructive, Mode: modeName(m.c.Mode), Step: a.Step,
	}
	log := m.c.Logger()
	if run, why := executes(m.c.Mode, a); !run {
		f.Phase = incident.PhaseNotExecuted
		ev := incident.Event{Time: now, Actor: m.c.Actor, Kind: incident.KindAction,
			Summary: "would run — not executed (" + why + "): " + a.Title, Action: &f}
		m.setFlash("would run — not executed ("+why+"): "+a.Title, false)
		rec := common.RecordEvent(m.c.Journal, ev)
		tag, op := a.Tag, a.Op
		return tea.Batch(func() tea.Msg {
			log.Info("action not executed", "title", a.Title, "op", op, "why", why, "lines", redactAll(a.Lines), "target", incident.Redact(a.Target))
			return rec()
		}, func() tea.Msg { return common.ActionDoneMsg{Tag: tag, Op: op} })
	}
	f.Phase, f.Executed = incident.PhaseStarted, true
	id := incident.NewID(now)
	start := incident.Event{ID: id, Time: now, Actor: m.c.Actor, Kind: incident.KindAction,
		Summary: "started: " + a.Title, Action: &f}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = common.DefaultActionTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	r := &running{id: id, action: a, started: now, cancel: cancel,
		stream: probes.NewStream[runUpdate]("action:"+id, mergeRun)}
	m.running = append(m.running, r)
	m.pushModal(&runningModal{st: m.c.Styles, keys: m.dialogKeys, r: r, now: m.c.Now})
	exec := execution{j: m.c.Journal, now: m.c.Now, log: log, action: a, start: start, stream: r.stream}
	return tea.Batch(func() tea.Msg { exec.run(ctx, cancel); return nil }, r.stream.Next())
}

// execution is what the action's goroutine needs: copies, never the model.
type execution struct {
	j      common.Recorder
	now    func() time.Time
	log    *slog.Logger
	action common.Action
	start  incident.Event
	stream *probes.Stream[runUpdate]
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
	x.log.Info("action started", "id", x.start.ID, "title", a.Title, "op", a.Op, "kind", a.Kind,
		"lines", redactAll(a.Lines), "target", incident.Redact(a.Target), "destructive", a.Destructive)

	var ex excerpt
	progress := func(line string) {
		for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
			ex.add(l)
			x.stream.Publish(runUpdate{lines: []string{l}})
		}
	}
	t0 := time.Now()
	out := callRun(ctx, a.Run, progress)
	dur := time.Since(t0)
	if out.Output != "" {
		for _, l := range strings.Split(strings.TrimRight(out.Output, "\n"), "\n") {
			ex.add(l)
		}
	}

	f := *x.start.Action
	f.Phase, f.Ref, f.ExitCode, f.DurationMS, f.Output = incident.PhaseFinished, x.start.ID, out.ExitCode, dur.Milliseconds(), ex.String()
	summary := "done: " + a.Title
	switch {
	case errors.Is(ctx.Err(), context.Canceled) && out.Err != nil:
		f.Cancelled, f.Error = true, out.Err.Error()
		summary = "cancelled: " + a.Title
	case out.Err != nil:
		f.Error = out.Err.Error()
		summary = "FAILED: " + a.Title + " — " + firstLine(out.Err.Error())
	case out.Result != "":
		summary += " — " + out.Result
	}
	summary += " (" + dur.Round(100*time.Millisecond).String() + ")"
	fin := incident.Event{Time: x.now(), Actor: x.start.Actor, Kind: incident.KindAction, Summary: summary, Detail: out.Result, Action: &f}
	finished := x.record(fin)
	x.log.Info("action finished", "id", x.start.ID, "title", a.Title, "op", a.Op, "duration", dur,
		"error", incident.Redact(f.Error), "cancelled", f.Cancelled, "exit_code", f.ExitCode)
	x.stream.Publish(runUpdate{events: []common.EventMsg{finished}, done: &runResult{outcome: out, duration: dur}})
}

// callRun calls run and returns its outcome; a Run that panics fails, and
// one that ignores its cancelled context is waited for only stopGrace.
func callRun(ctx context.Context, run func(context.Context, func(string)) common.Outcome, progress func(string)) common.Outcome {
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
		return withCtxErr(ctx, out)
	case <-ctx.Done():
	}
	select {
	case out := <-done:
		return withCtxErr(ctx, out)
	case <-time.After(stopGrace):
		return common.Outcome{Err: fmt.Errorf("%w; it did not stop within %s and was left behind", ctx.Err(), stopGrace)}
	}
}

// withCtxErr makes sure a Run cut short by its context reports it.
func withCtxErr(ctx context.Context, out common.Outcome) common.Outcome {
	if out.Err == nil && ctx.Err() != nil {
		out.Err = ctx.Err()
	}
	return out
}

// excerpt keeps the first and last lines of an action's output.
type excerpt struct {
	head    []string
	tail    []string
	skipped int
}

func (e *excerpt) add(l string) {
	if len(l) > 300 {
		l = l[:300] + "…"
	}
	if len(e.head) < outputHead {
		e.head = append(e.head, l)
		return
	}
	e.tail = append(e.tail, l)
	if len(e.tail) > outputTail {
		e.tail = e.tail[1:]
		e.skipped++
	}
}

func (e *excerpt) String() string {
	lines := append([]string(nil), e.head...)
	if e.skipped > 0 {
		lines = append(lines, fmt.Sprintf("… %d lines …", e.skipped))
	}
	return strings.Join(append(lines, e.tail...), "\n")
}

func redactAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = incident.Redact(l)
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
	if n := len(msg.Data.lines); n > 0 || msg.Data.dropped > 0 {
		r.lines = append(r.lines, msg.Data.lines...)
		r.dropped += msg.Data.dropped
		if over := len(r.lines) - outputKeep; over > 0 {
			r.lines = append([]string(nil), r.lines[over:]...)
			r.dropped += over
		}
		lines, dropped, id, tag := msg.Data.lines, msg.Data.dropped, r.id, r.action.Tag
		cmds = append(cmds, m.broadcast(common.ActionProgressMsg{ID: id, Tag: tag, Lines: lines, Dropped: dropped}))
	}
	if d := msg.Data.done; d != nil {
		r.done = d
		m.forget(r)
		text, isErr := "done: "+r.action.Title, d.outcome.Err != nil
		if isErr {
			text = "FAILED: " + r.action.Title + " — " + firstLine(d.outcome.Err.Error())
		} else if d.outcome.Result != "" {
			text += " — " + d.outcome.Result
		}
		m.setFlash(text, isErr)
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
			return
		}
	}
}

// runningBadge is the status bar's account of running actions.
func (m *Model) runningBadge(now time.Time) string {
	switch len(m.running) {
	case 0:
		return ""
	case 1:
		r := m.running[0]
		return "⟳ " + common.Truncate(r.action.Title, 24) + " " + common.Duration(now.Sub(r.started))
	}
	return fmt.Sprintf("⟳ %d actions running", len(m.running))
}

// showRunning reopens the dialog of the oldest running action.
func (m *Model) showRunning() tea.Cmd {
	if len(m.running) > 0 {
		m.pushModal(&runningModal{st: m.c.Styles, keys: m.dialogKeys, r: m.running[0], now: m.c.Now})
	}
	return nil
}
