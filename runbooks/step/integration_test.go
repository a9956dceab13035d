package step

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
	"github.com/warroom-dev/warroom/probes/prom"
	"github.com/warroom-dev/warroom/runbooks"
)

// pgBackends is a Runner on the test server and a plain connection to
// check with, and a table of the test's own (dropped at cleanup).
func pgBackends(t *testing.T) (Backends, *pgx.Conn, string) {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	p, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.(interface{ Close() }).Close() })
	r, ok := pg.AsRunner(p)
	if !ok {
		t.Fatal("the pg probe is not a Runner")
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	tbl := "step_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := c.Exec(ctx, `CREATE TABLE `+tbl+` (id int PRIMARY KEY, key_id uuid NOT NULL, user_id bigint NOT NULL, revoked_at timestamptz);
INSERT INTO `+tbl+` SELECT g, ('6f1c3c2e-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 100 + g FROM generate_series(1, 3) g`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+tbl) })
	return Backends{PG: r}, c, tbl
}

func revoked(t *testing.T, c *pgx.Conn, tbl string) []int {
	t.Helper()
	rows, err := c.Query(context.Background(), "SELECT id FROM "+tbl+" WHERE revoked_at IS NOT NULL ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSQLStepOnPostgres(t *testing.T) {
	b, c, tbl := pgBackends(t)
	ctx := context.Background()
	step := func(code string, destructive bool, values map[string]string) (Result, []string) {
		t.Helper()
		r, err := Render(runbooks.Step{Lang: runbooks.SQL, Code: code, Destructive: destructive}, nil, values)
		if err != nil {
			t.Fatal(err)
		}
		var col collector
		return Run(ctx, b, r, destructive, col.progress), col.all()
	}

	// A read: parameters for a uuid and a bigint column, as strings.
	res, out := step("SELECT id, user_id FROM "+tbl+" WHERE key_id = '{key_id}' OR user_id = {user_id} ORDER BY id", false,
		map[string]string{"key_id": "6f1c3c2e-0000-4000-8000-000000000001", "user_id": "103"})
	if res.Err != nil || res.Summary != "2 rows" {
		t.Fatalf("result %+v, output %q", res, out)
	}
	want := []string{" id | user_id", "----+---------", " 1  | 101", " 3  | 103", "(2 rows)"}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}

	// Not destructive: PostgreSQL's read-only transaction refuses the write.
	update := "UPDATE " + tbl + " SET revoked_at = NOW() WHERE key_id = '{key_id}';\nUPDATE " + tbl + " SET revoked_at = NOW() WHERE user_id = '{user_id}';"
	vals := map[string]string{"key_id": "6f1c3c2e-0000-4000-8000-000000000001", "user_id": "102"}
	res, _ = step(update, false, vals)
	var pe *pgconn.PgError
	if !errors.As(res.Err, &pe) || pe.Code != "25006" {
		t.Fatalf("read-only UPDATE: %+v", res)
	}
	if got := revoked(t, c, tbl); len(got) != 0 {
		t.Fatalf("revoked %v after a refused step", got)
	}

	// Destructive: both UPDATEs commit, in one transaction.
	res, out = step(update, true, vals)
	if res.Err != nil || res.Summary != "UPDATE 1, UPDATE 1" {
		t.Fatalf("result %+v, output %q", res, out)
	}
	if got := revoked(t, c, tbl); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("revoked %v, want [1 2]", got)
	}

	// The second statement fails: the first is rolled back with it.
	res, _ = step("UPDATE "+tbl+" SET revoked_at = NOW() WHERE id = '{id}'; UPDATE "+tbl+" SET user_id = 'not a number' WHERE id = '{id}'", true, map[string]string{"id": "3"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "statement 2 of 2") {
		t.Fatalf("result %+v", res)
	}
	if got := revoked(t, c, tbl); len(got) != 2 {
		t.Fatalf("revoked %v: the failed step's first UPDATE stayed", got)
	}

	// An injection attempt is a value.
	res, _ = step("SELECT count(*) FROM "+tbl+" WHERE id::text = '{id}'", false, map[string]string{"id": "1' OR '1'='1"})
	if res.Err != nil || res.Summary != "1 row" {
		t.Fatalf("result %+v", res)
	}
	res, out = step("SELECT count(*) FROM "+tbl+" WHERE id::text = '{id}'", false, map[string]string{"id": "1' OR '1'='1"})
	if out[2] != " 0" {
		t.Fatalf("the injection matched rows: %q", out)
	}
}

func TestSQLStepWithoutPostgres(t *testing.T) {
	res := Run(context.Background(), Backends{}, Rendered{Lang: runbooks.SQL, Text: "SELECT 1"}, false, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "--postgres") {
		t.Fatalf("result %+v", res)
	}
}

func TestPromQLStepOnPrometheus(t *testing.T) {
	url := testenv.PrometheusURL(t)
	p, err := prom.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := Backends{Prom: p}
	r, err := Render(runbooks.Step{Lang: runbooks.PromQL, Code: `up{job="{job}", namespace="{namespace}"}`}, nil,
		map[string]string{"job": "api", "namespace": "agent-platform"})
	if err != nil {
		t.Fatal(err)
	}
	// The first scrape comes a few seconds after Prometheus starts.
	var res Result
	var out []string
	for deadline := time.Now().Add(40 * time.Second); ; {
		var col collector
		res, out = Run(context.Background(), b, r, false, col.progress), nil
		out = col.all()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if res.Summary != "0 series" || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if res.Summary != "1 series" || len(out) != 3 {
		t.Fatalf("result %+v, output %q", res, out)
	}
	if !strings.HasPrefix(out[2], ` up{instance="127.0.0.1:`) || !strings.Contains(out[2], `job="api", namespace="agent-platform", service="api"} | 1`) {
		t.Fatalf("row %q", out[2])
	}
	// A value cannot widen the selector.
	r, err = Render(runbooks.Step{Lang: runbooks.PromQL, Code: `up{job="{job}"}`}, nil, map[string]string{"job": `api"} or up{job=~".*`})
	if err != nil {
		t.Fatal(err)
	}
	if res := Run(context.Background(), b, r, false, nil); res.Err != nil || res.Summary != "0 series" {
		t.Fatalf("result %+v for %s", res, r.Text)
	}
	// Prometheus' own error.
	res = Run(context.Background(), b, Rendered{Lang: runbooks.PromQL, Text: "sum("}, false, nil)
	if res.Err == nil || res.Summary != "failed" {
		t.Fatalf("result %+v", res)
	}
}
