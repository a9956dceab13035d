package incident

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/sanitize"
)

// hostile is what a journal from another machine may carry in any string:
// OSC (retitle), CSI (clear), 8-bit CSI as a rune, an OSC introduced by
// C1, DCS with a payload, bidi override and isolate, and a secret.
const hostile = "a\x1b]0;pwned\x07b\x1b[2J\u009b31mc\u009d2;x\u0007d\x1bPq#0\x1b\\e\u202e\u2066 password=hunter2 "

// checkClean fails unless every string of every event is safe to draw
// (sanitize.IsSafe), one line unless the field is multi-line, free of the
// planted secret, and unchanged by cleaning again.
func checkClean(t *testing.T, evs []Event) {
	t.Helper()
	for i, ev := range evs {
		var got []string
		strs(reflect.ValueOf(ev), &got)
		for _, s := range got {
			if !sanitize.IsSafe(s) || strings.Contains(s, "hunter2") {
				t.Errorf("event %d: string %q is not clean", i, s)
			}
		}
		if again := clean(ev); !reflect.DeepEqual(again, ev) {
			t.Errorf("event %d: cleaning again changes it:\n%+v\n%+v", i, ev, again)
		}
	}
}

// TestJournalReadCleansEveryField: a journal line with escapes, C1, bidi
// and a secret in every string of every typed field, in a version 2 line
// and in a version 1 line (upgraded on read): nothing read back holds any
// of them, through Open or ReadFile.
func TestJournalReadCleansEveryField(t *testing.T) {
	for _, v := range []int{2, 0} {
		var in Event
		n := fill(t, reflect.ValueOf(&in).Elem(), "Event")
		refill(reflect.ValueOf(&in).Elem()) // hostile instead of fill's poison
		in.V, in.Time = v, t0
		in.Kind = KindAction // a kind must survive cleaning to be read
		line, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "inc.jsonl")
		// json.Marshal escapes C0 (\u001b) but writes C1 and bidi raw.
		os.WriteFile(path, append(line, '\n'), 0o600)

		evs, skipped, err := ReadFile(path)
		if err != nil || len(evs) != 1 || len(skipped) != 0 {
			t.Fatalf("v%d: ReadFile: %d events, skipped %v, %v", v, len(evs), skipped, err)
		}
		var got []string
		strs(reflect.ValueOf(evs[0]), &got)
		if len(got) < n {
			t.Errorf("v%d: %d strings read back, want at least %d", v, len(got), n)
		}
		checkClean(t, evs)
		for _, s := range got {
			if s != "" && !strings.Contains(s, "password=xxxxx") && s != string(KindAction) && s != evs[0].ID {
				t.Errorf("v%d: string %q lost its text", v, s)
			}
		}

		_, opened, _ := openT(t, path)
		if !reflect.DeepEqual(opened, evs) {
			t.Errorf("v%d: Open and ReadFile differ:\n%+v\n%+v", v, opened, evs)
		}
	}
}

