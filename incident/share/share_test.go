package share_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/testenv"
	"github.com/warroom-dev/warroom/probes/pg"
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

// Runs without backends: nothing listens on a closed port. Open starts
// offline: Publish queues, the state says why, without the password.
func TestOpenUnreachableStartsOffline(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	dsn := "postgres://warroom:" + secret + "@" + testenv.ClosedAddr(t) + "/app?sslmode=disable"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := share.Open(ctx, share.Options{DSN: dsn, Incident: "inc"})
	if err != nil {
		t.Fatalf("Open on a closed port: %v, want an offline Share", err)
	}
	defer s.Close()
	if ctx.Err() != nil {
		t.Errorf("Open waited for its deadline")
	}
	st := s.State()
	if st.Status != share.StatusFailing || st.Err == "" || st.Connected {
		t.Errorf("offline state %+v: want failing with a reason, not connected", st)
	}
	if strings.Contains(st.Err, secret) {
		t.Errorf("state error leaks the password: %s", st.Err)
	}
	t.Logf("offline state: %+v", st)
	for i := range 3 {
		s.Publish(incident.Note("alice", fmt.Sprint("offline ", i), time.Now()))
	}
	if st := s.State(); st.Pending != 3 {
		t.Errorf("pending %d, want the 3 published", st.Pending)
	}
	if len(s.Peers()) != 0 {
		t.Errorf("peers while offline: %v", s.Peers())
	}
	if _, err := share.Incidents(ctx, dsn); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("Incidents: %v", err)
	}
}

// A server that accepts TCP and never answers: Open returns by its ctx
// (well before the 5 s connect timeout), offline.
func TestOpenDoesNotWaitPastContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	s, err := share.Open(ctx, share.Options{DSN: "postgres://u:pw@" + ln.Addr().String() + "/app?sslmode=disable", Incident: "inc"})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Open against a silent server: %v, want an offline Share", err)
	}
	defer s.Close()
	if took > 4*time.Second {
		t.Errorf("Open took %v with a 300ms context", took)
	}
	if st := s.State(); st.Status != share.StatusFailing {
		t.Errorf("state %+v, want failing", st)
	}
}

// Mistakes found before any connection fail Open.
func TestOpenConfigMistakesFail(t *testing.T) {
	addr := testenv.ClosedAddr(t)
	iam := &pg.IAMAuth{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}
	for name, o := range map[string]share.Options{
		"bad DSN":         {DSN: "postgres://u:pw@" + addr + "/app?sslmode=bogus", Incident: "inc"},
		"no incident":     {DSN: "postgres://u:pw@" + addr + "/app"},
		"IAM without TLS": {DSN: "postgres://u@" + addr + "/app?sslmode=disable", Incident: "inc", IAM: iam},
		"IAM no region":   {DSN: "postgres://u@" + addr + "/app?sslmode=require", Incident: "inc", IAM: &pg.IAMAuth{Credentials: aws.AnonymousCredentials{}}},
	} {
		s, err := share.Open(context.Background(), o)
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: error leaks the password: %v", name, err)
		}
	}
}

// With IAM, the pool's connections get a token: a credentials failure is
// the offline reason (the hook ran before the dial).
func TestIAMTokenHookRuns(t *testing.T) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials here")
	})
	s, err := share.Open(context.Background(), share.Options{
		DSN: "postgres://u@" + testenv.ClosedAddr(t) + "/app?sslmode=require", Incident: "inc",
		IAM: &pg.IAMAuth{Region: "eu-west-1", Credentials: creds},
	})
	if err != nil {
		t.Fatalf("Open: %v, want an offline Share", err)
	}
	defer s.Close()
	if st := s.State(); st.Status != share.StatusFailing || !strings.Contains(st.Err, "RDS IAM auth") {
		t.Errorf("state %+v: want failing on the IAM token", st)
	}
}
