package queries

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/runbooks"
	"github.com/warroom-dev/warroom/tui/common"
)

// published is what cmd hands the runbook sidebar.
func published(cmd tea.Cmd) ([]common.SignalsMsg, []common.ContextMsg) { return cmdtest.Published(cmd) }

// feedCmd is feed, returning the pane's Cmd.
func feedCmd(m *Model, s pg.Snapshot) tea.Cmd {
	_, cmd := m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: m.pg.Gen, Data: s, At: s.At})
	return cmd
}

func signalsAfter(m *Model, s pg.Snapshot) []common.SignalsMsg {
	sigs, _ := published(feedCmd(m, s))
	return sigs
}

func kindsAndTexts(sigs []runbooks.Signal) []string {
	out := []string{}
	for _, s := range sigs {
		out = append(out, s.Kind+": "+s.Text)
	}
	return out
}

// Connections at 80% of max or more, lock waits and active queries over
// five minutes are published when they change, not on every poll; a
// failed poll keeps them; paused, the latest snapshot still counts;
// recovery is an empty set, once.
func TestSignalsConnectionsLocksAndLongQueries(t *testing.T) {
	m := newPane(t, &fakePG{})
	sigs := signalsAfter(m, chain())
	if len(sigs) != 1 {
		t.Fatalf("the chain: %d SignalsMsgs, want 1", len(sigs))
	}
	want := []string{
		"pg.connections: 85/100 connections",
		"pg.lock_waits: 3 sessions waiting on locks",
		"pg.slow_queries: 1 query running > 5m", // 600 (7 min active); 100 is idle in transaction
	}
	if got := kindsAndTexts(sigs[0].Signals); sigs[0].Source != "queries" || !slices.Equal(got, want) {
		t.Fatalf("from %q: %q, want %q", sigs[0].Source, got, want)
	}
	if w := []int{sigs[0].Signals[0].Weight, sigs[0].Signals[1].Weight, sigs[0].Signals[2].Weight}; !slices.Equal(w, []int{25, 75, 20}) {
		t.Errorf("weights %v", w)
	}
	// The next poll, same numbers (a second later: 600 is still the only
	// one past five minutes).
	next := chain()
	next.At = t0.Add(time.Second)
	for i := range next.Sessions {
		next.Sessions[i].QueryStart = next.Sessions[i].QueryStart.Add(time.Second)
	}
	if sigs := signalsAfter(m, next); len(sigs) != 0 {
		t.Fatalf("unchanged: published again %+v", sigs)
	}
	// A failed poll: nothing said, the account stands.
	_, cmd := m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: m.pg.Gen, Err: errors.New("connection refused"), At: t0.Add(2 * time.Second)})
	if sigs, _ := published(cmd); len(sigs) != 0 {
		t.Fatalf("a failed poll published %+v", sigs)
	}
	// Paused: the list is frozen, what is burning is the latest.
	press(m, "p")
	worse := chain()
	worse.At, worse.Connections, worse.Counts.Waiting = t0.Add(3*time.Second), 93, 1
	worse.Sessions = append(worse.Sessions, sess(800, "active", 6*time.Minute, "SELECT 2"))
	sigs = signalsAfter(m, worse)
	want = []string{"pg.connections: 93/100 connections", "pg.lock_waits: 1 session waiting on a lock", "pg.slow_queries: 2 queries running > 5m"}
	if len(sigs) != 1 || !slices.Equal(kindsAndTexts(sigs[0].Signals), want) {
		t.Fatalf("paused, worse: %+v, want %q", sigs, want)
	}
	press(m, "p")
	// Exactly 80% is the warning's line; 79% is not.
	at80 := pg.Snapshot{At: t0.Add(4 * time.Second), Connections: 80, MaxConnections: 100}
	if sigs := signalsAfter(m, at80); len(sigs) != 1 || !slices.Equal(kindsAndTexts(sigs[0].Signals), []string{"pg.connections: 80/100 connections"}) {
		t.Fatalf("80/100: %+v", sigs)
	}
	calm := pg.Snapshot{At: t0.Add(5 * time.Second), Connections: 79, MaxConnections: 100, Sessions: []pg.Session{sess(700, "active", time.Second, "SELECT 1")}}
	sigs = signalsAfter(m, calm)
	if len(sigs) != 1 || len(sigs[0].Signals) != 0 {
		t.Fatalf("recovered: %+v, want one empty set", sigs)
	}
	if sigs := signalsAfter(m, calm); len(sigs) != 0 {
		t.Fatalf("still calm: published again %+v", sigs)
	}
}

// The selected session's pid and the RDS instance are published when they
// change: on the first message (the instance alone), when the cursor
// moves, when the selected session ends; not on a refresh that keeps it.
func TestContextFollowsTheSelectedSession(t *testing.T) {
	m := New(testCommon(), &fakePG{}, nil, Config{Refresh: time.Second, RDSInstance: "agent-platform-prod"})
	m.SetSize(160, 30)
	_, ctxs := published(press(m, "j"))
	if len(ctxs) != 1 || ctxs[0].Source != "queries" || !maps.Equal(ctxs[0].Values, map[string]string{"db_instance": "agent-platform-prod"}) {
		t.Fatalf("before any session: %+v", ctxs)
	}
	_, ctxs = published(feedCmd(m, chain()))
	if len(ctxs) != 1 || !maps.Equal(ctxs[0].Values, map[string]string{"pid": "600", "db_instance": "agent-platform-prod"}) {
		t.Fatalf("first row selected: %+v", ctxs)
	}
	for _, msg := range []tea.Msg{common.SignalsMsg{Source: "queries"}, common.ContextMsg{Source: "queries"}, struct{}{}} {
		_, cmd := m.Update(msg)
		if _, ctxs := published(cmd); len(ctxs) != 0 {
			t.Fatalf("unchanged, published again on %T: %+v", msg, ctxs)
		}
	}
	if _, ctxs := published(feedCmd(m, chain())); len(ctxs) != 0 {
		t.Fatalf("a refresh keeping the selection published %+v", ctxs)
	}
	_, ctxs = published(press(m, "j"))
	if len(ctxs) != 1 || ctxs[0].Values["pid"] != "100" {
		t.Fatalf("cursor down: %+v", ctxs)
	}
	// The detail is the same session: nothing new.
	if _, ctxs := published(press(m, "enter")); len(ctxs) != 0 {
		t.Fatalf("opening the selected session published %+v", ctxs)
	}
	press(m, "esc")
	// The selected session ends: nothing is selected.
	gone := chain()
	gone.Sessions = slices.DeleteFunc(gone.Sessions, func(s pg.Session) bool { return s.PID == 100 })
	_, ctxs = published(feedCmd(m, gone))
	if len(ctxs) != 1 || !maps.Equal(ctxs[0].Values, map[string]string{"db_instance": "agent-platform-prod"}) {
		t.Fatalf("selected session ended: %+v", ctxs)
	}
	// No instance configured and nothing selected: nothing to say.
	m2 := newPane(t, &fakePG{})
	if _, ctxs := published(press(m2, "j")); len(ctxs) != 0 {
		t.Fatalf("nothing known, published %+v", ctxs)
	}
}
