package pg

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/internal/testenv"
)

func newTestProbe(t *testing.T, o Options) *probe {
	t.Helper()
	pr, err := NewWithOptions(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	p := pr.(*probe)
	t.Cleanup(p.Close)
	return p
}

// TestPoolSessionTimeouts: the pool's own sessions run with the statement
// and lock timeouts of the options, and the server enforces them.
func TestPoolSessionTimeouts(t *testing.T) {
	p := newTestProbe(t, Options{DSN: testenv.PostgresDSN(t), StatementTimeout: 200 * time.Millisecond, LockTimeout: 150 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stmt, lock, app string
	if err := p.pool.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), current_setting('application_name')").Scan(&stmt, &lock, &app); err != nil {
		t.Fatal(err)
	}
	if stmt != "200ms" || lock != "150ms" || app != AppName {
		t.Errorf("statement_timeout %q, lock_timeout %q, application_name %q; want 200ms, 150ms, %s", stmt, lock, app, AppName)
	}
	_, err := p.pool.Exec(ctx, "SELECT pg_sleep(30)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Errorf("a 30 s query on the pool: %v, want canceled by statement_timeout (57014)", err)
	}

	def := newTestProbe(t, Options{DSN: testenv.PostgresDSN(t)})
	if err := def.pool.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&stmt, &lock); err != nil {
		t.Fatal(err)
	}
	if stmt != "5s" || lock != "2s" {
		t.Errorf("defaults: statement_timeout %q, lock_timeout %q; want 5s, 2s", stmt, lock)
	}
}

// TestActivityExcludesOwnBackends: with both pool connections open (one
// idle in a transaction, so not idle), neither is listed nor counted, and
// a signal to one of them is not sent.
func TestActivityExcludesOwnBackends(t *testing.T) {
	p := newTestProbe(t, Options{DSN: testenv.PostgresDSN(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	held, err := p.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	tx, err := held.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	heldPID := int(held.Conn().PgConn().PID())

	snap, err := p.Activity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	own := p.ownPIDs()
	if len(own) != 2 || !slices.Contains(own, int32(heldPID)) {
		t.Fatalf("own pids %v, want two with %d", own, heldPID)
	}
	for _, s := range snap.Sessions {
		if slices.Contains(own, int32(s.PID)) {
			t.Errorf("the probe lists its own backend: %+v", s)
		}
	}
	if snap.Connections < 2 {
		t.Errorf("%d connections, want ours counted", snap.Connections)
	}
	if snap.OldestXminPID != 0 && slices.Contains(own, int32(snap.OldestXminPID)) {
		t.Errorf("oldest xmin is our own pid %d", snap.OldestXminPID)
	}
	if ok, err := p.Signal(ctx, Terminate, Target{PID: heldPID}); ok || err != nil {
		t.Errorf("terminate our own backend: %v, %v; want false, nil", ok, err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Errorf("our own connection after the refused signal: %v", err)
	}
}

// planNode is EXPLAIN (FORMAT JSON)'s node, the fields looked at.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	FunctionName  string     `json:"Function Name"`
	OneTimeFilter string     `json:"One-Time Filter"`
	SubplanName   string     `json:"Subplan Name"`
	Filter        string     `json:"Filter"`
	ActualRows    *float64   `json:"Actual Rows"`
	ActualLoops   *float64   `json:"Actual Loops"`
	Plans         []planNode `json:"Plans"`
}

// path returns the nodes from n down to the first node matching ok.
func (n planNode) path(ok func(planNode) bool) []planNode {
	if ok(n) {
		return []planNode{n}
	}
	for _, c := range n.Plans {
		if p := c.path(ok); p != nil {
			return append([]planNode{n}, p...)
		}
	}
	return nil
}

// TestActivityPlanSkipsLocksWhenNobodyWaits: the pg_locks scan sits under
// a one-time filter (the uncorrelated EXISTS over lock waiters), and
// pg_blocking_pids() is not in any filter. Executed (EXPLAIN ANALYZE) with
// no waiter, pg_lock_status() never runs.
func TestActivityPlanSkipsLocksWhenNobodyWaits(t *testing.T) {
	p := newTestProbe(t, Options{DSN: testenv.PostgresDSN(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A listed session (idle in transaction) that waits for nothing: the
	// waiter check runs, and finds nobody unless another test has waiters.
	other, err := pgx.Connect(ctx, testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	if _, err := other.Exec(ctx, "BEGIN; SELECT 1"); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := p.pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+ActivitySQL, p.ownPIDs()).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN output: %v", err)
	}
	path := plans[0].Plan.path(func(n planNode) bool { return n.FunctionName == "pg_lock_status" })
	if path == nil {
		t.Fatalf("no pg_lock_status scan in the plan:\n%s", raw)
	}
	guarded := false
	for _, n := range path {
		if n.OneTimeFilter != "" {
			guarded = true
		}
	}
	if !guarded {
		t.Errorf("the pg_lock_status scan is not under a one-time filter:\n%s", raw)
	}
	scan := path[len(path)-1]
	if scan.ActualLoops == nil {
		t.Fatal("EXPLAIN ANALYZE without Actual Loops")
	}
	if *scan.ActualLoops > 1 {
		t.Errorf("pg_lock_status ran %v times in one poll, want at most once", *scan.ActualLoops)
	}
	// Whether anybody waited during that execution: the EXISTS's scan.
	check := plans[0].Plan.path(func(n planNode) bool {
		return strings.HasPrefix(n.SubplanName, "InitPlan") && strings.Contains(n.Filter, "wait_event_type = 'Lock'")
	})
	if check == nil {
		t.Fatalf("no InitPlan checking for lock waiters:\n%s", raw)
	}
	init := check[len(check)-1]
	if init.ActualLoops == nil || *init.ActualLoops != 1 {
		t.Fatalf("the waiter check ran %v times, want once (a non-idle session is listed)", init.ActualLoops)
	}
	if *init.ActualRows == 0 && *scan.ActualLoops != 0 {
		t.Errorf("nobody waited and pg_lock_status ran anyway (%v loops)", *scan.ActualLoops)
	}
	t.Logf("waiters found: %v; pg_lock_status loops: %v", *init.ActualRows, *scan.ActualLoops)
}
