// Package probes holds what every backend probe shares: the state a pane
// renders for its backend (ok, stale, error, retrying, not configured), the
// poll loop that fetches in a tea.Cmd, never overlaps, and backs off on
// error, and (stream.go) the push path for watches and streamed output.
package probes

import (
	"context"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Status is the coarse health of one backend as a pane sees it.
type Status int

const (
	// NotConfigured: no address/credentials were given for this backend.
	NotConfigured Status = iota
	// Connecting: configured, no answer yet.
	Connecting
	// OK: the last fetch succeeded.
	OK
	// Failing: the last fetch failed; last good data (if any) is kept.
	Failing
)

func (s Status) String() string {
	switch s {
	case NotConfigured:
		return "not configured"
	case Connecting:
		return "connecting"
	case OK:
		return "ok"
	case Failing:
		return "failing"
	}
	return "unknown"
}

// State is what a pane knows about its backend. It is a value: copy freely.
type State struct {
	Status   Status
	Hint     string    // for NotConfigured: how to configure it
	LastOK   time.Time // time of the last successful fetch (zero: never)
	LastErr  error     // error of the last failed fetch
	ErrSince time.Time // first failure of the current failing streak
	Failures int       // consecutive failures
	RetryAt  time.Time // when the next attempt is due, while failing
	// Watching: the data comes from a watch that is connected, so it is
	// current however long ago it last changed (LastOK is the last
	// change), and it is never stale.
	Watching bool
}

// Stale reports whether data shown is older than maxAge at now.
func (s State) Stale(now time.Time, maxAge time.Duration) bool {
	return !s.Watching && !s.LastOK.IsZero() && now.Sub(s.LastOK) > maxAge
}

// Describe is a one-line human description, e.g.
// "failing · retry in 4s · data from 12:03:10 (1m ago) · connection refused".
func (s State) Describe(now time.Time) string {
	switch s.Status {
	case NotConfigured:
		if s.Hint != "" {
			return "not configured — " + s.Hint
		}
		return "not configured"
	case Connecting:
		return "connecting…"
	case OK:
		if s.Watching {
			return "ok · watching · last change " + Ago(now, s.LastOK)
		}
		return "ok · updated " + Ago(now, s.LastOK)
	case Failing:
		// The age of the data first (stale numbers must never look
		// current), then the retry, the error last: a narrow pane cuts
		// the error's tail.
		msg := "failing · " + s.DataAge(now)
		if r := s.Retry(now); r != "" {
			msg += " · " + r
		}
		if s.LastErr != nil {
			// Error text comes from the backend: cleaned (and its cause put
			// first) here, where it becomes display text, not in every pane.
			msg += " · " + ErrorText(s.LastErr)
		}
		return msg
	}
	return s.Status.String()
}

// DataAge says when the data shown is from: "data from 12:03:10 (1m ago)",
// or "no data yet".
func (s State) DataAge(now time.Time) string {
	if s.LastOK.IsZero() {
		return "no data yet"
	}
	return "data from " + s.LastOK.Format("15:04:05") + " (" + Ago(now, s.LastOK) + ")"
}

// Retry says when the next attempt is, while failing: "retry in 4s",
// "retrying", or "" when none is due.
func (s State) Retry(now time.Time) string {
	if s.RetryAt.IsZero() {
		return ""
	}
	if d := s.RetryAt.Sub(now); d > 0 {
		return fmt.Sprintf("retry in %s", d.Round(time.Second))
	}
	return "retrying"
}

// Ago renders a compact age the way kubectl does ("12s ago", "3m4s ago",
// "2h5m ago", "3d ago"; apimachinery's HumanDuration), so every pane and
// every kubectl listing beside it agree. Zero time is "never"; a time in
// the future (clock skew) reads "0s ago".
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return duration.HumanDuration(max(now.Sub(t), 0)) + " ago"
}

