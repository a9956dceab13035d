package incident

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestJournalAppendFillsIDAndVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	when := time.Date(2025, 3, 1, 2, 3, 4, 5_000_000, time.UTC)
	got := appendT(t, j, Note("alice", "hi", when))
	u, err := uuid.Parse(got.ID)
	if err != nil || u.Version() != 7 || got.V != SchemaVersion {
		t.Fatalf("stored V %d ID %q (%v)", got.V, got.ID, err)
	}
	if ts := idTime(t, got.ID); !ts.Equal(when) {
		t.Errorf("ID time %v, want the event's %v", ts, when)
	}
	// Time filled first, then the ID from it.
	got = appendT(t, j, Note("alice", "now", time.Time{}))
	if ts := idTime(t, got.ID); !ts.Equal(got.Time.Truncate(time.Millisecond)) {
		t.Errorf("ID time %v, event time %v", ts, got.Time)
	}
	// A caller's ID is kept (DerivedID events); V is always this schema's.
	id := DerivedID(when, "escalation", "1")
	got = appendT(t, j, Event{V: 1, ID: id, Time: when, Actor: "warroom", Kind: KindEscalation,
		Escalation: &EscalationFields{Level: 1, Role: "Secondary On-Call"}})
	if got.ID != id || got.V != SchemaVersion {
		t.Errorf("stored ID %q V %d", got.ID, got.V)
	}
	data, _ := os.ReadFile(path)
	last := bytes.Split(bytes.TrimSpace(data), []byte("\n"))[2]
	want := `{"v":2,"id":"` + id + `","time":"2025-03-01T02:03:04.005Z","actor":"warroom","kind":"escalation","summary":"","escalation":{"level":1,"role":"Secondary On-Call"}}`
	if string(last) != want {
		t.Errorf("line\n %s\nwant\n %s", last, want)
	}
}

const poison = "\x1b]0;pwn\x07 password=hunter2"

// fill sets every string reachable from v (struct fields, pointers to
// structs, string slices, map keys and values) to poison and returns how
// many it set. A field of a shape it does not know fails the test, so a new
// field is never silently left out.
func fill(t *testing.T, v reflect.Value, path string) int {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(poison)
		return 1
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return 0
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fill(t, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return 0
		}
		n := 0
		for i := range v.NumField() {
			n += fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
		return n
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		return fill(t, v.Index(0), path+"[0]") + fill(t, v.Index(1), path+"[1]")
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		n := fill(t, k, path+" key") + fill(t, e, path+" value")
		m.SetMapIndex(k, e)
		v.Set(m)
		return n
	}
	t.Fatalf("%s: fill does not know %s: teach it, and normalize", path, v.Type())
	return 0
}

// strs collects every string reachable from v.
func strs(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			strs(v.Elem(), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			strs(v.Field(i), out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			strs(v.Index(i), out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			strs(it.Key(), out)
			strs(it.Value(), out)
		}
	}
}

// TestJournalCleansEveryString fills every string of every typed field
// with an escape sequence and a secret: none may reach disk or come back.
func TestJournalCleansEveryString(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	j, _, _ := openT(t, path)
	var in Event
	n := fill(t, reflect.ValueOf(&in).Elem(), "Event")
	in.Time = t0
	if n < 30 {
		t.Fatalf("filled only %d strings", n)
	}
	stored := appendT(t, j, in)
	j.Close()
	_, evs, skipped := openT(t, path)
	if len(evs) != 1 || len(skipped) != 0 {
		t.Fatalf("re-read %d events, skipped %v", len(evs), skipped)
	}
	for name, ev := range map[string]Event{"returned": stored, "re-read": evs[0]} {
		var got []string
		strs(reflect.ValueOf(ev), &got)
		if len(got) != n {
			t.Errorf("%s: %d strings, want %d (a field was dropped)", name, len(got), n)
		}
		for _, s := range got {
			if strings.ContainsAny(s, "\x1b\x07") || strings.Contains(s, "hunter2") || !strings.Contains(s, "password=xxxxx") {
				t.Errorf("%s: string %q not sanitized and redacted", name, s)
			}
		}
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("hunter2")) || bytes.Contains(data, []byte(`\u001b`)) || bytes.Contains(data, []byte(`\u0007`)) {
		t.Errorf("file: %s", data)
	}
	// The caller's event is not modified.
	var orig []string
	strs(reflect.ValueOf(in), &orig)
	for _, s := range orig {
		if s != poison {
			t.Fatalf("Append modified the caller's event: %q", s)
		}
	}
}

func TestUpgradeV1(t *testing.T) {
	raw := func(kind, summary, detail string) []byte {
		b, _ := json.Marshal(map[string]string{"time": "2025-03-01T02:00:00Z", "actor": "bob", "kind": kind, "summary": summary, "detail": detail})
		return b
	}
	cases := []struct {
		line []byte
		want Event // typed fields only
	}{
		{raw("declared", "DB down", "P1"), Event{Severity: &SeverityFields{To: "P1"}}},
		{raw("declared", "DB down", " p2"), Event{Severity: &SeverityFields{To: "P2"}}},
		{raw("declared", "DB down", "huge"), Event{Severity: &SeverityFields{To: "huge"}}},
		{raw("severity", "Severity P1 → P0", "P0"), Event{Severity: &SeverityFields{From: "P1", To: "P0"}}},
		{raw("severity", "raised it", "P0"), Event{Severity: &SeverityFields{To: "P0"}}},
		{raw("ack", "on it", ""), Event{Ack: &AckFields{Who: "bob"}}},
		{raw("probe", "postgres lost: dial tcp 10.0.0.1:5432: connect: connection refused", ""),
			Event{Probe: &ProbeFields{Backend: "postgres", State: ProbeLost, Error: "dial tcp 10.0.0.1:5432: connect: connection refused"}}},
		{raw("probe", "prometheus recovered after 1m30s", ""), Event{Probe: &ProbeFields{Backend: "prometheus", State: ProbeRecovered, DownForMS: 90_000}}},
		{raw("probe", "something else", ""), Event{}},
		{raw("step-started", "Restart api", "kubectl rollout restart"), Event{Action: &ActionFields{Phase: PhaseStarted, Title: "Restart api", Kind: ActionShell, Executed: true}}},
		{raw("step-finished", "Restart api", "ok"), Event{Action: &ActionFields{Phase: PhaseFinished, Title: "Restart api", Kind: ActionShell, Executed: true}}},
		{raw("note", "hello", ""), Event{}},
		{raw("alert", "HighErrorRate firing", ""), Event{}},
	}
	for i, c := range cases {
		var ev Event
		if err := json.Unmarshal(c.line, &ev); err != nil {
			t.Fatal(err)
		}
		got := Upgrade(ev, i+1, c.line)
		want := ev
		want.V = 1
		want.ID = DerivedID(ev.Time, "v1", strconv.Itoa(i+1), string(c.line))
		want.Severity, want.Ack, want.Probe, want.Action = c.want.Severity, c.want.Ack, c.want.Probe, c.want.Action
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.line, got, want)
		}
	}
	// A v2 event is left alone; one without an ID gets a derived one.
	v2 := Event{V: 2, ID: "x", Kind: KindAck, Actor: "a"}
	if got := Upgrade(v2, 1, nil); !reflect.DeepEqual(got, v2) {
		t.Errorf("v2 changed: %+v", got)
	}
	v2.ID = ""
	if got := Upgrade(v2, 7, []byte("raw")); got.ID != DerivedID(time.Time{}, "v2", "7", "raw") || got.Ack != nil {
		t.Errorf("v2 without ID: %+v", got)
	}
}

