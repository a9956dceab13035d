package probes

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func TestBackoffDoublesToTheCap(t *testing.T) {
	l := NewLoop("x", 2*time.Second)
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := l.Backoff(i + 1); got != w {
			t.Errorf("backoff after %d failures = %s, want %s", i+1, got, w)
		}
	}
}

func TestDoneTracksFailingStreakAndRecovery(t *testing.T) {
	l := NewLoop("x", time.Second)
	boom := errors.New("boom")
	l.Done(boom, t0)
	l.Done(boom, t0.Add(time.Second))
	if l.State.Status != Failing || l.State.Failures != 2 || !l.State.ErrSince.Equal(t0) {
		t.Fatalf("state %+v", l.State)
	}
	if !l.State.RetryAt.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("retry at %s, want +3s (1s then 2s back-off)", l.State.RetryAt)
	}
	if d := l.State.Describe(t0.Add(2 * time.Second)); !strings.HasSuffix(d, "· boom") || !strings.Contains(d, "retry in 1s") || !strings.Contains(d, "no data yet") {
		t.Errorf("describe = %q", d)
	}
	l.Done(nil, t0.Add(5*time.Second))
	if l.State.Status != OK || l.State.Failures != 0 || l.State.LastErr != nil {
		t.Errorf("after success %+v", l.State)
	}
}

func TestFeedReportsLostOnceAndRecovered(t *testing.T) {
	errs := []error{nil, errors.New("refused"), errors.New("refused"), nil}
	i := 0
	f := NewFeed("t", time.Second, func() time.Time { return t0.Add(time.Duration(i) * time.Second) },
		func(context.Context) (int, error) { return 1, nil }, "")
	var changes []Change
	f.OnChange = func(c Change) tea.Cmd { changes = append(changes, c); return nil }
	for ; i < len(errs); i++ {
		if ok, _ := f.Update(Result[int]{Tag: "t", Data: i, Err: errs[i], At: t0.Add(time.Duration(i) * time.Second)}); !ok {
			t.Fatal("own result not handled")
		}
	}
	if len(changes) != 2 || !changes[0].Lost || changes[1].Lost || changes[1].Down != 2*time.Second {
		t.Fatalf("changes = %+v, want lost once then recovered after 2s", changes)
	}
	if f.Data != 3 {
		t.Errorf("data = %d, want the last good result 3", f.Data)
	}
	if ok, _ := f.Update(Result[int]{Tag: "other"}); ok {
		t.Error("a result for another feed was taken")
	}
	if ok, _ := f.Update(Result[string]{Tag: "t"}); ok {
		t.Error("a result of another type was taken")
	}
}

func TestDescribeSanitizesBackendErrors(t *testing.T) {
	s := State{Status: Failing, LastErr: errors.New("bad gateway\x1b]0;owned\x07\x1b[2J<html>")}
	if d := s.Describe(t0); strings.ContainsRune(d, '\x1b') || strings.ContainsRune(d, '\x07') || !strings.Contains(d, "bad gateway") {
		t.Errorf("describe = %q", d)
	}
}

func TestUnconfiguredFeedNeverFetches(t *testing.T) {
	f := NewFeed[int]("t", time.Second, time.Now, nil, "set --thing")
	if f.Start() != nil {
		t.Error("start fetched")
	}
	if ok, cmd := f.Update(Tick{Tag: "t"}); ok || cmd != nil {
		t.Error("tick fetched")
	}
	if !strings.Contains(f.State.Describe(t0), "not configured — set --thing") {
		t.Errorf("describe = %q", f.State.Describe(t0))
	}
}