// Result carries the outcome of one fetch back to the pane that asked.
type Result[T any] struct {
	Tag  string // which loop asked (a pane instance's own tag)
	Gen  int    // the loop's generation when it asked (see Feed.Restart)
	Data T
	Err  error
	At   time.Time
}

// Tick asks the loop with Tag to fetch again; Gen is the loop's generation
// when the tick was armed.
type Tick struct {
	Tag string
	Gen int
}

// Fetch runs f with a timeout in a Cmd and returns a Result[T] of
// generation 0. f must not touch the model: give it copies.
func Fetch[T any](tag string, timeout time.Duration, now func() time.Time, f func(ctx context.Context) (T, error)) tea.Cmd {
	return fetchGen(context.Background(), tag, 0, timeout, now, f)
}

// fetchGen is Fetch under parent (cancelled when the generation ends), with
// the generation stamped on the Result.
func fetchGen[T any](parent context.Context, tag string, gen int, timeout time.Duration, now func() time.Time, f func(ctx context.Context) (T, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		data, err := f(ctx)
		return Result[T]{Tag: tag, Gen: gen, Data: data, Err: err, At: now()}
	}
}

// Loop is the bookkeeping of one poll loop: a pane embeds it, calls Done
// with each result, and fetches again when its Tick arrives. One fetch is in
// flight at a time because the next Tick is armed only after a result.
type Loop struct {
	Tag      string
	Interval time.Duration
	MaxBack  time.Duration
	State    State
	// Gen is the generation, stamped on every Tick and Result; Feed.Restart
	// bumps it so messages of the old generation are recognised and dropped.
	Gen int
}

// NewLoop makes a loop for a configured backend.
func NewLoop(tag string, interval time.Duration) Loop {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	return Loop{Tag: tag, Interval: interval, MaxBack: time.Minute, State: State{Status: Connecting}}
}

// Backoff is the delay after n consecutive failures: interval doubling from
// one interval up to MaxBack.
func (l *Loop) Backoff(n int) time.Duration {
	d := l.Interval
	for i := 1; i < n && d < l.MaxBack; i++ {
		d *= 2
	}
	if d > l.MaxBack {
		d = l.MaxBack
	}
	return d
}

// Done records the outcome of a fetch at time at and returns the Cmd that
// arms the next Tick (after the interval, or the backoff while failing).
func (l *Loop) Done(err error, at time.Time) tea.Cmd {
	var wait time.Duration
	if err == nil {
		l.State = State{Status: OK, LastOK: at}
		wait = l.Interval
	} else {
		if l.State.Status != Failing {
			l.State.ErrSince = at
		}
		l.State.Status = Failing
		l.State.LastErr = err
		l.State.Failures++
		wait = l.Backoff(l.State.Failures)
		l.State.RetryAt = at.Add(wait)
	}
	tag, gen := l.Tag, l.Gen
	return tea.Tick(wait, func(time.Time) tea.Msg { return Tick{Tag: tag, Gen: gen} })
}

// Feed is a poll loop with its fetch function and last good data: what a
// pane embeds to follow one backend. Fetch must capture copies (the probe,
// its arguments), never the pane.
//
// A feed has a generation (Loop.Gen). Restart, for a new zoom window or a
// new namespace, starts a new one: every Result and Tick carries the
// generation it was issued in, and Update drops those of another
// generation, so a fetch that was in flight across the restart neither
// paints old data over the new nor arms a second Tick: one poll loop stays
// alive however often the feed restarts. Bubbles' timer and spinner put an
// ID and a tag in every tick for the same reason.
type Feed[T any] struct {
	Loop
	Fetch   func(ctx context.Context) (T, error)
	Timeout time.Duration
	Now     func() time.Time
	// Data is the last good result; it is kept while the backend fails and
	// across a Restart, until the new generation answers.
	Data T
	// DataGen is the generation Data came from: below Gen while a
	// restarted feed still shows the old generation's data.
	DataGen int
	// OnChange, if set, is called when the backend is lost (a first
	// failure) or recovered (a success after failures); its Cmd runs.
	OnChange func(Change) tea.Cmd

	// ctx is cancelled when the generation ends, so its in-flight fetch
	// stops early; nil until the first fetch.
	ctx    context.Context
	cancel context.CancelFunc
}

