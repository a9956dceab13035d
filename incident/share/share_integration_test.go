package share_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
)

// Two Opens racing on a fresh database apply each version once; a later
// Open runs no DDL (an event trigger records any).
func TestMigrationRacingOpensThenNoDDL(t *testing.T) {
	dsn := freshDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := share.Open(ctx, share.Options{DSN: dsn, Incident: "inc"})
			errs[i] = err
			if err == nil {
				s.Close()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("racing Open: %v", err)
		}
	}
	c := connect(t, dsn)
	ms := share.Migrations()
	if n := rowCount(t, c, "SELECT count(*) FROM warroom_schema"); n != len(ms) {
		t.Fatalf("warroom_schema has %d rows, want %d", n, len(ms))
	}
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE ddl_log (tag text)",
		`CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ddl_log VALUES (tg_tag); END $$`,
		"CREATE EVENT TRIGGER log_ddl ON ddl_command_start EXECUTE FUNCTION log_ddl()",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, dsn, "inc")
	s.Close()
	if n := rowCount(t, c, "SELECT count(*) FROM ddl_log"); n != 0 {
		t.Errorf("a second Open ran %d DDL statements", n)
	}
	// The trigger works: DDL is seen.
	if _, err := c.Exec(ctx, "CREATE TABLE probe_ddl (x int)"); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, c, "SELECT count(*) FROM ddl_log"); n != 1 {
		t.Errorf("event trigger logged %d statements for one CREATE TABLE", n)
	}
}

// restrictedRole creates a login role allowed to connect to the test's
// database, dropped at cleanup; grants are run as given.
func restrictedRole(t *testing.T, dsn string, grants ...string) string {
	t.Helper()
	admin := connect(t, dsn)
	ctx := context.Background()
	role := fmt.Sprintf("wr_share_role_%d", time.Now().UnixNano())
	const pw = "r0le-Passw0rd"
	var db string
	if err := admin.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD '"+pw+"'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := connect(t, dsn)
		_, _ = c.Exec(context.Background(), "DROP OWNED BY "+role)
		_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
	for _, g := range append([]string{"GRANT CONNECT ON DATABASE " + db + " TO %s", "GRANT USAGE ON SCHEMA public TO %s"}, grants...) {
		if _, err := admin.Exec(ctx, fmt.Sprintf(g, role)); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
	}
	return withUser(t, dsn, role, pw)
}

func TestRestrictedRoleWorksOnCurrentSchema(t *testing.T) {
	dsn := freshDB(t)
	open(t, dsn, "inc").Close() // the schema, as an owner
	rdsn := restrictedRole(t, dsn,
		"GRANT SELECT, INSERT ON warroom_events, warroom_schema TO %s",
		"GRANT USAGE ON SEQUENCE warroom_events_seq_seq TO %s")
	a := open(t, rdsn, "inc")
	b := open(t, dsn, "inc")
	cb := collect(b)
	ev := note("alice", "from the restricted role")
	a.Publish(ev)
	cb.waitIDs(t, []string{ev.ID})
	won, _, err := a.Claim(context.Background(), withID(note("warroom", "claimed"), incident.DerivedID(time.Now(), "inc", "claim")))
	if err != nil || !won {
		t.Errorf("Claim as the restricted role: won %v, %v", won, err)
	}
}

