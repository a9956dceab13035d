package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
)

// chunks is a reader returning one chunk per Read, then err (io.EOF if nil).
type chunks struct {
	parts [][]byte
	err   error
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	if c.parts[0] = c.parts[0][n:]; len(c.parts[0]) == 0 {
		c.parts = c.parts[1:]
	}
	return n, nil
}

func chunksOf(parts ...string) *chunks {
	c := &chunks{}
	for _, p := range parts {
		c.parts = append(c.parts, []byte(p))
	}
	return c
}

// drain closes s and returns every line published to it and how many
// publishes there were.
func drain(t *testing.T, s *probes.Stream[probes.Lines]) (lines []string, publishes int) {
	t.Helper()
	s.Close()
	for {
		m := s.Next()().(probes.StreamMsg[probes.Lines])
		if m.Closed {
			return lines, publishes
		}
		if m.Data.Dropped != 0 {
			t.Fatalf("%d lines dropped: make the test stream bigger", m.Data.Dropped)
		}
		lines = append(lines, m.Data.Lines...)
		publishes += m.Count
	}
}

func copyLines(t *testing.T, r io.Reader) ([]string, int, error) {
	t.Helper()
	out := probes.NewLineStream("logs", 1<<20)
	err := CopyLines(r, out)
	lines, n := drain(t, out)
	return lines, n, err
}

func TestCopyLines(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		name  string
		parts []string
		want  []string
	}{
		{"empty", nil, nil},
		{"lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"empty lines are lines", []string{"\n\nc\n"}, []string{"", "", "c"}},
		{"a last line without newline", []string{"a\nno newline"}, []string{"a", "no newline"}},
		{"CRLF", []string{"a\r\nb\r\n"}, []string{"a", "b"}},
		{"a CR split from its LF", []string{"a\r", "\nb\n"}, []string{"a", "b"}},
		{"lines across reads", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}},
		{"a CR inside a line cannot overwrite it", []string{"progress 10%\rprogress 50%\n"}, []string{"progress 10%progress 50%"}},
		{"escape sequences", []string{"\x1b[31mred\x1b[0m \x1b]0;pwned\x07title\n"}, []string{"red title"}},
		{"C1 CSI", []string{"a\u009b2Jb\n"}, []string{"ab"}},
		{"bidi override", []string{"user\u202egnp.exe\n"}, []string{"usergnp.exe"}},
		{"invalid UTF-8", []string{"a\xffb\n"}, []string{"a\ufffdb"}},
		{"tab", []string{"a\tb\n"}, []string{"a    b"}},
		{"line separator", []string{"a\u2028b\n"}, []string{"a ⏎ b"}},
		{"at the cap", []string{x(MaxLogLine) + "\n"}, []string{x(MaxLogLine)}},
		{"at the cap with CRLF", []string{x(MaxLogLine) + "\r\n"}, []string{x(MaxLogLine)}},
		{"one over the cap", []string{x(MaxLogLine+1) + "\nnext\n"}, []string{x(MaxLogLine) + "…", "next"}},
		{"far over the cap, across reads", []string{x(3000), x(3000), x(3000) + "\nnext"}, []string{x(MaxLogLine) + "…", "next"}},
		{"the cut keeps characters whole", []string{x(MaxLogLine-1) + "é\n"}, []string{x(MaxLogLine-1) + "…"}},
		{"tabs grow past the cap when sanitized", []string{strings.Repeat("\t", MaxLogLine/2) + "\n"}, []string{strings.Repeat(" ", MaxLogLine) + "…"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := copyLines(t, chunksOf(c.parts...))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Errorf("lines %q\nwant  %q", short(got), short(c.want))
			}
		})
	}
}

// short abbreviates long lines in failure messages.
func short(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 40 {
			l = fmt.Sprintf("%s…(%d bytes)…%s", l[:20], len(l), l[len(l)-20:])
		}
		out[i] = l
	}
	return out
}

func TestCopyLinesPublishesAChunkPerRead(t *testing.T) {
	var parts []string
	for range 3 {
		parts = append(parts, strings.Repeat("a line\n", 100))
	}
	lines, publishes, err := copyLines(t, chunksOf(parts...))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 300 || publishes != 3 {
		t.Errorf("%d lines in %d publishes, want 300 in 3 (one per read)", len(lines), publishes)
	}

	// A byte per read: a publish per completed line, none per byte.
	var bytewise []string
	for _, b := range []byte("ab\ncd\n") {
		bytewise = append(bytewise, string(b))
	}
	lines, publishes, err = copyLines(t, chunksOf(bytewise...))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines, "|") != "ab|cd" || publishes != 2 {
		t.Errorf("lines %q in %d publishes, want ab, cd in 2", lines, publishes)
	}
}

func TestCopyLinesDoesNotBufferALongLine(t *testing.T) {
	var s lineSplitter
	chunk := bytes.Repeat([]byte("y"), 32<<10)
	for range 320 { // 10 MiB without a newline
		s.write(chunk)
	}
	if cap(s.cur) > 2*MaxLogLine {
		t.Errorf("holding %d bytes of one line, want at most about %d", cap(s.cur), MaxLogLine)
	}
	s.write([]byte("\n"))
	if len(s.lines) != 1 || s.lines[0] != strings.Repeat("y", MaxLogLine)+"…" {
		t.Errorf("lines %q", short(s.lines))
	}
}