// Change is a backend lost or recovered.
type Change struct {
	Lost bool
	Err  error         // the error, when lost
	Down time.Duration // how long it was down, when recovered
	At   time.Time
}

// NewFeed makes a feed; fetch nil means the backend is not configured, and
// hint says how to configure it.
func NewFeed[T any](tag string, interval time.Duration, now func() time.Time, fetch func(ctx context.Context) (T, error), hint string) *Feed[T] {
	f := &Feed[T]{Loop: NewLoop(tag, interval), Fetch: fetch, Timeout: 10 * time.Second, Now: now}
	if fetch == nil {
		f.State = State{Status: NotConfigured, Hint: hint}
	}
	return f
}

// Configured reports whether there is a backend to poll.
func (f *Feed[T]) Configured() bool { return f.Fetch != nil }

// Start issues the first fetch.
func (f *Feed[T]) Start() tea.Cmd {
	if f.Fetch == nil {
		return nil
	}
	return f.fetch()
}

// Restart begins a new generation and issues its first fetch at once:
// results and ticks of older generations are dropped from now on, and the
// old generation's in-flight fetch is cancelled. fetch replaces the fetch
// function (nil keeps the current one). Data and State are kept, so the
// pane shows its last good data (DataGen tells it is the old generation's)
// until the new generation answers. Call Start once (at Init) and Restart
// for every later change: each issues the one fetch its generation needs.
func (f *Feed[T]) Restart(fetch func(ctx context.Context) (T, error)) tea.Cmd {
	if fetch != nil {
		f.Fetch = fetch
	}
	f.Gen++
	if f.cancel != nil {
		f.cancel()
		f.ctx, f.cancel = nil, nil
	}
	if f.Fetch == nil {
		return nil
	}
	switch f.State.Status {
	case NotConfigured:
		f.State = State{Status: Connecting}
	case Failing:
		// The back-off tick was of the old generation: retrying now.
		f.State.RetryAt = f.Now()
	}
	return f.fetch()
}

// fetch issues a fetch of the current generation.
func (f *Feed[T]) fetch() tea.Cmd {
	if f.ctx == nil {
		f.ctx, f.cancel = context.WithCancel(context.Background())
	}
	return fetchGen(f.ctx, f.Tag, f.Gen, f.Timeout, f.Now, f.Fetch)
}

// Update handles this feed's own results and ticks; it reports whether msg
// was one of them. One of another generation is taken (handled) and
// dropped: no data, no state change, no Cmd.
func (f *Feed[T]) Update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case Result[T]:
		if msg.Tag != f.Tag {
			return false, nil
		}
		if msg.Gen != f.Gen {
			return true, nil
		}
		if msg.Err == nil {
			f.Data, f.DataGen = msg.Data, msg.Gen
		}
		before := f.State
		next := f.Done(msg.Err, msg.At)
		if f.OnChange == nil {
			return true, next
		}
		switch {
		case before.Status != Failing && f.State.Status == Failing:
			return true, tea.Batch(next, f.OnChange(Change{Lost: true, Err: msg.Err, At: msg.At}))
		case before.Status == Failing && f.State.Status == OK:
			return true, tea.Batch(next, f.OnChange(Change{Down: msg.At.Sub(before.ErrSince), At: msg.At}))
		}
		return true, next
	case Tick:
		if msg.Tag != f.Tag || f.Fetch == nil {
			return false, nil
		}
		if msg.Gen != f.Gen {
			return true, nil
		}
		return true, f.fetch()
	}
	return false, nil
}
