package pg_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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
func connect(t testing.TB, dsn, app string) *pgx.Conn {
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

// background runs sql on c in a goroutine; the channel gets its error.
// At cleanup the statement is cancelled and waited for.
func background(t testing.TB, c *pgx.Conn, sql string) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		_, err := c.Exec(ctx, sql)
		res <- err
		close(finished)
	}()
	t.Cleanup(func() { cancel(); <-finished })
	return res
}

// waitFor polls the probe until cond holds for a snapshot (or fails after a
// generous deadline: the condition is about state, not speed).
func waitFor(t testing.TB, p pg.Probe, what string, cond func(pg.Snapshot) bool) pg.Snapshot {
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
		fmt.Fprintf(&b, "\n  pid=%d app=%q state=%q wait=%q blockedBy=%v lock=%q query=%q", s.PID, s.App, s.State, s.WaitEvent, s.BlockedBy, s.Lock, s.Query)
	}
	t.Fatalf("never saw %s (last error: %v); last sessions:%s", what, lastErr, b.String())
	return last
}

// waitGone waits until pid is no longer in pg_stat_activity, as another
// plain connection sees it.
func waitGone(t testing.TB, c *pgx.Conn, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still in pg_stat_activity", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
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

func byPID(snap pg.Snapshot, pid int) (pg.Session, bool) {
	for _, s := range snap.Sessions {
		if s.PID == pid {
			return s, true
		}
	}
	return pg.Session{}, false
}

func backendPID(t testing.TB, c *pgx.Conn) int {
	t.Helper()
	var pid int
	if err := c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

func newProbe(t testing.TB, dsn string) pg.Probe {
	t.Helper()
	p, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, p)
	return p
}

func closeAtCleanup(t testing.TB, p pg.Probe) {
	if c, ok := p.(interface{ Close() }); ok {
		t.Cleanup(c.Close)
	}
}

func tag() string { return fmt.Sprintf("%d", time.Now().UnixNano()) }

func TestActivityShowsLongQueryWithGrowingDuration(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	app := "it-sleeper-" + tag()
	c := connect(t, dsn, app)
	background(t, c, "SELECT pg_sleep(60) /* warroom integration test */")

	snap := waitFor(t, p, "an active pg_sleep session", func(s pg.Snapshot) bool {
		for _, ss := range find(s, app) {
			if ss.State == "active" && strings.Contains(ss.Query, "pg_sleep(60)") {
				return true
			}
		}
		return false
	})
	s := find(snap, app)[0]
	if s.QueryStart.IsZero() || s.BackendStart.IsZero() || s.User != "postgres" || s.Database != "postgres" || s.Client != "127.0.0.1" {
		t.Errorf("session fields: %+v", s)
	}
	if !s.XactStart.Equal(s.QueryStart) {
		t.Errorf("xact_start %v, want the query's start %v (autocommit)", s.XactStart, s.QueryStart)
	}
	if s.WaitEvent != "Timeout:PgSleep" || s.WaitsOnLock() || s.BlockedBy != nil || s.Lock != "" {
		t.Errorf("wait %q, blocked by %v, lock %q: want Timeout:PgSleep and no lock", s.WaitEvent, s.BlockedBy, s.Lock)
	}
	if snap.MaxConnections <= 0 || snap.Connections < 2 || snap.Connections > snap.MaxConnections {
		t.Errorf("connections %d of max %d: want 2 <= n <= max", snap.Connections, snap.MaxConnections)
	}
	if snap.Counts.Active < 1 {
		t.Errorf("counts %+v: the sleeper is active", snap.Counts)
	}
	if snap.Stats.Xacts <= 0 || snap.Stats.BlksHit <= 0 {
		t.Errorf("stats %+v: want positive counters", snap.Stats)
	}
	for i := 1; i < len(snap.Sessions); i++ {
		if a, b := snap.Sessions[i-1].QueryStart, snap.Sessions[i].QueryStart; !a.IsZero() && !b.IsZero() && a.After(b) {
			t.Errorf("sessions not longest-running first: %v before %v", a, b)
		}
	}

	// A second poll: the same query, seen later, has run longer.
	next := waitFor(t, p, "a later snapshot", func(n pg.Snapshot) bool { return n.At.After(snap.At) })
	s2 := find(next, app)
	if len(s2) != 1 || !s2[0].QueryStart.Equal(s.QueryStart) || s2[0].PID != s.PID {
		t.Fatalf("second poll: %+v, want the same query (start %v)", s2, s.QueryStart)
	}
	if d1, d2 := snap.At.Sub(s.QueryStart), next.At.Sub(s2[0].QueryStart); d2 <= d1 || d1 < 0 {
		t.Errorf("duration %v then %v: not growing", d1, d2)
	}
}

// TestActivityClientIsLocalOnUnixSocket: a session over the server's Unix
// socket (hack/backends.sh puts it in $WARROOM_TEST_BACKENDS_DIR/pg/sock)
// has no client address: "local".
func TestActivityClientIsLocalOnUnixSocket(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	dir := os.Getenv("WARROOM_TEST_BACKENDS_DIR")
	u, err := url.Parse(dsn)
	if dir == "" || err != nil {
		t.Skip("no WARROOM_TEST_BACKENDS_DIR (hack/backends.sh's env) or the DSN is not a URL")
	}
	sock := filepath.Join(dir, "pg", "sock")
	if _, err := os.Stat(filepath.Join(sock, ".s.PGSQL."+u.Port())); err != nil {
		t.Skipf("no Unix socket: %v", err)
	}
	p := newProbe(t, dsn)
	app := "it-local-" + tag()
	c := connect(t, fmt.Sprintf("host=%s port=%s user=%s dbname=postgres", sock, u.Port(), u.User.Username()), app)
	background(t, c, "SELECT pg_sleep(60)")
	snap := waitFor(t, p, "the session over the socket", func(s pg.Snapshot) bool { return len(find(s, app)) == 1 })
	if got := find(snap, app)[0].Client; got != "local" {
		t.Errorf("client %q, want local", got)
	}
}

// TestActivityShowsThreeLevelLockChain: A holds row 1 idle in transaction;
// B updated row 2 and waits for row 1 (on A); C waits for row 2 (on B).
// Terminating A, the root, lets B finish; B's commit lets C finish.
func TestActivityShowsThreeLevelLockChain(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx := context.Background()
	id := tag()
	table := "it_chain_" + id
	admin := connect(t, dsn, "it-admin-"+id)
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0), (2, 0)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	a, b, c := connect(t, dsn, "it-a-"+id), connect(t, dsn, "it-b-"+id), connect(t, dsn, "it-c-"+id)
	pidA, pidB, pidC := backendPID(t, a), backendPID(t, b), backendPID(t, c)
	if _, err := a.Exec(ctx, "BEGIN; UPDATE "+table+" SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "BEGIN; UPDATE "+table+" SET v = v + 1 WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	doneB := background(t, b, "UPDATE "+table+" SET v = v + 10 WHERE id = 1")
	waitFor(t, p, "B waiting on A", func(s pg.Snapshot) bool {
		ss, ok := byPID(s, pidB)
		return ok && slices.Equal(ss.BlockedBy, []int{pidA})
	})
	doneC := background(t, c, "UPDATE "+table+" SET v = v + 100 WHERE id = 2")

	snap := waitFor(t, p, "the chain A <- B <- C", func(s pg.Snapshot) bool {
		sb, okB := byPID(s, pidB)
		sc, okC := byPID(s, pidC)
		return okB && okC && slices.Equal(sb.BlockedBy, []int{pidA}) && slices.Contains(sc.BlockedBy, pidB)
	})
	sa, ok := byPID(snap, pidA)
	if !ok || sa.State != "idle in transaction" || sa.XactStart.IsZero() || sa.BlockedBy != nil || sa.Lock != "" || sa.WaitsOnLock() {
		t.Errorf("A: %+v, want idle in transaction, not blocked, no lock", sa)
	}
	for _, pid := range []int{pidB, pidC} {
		s, _ := byPID(snap, pid)
		if s.State != "active" || !s.WaitsOnLock() || s.Lock == "" {
			t.Errorf("pid %d: state %q wait %q lock %q, want an active lock waiter with its lock", pid, s.State, s.WaitEvent, s.Lock)
		}
		if !strings.HasPrefix(s.Lock, "transactionid ShareLock") && !strings.HasPrefix(s.Lock, "tuple ") {
			t.Errorf("pid %d lock %q, want transactionid ShareLock (or a tuple lock)", pid, s.Lock)
		}
	}
	if root := rootOf(snap, pidC); root != pidA {
		t.Errorf("the tree's root above C is %d, want A (%d)", root, pidA)
	}
	if snap.Counts.Waiting < 2 || snap.Counts.IdleInTxn < 1 {
		t.Errorf("counts %+v: want >= 2 waiting, >= 1 idle in transaction", snap.Counts)
	}

	// Terminate the root with its target as listed.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if ok, err := p.Signal(sctx, pg.Terminate, sa.Target()); !ok || err != nil {
		t.Fatalf("terminate A: %v, %v", ok, err)
	}
	waitGone(t, admin, pidA)
	if err := <-doneB; err != nil {
		t.Fatalf("B after A was terminated: %v", err)
	}
	if _, err := b.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-doneC; err != nil {
		t.Fatalf("C after B committed: %v", err)
	}
	waitFor(t, p, "the chain resolved", func(s pg.Snapshot) bool {
		_, a := byPID(s, pidA)
		_, b := byPID(s, pidB)
		_, c := byPID(s, pidC)
		return !a && !b && !c
	})
	var v1, v2 int
	if err := admin.QueryRow(ctx, "SELECT (SELECT v FROM "+table+" WHERE id = 1), (SELECT v FROM "+table+" WHERE id = 2)").Scan(&v1, &v2); err != nil || v1 != 10 || v2 != 101 {
		t.Errorf("rows %d, %d (%v): want 10 (A rolled back, B's) and 101 (B's and C's)", v1, v2, err)
	}
}

