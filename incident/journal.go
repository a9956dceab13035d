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
// directories 0700) if needed, takes an exclusive lock on it and reads any
// existing events (version 1 lines upgraded, see Upgrade). Lines that do not
// parse (typically a torn last line after a crash mid-write) are reported in
// skipped and otherwise ignored; they are never fatal. If the file does not
// end in '\n', the next Append first writes one so the torn fragment stays
// on its own line.
//
// If another Journal (in this or another process) has the file open, Open
// fails with a *LockedError naming the holder's pid when it can. Close
// releases the lock.
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
	if err := lock(f, path); err != nil {
		f.Close()
		return nil, nil, nil, err
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

// ReadFile reads a journal without opening it for writing and without
// taking the lock, so it also reads a journal another warroom holds.
func ReadFile(path string) ([]Event, []Skipped, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	events, skipped := parse(data)
	return events, skipped, nil
}

// LockedError is returned by Open when another Journal holds the file.
type LockedError struct {
	Path string
	PID  int // the holder's process id; 0 if unknown
}

func (e *LockedError) Error() string {
	const hint = ": open it there, or pass a different --journal"
	switch e.PID {
	case 0:
		return fmt.Sprintf("journal %s is in use by another warroom (its pid is unknown; it may be this process)%s", e.Path, hint)
	case os.Getpid():
		return fmt.Sprintf("journal %s is already open in this warroom process (pid %d)%s", e.Path, e.PID, hint)
	}
	return fmt.Sprintf("journal %s is in use by another warroom (pid %d)%s", e.Path, e.PID, hint)
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
		ev, err := decode(line)
		if err == nil && ev.Kind == "" {
			err = errNoKind
		}
		if err != nil {
			skipped = append(skipped, Skipped{Line: n, Text: sanitize.Line(string(line)), Err: err})
			continue
		}
		events = append(events, Upgrade(ev, n, line))
	}
	return events, skipped
}

// decode parses one line. Unknown fields are ignored. A line written by a
// newer schema (v > SchemaVersion) in which a known field changed type
// still loads, with the fields that do decode (json.Unmarshal completes
// what it can after a type error).
func decode(line []byte) (Event, error) {
	var ev Event
	err := json.Unmarshal(line, &ev)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && ev.V > SchemaVersion {
		err = nil
	}
	return ev, err
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

// normalize gives ev the exact form Append stores: every string field,
// including those of the typed fields, sanitized (no terminal controls) and
// redacted; time in UTC (now if zero). It never modifies what ev points to.
func normalize(ev Event) Event {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC() // also drops the monotonic reading
	ev.ID = line(ev.ID)
	ev.Actor = line(ev.Actor)
	ev.Kind = Kind(line(string(ev.Kind)))
	ev.Summary = line(ev.Summary)
	ev.Detail = text(ev.Detail)
	if f := ev.Severity; f != nil {
		ev.Severity = &SeverityFields{From: line(f.From), To: line(f.To), Reason: line(f.Reason)}
	}
	if f := ev.Action; f != nil {
		a := *f
		a.Phase, a.Ref, a.Title, a.Kind, a.Op = line(a.Phase), line(a.Ref), line(a.Title), line(a.Kind), line(a.Op)
		a.Target, a.Mode, a.Step = line(a.Target), line(a.Mode), line(a.Step)
		a.Error, a.Output = text(a.Error), text(a.Output)
		if a.Lines != nil {
			a.Lines = make([]string, len(f.Lines))
			for i, l := range f.Lines {
				a.Lines[i] = line(l)
			}
		}
		if a.ExitCode != nil {
			code := *a.ExitCode
			a.ExitCode = &code
		}
		ev.Action = &a
	}
	if f := ev.Ack; f != nil {
		ev.Ack = &AckFields{Who: line(f.Who), Level: f.Level, Role: line(f.Role)}
	}
	if f := ev.Escalation; f != nil {
		ev.Escalation = &EscalationFields{Level: f.Level, Role: line(f.Role), Who: line(f.Who)}
	}
	if f := ev.Probe; f != nil {
		ev.Probe = &ProbeFields{Backend: line(f.Backend), State: line(f.State), Error: text(f.Error), DownForMS: f.DownForMS}
	}
	if f := ev.Alert; f != nil {
		a := AlertFields{Name: line(f.Name), State: line(f.State)}
		if f.Labels != nil {
			a.Labels = make(map[string]string, len(f.Labels))
			for k, v := range f.Labels {
				a.Labels[line(k)] = line(v)
			}
		}
		ev.Alert = &a
	}
	if f := ev.Checklist; f != nil {
		ev.Checklist = &ChecklistFields{List: line(f.List), Item: f.Item, Text: line(f.Text), Checked: f.Checked}
	}
	return ev
}

// line and text sanitize first, so escape sequences cannot hide a secret
// from Redact, then redact.
func line(s string) string { return Redact(sanitize.Line(s)) }
func text(s string) string { return Redact(sanitize.Text(s)) }

// Append redacts and sanitizes every string of ev, fills Time (UTC now) if
// zero and ID (NewID(Time)) if empty, sets V to SchemaVersion, writes it
// as one line with a single write call and fsyncs before returning. It
// returns the event exactly as stored. On error the event may not be (fully)
// on disk; the journal stays usable for later appends.
func (j *Journal) Append(ev Event) (Event, error) {
	ev = normalize(ev)
	if ev.ID == "" {
		ev.ID = NewID(ev.Time)
	}
	ev.V = SchemaVersion
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
