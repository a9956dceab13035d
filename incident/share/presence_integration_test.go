package share_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident/share"
)

func openAs(t testing.TB, dsn, inc, actor, host string) *share.Share {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := share.Open(ctx, share.Options{DSN: dsn, Incident: inc, Self: share.Peer{Actor: actor, User: actor + "-os", Host: host}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitPeers polls s.Peers() until ok holds or the deadline passes.
func waitPeers(t testing.TB, s *share.Share, within time.Duration, what string, ok func([]share.Peer) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ps := s.Peers()
		if ok(ps) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("peers never %s within %v: %+v", what, within, ps)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func actors(ps []share.Peer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Actor)
	}
	return out
}

func heartbeat(t testing.TB, c *pgx.Conn, p map[string]any) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "SELECT pg_notify($1, $2)", share.PresenceChannel, string(b)); err != nil {
		t.Fatal(err)
	}
}

func TestPresenceAcrossConsoles(t *testing.T) {
	share.SetPresenceTiming(t, 300*time.Millisecond, 30*time.Second) // removal below is the leaving, not the timeout
	dsn := freshDB(t)
	x1 := openAs(t, dsn, "inc-x", "alice", "laptop-a")
	x2 := openAs(t, dsn, "inc-x", "bob", "laptop-b")
	y := openAs(t, dsn, "inc-y", "carol", "laptop-c")
	waitPeers(t, x1, 5*time.Second, "[bob]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"bob"}) })
	waitPeers(t, x2, 5*time.Second, "[alice]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"alice"}) })
	p := x1.Peers()[0]
	if p.Origin != x2.Origin() || p.User != "bob-os" || p.Host != "laptop-b" || time.Since(p.Seen) > 5*time.Second {
		t.Errorf("x1 sees %+v, want x2 (bob-os@laptop-b, just seen)", p)
	}

	// A heartbeat with control sequences, on X, and one on Y (listening
	// by then: NOTIFY is not kept for a listener that comes later).
	waitState(t, y, "listening", func(st share.State) bool { return st.Connected })
	c := connect(t, dsn)
	heartbeat(t, c, map[string]any{"incident": "inc-x", "origin": "ghost\x1b[2J", "actor": "mal\x1b]0;pwned\x07lory",
		"user": "root\x1b[31m", "host": "evil\x1b[8mhost", "leaving": false})
	heartbeat(t, c, map[string]any{"incident": "inc-y", "origin": "ghost-y", "actor": "yvonne", "user": "y", "host": "y"})
	waitPeers(t, x1, 10*time.Second, "bob and the cleaned ghost", func(ps []share.Peer) bool { return len(ps) == 2 })
	ps := x1.Peers()
	g := ps[1] // sorted by actor: bob, mal…lory
	if ps[0].Actor != "bob" || !strings.HasPrefix(g.Actor, "mal") || !strings.HasSuffix(g.Actor, "lory") {
		t.Fatalf("peers %+v: want bob then the ghost", ps)
	}
	if strings.ContainsAny(g.Origin+g.Actor+g.User+g.Host, "\x1b\x07") {
		t.Errorf("ghost shown uncleaned: %q %q %q %q", g.Origin, g.Actor, g.User, g.Host)
	}
	for _, s := range []*share.Share{x1, x2} {
		for _, p := range s.Peers() {
			if p.Origin == s.Origin() || p.Actor == "carol" || p.Actor == "yvonne" {
				t.Errorf("%s lists %+v: itself or another incident's console", s.Origin(), p)
			}
		}
	}
	waitPeers(t, y, 10*time.Second, "[yvonne]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"yvonne"}) })
	heartbeat(t, c, map[string]any{"incident": "inc-x", "origin": "ghost\x1b[2J", "leaving": true})

	x2.Close()
	waitPeers(t, x1, 3*time.Second, "empty after bob left", func(ps []share.Peer) bool { return len(ps) == 0 })
	if ps := y.Peers(); !slices.Equal(actors(ps), []string{"yvonne"}) {
		t.Errorf("y's peers %+v", ps)
	}
}

// A console that stops without saying goodbye is dropped after the peer
// timeout; one that keeps beating stays.
func TestPresenceSilentPeerTimesOut(t *testing.T) {
	share.SetPresenceTiming(t, 200*time.Millisecond, time.Second)
	dsn := freshDB(t)
	x1 := openAs(t, dsn, "inc", "alice", "a")
	x2 := openAs(t, dsn, "inc", "bob", "b")
	c := connect(t, dsn)
	waitState(t, x1, "listening", func(st share.State) bool { return st.Connected })
	// NOTIFY is not kept for a listener that comes later: zed beats until
	// x1 has heard it beside bob, then goes silent.
	for deadline := time.Now().Add(20 * time.Second); ; {
		heartbeat(t, c, map[string]any{"incident": "inc", "origin": "crashed", "actor": "zed", "user": "z", "host": "z"})
		time.Sleep(50 * time.Millisecond)
		if slices.Equal(actors(x1.Peers()), []string{"bob", "zed"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("peers never bob and zed: %+v", x1.Peers())
		}
	}
	waitPeers(t, x1, 10*time.Second, "only bob", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"bob"}) })
	time.Sleep(1500 * time.Millisecond) // longer than the timeout: bob keeps beating
	if ps := x1.Peers(); !slices.Equal(actors(ps), []string{"bob"}) {
		t.Errorf("peers %+v: bob dropped while beating", ps)
	}
	if ps := x2.Peers(); !slices.Equal(actors(ps), []string{"alice"}) {
		t.Errorf("x2's peers %+v: alice dropped while beating", ps)
	}
}

// With the real 10 s period, a console that joins sees the ones already
// in at once: they answer a new peer's first heartbeat.
func TestPresenceNewcomerSeenAtOnce(t *testing.T) {
	share.SetPresenceTiming(t, 10*time.Second, 35*time.Second)
	dsn := freshDB(t)
	x1 := openAs(t, dsn, "inc", "alice", "a")
	waitState(t, x1, "ok", func(st share.State) bool { return st.Connected })
	time.Sleep(1200 * time.Millisecond) // x1's first heartbeat is over a second old: the answer is not delayed
	x2 := openAs(t, dsn, "inc", "bob", "b")
	waitPeers(t, x2, 5*time.Second, "[alice]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"alice"}) })
	waitPeers(t, x1, 5*time.Second, "[bob]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"bob"}) })
	x3 := openAs(t, dsn, "inc", "carol", "c") // x2's last heartbeat is recent: its answer comes within a second
	waitPeers(t, x3, 5*time.Second, "[alice bob]", func(ps []share.Peer) bool { return slices.Equal(actors(ps), []string{"alice", "bob"}) })
}

// A flood of presence notifications reads no events; an event
// notification does.
func TestPresenceFloodCausesNoEventReads(t *testing.T) {
	dsn := freshDB(t)
	x := openAs(t, dsn, "inc", "alice", "a")
	waitState(t, x, "ok", func(st share.State) bool { return st.Status == share.StatusOK && st.Connected })
	before := x.Reads()
	c := connect(t, dsn)
	if _, err := c.Exec(context.Background(), `SELECT pg_notify($1, json_build_object('incident', 'inc', 'origin', 'flood-' || i, 'actor', 'f' || i)::text)
		FROM generate_series(1, 500) AS i`, share.PresenceChannel); err != nil {
		t.Fatal(err)
	}
	waitPeers(t, x, 10*time.Second, "500 flood peers", func(ps []share.Peer) bool { return len(ps) == 500 })
	if got := x.Reads(); got != before {
		t.Errorf("%d event reads during the presence flood", got-before)
	}
	other := open(t, dsn, "inc")
	other.Publish(note("bob", "an event"))
	deadline := time.Now().Add(10 * time.Second)
	for x.Reads() == before {
		if time.Now().After(deadline) {
			t.Fatal("an event notification caused no read")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
