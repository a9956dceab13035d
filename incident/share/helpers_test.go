package share_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/incident/share"
	"github.com/warroom-dev/warroom/internal/testenv"
)

var dbSeq atomic.Int64

// freshDB creates a database for this test on the test server and returns
// its superuser DSN; it is dropped at cleanup.
func freshDB(t testing.TB) string {
	t.Helper()
	base := testenv.PostgresDSN(t)
	name := fmt.Sprintf("wr_share_%d_%d", time.Now().UnixNano(), dbSeq.Add(1))
	admin := connect(t, base)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return withDB(t, base, name)
}

func withDB(t testing.TB, dsn, db string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("test DSN is not a URL: %v", err)
	}
	u.Path = "/" + db
	return u.String()
}

func withUser(t testing.TB, dsn, user, pw string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("test DSN is not a URL: %v", err)
	}
	u.User = url.UserPassword(user, pw)
	return u.String()
}

func withHost(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("test DSN is not a URL: %v", err)
	}
	u.Host = addr
	return u.String()
}

func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", incident.Redact(dsn), err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func open(t testing.TB, dsn, inc string) *share.Share {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := share.Open(ctx, share.Options{DSN: dsn, Incident: inc})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// collector drains a Share's Events, counting every delivery.
type collector struct {
	mu      sync.Mutex
	events  []incident.Event
	count   map[string]int
	batches int
	changed chan struct{}
	at      map[string]time.Time // when each ID arrived
}

func collect(s *share.Share) *collector {
	c := &collector{count: map[string]int{}, changed: make(chan struct{}, 1), at: map[string]time.Time{}}
	go func() {
		for batch := range s.Events() {
			now := time.Now()
			c.mu.Lock()
			c.batches++
			for _, ev := range batch {
				c.events = append(c.events, ev)
				c.count[ev.ID]++
				if _, ok := c.at[ev.ID]; !ok {
					c.at[ev.ID] = now
				}
			}
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

// waitIDs waits until every id has arrived (a generous deadline: the
// condition is about state, not speed).
func (c *collector) waitIDs(t testing.TB, ids []string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		c.mu.Lock()
		missing := 0
		for _, id := range ids {
			if c.count[id] == 0 {
				missing++
			}
		}
		c.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-c.changed:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d events never arrived", missing, len(ids))
		}
	}
}

func (c *collector) snapshot() ([]incident.Event, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.count))
	for k, v := range c.count {
		m[k] = v
	}
	return append([]incident.Event(nil), c.events...), m
}

func note(actor, text string) incident.Event {
	ev := incident.Note(actor, text, time.Now().UTC())
	ev.ID = incident.NewID(ev.Time)
	ev.V = incident.SchemaVersion
	return ev
}

// proxy forwards TCP connections to PostgreSQL; Down cuts them all and
// refuses new ones, Up listens again on the same address.
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
			go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
}

func (p *proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) Up() {
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func pgAddr(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("test DSN is not a URL: %v", err)
	}
	return u.Host
}

func rowCount(t testing.TB, c *pgx.Conn, q string, args ...any) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