// refill sets every string reachable from v (as fill shaped it) to hostile.
func refill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostile)
	case reflect.Pointer:
		if !v.IsNil() {
			refill(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				refill(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			refill(v.Index(i))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for it := v.MapRange(); it.Next(); {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString(hostile)
			e := reflect.New(v.Type().Elem()).Elem()
			e.SetString(hostile)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
}

// TestCleanKnowsEveryKind: clean copies by reflection; a field of a kind
// it cannot deep-copy (an interface, a func, a channel) would be shared or
// left dirty. Walk Event's type and fail on one.
func TestCleanKnowsEveryKind(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		switch ty.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(ty.Elem(), path+"[]")
		case reflect.Map:
			walk(ty.Key(), path+" key")
			walk(ty.Elem(), path+" value")
		case reflect.Struct:
			if ty == timeType {
				return
			}
			for i := range ty.NumField() {
				f := ty.Field(i)
				if !f.IsExported() {
					t.Errorf("%s.%s: unexported fields are not cleaned", path, f.Name)
				}
				if tag := f.Tag.Get("clean"); tag != "" && (tag != "text" || f.Type.Kind() != reflect.String) {
					t.Errorf("%s.%s: clean tag %q: only \"text\" on a string", path, f.Name, tag)
				}
				walk(f.Type, path+"."+f.Name)
			}
		default:
			t.Errorf("%s: clean cannot copy a %s", path, ty.Kind())
		}
	}
	walk(reflect.TypeFor[Event](), "Event")
}

// TestCleanMapKeysCollide: two label keys that clean to one keep the value
// of the first in key order, whatever the map's iteration order.
func TestCleanMapKeysCollide(t *testing.T) {
	ev := Event{Kind: KindAlert, Alert: &AlertFields{Labels: map[string]string{"svc\x1b[0m": "b", "svc": "a", "svc\u202e": "c"}}}
	for range 20 {
		got := clean(ev).Alert.Labels
		if len(got) != 1 || got["svc"] != "a" {
			t.Fatalf("labels %q, want svc=a", got)
		}
	}
	if len(ev.Alert.Labels) != 3 {
		t.Errorf("clean modified the caller's map")
	}
}

// TestJournalMultiLineFields: only fields tagged clean:"text" keep their
// newlines.
func TestJournalMultiLineFields(t *testing.T) {
	ev := clean(Event{Summary: "a\nb", Detail: "a\nb", Action: &ActionFields{Title: "a\nb", Output: "a\nb", Error: "a\nb", Lines: []string{"a\nb"}},
		Probe: &ProbeFields{Error: "a\nb", Backend: "a\nb"}})
	for name, s := range map[string]string{"Summary": ev.Summary, "Action.Title": ev.Action.Title, "Action.Lines": ev.Action.Lines[0], "Probe.Backend": ev.Probe.Backend} {
		if s != "a ⏎ b" {
			t.Errorf("%s = %q, want one line", name, s)
		}
	}
	for name, s := range map[string]string{"Detail": ev.Detail, "Action.Output": ev.Action.Output, "Action.Error": ev.Action.Error, "Probe.Error": ev.Probe.Error} {
		if s != "a\nb" {
			t.Errorf("%s = %q, want its newline kept", name, s)
		}
	}
}

// TestJournalRefusesNonRegular: --journal on a directory, a device, a FIFO
// or a socket is refused, saying what it is, by Open and ReadFile, and a
// FIFO never blocks them. A symlink to a journal is fine.
func TestJournalRefusesNonRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix file types")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cases := map[string]string{
		dir:         "is a directory, not a regular file",
		"/dev/zero": "is a character device, not a regular file",
		"/dev/null": "is a character device, not a regular file",
		fifo:        "is a named pipe (FIFO), not a regular file",
		sock:        "is a socket, not a regular file",
	}
	if blocks, _ := filepath.Glob("/dev/loop[0-9]*"); len(blocks) > 0 {
		if fi, err := os.Stat(blocks[0]); err == nil && fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
			cases[blocks[0]] = "is a block device, not a regular file"
		}
	}
	// A symlink to a FIFO is a FIFO.
	link := filepath.Join(dir, "link-to-fifo")
	os.Symlink(fifo, link)
	cases[link] = "is a named pipe (FIFO), not a regular file"

	for path, want := range cases {
		j, _, _, err := Open(path)
		if err == nil {
			j.Close()
			t.Errorf("Open(%s) accepted it", path)
		} else if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s) = %v, want %q", path, err, want)
		}
		var nr *NotRegularError
		if !errors.As(err, &nr) {
			t.Errorf("Open(%s): %v is not a *NotRegularError", path, err)
		}
		if _, _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s) = %v, want %q", path, err, want)
		}
	}

	// The check on the open descriptor, for a FIFO swapped in after the
	// first look: opened for reading without O_NONBLOCK this would block
	// until a writer came (the test would hang).
	if _, _, err := openNonblock(fifo, os.O_RDONLY); err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO)") {
		t.Errorf("openNonblock(fifo) = %v", err)
	}

	// A symlink to a regular journal is a journal.
	real := filepath.Join(dir, "real.jsonl")
	os.WriteFile(real, []byte(`{"time":"2025-03-01T02:00:00Z","actor":"a","kind":"note","summary":"one"}`+"\n"), 0o600)
	ok := filepath.Join(dir, "ok.jsonl")
	os.Symlink(real, ok)
	j, evs, _, err := Open(ok)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Open(symlink to journal) = %d events, %v", len(evs), err)
	}
	if _, err := j.Append(Note("a", "two", t0)); err != nil {
		t.Errorf("append through symlink: %v", err)
	}
	j.Close()
	if evs, _, err := ReadFile(real); err != nil || len(evs) != 2 {
		t.Errorf("after append: %d events, %v", len(evs), err)
	}
	// The descriptor is blocking again (O_NONBLOCK cleared).
	f, err := openRegular(real, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFL, 0)
	if errno != 0 || flags&syscall.O_NONBLOCK != 0 {
		t.Errorf("journal fd flags %#x (%v): O_NONBLOCK left set", flags, errno)
	}
}