func TestCopyLinesReturnsTheReadErrorAfterWhatItRead(t *testing.T) {
	boom := errors.New("connection reset")
	r := chunksOf("a\nhalf a li")
	r.err = boom
	lines, _, err := copyLines(t, r)
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
	if strings.Join(lines, "|") != "a|half a li" {
		t.Errorf("lines %q, want what was read before the error", lines)
	}
}

// Whatever the bytes and however they are split into reads, every line is
// safe to draw and bounded, and there is one per "\n" (plus a last one
// without it).
func FuzzCopyLines(f *testing.F) {
	f.Add([]byte("a\r\nb\x1b[2J\n\xff\xfe"), uint16(3))
	f.Add([]byte(strings.Repeat("é", MaxLogLine)+"\n\t\u202e\u2028\n"), uint16(4097))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		n := int(split)%64 + 1
		var parts []string
		for rest := data; len(rest) > 0; {
			k := min(n, len(rest))
			parts = append(parts, string(rest[:k]))
			rest = rest[k:]
		}
		lines, _, err := copyLines(t, chunksOf(parts...))
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			want++
		}
		if len(lines) != want {
			t.Fatalf("%d lines, want %d", len(lines), want)
		}
		for _, l := range lines {
			if !sanitize.IsSafe(l) || strings.Contains(l, "\n") {
				t.Fatalf("unsafe line %q", l)
			}
			if len(strings.TrimSuffix(l, "…")) > MaxLogLine {
				t.Fatalf("line of %d bytes", len(l))
			}
			if !utf8.ValidString(l) {
				t.Fatalf("invalid UTF-8 %q", l)
			}
		}
	})
}

func TestLogRequestOptions(t *testing.T) {
	for _, c := range []struct {
		req  LogRequest
		tail *int64
	}{
		{LogRequest{Container: "main"}, new(int64(DefaultLogTail))},
		{LogRequest{Container: "main", TailLines: 5, Previous: true}, new(int64(5))},
		{LogRequest{TailLines: -1, Follow: true}, nil},
	} {
		got := c.req.PodLogOptions()
		want := &corev1.PodLogOptions{Container: c.req.Container, Previous: c.req.Previous, Follow: c.req.Follow, TailLines: c.tail}
		if got.Container != want.Container || got.Previous != want.Previous || got.Follow != want.Follow ||
			(got.TailLines == nil) != (want.TailLines == nil) || (got.TailLines != nil && *got.TailLines != *want.TailLines) {
			t.Errorf("%+v: options %+v, want %+v", c.req, got, want)
		}
	}
}

// The fake clientset's pods/log records the options it was asked with and
// serves the body a reactor gives: StreamLogs asks for the right
// container, instance and tail, and publishes the body as lines, without
// closing the stream.
func TestStreamLogsThroughTheClientset(t *testing.T) {
	cs := fake.NewClientset()
	var asked []*corev1.PodLogOptions
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" || a.GetNamespace() != "agent-platform" {
			return false, nil, nil
		}
		asked = append(asked, a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions))
		return true, &runtime.Unknown{Raw: []byte("panic: nil map write\r\n\x1b[1mgoroutine 1\x1b[0m [running]:\n")}, nil
	})
	out := probes.NewLineStream("logs", 100)
	req := LogRequest{Namespace: "agent-platform", Pod: "api-1", Container: "main", Previous: true}
	if err := StreamLogs(context.Background(), cs, req, out); err != nil {
		t.Fatal(err)
	}
	out.Publish(probes.Lines{Lines: []string{"published after StreamLogs returned"}})
	lines, _ := drain(t, out)
	want := "panic: nil map write|goroutine 1 [running]:|published after StreamLogs returned"
	if strings.Join(lines, "|") != want {
		t.Errorf("lines %q, want %q (StreamLogs must not close the stream)", lines, want)
	}
	if len(asked) != 1 || asked[0].Container != "main" || !asked[0].Previous || asked[0].Follow ||
		asked[0].TailLines == nil || *asked[0].TailLines != DefaultLogTail {
		t.Errorf("asked with %+v", asked)
	}
}

func TestStreamLogsErrors(t *testing.T) {
	boom := errors.New("previous terminated container \"main\" in pod \"api-1\" not found")
	cs := fake.NewClientset()
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetSubresource() == "log", nil, boom
	})
	out := probes.NewLineStream("logs", 100)
	err := StreamLogs(context.Background(), cs, LogRequest{Namespace: "ns", Pod: "api-1", Previous: true}, out)
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v through", err, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := StreamLogs(ctx, cs, LogRequest{Namespace: "ns", Pod: "api-1"}, out); err != context.Canceled {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	if lines, n := drain(t, out); n != 0 {
		t.Errorf("published %q on errors", lines)
	}
}
