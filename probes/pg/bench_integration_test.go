package pg

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/internal/testenv"
)

// Sessions BenchmarkActivity500 opens: 500 in all.
const (
	benchActive    = 150 // pg_sleep
	benchIdleInTxn = 100 // one of them holds the row the waiters want
	benchWaiters   = 20  // UPDATE of that row: one waits on the holder, the others on the tuple lock
	benchSessions  = 500 // the rest idle
)

// countingConn counts the bytes a connection reads and writes.
type countingConn struct {
	net.Conn
	read, written *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

// BenchmarkActivity500 polls a server with 500 client sessions: 150
// active (pg_sleep), 100 idle in transaction, 20 waiting on a row lock,
// the rest idle. It needs max_connections >= 520
// (WARROOM_PG_MAX_CONNECTIONS=600 hack/backends.sh start). It reports the
// bytes each poll receives and sends, and logs the server's side of one
// poll (EXPLAIN (ANALYZE, BUFFERS)).
func BenchmarkActivity500(b *testing.B) {
	dsn := testenv.PostgresDSN(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = admin.Close(context.Background()) })
	var maxConns int
	if err := admin.QueryRow(ctx, "SELECT current_setting('max_connections')::int").Scan(&maxConns); err != nil {
		b.Fatal(err)
	}
	if maxConns < benchSessions+20 {
		b.Skipf("max_connections is %d, want >= %d: start the server with WARROOM_PG_MAX_CONNECTIONS=600 hack/backends.sh start", maxConns, benchSessions+20)
	}
	table := fmt.Sprintf("bench_lock_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	// Open the sessions, 25 at a time.
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	conns := make([]*pgx.Conn, benchSessions)
	var wg sync.WaitGroup
	errs := make(chan error, benchSessions)
	sem := make(chan struct{}, 25)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := cfg.Copy()
			c.RuntimeParams["application_name"] = fmt.Sprintf("bench-%d", i)
			conn, err := pgx.ConnectConfig(ctx, c)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = conn
		}()
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(context.Background())
			}
		}
	}()
	for err := range errs {
		b.Fatal(err)
	}
	bg, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer func() { stop(); running.Wait() }()
	run := func(c *pgx.Conn, sql string) {
		running.Add(1)
		go func() { defer running.Done(); _, _ = c.Exec(bg, sql) }()
	}
	i := 0
	if _, err := conns[i].Exec(ctx, "BEGIN; UPDATE "+table+" SET v = v + 1 WHERE id = 1"); err != nil {
		b.Fatal(err)
	}
	for i = 1; i < benchIdleInTxn; i++ {
		if _, err := conns[i].Exec(ctx, "BEGIN; SELECT count(*) FROM pg_class"); err != nil {
			b.Fatal(err)
		}
	}
	for ; i < benchIdleInTxn+benchWaiters; i++ {
		run(conns[i], "UPDATE "+table+" SET v = v + 1 WHERE id = 1")
	}
	for ; i < benchIdleInTxn+benchWaiters+benchActive; i++ {
		run(conns[i], fmt.Sprintf("SELECT pg_sleep(3600) /* bench session %d: a query text of a realistic length, say an ORM's SELECT with its columns */", i))
	}

	pcfg, err := poolConfig(Options{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	var read, written atomic.Int64
	pcfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{KeepAlive: 5 * time.Minute}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, read: &read, written: &written}, nil
	}
	p, err := newFromConfig(ctx, pcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()

	// Wait until the server shows them all, and prepare the statement.
	deadline := time.Now().Add(60 * time.Second)
	for {
		snap, err := p.Activity(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if snap.Counts.Waiting >= benchWaiters && snap.Counts.Active >= benchActive+benchWaiters && len(snap.Sessions) >= benchActive+benchWaiters+benchIdleInTxn {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the sessions never showed: %d listed, counts %+v", len(snap.Sessions), snap.Counts)
		}
		time.Sleep(100 * time.Millisecond)
	}

	read.Store(0)
	written.Store(0)
	polls := 0
	var listed int
	for b.Loop() {
		snap, err := p.Activity(ctx)
		if err != nil {
			b.Fatal(err)
		}
		listed = len(snap.Sessions)
		polls++
	}
	b.ReportMetric(float64(read.Load())/float64(polls), "B-recv/poll")
	b.ReportMetric(float64(written.Load())/float64(polls), "B-sent/poll")
	b.ReportMetric(float64(listed), "sessions")

	var plan []string
	rows, err := p.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+ActivitySQL, p.ownPIDs())
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	// The benchmark log keeps a few lines: the times first, and the whole
	// plan in WARROOM_PG_BENCH_PLAN's file when set.
	var times []string
	for _, l := range plan {
		if strings.HasPrefix(l, "Planning Time") || strings.HasPrefix(l, "Execution Time") {
			times = append(times, l)
		}
	}
	b.Logf("server side of one poll at %d listed sessions: %s", listed, strings.Join(times, ", "))
	if path := os.Getenv("WARROOM_PG_BENCH_PLAN"); path != "" {
		if err := os.WriteFile(path, []byte(strings.Join(plan, "\n")+"\n"), 0o644); err != nil {
			b.Error(err)
		}
	}
}
