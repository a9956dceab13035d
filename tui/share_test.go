package tui

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// fakeShare is a shared timeline the test drives: batches to hand out,
// one error, and a status.
type fakeShare struct {
	mu      sync.Mutex
	batches [][]incident.Event
	err     error
	status  ShareStatus
}

func (f *fakeShare) Next() ([]incident.Event, error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		err := f.err
		f.err = nil
		return nil, err, true
	}
	if len(f.batches) == 0 {
		return nil, nil, false
	}
	b := f.batches[0]
	f.batches = f.batches[1:]
	return b, nil, true
}

func (f *fakeShare) Status() ShareStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeShare) set(s ShareStatus) {
	f.mu.Lock()
	f.status = s
	f.mu.Unlock()
}

// recordingJournal keeps what is appended (the probe events).
type recordingJournal struct{ evs []incident.Event }

func (r *recordingJournal) Append(ev incident.Event) (incident.Event, error) {
	if ev.ID == "" {
		ev.ID = incident.NewID(ev.Time)
	}
	r.evs = append(r.evs, ev)
	return ev, nil
}

// sharePane remembers the events handed to it.
type sharePane struct {
	quietPane
	got []common.EventMsg
}

func (p *sharePane) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if e, ok := msg.(common.EventMsg); ok {
		p.got = append(p.got, e)
	}
	return p, nil
}

func sharedShell(t *testing.T, sh *fakeShare) (*Model, *sharePane, *recordingJournal, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 28, 3, 12, 0, 0, time.UTC)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	j := &recordingJournal{}
	c := common.Common{Styles: styles.New(r, styles.DefaultTheme()), Now: func() time.Time { return now }, Actor: "alice", Journal: j, Host: "alice@laptop"}
	p := &sharePane{}
	decl := incident.Declared("alice", "api", incident.P1, now.Add(-time.Minute))
	decl.ID = incident.NewID(decl.Time)
	m := New(Options{Common: c, Panes: []PaneSpec{{Pane: p, Tab: "Quiet"}}, Session: incident.Fold([]incident.Event{decl}), Share: sh})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	return m, p, j, &now
}

// run runs cmd and every Cmd it leads to (not ticks), feeding the
// messages back to the shell.
func runAll(m *Model, cmd tea.Cmd) {
	for queue := []tea.Cmd{cmd}; len(queue) > 0; {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case nil, tickMsg, shareRetryMsg:
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// Other consoles' events reach every pane, folded into the incident, marked
// Remote, each once; the wait re-arms until the share closes.
func TestSharedEventsFoldedAsRemote(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 12, 0, 0, time.UTC)
	note := incident.Note("bob", "checking pg", now)
	note.ID, note.Host = incident.NewID(now), "bob@ws2"
	ack := incident.Event{ID: incident.NewID(now.Add(time.Second)), Time: now.Add(time.Second), Kind: incident.KindAck, Actor: "bob"}
	sh := &fakeShare{batches: [][]incident.Event{{note}, {ack, note}}}
	m, p, _, _ := sharedShell(t, sh)
	runAll(m, m.nextShared())
	var remote int
	for _, e := range p.got {
		if !e.Remote {
			t.Errorf("event %s not marked Remote", e.Event.ID)
		}
		remote++
	}
	if remote != 3 {
		t.Fatalf("%d events handed to the panes, want 3 (the repeat too: panes drop it by ID)", remote)
	}
	if s := m.Session(); s.Count != 3 || s.Acked.IsZero() || s.AckedBy != "bob" {
		t.Errorf("not folded once each: count %d, acked %v by %q", s.Count, s.Acked, s.AckedBy)
	}
}

// A journal that refuses the others' events is the journal failing (its
// badge and dialog), and the wait is tried again.
func TestSharedEventsJournalRefused(t *testing.T) {
	sh := &fakeShare{err: errors.New("write j.jsonl: no space left on device")}
	m, _, _, _ := sharedShell(t, sh)
	_, cmd := m.Update(sharedMsg{err: errors.New("write j.jsonl: no space left on device"), ok: true})
	if m.JournalFailing() == "" {
		t.Fatal("a refused batch did not show as the journal failing")
	}
	if cmd == nil {
		t.Fatal("the wait was not re-armed after a refused batch")
	}
	if _, ok := cmd().(shareRetryMsg); !ok {
		t.Errorf("the retry is not a delayed re-arm")
	}
}

// The share's dot, the consoles in and the events waiting are in the
// status bar; losing the database and getting it back are on the
// timeline, naming this console's host; who joins is said.
func TestShareStatusDotPresenceAndGap(t *testing.T) {
	sh := &fakeShare{}
	self := Peer{Actor: "alice", Host: "alice@laptop"}
	sh.set(ShareStatus{State: probes.State{Status: probes.OK, Watching: true}, Self: self})
	m, _, j, now := sharedShell(t, sh)
	tick := func() {
		_, cmd := m.Update(tickMsg{id: m.id})
		runAll(m, cmd)
	}
	tick()
	if bar := ansi.Strip(m.statusBar()); !strings.Contains(bar, "share●") {
		t.Errorf("no share dot: %q", bar)
	}
	*now = now.Add(time.Minute) // past the start: a peer now is one who joined
	sh.set(ShareStatus{State: probes.State{Status: probes.OK, Watching: true}, Self: self,
		Peers: []Peer{{Actor: "bob", Host: "bob@ws2\x1b[2J", Seen: *now}}})
	tick()
	if bar := ansi.Strip(m.statusBar()); !strings.Contains(bar, "share●+1") {
		t.Errorf("the other console is not counted: %q", bar)
	}
	if !strings.Contains(m.flash, "bob (bob@ws2") || strings.Contains(m.flash, "\x1b") || !strings.Contains(m.flash, "joined") {
		t.Errorf("the join is not said, cleaned: %q", m.flash)
	}
	*now = now.Add(time.Minute)
	m.flash = ""
	sh.set(ShareStatus{State: probes.State{Status: probes.Failing, LastErr: errors.New("connection refused"), ErrSince: *now}, Pending: 7, Self: self})
	tick()
	bar := ansi.Strip(m.statusBar())
	if !strings.Contains(bar, "share●↑7") {
		t.Errorf("the waiting events are not shown: %q", bar)
	}
	if !strings.Contains(m.flash, "left") {
		t.Errorf("bob's leaving is not said: %q", m.flash)
	}
	*now = now.Add(20 * time.Second)
	tick() // still failing: one "lost", not one per tick
	*now = now.Add(5 * time.Second)
	sh.set(ShareStatus{State: probes.State{Status: probes.Connecting}, Self: self}) // catching up first
	tick()
	*now = now.Add(5 * time.Second)
	sh.set(ShareStatus{State: probes.State{Status: probes.OK, Watching: true}, Self: self})
	tick()
	var lost, back int
	for _, ev := range j.evs {
		if ev.Kind != incident.KindProbe {
			continue
		}
		if strings.HasPrefix(ev.Summary, "share (alice@laptop) lost: connection refused") {
			lost++
		}
		if ev.Summary == "share (alice@laptop) recovered after 30s" {
			back++
		}
	}
	if lost != 1 || back != 1 {
		t.Errorf("the gap is not on the timeline (lost %v, recovered %v): %+v", lost, back, j.evs)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(":")})
	m.showShare()
	if v := ansi.Strip(m.View()); !strings.Contains(v, "alice (alice@laptop) — this console") {
		t.Errorf("the who-is-in dialog does not show this console:\n%s", v)
	}
}

