package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes"
	"github.com/warroom-dev/warroom/tui/common"
)

// Unit tests of the console's side of the shared timeline (share.go). No
// backend: a share that cannot connect is one opened against a loopback
// port nothing listens on (share.Open starts offline for it).

// The status bar and the dialog show where the share's database is, never
// the password, whatever form the DSN takes.
func TestDsnWhereNeverShowsThePassword(t *testing.T) {
	isolate(t)
	// PG* variables fill what a DSN leaves out: none from this machine.
	for _, k := range []string{"PGPASSWORD", "PGUSER", "PGPORT", "PGPASSFILE", "PGSERVICEFILE", "PGSSLMODE"} {
		t.Setenv(k, "")
	}
	const pw = "Planted-pw-7"
	for _, c := range []struct{ dsn, want string }{
		{"postgres://alice:" + pw + "@db.internal:6543/ops?sslmode=disable", "db.internal:6543/ops"},
		{"postgresql://alice:" + pw + "@db.internal/ops", "db.internal:5432/ops"},
		{"postgres://alice@db.internal:6543/ops?password=" + pw, "db.internal:6543/ops"},
		{"host=db.internal port=6543 user=alice password=" + pw + " dbname=ops", "db.internal:6543/ops"},
		{"host=db.internal user=alice password='" + pw + " with space' dbname=ops", "db.internal:5432/ops"},
		{"postgres://alice:" + pw + "@[::1]:6543/ops", "[::1]:6543/ops"},
		// Does not parse: said so, and nothing of it quoted.
		{"postgres://alice:" + pw + "@db.internal:notaport/ops", "(DSN does not parse)"},
		{"host=db.internal password='" + pw, "(DSN does not parse)"},
	} {
		got := dsnWhere(c.dsn)
		if strings.Contains(got, pw) || strings.Contains(got, "alice") {
			t.Errorf("dsnWhere(%q) = %q: shows a credential", incident.Redact(c.dsn), got)
		}
		if got != c.want {
			t.Errorf("dsnWhere(%q) = %q, want %q", incident.Redact(c.dsn), got, c.want)
		}
	}
}

// The resume hint printed on exit repeats --share without its password
// (it comes from PGPASSWORD or .pgpass then), and still points at the
// same database as the same user.
func TestDsnWithoutPasswordKeepsTheRest(t *testing.T) {
	isolate(t)
	for _, k := range []string{"PGPASSWORD", "PGUSER", "PGPORT", "PGPASSFILE", "PGSERVICEFILE", "PGSSLMODE"} {
		t.Setenv(k, "")
	}
	const pw = "Planted-pw-7"
	for _, dsn := range []string{
		"postgres://alice:" + pw + "@db.internal:6543/ops?sslmode=disable",
		"postgresql://alice:" + pw + "@db.internal/ops?password=" + pw + "&sslmode=disable",
		"host=db.internal port=6543 user=alice password=" + pw + " dbname=ops",
		"host=db.internal user=alice password = " + pw + " dbname=ops",
		"host=db.internal user=alice password='" + pw + " with space' dbname=ops",
		`host=db.internal user=alice password='` + pw + `\' quoted' dbname=ops`,
		"password=" + pw + " host=db.internal user=alice dbname=ops",
	} {
		got := dsnWithoutPassword(dsn)
		if strings.Contains(got, pw) {
			t.Errorf("dsnWithoutPassword(%q) = %q: the password is still there", incident.Redact(dsn), got)
			continue
		}
		want, err := pgconn.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("%q: %v", incident.Redact(dsn), err)
		}
		c, err := pgconn.ParseConfig(got)
		if err != nil {
			t.Errorf("dsnWithoutPassword(%q) = %q does not parse: %v", incident.Redact(dsn), got, err)
			continue
		}
		if c.Host != want.Host || c.Port != want.Port || c.Database != want.Database || c.User != want.User || c.Password != "" {
			t.Errorf("dsnWithoutPassword(%q) = %q: %s@%s:%d/%s (password %v), want %s@%s:%d/%s without a password",
				incident.Redact(dsn), got, c.User, c.Host, c.Port, c.Database, c.Password != "", want.User, want.Host, want.Port, want.Database)
		}
	}
}