// TestJournalLongLine: a line longer than MaxLineBytes is skipped, with
// ErrLineTooLong and a short preview, and is not held in memory; a line of
// exactly MaxLineBytes is read.
func TestJournalLongLine(t *testing.T) {
	note := func(summaryLen int) string {
		prefix := `{"time":"2025-03-01T02:00:00Z","actor":"a","kind":"note","summary":"`
		return prefix + strings.Repeat("x", summaryLen-len(prefix)-2) + `"}`
	}
	exact := note(MaxLineBytes)
	over := note(MaxLineBytes + 1)
	huge := "\x1b]0;pwned\x07password=hunter2 " + strings.Repeat("y", 32<<20)
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	os.WriteFile(path, []byte(exact+"\n"+over+"\n"+huge+"\n"+note(100)+"\n"+over), 0o600)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	evs, skipped, err := ReadFile(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || len(evs[0].Summary) != MaxLineBytes-len(`{"time":"2025-03-01T02:00:00Z","actor":"a","kind":"note","summary":"`)-2 {
		t.Fatalf("%d events", len(evs))
	}
	if len(skipped) != 3 || skipped[0].Line != 2 || skipped[1].Line != 3 || skipped[2].Line != 5 {
		t.Fatalf("skipped %+v", skipped)
	}
	for _, s := range skipped {
		if !errors.Is(s.Err, ErrLineTooLong) || len([]rune(s.Text)) > 200 || !sanitize.IsSafe(s.Text) || strings.Contains(s.Text, "hunter2") {
			t.Errorf("skipped line %d: %v, text %q", s.Line, s.Err, s.Text)
		}
	}
	// Reading allocates about what it keeps (two 1 MiB events and buffers),
	// not the 32 MiB line.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("reading allocated %d MiB", alloc>>20)
	}
	t.Logf("allocated %d KiB reading %d MiB", (after.TotalAlloc-before.TotalAlloc)>>10, (len(huge)+3*MaxLineBytes)>>20)
}

// TestJournalTooLarge: a file larger than MaxJournalBytes is refused, not
// read (a sparse file: no disk used).
func TestJournalTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxJournalBytes + 1)
	f.Close()
	if _, _, _, err := Open(path); err == nil || !strings.Contains(err.Error(), "MiB a journal may have") {
		t.Errorf("Open(huge) = %v", err)
	}
	if _, _, err := ReadFile(path); err == nil {
		t.Errorf("ReadFile(huge) accepted it")
	}
}

