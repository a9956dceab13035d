package step

import (
	"bytes"
	"sync"
	"unicode/utf8"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// LineMax is the longest output line kept, in bytes: the rest of a longer
// line is dropped (up to its newline) and the line ends in "…".
const LineMax = 4 << 10

// lineWriter cuts a command's output into lines and hands each one,
// masked and sanitized, to emit: memory stays bounded by LineMax (and
// the longest secret form) whatever the command prints.
//
// Secrets are masked before a line is cut: the buffer keeps the longest
// secret form's length past LineMax, so that a secret that starts before
// the cut is seen whole and masked whole, not shown in part.
type lineWriter struct {
	mu       sync.Mutex
	buf      []byte
	skipping bool // dropping the rest of an over-long line
	emit     func(string)
	m        *masker
	extra    int // bytes kept past LineMax: the longest secret form - 1
}

func newLineWriter(emit func(string), m *masker) *lineWriter {
	extra := 0
	if m != nil {
		extra = m.longest - 1
	}
	return &lineWriter{buf: make([]byte, 0, LineMax+extra), emit: emit, m: m, extra: extra}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		if !w.skipping {
			if room := LineMax + w.extra - len(w.buf); len(chunk) > room {
				w.buf = append(w.buf, chunk[:room]...)
				w.emitCut()
				w.skipping = true
			} else {
				w.buf = append(w.buf, chunk...)
			}
		}
		if i >= 0 {
			if !w.skipping {
				w.emitLine()
			}
			w.skipping = false
		}
	}
	return n, nil
}

// emitLine hands on the buffered line (cut if longer than LineMax).
func (w *lineWriter) emitLine() {
	if len(w.buf) > LineMax {
		w.emitCut()
		return
	}
	w.emit(sanitize.Line(w.m.mask(string(w.buf))))
	w.buf = w.buf[:0]
}

// emitCut hands on the first LineMax bytes of a longer line, cut at a
// rune boundary, secrets masked first.
func (w *lineWriter) emitCut() {
	b := w.buf[:min(len(w.buf), LineMax)]
	n := len(b)
	s := n - 1 // the start of the last rune
	for s > 0 && n-s < utf8.UTFMax && !utf8.RuneStart(b[s]) {
		s--
	}
	if s >= 0 && !utf8.FullRune(b[s:n]) {
		n = s
	}
	w.emit(sanitize.Line(w.m.maskTo(string(w.buf), n)) + " …")
	w.buf = w.buf[:0]
}

// flush hands on a last line without a newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 && !w.skipping {
		w.emitLine()
	}
	w.buf, w.skipping = w.buf[:0], false
}

// note hands on a line of the runner's own.
func (w *lineWriter) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(s)
}