// userAtHost is "user@host": the OS user and this machine's host name.
func TestUserAtHostIsUserAtHost(t *testing.T) {
	got := userAtHost()
	if !regexp.MustCompile(`^[^@\s]+@[^@\s]+$`).MatchString(got) {
		t.Fatalf("userAtHost() = %q, want user@host", got)
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.HasSuffix(got, "@"+h) {
		t.Errorf("userAtHost() = %q, want the host %q after the @", got, h)
	}
	u, h := osUserHost()
	if got != u+"@"+h {
		t.Errorf("userAtHost() = %q, osUserHost() = %q, %q", got, u, h)
	}
}

// offlineSharing is the console's sharing for a new incident declared by
// actor in a fresh journal, against a database that refuses connections:
// the share starts offline, failing. It returns the sharing and the
// incident.
func offlineSharing(t *testing.T, actor string) (*sharing, incident.Session) {
	t.Helper()
	isolate(t)
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, _, _, err := incident.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	decl, err := j.Append(incident.Declared(actor, "offline share", incident.P1, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	events := []incident.Event{decl}
	s := incident.Fold(events)
	cfg := Defaults()
	cfg.Actor = actor
	cfg.Share.Postgres = "postgres://warroom:not-a-pw@" + testenv.ClosedAddr(t) + "/warroom?sslmode=disable&connect_timeout=2"
	sh, err := openSharing(cfg, s.ID, j, events, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openSharing against a refused port: %v (want an offline start)", err)
	}
	t.Cleanup(sh.Close)
	sh.publishAll(events) // as session does: the declaration waits to upload
	if st := sh.Status(); st.State.Status != probes.Failing {
		t.Fatalf("share against a refused port: status %v, want failing", st.State.Status)
	}
	return sh, s
}

// journalIDs counts the journal's events by ID (the file as on disk).
func journalIDs(t *testing.T, path string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, ev := range readEvents(t, path) {
		n[ev.ID]++
	}
	return n
}

// While the share is failing, Claim records the event here (won: a hook
// run twice beats one never run), under a new ID when fallbackNewID (a
// person's ack must not shadow another console's under the derived ID
// once the database is back), else under the derived ID; either way it is
// queued for upload.
func TestClaimFallsBackToTheLocalJournalWhileFailing(t *testing.T) {
	sh, s := offlineSharing(t, "alice")
	var _ common.Claimer = sh // what ClaimEvent looks for
	pending0 := sh.Status().Pending

	ackID := s.ResponseAckID()
	if ackID == "" {
		t.Fatal("a new incident has no response-ack ID")
	}
	ack := incident.Acknowledged("alice", "alice", 0, "Primary On-Call", time.Now())
	ack.ID = ackID
	stored, won, err := sh.Claim(ack, true)
	if err != nil || !won {
		t.Fatalf("Claim(ack, fallbackNewID) offline: won %v, err %v; want recorded here", won, err)
	}
	if stored.ID == "" || stored.ID == ackID {
		t.Errorf("fallbackNewID: stored under %q, want a new ID (not the derived %q)", stored.ID, ackID)
	}
	if stored.Kind != incident.KindAck || stored.Host != userAtHost() {
		t.Errorf("stored %+v: want the ack, stamped with this console's host", stored)
	}

	escID := incident.EscalationID(s.ID, 0)
	esc := incident.Event{ID: escID, Time: time.Now(), Actor: common.SystemActor, Kind: incident.KindEscalation,
		Summary: "Paged Primary On-Call (P1 declared)", Escalation: &incident.EscalationFields{Level: 0, Role: "Primary On-Call"}}
	stored2, won2, err := sh.Claim(esc, false)
	if err != nil || !won2 {
		t.Fatalf("Claim(escalation) offline: won %v, err %v; want recorded here", won2, err)
	}
	if stored2.ID != escID {
		t.Errorf("without fallbackNewID: stored under %q, want the derived ID %q", stored2.ID, escID)
	}

	ids := journalIDs(t, sh.j.Path())
	if ids[stored.ID] != 1 || ids[ackID] != 0 {
		t.Errorf("journal: the ack under its new ID %d time(s), under the derived ID %d time(s); want 1 and 0", ids[stored.ID], ids[ackID])
	}
	if ids[escID] != 1 {
		t.Errorf("journal: the escalation step %d time(s), want once", ids[escID])
	}
	// Append claims an event whose ID is derived (an alert any console
	// may record): offline, recorded here under that ID.
	alertID := incident.DerivedID(time.Now(), s.ID, "alert", "HighErrorRate")
	alert := incident.Event{ID: alertID, Time: time.Now(), Actor: common.SystemActor, Kind: incident.KindAlert, Summary: "HighErrorRate firing"}
	if stored3, err := sh.Append(alert); err != nil || stored3.ID != alertID {
		t.Errorf("Append(derived-ID alert) offline: %q, %v; want recorded under %q", stored3.ID, err, alertID)
	}
	if n := journalIDs(t, sh.j.Path())[alertID]; n != 1 {
		t.Errorf("journal: the derived-ID alert %d time(s), want once", n)
	}
	if got := sh.Status().Pending; got != pending0+3 {
		t.Errorf("pending uploads %d after three offline records, want %d: recorded locally must mean queued for the others", got, pending0+3)
	}
}

// Append marks with this console's user@host only the events of the
// configured actor (what a person did here); the console's own events
// (warroom), another actor's, and an event that already says where it was
// recorded keep theirs.
func TestAppendStampsHostOnlyOnTheActorsEvents(t *testing.T) {
	sh, _ := offlineSharing(t, "alice")
	host := userAtHost()
	now := time.Now()
	for _, c := range []struct {
		name string
		ev   incident.Event
		want string
	}{
		{"the actor's note", incident.Note("alice", "checked the pool", now), host},
		{"the console's own event", incident.Event{Time: now, Actor: common.SystemActor, Kind: incident.KindAlert, Summary: "5xx above 5%"}, ""},
		{"another actor's note", incident.Note("bob", "bob's note", now), ""},
		{"the actor's event with a host already", func() incident.Event {
			e := incident.Note("alice", "from elsewhere", now)
			e.Host = "alice@laptop"
			return e
		}(), "alice@laptop"},
	} {
		stored, err := sh.Append(c.ev)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if stored.Host != c.want {
			t.Errorf("%s: host %q, want %q", c.name, stored.Host, c.want)
		}
		var onDisk *incident.Event
		for _, e := range readEvents(t, sh.j.Path()) {
			if e.ID == stored.ID {
				onDisk = &e
			}
		}
		if onDisk == nil || onDisk.Host != c.want {
			t.Errorf("%s: on disk %+v, want host %q", c.name, onDisk, c.want)
		}
	}
}

// The client key's passphrase is a password too.
func TestDsnWithoutPasswordDropsSSLPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:pw@db/x?sslpassword=keypass&sslmode=require",
		"host=db user=u sslpassword=keypass password=pw dbname=x",
	} {
		got := dsnWithoutPassword(dsn)
		if strings.Contains(got, "keypass") || strings.Contains(got, "pw") || !strings.Contains(got, "db") {
			t.Errorf("dsnWithoutPassword(%q) = %q", dsn, got)
		}
	}
}
