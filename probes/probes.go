// Package probes holds what every backend probe shares: the state a pane
// renders for its backend (ok, stale, error, retrying, not configured) and
// the poll loop that fetches in a tea.Cmd, never overlaps, and backs off on
// error.
package probes

import (
	"context"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/sanitize"
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
}

// Stale reports whether data shown is older than maxAge at now.
func (s State) Stale(now time.Time, maxAge time.Duration) bool {
	return !s.LastOK.IsZero() && now.Sub(s.LastOK) > maxAge
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
		return "ok · updated " + Ago(now, s.LastOK)
	case Failing:
		// Timing first, the error last: a narrow pane cuts the error's
		// tail, never when the data is from or when it retries.
		msg := "failing"
		if !s.RetryAt.IsZero() {
			if d := s.RetryAt.Sub(now); d > 0 {
				msg += fmt.Sprintf(" · retry in %s", d.Round(time.Second))
			} else {
				msg += " · retrying"
			}
		}
		if s.LastOK.IsZero() {
			msg += " · no data yet"
		} else {
			msg += " · data from " + s.LastOK.Format("15:04:05") + " (" + Ago(now, s.LastOK) + ")"
		}
		if s.LastErr != nil {
			// Error text comes from the backend: clean it here, where it
			// becomes display text, not in every pane.
			msg += " · " + sanitize.Line(s.LastErr.Error())
		}
		return msg
	}
	return s.Status.String()
}

// Ago renders a compact age such as "3s ago", "4m ago", "2h ago".
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	default:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
}

// Result carries the outcome of one fetch back to the pane that asked.
type Result[T any] struct {
	Tag  string // which loop asked (a pane instance's own tag)
	Data T
	Err  error
	At   time.Time
}

// Tick asks the loop with Tag to fetch again.
type Tick struct{ Tag string }

// Fetch runs f with a timeout in a Cmd and returns a Result[T]. f must not
// touch the model: give it copies.
func Fetch[T any](tag string, timeout time.Duration, now func() time.Time, f func(ctx context.Context) (T, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		data, err := f(ctx)
		return Result[T]{Tag: tag, Data: data, Err: err, At: now()}
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
	tag := l.Tag
	return tea.Tick(wait, func(time.Time) tea.Msg { return Tick{Tag: tag} })
}

// Feed is a poll loop with its fetch function and last good data: what a
// pane embeds to follow one backend. Fetch must capture copies (the probe,
// its arguments), never the pane.
type Feed[T any] struct {
	Loop
	Fetch   func(ctx context.Context) (T, error)
	Timeout time.Duration
	Now     func() time.Time
	// Data is the last good result; it is kept while the backend fails.
	Data T
	// OnChange, if set, is called when the backend is lost (a first
	// failure) or recovered (a success after failures); its Cmd runs.
	OnChange func(Change) tea.Cmd
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
	return Fetch(f.Tag, f.Timeout, f.Now, f.Fetch)
}

// Update handles this feed's own results and ticks; it reports whether msg
// was one of them.
func (f *Feed[T]) Update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case Result[T]:
		if msg.Tag != f.Tag {
			return false, nil
		}
		if msg.Err == nil {
			f.Data = msg.Data
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
		return true, Fetch(f.Tag, f.Timeout, f.Now, f.Fetch)
	}
	return false, nil
}
