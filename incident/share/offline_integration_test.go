package share_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
)

func password(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("test DSN is not a URL: %v", err)
	}
	pw, _ := u.User.Password()
	return pw
}

func waitState(t testing.TB, s *share.Share, what string, ok func(share.State) bool) share.State {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("state never %s: %+v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A starts with the database unreachable (on a fresh database, no schema
// yet): Open returns, Publish queues, the state says failing without the
// password. Once the database is reachable A creates the schema, uploads
// the queue and listens; B receives everything once.
func TestOfflineStartUploadsWhenReachable(t *testing.T) {
	dsn := freshDB(t)
	pw := password(t, dsn)
	p := newProxy(t, pgAddr(t, dsn))
	p.Down()
	a := open(t, withHost(t, dsn, p.addr), "inc")
	st := a.State()
	if st.Status != share.StatusFailing || st.Err == "" || st.Connected {
		t.Errorf("offline start: state %+v, want failing with a reason", st)
	}
	if pw != "" && strings.Contains(st.Err, pw) {
		t.Errorf("state error leaks the password: %s", st.Err)
	}
	var ids []string
	for i := range 20 {
		ev := note("alice", fmt.Sprintf("offline %d", i))
		ids = append(ids, ev.ID)
		a.Publish(ev)
	}
	if st := a.State(); st.Pending != 20 {
		t.Errorf("pending %d, want 20", st.Pending)
	}
	p.Up()
	waitState(t, a, "ok, connected, nothing pending", func(st share.State) bool {
		return st.Status == share.StatusOK && st.Connected && st.Pending == 0 && st.Err == ""
	})
	db := connect(t, dsn)
	if n := rowCount(t, db, "SELECT count(*) FROM warroom_events WHERE incident_id = 'inc'"); n != 20 {
		t.Errorf("%d rows uploaded, want 20", n)
	}
	b := open(t, dsn, "inc")
	cb := collect(b)
	live := note("alice", "after the link came back")
	a.Publish(live)
	cb.waitIDs(t, append(ids, live.ID))
	time.Sleep(200 * time.Millisecond)
	_, counts := cb.snapshot()
	for _, id := range append(ids, live.ID) {
		if counts[id] != 1 {
			t.Errorf("event %s delivered %d times", id, counts[id])
		}
	}
}

// The server answers: a wrong password or a missing database is a mistake
// to fix before starting, so Open fails at once (no password in the text).
func TestOpenServerAnsweredFailsAtOnce(t *testing.T) {
	dsn := freshDB(t)
	const wrong = "wr0ng-Passw0rd-x"
	for name, d := range map[string]string{
		"wrong password": withUser(t, dsn, "postgres", wrong),
		"no database":    withDB(t, dsn, fmt.Sprintf("wr_share_missing_%d", time.Now().UnixNano())),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := share.Open(ctx, share.Options{DSN: d, Incident: "inc"})
		deadline := ctx.Err()
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || deadline != nil {
			t.Errorf("%s: %v (%T), want the server's error, at once", name, err, err)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), password(t, dsn)) {
			t.Errorf("%s: error leaks the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

// Two consoles claim one derived-ID event with different bodies: one
// wins, the other gets the winner's event as stored; claiming again its
// own row wins again (a console that failed to record its claim).
func TestClaimReturnsTheStoredEvent(t *testing.T) {
	dsn := freshDB(t)
	a, b := open(t, dsn, "inc"), open(t, dsn, "inc")
	ca, cb := collect(a), collect(b)
	winners := map[string]string{} // claimed ID → the winner's summary
	for round := range 10 {
		at := time.Now()
		id := incident.DerivedID(at, "inc", "escalation", fmt.Sprint(round))
		evA := incident.Event{ID: id, Time: at, Actor: "alice", Kind: incident.KindEscalation, Summary: "Paged Team Lead (from A)",
			Escalation: &incident.EscalationFields{Level: 2, Role: "Team Lead"}}
		evB := evA
		evB.Actor, evB.Summary = "bob", "Paged Team Lead (from B)"
		var wg sync.WaitGroup
		var wonA, wonB bool
		var stA, stB incident.Event
		var errA, errB error
		wg.Go(func() { wonA, stA, errA = a.Claim(context.Background(), evA) })
		wg.Go(func() { wonB, stB, errB = b.Claim(context.Background(), evB) })
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("Claim: %v, %v", errA, errB)
		}
		if wonA == wonB {
			t.Fatalf("round %d: A won %v, B won %v: want exactly one", round, wonA, wonB)
		}
		winner, loser, winnerSt, loserSt, winnerEv := a, b, stA, stB, evA
		if wonB {
			winner, loser, winnerSt, loserSt, winnerEv = b, a, stB, stA, evB
		}
		winners[id] = winnerEv.Summary
		for name, st := range map[string]incident.Event{"winner": winnerSt, "loser": loserSt} {
			if st.ID != id || st.Actor != winnerEv.Actor || st.Summary != winnerEv.Summary || !st.Time.Equal(at) ||
				st.Escalation == nil || st.Escalation.Role != "Team Lead" {
				t.Errorf("round %d: %s's stored %+v, want the winner's event", round, name, st)
			}
		}
		again, st, err := winner.Claim(context.Background(), winnerEv)
		if err != nil || !again || st.Summary != winnerEv.Summary {
			t.Errorf("round %d: the winner claiming again: won %v (%+v), %v; want won", round, again, st, err)
		}
		lost, _, err := loser.Claim(context.Background(), winnerEv)
		if err != nil || lost {
			t.Errorf("round %d: the loser claiming again: won %v, %v; want lost", round, lost, err)
		}
	}
	// Once claimed, an ID is not handed out by Events: a marker after
	// them arrives, and nothing else but a claimed row the other console
	// committed before this one began its claim (then it came first, as
	// the winner's version, once).
	marker := note("carol", "marker")
	a.Publish(marker)
	cb.waitIDs(t, []string{marker.ID})
	b.Publish(note("dave", "marker back"))
	time.Sleep(500 * time.Millisecond)
	for name, c := range map[string]*collector{"A": ca, "B": cb} {
		evs, _ := c.snapshot()
		seen, markers := map[string]bool{}, 0
		for _, ev := range evs {
			if seen[ev.ID] {
				t.Errorf("%s received %s twice", name, ev.ID)
			}
			seen[ev.ID] = true
			if w, claimed := winners[ev.ID]; claimed {
				if ev.Summary != w {
					t.Errorf("%s received a claimed ID with the loser's body: %q, want %q", name, ev.Summary, w)
				}
				continue
			}
			markers++
		}
		if markers != 1 {
			t.Errorf("%s received %d events besides claimed ones, want only the other's marker: %v", name, markers, evs)
		}
	}
}

// Offline at Open, then the server answers with a mistake (the role may
// not create the schema): the state says so and the share keeps trying;
// once an owner has created the schema and granted access it connects.
func TestOfflineThenSchemaBehindKeepsRetrying(t *testing.T) {
	dsn := freshDB(t)
	rdsn := restrictedRole(t, dsn)
	p := newProxy(t, pgAddr(t, dsn))
	p.Down()
	a := open(t, withHost(t, rdsn, p.addr), "inc")
	ev := note("alice", "queued before the schema exists")
	a.Publish(ev)
	p.Up()
	st := waitState(t, a, "failing on the schema", func(st share.State) bool {
		return st.Status == share.StatusFailing && strings.Contains(st.Err, "lacks version 1")
	})
	if strings.Contains(st.Err, "r0le-Passw0rd") {
		t.Errorf("state error leaks the password: %s", st.Err)
	}
	t.Logf("schema-behind state: %s", st.Err)
	open(t, dsn, "inc").Close() // the owner creates the schema
	admin := connect(t, dsn)
	u, _ := url.Parse(rdsn)
	for _, g := range []string{"GRANT SELECT, INSERT ON warroom_events, warroom_schema TO %s", "GRANT USAGE ON SEQUENCE warroom_events_seq_seq TO %s"} {
		if _, err := admin.Exec(context.Background(), fmt.Sprintf(g, u.User.Username())); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, a, "ok with the queue uploaded", func(st share.State) bool {
		return st.Status == share.StatusOK && st.Connected && st.Pending == 0
	})
	if n := rowCount(t, admin, "SELECT count(*) FROM warroom_events WHERE id = $1", ev.ID); n != 1 {
		t.Errorf("%d rows for the queued event", n)
	}
}
