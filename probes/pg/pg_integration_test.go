package pg_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

// connect opens a session with its own application_name, closed at cleanup.
func connect(t *testing.T, dsn, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", incident.Redact(dsn), err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// waitFor polls the probe until cond holds for a snapshot (or fails after a
// generous deadline: the condition is about state, not speed).
func waitFor(t *testing.T, p pg.Probe, what string, cond func(pg.Snapshot) bool) pg.Snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last pg.Snapshot
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		snap, err := p.Activity(ctx)
		cancel()
		if err == nil && cond(snap) {
			return snap
		}
		last, lastErr = snap, err
		time.Sleep(100 * time.Millisecond)
	}
	var b strings.Builder
	for _, s := range last.Sessions {
		fmt.Fprintf(&b, "\n  pid=%d app=%q state=%q wait=%q blockedBy=%v query=%q", s.PID, s.App, s.State, s.WaitEvent, s.BlockedBy, s.Query)
	}
	t.Fatalf("never saw %s (last error: %v); last sessions:%s", what, lastErr, b.String())
	return last
}

func find(snap pg.Snapshot, app string) []pg.Session {
	var out []pg.Session
	for _, s := range snap.Sessions {
		if s.App == app {
			out = append(out, s)
		}
	}
	return out
}

func newProbe(t *testing.T, dsn string) pg.Probe {
	t.Helper()
	p, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestActivityShowsLongQuery(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := fmt.Sprintf("it-sleeper-%d", time.Now().UnixNano())
	c := connect(t, dsn, app)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SELECT pg_sleep(60) /* warroom integration test */")
		done <- err
	}()
	t.Cleanup(func() { cancel(); <-done })

	snap := waitFor(t, p, "an active pg_sleep session", func(s pg.Snapshot) bool {
		for _, ss := range find(s, app) {
			if ss.State == "active" && strings.Contains(ss.Query, "pg_sleep(60)") {
				return true
			}
		}
		return false
	})
	s := find(snap, app)[0]
	if s.QueryStart.IsZero() || s.User != "postgres" || s.Database != "postgres" {
		t.Errorf("session fields: %+v", s)
	}
	if s.WaitEvent != "Timeout:PgSleep" {
		t.Errorf("wait event %q, want Timeout:PgSleep", s.WaitEvent)
	}
	if snap.MaxConnections <= 0 || snap.Connections < 2 || snap.Connections > snap.MaxConnections {
		t.Errorf("connections %d of max %d: want 2 <= n <= max", snap.Connections, snap.MaxConnections)
	}
	for _, ss := range snap.Sessions {
		if ss.App == "warroom" {
			t.Errorf("the probe lists its own session: %+v", ss)
		}
	}
}

func TestActivityShowsLockChain(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx := context.Background()
	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	table := "it_lock_" + tag
	admin := connect(t, dsn, "it-admin-"+tag)
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	// The holder locks the table against writers, updates the row and stays
	// idle in transaction. (With a row lock alone, the second waiter would
	// queue behind the first one's tuple lock: a chain, not a fan.)
	holder := connect(t, dsn, "it-holder-"+tag)
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE "+table+" IN EXCLUSIVE MODE; UPDATE "+table+" SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	var holderPID int
	if err := holder.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}

	// Two writers queue behind it; their ROW EXCLUSIVE requests do not
	// conflict with each other, so each is blocked by the holder alone.
	waiterApp := "it-waiter-" + tag
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	for i := 0; i < 2; i++ {
		w := connect(t, dsn, waiterApp)
		go func() {
			_, err := w.Exec(wctx, "UPDATE "+table+" SET v = v + 10 WHERE id = 1")
			done <- err
		}()
	}

	snap := waitFor(t, p, "two sessions blocked by the holder", func(s pg.Snapshot) bool {
		blocked := 0
		for _, ss := range find(s, waiterApp) {
			if slices.Equal(ss.BlockedBy, []int{holderPID}) {
				blocked++
			}
		}
		return blocked == 2
	})
	h := find(snap, "it-holder-"+tag)
	if len(h) != 1 || h[0].State != "idle in transaction" || h[0].XactStart.IsZero() || len(h[0].BlockedBy) != 0 {
		t.Errorf("holder session: %+v", h)
	}
	for _, w := range find(snap, waiterApp) {
		if w.State != "active" || !strings.HasPrefix(w.WaitEvent, "Lock:") {
			t.Errorf("waiter session: state %q wait %q", w.State, w.WaitEvent)
		}
	}

	// Releasing the holder lets both waiters finish.
	if _, err := holder.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Errorf("waiter: %v", err)
		}
	}
	cancel()
	var v int
	if err := admin.QueryRow(ctx, "SELECT v FROM "+table+" WHERE id = 1").Scan(&v); err != nil || v != 21 {
		t.Errorf("v = %d (%v), want 21", v, err)
	}
}

func TestUnreachableServerFailsWithoutPassword(t *testing.T) {
	// Runs without backends: nothing listens on port 1 of loopback.
	const secret = "s3cret-Passw0rd"
	for _, dsn := range []string{
		"postgres://warroom:" + secret + "@127.0.0.1:1/app?sslmode=disable&connect_timeout=5",
		"host=127.0.0.1 port=1 user=warroom password=" + secret + " dbname=app sslmode=disable connect_timeout=5",
	} {
		p, err := pg.New(dsn)
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("New leaks the password: %v", err)
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = p.Activity(ctx)
		cancel()
		if err == nil {
			t.Fatalf("Activity on %s: no error", incident.Redact(dsn))
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Activity waited for the context deadline instead of failing: %v", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestWrongPasswordFailsWithoutPassword(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "n0t-the-Passw0rd"
	u.User = url.UserPassword(u.User.Username(), wrong)
	p := newProbe(t, u.String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Activity(ctx)
	if err == nil {
		t.Fatal("Activity with a wrong password: no error")
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("error does not say why: %v", err)
	}
}
