package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
)

// testClock is a clock the test moves; the console reads it from any
// goroutine.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time       { return time.Unix(0, c.ns.Load()) }
func (c *testClock) set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func newTestClock(t time.Time) *testClock { c := &testClock{}; c.set(t); return c }

// console runs the real console (config file, flags, wiring) headless on
// clock until stop is called; it returns the program.
func startConsole(t *testing.T, clock *testClock, args ...string) (p *tea.Program, stop func()) {
	t.Helper()
	started := make(chan *tea.Program, 1)
	s := sys{now: clock.now, scriptEvery: time.Second, out: &bytes.Buffer{}, headless: true,
		started: func(p *tea.Program) { started <- p }}
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runSys(args, &stdout, &stderr, s) }()
	select {
	case p = <-started:
	case code := <-done:
		t.Fatalf("warroom exited %d before its program started: %s", code, stderr.String())
	}
	p.Send(tea.WindowSizeMsg{Width: 120, Height: 36})
	return p, func() {
		p.Quit()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the console did not quit")
		}
	}
}

// waitEvents waits (polling the journal) until ok holds for its events.
func waitEvents(t *testing.T, path, what string, ok func([]incident.Event) bool) []incident.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs, _, err := incident.ReadFile(path)
		if err == nil && ok(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: the journal has %v", what, kinds(evs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func payloads(t *testing.T, path string) []notify.Payload {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []notify.Payload
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p notify.Payload
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("payload %q: %v", sc.Text(), err)
		}
		out = append(out, p)
	}
	return out
}

// countEscalations counts escalation events by level (breaches apart).
func countEscalations(evs []incident.Event) map[int]int {
	n := map[int]int{}
	for _, e := range evs {
		if e.Kind == incident.KindEscalation && e.Escalation != nil {
			n[e.Escalation.Level]++
		}
	}
	return n
}

// finishedHooks counts the notify actions that finished without error.
func finishedHooks(evs []incident.Event) int {
	n := 0
	for _, e := range evs {
		if a := e.Action; e.Kind == incident.KindAction && a != nil && a.Kind == incident.ActionNotify &&
			a.Phase == incident.PhaseFinished && a.Error == "" {
			n++
		}
	}
	return n
}

// The acceptance, as a user runs it: a config with a team and a
// hook command; the ladder pages the primary at the declaration and the
// secondary at 5 minutes, each once, running the hook with the payload;
// a restart at 16 minutes pages the team lead once and nobody twice; an
// ack (a, enter, enter) is recorded and runs the hook.
func TestEscalationEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh for the hook command")
	}
	isolate(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "payloads.jsonl")
	journal := filepath.Join(dir, "incident.jsonl")
	config := filepath.Join(dir, "config.yaml")
	yaml := `actor: alice
escalation:
  team: Platform
  teams:
    - name: Platform
      primary: {name: Alice Ng, contact: "+1 555 0100"}
      secondary: {name: Bob Roy, contact: "@bob"}
  hook:
    command: ["sh", "-c", "cat >> \"$0\"", "` + out + `"]
    timeout: 10s
`
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	clock := newTestClock(t0)
	args := []string{"--config", config, "--journal", journal, "--title", "API 5xx", "--severity", "P1"}
	p, stop := startConsole(t, clock, args...)

	waitEvents(t, journal, "the primary paged and notified", func(evs []incident.Event) bool {
		return countEscalations(evs)[0] == 1 && finishedHooks(evs) == 1
	})
	clock.set(t0.Add(5*time.Minute + time.Second))
	evs := waitEvents(t, journal, "the secondary paged and notified", func(evs []incident.Event) bool {
		return countEscalations(evs)[1] == 1 && finishedHooks(evs) == 2
	})
	if n := countEscalations(evs); n[0] != 1 || n[2] != 0 {
		t.Errorf("escalations by level %v: want the primary once, no team lead yet", n)
	}
	ps := payloads(t, out)
	if len(ps) != 2 || ps[0].Who != "Alice Ng" || ps[1].Who != "Bob Roy" || ps[1].Level != 2 ||
		ps[1].Kind != notify.KindEscalation || ps[1].Team != "Platform" || ps[1].Severity != "P1" {
		t.Fatalf("payloads = %+v", ps)
	}

	stop()

	// Restarted at 16 minutes, nobody having acknowledged: the team lead
	// (due at 15m) is paged once, nobody twice.
	clock.set(t0.Add(16 * time.Minute))
	p, stop = startConsole(t, clock, "--config", config, "--journal", journal)
	evs = waitEvents(t, journal, "the team lead paged and notified", func(evs []incident.Event) bool {
		return countEscalations(evs)[2] == 1 && finishedHooks(evs) == 3
	})
	if n := countEscalations(evs); n[0] != 1 || n[1] != 1 || n[3] != 0 {
		t.Errorf("after the restart, escalations by level %v: want the primary and the secondary once, no EM+CTO yet", n)
	}
	if ps := payloads(t, out); len(ps) != 3 || ps[2].Level != 3 || ps[2].LateSeconds != 60 {
		t.Errorf("payloads after the restart = %+v: want a third, the team lead's, 60 s late", ps)
	}

	// a, enter (who), enter (rung): the ack, at the team lead's rung.
	for _, k := range []string{"4", "a", "enter", "enter"} {
		p.Send(keyMsg(k))
		time.Sleep(50 * time.Millisecond) // one key per event, as typed
	}
	evs = waitEvents(t, journal, "the ack and its hook", func(evs []incident.Event) bool {
		return finishedHooks(evs) == 4
	})
	s := incident.Fold(evs)
	if s.AckedBy != "alice" || len(s.Acks) != 1 || s.Acks[0].Level != 2 {
		t.Errorf("acks = %+v (AckedBy %q): want alice at the team lead's rung", s.Acks, s.AckedBy)
	}
	if ps := payloads(t, out); len(ps) != 4 || ps[3].Kind != notify.KindAck || ps[3].Who != "alice" {
		t.Errorf("ack payload = %+v", ps)
	}
	stop()
}
