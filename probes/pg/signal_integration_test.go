package pg_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

func TestTerminateEndsTheBlockerAndFreesItsWaiters(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	suffix := time.Now().UnixNano()
	table := fmt.Sprintf("it_signal_%d", suffix)
	setup := connect(t, dsn, "it-setup")
	if _, err := setup.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = setup.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	holderApp, waiterApp := fmt.Sprintf("it-holder-%d", suffix), fmt.Sprintf("it-waiter-%d", suffix)
	holder := connect(t, dsn, holderApp)
	if _, err := holder.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, "UPDATE "+table+" SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	waiter := connect(t, dsn, waiterApp)
	done := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(ctx, "UPDATE "+table+" SET v = v + 10 WHERE id = 1")
		done <- err
	}()
	snap := waitFor(t, p, "a waiter blocked by the holder", func(s pg.Snapshot) bool {
		return len(find(s, waiterApp)) == 1 && len(find(s, waiterApp)[0].BlockedBy) == 1
	})
	pid := find(snap, holderApp)[0].PID

	ok, err := p.Terminate(ctx, pid)
	if err != nil || !ok {
		t.Fatalf("Terminate(%d) = %v, %v", pid, ok, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the waiter failed: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the waiter is still blocked after the holder was terminated")
	}
	waitFor(t, p, "the holder gone", func(s pg.Snapshot) bool { return len(find(s, holderApp)) == 0 })

	// Not a backend: false, no error (PostgreSQL only warns).
	if ok, err := p.Terminate(ctx, 1); ok || err != nil {
		t.Errorf("Terminate(1) = %v, %v; want false, nil", ok, err)
	}
}

func TestCancelStopsTheQueryAndKeepsTheSession(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := fmt.Sprintf("it-cancel-%d", time.Now().UnixNano())
	c := connect(t, dsn, app)
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(context.Background(), "SELECT pg_sleep(60)")
		done <- err
	}()
	snap := waitFor(t, p, "the sleeper", func(s pg.Snapshot) bool {
		ss := find(s, app)
		return len(ss) == 1 && ss[0].State == "active"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok, err := p.Cancel(ctx, find(snap, app)[0].PID); !ok || err != nil {
		t.Fatalf("Cancel = %v, %v", ok, err)
	}
	select {
	case err := <-done:
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
			t.Errorf("the query ended with %v, want query_canceled (57014)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("pg_sleep still running after Cancel")
	}
	waitFor(t, p, "the session still there, idle", func(s pg.Snapshot) bool {
		ss := find(s, app)
		return len(ss) == 1 && ss[0].State == "idle"
	})
}

func TestTerminateReportsPostgresRefusalAsIs(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin := connect(t, dsn, "it-admin")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	role := fmt.Sprintf("it_nosignal_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	var adminPID int
	if err := admin.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&adminPID); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	u.User = url.UserPassword(role, "pw")
	p := newProbe(t, u.String())
	ok, err := p.Terminate(ctx, adminPID)
	var pgErr *pgconn.PgError
	if ok || !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(err.Error(), "permission denied") && !strings.Contains(err.Error(), "must be") {
		t.Errorf("Terminate(superuser backend) as %s = %v, %v; want PostgreSQL's insufficient_privilege error", role, ok, err)
	}
}
