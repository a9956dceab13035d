package probes

import (
	"sync"
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"
)

// Stream carries values from a goroutine that owns a source (an informer, a
// running command) to the UI. The source publishes whenever it likes and
// never waits for the UI; the UI drains through one re-armed Cmd and gets
// everything published since its last drain merged into one value: the
// latest snapshot, or for line output all lines since the last drain,
// bounded (see Lines). A burst of publishes costs the UI one message.
//
// The contract:
//   - the source calls Publish from any goroutine, any number of them, and
//     Close when it ends (defer it: Close is what lets a waiting Next
//     return);
//   - the pane calls Next once at start and once after each StreamMsg of
//     this stream it handles, so at most one Next Cmd is pending; it stops
//     re-arming after the Closed message;
//   - after Close, values already published are delivered first, then a
//     Closed message; a Next of a closed, drained stream returns Closed at
//     once, so no Cmd goroutine outlives the stream.
//
// Several streams may share a Tag (a pane restarting its watch for a new
// namespace): Match tells a message of this very stream from one of the
// stream it replaced, as Feed's generation does for polls.
type Stream[T any] struct {
	tag   string
	id    int64
	merge func(pending, next T) T

	// ready holds one wake-up for a waiting Next; done is closed by Close.
	ready chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	pending T
	count   int // publishes merged into pending; 0: nothing pending
	closed  bool
}

// StreamMsg is one drain of a Stream: everything published since the last
// one, merged.
type StreamMsg[T any] struct {
	Tag string
	ID  int64 // the stream's own ID; see Stream.Match
	// Data is the merge of the values published since the last drain.
	Data T
	// Count is how many publishes Data merges (with merge nil, Count-1
	// values were superseded unseen); 0 on the Closed message.
	Count int
	// Closed: the source is done and everything it published has been
	// delivered; do not call Next again.
	Closed bool
}

var streamIDs atomic.Int64

// NewStream makes a stream. merge folds a newly published value into the
// pending one (pending is the zero value when nothing is pending); it runs
// under the stream's lock, so it must be quick and must not call back into
// the stream. merge nil means the latest value wins.
func NewStream[T any](tag string, merge func(pending, next T) T) *Stream[T] {
	if merge == nil {
		merge = func(_, next T) T { return next }
	}
	return &Stream[T]{
		tag:   tag,
		id:    streamIDs.Add(1),
		merge: merge,
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// Tag is the stream's tag, as given to NewStream.
func (s *Stream[T]) Tag() string { return s.tag }

// ID is unique among the streams of the process.
func (s *Stream[T]) ID() int64 { return s.id }

// Match reports whether msg is a StreamMsg of this very stream, and returns
// it.
func (s *Stream[T]) Match(msg tea.Msg) (StreamMsg[T], bool) {
	m, ok := msg.(StreamMsg[T])
	return m, ok && m.ID == s.id
}

// Publish merges v into the pending value and wakes a waiting Next. It
// never blocks on the UI. Values published after Close are dropped.
func (s *Stream[T]) Publish(v T) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.pending = s.merge(s.pending, v)
	s.count++
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

// Close says no more values will come. It is idempotent; the pending value
// is still delivered, then a Closed message.
func (s *Stream[T]) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// Next returns a Cmd that waits until a value is pending or the stream is
// closed, and returns the StreamMsg. Keep one pending at a time (see
// Stream).
func (s *Stream[T]) Next() tea.Cmd {
	return func() tea.Msg {
		for {
			if m, ok := s.take(); ok {
				return m
			}
			select {
			case <-s.ready:
			case <-s.done:
			}
		}
	}
}

// take returns the pending value, or Closed once drained and closed.
func (s *Stream[T]) take() (StreamMsg[T], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.count > 0:
		m := StreamMsg[T]{Tag: s.tag, ID: s.id, Data: s.pending, Count: s.count}
		var zero T
		s.pending, s.count = zero, 0
		return m, true
	case s.closed:
		return StreamMsg[T]{Tag: s.tag, ID: s.id, Closed: true}, true
	}
	return StreamMsg[T]{}, false
}

// Lines is a bounded run of output lines, oldest first, and how many
// older lines were dropped before Lines[0] to keep it bounded.
type Lines struct {
	Lines   []string
	Dropped int
}

// AppendLines returns a merge for a Stream[Lines] (and for the pane's own
// scrollback: buf = merge(buf, msg.Data)): the lines of next follow those of
// pending, in order; only the newest max are kept and the rest are counted
// in Dropped, so memory stays bounded (about twice max) however fast the
// source writes and however slowly the UI drains. pending is owned by the
// merge (its backing array may be reused); next is only read, so a
// publisher may reuse its slice. max < 1 is taken as 1.
func AppendLines(max int) func(pending, next Lines) Lines {
	if max < 1 {
		max = 1
	}
	return func(pending, next Lines) Lines {
		dropped := pending.Dropped + next.Dropped
		in := next.Lines
		if over := len(in) - max; over > 0 {
			dropped += over
			in = in[over:]
		}
		out := pending.Lines
		if over := len(out) + len(in) - max; over > 0 {
			// Drop from the front by reslicing; append moves the kept
			// window to a fresh array when the old one is used up.
			dropped += over
			out = out[over:]
		}
		return Lines{Lines: append(out, in...), Dropped: dropped}
	}
}

// NewLineStream is a Stream of output lines keeping at most max lines
// between drains: publish Lines{Lines: []string{line}} per line or chunk.
func NewLineStream(tag string, max int) *Stream[Lines] {
	return NewStream(tag, AppendLines(max))
}
