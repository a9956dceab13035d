package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/internal/screentest"
)

// Liveness bounds of the fault tests. They prove the console did not
// freeze or give up; they are not performance targets (those are the
// figures logged, and the Go benchmarks).
const (
	// keyDeadline: a key must change the screen within this, whatever
	// the backends do: a bound for "hung", with room for -race on a
	// starved 2-core machine. The figure, 50 ms, is logged, not
	// asserted. That the UI never waits on a backend is checked without
	// a clock: keys are answered while a fetch hangs (minAnswered).
	keyDeadline = 20 * time.Second
	// minAnswered: keys answered while a backend's fetch hangs, before
	// the pane reports the failure. A UI that waited on the fetch would
	// answer none until the fetch timed out (at most one, with the
	// failure in the same frame).
	minAnswered = 2
	// faultRefresh is the console's poll interval in these tests (--refresh).
	faultRefresh = time.Second
	// faultMaxBack is probes.Loop's back-off cap (NewLoop: one minute).
	faultMaxBack = time.Minute
	// faultSlack covers a fetch, a frame and a loaded 2-core machine
	// (under -race and a full `make test`, the console was seen starved
	// for seconds).
	faultSlack = 10 * time.Second
)

// console is the real program in a pty with the screen it shows.
type faultConsole struct {
	t       *testing.T
	term    *screentest.Term
	journal string
	lat     *latencies

	mu  sync.Mutex
	scr *vtScreen
	fed int // how much of the output scr has seen
}

const faultCols, faultRows = 120, 36

// startConsole runs warroom with args (plus a fresh journal and a short
// refresh) at 120x36, where every pane is on screen, and waits for the
// first frame.
func startConsole(t *testing.T, lat *latencies, args ...string) *faultConsole {
	t.Helper()
	journal := filepath.Join(t.TempDir(), "incident.jsonl")
	args = append([]string{"--journal", journal, "--refresh", faultRefresh.String(), "--actor", "faults", "--title", "fault suite"}, args...)
	term := screentest.Start(t, screentest.Options{Args: args, Cols: faultCols, Rows: faultRows})
	c := &faultConsole{t: t, term: term, journal: journal, lat: lat, scr: newScreen(faultCols, faultRows)}
	c.waitScreen("the first frame (the timeline pane)", 30*time.Second, func(s *vtScreen) bool {
		return s.Pane("6 Timeline") != nil
	})
	return c
}

// sync feeds the screen what the program wrote since the last look.
func (c *faultConsole) sync() *vtScreen {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.term.Since(c.fed)
	c.fed += len(out)
	c.scr.Write(out)
	return c.scr
}

// screenNow is the screen as the terminal shows it now.
func (c *faultConsole) screenNow() string {
	return c.sync().String()
}

// poll checks cond on the screen until it holds or timeout passes; it
// returns whether it held. A condition, never a fixed sleep.
func (c *faultConsole) poll(timeout time.Duration, cond func(*vtScreen) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond(c.sync()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitScreen is poll that fails the test, showing the screen.
func (c *faultConsole) waitScreen(what string, timeout time.Duration, cond func(*vtScreen) bool) {
	c.t.Helper()
	if !c.poll(timeout, cond) {
		c.t.Fatalf("not within %v: %s; the screen:\n%s", timeout, what, c.screenNow())
	}
}

// state is the first line of a pane: its backend state line.
func (s *vtScreen) state(pane string) string {
	lines := s.Pane(pane)
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

func (s *vtScreen) ok(pane string) bool { return strings.HasPrefix(s.state(pane), "● ok") }

func (s *vtScreen) failing(pane string) bool {
	return strings.HasPrefix(s.state(pane), "● failing")
}

var updatedRe = regexp.MustCompile(`^● ok · updated (\S+) ago`)

// freshSince reports whether the pane is OK with data fetched after t0
// ("updated 2s ago" is after t0 if t0 was more than 2 s ago, to the second).
func (s *vtScreen) freshSince(pane string, t0 time.Time) bool {
	m := updatedRe.FindStringSubmatch(s.state(pane))
	if m == nil {
		return false
	}
	age, err := time.ParseDuration(m[1])
	return err == nil && age+time.Second <= time.Since(t0)
}

// helpTitle is what the help dialog shows first: the probe key's answer.
const helpTitle = "Keys"

// probe measures keypress-to-frame latency twice: `?` until the help
// dialog's bytes arrive, then `esc` until the screen no longer shows it.
// Either beyond keyDeadline fails the test: the UI froze.
func (c *faultConsole) probe(phase string) {
	c.t.Helper()
	// Send pauses after each key (bubbletea merges bursts), so the key
	// is sent beside the wait: the clock starts at the write, not after
	// the pause.
	mark := c.term.Mark()
	start := time.Now()
	sent := c.sendAsync("?")
	_, err := c.term.WaitForSince(mark, helpTitle, keyDeadline)
	open := time.Since(start)
	<-sent
	if err != nil {
		c.t.Fatalf("%s: the console did not answer `?` within %v (frozen?): %v\nthe screen:\n%s", phase, keyDeadline, err, c.screenNow())
	}
	c.lat.add(phase, open)
	// The help may have been drawn across two frames; wait until it is
	// all there before closing it (not measured).
	c.waitScreen("the help dialog", keyDeadline, func(s *vtScreen) bool { return helpShown(s) })

	start = time.Now()
	sent = c.sendAsync("esc")
	closed := c.poll(keyDeadline, func(s *vtScreen) bool { return !helpShown(s) })
	shut := time.Since(start)
	<-sent
	if !closed {
		c.t.Fatalf("%s: the console did not close the help on esc within %v (frozen?); the screen:\n%s", phase, keyDeadline, c.screenNow())
	}
	c.lat.add(phase, shut)
}

// helpShown: the help dialog's title line is on screen.
func helpShown(s *vtScreen) bool {
	return strings.Contains(s.String(), "│ "+helpTitle+" ")
}

func (c *faultConsole) sendAsync(keys ...string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.term.Send(keys...)
	}()
	return done
}

// probeUntil runs latency probes until cond holds on the screen or
// timeout passes; it returns whether cond held, and how many probes were
// answered before it did. The console is exercised the whole time a
// fault is developing.
func (c *faultConsole) probeUntil(phase string, timeout time.Duration, cond func(*vtScreen) bool) (held bool, answered int) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond(c.sync()) {
			return true, answered
		}
		if time.Now().After(deadline) {
			return false, answered
		}
		c.probe(phase)
		answered++
		// A short wait for the condition between probes, so a frame
		// with it is not always hidden by the help.
		if c.poll(250*time.Millisecond, cond) {
			return true, answered
		}
	}
}

