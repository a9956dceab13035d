package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/sanitize"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
	"github.com/warroom-dev/warroom/tui/styles"
)

// Share is the shared timeline as the shell sees it (Options.Share): the
// other consoles' events, already in the local journal, and the share's
// state for the status bar.
type Share interface {
	// Next blocks until other consoles' events are in the local journal
	// and returns them as stored (none already there). err: the journal
	// refused them; they are kept and tried again on the next call. ok is
	// false once the share is closed. Called from a Cmd, never Update.
	Next() (events []incident.Event, err error, ok bool)
	// Status is the share's state and who else is in. It must not block:
	// the shell reads it on its clock tick.
	Status() ShareStatus
}

// ShareStatus is the shared timeline's state.
type ShareStatus struct {
	// State is the share's dot: OK, Connecting (catching up) or Failing.
	State probes.State
	// Pending are this console's events not uploaded yet.
	Pending int
	// Self is this console; Peers the others heard from lately.
	Self  Peer
	Peers []Peer
	// Where is the database, without credentials ("db.internal:5432/ops").
	Where string
}

// Peer is one console in the incident: the actor is a label anyone can
// type; Host (OS user@host) is where it runs.
type Peer struct {
	Actor, Host string
	Seen        time.Time
}

// sharedMsg is a batch of other consoles' events, or why the journal
// refused them.
type sharedMsg struct {
	events []incident.Event
	err    error
	ok     bool
}

// shareRetryMsg re-arms the wait after the journal refused a batch.
type shareRetryMsg struct{}

// nextShared waits for the next batch (nil without a share).
func (m *Model) nextShared() tea.Cmd {
	sh := m.share
	if sh == nil {
		return nil
	}
	return func() tea.Msg {
		evs, err, ok := sh.Next()
		return sharedMsg{events: evs, err: err, ok: ok}
	}
}

// shared folds the other consoles' events as if recorded here (once each,
// by ID), marked Remote: no pane runs a hook for them.
func (m *Model) shared(msg sharedMsg) tea.Cmd {
	if !msg.ok {
		return nil // closed: the session is ending
	}
	if msg.err != nil {
		// Once per batch: the retries of the same events are not more
		// lost events; they back off to 10 s.
		if m.shareRetry == 0 {
			m.journalFailed(msg.err, true)
		}
		m.shareRetry = min(max(2*m.shareRetry, time.Second), 10*time.Second)
		return tea.Tick(m.shareRetry, func(time.Time) tea.Msg { return shareRetryMsg{} })
	}
	m.shareRetry = 0
	cmds := make([]tea.Cmd, 0, len(msg.events)+1)
	for _, ev := range msg.events {
		cmds = append(cmds, m.recorded(common.EventMsg{Event: ev, Remote: true}))
	}
	return tea.Batch(append(cmds, m.nextShared())...)
}

// shareDot is the share's status bar dot: named "share", with the
// consoles in beside it ("+2") and the events waiting to upload ("↑12").
func (m *Model) shareDot(named bool) string {
	if m.share == nil {
		return ""
	}
	st := m.c.Styles
	s := m.shareSt
	d := common.Dot(st, s.State)
	if !named {
		return d
	}
	note := ""
	if n := len(s.Peers); n > 0 {
		note += fmt.Sprintf("+%d", n)
	}
	if s.Pending > 0 {
		note += fmt.Sprintf("↑%d", s.Pending)
	}
	return st.Muted.Render("share") + d + st.Muted.Render(note)
}

// showShare opens the share's dialog (from the palette).
func (m *Model) showShare() tea.Cmd {
	m.pushModal(&shareModal{st: m.c.Styles, keys: m.dialogKeys, m: m})
	return nil
}

// shareModal says who is in the incident and how the share is doing. It
// reads the shell's latest status, so it stays current while open.
type shareModal struct {
	st   *styles.Styles
	keys DialogKeyMap
	m    *Model
	off  int
	w, h int
}

func (d *shareModal) SetSize(w, h int) {
	d.w, d.h = w, h
	d.off = min(d.off, d.layout().maxOff(d.st.Dialog.Box, d.inner(), h))
}

func (d *shareModal) inner() int { return dialogInner(d.w, 80) }

func (d *shareModal) Update(msg tea.Msg) (modal, tea.Cmd, bool) {
	return d, nil, readingKey(msg, d.keys, &d.off, func() int { return d.layout().maxOff(d.st.Dialog.Box, d.inner(), d.h) })
}

// peerLine is "alice (alice@laptop)", the actor a label, the host where.
func peerLine(p Peer) string {
	s := sanitize.Line(p.Actor)
	if p.Host != "" {
		s += " (" + sanitize.Line(p.Host) + ")"
	}
	return s
}

