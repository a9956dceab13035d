package pg_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

func newRunner(t *testing.T, o pg.Options) pg.Runner {
	t.Helper()
	p, err := pg.NewWithOptions(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, p)
	r, ok := pg.AsRunner(p)
	if !ok {
		t.Fatal("the probe is not a Runner")
	}
	return r
}

// scratchTable creates a table of its own for the test, dropped at cleanup.
func scratchTable(t *testing.T, dsn string) string {
	t.Helper()
	c := connect(t, dsn, "warroom-test-setup")
	name := "run_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx := context.Background()
	if _, err := c.Exec(ctx, `CREATE TABLE `+name+` (id int PRIMARY KEY, uid uuid NOT NULL, name text, note text);
INSERT INTO `+name+` VALUES (1, '6f1c3c2e-0000-4000-8000-000000000001', 'one', NULL), (2, '6f1c3c2e-0000-4000-8000-000000000002', 'two', 'x')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+name) })
	return name
}

func TestRunnerParametersAndResults(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	tbl := scratchTable(t, dsn)
	ctx := context.Background()
	// String arguments for int and uuid columns; $2 used in the second
	// statement only (renumbered).
	res, err := r.Run(ctx, "SELECT id, name, note FROM "+tbl+" WHERE id = $1; SELECT name FROM "+tbl+" WHERE uid = $2 OR id = $1 ORDER BY id",
		[]any{"1", "6f1c3c2e-0000-4000-8000-000000000002"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	if got := res[0]; strings.Join(got.Columns, ",") != "id,name,note" || len(got.Rows) != 1 || strings.Join(got.Rows[0], ",") != "1,one,NULL" || got.Tag != "SELECT 1" {
		t.Fatalf("first result %+v", got)
	}
	if got := res[1]; len(got.Rows) != 2 || got.Rows[0][0] != "one" || got.Rows[1][0] != "two" {
		t.Fatalf("second result %+v", got)
	}
	// An injection attempt is a value, not SQL.
	res, err = r.Run(ctx, "SELECT count(*) FROM "+tbl+" WHERE name = $1", []any{"x' OR '1'='1"}, true)
	if err != nil || res[0].Rows[0][0] != "0" {
		t.Fatalf("injection: %v %+v", err, res)
	}
	// Text output of other types, rows over MaxRows, long cells.
	res, err = r.Run(ctx, "SELECT g, interval '90 seconds', repeat('é', 5000) FROM generate_series(1, 600) g", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	got := res[0]
	if !got.Truncated || len(got.Rows) != pg.MaxRows || got.Tag != "SELECT" || got.Rows[0][1] != "00:01:30" {
		t.Fatalf("truncated=%v rows=%d tag=%q first=%q", got.Truncated, len(got.Rows), got.Tag, got.Rows[0][:2])
	}
	if c := got.Rows[0][2]; len(c) > pg.MaxCell || !strings.HasSuffix(c, "…") || !strings.HasPrefix(c, "éé") {
		t.Fatalf("long cell: %d bytes", len(c))
	}
}

func TestRunnerReadOnlyRefusesWrites(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	tbl := scratchTable(t, dsn)
	ctx := context.Background()
	_, err := r.Run(ctx, "UPDATE "+tbl+" SET name = 'changed' WHERE id = $1", []any{"1"}, true)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25006" {
		t.Fatalf("err = %v, want PostgreSQL's read_only_sql_transaction", err)
	}
	// Turning the transaction read-write from inside is refused too.
	if _, err := r.Run(ctx, "SET transaction_read_only = off; UPDATE "+tbl+" SET name = 'changed'", nil, true); err == nil {
		t.Fatal("SET transaction_read_only = off turned a read-only step read-write")
	}
	if _, err := r.Run(ctx, "COMMIT; UPDATE "+tbl+" SET name = 'changed'", nil, true); err == nil {
		t.Fatal("COMMIT let a read-only step write outside its transaction")
	}
	res, err := r.Run(ctx, "SELECT name FROM "+tbl+" WHERE id = 1", nil, true)
	if err != nil || res[0].Rows[0][0] != "one" {
		t.Fatalf("row changed: %v %+v", err, res)
	}
}

func TestRunnerWritesCommitAndFailuresRollBack(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	tbl := scratchTable(t, dsn)
	ctx := context.Background()
	res, err := r.Run(ctx, "UPDATE "+tbl+" SET name = 'uno' WHERE id = $1;\nUPDATE "+tbl+" SET note = 'revoked' WHERE uid = $2", []any{"1", "6f1c3c2e-0000-4000-8000-000000000002"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Tag != "UPDATE 1" || res[1].Tag != "UPDATE 1" || len(res[0].Columns) != 0 {
		t.Fatalf("results %+v", res)
	}
	// The second statement fails: the first is rolled back.
	_, err = r.Run(ctx, "UPDATE "+tbl+" SET name = 'lost' WHERE id = 1; UPDATE no_such_table SET x = 1", nil, false)
	if err == nil || !strings.Contains(err.Error(), "statement 2 of 2") || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("err = %v", err)
	}
	res, err = r.Run(ctx, "SELECT name, note FROM "+tbl+" ORDER BY id", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Rows; got[0][0] != "uno" || got[1][1] != "revoked" {
		t.Fatalf("rows %q: the committed step is not there or the failed one is", got)
	}
}

func TestRunnerLeavesNoSessionState(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	ctx := context.Background()
	if _, err := r.Run(ctx, "SET application_name = 'hijacked'; SET statement_timeout = 0; CREATE TEMP TABLE leftover (x int)", nil, false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // whichever pool connection answers
		res, err := r.Run(ctx, "SELECT current_setting('application_name'), current_setting('statement_timeout'), to_regclass('pg_temp.leftover') IS NULL", nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(res[0].Rows[0], ","); got != pg.AppName+",5s,t" {
			t.Fatalf("session after the step: %s", got)
		}
	}
}

func TestRunnerHonoursContext(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	// A 1 s statement timeout on the pool: a step with a longer deadline
	// gets it for its transaction.
	r := newRunner(t, pg.Options{DSN: dsn, StatementTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.Run(ctx, "SELECT pg_sleep(1.5)", nil, true); err != nil {
		t.Fatalf("a 1.5 s step within a 20 s deadline: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Run(ctx, "SELECT pg_sleep(30)", nil, true)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("err = %v after %v, want the deadline's end", err, time.Since(start))
	}
	// The probe still works.
	if _, err := r.Run(context.Background(), "SELECT 1", nil, true); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyDoesNotStopSignals pins what PostgreSQL does: a read-only
// transaction refuses writes, not pg_terminate_backend. A step that
// signals backends is refused in read-only mode only by being destructive.
func TestReadOnlyDoesNotStopSignals(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	victim := connect(t, dsn, "warroom-test-victim")
	pid := backendPID(t, victim)
	res, err := r.Run(context.Background(), "SELECT pg_terminate_backend($1)", []any{strconv.Itoa(pid)}, true)
	if err != nil || res[0].Rows[0][0] != "t" {
		t.Fatalf("%v %+v", err, res)
	}
}

// TestRunnerReadOnlyCannotBeTurnedReadWrite: RESET and SET of
// transaction_read_only are refused, and what hides them (a DO block) is
// caught before the commit: the write is rolled back.
func TestRunnerReadOnlyCannotBeTurnedReadWrite(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	tbl := scratchTable(t, dsn)
	ctx := context.Background()
	for _, sql := range []string{
		"RESET transaction_read_only; UPDATE " + tbl + " SET name = 'changed'",
		"SET LOCAL transaction_read_only TO DEFAULT; UPDATE " + tbl + " SET name = 'changed'",
		"SET LOCAL \"Transaction_Read_Only\"=off; UPDATE " + tbl + " SET name = 'changed'",
		"UPDATE " + tbl + " SET name = 'changed'; RESET transaction_read_only",
	} {
		if _, err := r.Run(ctx, sql, nil, true); err == nil {
			t.Errorf("%q ran in a read-only step", sql)
		}
	}
	// Hidden in a DO block, and read-only again before the end.
	_, err := r.Run(ctx, "DO $$ BEGIN EXECUTE 'RESET transaction_read_only'; UPDATE "+tbl+
		" SET name = 'changed'; EXECUTE 'SET LOCAL transaction_read_only = on'; END $$", nil, true)
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("a DO block that wrote: err = %v, want a rollback", err)
	}
	_, err = r.Run(ctx, "DO $$ BEGIN EXECUTE 'RESET transaction_read_only'; END $$", nil, true)
	if err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Errorf("a DO block that turned the transaction read-write: err = %v", err)
	}
	res, err := r.Run(ctx, "SELECT count(*) FROM "+tbl+" WHERE name = 'changed'", nil, true)
	if err != nil || res[0].Rows[0][0] != "0" {
		t.Fatalf("rows changed: %v %+v", err, res)
	}
	// A destructive (read-write) run is not affected.
	if _, err := r.Run(ctx, "UPDATE "+tbl+" SET note = 'ok' WHERE id = 1", nil, false); err != nil {
		t.Fatal(err)
	}
}

// TestRunnerStopsAtMaxRows: a read-only query is not computed past
// MaxRows+1 rows (set_config counts the rows computed), its result says
// "more" without a count; a read-write statement runs to its end.
func TestRunnerStopsAtMaxRows(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	r := newRunner(t, pg.Options{DSN: dsn})
	ctx := context.Background()
	res, err := r.Run(ctx, "SELECT g, set_config('warroom.rows', g::text, true) FROM generate_series(1, 200000) g; SELECT current_setting('warroom.rows')::int", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0]; !got.Truncated || len(got.Rows) != pg.MaxRows || got.Tag != "SELECT" {
		t.Fatalf("truncated=%v rows=%d tag=%q", got.Truncated, len(got.Rows), got.Tag)
	}
	if n, _ := strconv.Atoi(res[1].Rows[0][0]); n > pg.MaxRows+1 {
		t.Fatalf("%d rows computed, want at most %d", n, pg.MaxRows+1)
	}
	// Not truncated: the exact count; no rows: SELECT 0.
	res, err = r.Run(ctx, "/* c */ (SELECT g FROM generate_series(1, $1::int) g); WITH x AS (SELECT 1 WHERE false) SELECT * FROM x; SHOW lock_timeout", []any{"500"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Truncated || len(res[0].Rows) != 500 || res[0].Tag != "SELECT 500" || res[1].Tag != "SELECT 0" || len(res[1].Columns) != 1 || len(res[2].Rows) != 1 {
		t.Fatalf("results %+v / %+v / %+v", res[0].Tag, res[1], res[2])
	}
	// Read-write: the statement runs to its end.
	res, err = r.Run(ctx, "SELECT g, set_config('warroom.rows', g::text, true) FROM generate_series(1, 2000) g; SELECT current_setting('warroom.rows')", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Truncated || len(res[0].Rows) != pg.MaxRows || res[0].Tag != "SELECT 2000" || res[1].Rows[0][0] != "2000" {
		t.Fatalf("read-write: truncated=%v rows=%d tag=%q computed=%v", res[0].Truncated, len(res[0].Rows), res[0].Tag, res[1].Rows)
	}
}
