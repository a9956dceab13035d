package share_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/testenv"
)

func TestMigrationsInVersionOrder(t *testing.T) {
	ms := share.Migrations()
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].File != "migrations/0001_events.sql" {
		t.Fatalf("migrations %+v: want 0001_events.sql first", ms)
	}
	for i, m := range ms {
		if m.Version != i+1 || !strings.Contains(m.SQL, "CREATE") {
			t.Errorf("migration %d: version %d (%s), want %d with SQL", i, m.Version, m.File, i+1)
		}
	}
}

func TestDecodeCleansRemoteText(t *testing.T) {
	body := `{"v":2,"id":"ignored","time":"2026-01-02T03:04:05+02:00","actor":"mallory\u001b[2J","kind":"note",` +
		`"summary":"see postgres://u:hunter2@db/x \u001b]0;pwned\u0007","detail":"line1\nDB_PASSWORD=hunter2\n\u001b[31mred"}`
	ev, err := share.Decode("row-id", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	all := ev.Actor + ev.Summary + ev.Detail
	if strings.Contains(all, "\x1b") || strings.Contains(all, "\a") || strings.Contains(all, "hunter2") {
		t.Errorf("not cleaned: %q %q %q", ev.Actor, ev.Summary, ev.Detail)
	}
	if !strings.Contains(ev.Detail, "\n") || strings.Contains(ev.Summary, "\n") {
		t.Errorf("detail should keep its lines, summary one line: %q / %q", ev.Detail, ev.Summary)
	}
	if ev.ID != "row-id" || ev.Time.Location() != time.UTC || ev.Time.Hour() != 1 {
		t.Errorf("id %q time %v: want the row's ID and UTC", ev.ID, ev.Time)
	}
	if _, err := share.Decode("x", []byte(`{"summary":"no kind"}`)); err == nil {
		t.Error("an event without kind decoded")
	}
	if _, err := share.Decode("x", []byte(`not json`)); err == nil {
		t.Error("garbage decoded")
	}
}

func TestSortEventsByTimeThenID(t *testing.T) {
	t0 := time.Unix(100, 0).UTC()
	evs := []incident.Event{{ID: "b", Time: t0}, {ID: "c", Time: t0.Add(-time.Second)}, {ID: "a", Time: t0}}
	share.SortEvents(evs)
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"c", "a", "b"}) {
		t.Errorf("order %v", ids)
	}
}

// Runs without backends: nothing listens on a closed port.
func TestOpenUnreachableFailsWithoutPassword(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	dsn := "postgres://warroom:" + secret + "@" + testenv.ClosedAddr(t) + "/app?sslmode=disable"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := share.Open(ctx, share.Options{DSN: dsn, Incident: "inc"})
	if err == nil {
		s.Close()
		t.Fatal("Open on a closed port succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open waited for its deadline: %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the password: %v", err)
	}
	if _, err := share.Incidents(ctx, dsn); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("Incidents: %v", err)
	}
}
