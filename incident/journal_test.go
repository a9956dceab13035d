package incident

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func openT(t *testing.T, path string) (*Journal, []Event, []Skipped) {
	t.Helper()
	j, evs, skipped, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { j.Close() })
	return j, evs, skipped
}

func appendT(t *testing.T, j *Journal, ev Event) Event {
	t.Helper()
	got, err := j.Append(ev)
	if err != nil {
		t.Fatalf("Append(%+v): %v", ev, err)
	}
	return got
}

func TestJournalResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, evs, skipped := openT(t, path)
	if len(evs) != 0 || len(skipped) != 0 {
		t.Fatalf("new journal: %v %v", evs, skipped)
	}
	local := time.FixedZone("CET", 3600)
	in := []Event{
		Declared("alice", "API 5xx spike <checkout> & payments", P1, time.Date(2025, 3, 1, 3, 4, 5, 123456789, local)),
		SeverityChange("alice", P1, P0, "", time.Time{}), // time filled in
		Note("bob", "rolled back\ndeploy 42 — ✓", time.Now()),
		{Kind: KindAck, Actor: "bob", Time: time.Now()},
		{Kind: KindProbe, Actor: "warroom", Summary: "db ok", Detail: "line1\nline2\n"},
		{Kind: KindResolved, Actor: "alice", Summary: "fixed"},
	}
	var stored []Event
	for _, ev := range in {
		got := appendT(t, j, ev)
		if got.Time.IsZero() || got.Time.Location() != time.UTC {
			t.Errorf("stored time %v not UTC/filled", got.Time)
		}
		if !ev.Time.IsZero() && !got.Time.Equal(ev.Time) {
			t.Errorf("time changed: %v -> %v", ev.Time, got.Time)
		}
		stored = append(stored, got)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(Note("x", "after close", time.Time{})); err == nil {
		t.Error("Append after Close: want error")
	}

	_, evs, skipped = openT(t, path)
	if len(skipped) != 0 {
		t.Fatalf("skipped: %v", skipped)
	}
	if !reflect.DeepEqual(evs, stored) {
		t.Fatalf("reopened events differ:\n got %#v\nwant %#v", evs, stored)
	}
	evs2, skipped2, err := ReadFile(path)
	if err != nil || len(skipped2) != 0 || !reflect.DeepEqual(evs2, stored) {
		t.Fatalf("ReadFile: %v %v %v", evs2, skipped2, err)
	}
	// Human-readable: '<' and '&' are not \u-escaped.
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte("<checkout> & payments")) {
		t.Errorf("HTML-escaped journal: %s", data)
	}
	if n := bytes.Count(data, []byte("\n")); n != len(in) {
		t.Errorf("%d lines, want %d", n, len(in))
	}
}

func TestJournalAppendIsOnDiskOnReturn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	for i := range 3 {
		ev := appendT(t, j, Note("alice", fmt.Sprintf("note %d", i), time.Time{}))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != i+1 || !strings.HasSuffix(string(data), "\n") {
			t.Fatalf("after append %d file has %d lines: %q", i, len(lines), data)
		}
		if !strings.Contains(lines[i], `"summary":"`+ev.Summary+`"`) {
			t.Fatalf("line %d = %s", i, lines[i])
		}
	}
}

func TestJournalAppendFsyncsAfterWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	var calls int
	var failNext bool
	j.sync = func(f *os.File) error {
		calls++
		// The line must already be written when fsync is called.
		data, err := os.ReadFile(path)
		if err != nil || !bytes.HasSuffix(data, []byte("\n")) || bytes.Count(data, []byte("\n")) != calls {
			t.Errorf("fsync #%d before the write landed: %q %v", calls, data, err)
		}
		if failNext {
			failNext = false
			return errors.New("EIO")
		}
		return f.Sync()
	}
	appendT(t, j, Note("a", "one", time.Time{}))
	if calls != 1 {
		t.Fatalf("Append returned after %d fsyncs, want 1", calls)
	}
	failNext = true
	if _, err := j.Append(Note("a", "two", time.Time{})); err == nil || !strings.Contains(err.Error(), "EIO") {
		t.Fatalf("fsync error not returned: %v", err)
	}
	appendT(t, j, Note("a", "three", time.Time{}))
	if calls != 3 {
		t.Fatalf("%d fsyncs after 3 appends", calls)
	}
}

