package probes

import (
	"context"
	"errors"
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
