package pg_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

// stateOf is pid's state in pg_stat_activity seen from c ("" when gone).
func stateOf(t testing.TB, dsn string, pid int) string {
	t.Helper()
	c := connect(t, dsn, "it-observer")
	var state *string
	err := c.QueryRow(context.Background(), "SELECT coalesce(state, '?') FROM pg_stat_activity WHERE pid = $1", pid).Scan(&state)
	if err != nil {
		return ""
	}
	return *state
}

func TestCancelStopsTheQueryAndKeepsTheSession(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := "it-cancel-" + tag()
	c := connect(t, dsn, app)
	done := background(t, c, "SELECT pg_sleep(60)")
	snap := waitFor(t, p, "the sleeper", func(s pg.Snapshot) bool {
		ss := find(s, app)
		return len(ss) == 1 && ss[0].State == "active"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok, err := p.Signal(ctx, pg.Cancel, find(snap, app)[0].Target()); !ok || err != nil {
		t.Fatalf("Cancel = %v, %v", ok, err)
	}
	var pgErr *pgconn.PgError
	if err := <-done; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("the query ended with %v, want query_canceled (57014)", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Errorf("the session is gone after a cancel: %v", err)
	}
}

func TestSignalToNoBackendSendsNothing(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range []pg.Signal{pg.Cancel, pg.Terminate} {
		if ok, err := p.Signal(ctx, s, pg.Target{PID: 1}); ok || err != nil {
			t.Errorf("%v pid 1 = %v, %v; want false, nil", s, ok, err)
		}
	}
}

// TestTerminateOlderThan: two sessions whose queries are older than N
// and a young one. The list of the old ones' targets with OlderThan N ends
// exactly them; the young one, signalled with the same OlderThan, is not
// hit; a session whose query finished in between is not hit either.
func TestTerminateOlderThan(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	id := tag()
	oldApp, youngApp, doneApp := "it-old-"+id, "it-young-"+id, "it-finished-"+id
	var oldDone []<-chan error
	for range 2 {
		oldDone = append(oldDone, background(t, connect(t, dsn, oldApp), "SELECT pg_sleep(120)"))
	}
	// The old ones run for 4 s before the young one starts: the threshold
	// below sits 2 s from both.
	const gap = 4 * time.Second
	waitFor(t, p, "two old sleepers", func(s pg.Snapshot) bool {
		old := find(s, oldApp)
		return len(old) == 2 && s.At.Sub(old[0].QueryStart) >= gap && s.At.Sub(old[1].QueryStart) >= gap
	})
	// A short query, listed while it runs, then finished: its session is
	// idle when the signal comes.
	finished := connect(t, dsn, doneApp)
	finishedDone := background(t, finished, "SELECT pg_sleep(1)")
	snap := waitFor(t, p, "the short query", func(s pg.Snapshot) bool { return len(find(s, doneApp)) == 1 })
	short := find(snap, doneApp)[0].Target()
	short.OlderThan = time.Millisecond
	if err := <-finishedDone; err != nil {
		t.Fatal(err)
	}

	young := connect(t, dsn, youngApp)
	youngDone := background(t, young, "SELECT pg_sleep(120)")
	snap = waitFor(t, p, "the young sleeper", func(s pg.Snapshot) bool {
		return len(find(s, youngApp)) == 1 && len(find(s, oldApp)) == 2
	})
	y := find(snap, youngApp)[0]
	olderThan := snap.At.Sub(y.QueryStart) + gap/2

	// What the pane lists for "older than": the sessions past the threshold.
	var targets []pg.Target
	var listed []int
	for _, s := range snap.Sessions {
		if snap.At.Sub(s.QueryStart) > olderThan && (s.App == oldApp || s.App == youngApp) {
			tg := s.Target()
			tg.OlderThan = olderThan
			targets = append(targets, tg)
			listed = append(listed, s.PID)
		}
	}
	if len(targets) != 2 {
		t.Fatalf("listed %v for older than %v, want the two old sessions", listed, olderThan)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tg := range targets {
		if ok, err := p.Signal(ctx, pg.Terminate, tg); !ok || err != nil {
			t.Errorf("terminate %+v: %v, %v", tg, ok, err)
		}
	}
	youngTarget := y.Target()
	youngTarget.OlderThan = olderThan
	if ok, err := p.Signal(ctx, pg.Terminate, youngTarget); ok || err != nil {
		t.Errorf("terminate the young one with older than %v: %v, %v; want false, nil", olderThan, ok, err)
	}
	if ok, err := p.Signal(ctx, pg.Terminate, short); ok || err != nil {
		t.Errorf("terminate the finished query: %v, %v; want false, nil", ok, err)
	}

	observer := connect(t, dsn, "it-observer-"+id)
	for _, pid := range listed {
		waitGone(t, observer, pid)
	}
	for _, d := range oldDone {
		if err := <-d; err == nil {
			t.Error("an old sleeper finished without an error")
		}
	}
	if st := stateOf(t, dsn, y.PID); st != "active" {
		t.Errorf("the young sleeper is %q, want still active", st)
	}
	select {
	case err := <-youngDone:
		t.Errorf("the young sleeper ended: %v", err)
	default:
	}
	if err := finished.Ping(ctx); err != nil {
		t.Errorf("the session of the finished query is gone: %v", err)
	}
}

func TestSignalWithWrongBackendStartSendsNothing(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := "it-reused-" + tag()
	c := connect(t, dsn, app)
	done := background(t, c, "SELECT pg_sleep(60)")
	snap := waitFor(t, p, "the sleeper", func(s pg.Snapshot) bool { return len(find(s, app)) == 1 })
	s := find(snap, app)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Another backend that got the same pid has another start.
	tg := s.Target()
	tg.BackendStart = tg.BackendStart.Add(-time.Microsecond)
	for _, sig := range []pg.Signal{pg.Cancel, pg.Terminate} {
		if ok, err := p.Signal(ctx, sig, tg); ok || err != nil {
			t.Errorf("%v with a wrong backend start = %v, %v; want false, nil", sig, ok, err)
		}
	}
	if st := stateOf(t, dsn, s.PID); st != "active" {
		t.Errorf("the sleeper is %q, want still active", st)
	}
	select {
	case err := <-done:
		t.Errorf("the sleeper's query ended: %v", err)
	default:
	}
	// With its real start it is that backend.
	if ok, err := p.Signal(ctx, pg.Cancel, s.Target()); !ok || err != nil {
		t.Errorf("cancel with the right start = %v, %v", ok, err)
	}
}

func TestTerminateRefusedWithoutPgSignalBackend(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin := connect(t, dsn, "it-admin")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := tag()
	weak, victim := "it_nosignal_"+id, "it_victim_"+id
	for _, role := range []string{weak, victim} {
		if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	}
	// The role sees every session (as pg_monitor does) but may not signal
	// them. (Without pg_read_all_stats, other roles' backend_type,
	// backend_start and state read NULL: the statement matches no row.)
	if _, err := admin.Exec(ctx, "GRANT pg_read_all_stats TO "+weak); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	u.User = url.UserPassword(victim, "pw")
	victimConn := connect(t, u.String(), "it-victim-"+id)
	victimPID := backendPID(t, victimConn)

	u.User = url.UserPassword(weak, "pw")
	p := newProbe(t, u.String())
	ok, err := p.Signal(ctx, pg.Terminate, pg.Target{PID: victimPID})
	var pgErr *pgconn.PgError
	if ok || !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("terminate another role's backend as %s = %v, %v; want PostgreSQL's insufficient_privilege (42501)", weak, ok, err)
	}
	if text := pg.ErrorText(err); !strings.Contains(text, "pg_signal_backend") || !strings.Contains(err.Error(), "pg_signal_backend") {
		t.Errorf("ErrorText %q / Error %q: want PostgreSQL's message naming pg_signal_backend", text, err.Error())
	}
	t.Logf("refusal: %s", pg.ErrorText(err))
	if err := victimConn.Ping(ctx); err != nil {
		t.Errorf("the victim's session is gone: %v", err)
	}
}

// A role without pg_read_all_stats cannot read another role's backends:
// they are not listed (nothing to act on), but they are counted as
// connections and as hidden, so the pool-exhaustion check does not read
// low.
func TestOtherRolesBackendsAreCountedWhenHidden(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin := connect(t, dsn, "it-admin")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := tag()
	weak, other := "it_nostats_"+id, "it_other_"+id
	for _, role := range []string{weak, other} {
		if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	u.User = url.UserPassword(other, "pw")
	otherConn := connect(t, u.String(), "it-other-"+id)
	otherPID := backendPID(t, otherConn)
	sleepCtx, stop := context.WithCancel(ctx)
	slept := make(chan struct{})
	go func() { _, _ = otherConn.Exec(sleepCtx, "SELECT pg_sleep(30)"); close(slept) }()
	// Before the connection's own cleanup closes it (cleanups run last
	// registered first): the query ends, then the connection closes.
	t.Cleanup(func() { stop(); <-slept })

	u.User = url.UserPassword(weak, "pw")
	p := newProbe(t, u.String())
	snap := waitFor(t, p, "the other role's backend hidden", func(s pg.Snapshot) bool { return s.Hidden >= 1 })
	for _, s := range snap.Sessions {
		if s.PID == otherPID {
			t.Errorf("another role's backend is listed without pg_read_all_stats: %+v", s)
		}
	}
	// As the superuser sees it: the same backends are connections.
	full := waitFor(t, newProbe(t, dsn), "the other role's backend listed", func(s pg.Snapshot) bool {
		for _, x := range s.Sessions {
			if x.PID == otherPID {
				return true
			}
		}
		return false
	})
	if snap.Connections < snap.Hidden+1 || full.Connections-snap.Connections > 3 || snap.Connections-full.Connections > 3 {
		t.Errorf("connections %d (hidden %d) as %s, %d as the superuser: the hidden ones must count", snap.Connections, snap.Hidden, weak, full.Connections)
	}
}

// "Older than N" ends active queries only: an idle-in-transaction
// session's last query has finished, however old it is.
func TestOlderThanSparesIdleInTransaction(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := "it-idletxn-" + tag()
	c := connect(t, dsn, app)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, "BEGIN; SELECT pg_sleep(0.3)"); err != nil {
		t.Fatal(err)
	}
	snap := waitFor(t, p, "the idle-in-transaction session", func(s pg.Snapshot) bool {
		ss := find(s, app)
		return len(ss) == 1 && ss[0].State == "idle in transaction" && s.At.Sub(ss[0].QueryStart) > 500*time.Millisecond
	})
	tg := find(snap, app)[0].Target()
	tg.OlderThan = 100 * time.Millisecond
	if ok, err := p.Signal(ctx, pg.Terminate, tg); ok || err != nil {
		t.Fatalf("older-than terminate of an idle-in-transaction session = %v, %v; want false, nil", ok, err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Errorf("the idle-in-transaction session was ended: %v", err)
	}
}