// TestActivityShowsXminHorizon: a repeatable-read transaction left idle
// holds its snapshot's xmin while other transactions commit.
func TestActivityShowsXminHorizon(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx := context.Background()
	app := "it-xmin-" + tag()
	holder := connect(t, dsn, app)
	if _, err := holder.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1"); err != nil {
		t.Fatal(err)
	}
	other := connect(t, dsn, "it-xids-"+tag())
	for range 5 {
		if _, err := other.Exec(ctx, "SELECT txid_current()"); err != nil {
			t.Fatal(err)
		}
	}
	snap := waitFor(t, p, "the holder's xmin", func(s pg.Snapshot) bool { return len(find(s, app)) == 1 })
	h := find(snap, app)[0]
	if h.State != "idle in transaction" || h.XminAge < 5 {
		t.Errorf("holder: state %q, xmin age %d; want idle in transaction, >= 5", h.State, h.XminAge)
	}
	if snap.OldestXminAge < h.XminAge || snap.OldestXminPID == 0 {
		t.Errorf("oldest xmin %d (pid %d), want >= the holder's %d", snap.OldestXminAge, snap.OldestXminPID, h.XminAge)
	}
}

// rootOf follows the first blocker up from pid to a session that is not
// blocked (cycles stop at a repeat).
func rootOf(snap pg.Snapshot, pid int) int {
	seen := map[int]bool{}
	for !seen[pid] {
		seen[pid] = true
		s, ok := byPID(snap, pid)
		if !ok || len(s.BlockedBy) == 0 {
			return pid
		}
		// C may list A too: go up through a blocker that is itself blocked.
		next := s.BlockedBy[0]
		for _, b := range s.BlockedBy {
			if bs, ok := byPID(snap, b); ok && len(bs.BlockedBy) > 0 {
				next = b
			}
		}
		pid = next
	}
	return pid
}

