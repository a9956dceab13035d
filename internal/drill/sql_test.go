package drill

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/probes/pg"
)

func drillRunner(t *testing.T, c *clock) (*Scenario, pg.Runner) {
	t.Helper()
	sc := New(t0, c.Now)
	r, ok := pg.AsRunner(sc.PG())
	if !ok {
		t.Fatal("the drill's pg probe is not a pg.Runner")
	}
	return sc, r
}

func TestDrillSQLCountsConnections(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	sc, r := drillRunner(t, c)
	res, err := r.Run(context.Background(), "SELECT count(*) FROM pg_stat_activity;", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := sc.PG().Activity(context.Background())
	if len(res) != 1 || res[0].Columns[0] != "count" || res[0].Rows[0][0] != strconv.Itoa(snap.Connections) || res[0].Tag != "SELECT 1" {
		t.Fatalf("result %+v, want %d connections", res, snap.Connections)
	}
	// The shipped runbook's, with max_connections beside it.
	res, err = r.Run(context.Background(), "SELECT count(*) AS connections, current_setting('max_connections')::int AS max_connections FROM pg_stat_activity;", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0]; strings.Join(got.Columns, ",") != "connections,max_connections" || strings.Join(got.Rows[0], ",") != strconv.Itoa(snap.Connections)+",100" {
		t.Fatalf("result %+v", got)
	}
}

func TestDrillSQLListsSessions(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	_, r := drillRunner(t, c)
	// The playbook's query, as psql would be given it.
	res, err := r.Run(context.Background(), `-- slow queries
SELECT pid, now() - pg_stat_activity.query_start AS duration, query
  FROM pg_stat_activity WHERE state <> 'idle' ORDER BY duration DESC LIMIT 10;`, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	got := res[0]
	if strings.Join(got.Columns, ",") != "pid,duration,query" {
		t.Fatalf("columns %q", got.Columns)
	}
	var pids []string
	for _, row := range got.Rows {
		pids = append(pids, row[0])
	}
	// Longest first; idle pool connections left out; 4242 waits since +45s.
	if strings.Join(pids, ",") != "4100,4188,4213,4242,4257" || got.Rows[0][1] != "00:05:00" || got.Rows[1][2] == "" {
		t.Fatalf("rows %q", got.Rows)
	}
	if got.Tag != "SELECT 5" {
		t.Fatalf("tag %q", got.Tag)
	}
	// The shipped runbook's, with state and NULLS LAST.
	res, err = r.Run(context.Background(), "SELECT pid, now() - query_start AS duration, state, query FROM pg_stat_activity WHERE state <> 'idle' AND pid <> pg_backend_pid() ORDER BY duration DESC NULLS LAST LIMIT 2;", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0]; len(got.Rows) != 2 || strings.Join(got.Rows[0][:3], ",") != "4100,00:05:00,idle in transaction" {
		t.Fatalf("result %+v", got)
	}
}

// TestDrillAnswersTheShippedRunbooks runs every shipped sql step on
// pg_stat_activity against the drill: each one is answered.
func TestDrillAnswersTheShippedRunbooks(t *testing.T) {
	files, err := filepath.Glob("../../runbooks/shipped/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped runbooks: %v", err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var block []string
		in := false
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			switch {
			case !in && strings.HasPrefix(l, "```sql"):
				in, block = true, nil
			case in && l == "```":
				in = false
				sql := strings.Join(block, "\n")
				if !strings.Contains(sql, "pg_stat_activity") {
					continue
				}
				n++
				c := &clock{t: t0.Add(2 * time.Minute)}
				_, r := drillRunner(t, c)
				if _, err := r.Run(context.Background(), sql, nil, false); err != nil {
					t.Errorf("%s: %q: %v", filepath.Base(f), sql, err)
				}
			case in:
				block = append(block, l)
			}
		}
	}
	if n == 0 {
		t.Fatal("no shipped sql step reads pg_stat_activity")
	}
}

func TestDrillSQLTerminatesLongQueries(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	sc, r := drillRunner(t, c)
	ctx := context.Background()
	kill := "-- client sessions running for more than 5 minutes, except this one\nSELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE now() - query_start > interval '5 minutes' AND state <> 'idle' AND pid <> pg_backend_pid() AND backend_type = 'client backend';"
	// Read-only: refused before anything is sent.
	if _, err := r.Run(ctx, kill, nil, true); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("read-only terminate: err = %v", err)
	}
	if _, ok := sc.find(4100, c.Now()); !ok {
		t.Fatal("the refused step terminated 4100")
	}
	// 4100 has been idle in transaction for 5m at +1m: not yet older than 5 minutes.
	res, err := r.Run(ctx, kill, nil, false)
	if err != nil || len(res[0].Rows) != 0 {
		t.Fatalf("at +1m: %v %+v", err, res)
	}
	c.Set(t0.Add(90 * time.Second)) // 4100 began at -4m: 5m30s
	res, err = r.Run(ctx, kill, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Rows) != 1 || strings.Join(res[0].Rows[0], ",") != "4100,t" || strings.Join(res[0].Columns, ",") != "pid,pg_terminate_backend" {
		t.Fatalf("result %+v", res)
	}
	snap, _ := sc.PG().Activity(ctx)
	for _, s := range snap.Sessions {
		if s.PID == 4100 || s.PID == 4242 || s.PID == 4257 {
			t.Errorf("pid %d still there after the blocker's termination", s.PID)
		}
	}
}

func TestDrillSQLSignalsOnePID(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	sc, r := drillRunner(t, c)
	res, err := r.Run(context.Background(), "SELECT pg_cancel_backend($1)", []any{"4188"}, false)
	if err != nil || res[0].Rows[0][0] != "t" {
		t.Fatalf("%v %+v", err, res)
	}
	if s, _ := sc.find(4188, c.Now()); s.State != "idle" {
		t.Fatalf("4188 is %q after the cancel", s.State)
	}
}

func TestDrillSQLRefusesTheRest(t *testing.T) {
	c := &clock{t: t0.Add(time.Minute)}
	_, r := drillRunner(t, c)
	for _, sql := range []string{
		"SELECT * FROM users",
		"UPDATE api_keys SET revoked_at = NOW() WHERE id = $1",
		"SELECT pid, count(*) FROM pg_stat_activity",
		"SELECT pid FROM pg_stat_activity WHERE query ~ 'x'",
		"SELECT count(*) FROM pg_stat_activity; DROP TABLE x",
	} {
		if _, err := r.Run(context.Background(), sql, []any{"k"}, false); err == nil || !strings.Contains(err.Error(), "drill") {
			t.Errorf("%q: err = %v", sql, err)
		}
	}
}
