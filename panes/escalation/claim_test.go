package escalation

import (
	tea "github.com/charmbracelet/bubbletea"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/notify"
	"github.com/warroom-dev/warroom/internal/memjournal"
	"github.com/warroom-dev/warroom/tui/common"
)

// rivalJournal is a shared timeline where another console ("bob" on
// ws2) has already recorded some of the claimed IDs.
type rivalJournal struct {
	*memjournal.Journal
	theirs  map[string]bool // IDs the other console recorded first
	claimed []string
}

func (r *rivalJournal) Claim(ev incident.Event, _ bool) (incident.Event, bool, error) {
	r.claimed = append(r.claimed, ev.ID)
	if r.theirs[ev.ID] {
		ev.Actor, ev.Host = "bob", "bob@ws2"
		if ev.Kind == incident.KindEscalation {
			ev.Actor = common.SystemActor
		}
		stored, err := r.Journal.Append(ev)
		return stored, false, err
	}
	stored, err := r.Journal.Append(ev)
	return stored, true, err
}

func rivalRig(t *testing.T, theirs func(s incident.Session) []string) (*rig, *rivalJournal) {
	r := newRig(t, incident.P1, common.Mode{}, &notify.Hook{Command: []string{"true"}}, incident.Policy{})
	rj := &rivalJournal{Journal: r.j, theirs: map[string]bool{}}
	for _, id := range theirs(r.session) {
		rj.theirs[id] = true
	}
	r.m.c.Journal = rj
	return r, rj
}

// With a shared timeline each rung is claimed, and a rung another
// console claimed first is recorded here without running the hook here.
func TestLadderStepClaimedByAnotherConsoleRunsNoHook(t *testing.T) {
	r, rj := rivalRig(t, func(s incident.Session) []string { return []string{incident.EscalationID(s.ID, 0)} })
	r.do(r.m.Init())
	if len(rj.claimed) != 1 || rj.claimed[0] != incident.EscalationID(r.session.ID, 0) {
		t.Fatalf("claimed %v, want the primary's rung", rj.claimed)
	}
	if got := levels(r.j.Of(incident.KindEscalation)); len(got) != 1 {
		t.Fatalf("the other console's step is not in the journal: %v", got)
	}
	if len(r.actions) != 0 {
		t.Fatalf("the hook ran here for a step another console claimed: %+v", r.actions)
	}
	r.tick(5*time.Minute + time.Second)
	if len(r.actions) != 1 || r.actions[0].Target != incident.EscalationID(r.session.ID, 1) {
		t.Fatalf("the rung this console won did not run its hook once: %+v", r.actions)
	}
}

// Two people acknowledge at once on two consoles: the response-time ack
// is one event; the one who lost is told who won, and no hook runs.
func TestAckLostToAnotherConsole(t *testing.T) {
	r, rj := rivalRig(t, func(s incident.Session) []string { return []string{s.ResponseAckID()} })
	want := r.session.ResponseAckID()
	r.tick(time.Minute)
	r.key("a")
	r.submit(map[string]string{"who": "alice"})
	if n := len(rj.claimed); n == 0 || rj.claimed[n-1] != want {
		t.Fatalf("the ack was not claimed under the response-ack ID %s: %v", want, rj.claimed)
	}
	for _, a := range r.actions {
		if a.Op == "notify.ack" {
			t.Fatalf("the ack hook ran on the console that lost: %+v", a)
		}
	}
	var said string
	for _, m := range r.other {
		if f, ok := m.(common.FlashMsg); ok {
			said = f.Text
		}
	}
	if !strings.Contains(said, "already acknowledged by bob (bob@ws2)") || !strings.Contains(said, "yours was not recorded") {
		t.Errorf("the loser is not told who won: %q", said)
	}
	if r.session.AckedBy == "" {
		t.Errorf("the winner's ack is not folded here")
	}
}

// The first ack wins its claim: the hook runs here, once.
func TestAckWonRunsTheHook(t *testing.T) {
	r, rj := rivalRig(t, func(incident.Session) []string { return nil })
	want := r.session.ResponseAckID()
	r.tick(time.Minute)
	r.key("a")
	r.submit(map[string]string{"who": "alice"})
	acks := r.j.Of(incident.KindAck)
	if len(acks) != 1 || acks[0].ID != want || len(rj.claimed) == 0 {
		t.Fatalf("acks %+v, want one under %s", acks, want)
	}
	var runs int
	for _, a := range r.actions {
		if a.Op == "notify.ack" && a.Target == want {
			runs++
		}
	}
	if runs != 1 {
		t.Errorf("%d ack hook runs, want 1", runs)
	}
}

// The other console's ack arrives while this one's dialog is open: the
// submit claims the ID the dialog opened with, loses, and says so; the
// incident keeps one response-time ack.
func TestAckDialogOpenWhileAnotherConsoleAcks(t *testing.T) {
	r, _ := rivalRig(t, func(s incident.Session) []string { return []string{s.ResponseAckID()} })
	ackID := r.session.ResponseAckID()
	r.tick(time.Minute)
	r.key("a")
	theirs := incident.Acknowledged("bob", "bob", 0, "Primary On-Call", r.now)
	theirs.ID, theirs.Host = ackID, "bob@ws2"
	stored, _ := r.j.Append(theirs)
	r.do(func() tea.Msg { return common.EventMsg{Event: stored, Remote: true} })
	r.submit(map[string]string{"who": "alice"})
	if n := len(r.j.Of(incident.KindAck)); n != 1 {
		t.Fatalf("%d acks in the journal, want the other console's one", n)
	}
	var said string
	for _, m := range r.other {
		if f, ok := m.(common.FlashMsg); ok {
			said = f.Text
		}
	}
	if !strings.Contains(said, "already acknowledged by bob (bob@ws2)") {
		t.Errorf("not told: %q", said)
	}
}