// TestActivityShowsRelationLockFan: a holder locks the table, two writers
// queue on the relation lock; each is blocked by the holder alone and
// waits for "relation RowExclusiveLock on public.<table>".
func TestActivityShowsRelationLockFan(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	ctx := context.Background()
	id := tag()
	table := "it_lock_" + id
	admin := connect(t, dsn, "it-admin-"+id)
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	holder := connect(t, dsn, "it-holder-"+id)
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE "+table+" IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	holderPID := backendPID(t, holder)
	waiterApp := "it-waiter-" + id
	var done []<-chan error
	for range 2 {
		done = append(done, background(t, connect(t, dsn, waiterApp), "UPDATE "+table+" SET v = v + 10 WHERE id = 1"))
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
	want := "relation RowExclusiveLock on public." + table
	for _, w := range find(snap, waiterApp) {
		if w.State != "active" || w.WaitEvent != "Lock:relation" || w.Lock != want {
			t.Errorf("waiter: state %q wait %q lock %q; want active, Lock:relation, %q", w.State, w.WaitEvent, w.Lock, want)
		}
	}
	if _, err := holder.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for _, d := range done {
		if err := <-d; err != nil {
			t.Errorf("waiter: %v", err)
		}
	}
}

func TestUnreachableServerFailsWithoutPassword(t *testing.T) {
	// Runs without backends: nothing listens on a closed loopback port.
	const secret = "s3cret-Passw0rd"
	addr := testenv.ClosedAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	for _, dsn := range []string{
		"postgres://warroom:" + secret + "@" + addr + "/app?sslmode=disable&connect_timeout=5",
		"host=" + host + " port=" + port + " user=warroom password=" + secret + " dbname=app sslmode=disable connect_timeout=5",
	} {
		p, err := pg.New(dsn)
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("New leaks the password: %v", err)
			}
			continue
		}
		closeAtCleanup(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = p.Activity(ctx)
		cancel()
		if err == nil {
			t.Fatalf("Activity on %s: no error", incident.Redact(dsn))
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Activity waited for the context deadline instead of failing: %v", err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(pg.ErrorText(err), secret) {
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

// withoutPassword is dsn (a URL) without its password, and the password.
func withoutPassword(t *testing.T, dsn string) (*url.URL, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	return u, pw
}

// clearPGEnv empties libpq's variables for the test (t.Setenv restores them).
func clearPGEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PG") {
			t.Setenv(k, "")
		}
	}
	// No ~/.pgpass, ~/.pg_service.conf or ~/.postgresql of the machine.
	t.Setenv("HOME", t.TempDir())
}