// TestJournalSkippedErrorIsClean: the error of a skipped line can quote
// the line (a map key in a type error): its text is cleaned.
func TestJournalSkippedErrorIsClean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	os.WriteFile(path, []byte(`{"v":2,"time":"2025-03-01T02:00:00Z","kind":"alert","alert":{"labels":{"k\u001b]0;x\u0007":1}}}`+"\n"+"\x1b]0;pwn\x07 token: abc123\n"), 0o600)
	_, skipped, err := ReadFile(path)
	if err != nil || len(skipped) != 2 {
		t.Fatalf("skipped %+v, %v", skipped, err)
	}
	for _, s := range skipped {
		if msg := s.Err.Error(); !sanitize.IsSafe(msg) || strings.Contains(msg, "\n") {
			t.Errorf("line %d: error %q not clean", s.Line, msg)
		}
		if !sanitize.IsSafe(s.Text) || strings.Contains(s.Text, "abc123") {
			t.Errorf("line %d: text %q not clean", s.Line, s.Text)
		}
	}
}

// TestJournalAbsurdTimes: times at the ends of what JSON can say, zero,
// and far offsets read and fold without a panic.
func TestJournalAbsurdTimes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	var lines []string
	for i, ts := range []string{"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1969-12-31T23:59:59Z", "2025-03-01T02:00:00Z"} {
		kind := []Kind{KindDeclared, KindAck, KindEscalation, KindResolved, KindReopened, KindChecklist}[i]
		lines = append(lines, `{"time":"`+ts+`","actor":"a","kind":"`+string(kind)+`","summary":"s","severity":{"to":"P1"},"escalation":{"level":9223372036854775807},"ack":{"level":-9223372036854775808},"checklist":{"item":-1}}`)
	}
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
	evs, skipped, err := ReadFile(path)
	if err != nil || len(skipped) != 0 || len(evs) != 6 {
		t.Fatalf("%d events, skipped %+v, %v", len(evs), skipped, err)
	}
	s := Fold(evs)
	s.Elapsed(time.Now())
	s.Open()
	for _, ev := range evs {
		if ev.ID == "" {
			t.Errorf("no ID for %v", ev.Time)
		}
	}
}

// BenchmarkReadFile: reading (decoding, upgrading, cleaning) a journal of
// 10,000 typical events: what resuming an incident costs.
func BenchmarkReadFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "inc.jsonl")
	var buf []byte
	for i := range 10000 {
		var ev Event
		switch i % 4 {
		case 0:
			ev = Note("alice", "rolling back api to the previous ReplicaSet: 5xx ratio 12% > 5% for 2m", t0)
		case 1:
			ev = Event{Kind: KindProbe, Actor: "warroom", Summary: "postgres lost: dial tcp 10.0.0.5:5432: connect: connection refused",
				Probe: &ProbeFields{Backend: "postgres", State: ProbeLost, Error: "dial tcp 10.0.0.5:5432: connect: connection refused"}}
		case 2:
			ev = Event{Kind: KindAlert, Actor: "drill", Summary: "HighErrorRate firing",
				Alert: &AlertFields{Name: "HighErrorRate", State: "firing", Labels: map[string]string{"service": "api", "severity": "page"}}}
		case 3:
			code := 0
			ev = Event{Kind: KindAction, Actor: "carol", Summary: "done: Roll back deployment/api", Detail: "deployment/api rolled back",
				Action: &ActionFields{Phase: PhaseFinished, Title: "Roll back deployment/api", Kind: ActionKube, Lines: []string{"kubectl rollout undo deployment/api -n agent-platform"},
					ExitCode: &code, Output: strings.Repeat("deployment.apps/api rolled back\n", 20)}}
		}
		ev.Time = t0.Add(time.Duration(i) * time.Second)
		ev = normalize(ev)
		ev.ID, ev.V = NewID(ev.Time), SchemaVersion
		line, _ := json.Marshal(ev)
		buf = append(append(buf, line...), '\n')
	}
	os.WriteFile(path, buf, 0o600)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if evs, _, err := ReadFile(path); err != nil || len(evs) != 10000 {
			b.Fatal(len(evs), err)
		}
	}
}
