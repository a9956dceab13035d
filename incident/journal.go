package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// Journal is an append-only JSON-lines file of events. It is safe for
// concurrent use.
type Journal struct {
	path string

	mu     sync.Mutex
	f      *os.File
	needNL bool // the file does not end in '\n' (torn tail): start the next write with one

	sync func(*os.File) error // (*os.File).Sync; replaced in tests
}

// Skipped is a journal line that could not be parsed.
type Skipped struct {
	Line int    // 1-based line number
	Text string // the line, sanitized for display
	Err  error
}

// Open opens the journal at path, creating it (mode 0600, parent
// directories 0700) if needed, and reads any existing events. Lines that do
// not parse (typically a torn last line after a crash mid-write) are
// reported in skipped and otherwise ignored; they are never fatal. If the
// file does not end in '\n', the next Append first writes one so the torn
// fragment stays on its own line.
func Open(path string) (j *Journal, events []Event, skipped []Skipped, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("journal: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("journal: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("journal: read %s: %w", path, err)
	}
	events, skipped = parse(data)
	j = &Journal{
		path:   path,
		f:      f,
		sync:   (*os.File).Sync,
		needNL: len(data) > 0 && data[len(data)-1] != '\n',
	}
	return j, events, skipped, nil
}

// ReadFile reads a journal without opening it for writing.
func ReadFile(path string) ([]Event, []Skipped, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	events, skipped := parse(data)
	return events, skipped, nil
}

var errNoKind = errors.New("event has no kind")

func parse(data []byte) (events []Event, skipped []Skipped) {
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev Event
		err := json.Unmarshal(line, &ev)
		if err == nil && ev.Kind == "" {
			err = errNoKind
		}
		if err != nil {
			skipped = append(skipped, Skipped{Line: n, Text: sanitize.Line(string(line)), Err: err})
			continue
		}
		events = append(events, ev)
	}
	return events, skipped
}

// Path returns the journal's file path.
func (j *Journal) Path() string { return j.path }

// Close closes the journal. Further appends fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return os.ErrClosed
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// normalize gives ev the exact form Append stores: secrets redacted,
// terminal controls stripped, time in UTC (now if zero).
func normalize(ev Event) Event {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC() // also drops the monotonic reading
	// Sanitize first so escape sequences cannot hide a secret from Redact.
	ev.Actor = sanitize.Line(ev.Actor)
	ev.Kind = Kind(sanitize.Line(string(ev.Kind)))
	ev.Summary = Redact(sanitize.Line(ev.Summary))
	ev.Detail = Redact(sanitize.Text(ev.Detail))
	return ev
}

// Append redacts and sanitizes ev, fills Time (UTC now) if zero, writes it
// as one line with a single write call and fsyncs before returning. It
// returns the event exactly as stored. On error the event may not be (fully)
// on disk; the journal stays usable for later appends.
func (j *Journal) Append(ev Event) (Event, error) {
	ev = normalize(ev)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ev, fmt.Errorf("journal %s: %w", j.path, os.ErrClosed)
	}
	if j.needNL {
		buf.WriteByte('\n')
	}
	if err := enc.Encode(ev); err != nil { // Encode adds the trailing '\n'
		return ev, fmt.Errorf("journal: encode: %w", err)
	}
	b := buf.Bytes()
	n, err := j.f.Write(b)
	if n > 0 {
		// A short write leaves a fragment: make sure the next line starts fresh.
		j.needNL = b[n-1] != '\n'
	}
	if err != nil {
		return ev, fmt.Errorf("journal %s: write: %w", j.path, err)
	}
	if err := j.sync(j.f); err != nil {
		return ev, fmt.Errorf("journal %s: fsync: %w", j.path, err)
	}
	return ev, nil
}