// An offline start is a gap too: the first failing state is recorded.
func TestShareOfflineStartRecorded(t *testing.T) {
	sh := &fakeShare{}
	sh.set(ShareStatus{State: probes.State{Status: probes.Failing, LastErr: errors.New("connection refused")}, Self: Peer{Actor: "alice", Host: "alice@laptop"}})
	m, _, j, _ := sharedShell(t, sh)
	_, cmd := m.Update(tickMsg{id: m.id})
	runAll(m, cmd)
	if len(j.evs) != 1 || !strings.Contains(j.evs[0].Summary, "share (alice@laptop) lost") {
		t.Errorf("an offline start is not on the timeline: %+v", j.evs)
	}
}

// Quitting with events not uploaded says so, even for a resolved
// incident; with other consoles in, the ladder goes on there.
func TestQuitSaysWhatTheShareHasNot(t *testing.T) {
	sh := &fakeShare{}
	sh.set(ShareStatus{State: probes.State{Status: probes.Failing, LastErr: errors.New("refused")}, Pending: 4,
		Peers: []Peer{{Actor: "bob", Host: "bob@ws2"}}})
	m, _, _, _ := sharedShell(t, sh)
	req, ok := m.quit()().(common.ConfirmRequest)
	if !ok {
		t.Fatal("quit with 4 events not uploaded did not ask")
	}
	all := strings.Join(req.Lines, "\n")
	if !strings.Contains(all, "4 event(s) of this console are not on the shared timeline yet") {
		t.Errorf("the unsent events are not said:\n%s", all)
	}
	if !strings.Contains(all, "the 1 other console(s) in this incident go on paging") {
		t.Errorf("the other console keeping the ladder is not said:\n%s", all)
	}
}

// Consoles already in when this one starts are said to be in, not to
// have joined.
func TestShareAlreadyInAtStart(t *testing.T) {
	sh := &fakeShare{}
	sh.set(ShareStatus{State: probes.State{Status: probes.OK}, Peers: []Peer{{Actor: "bob", Host: "bob@ws2"}}})
	m, _, _, _ := sharedShell(t, sh)
	m.shareSt.Peers = nil // as at a real start: nobody heard yet
	m.readShare()
	if !strings.HasPrefix(m.flash, "in this incident: bob (bob@ws2)") {
		t.Errorf("flash %q", m.flash)
	}
}