func TestBehindSchemaWithRestrictedRoleFailsClearly(t *testing.T) {
	dsn := freshDB(t)
	rdsn := restrictedRole(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := share.Open(ctx, share.Options{DSN: rdsn, Incident: "inc"})
	if err == nil {
		s.Close()
		t.Fatal("Open with a role that cannot create the schema succeeded")
	}
	var be *share.SchemaBehindError
	if !errors.As(err, &be) || be.Version != 1 || be.File != "migrations/0001_events.sql" {
		t.Fatalf("error %v (%T), want a SchemaBehindError for version 1", err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "version 1") || !strings.Contains(msg, "migrations/0001_events.sql") || !strings.Contains(msg, "permission denied") {
		t.Errorf("error does not name the version, file and cause: %s", msg)
	}
	if strings.Contains(msg, "r0le-Passw0rd") {
		t.Errorf("error leaks the password: %s", msg)
	}
	t.Log(msg)
}

func withID(ev incident.Event, id string) incident.Event { ev.ID = id; return ev }

func TestNoteArrivesAtOtherShare(t *testing.T) {
	dsn := freshDB(t)
	a, b := open(t, dsn, "inc"), open(t, dsn, "inc")
	other := open(t, dsn, "other-incident")
	ca, cb, co := collect(a), collect(b), collect(other)
	time.Sleep(200 * time.Millisecond) // listeners up
	ev := note("alice", "rolling back api \x1b[31mnow\x1b[0m password=hunter2")
	start := time.Now()
	a.Publish(ev)
	cb.waitIDs(t, []string{ev.ID})
	t.Logf("note to B in %v", cb.at[ev.ID].Sub(start))
	evs, _ := cb.snapshot()
	got := evs[0]
	if got.Kind != incident.KindNote || got.Actor != "alice" || strings.Contains(got.Summary, "\x1b") || strings.Contains(got.Summary, "hunter2") {
		t.Errorf("received %+v: want the note, sanitized and redacted", got)
	}
	if !got.Time.Equal(ev.Time) {
		t.Errorf("time %v, want %v", got.Time, ev.Time)
	}
	// A does not get its own event back; the other incident sees nothing.
	b.Publish(note("bob", "ack")) // something after, so a late echo would show
	time.Sleep(500 * time.Millisecond)
	if evs, _ := ca.snapshot(); len(evs) != 1 || evs[0].Actor != "bob" {
		t.Errorf("A received %d events (%v), want only B's", len(evs), evs)
	}
	if evs, _ := co.snapshot(); len(evs) != 0 {
		t.Errorf("a share on another incident received %d events", len(evs))
	}
	if st := a.State(); st.Status != share.StatusOK || st.Pending != 0 {
		t.Errorf("A state %+v, want ok with nothing pending", st)
	}
}

func TestSameEventFromTwoSharesIsOneRowDeliveredOnce(t *testing.T) {
	dsn := freshDB(t)
	a, b, c := open(t, dsn, "inc"), open(t, dsn, "inc"), open(t, dsn, "inc")
	cc, ca, cb := collect(c), collect(a), collect(b)
	ev := note("alice", "same fact from two consoles")
	a.Publish(ev)
	b.Publish(ev)
	marker := note("carol", "marker")
	b.Publish(marker)
	cc.waitIDs(t, []string{ev.ID, marker.ID})
	time.Sleep(300 * time.Millisecond)
	_, counts := cc.snapshot()
	if counts[ev.ID] != 1 {
		t.Errorf("C received the event %d times", counts[ev.ID])
	}
	// Neither publisher gets it back.
	for name, col := range map[string]*collector{"A": ca, "B": cb} {
		if _, m := col.snapshot(); m[ev.ID] != 0 {
			t.Errorf("%s received its own event back", name)
		}
	}
	db := connect(t, dsn)
	if n := rowCount(t, db, "SELECT count(*) FROM warroom_events WHERE id = $1", ev.ID); n != 1 {
		t.Errorf("%d rows for one event", n)
	}
}

func TestLateJoinerGetsHistory(t *testing.T) {
	dsn := freshDB(t)
	a := open(t, dsn, "inc")
	var all []string
	for i := range 500 {
		ev := note("alice", fmt.Sprintf("event %d", i))
		all = append(all, ev.ID)
		a.Publish(ev)
	}
	db := connect(t, dsn)
	deadline := time.Now().Add(30 * time.Second)
	for rowCount(t, db, "SELECT count(*) FROM warroom_events WHERE incident_id = 'inc'") < 500 {
		if time.Now().After(deadline) {
			t.Fatalf("A uploaded %d of 500 (state %+v)", rowCount(t, db, "SELECT count(*) FROM warroom_events"), a.State())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// C already has the first 100 (its journal): it gets the other 400.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := share.Open(ctx, share.Options{DSN: dsn, Incident: "inc", Seed: all[:100]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cc := collect(c)
	cc.waitIDs(t, all[100:])
	time.Sleep(300 * time.Millisecond)
	evs, counts := cc.snapshot()
	if len(evs) != 400 {
		t.Errorf("received %d events, want the 400 not seeded", len(evs))
	}
	for _, id := range all[100:] {
		if counts[id] != 1 {
			t.Errorf("event %s delivered %d times", id, counts[id])
		}
	}
	for _, id := range all[:100] {
		if counts[id] != 0 {
			t.Errorf("seeded event %s delivered", id)
		}
	}
}

func TestClaimOnceAcrossShares(t *testing.T) {
	dsn := freshDB(t)
	a, b := open(t, dsn, "inc"), open(t, dsn, "inc")
	for i := range 20 {
		at := time.Now()
		ev := incident.Event{Time: at, Actor: "warroom", Kind: incident.KindEscalation, Summary: "Paged Team Lead",
			Escalation: &incident.EscalationFields{Level: 2, Role: "Team Lead"}}
		ev.ID = incident.DerivedID(at, "inc", "escalation", fmt.Sprint(i))
		var wg sync.WaitGroup
		var wonA, wonB bool
		var errA, errB error
		wg.Go(func() { wonA, _, errA = a.Claim(context.Background(), ev) })
		wg.Go(func() { wonB, _, errB = b.Claim(context.Background(), ev) })
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("Claim: %v, %v", errA, errB)
		}
		if wonA == wonB {
			t.Fatalf("round %d: A won %v, B won %v: want exactly one", i, wonA, wonB)
		}
	}
}

// A publishes through a proxy that goes down: Publish returns at once,
// the state says failing with events pending; once the proxy is back
// everything reaches B, once.
func TestOfflinePublishUploadsLater(t *testing.T) {
	dsn := freshDB(t)
	p := newProxy(t, pgAddr(t, dsn))
	a := open(t, withHost(t, dsn, p.addr), "inc")
	b := open(t, dsn, "inc")
	cb := collect(b)
	first := note("alice", "before the cut")
	a.Publish(first)
	cb.waitIDs(t, []string{first.ID})

	p.Down()
	var ids []string
	start := time.Now()
	for i := range 50 {
		ev := note("alice", fmt.Sprintf("offline %d", i))
		ids = append(ids, ev.ID)
		a.Publish(ev)
	}
	t.Logf("50 Publish calls while offline took %v", time.Since(start))
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := a.State()
		if st.Status == share.StatusFailing && st.Pending > 0 {
			t.Logf("offline state: %+v", st)
			if strings.Contains(st.Err, "warroom-test-pw") {
				t.Errorf("state error leaks the password: %s", st.Err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state never failing with events pending: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Up()
	cb.waitIDs(t, ids)
	time.Sleep(300 * time.Millisecond)
	_, counts := cb.snapshot()
	for _, id := range append(ids, first.ID) {
		if counts[id] != 1 {
			t.Errorf("event %s delivered %d times", id, counts[id])
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		st := a.State()
		if st.Status == share.StatusOK && st.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A's state after the proxy came back: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Three shares publish 100 events/s each for 10 s: each ends with the
// union, in the same (time, ID) order.
func TestLoadThreeShares(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 10 s of load (-short)")
	}
	dsn := freshDB(t)
	const n, perSec, secs = 3, 100, 10
	shares := make([]*share.Share, n)
	cols := make([]*collector, n)
	own := make([][]incident.Event, n)
	for i := range n {
		shares[i] = open(t, dsn, "inc")
		cols[i] = collect(shares[i])
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / perSec)
			defer tick.Stop()
			for k := range perSec * secs {
				<-tick.C
				ev := note(fmt.Sprintf("actor%d", i), fmt.Sprintf("load %d/%d", i, k))
				own[i] = append(own[i], ev)
				shares[i].Publish(ev)
			}
		})
	}
	wg.Wait()
	var all []string
	for i := range n {
		for _, ev := range own[i] {
			all = append(all, ev.ID)
		}
	}
	var ref []string
	for i := range n {
		var others []string
		for j := range n {
			if j != i {
				for _, ev := range own[j] {
					others = append(others, ev.ID)
				}
			}
		}
		cols[i].waitIDs(t, others)
		got, counts := cols[i].snapshot()
		for id, c := range counts {
			if c != 1 {
				t.Errorf("share %d: %s delivered %d times", i, id, c)
			}
		}
		timeline := append(append([]incident.Event(nil), own[i]...), got...)
		share.SortEvents(timeline)
		var order []string
		for _, ev := range timeline {
			order = append(order, ev.ID)
		}
		if len(order) != len(all) {
			t.Errorf("share %d holds %d events, want %d", i, len(order), len(all))
		}
		if ref == nil {
			ref = order
		} else if !slices.Equal(ref, order) {
			t.Errorf("share %d's order differs from share 0's", i)
		}
		t.Logf("share %d: %d events received in %d batches", i, len(got), cols[i].batches)
	}
}

func TestIncidentsListsOpenOnes(t *testing.T) {
	dsn := freshDB(t)
	t0 := time.Now().UTC().Add(-10 * time.Minute)
	decl := func(title string, at time.Time) incident.Event {
		ev := incident.Declared("alice", title, incident.P1, at)
		ev.ID = incident.NewID(at)
		return ev
	}
	open1, closed := decl("API 5xx \x1b[2J spike", t0), decl("disk full", t0.Add(time.Minute))
	a := open(t, dsn, open1.ID)
	a.Publish(open1)
	n := note("bob", "looking")
	a.Publish(n)
	c := open(t, dsn, closed.ID)
	c.Publish(closed)
	res := incident.Resolution("carol", "freed space", t0.Add(2*time.Minute))
	res.ID = incident.NewID(res.Time)
	c.Publish(res)
	a.Close()
	c.Close() // flushes
	got, err := share.Incidents(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("incidents %+v: want only the open one", got)
	}
	s := got[0]
	if s.Incident != open1.ID || strings.Contains(s.Title, "\x1b") || !strings.Contains(s.Title, "API 5xx") ||
		s.Severity != "P1" || !slices.Equal(s.Actors, []string{"alice", "bob"}) || s.Events != 2 ||
		s.Age < 9*time.Minute || !s.Declared.Equal(open1.Time.Truncate(time.Microsecond)) {
		t.Errorf("summary %+v", s)
	}
}