func TestPasswordFromPgpassFile(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	clearPGEnv(t)
	u, pw := withoutPassword(t, dsn)
	passfile := filepath.Join(t.TempDir(), "pgpass")
	line := fmt.Sprintf("%s:%s:*:%s:%s\n", u.Hostname(), u.Port(), u.User.Username(), pw)
	if err := os.WriteFile(passfile, []byte("# warroom test\notherhost:5432:*:*:nope\n"+line), 0o600); err != nil {
		t.Fatal(err)
	}

	// Without the file: the server asks for a password we do not have.
	p := newProbe(t, u.String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := p.Activity(ctx); err == nil {
		t.Fatal("no password and no passfile: Activity succeeded")
	}

	t.Setenv("PGPASSFILE", passfile)
	p = newProbe(t, u.String())
	snap, err := p.Activity(ctx)
	if err != nil {
		t.Fatalf("with PGPASSFILE: %v", err)
	}
	if snap.MaxConnections <= 0 {
		t.Errorf("snapshot %+v", snap)
	}
}

func TestSettingsFromLibpqEnvironment(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	clearPGEnv(t)
	u, pw := withoutPassword(t, dsn)
	t.Run("PG variables", func(t *testing.T) {
		t.Setenv("PGHOST", u.Hostname())
		t.Setenv("PGPORT", u.Port())
		t.Setenv("PGUSER", u.User.Username())
		t.Setenv("PGPASSWORD", pw)
		t.Setenv("PGDATABASE", strings.TrimPrefix(u.Path, "/"))
		t.Setenv("PGSSLMODE", "disable")
		p := newProbe(t, "")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := p.Activity(ctx); err != nil {
			t.Fatalf("empty DSN with PG* variables: %v", err)
		}
	})
	t.Run("PGSERVICE", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "pg_service.conf")
		conf := fmt.Sprintf("[warroom-it]\nhost=%s\nport=%s\nuser=%s\npassword=%s\ndbname=%s\nsslmode=disable\n",
			u.Hostname(), u.Port(), u.User.Username(), pw, strings.TrimPrefix(u.Path, "/"))
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PGSERVICEFILE", file)
		t.Setenv("PGSERVICE", "warroom-it")
		p := newProbe(t, "")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := p.Activity(ctx); err != nil {
			t.Fatalf("PGSERVICE: %v", err)
		}
	})
}