func TestAgoMatchesKubectl(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, "never"},
		{t0.Add(time.Minute), "0s ago"}, // the future (clock skew) is now
		{t0, "0s ago"},
		{t0.Add(-3 * time.Second), "3s ago"},
		{t0.Add(-90 * time.Second), "90s ago"},
		{t0.Add(-(3*time.Minute + 4*time.Second)), "3m4s ago"},
		{t0.Add(-42 * time.Minute), "42m ago"},
		{t0.Add(-(2*time.Hour + 5*time.Minute)), "125m ago"},
		{t0.Add(-(4*time.Hour + 5*time.Minute)), "4h5m ago"},
		{t0.Add(-30 * time.Hour), "30h ago"},
		{t0.Add(-72 * time.Hour), "3d ago"},
	} {
		if got := Ago(t0, c.at); got != c.want {
			t.Errorf("Ago(%s) = %q, want %q", t0.Sub(c.at), got, c.want)
		}
	}
}

// genFetch returns a fetch whose data names its generation: gen*1000+call.
func genFetch(gen int) func(context.Context) (int, error) {
	n := 0
	return func(context.Context) (int, error) { n++; return gen*1000 + n, nil }
}

func TestFeedRestartDropsTheOldGeneration(t *testing.T) {
	f := NewFeed("t", time.Second, func() time.Time { return t0 }, genFetch(0), "")
	old := f.Start()().(Result[int]) // in flight when the feed restarts
	if ok, cmd := f.Update(old); !ok || cmd == nil || f.Data != 1 {
		t.Fatalf("first result: ok=%v cmd=%v data=%d", ok, cmd != nil, f.Data)
	}
	oldTick := Tick{Tag: "t", Gen: 0}
	stale := Result[int]{Tag: "t", Gen: 0, Data: 2, At: t0}

	next := f.Restart(genFetch(1))
	if next == nil || f.Gen != 1 {
		t.Fatalf("restart: cmd=%v gen=%d", next != nil, f.Gen)
	}
	if f.Data != 1 || f.DataGen != 0 || f.State.Status != OK {
		t.Errorf("restart lost the last good data/state: data=%d gen=%d %v", f.Data, f.DataGen, f.State.Status)
	}
	for _, m := range []tea.Msg{stale, oldTick, Result[int]{Tag: "t", Gen: 0, Err: errors.New("late")}} {
		if ok, cmd := f.Update(m); !ok || cmd != nil {
			t.Errorf("%#v: handled=%v cmd=%v, want taken and dropped", m, ok, cmd != nil)
		}
	}
	if f.Data != 1 || f.State.Status != OK {
		t.Errorf("an old message changed the feed: data=%d %v", f.Data, f.State.Status)
	}
	r := next().(Result[int])
	if r.Gen != 1 {
		t.Fatalf("restart fetched generation %d", r.Gen)
	}
	if ok, cmd := f.Update(r); !ok || cmd == nil || f.Data != 1001 || f.DataGen != 1 {
		t.Errorf("new result: ok=%v cmd=%v data=%d gen=%d", ok, cmd != nil, f.Data, f.DataGen)
	}
	if ok, cmd := f.Update(Tick{Tag: "t", Gen: 1}); !ok || cmd == nil {
		t.Error("the new generation's tick did not fetch")
	}
}

func TestFeedRestartKeepsOrReplacesFetch(t *testing.T) {
	f := NewFeed("t", time.Second, func() time.Time { return t0 }, genFetch(0), "")
	f.Start()
	r := f.Restart(nil)().(Result[int])
	if r.Gen != 1 || r.Data != 1 {
		t.Errorf("Restart(nil) fetched %+v, want the current fetch at gen 1", r)
	}

	u := NewFeed[int]("u", time.Second, func() time.Time { return t0 }, nil, "set --thing")
	if u.Restart(nil) != nil {
		t.Error("an unconfigured feed fetched")
	}
	cmd := u.Restart(genFetch(5))
	if cmd == nil || u.State.Status != Connecting {
		t.Fatalf("configuring by restart: cmd=%v status=%v", cmd != nil, u.State.Status)
	}
	if r := cmd().(Result[int]); r.Gen != 2 || r.Data != 5001 {
		t.Errorf("got %+v", r)
	}
}

