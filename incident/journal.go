package incident

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	// ids are the IDs in the file: an event with a derived ID (an alert
	// firing, seen by the drill's script and by a pane) is written once.
	ids map[string]struct{}

	sync func(*os.File) error // (*os.File).Sync; replaced in tests
}

// Skipped is a journal line that could not be parsed, or was too long.
type Skipped struct {
	Line int    // 1-based line number
	Text string // the line's start (200 characters), sanitized and redacted for display
	Err  error  // its text is sanitized and redacted too; errors.Is(Err, ErrLineTooLong) for a long line
}

// Limits on what reading a journal may cost. A journal may come from
// another machine, or --journal may name something that is not a journal.
const (
	// MaxJournalBytes: a larger file is refused rather than read into
	// memory (about a million events; a real incident writes thousands).
	MaxJournalBytes = 256 << 20
	// MaxLineBytes: a longer line is skipped (ErrLineTooLong) without
	// being held in memory. Append writes lines far shorter: outputs are
	// excerpts.
	MaxLineBytes = 1 << 20
)

// ErrLineTooLong is the Err of a Skipped line longer than MaxLineBytes.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// Open opens the journal at path, creating it (mode 0600, parent
// directories 0700) if needed, takes an exclusive lock on it and reads any
// existing events (version 1 lines upgraded, see Upgrade; every string
// cleaned, see clean). Lines that do not parse (typically a torn last line
// after a crash mid-write) or are longer than MaxLineBytes are reported in
// skipped and otherwise ignored; they are never fatal. If the file does not
// end in '\n', the next Append first writes one so the torn fragment stays
// on its own line.
//
// Only a regular file (or a symlink to one) is a journal: a directory, a
// device, a FIFO or a socket is refused with an error naming what it is,
// without blocking on it; so is a file larger than MaxJournalBytes.
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
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := lock(f, path); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	events, skipped, torn, err := read(f, path)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	j = &Journal{
		path:   path,
		f:      f,
		sync:   (*os.File).Sync,
		needNL: torn,
		ids:    make(map[string]struct{}, len(events)),
	}
	for _, ev := range events {
		j.ids[ev.ID] = struct{}{}
	}
	return j, events, skipped, nil
}

// ReadFile reads a journal without opening it for writing and without
// taking the lock, so it also reads a journal another warroom holds. It
// refuses what Open refuses, and reads as Open does.
func ReadFile(path string) ([]Event, []Skipped, error) {
	f, err := openRegular(path, os.O_RDONLY)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	events, skipped, _, err := read(f, path)
	return events, skipped, err
}

// openRegular opens path with flag, refusing anything but a regular file
// (see openFile) and a file larger than MaxJournalBytes.
func openRegular(path string, flag int) (*os.File, error) {
	f, fi, err := openFile(path, flag)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if fi.Size() > MaxJournalBytes {
		f.Close()
		return nil, fmt.Errorf("journal %s: %d bytes, more than the %d MiB a journal may have: pass a different --journal", sanitize.Line(path), fi.Size(), MaxJournalBytes>>20)
	}
	return f, nil
}

// NotRegularError: the journal path is not a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return sanitize.Line(e.Path) + " is " + FileKind(e.Mode) + ", not a regular file"
}

// FileKind names what a non-regular file is ("a named pipe (FIFO)",
// "a character device"...), for messages that refuse it.
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a plain file (" + m.Type().String() + ")"
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

// read reads the events of the journal f: at most MaxJournalBytes, so a
// file that grows after Open looked at its size cannot make reading
// unbounded either. torn: the file does not end in '\n'.
func read(f *os.File, path string) (events []Event, skipped []Skipped, torn bool, err error) {
	r := io.LimitReader(f, MaxJournalBytes+1)
	events, skipped, last, n, err := parse(r)
	if err != nil {
		return nil, nil, false, fmt.Errorf("journal: read %s: %w", path, err)
	}
	if n > MaxJournalBytes {
		return nil, nil, false, fmt.Errorf("journal %s: more than the %d MiB a journal may have: pass a different --journal", sanitize.Line(path), MaxJournalBytes>>20)
	}
	return events, skipped, n > 0 && last != '\n', nil
}

