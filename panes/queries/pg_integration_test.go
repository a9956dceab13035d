package queries

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
)

// The pane on real PostgreSQL: a three-level lock chain shows as a tree
// rooted at the idle-in-transaction holder; K on the root, confirmed (its
// Run), ends the holder and the chain drains — checked from another
// connection.
func TestPaneTerminatesTheRootBlockerOnRealPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	open := func(app string) *pgx.Conn {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = app
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	suffix := time.Now().UnixNano()
	table := fmt.Sprintf("pane_chain_%d", suffix)
	admin := open("pane-it-admin")
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, v int); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })

	holder := open("pane-it-holder")
	if _, err := holder.Exec(ctx, "BEGIN; UPDATE "+table+" SET v = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	var holderPID int
	if err := holder.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	w1, w2 := open("pane-it-w1"), open("pane-it-w2")
	pending := 0
	// The writers end before their connections close (cleanups run last
	// registered first), whatever the test's outcome.
	t.Cleanup(func() {
		cancel()
		for ; pending > 0; pending-- {
			<-done
		}
	})
	pending++
	go func() { _, err := w1.Exec(ctx, "UPDATE "+table+" SET v = 2 WHERE id = 1"); done <- err }()
	// The second writer queues behind the first (the row's tuple lock).
	time.Sleep(200 * time.Millisecond)
	pending++
	go func() { _, err := w2.Exec(ctx, "UPDATE "+table+" SET v = 3 WHERE id = 1"); done <- err }()

	probe, err := pg.New(dsn)
	if err != nil {
		t.Fatal(err)
	}
	m := newPane(t, probe)
	press(m, "b")
	deadline := time.Now().Add(30 * time.Second)
	root := -1
	for root < 0 && time.Now().Before(deadline) {
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		snap, err := probe.Activity(pctx)
		pcancel()
		if err != nil {
			t.Fatal(err)
		}
		feed(m, snap)
		for i, r := range m.rows {
			if r.pid == holderPID && r.depth == 0 && r.blocks >= 2 {
				root = i
			}
		}
		if root < 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if root < 0 {
		t.Fatalf("no tree rooted at the holder %d: %v\n%s", holderPID, pidsOf(m.rows), m.View())
	}
	// Below the root, at depths 1 and 2: the chain.
	depths := map[int]bool{}
	for _, r := range m.rows[root+1:] {
		if r.depth == 0 {
			break
		}
		depths[r.depth] = true
	}
	if !depths[1] || !depths[2] {
		t.Errorf("not a three-level chain under %d: %v", holderPID, m.rows)
	}
	for _, r := range m.rows {
		if r.s != nil && r.s.App == pg.AppName {
			t.Errorf("the console's own session is listed: %d", r.pid)
		}
	}
	for m.cursor.Pos != root {
		press(m, "down")
	}
	a := request(t, press(m, "K"))
	if !strings.Contains(a.Title, "frees") || a.Target != pg.PIDsText(holderPID) {
		t.Errorf("action %q on %q", a.Title, a.Target)
	}
	out := a.Run(ctx, func(string) {})
	if out.Err != nil || out.Result != fmt.Sprintf("terminated %d", holderPID) {
		t.Fatalf("outcome %+v", out)
	}
	for range 2 {
		select {
		case err := <-done:
			pending--
			if err != nil {
				t.Errorf("a waiter failed: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the chain did not drain after the root was terminated")
		}
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", holderPID).Scan(&n); err != nil || n != 0 {
		t.Errorf("holder still listed by another connection: %d, %v", n, err)
	}
}