// note adds a note through the dialog: n, the text typed rune by rune,
// enter.
func (c *faultConsole) note(text string) {
	c.t.Helper()
	c.term.Send("n")
	c.waitScreen("the note dialog", keyDeadline, func(s *vtScreen) bool {
		return strings.Contains(s.String(), "Add a note")
	})
	c.term.Type(text)
	c.term.Send("enter")
}

// dialogClosed waits until the note dialog has gone: while it saves it
// takes no keys (the shell drops them), so the next key waits for this.
func (c *faultConsole) dialogClosed() {
	c.t.Helper()
	c.waitScreen("the note dialog closed after saving", keyDeadline, func(s *vtScreen) bool {
		return !strings.Contains(s.String(), "Add a note")
	})
}

// journalHas waits until the journal holds a well-formed note event
// whose summary is text, exactly.
func (c *faultConsole) journalHas(text string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		found, err := journalNote(c.journal, text)
		if found {
			return nil
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(c.journal)
			return fmt.Errorf("note %q not in the journal within %v (read error: %v); the journal:\n%s", text, timeout, err, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// journalNote reports whether the journal at path holds a note with
// summary text on a line of its own (a torn fragment does not count).
func journalNote(path, text string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Kind    string `json:"kind"`
			Summary string `json:"summary"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Kind == "note" && ev.Summary == text {
			return true, nil
		}
	}
	return false, sc.Err()
}

// latencies collects keypress-to-frame samples per phase.
type latencies struct {
	mu     sync.Mutex
	phases []string
	by     map[string][]time.Duration
}

func newLatencies() *latencies { return &latencies{by: map[string][]time.Duration{}} }

func (l *latencies) add(phase string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.by[phase]; !ok {
		l.phases = append(l.phases, phase)
	}
	l.by[phase] = append(l.by[phase], d)
}

// report logs p50/p99/max per phase, and appends them to the file named
// by WARROOM_FIGURES if set. These are figures, not assertions.
func (l *latencies) report(t *testing.T, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for _, ph := range l.phases {
		ds := slices.Clone(l.by[ph])
		slices.Sort(ds)
		lines = append(lines, fmt.Sprintf("keypress-to-frame %s/%s: n=%d p50=%v p99=%v max=%v",
			name, ph, len(ds), percentile(ds, 50), percentile(ds, 99), ds[len(ds)-1].Round(100*time.Microsecond)))
	}
	logFigures(t, lines...)
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100 // nearest rank
	return sorted[min(max(i-1, 0), len(sorted)-1)].Round(100 * time.Microsecond)
}

// figures logs lines and appends them to $WARROOM_FIGURES if set.
func logFigures(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		t.Log(l)
	}
	path := os.Getenv("WARROOM_FIGURES")
	if path == "" || len(lines) == 0 {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Errorf("WARROOM_FIGURES: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Errorf("WARROOM_FIGURES: %v", err)
	}
}