// parse reads JSON lines from r: each line is decoded, upgraded (see
// Upgrade) and cleaned (see clean); blank lines are ignored; lines that do
// not decode, have no kind or are longer than MaxLineBytes are skipped. A
// line is held in memory only up to MaxLineBytes. n is the number of bytes
// read, last the last of them (meaningless if n is 0: it may be a NUL).
func parse(r io.Reader) (events []Event, skipped []Skipped, last byte, n int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	var lines []rawLine
	for line := 1; ; line++ {
		buf = buf[:0]
		tooLong := false
		var rerr error
		for {
			var chunk []byte
			chunk, rerr = br.ReadSlice('\n')
			n += int64(len(chunk))
			if len(chunk) > 0 {
				last = chunk[len(chunk)-1]
			}
			if !tooLong {
				if len(buf)+len(bytes.TrimSuffix(chunk, []byte("\n"))) > MaxLineBytes {
					// Keep only the start, to show; drop the rest unread.
					tooLong = true
					buf = append(buf, chunk[:min(len(chunk), max(0, skippedPreview-len(buf)))]...)
					buf = buf[:min(len(buf), skippedPreview)]
				} else {
					buf = append(buf, chunk...)
				}
			}
			if rerr != bufio.ErrBufferFull {
				break
			}
		}
		if rerr != nil && rerr != io.EOF {
			return nil, nil, 0, n, rerr
		}
		text := bytes.TrimSuffix(buf, []byte("\n"))
		if tooLong || len(bytes.TrimSpace(text)) > 0 {
			lines = append(lines, rawLine{line: line, text: bytes.Clone(text), tooLong: tooLong})
		}
		if rerr == io.EOF {
			events, skipped = decodeAll(lines)
			return events, skipped, last, n, nil
		}
	}
}

// rawLine is one non-blank journal line as read.
type rawLine struct {
	line    int
	text    []byte
	tooLong bool
}

// decoded is a rawLine decoded, upgraded and cleaned, or why not.
type decoded struct {
	ev   Event
	skip *Skipped
}

// decodeAll decodes, upgrades and cleans the lines on every CPU (most of
// reading a journal is that: a 10,000-event journal reads in half the
// time on two), keeping their order.
func decodeAll(lines []rawLine) ([]Event, []Skipped) {
	out := make([]decoded, len(lines))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(lines)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCleanCache()
			for i := w; i < len(lines); i += workers {
				out[i] = decodeLine(lines[i], c)
			}
		}()
	}
	wg.Wait()
	events := make([]Event, 0, len(lines))
	var skipped []Skipped
	for _, d := range out {
		if d.skip != nil {
			skipped = append(skipped, *d.skip)
		} else {
			events = append(events, d.ev)
		}
	}
	return events, skipped
}

func decodeLine(l rawLine, c *cleanCache) decoded {
	if l.tooLong {
		s := skip(l.line, l.text, ErrLineTooLong)
		return decoded{skip: &s}
	}
	ev, err := decode(l.text)
	if err == nil && ev.Kind == "" {
		err = errNoKind
	}
	if err != nil {
		s := skip(l.line, l.text, err)
		return decoded{skip: &s}
	}
	return decoded{ev: cleanWith(Upgrade(ev, l.line, l.text), c)}
}

// skippedPreview bounds how much of a skipped line is kept to show.
const skippedPreview = 4 << 10

