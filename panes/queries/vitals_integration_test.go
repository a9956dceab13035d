package queries

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/cmdtest"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/probes/pg"
)

// The vitals from real PostgreSQL: connections against the server's
// max_connections, and a running pg_sleep as the longest query.
func TestVitalsOnRealPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "vitals-it-sleeper"
	sleeper, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var maxConn string
	if err := sleeper.QueryRow(ctx, "SHOW max_connections").Scan(&maxConn); err != nil {
		t.Fatal(err)
	}
	want, err := strconv.Atoi(maxConn)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := sleeper.Exec(ctx, "SELECT pg_sleep(3)"); done <- err }()
	t.Cleanup(func() { <-done; _ = sleeper.Close(context.Background()) })

	probe, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	m := newPane(t, probe)
	deadline := time.Now().Add(20 * time.Second)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		snap, err := probe.Activity(pctx)
		pcancel()
		_, cmd := m.Update(probes.Result[pg.Snapshot]{Tag: m.pg.Tag, Gen: m.pg.Gen, Data: snap, Err: err, At: time.Now()})
		vms := cmdtest.Vitals(cmd)
		if len(vms) == 1 {
			vs := vms[0].Vitals
			conn, long := vs[0], vs[1]
			if conn.Name != incident.VitalConnections || !conn.Known() || *conn.Value < 2 || conn.Max == nil || int(*conn.Max) != want {
				t.Fatalf("connections %+v, want at least the sleeper and the probe of %d", conn, want)
			}
			if long.Name == incident.VitalLongestQuery && long.Known() && *long.Value >= 0.5 {
				return // the sleeper, half a second in
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no longest query of the sleeper; the pane shows:\n%s", m.View())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
