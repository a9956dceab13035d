package probes

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// drain runs s.Next() until Closed, as a pane re-arming after each message
// would, calling each per message; it returns the messages before Closed.
func drain[T any](t *testing.T, s *Stream[T], each func(StreamMsg[T])) []StreamMsg[T] {
	t.Helper()
	var got []StreamMsg[T]
	for {
		m, ok := s.Match(s.Next()())
		if !ok {
			t.Fatal("Next returned a message of another stream")
		}
		if m.Closed {
			return got
		}
		got = append(got, m)
		if each != nil {
			each(m)
		}
	}
}

func TestStreamBurstDeliversTheLatest(t *testing.T) {
	const n = 10000
	s := NewStream[int]("pods", nil)
	go func() {
		defer s.Close()
		for i := 1; i <= n; i++ {
			s.Publish(i)
			if i%100 == 0 {
				time.Sleep(10 * time.Microsecond) // bursts, not one gulp
			}
		}
	}()
	msgs := drain(t, s, func(StreamMsg[int]) { time.Sleep(20 * time.Microsecond) }) // a slow UI
	if len(msgs) == 0 || len(msgs) > n {
		t.Fatalf("%d messages for %d publishes", len(msgs), n)
	}
	count, last := 0, 0
	for _, m := range msgs {
		if m.Data <= last || m.Count < 1 {
			t.Fatalf("message %+v after %d: not the latest, or empty", m, last)
		}
		count, last = count+m.Count, m.Data
	}
	if last != n || count != n {
		t.Errorf("final value %d, %d publishes counted; want %d, %d", last, count, n, n)
	}
	t.Logf("%d publishes in %d messages", n, len(msgs))
}

func TestAppendLinesKeepsOrderAndBound(t *testing.T) {
	const keep = 100
	merge := AppendLines(keep)
	var buf Lines
	next, peak := 0, 0
	for _, chunk := range []int{1, 3, 0, 99, 100, 101, 250, 7, 1, 1, 42} {
		in := make([]string, chunk)
		for i := range in {
			in[i] = strconv.Itoa(next)
			next++
		}
		buf = merge(buf, Lines{Lines: in})
		peak = max(peak, cap(buf.Lines))
		if len(buf.Lines) > keep || buf.Dropped+len(buf.Lines) != next {
			t.Fatalf("after %d lines: %d kept, %d dropped", next, len(buf.Lines), buf.Dropped)
		}
		for i, l := range buf.Lines {
			if l != strconv.Itoa(buf.Dropped+i) {
				t.Fatalf("line %d is %q, want %d: order lost", i, l, buf.Dropped+i)
			}
		}
	}
	if peak > 3*keep {
		t.Errorf("buffer grew to capacity %d for %d lines", peak, keep)
	}
	// The publisher's slice is only read.
	mine := []string{"a", "b"}
	got := merge(Lines{}, Lines{Lines: mine[:1]})
	got = merge(got, Lines{Lines: []string{"c"}})
	if mine[1] != "b" || strings.Join(got.Lines, "") != "ac" {
		t.Errorf("merge wrote into the publisher's slice: %v %v", mine, got.Lines)
	}
	// Dropped counts from the publisher (a too-long line cut) carry over.
	if d := merge(Lines{Dropped: 2}, Lines{Dropped: 3}).Dropped; d != 5 {
		t.Errorf("dropped = %d, want 5", d)
	}
}