func TestFeedRestartWhileFailingRetriesNow(t *testing.T) {
	f := NewFeed("t", time.Second, func() time.Time { return t0 }, genFetch(0), "")
	f.Update(Result[int]{Tag: "t", Err: errors.New("refused"), At: t0})
	f.Update(Result[int]{Tag: "t", Err: errors.New("refused"), At: t0})
	f.Restart(nil)
	if d := f.State.Describe(t0); f.State.Status != Failing || !strings.Contains(d, "retrying") {
		t.Errorf("after restart: %v %q", f.State.Status, d)
	}
}

func TestFeedRestartCancelsTheInFlightFetch(t *testing.T) {
	started := make(chan struct{})
	f := NewFeed("t", time.Second, time.Now, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done() // a slow backend: only cancellation ends it
		return 0, ctx.Err()
	}, "")
	res := make(chan tea.Msg)
	cmd := f.Start()
	go func() { res <- cmd() }()
	<-started
	f.Restart(genFetch(1))
	select {
	case m := <-res:
		r := m.(Result[int])
		if !errors.Is(r.Err, context.Canceled) || r.Gen != 0 {
			t.Errorf("old fetch returned %+v", r)
		}
		if ok, next := f.Update(r); !ok || next != nil || f.State.Status == Failing {
			t.Error("the cancelled fetch's result was not dropped")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("restart did not cancel the in-flight fetch")
	}
}

// TestFeedRestartKeepsOneLoop runs a feed the way the runtime does, but
// delivers messages in random order while restarting it: whatever arrives
// late, exactly one message of the current generation is in flight (one
// poll loop), and Data never goes back to an older generation.
func TestFeedRestartKeepsOneLoop(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		f := NewFeed("t", time.Nanosecond, time.Now, genFetch(0), "")
		f.MaxBack = time.Nanosecond // ticks fire at once: nothing sleeps
		f.OnChange = func(Change) tea.Cmd { return nil }
		var inflight []tea.Msg
		// run executes a returned Cmd as the runtime would, keeping its
		// messages in flight (a tea.Tick of 1ns returns at once).
		var run func(tea.Cmd)
		run = func(cmd tea.Cmd) {
			if cmd == nil {
				return
			}
			switch m := cmd().(type) {
			case tea.BatchMsg:
				for _, c := range m {
					run(c)
				}
			case nil:
			default:
				inflight = append(inflight, m)
			}
		}
		run(f.Start())
		restarts, answered, lastGen := 0, false, 0
		for step := 0; step < 2000; step++ {
			if restarts < 30 && rng.Intn(5) == 0 {
				restarts++
				run(f.Restart(genFetch(restarts)))
				answered = false
			} else if len(inflight) > 0 {
				i := rng.Intn(len(inflight))
				m := inflight[i]
				inflight = append(inflight[:i], inflight[i+1:]...)
				if r, ok := m.(Result[int]); ok && rng.Intn(4) == 0 {
					r.Err = errors.New("flaky") // exercise the back-off path
					m = r
				}
				if r, ok := m.(Result[int]); ok && r.Gen == f.Gen && r.Err == nil {
					answered = true
				}
				_, cmd := f.Update(m)
				run(cmd)
			}
			current := 0
			for _, m := range inflight {
				switch m := m.(type) {
				case Result[int]:
					current += b2i(m.Gen == f.Gen)
				case Tick:
					current += b2i(m.Gen == f.Gen)
				}
			}
			if current != 1 {
				t.Fatalf("seed %d step %d: %d loops of generation %d alive, want 1", seed, step, current, f.Gen)
			}
			gen := f.Data / 1000
			if gen < lastGen || gen != f.DataGen || (answered && gen != f.Gen) {
				t.Fatalf("seed %d step %d: data %d from generation %d (was %d), feed at %d, answered=%v",
					seed, step, f.Data, gen, lastGen, f.Gen, answered)
			}
			lastGen = gen
		}
		if restarts != 30 {
			t.Fatalf("seed %d: only %d restarts", seed, restarts)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