func TestSSLRequireWithoutServerSSLFailsClearly(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("DSN is not a URL: %v", err)
	}
	pw, _ := u.User.Password()
	q := u.Query()
	q.Set("sslmode", "require")
	u.RawQuery = q.Encode()
	p := newProbe(t, u.String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = p.Activity(ctx)
	if err == nil {
		t.Fatal("sslmode=require against a server without SSL: no error")
	}
	if pw != "" && strings.Contains(err.Error(), pw) {
		t.Errorf("error leaks the password: %v", err)
	}
	if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "tls") && !strings.Contains(msg, "ssl") {
		t.Errorf("error does not say TLS/SSL: %v", err)
	}
}

// TestPostgresStoppedThenRestarted: on a private server, a poll fails
// while PostgreSQL is down, with an error that does not hold the password,
// and the same probe polls again once it is back.
func TestPostgresStoppedThenRestarted(t *testing.T) {
	b := testenv.StartBackends(t)
	p := newProbe(t, b.PostgresDSN)
	_, pw := withoutPassword(t, b.PostgresDSN)
	poll := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := p.Activity(ctx)
		return err
	}
	if err := poll(); err != nil {
		t.Fatalf("before the stop: %v", err)
	}
	b.Stop(t, testenv.Postgres)
	err := poll()
	if err == nil {
		t.Fatal("Activity succeeded with PostgreSQL stopped")
	}
	if strings.Contains(err.Error(), pw) || strings.Contains(pg.ErrorText(err), pw) {
		t.Errorf("error leaks the password: %v", err)
	}
	t.Logf("while stopped: %v", err)
	if err := poll(); err == nil {
		t.Fatal("a second poll succeeded with PostgreSQL stopped")
	} else {
		t.Logf("again: %v", err)
	}
	b.Start(t, testenv.Postgres)
	if err := poll(); err != nil {
		t.Fatalf("after the restart: %v\n%s", err, b.Log(testenv.Postgres))
	}
	// Restarted between two polls: the pool's connection is dead, the
	// next poll goes through on a new one.
	b.Stop(t, testenv.Postgres)
	b.Start(t, testenv.Postgres)
	if err := poll(); err != nil {
		t.Fatalf("after a restart between polls: %v", err)
	}
}

// An idle session that holds a session-level advisory lock (a migration
// tool between steps) is the root of its waiters: it is listed, idle,
// though idle sessions are not.
func TestIdleBlockerIsListed(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	p := newProbe(t, dsn)
	id := tag()
	key := time.Now().UnixNano() % 1_000_000_007
	holderApp, waiterApp := "it-advisory-holder-"+id, "it-advisory-waiter-"+id
	holder := connect(t, dsn, holderApp)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	background(t, connect(t, dsn, waiterApp), fmt.Sprintf("SELECT pg_advisory_lock(%d)", key))
	snap := waitFor(t, p, "the waiter behind the idle holder", func(s pg.Snapshot) bool {
		return len(find(s, waiterApp)) == 1 && len(find(s, holderApp)) == 1
	})
	h, w := find(snap, holderApp)[0], find(snap, waiterApp)[0]
	if h.State != "idle" || fmt.Sprint(w.BlockedBy) != fmt.Sprintf("[%d]", h.PID) || !strings.Contains(w.Lock, "advisory") {
		t.Errorf("holder %q, waiter blocked by %v on %q", h.State, w.BlockedBy, w.Lock)
	}
	for _, s := range snap.Sessions {
		if s.State == "idle" && s.PID != h.PID {
			t.Errorf("an idle session that blocks nobody is listed: %+v", s)
		}
	}
}

// The databases' size is read apart from the poll (asked for by the first
// one, there from a following one), then kept until SizeEvery has passed:
// not stat()ed on every poll.
func TestSizeIsReadApartAndKept(t *testing.T) {
	p := newProbe(t, testenv.PostgresDSN(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first, err := p.Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := waitFor(t, p, "the size", func(s pg.Snapshot) bool { return !s.Stats.SizeAt.IsZero() })
	if a.Stats.Bytes <= 0 || !a.Stats.SizeAt.Equal(first.At) {
		t.Fatalf("size %d read at %v, want it from the first poll's request (%v)", a.Stats.Bytes, a.Stats.SizeAt, first.At)
	}
	b, err := p.Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Stats.SizeAt.Equal(a.Stats.SizeAt) || b.Stats.Bytes != a.Stats.Bytes || !b.At.After(a.At) {
		t.Errorf("second poll re-read the size: %v then %v", a.Stats.SizeAt, b.Stats.SizeAt)
	}
}
