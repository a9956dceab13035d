package kube

import (
	"bytes"
	"context"
	"io"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
)

// DefaultLogTail is how many of the last log lines a LogRequest asks for
// when it says nothing (TailLines 0): the pod detail's "last 200 lines".
const DefaultLogTail = 200

// MaxLogLine is the most bytes of one log line kept for display; a longer
// line is cut there (on a character boundary) and ends in "…". The rest of
// it is read and dropped, never buffered.
const MaxLogLine = 4 << 10

// LogRequest names one container's log, as `kubectl logs` takes it.
type LogRequest struct {
	Namespace, Pod string
	// Container may be empty for a pod of one container (the API server
	// picks it; for several it answers with the names to choose from).
	Container string
	// Previous reads the container's previous, terminated instance: where
	// a crash loop's cause is.
	Previous bool
	// Follow keeps the stream open and delivers lines as they are written,
	// until ctx is cancelled or the server ends it.
	Follow bool
	// TailLines is how many of the last lines to start from: 0 means
	// DefaultLogTail, a negative number the whole log.
	TailLines int64
}

// PodLogOptions is the request as the API takes it.
func (r LogRequest) PodLogOptions() *corev1.PodLogOptions {
	opts := &corev1.PodLogOptions{Container: r.Container, Previous: r.Previous, Follow: r.Follow}
	switch {
	case r.TailLines == 0:
		opts.TailLines = new(int64(DefaultLogTail))
	case r.TailLines > 0:
		opts.TailLines = new(r.TailLines)
	}
	return opts
}

// StreamLogs reads a container's log through the API server (pods/log, as
// `kubectl logs` does) and publishes it to out as display-ready lines (see
// CopyLines), a chunk per read. It returns nil when the server ends the
// log (at once without Follow), ctx.Err() when ctx is cancelled, and the
// API's error otherwise: a previous container that does not exist, a pod
// of several containers without Container, a forbidden pods/log all come
// back as errors, with nothing published. It never closes out: the caller
// owns it.
func StreamLogs(ctx context.Context, cs kubernetes.Interface, req LogRequest, out *probes.Stream[probes.Lines]) error {
	body, err := cs.CoreV1().Pods(req.Namespace).GetLogs(req.Pod, req.PodLogOptions()).Stream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	defer body.Close()
	if err := CopyLines(body, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// CopyLines reads r to its end and publishes what it reads to out as
// lines, one Publish per read that completed at least one line (never one
// per byte or per line). Each line loses its "\n" and a trailing "\r", is
// cut at MaxLogLine bytes with "…" marking the cut, and is made safe to
// draw with sanitize.Line. A last line without "\n" is published when r
// ends, also when it ends in an error. It returns nil at io.EOF, else the
// read error. It never closes out.
func CopyLines(r io.Reader, out *probes.Stream[probes.Lines]) error {
	var s lineSplitter
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		s.write(buf[:n])
		if err != nil {
			s.flush()
		}
		if len(s.lines) > 0 {
			// A fresh slice each time: a stream whose merge keeps the
			// published value as is (the latest wins) may hold it.
			out.Publish(probes.Lines{Lines: s.lines})
			s.lines = nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineSplitter turns a byte stream into display lines. It holds at most
// MaxLogLine+1 bytes of the line being read: the extra byte tells a line
// of exactly MaxLogLine bytes plus "\r" from a longer one.
type lineSplitter struct {
	cur   []byte
	over  bool // bytes of the current line were dropped
	lines []string
}

func (s *lineSplitter) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		s.add(part)
		if i < 0 {
			return
		}
		s.end()
		p = p[i+1:]
	}
}

func (s *lineSplitter) add(part []byte) {
	if room := MaxLogLine + 1 - len(s.cur); room < len(part) {
		part, s.over = part[:max(room, 0)], true
	}
	s.cur = append(s.cur, part...)
}

// flush ends a last line that has no "\n".
func (s *lineSplitter) flush() {
	if len(s.cur) > 0 {
		s.end()
	}
}

func (s *lineSplitter) end() {
	s.lines = append(s.lines, displayLine(s.cur, s.over))
	s.cur, s.over = s.cur[:0], false
}

// displayLine is one raw line (without its "\n") made ready to draw: a
// trailing "\r" dropped, cut at MaxLogLine bytes, sanitized.
func displayLine(b []byte, cut bool) string {
	if !cut && len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) > MaxLogLine {
		b, cut = b[:runeCut(b, MaxLogLine)], true
	}
	line := sanitize.Line(string(b))
	if len(line) > MaxLogLine {
		// Sanitizing grows a line (a tab becomes four spaces).
		line, cut = line[:runeCut([]byte(line), MaxLogLine)], true
	}
	if cut {
		line += "…"
	}
	return line
}

// runeCut is the largest n ≤ limit at which b can be cut without
// splitting a UTF-8 sequence (bytes that are not UTF-8 are cut anywhere).
func runeCut(b []byte, limit int) int {
	if limit >= len(b) {
		return len(b)
	}
	for n := limit; n > 0 && n > limit-utf8.UTFMax; n-- {
		if utf8.RuneStart(b[n]) {
			return n
		}
	}
	return limit
}