// TestLineStreamAccountsForEveryLine streams numbered lines through a slow
// UI: the lines delivered, in order, plus those reported dropped, are
// exactly the lines written.
func TestLineStreamAccountsForEveryLine(t *testing.T) {
	const n, max = 20000, 64
	s := NewLineStream("logs", max)
	go func() {
		defer s.Close()
		for i := 0; i < n; i++ {
			s.Publish(Lines{Lines: []string{strconv.Itoa(i)}})
			if i%100 == 0 {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}()
	seen, prev := 0, -1
	msgs := drain(t, s, func(m StreamMsg[Lines]) {
		if len(m.Data.Lines) > max {
			t.Fatalf("%d lines in one message", len(m.Data.Lines))
		}
		prev += m.Data.Dropped // the dropped lines are the ones just before
		for _, l := range m.Data.Lines {
			if v, _ := strconv.Atoi(l); v != prev+1 {
				t.Fatalf("line %d after %d (%d dropped)", v, prev, m.Data.Dropped)
			}
			prev++
		}
		seen += m.Data.Dropped + len(m.Data.Lines)
		time.Sleep(50 * time.Microsecond)
	})
	if seen != n || prev != n-1 {
		t.Errorf("accounted for %d lines ending at %d, want %d ending at %d", seen, prev, n, n-1)
	}
	dropped := 0
	for _, m := range msgs {
		dropped += m.Data.Dropped
	}
	t.Logf("%d lines in %d messages, %d dropped", n, len(msgs), dropped)
}

func TestLineStreamBoundsAnUndrainedBurst(t *testing.T) {
	s := NewLineStream("logs", 64)
	for i := range 1000 {
		s.Publish(Lines{Lines: []string{strconv.Itoa(i)}})
	}
	m := s.Next()().(StreamMsg[Lines])
	if len(m.Data.Lines) != 64 || m.Data.Dropped != 936 || m.Data.Lines[0] != "936" || m.Data.Lines[63] != "999" || m.Count != 1000 {
		t.Errorf("got %d lines %q..%q, %d dropped, count %d", len(m.Data.Lines), m.Data.Lines[0], m.Data.Lines[len(m.Data.Lines)-1], m.Data.Dropped, m.Count)
	}
	s.Publish(Lines{Lines: []string{"next"}})
	if m := s.Next()().(StreamMsg[Lines]); len(m.Data.Lines) != 1 || m.Data.Dropped != 0 {
		t.Errorf("the drop count was not reset by the drain: %+v", m.Data)
	}
}

func TestStreamCloseUnblocksNext(t *testing.T) {
	s := NewStream[int]("w", nil)
	got := make(chan tea.Msg)
	cmd := s.Next()
	go func() { got <- cmd() }()
	select {
	case m := <-got:
		t.Fatalf("Next returned %+v with nothing published", m)
	case <-time.After(10 * time.Millisecond):
	}
	s.Close()
	select {
	case m := <-got:
		if sm := m.(StreamMsg[int]); !sm.Closed || sm.Tag != "w" {
			t.Errorf("got %+v, want Closed", sm)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Next")
	}
}

func TestStreamDeliversBeforeClosed(t *testing.T) {
	s := NewStream[int]("w", nil)
	s.Publish(1)
	s.Publish(2)
	s.Close()
	s.Close() // idempotent
	s.Publish(3)
	if m := s.Next()().(StreamMsg[int]); m.Closed || m.Data != 2 || m.Count != 2 {
		t.Fatalf("first message %+v, want 2 (of 2 publishes)", m)
	}
	for range 2 { // a closed, drained stream answers at once, every time
		if m := s.Next()().(StreamMsg[int]); !m.Closed || m.Count != 0 {
			t.Fatalf("then %+v, want Closed", m)
		}
	}
}

func TestStreamMatchTellsStreamsApart(t *testing.T) {
	old, cur := NewStream[int]("pods", nil), NewStream[int]("pods", nil)
	old.Close()
	m := old.Next()()
	if _, ok := cur.Match(m); ok {
		t.Error("the replaced stream's Closed was taken as the current one's")
	}
	if _, ok := old.Match(m); !ok {
		t.Error("a stream did not match its own message")
	}
	if _, ok := cur.Match(StreamMsg[string]{Tag: "pods", ID: cur.ID()}); ok {
		t.Error("a message of another type matched")
	}
}

func TestStreamConcurrentPublishers(t *testing.T) {
	const pubs, each = 8, 2000
	s := NewLineStream("out", pubs*each) // large enough to keep everything
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s.Publish(Lines{Lines: []string{fmt.Sprintf("%d:%d", p, i)}})
			}
		}()
	}
	go func() { wg.Wait(); s.Close() }()
	next := make([]int, pubs)
	count := 0
	drain(t, s, func(m StreamMsg[Lines]) {
		count += m.Count
		if m.Data.Dropped != 0 {
			t.Fatalf("dropped %d", m.Data.Dropped)
		}
		for _, l := range m.Data.Lines {
			var p, i int
			fmt.Sscanf(l, "%d:%d", &p, &i)
			if i != next[p] {
				t.Fatalf("publisher %d: line %d, want %d", p, i, next[p])
			}
			next[p]++
		}
	})
	for p, n := range next {
		if n != each {
			t.Errorf("publisher %d: %d lines delivered, want %d", p, n, each)
		}
	}
	if count != pubs*each {
		t.Errorf("counted %d publishes, want %d", count, pubs*each)
	}
}

// BenchmarkStreamPublish is the cost of one Publish with publishers on
// every P and a UI draining concurrently.
func BenchmarkStreamPublish(b *testing.B) {
	s := NewStream[int]("bench", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !s.Next()().(StreamMsg[int]).Closed {
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			s.Publish(i)
		}
	})
	s.Close()
	<-done
}
