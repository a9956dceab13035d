package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/report"
)

// The drill, as a person runs it: the api's crash-looping rollout undone
// (1, u, y), and the error ratio falling. The undo's started event has the
// vitals before, and its evidence, taken report.evidence_after later, the
// figures after: measured by the panes on the drill's own backends.
func TestDrillUndoRecordsBeforeAndAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("a drill flow of a minute of real time; skipped with -short")
	}
	isolate(t)
	dir := t.TempDir()
	journal := filepath.Join(dir, "drill.jsonl")
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("refresh: 500ms\nreport:\n  evidence_after: 3m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	clock := newTestClock(t0)
	p, stop := startConsole(t, clock, "demo", "--config", cfgPath, "--journal", journal)
	defer stop()

	// Two minutes into the drill the 5xx ratio is well above 5%; let the
	// panes measure it (their polls run on real time).
	clock.set(t0.Add(2 * time.Minute))
	time.Sleep(3 * time.Second)
	p.Send(keyMsg("1"))
	p.Send(keyMsg("u"))
	finished := func(evs []incident.Event) bool {
		for _, e := range evs {
			if e.Kind == incident.KindAction && e.Action != nil && e.Action.Op == "kube.rollout-undo" && e.Action.Phase == incident.PhaseFinished {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)
	for evs, _, _ := incident.ReadFile(journal); !finished(evs); evs, _, _ = incident.ReadFile(journal) {
		if time.Now().After(deadline) {
			t.Fatalf("the undo did not finish: %v", kinds(evs))
		}
		p.Send(keyMsg("y")) // the confirmation opens when its Cmd returns
		time.Sleep(300 * time.Millisecond)
	}
	p.Send(keyMsg("enter")) // put the done dialog away

	// Nearly three minutes on: the panes measure the recovered numbers;
	// then the evidence falls due.
	clock.set(t0.Add(4*time.Minute + 50*time.Second))
	time.Sleep(4 * time.Second)
	clock.set(t0.Add(5*time.Minute + 10*time.Second))
	evs := waitEvents(t, journal, "the undo's evidence", func(evs []incident.Event) bool { return countKindIn(evs, incident.KindEvidence) > 0 })

	var started incident.Event
	var ev *incident.EvidenceFields
	for _, e := range evs {
		if e.Kind == incident.KindAction && e.Action.Op == "kube.rollout-undo" && e.Action.Phase == incident.PhaseStarted {
			started = e
		}
		if e.Kind == incident.KindEvidence {
			ev = e.Evidence
			t.Logf("timeline: %s", e.Summary)
		}
	}
	if ev.Ref != started.ID {
		t.Fatalf("evidence of %s, want the undo %s", ev.Ref, started.ID)
	}
	value := func(vs []incident.Vital, name string) float64 {
		t.Helper()
		for _, v := range vs {
			if v.Name == name {
				if !v.Known() {
					t.Fatalf("%s unknown (%s) in %+v", name, v.Error, vs)
				}
				return *v.Value
			}
		}
		t.Fatalf("no %s in %+v", name, vs)
		return 0
	}
	if b, a := value(started.Action.Vitals, incident.Vital5xx), value(ev.Vitals, incident.Vital5xx); b < 0.05 || a >= 0.01 {
		t.Errorf("5xx %.4f before, %.4f after: want above 5%% then below 1%%", b, a)
	}
	if b, a := value(ev.Before, incident.VitalCrashLoop), value(ev.Vitals, incident.VitalCrashLoop); b != 3 || a != 0 {
		t.Errorf("CrashLoopBackOff %v → %v, want 3 → 0", b, a)
	}
}

func countKindIn(evs []incident.Event, k incident.Kind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// `warroom report JOURNAL` writes the report from the journal alone, the
// same bytes every time; -o writes the drafts beside it; a torn last line
// is said on stderr and in the report.
func TestReportCommand(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "inc.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	for _, ev := range []incident.Event{
		incident.Declared("alice", "Checkout fails", incident.P1, at),
		incident.SectionNote("alice", incident.SectionSummary, "Payments failed for 20 minutes.", at.Add(time.Minute)),
		incident.Note("bob", "postgres://app:hunter2@db:5432/x is refusing connections", at.Add(2*time.Minute)),
		incident.Resolution("alice", "failed over", at.Add(20*time.Minute)),
	} {
		if _, err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"v":2,"id":"torn","kind":"no`)
	f.Close()

	var out1, out2, errOut bytes.Buffer
	if code := run([]string{"report", path}, &out1, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	run([]string{"report", path}, &out2, &bytes.Buffer{})
	if out1.Len() == 0 || !bytes.Equal(out1.Bytes(), out2.Bytes()) {
		t.Fatalf("two runs differ or are empty (%d, %d bytes)", out1.Len(), out2.Len())
	}
	md := out1.String()
	for _, want := range []string{"# Incident Report: Checkout fails", "Payments failed for 20 minutes."} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "hunter2") {
		t.Error("the DSN's password is in the report")
	}
	if !strings.Contains(errOut.String(), "line 5 skipped") {
		t.Errorf("stderr does not name the torn line: %q", errOut.String())
	}

	outFile := filepath.Join(dir, "out", "report.md")
	os.MkdirAll(filepath.Dir(outFile), 0o755)
	var stdout bytes.Buffer
	if code := run([]string{"report", path, "-o", outFile}, &stdout, &bytes.Buffer{}); code != 0 {
		t.Fatalf("-o: exit %d", code)
	}
	b, err := os.ReadFile(outFile)
	if err != nil || string(b) != md {
		t.Errorf("-o wrote something else than stdout did (%v)", err)
	}
	for _, name := range []string{"status-page", "customer-email"} {
		p := report.DraftPath(outFile, name)
		d, err := os.ReadFile(p)
		if err != nil || len(d) == 0 || strings.Contains(string(d), "hunter2") {
			t.Errorf("draft %s: %v (%d bytes)", p, err, len(d))
		}
		if !strings.Contains(stdout.String(), p) {
			t.Errorf("stdout does not say where %s went: %q", name, stdout.String())
		}
	}

	var e bytes.Buffer
	if code := run([]string{"report", filepath.Join(dir, "missing.jsonl")}, &bytes.Buffer{}, &e); code == 0 || !strings.Contains(e.String(), "missing.jsonl") {
		t.Errorf("a missing journal: exit %d, %q", code, e.String())
	}
	// -o naming the journal itself is refused; the journal stays.
	before, _ := os.ReadFile(path)
	e.Reset()
	if code := run([]string{"report", path, "-o", path}, &bytes.Buffer{}, &e); code == 0 || !strings.Contains(e.String(), "the journal itself") {
		t.Errorf("-o the journal: exit %d, %q", code, e.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the journal was overwritten")
	}
	// A file that is no journal: an error, not an empty report.
	other := filepath.Join(dir, "hostname")
	os.WriteFile(other, []byte("db-primary\n"), 0o600)
	e.Reset()
	if code := run([]string{"report", other}, &bytes.Buffer{}, &e); code == 0 || !strings.Contains(e.String(), "no journal event") {
		t.Errorf("not a journal: exit %d, %q", code, e.String())
	}
}