func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	good1 := `{"time":"2025-03-01T02:00:00Z","actor":"alice","kind":"declared","summary":"DB down","detail":"P0"}`
	good2 := `{"time":"2025-03-01T02:01:00Z","actor":"bob","kind":"ack","summary":"on it"}`
	torn := `{"time":"2025-03-01T02:02:00Z","actor":"bob","kind":"note","summ`
	if err := os.WriteFile(path, []byte(good1+"\n"+good2+"\n"+torn), 0o600); err != nil {
		t.Fatal(err)
	}
	j, evs, skipped := openT(t, path)
	if len(evs) != 2 || evs[0].Summary != "DB down" || evs[1].Kind != KindAck {
		t.Fatalf("events = %+v", evs)
	}
	if len(skipped) != 1 || skipped[0].Line != 3 || skipped[0].Text != torn || skipped[0].Err == nil {
		t.Fatalf("skipped = %+v", skipped)
	}

	added := appendT(t, j, Note("carol", "after the crash", time.Time{}))
	j.Close()

	data, _ := os.ReadFile(path)
	if !bytes.HasSuffix(data, []byte("\n")) || !bytes.Contains(data, []byte(torn+"\n{")) {
		t.Fatalf("new event glued to fragment:\n%s", data)
	}
	_, evs, skipped = openT(t, path)
	if len(evs) != 3 || len(skipped) != 1 || skipped[0].Line != 3 || skipped[0].Text != torn {
		t.Fatalf("after append: %d events %+v, skipped %+v", len(evs), evs, skipped)
	}
	if !reflect.DeepEqual(evs[2], added) {
		t.Fatalf("new event %+v, want %+v", evs[2], added)
	}
	if s := Fold(evs); s.Title != "DB down" || s.Severity != P0 || s.AckedBy != "bob" {
		t.Errorf("fold after torn tail: %+v", s)
	}
}

func TestJournalSkipsGarbageAnywhere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	content := "\n" + // blank: ignored, not skipped
		`{"time":"2025-03-01T02:00:00Z","actor":"a","kind":"note","summary":"one"}` + "\n" +
		"garbage \x1b[31mred\n" +
		`{"time":"2025-03-01T02:00:00Z","actor":"a","summary":"no kind"}` + "\n" +
		`{"time":"2025-03-01T02:00:00Z","actor":"a","kind":"note","summary":"two"}` + "\r\n"
	os.WriteFile(path, []byte(content), 0o600)
	evs, skipped, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Summary != "one" || evs[1].Summary != "two" {
		t.Errorf("events %+v", evs)
	}
	if len(skipped) != 2 || skipped[0].Line != 3 || skipped[1].Line != 4 {
		t.Fatalf("skipped %+v", skipped)
	}
	if skipped[0].Text != "garbage red" {
		t.Errorf("skipped text not sanitized: %q", skipped[0].Text)
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v", err)
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	const n = 20
	long := strings.Repeat("x", 8<<10) // bigger than a pipe buffer / typical page
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := j.Append(Note(fmt.Sprintf("g%02d", i), fmt.Sprintf("note %02d %s", i, long), time.Time{}))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if c := bytes.Count(data, []byte("\n")); c != n {
		t.Fatalf("%d lines, want %d", c, n)
	}
	evs, skipped, err := ReadFile(path)
	if err != nil || len(skipped) != 0 || len(evs) != n {
		t.Fatalf("%d events, skipped %v, err %v", len(evs), skipped, err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		want := fmt.Sprintf("note %s %s", strings.TrimPrefix(ev.Actor, "g"), long)
		if ev.Summary != want {
			t.Errorf("mangled event from %s", ev.Actor)
		}
		seen[ev.Actor] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct writers, want %d", len(seen), n)
	}
}

func TestJournalSanitizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	got := appendT(t, j, Event{
		Kind:    KindAction,
		Actor:   "eve\x1b]0;pwned\x07",
		Summary: "kubectl \x1b[2J\x1b[31mrollout\x1b[0m undo\r\nnext line\x07",
		Detail:  "out\x1b[1mput\nsecond\u009b2J line\u202e",
	})
	want := Event{V: SchemaVersion, ID: got.ID, Kind: KindAction, Actor: "eve", Summary: "kubectl rollout undo ⏎ next line", Detail: "output\nsecond line", Time: got.Time}
	if got.ID == "" || !reflect.DeepEqual(got, want) {
		t.Errorf("stored %#v\nwant   %#v", got, want)
	}
	data, _ := os.ReadFile(path)
	for _, bad := range []string{"\x1b", `\u001b`, "\x07", `\u0007`, "\r", `\r`, "\u202e", `\u202e`, "\u009b", `\u009b`} {
		if bytes.Contains(data, []byte(bad)) {
			t.Errorf("file contains %q: %s", bad, data)
		}
	}
}

func TestJournalRedactsBeforeDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	secrets := []string{"hunter2pw", "s3cr3tDsn", "pgpw0rd99", "eyJhbGciOiJIUzI1NiJ9abc", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "tok123456"}
	got := appendT(t, j, Event{
		Kind:    KindAction,
		Actor:   "alice",
		Summary: "psql postgres://app:hunter2pw@db.internal:5432/prod; PGPASSWORD=pgpw0rd99 psql",
		Detail: "dsn: host=db user=app password='s3cr3tDsn' sslmode=require\n" +
			"curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc' https://api/x?access_token=tok123456&x=1\n" +
			"aws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
	})
	data, _ := os.ReadFile(path)
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("secret %q reached disk:\n%s", s, data)
		}
		if strings.Contains(got.Summary+got.Detail, s) {
			t.Errorf("secret %q in returned event", s)
		}
	}
	for _, keep := range []string{"db.internal:5432/prod", "sslmode=require", "x=1", "app:xxxxx@"} {
		if !bytes.Contains(data, []byte(keep)) {
			t.Errorf("lost non-secret %q:\n%s", keep, data)
		}
	}
}

func TestJournalCreatesDirAndMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permissions")
	}
	base := t.TempDir()
	path := filepath.Join(base, "state", "incidents", "inc.jsonl")
	j, _, _ := openT(t, path)
	appendT(t, j, Note("a", "b", time.Time{}))
	if j.Path() != path {
		t.Errorf("Path() = %q", j.Path())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
	for _, d := range []string{filepath.Join(base, "state"), filepath.Dir(path)} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", d, di.Mode().Perm())
		}
	}
}

func TestJournalWriteErrorKeepsJournalUsable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	// A time json cannot encode (year > 9999) makes this append fail.
	if _, err := j.Append(Note("a", "bad", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))); err == nil {
		t.Fatal("want encode error")
	}
	appendT(t, j, Note("a", "good", time.Time{}))
	evs, skipped, _ := ReadFile(path)
	if len(evs) != 1 || evs[0].Summary != "good" || len(skipped) != 0 {
		t.Fatalf("events %+v skipped %+v", evs, skipped)
	}
}

func BenchmarkAppend(b *testing.B) {
	j, _, _, err := Open(filepath.Join(b.TempDir(), "inc.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	ev := Note("alice", "kubectl rollout undo deployment/api -n agent-platform", time.Time{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// An event whose ID is already in the journal (a derived ID: the same
// alert firing, seen by two paths) is not written twice, across a reopen.
func TestAppendWritesAnIDOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, _, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	ev := Event{ID: AlertEventID("inc", "HighErrorRate", nil, "firing", at), Time: at, Actor: "drill", Kind: KindAlert, Summary: "x",
		Alert: &AlertFields{Name: "HighErrorRate", State: "firing"}}
	for range 2 {
		if _, err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	j, evs, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.Append(ev); err != nil {
		t.Fatal(err)
	}
	if evs, _, _ = ReadFile(path); len(evs) != 1 {
		t.Fatalf("%d events with one ID", len(evs))
	}
}
