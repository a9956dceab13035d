package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/incident/report"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/tui/common"
)

// Integration tests of the shared timeline's console wiring (issue 15):
// the real session (runSys: flags, config, journal, share, panes, shell)
// in process, headless, several consoles on one incident through a real
// PostgreSQL (WARROOM_TEST_PG_DSN; they skip without it). Each test has a
// database of its own, created on the test server and dropped at cleanup,
// so none passes on another run's rows. The server itself is never
// stopped: other packages' tests use it at the same time.

var shareDBSeq atomic.Int64

// shareDB creates a fresh database on the test server and returns its
// DSN (the test server's superuser); it is dropped when the test ends,
// after the consoles it started have stopped.
func shareDB(t *testing.T) string {
	t.Helper()
	base := testenv.PostgresDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Skipf("%s is not a URL: %v", testenv.EnvPostgresDSN, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", incident.Redact(base), err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	name := fmt.Sprintf("wr_console_%d_%d", time.Now().UnixNano(), shareDBSeq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// sharedConsole is one console running in process (runSys, headless).
type sharedConsole struct {
	name    string
	journal string
	p       *tea.Program
	rec     common.Recorder // the journal the panes record through (sharing)
	origin  string          // its share's origin (warroom_events.origin)
	done    chan int
	stdout  bytes.Buffer // read only once done
	stderr  bytes.Buffer
	stopped bool
}

// startShared runs warroom with args (which must share the timeline and
// name the journal) until stop or the test's end, and returns once its
// program is about to run.
func startShared(t *testing.T, name, journal string, now func() time.Time, args ...string) *sharedConsole {
	t.Helper()
	c := &sharedConsole{name: name, journal: journal, done: make(chan int, 1)}
	started := make(chan *tea.Program, 1)
	recs := make(chan common.Recorder, 1)
	s := sys{now: now, scriptEvery: time.Second, out: io.Discard, headless: true,
		started:  func(p *tea.Program) { started <- p },
		recorder: func(r common.Recorder) { recs <- r }}
	go func() { c.done <- runSys(args, &c.stdout, &c.stderr, s) }()
	select {
	case c.p = <-started:
	case code := <-c.done:
		t.Fatalf("%s exited %d before its program started: %s", name, code, c.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no program 60 s after the start", name)
	}
	select {
	case c.rec = <-recs:
		c.origin = c.rec.(*sharing).sh.Origin()
	default:
		c.p.Kill()
		t.Fatalf("%s: the session gave no recorder: the timeline is not shared", name)
	}
	t.Cleanup(func() { c.stop(t) })
	c.p.Send(tea.WindowSizeMsg{Width: 120, Height: 36})
	return c
}

// stop quits the console and waits for it (its share's last upload
// included); it must exit 0.
func (c *sharedConsole) stop(t *testing.T) {
	t.Helper()
	if c.stopped {
		return
	}
	c.stopped = true
	c.p.Quit()
	select {
	case code := <-c.done:
		if code != 0 {
			t.Errorf("%s exited %d: %s", c.name, code, c.stderr.String())
		}
	case <-time.After(60 * time.Second):
		c.p.Kill()
		t.Errorf("%s did not quit within 60 s", c.name)
	}
}

// shareOK reports whether the console's share is connected and caught up.
func (c *sharedConsole) shareOK() bool {
	return c.rec.(*sharing).sh.State().Status == share.StatusOK
}

// journalNow is the console's journal as it stands (a line being written
// is left out: the file is read while the console runs).
func journalNow(path string) []incident.Event {
	evs, _, _ := incident.ReadFile(path)
	return evs
}

// incidentOf waits for the console's declaration and returns its incident.
func incidentOf(t *testing.T, c *sharedConsole) incident.Session {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if s := incident.Fold(journalNow(c.journal)); s.ID != "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no declaration in %s", c.name, c.journal)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHistory waits until the database holds the incident's declaration
// (the console uploads it after it starts): join needs it.
func waitHistory(t *testing.T, dsn, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		evs, _, err := share.History(ctx, dsn, id)
		cancel()
		if err == nil && slices.ContainsFunc(evs, func(e incident.Event) bool { return e.Kind == incident.KindDeclared }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the declaration of %s never reached the database (last error %v)", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitJournals polls the journals until ok holds for their events, each
// as it stands; on the deadline it fails with what diff says.
func waitJournals(t *testing.T, what string, deadline time.Duration, ok func([][]incident.Event) bool, diff func([][]incident.Event) string, paths ...string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		all := make([][]incident.Event, len(paths))
		for i, p := range paths {
			all[i] = journalNow(p)
		}
		if ok(all) {
			return time.Since(start)
		}
		if time.Since(start) > deadline {
			t.Fatalf("after %s, still waiting for %s: %s", deadline, what, diff(all))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func idSet(evs []incident.Event) map[string]bool {
	m := make(map[string]bool, len(evs))
	for _, e := range evs {
		m[e.ID] = true
	}
	return m
}

// setDiff says how the ID sets of the journals differ (first few IDs).
func setDiff(names []string, all [][]incident.Event) string {
	union := map[string]incident.Event{}
	for _, evs := range all {
		for _, e := range evs {
			union[e.ID] = e
		}
	}
	var b strings.Builder
	for i, evs := range all {
		have := idSet(evs)
		var missing []string
		for id, e := range union {
			if !have[id] {
				missing = append(missing, fmt.Sprintf("%s %s %.40q", id, e.Kind, e.Summary))
			}
		}
		slices.Sort(missing)
		fmt.Fprintf(&b, "%s: %d events, %d missing", names[i], len(evs), len(missing))
		if len(missing) > 0 {
			fmt.Fprintf(&b, " (e.g. %s)", strings.Join(missing[:min(3, len(missing))], "; "))
		}
		b.WriteString(". ")
	}
	return b.String()
}

// Issue 15: three consoles adding 100 events per second each for a
// minute: every console ends with all 18,000 events (and the rest: the
// declaration, the ladder's first page), none twice, in the same order,
// and the report is the same from any of the three journals.
func TestShareThreeConsolesLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("three consoles adding 100 notes a second each for a minute (60 s, about 100 s under -race on 2 cores): skipped with -short")
	}
	dsn := shareDB(t)
	isolate(t)
	dir := t.TempDir()
	const (
		perSecond = 100
		seconds   = 60
		perC      = perSecond * seconds
	)
	a := startShared(t, "A", filepath.Join(dir, "a.jsonl"), time.Now,
		"--share", dsn, "--journal", filepath.Join(dir, "a.jsonl"), "--title", "Load on the shared timeline", "--severity", "P2", "--actor", "alice")
	s := incidentOf(t, a)
	waitHistory(t, dsn, s.ID)
	b := startShared(t, "B", filepath.Join(dir, "b.jsonl"), time.Now,
		"join", s.ID, "--share", dsn, "--journal", filepath.Join(dir, "b.jsonl"), "--actor", "bob")
	c := startShared(t, "C", filepath.Join(dir, "c.jsonl"), time.Now,
		"join", s.ID, "--share", dsn, "--journal", filepath.Join(dir, "c.jsonl"), "--actor", "carol")
	consoles := []*sharedConsole{a, b, c}

	// Each console: a ticker goroutine records its notes through the
	// console's recorder at 100 a second (catching up on ticks it
	// missed), and a forwarder hands the program the EventMsgs (Send
	// waits for the program; the recording must not).
	notes := make([][]string, len(consoles)) // the IDs each console recorded
	var wg sync.WaitGroup
	loadStart := time.Now()
	for i, con := range consoles {
		actor := con.rec.(*sharing).actor
		msgs := make(chan common.EventMsg, perC)
		wg.Go(func() {
			for m := range msgs {
				con.p.Send(m)
			}
		})
		wg.Go(func() {
			defer close(msgs)
			tick := time.NewTicker(time.Second / perSecond)
			defer tick.Stop()
			start := time.Now()
			for n := 0; n < perC; {
				<-tick.C
				due := min(perC, int(time.Since(start)/(time.Second/perSecond))+1)
				for ; n < due; n++ {
					ev := incident.Note(actor, fmt.Sprintf("load %s note %05d", con.name, n), time.Now())
					stored, err := con.rec.Append(ev)
					if err != nil {
						t.Errorf("%s: note %d: %v", con.name, n, err)
						return
					}
					notes[i] = append(notes[i], stored.ID)
					msgs <- common.EventMsg{Event: stored}
				}
			}
		})
	}
	wg.Wait()
	loadEnd := time.Now()
	t.Logf("load: %d notes per console in %s", perC, loadEnd.Sub(loadStart).Round(time.Millisecond))
	if t.Failed() {
		return
	}
	var allNotes []string
	for _, ids := range notes {
		allNotes = append(allNotes, ids...)
	}
	distinct := map[string]bool{}
	for _, id := range allNotes {
		distinct[id] = true
	}
	if len(distinct) != len(consoles)*perC {
		t.Fatalf("%d distinct note IDs recorded, want %d", len(distinct), len(consoles)*perC)
	}

	paths := []string{a.journal, b.journal, c.journal}
	names := []string{"A", "B", "C"}
	converged := waitJournals(t, "every journal to hold all 18,000 notes and the same events", 3*time.Minute,
		func(all [][]incident.Event) bool {
			ref := idSet(all[0])
			for _, evs := range all {
				have := idSet(evs)
				if len(have) != len(ref) {
					return false
				}
				for id := range ref {
					if !have[id] {
						return false
					}
				}
				for _, id := range allNotes {
					if !have[id] {
						return false
					}
				}
			}
			return true
		},
		func(all [][]incident.Event) string { return setDiff(names, all) },
		paths...)
	t.Logf("converged %s after the load ended (%s after it started)", converged.Round(time.Millisecond), time.Since(loadStart).Round(time.Millisecond))

	for _, con := range consoles {
		con.stop(t)
	}

	// The journals as the consoles left them.
	var seqs [][]string
	var reports [][]byte
	var drafts [][]report.Draft
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, p := range paths {
		evs := readEvents(t, p)
		seen := map[string]int{}
		for _, e := range evs {
			seen[e.ID]++
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("%s: %s is %d times in the journal", names[i], id, n)
			}
		}
		sorted := slices.Clone(evs)
		share.SortEvents(sorted)
		ids := make([]string, len(sorted))
		for k, e := range sorted {
			ids[k] = e.ID
		}
		seqs = append(seqs, ids)
		md, d := report.Export(evs, report.Options{Cleaned: true}, now)
		reports, drafts = append(reports, md), append(drafts, d)
		t.Logf("%s: %d events, %d bytes of report", names[i], len(evs), len(md))
	}
	if want := len(consoles)*perC + 1; len(seqs[0]) < want {
		t.Errorf("A holds %d events, want at least %d (the notes and the declaration)", len(seqs[0]), want)
	}
	for i := 1; i < len(seqs); i++ {
		if !slices.Equal(seqs[i], seqs[0]) {
			k := 0
			for k < min(len(seqs[i]), len(seqs[0])) && seqs[i][k] == seqs[0][k] {
				k++
			}
			t.Errorf("%s's events in the shared order differ from A's: %d and %d events, first difference at %d", names[i], len(seqs[i]), len(seqs[0]), k)
		}
		if !bytes.Equal(reports[i], reports[0]) {
			t.Errorf("the report from %s's journal differs from A's (%d and %d bytes)", names[i], len(reports[i]), len(reports[0]))
		}
		if !reflect.DeepEqual(drafts[i], drafts[0]) {
			t.Errorf("the drafts from %s's journal differ from A's", names[i])
		}
	}
}

// holdProxy forwards TCP connections to PostgreSQL. While held, it keeps
// the server's bytes from reaching the shares' LISTEN connections (those
// whose client sent "LISTEN warroom_events"): no notification reaches a
// console, while its other connections (claims, uploads) go through.
// Released, what was held passes. A hold must stay well under the
// shares' 10 s heartbeat, whose reply it holds too.
type holdProxy struct {
	target string
	addr   string
	ln     net.Listener

	mu    sync.Mutex
	open  chan struct{} // closed while not held
	conns []net.Conn
}

func newHoldProxy(t *testing.T, target string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{target: target, addr: ln.Addr().String(), ln: ln, open: make(chan struct{})}
	close(p.open)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *holdProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		var listener atomic.Bool
		go func() { // client to server: spot the LISTEN
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if bytes.Contains(buf[:n], []byte("LISTEN "+share.Channel)) {
						listener.Store(true)
					}
					if _, werr := up.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			up.Close()
			c.Close()
		}()
		go func() { // server to client: held for a LISTEN connection
			buf := make([]byte, 32<<10)
			for {
				n, err := up.Read(buf)
				if n > 0 {
					if listener.Load() {
						<-p.gate()
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			up.Close()
			c.Close()
		}()
	}
}

func (p *holdProxy) gate() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// Hold stops the notifications; Release lets them (and what was held) go.
func (p *holdProxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default:
	}
}

func (p *holdProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

func (p *holdProxy) close() {
	p.Release()
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// via is dsn with its host and port replaced by addr.
func via(t *testing.T, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// escalationConfig is a config whose ladder reaches the team lead 3 s
// into a P1 (P1: on the schedule; a P0 would page the team lead at the
// declaration, before a second console is there to race for it), with a
// hook command that appends its payload, one line per run, to out.
func escalationConfig(t *testing.T, out string) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh for the hook command")
	}
	return writeConfig(t, `escalation:
  team: Platform
  teams:
    - name: Platform
      primary: {name: Alice Ng, contact: "+1 555 0100"}
  ladder:
    - role: Primary On-Call
      window: 3s
      rotation: primary
    - role: Team Lead
      p0: at_once
      contact: {name: Dana, contact: "+1 555 0199"}
  hook:
    command: ["sh", "-c", "cat >> \"$0\"", "`+out+`"]
    timeout: 10s
`)
}

// notifyActions are the notify actions for the event target, by phase
// (each ID once).
func notifyActions(evs []incident.Event, target string) map[string]map[string]incident.Event {
	out := map[string]map[string]incident.Event{}
	for _, e := range evs {
		if a := e.Action; e.Kind == incident.KindAction && a != nil && a.Kind == incident.ActionNotify && a.Target == target {
			if out[a.Phase] == nil {
				out[a.Phase] = map[string]incident.Event{}
			}
			out[a.Phase][e.ID] = e
		}
	}
	return out
}

// Issue 15: with two consoles open when the ladder reaches the team lead,
// the step is recorded once for the incident and the hook runs once, on
// the console whose claim won; the other holds the same event.
//
// The consoles run on one test clock, held at the declaration until both
// are in, then moved past the team lead's time. Meanwhile the proxy
// between them and PostgreSQL holds back every notification: neither can
// learn of the other's page before its own ladder finds the rung due, so
// both claim it (each journal getting the step while nothing could reach
// it shows it). Claims and uploads go through: the shares stay ok.
func TestShareEscalationToTeamLeadOnce(t *testing.T) {
	direct := shareDB(t)
	isolate(t)
	proxy := newHoldProxy(t, func() string { u, _ := url.Parse(direct); return u.Host }())
	dsn := via(t, direct, proxy.addr)
	dir := t.TempDir()
	hookOut := filepath.Join(dir, "payloads.jsonl")
	cfg := escalationConfig(t, hookOut)
	t0 := time.Now().Truncate(time.Second)
	clock := newTestClock(t0)
	a := startShared(t, "A", filepath.Join(dir, "a.jsonl"), clock.now,
		"--config", cfg, "--share", dsn, "--journal", filepath.Join(dir, "a.jsonl"), "--title", "Checkout 5xx", "--severity", "P1", "--actor", "alice")
	s := incidentOf(t, a)
	primaryID, leadID := incident.EscalationID(s.ID, 0), incident.EscalationID(s.ID, 1)
	waitHistory(t, dsn, s.ID)
	b := startShared(t, "B", filepath.Join(dir, "b.jsonl"), clock.now,
		"join", s.ID, "--config", cfg, "--share", dsn, "--journal", filepath.Join(dir, "b.jsonl"), "--actor", "bob")
	// The primary is paged at the declaration, by A alone; both hold the
	// page and its hook run, and both shares are ok, before the race.
	waitJournals(t, "the primary's page and hook run in both journals", 20*time.Second,
		func(all [][]incident.Event) bool {
			for _, evs := range all {
				if len(notifyActions(evs, primaryID)[incident.PhaseFinished]) != 1 {
					return false
				}
			}
			return a.shareOK() && b.shareOK()
		},
		func(all [][]incident.Event) string {
			return fmt.Sprintf("A %v (share ok %v); B %v (share ok %v)", kinds(all[0]), a.shareOK(), kinds(all[1]), b.shareOK())
		}, a.journal, b.journal)
	if slices.ContainsFunc(journalNow(a.journal), func(e incident.Event) bool { return e.ID == leadID }) {
		t.Fatal("the team lead was paged before the clock moved: the test does not race the two consoles")
	}

	proxy.Hold()
	clock.set(t0.Add(3*time.Second + 500*time.Millisecond))
	took := waitJournals(t, "both consoles to claim the team lead's page (no notification reaches them)", 8*time.Second,
		func(all [][]incident.Event) bool {
			for _, evs := range all {
				if !slices.ContainsFunc(evs, func(e incident.Event) bool { return e.ID == leadID }) {
					return false
				}
			}
			return true
		},
		func(all [][]incident.Event) string { return fmt.Sprintf("A %v; B %v", kinds(all[0]), kinds(all[1])) },
		a.journal, b.journal)
	okA, okB := a.shareOK(), b.shareOK()
	proxy.Release()
	t.Logf("both consoles held the team lead's page %s after the clock moved, with no notification", took.Round(time.Millisecond))
	if !okA || !okB {
		t.Errorf("a share was not ok during the hold (A %v, B %v): its claim may have been recorded locally", okA, okB)
	}
	moved := time.Now()
	took = waitJournals(t, "both journals to hold the team lead's hook run", 30*time.Second,
		func(all [][]incident.Event) bool {
			for _, evs := range all {
				if len(notifyActions(evs, leadID)[incident.PhaseFinished]) == 0 {
					return false
				}
			}
			return true
		},
		func(all [][]incident.Event) string { return fmt.Sprintf("A %v; B %v", kinds(all[0]), kinds(all[1])) },
		a.journal, b.journal)
	t.Logf("the hook run on both journals %s after the notifications were released", took.Round(time.Millisecond))
	// A few more ladder ticks (1 s each) on both: a second page or hook
	// run would show now.
	for time.Since(moved) < took+3*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	a.stop(t)
	b.stop(t)

	union := map[string]incident.Event{}
	for _, c := range []*sharedConsole{a, b} {
		evs := readEvents(t, c.journal)
		n := 0
		for _, e := range evs {
			union[e.ID] = e
			if e.Kind == incident.KindEscalation && e.Escalation != nil && e.Escalation.Level == 1 {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s's journal holds %d escalation events for the team lead, want 1", c.name, n)
		}
	}
	var leads, primaries []incident.Event
	for _, e := range union {
		if e.Kind == incident.KindEscalation && e.Escalation != nil {
			switch e.Escalation.Level {
			case 0:
				primaries = append(primaries, e)
			case 1:
				leads = append(leads, e)
			}
		}
	}
	if len(leads) != 1 || leads[0].ID != leadID {
		t.Errorf("both journals together hold %d team-lead escalation events (%v), want one, %s", len(leads), leads, leadID)
	}
	if len(primaries) != 1 || primaries[0].ID != primaryID {
		t.Errorf("both journals together hold %d primary pages, want one", len(primaries))
	}
	var unionEvs []incident.Event
	for _, e := range union {
		unionEvs = append(unionEvs, e)
	}
	acts := notifyActions(unionEvs, leadID)
	if len(acts[incident.PhaseStarted]) != 1 || len(acts[incident.PhaseFinished]) != 1 {
		t.Errorf("the team lead's notify action: %d started, %d finished in both journals together; want one run recorded once",
			len(acts[incident.PhaseStarted]), len(acts[incident.PhaseFinished]))
	}
	// The console whose claim inserted the step is the one that ran the
	// hook: the rows' origins say which.
	origins := map[string]string{a.origin: "A", b.origin: "B"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	originOf := func(id string) string {
		var o string
		if err := conn.QueryRow(ctx, "SELECT origin FROM warroom_events WHERE id = $1", id).Scan(&o); err != nil {
			t.Errorf("the row of %s: %v", id, err)
		}
		return origins[o]
	}
	paged := originOf(leadID)
	for id, f := range acts[incident.PhaseFinished] {
		if f.Action.Error != "" {
			t.Errorf("the hook failed: %s", f.Action.Error)
		}
		if ran := originOf(id); ran != paged || paged == "" {
			t.Errorf("console %q recorded the team lead's page, console %q the hook's run", paged, ran)
		}
	}
	t.Logf("console %s claimed the team lead's page and ran the hook", paged)
	byLevel := map[int]int{}
	for _, p := range payloads(t, hookOut) {
		if p.Kind == notify.KindEscalation {
			byLevel[p.Level]++
		}
	}
	if byLevel[2] != 1 || byLevel[1] != 1 {
		t.Errorf("the hook ran %d time(s) for the team lead and %d for the primary (payloads by level %v), want once each", byLevel[2], byLevel[1], byLevel)
	}
}

// Issue 15: two consoles acknowledging at once make one response-time ack:
// one claim wins, the other gets the winner's event, and both journals end
// with that one ack.
func TestShareAckOnce(t *testing.T) {
	dsn := shareDB(t)
	isolate(t)
	dir := t.TempDir()
	a := startShared(t, "A", filepath.Join(dir, "a.jsonl"), time.Now,
		"--share", dsn, "--journal", filepath.Join(dir, "a.jsonl"), "--title", "Checkout 5xx", "--severity", "P1", "--actor", "alice")
	s := incidentOf(t, a)
	waitHistory(t, dsn, s.ID)
	b := startShared(t, "B", filepath.Join(dir, "b.jsonl"), time.Now,
		"join", s.ID, "--share", dsn, "--journal", filepath.Join(dir, "b.jsonl"), "--actor", "bob")

	ackID := s.ResponseAckID()
	if got := incident.Fold(journalNow(b.journal)).ResponseAckID(); ackID == "" || got != ackID {
		t.Fatalf("response-ack IDs: A %q, B %q: want the same, not empty", ackID, got)
	}
	type result struct {
		stored incident.Event
		won    bool
		err    error
	}
	results := make([]result, 2)
	go1 := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range []*sharedConsole{a, b} {
		actor := c.rec.(*sharing).actor
		wg.Go(func() {
			ev := incident.Acknowledged(actor, actor, 0, "Primary On-Call", time.Now())
			ev.ID = ackID
			<-go1
			stored, won, err := c.rec.(common.Claimer).Claim(ev, true)
			results[i] = result{stored, won, err}
			// As ClaimEvent hands it to the shell.
			c.p.Send(common.EventMsg{Event: stored, Err: err, Remote: err == nil && !won, Claimed: ackID})
		})
	}
	close(go1)
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("%s's claim: %v", []string{"A", "B"}[i], r.err)
		}
	}
	if results[0].won == results[1].won {
		t.Fatalf("won: A %v, B %v; want exactly one", results[0].won, results[1].won)
	}
	winner, loser := results[0], results[1]
	if !winner.won {
		winner, loser = loser, winner
	}
	t.Logf("%s's ack won", winner.stored.Actor)
	wj, _ := json.Marshal(winner.stored)
	lj, _ := json.Marshal(loser.stored)
	if winner.stored.ID != ackID || !bytes.Equal(wj, lj) {
		t.Errorf("the loser's stored event is not the winner's:\nwinner %s\nloser  %s", wj, lj)
	}

	waitJournals(t, "both journals to hold the ack", 20*time.Second,
		func(all [][]incident.Event) bool {
			for _, evs := range all {
				if !slices.ContainsFunc(evs, func(e incident.Event) bool { return e.ID == ackID }) {
					return false
				}
			}
			return true
		},
		func(all [][]incident.Event) string { return fmt.Sprintf("A %v; B %v", kinds(all[0]), kinds(all[1])) },
		a.journal, b.journal)
	a.stop(t)
	b.stop(t)
	for _, c := range []*sharedConsole{a, b} {
		var acks []incident.Event
		for _, e := range readEvents(t, c.journal) {
			if e.Kind == incident.KindAck {
				acks = append(acks, e)
			}
		}
		if len(acks) != 1 {
			t.Errorf("%s's journal holds %d acks, want 1: %v", c.name, len(acks), acks)
			continue
		}
		if j, _ := json.Marshal(acks[0]); !bytes.Equal(j, wj) {
			t.Errorf("%s's journal's ack is not the winner's:\n got %s\nwant %s", c.name, j, wj)
		}
	}
}

// declaredOnShare declares an incident with a console on the shared
// timeline at dsn (started and quit at once) and returns it once the
// database has it.
func declaredOnShare(t *testing.T, dsn, title string) incident.Session {
	t.Helper()
	path := filepath.Join(t.TempDir(), "declared.jsonl")
	var out, errOut bytes.Buffer
	if code := runSys([]string{"--share", dsn, "--journal", path, "--title", title, "--actor", "alice"}, &out, &errOut, headless(time.Now)); code != 0 {
		t.Fatalf("declaring %q: exit %d, stderr %q", title, code, errOut.String())
	}
	s := incident.Fold(readEvents(t, path))
	waitHistory(t, dsn, s.ID)
	return s
}

// notStarted is a headless sys whose program must never start.
func notStarted(t *testing.T) sys {
	s := headless(time.Now)
	s.started = func(p *tea.Program) { t.Error("the console started"); p.Kill() }
	s.recorder = func(common.Recorder) { t.Error("the console opened a shared journal") }
	return s
}

// checkRefusal checks a refused join: exit 2, one clean line on stderr
// holding every want, no password, nothing on stdout.
func checkRefusal(t *testing.T, dsn string, code int, stdout, stderr string, want ...string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
	}
	line, rest, _ := strings.Cut(stderr, "\n")
	if rest != "" || !strings.HasPrefix(line, "warroom: ") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(stderr+stdout, pw) {
			t.Errorf("the password is shown: %q", stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
}

// join into a journal that holds another incident is refused, naming it,
// before anything is written or started.
func TestJoinRefusesOtherIncidentJournal(t *testing.T) {
	dsn := shareDB(t)
	isolate(t)
	s := declaredOnShare(t, dsn, "Checkout 5xx")
	other := writeIncident(t, "Payments down", incident.P2)
	before, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := runSys([]string{"join", s.ID, "--share", dsn, "--journal", other}, &out, &errOut, notStarted(t))
	checkRefusal(t, dsn, code, out.String(), errOut.String(), "holds another incident", `"Payments down"`, "leave out --journal", `"Checkout 5xx"`)
	if after, err := os.ReadFile(other); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the other incident's journal changed (%v):\n%s", err, after)
	}
}

// join of an incident the shared timeline does not have (a database
// without the table, and one with another incident) says so and how to
// list the open ones; nothing is written or started.
func TestJoinUnknownIncident(t *testing.T) {
	for _, withOther := range []bool{false, true} {
		t.Run(map[bool]string{false: "empty database", true: "another incident"}[withOther], func(t *testing.T) {
			dsn := shareDB(t)
			state := isolate(t)
			if withOther {
				declaredOnShare(t, dsn, "Checkout 5xx")
			}
			id := incident.NewID(time.Now())
			journal := filepath.Join(t.TempDir(), "joined.jsonl")
			for _, args := range [][]string{
				{"join", id, "--share", dsn},
				{"join", id, "--share", dsn, "--journal", journal},
			} {
				var out, errOut bytes.Buffer
				code := runSys(args, &out, &errOut, notStarted(t))
				checkRefusal(t, dsn, code, out.String(), errOut.String(), id, "no event on the shared timeline", "warroom incidents")
				if _, err := os.Stat(journal); !os.IsNotExist(err) {
					t.Errorf("%q: the journal %s was created (%v)", args, journal, err)
				}
				if ents, _ := os.ReadDir(state); len(ents) > 0 {
					t.Errorf("%q: the state folder holds %s: nothing may be written", args, ents[0].Name())
				}
			}
		})
	}
}

// A share that refuses the password stops a new incident before anything
// is written: no journal, no log, nothing declared; the password is not
// shown.
func TestShareRefusedPasswordWritesNothing(t *testing.T) {
	dsn := shareDB(t)
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword(u.User.Username(), "wrong-pw-0451")
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	var out, errOut bytes.Buffer
	code := runSys([]string{"--title", "db down", "--share", u.String()}, &out, &errOut, notStarted(t))
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errOut.String())
	}
	if strings.Contains(errOut.String(), "wrong-pw-0451") {
		t.Errorf("the password is shown: %s", errOut.String())
	}
	left, err := filepath.Glob(filepath.Join(state, "warroom", "*"))
	if err != nil || len(left) != 0 {
		t.Errorf("files left after a refused start: %v %v", left, err)
	}
}