func (d *shareModal) layout() dialogLayout {
	inner := d.inner()
	s := d.m.shareSt
	now := d.m.c.Now()
	var body []string
	add := func(text string) { body = append(body, wrapLines(text, inner)...) }
	var state string
	switch st := s.State; st.Status {
	case probes.OK:
		state = "connected since " + st.LastOK.Local().Format("15:04:05") + ": events go both ways as they are recorded"
	case probes.Connecting:
		state = "catching up with the other consoles' events"
	default:
		why := ""
		if st.LastErr != nil {
			why = ": " + sanitize.Line(st.LastErr.Error())
		}
		state = "FAILING since " + st.ErrSince.Local().Format("15:04:05") + why + ". This console goes on; its events wait in the local journal, and the others' arrive once it answers"
	}
	add("Shared timeline: " + sanitize.Line(s.Where) + " — " + state)
	if s.Pending > 0 {
		add(fmt.Sprintf("%d event(s) of this console wait to upload; they are in the local journal and go up when the database answers.", s.Pending))
	}
	body = append(body, "")
	add("In this incident:")
	add("  " + peerLine(s.Self) + " — this console")
	for _, p := range s.Peers {
		add("  " + peerLine(p) + " — heard " + common.Duration(now.Sub(p.Seen)) + " ago")
	}
	if len(s.Peers) == 0 {
		add("  no other console heard from in the last 35 s")
	}
	body = append(body, "")
	add("Names are labels anyone can type (--actor); the OS user and host beside them say where each console runs.")
	return dialogLayout{
		head:   []string{d.st.Dialog.Title.Render("Who is in")},
		body:   body,
		off:    d.off,
		hint:   hints(relabel(d.keys.Close, "close"), relabel(d.keys.Hide, "close")),
		scroll: scrollHint(d.keys),
	}
}

func (d *shareModal) View(width, height int) string {
	return d.layout().render(d.st, d.st.Dialog.Box, d.inner(), height)
}

// peersLine is the others in, for a flash: "bob (bob@ws2), carol (…)".
func peersLine(ps []Peer) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = peerLine(p)
	}
	return strings.Join(out, ", ")
}

// readShare reads the share's status on the clock tick, and says in the
// status line who joined or left since the last one.
//
// A share that starts failing, and one that works again, is a fact on the
// timeline (a probe event naming this console's host): the gap in what
// reached the others while it was down.
func (m *Model) readShare() tea.Cmd {
	if m.share == nil {
		return nil
	}
	before := m.shareSt.Peers
	prev := m.shareLast
	m.shareSt = m.share.Status()
	m.shareLast = m.shareSt.State
	var cmd tea.Cmd
	cur := m.shareSt.State
	name := "share"
	if h := m.shareSt.Self.Host; h != "" {
		name += " (" + h + ")"
	}
	switch {
	case cur.Status == probes.Failing && prev.Status != probes.Failing:
		if !m.shareLost {
			why := errors.New("failing")
			if cur.LastErr != nil {
				why = errors.New(cur.LastErr.Error())
			}
			cmd = m.c.ProbeEvents(name)(probes.Change{Lost: true, Err: why})
			m.shareDown, m.shareLost = m.c.Now(), true
		}
	case cur.Status == probes.OK && m.shareLost:
		// Whatever came between (catching up after it answered again).
		cmd = m.c.ProbeEvents(name)(probes.Change{Down: m.c.Now().Sub(m.shareDown)})
		m.shareLost = false
	}
	joined, left := peerChanges(before, m.shareSt.Peers)
	var parts []string
	switch {
	case len(joined) > 0 && m.c.Now().Sub(m.started) < 15*time.Second:
		// Those already in when this console started did not join now.
		parts = append(parts, "in this incident: "+peersLine(joined))
	case len(joined) > 0:
		parts = append(parts, peersLine(joined)+" joined")
	}
	if len(left) > 0 {
		parts = append(parts, peersLine(left)+" left")
	}
	if len(parts) > 0 && (m.flash == "" || !m.flashErr) { // never over an error
		m.setFlash(strings.Join(parts, "; ")+" (: shared timeline shows who is in)", false)
	}
	return cmd
}

// peerChanges are the peers in after and not before, and the reverse
// (by actor and host: a console that restarts is the same person).
func peerChanges(before, after []Peer) (joined, left []Peer) {
	key := func(p Peer) string { return p.Actor + "\x00" + p.Host }
	in := map[string]bool{}
	for _, p := range before {
		in[key(p)] = true
	}
	now := map[string]bool{}
	for _, p := range after {
		now[key(p)] = true
		if !in[key(p)] {
			joined = append(joined, p)
		}
	}
	for _, p := range before {
		if !now[key(p)] {
			left = append(left, p)
		}
	}
	return joined, left
}

// shareQuitState is what quitting leaves behind on the shared timeline:
// this console's events not uploaded, and how many others are in.
func (m *Model) shareQuitState() (unsent, others int) {
	if m.share == nil {
		return 0, 0
	}
	st := m.share.Status() // a lock, never I/O
	return st.Pending, len(st.Peers)
}