// skip describes a skipped line for display: its start, cleaned (as a
// line from another machine, it may hold escapes and secrets) and cut to
// 200 characters; the error's text cleaned too (a JSON error can quote a
// map key from the line).
func skip(line int, text []byte, err error) Skipped {
	if len(text) > skippedPreview {
		text = text[:skippedPreview]
	}
	s := cleanLine(string(text))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return Skipped{Line: line, Text: s, Err: &lineError{err}}
}

// lineError is a skipped line's error with a text safe to print.
type lineError struct{ err error }

func (e *lineError) Error() string { return cleanLine(e.err.Error()) }
func (e *lineError) Unwrap() error { return e.err }

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

// normalize gives ev the exact form Append stores: every string cleaned
// (see clean: sanitized and redacted, including those of the typed
// fields); time in UTC (now if zero). It never modifies what ev points to.
func normalize(ev Event) Event {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC() // also drops the monotonic reading
	return clean(ev)
}

// Prepare is ev exactly as Append would store it (cleaned, UTC time, ID
// and version filled), for a copy that must match the journal's byte for
// byte (the shared timeline's claim, decided before the local append).
func Prepare(ev Event) Event {
	ev = normalize(ev)
	if ev.ID == "" {
		ev.ID = NewID(ev.Time)
	}
	ev.V = SchemaVersion
	return ev
}

// AppendAll appends evs as Append does, in one write and one fsync (the
// other consoles' events arrive in batches). Events whose ID the journal
// already holds are skipped; stored are the ones written, as stored. On
// error nothing is known to be on disk; the journal stays usable.
func (j *Journal) AppendAll(evs []Event) (stored []Event, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil, fmt.Errorf("journal %s: %w", j.path, os.ErrClosed)
	}
	if j.needNL {
		buf.WriteByte('\n')
	}
	batch := map[string]struct{}{}
	for _, ev := range evs {
		ev = Prepare(ev)
		if _, dup := j.ids[ev.ID]; dup {
			continue
		}
		if _, dup := batch[ev.ID]; dup {
			continue
		}
		if err := enc.Encode(ev); err != nil {
			return nil, fmt.Errorf("journal: encode: %w", err)
		}
		batch[ev.ID] = struct{}{}
		stored = append(stored, ev)
	}
	if len(stored) == 0 {
		return nil, nil
	}
	if err := j.writeSync(buf.Bytes()); err != nil {
		return nil, err
	}
	for id := range batch {
		j.ids[id] = struct{}{}
	}
	return stored, nil
}

// Append redacts and sanitizes every string of ev, fills Time (UTC now) if
// zero and ID (NewID(Time)) if empty, sets V to SchemaVersion, writes it
// as one line with a single write call and fsyncs before returning. It
// returns the event exactly as stored. On error the event may not be (fully)
// on disk; the journal stays usable for later appends.
func (j *Journal) Append(ev Event) (Event, error) {
	ev = Prepare(ev)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ev, fmt.Errorf("journal %s: %w", j.path, os.ErrClosed)
	}
	if _, dup := j.ids[ev.ID]; dup {
		return ev, nil // already on disk: the same fact, recorded by another path
	}
	if j.needNL {
		buf.WriteByte('\n')
	}
	if err := enc.Encode(ev); err != nil { // Encode adds the trailing '\n'
		return ev, fmt.Errorf("journal: encode: %w", err)
	}
	if err := j.writeSync(buf.Bytes()); err != nil {
		return ev, err
	}
	j.ids[ev.ID] = struct{}{}
	return ev, nil
}

// writeSync writes b (whole lines) with one write call and fsyncs; j.mu
// is held.
func (j *Journal) writeSync(b []byte) error {
	n, err := j.f.Write(b)
	if n > 0 {
		// A short write leaves a fragment: make sure the next line starts fresh.
		j.needNL = b[n-1] != '\n'
	}
	if err != nil {
		return fmt.Errorf("journal %s: write: %w", j.path, err)
	}
	if err := j.sync(j.f); err != nil {
		return fmt.Errorf("journal %s: fsync: %w", j.path, err)
	}
	return nil
}