func TestJournalReadsV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	lines := `{"time":"2025-03-01T02:00:00Z","actor":"alice","kind":"declared","summary":"DB down","detail":"P1"}
{"time":"2025-03-01T02:01:00Z","actor":"bob","kind":"ack","summary":"on it"}
{"time":"2025-03-01T02:02:00Z","actor":"alice","kind":"severity","summary":"Severity P1 → P0","detail":"P0"}
{"time":"2025-03-01T02:02:00Z","actor":"alice","kind":"severity","summary":"Severity P1 → P0","detail":"P0"}
`
	os.WriteFile(path, []byte(lines), 0o600)
	evs, skipped, err := ReadFile(path)
	if err != nil || len(skipped) != 0 || len(evs) != 4 {
		t.Fatalf("%d events, %v, %v", len(evs), skipped, err)
	}
	for _, ev := range evs {
		if ev.V != 1 || ev.ID == "" {
			t.Errorf("v1 event V=%d ID=%q", ev.V, ev.ID)
		}
	}
	if evs[2].ID == evs[3].ID {
		t.Error("identical lines got the same ID")
	}
	again, _, _ := ReadFile(path)
	if !reflect.DeepEqual(again, evs) {
		t.Error("re-reading gave different events (IDs must be stable)")
	}
	s := Fold(evs)
	if s.Title != "DB down" || s.Severity != P0 || !s.SeverityKnown || s.AckedBy != "bob" || len(s.Changes) != 2 || s.Changes[0].From != P1 {
		t.Errorf("fold of v1: %+v", s)
	}
	// Appending to a v1 journal writes v2 lines after the v1 ones.
	j, evs2, _ := openT(t, path)
	if !reflect.DeepEqual(evs2, evs) {
		t.Error("Open and ReadFile disagree")
	}
	appendT(t, j, Note("carol", "v2 now", time.Time{}))
	evs3, _, _ := ReadFile(path)
	if len(evs3) != 5 || evs3[4].V != SchemaVersion || !reflect.DeepEqual(evs3[:4], evs) {
		t.Errorf("after append: %+v", evs3)
	}
}

func TestJournalReadsNewerSchemas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inc.jsonl")
	lines := `{"v":2,"id":"a","time":"2025-03-01T02:00:00Z","actor":"alice","kind":"note","summary":"extra field","color":"red","ack":{"who":"x","since":"later"}}
{"v":2,"id":"b","time":"2025-03-01T02:00:00Z","actor":"alice","kind":"page-sent","summary":"unknown kind","page":{"to":"bob"}}
{"v":3,"id":"c","time":"2025-03-01T02:00:00Z","actor":"alice","kind":"ack","summary":"level is now a name","ack":{"who":"bob","level":"primary"}}
{"v":2,"id":"d","time":"2025-03-01T02:00:00Z","actor":"alice","kind":"ack","summary":"broken","ack":{"who":"bob","level":"primary"}}
`
	os.WriteFile(path, []byte(lines), 0o600)
	evs, skipped, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Summary != "extra field" || evs[0].Ack.Who != "x" || evs[1].Kind != "page-sent" {
		t.Fatalf("events %+v", evs)
	}
	if c := evs[2]; c.V != 3 || c.ID != "c" || c.Ack == nil || c.Ack.Who != "bob" || c.Summary != "level is now a name" {
		t.Errorf("v3 event: %+v ack %+v", c, c.Ack)
	}
	// A v2 line whose known fields do not decode is damaged: skipped.
	if len(skipped) != 1 || skipped[0].Line != 4 {
		t.Errorf("skipped %+v", skipped)
	}
	if s := Fold(evs); s.AckedBy != "bob" || s.Count != 3 {
		t.Errorf("fold %+v", s)
	}
}
