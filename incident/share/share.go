// Package share is the shared timeline of an incident through PostgreSQL
// (issue 15): every console inserts its events in one table and receives
// the other consoles' ones through LISTEN/NOTIFY, with a catch-up query on
// every (re)connect and every 30 s since NOTIFY is not durable. Events are
// merged by their unique IDs. Presence (who else is in the incident) is a
// heartbeat on a second channel. Open starts offline when the database
// cannot be reached and catches up once it can. See docs/share.md.
package share

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warroom-dev/warroom/incident"
	"github.com/warroom-dev/warroom/probes/pg"
)

// Channel is the NOTIFY channel; the payload is the incident ID.
const Channel = "warroom_events"

// AppName is the application_name of the share's sessions.
const AppName = "warroom-share"

// Tunables (variables so tests can shorten them; a Share reads them at Open).
var (
	backoffMin     = 250 * time.Millisecond
	backoffMax     = 10 * time.Second
	safetyCatchUp  = 30 * time.Second
	closeFlush     = 2 * time.Second
	connectTimeout = 5 * time.Second
	heartbeatEvery = 10 * time.Second // presence heartbeat while connected
	peerTimeout    = 35 * time.Second // a peer not heard for this long is gone
)

const (
	// slack: how far below the highest seq seen a notification's read
	// starts: a lower bigserial can commit after a higher one.
	slack = 10000
	// batchMax: events per INSERT.
	batchMax = 500
	// statementTimeout, idleInTxTimeout: set on every session, so no
	// query and no upload transaction hangs on a sick server.
	statementTimeout = 10 * time.Second
	idleInTxTimeout  = "10000"
)

// Options configure Open.
type Options struct {
	// DSN is a URL or key=value settings; what it leaves out comes from
	// PG* variables, .pgpass and the service file, as psql reads them.
	DSN string
	// Incident is the incident's ID (its latest declared event's ID).
	Incident string
	// Origin is this console's ID, random per process; a new one if empty.
	Origin string
	// Seed are the IDs this console already has (its local journal),
	// known before the first catch-up: see (*Share).Seed.
	Seed []string
	// Log receives the share's diagnostics (never a credential); none if nil.
	Log *slog.Logger
	// Self is this console as the others see it in Peers: Actor (the
	// label), User and Host (the OS user and hostname). Its Origin is used
	// when Origin is empty; Seen is ignored.
	Self Peer
	// IAM, when set, makes every connection's password an RDS IAM auth
	// token (TLS forced), as probes/pg does.
	IAM *pg.IAMAuth
}

// Status of the share, as the status bar shows it.
type Status string

// Statuses.
const (
	StatusOK         Status = "ok"
	StatusCatchingUp Status = "catching up"
	StatusFailing    Status = "failing"
)

// State is the share's state for the status bar.
type State struct {
	Status  Status
	Err     string    // why failing (no credentials; cleaned for display)
	Pending int       // events waiting to upload
	Since   time.Time // when Status last changed
	// Connected: the schema is checked, the listener is up (caught up) and
	// the uploader's last attempt, if any, went through.
	Connected bool
}

// Share is one console's link to the shared timeline of one incident.
type Share struct {
	pool          *pgxpool.Pool
	listenCf      *pgx.ConnConfig
	beforeConnect func(context.Context, *pgx.ConnConfig) error // IAM token hook; nil without IAM
	incident      string
	origin        string
	log           *slog.Logger

	// Timings read from the tunables at Open.
	backoffMin, backoffMax, safetyCatchUp, closeFlush, heartbeatEvery, peerTimeout time.Duration

	hello, bye []byte // presence payloads: here, leaving
	presenceID string // the incident as presence payloads carry it (capped)

	ctx        context.Context // cancelled by Close: stops the listener
	cancel     context.CancelFunc
	stopUp     chan struct{}   // closed by Close: the uploader flushes and stops
	listenDone chan struct{}   // closed when the listener has stopped
	closeCtx   context.Context // Close's budget, set before stopUp closes
	wake       chan struct{}   // cap 1: the queue grew, or the link is back
	events     chan []incident.Event
	wg         sync.WaitGroup
	once       sync.Once

	schemaSem chan struct{} // cap 1: one schema check (Migrate) at a time
	migrated  atomic.Bool   // the schema is current: uploads and reads may start
	beaten    atomic.Bool   // a heartbeat went out: Close says leaving
	reads     atomic.Int64  // event reads (catch-ups and notifications), for tests

	mu         sync.Mutex
	queue      []row               // waiting to upload, in Publish order
	delivered  map[string]struct{} // IDs this console has: never handed out
	cursor     int64               // highest seq read
	connErr    string              // the schema check failed (offline, or a config mistake)
	upErr      string
	listenErr  string
	catchingUp bool
	listening  bool
	status     Status
	since      time.Time
	peers      map[string]Peer // other consoles of the incident, by raw (capped) origin
}

// row is one event ready to insert.
type row struct {
	id   string
	at   time.Time
	body []byte
}

// Open connects to the database in o.DSN, checks the schema (migrating it
// when it is behind, see Migrate) and starts the uploader and the
// listener. It does not wait past ctx. Errors never hold the password.
//
// A database that cannot be reached (refused, timed out, DNS, ctx over)
// is no error: the Share starts offline, its State failing with the
// reason, Publish queues, and it keeps trying in the background (connect,
// schema check, upload, listen, catch up). Open fails, starting nothing,
// when the DSN does not parse, the incident ID is empty, the IAM settings
// are wrong, or the server answered with an error (authentication failed,
// no such database, permission denied, *SchemaBehindError): mistakes to
// fix before starting. Server errors that say "later" (too many
// connections, starting up, shutting down) count as unreachable.
func Open(ctx context.Context, o Options) (*Share, error) {
	if o.Incident == "" {
		return nil, errors.New("share: no incident ID")
	}
	// As the probe's pool (libpq's defaults, IAM auth), with no lock
	// timeout: consoles that start together queue on the migration's lock.
	cfg, err := pg.PoolConfig(pg.Options{DSN: o.DSN, StatementTimeout: statementTimeout, LockTimeout: -1, IAM: o.IAM}, AppName)
	if err != nil {
		return nil, wrap("parse the DSN", err)
	}
	cfg.MaxConns = 3
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTxTimeout
	listenCf := cfg.ConnConfig.Copy() // after Configure: TLS forced

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("connect", err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	origin := cmp.Or(o.Origin, o.Self.Origin, incident.NewID(time.Now()))
	self := o.Self
	self.Origin = origin
	sctx, cancel := context.WithCancel(context.Background())
	s := &Share{
		pool: pool, listenCf: listenCf, beforeConnect: cfg.BeforeConnect, incident: o.Incident, origin: origin,
		log: log.With("component", "share"), ctx: sctx, cancel: cancel,
		backoffMin: backoffMin, backoffMax: backoffMax, safetyCatchUp: safetyCatchUp, closeFlush: closeFlush,
		heartbeatEvery: heartbeatEvery, peerTimeout: peerTimeout,
		hello: presencePayload(o.Incident, self, false), bye: presencePayload(o.Incident, self, true),
		presenceID: capField(o.Incident),
		stopUp:     make(chan struct{}), listenDone: make(chan struct{}), wake: make(chan struct{}, 1),
		events:    make(chan []incident.Event, 16),
		schemaSem: make(chan struct{}, 1),
		delivered: map[string]struct{}{},
		peers:     map[string]Peer{},
		status:    StatusCatchingUp, since: time.Now(), catchingUp: true,
	}
	if err := Migrate(ctx, pool); err != nil {
		if answered(err) || errors.Is(ctx.Err(), context.Canceled) {
			cancel()
			pool.Close()
			return nil, err
		}
		s.connErr = incident.Clean(err.Error())
		s.updateLocked()
		s.log.Warn("share: database unreachable, starting offline", "err", s.connErr)
	} else {
		s.migrated.Store(true)
	}
	s.Seed(o.Seed)
	s.wg.Add(2)
	go s.uploader()
	go s.listener()
	return s, nil
}

// answered reports whether err was sent by the server (a *pgconn.PgError,
// also inside a ConnectError) and is not one that says "try later": a
// configuration mistake, not an outage.
func answered(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch {
	case strings.HasPrefix(pe.Code, "08"), // connection_exception
		strings.HasPrefix(pe.Code, "53"),       // insufficient_resources: too many connections, out of memory
		strings.HasPrefix(pe.Code, "57P"),      // admin/crash shutdown, cannot connect now (starting up)
		pe.Code == "57014",                     // query_canceled (statement timeout, our cancel)
		pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
		return false
	}
	return true
}

// ensureSchema checks the schema (migrating it, see Migrate) until once it
// is current; after that it is free. It records a failure as the State's
// reason. One check runs at a time.
func (s *Share) ensureSchema(ctx context.Context) error {
	if s.migrated.Load() {
		return nil
	}
	select {
	case s.schemaSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.schemaSem }()
	if s.migrated.Load() {
		return nil
	}
	mctx, cancel := context.WithTimeout(ctx, s.listenCf.ConnectTimeout+15*time.Second)
	defer cancel()
	if err := Migrate(mctx, s.pool); err != nil {
		if ctx.Err() == nil {
			s.setErr(&s.connErr, incident.Clean(err.Error()))
		}
		return err
	}
	s.migrated.Store(true)
	s.setErr(&s.connErr, "")
	s.log.Info("share: connected, schema current")
	return nil
}

// Origin is this console's origin ID.
func (s *Share) Origin() string { return s.origin }

// Seed records IDs this console already has (its local journal): catch-up
// never hands them out. IDs known at Open go in Options.Seed (the first
// catch-up starts at once); Seed is for those learnt later. To upload what the database lacks, the console
// also Publishes its local events at start (the insert ignores the ones
// already there).
func (s *Share) Seed(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.delivered[id] = struct{}{}
	}
}

// Publish queues ev (as the local journal stored it) for upload and
// returns at once. While the database is unreachable the queue grows and
// is retried with backoff; nothing is dropped. An event without ID or
// time gets them (NewID, now), as Append would.
func (s *Share) Publish(ev incident.Event) {
	r, err := encode(ev)
	if err != nil {
		s.log.Error("share: event not published", "id", ev.ID, "err", err)
		return
	}
	s.mu.Lock()
	s.queue = append(s.queue, r)
	s.delivered[r.id] = struct{}{}
	s.mu.Unlock()
	s.poke()
}

// encode is ev as Publish sends it: with ID and time (UTC) and version,
// and its JSON; the normalized event too.
func encode(ev incident.Event) (row, error) {
	r, _, err := encodeEvent(ev)
	return r, err
}

func encodeEvent(ev incident.Event) (row, incident.Event, error) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC()
	if ev.ID == "" {
		ev.ID = incident.NewID(ev.Time)
	}
	if ev.V == 0 {
		ev.V = incident.SchemaVersion
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return row{}, incident.Event{}, err
	}
	return row{id: ev.ID, at: ev.Time, body: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}, ev, nil
}

const insertSQL = `INSERT INTO warroom_events (incident_id, id, at, body, origin)
SELECT $1, u.id, u.at, u.body, $2
FROM unnest($3::text[], $4::timestamptz[], $5::jsonb[]) AS u(id, at, body)
ON CONFLICT (id) DO NOTHING
RETURNING id`

// insert inserts rows in one transaction with the notification; it
// returns the IDs it created.
func (s *Share) insert(ctx context.Context, rows []row) ([]string, error) {
	ids := make([]string, len(rows))
	ats := make([]time.Time, len(rows))
	bodies := make([]string, len(rows))
	for i, r := range rows {
		ids[i], ats[i], bodies[i] = r.id, r.at, string(r.body)
	}
	var created []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, insertSQL, s.incident, s.origin, ids, ats, bodies)
		if err != nil {
			return err
		}
		created, err = pgx.CollectRows(rs, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(created) > 0 {
			_, err = tx.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, s.incident)
		}
		return err
	})
	return created, err
}

// Claim inserts ev (whose ID is derived: an escalation step, the
// resolution) synchronously, so a hook runs once per incident. When the
// insert created the row, won is true and stored is ev as encoded (what
// Publish would send: ID, UTC time, version). When the row was there
// already, stored is that row's event (decoded and cleaned as Events
// hands them out), and won is true only if this Share's origin inserted
// it (a console that claimed, then failed to record it, gets its claim
// back). Either way the ID is not handed out by Events after Claim
// begins (a row another console committed before that may have been, as
// that console's version, once). err only when the database could not be
// asked, or the stored row does not decode.
func (s *Share) Claim(ctx context.Context, ev incident.Event) (won bool, stored incident.Event, err error) {
	if ev.ID == "" {
		return false, incident.Event{}, errors.New("share: Claim needs an event with a (derived) ID")
	}
	r, norm, err := encodeEvent(ev)
	if err != nil {
		return false, incident.Event{}, fmt.Errorf("share: claim: %w", err)
	}
	s.mu.Lock()
	_, had := s.delivered[r.id]
	s.delivered[r.id] = struct{}{} // before the insert: a racing read must not hand out the other console's row
	s.mu.Unlock()
	// Undecided: the ID goes back to the catch-up, which hands out the
	// other console's row if there is one (a row of ours never is).
	undecided := func() {
		if !had {
			s.mu.Lock()
			delete(s.delivered, r.id)
			s.mu.Unlock()
		}
	}
	if err := s.ensureSchema(ctx); err != nil {
		undecided()
		return false, incident.Event{}, wrap("claim", err)
	}
	created, err := s.insert(ctx, []row{r})
	if err != nil {
		undecided()
		return false, incident.Event{}, wrap("claim", err)
	}
	if len(created) == 1 {
		return true, norm, nil
	}
	var body, origin string
	if err := s.pool.QueryRow(ctx, `SELECT body::text, origin FROM warroom_events WHERE id = $1`, r.id).Scan(&body, &origin); err != nil {
		undecided()
		return false, incident.Event{}, wrap("claim: read the stored event", err)
	}
	stored, err = Decode(r.id, []byte(body))
	if err != nil {
		return false, incident.Event{}, fmt.Errorf("share: claim: the stored event %s does not decode: %s", incident.Clean(r.id), incident.Clean(err.Error()))
	}
	return origin == s.origin, stored, nil
}

// Known are the IDs of the incident's rows (an index-only read): a
// console that resumes or joins uploads only what the database lacks, so
// its count of events waiting is true.
func (s *Share) Known(ctx context.Context) (map[string]bool, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, wrap("read", err)
	}
	rs, err := s.pool.Query(ctx, `SELECT id FROM warroom_events WHERE incident_id = $1`, s.incident)
	if err != nil {
		return nil, wrap("read", err)
	}
	ids, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		return nil, wrap("read", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// uploader inserts the queue in batches, retrying with backoff.
func (s *Share) uploader() {
	defer s.wg.Done()
	backoff := s.backoffMin
	var retry <-chan time.Time
	for {
		select {
		case <-s.stopUp:
			s.flush(s.closeCtx)
			return
		case <-s.wake:
		case <-retry:
		}
		retry = nil
		if s.pending() == 0 {
			continue
		}
		if err := s.ensureSchema(s.ctx); err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("share: not connected", "pending", s.pending(), "retry_in", backoff, "err", errorText(err))
				retry = time.After(backoff)
				backoff = min(backoff*2, s.backoffMax)
			}
			continue
		}
		for {
			batch := s.nextBatch()
			if len(batch) == 0 {
				break
			}
			ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
			_, err := s.insert(ctx, batch)
			cancel()
			if err != nil {
				if s.ctx.Err() != nil {
					break
				}
				s.setErr(&s.upErr, "upload: "+errorText(err))
				s.log.Warn("share: upload failed", "pending", s.pending(), "retry_in", backoff, "err", errorText(err))
				retry = time.After(backoff)
				backoff = min(backoff*2, s.backoffMax)
				break
			}
			backoff = s.backoffMin
			s.uploaded(len(batch))
			s.setErr(&s.upErr, "")
		}
	}
}

// flush makes one last attempt at the queue, within ctx (Close's budget).
func (s *Share) flush(ctx context.Context) {
	if s.pending() == 0 {
		return
	}
	if err := s.ensureSchema(ctx); err != nil {
		s.log.Warn("share: closed with events not uploaded", "pending", s.pending(), "err", errorText(err))
		return
	}
	for {
		batch := s.nextBatch()
		if len(batch) == 0 {
			return
		}
		if _, err := s.insert(ctx, batch); err != nil {
			s.log.Warn("share: closed with events not uploaded", "pending", s.pending(), "err", errorText(err))
			return
		}
		s.uploaded(len(batch))
	}
}

// nextBatch is the head of the upload queue, at most batchMax events;
// the queue keeps them until uploaded says they are in.
func (s *Share) nextBatch() []row {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(len(s.queue), batchMax)
	return s.queue[:n:n]
}

// uploaded drops the n events at the head of the queue.
func (s *Share) uploaded(n int) {
	s.mu.Lock()
	s.queue = s.queue[n:]
	s.mu.Unlock()
}

func (s *Share) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Events delivers batches of the other consoles' events, each at most
// once per Share, in (time, ID) order within a batch, cleaned as a journal
// read cleans them. It is closed by Close.
func (s *Share) Events() <-chan []incident.Event { return s.events }

// listener keeps a LISTEN connection (both channels), catching up on
// every (re)connect and every safetyCatchUp, reading the new rows on
// event notifications, and sending and hearing presence heartbeats.
func (s *Share) listener() {
	defer s.wg.Done()
	defer close(s.listenDone)
	defer close(s.events)
	backoff := s.backoffMin
	for s.ctx.Err() == nil {
		err := s.listenOnce(&backoff)
		if s.ctx.Err() != nil {
			return
		}
		var nr *notReady
		if !errors.As(err, &nr) { // a schema failure is the State's connErr already
			s.setErr(&s.listenErr, "receive: "+errorText(err))
		}
		s.log.Warn("share: listener lost", "retry_in", backoff, "err", errorText(err))
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.backoffMax)
	}
}

// notReady: the schema check failed before the listener connected.
type notReady struct{ err error }

func (e *notReady) Error() string { return e.err.Error() }
func (e *notReady) Unwrap() error { return e.err }

// connectListener opens the LISTEN connection (with the IAM token when
// configured, as the pool does).
func (s *Share) connectListener() (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.listenCf.ConnectTimeout+time.Second)
	defer cancel()
	cc := s.listenCf.Copy()
	if s.beforeConnect != nil {
		if err := s.beforeConnect(ctx, cc); err != nil {
			return nil, err
		}
	}
	return pgx.ConnectConfig(ctx, cc)
}

// drainMax bounds the notifications taken in one burst, so a flood cannot
// hold the loop.
const drainMax = 1000

// listenOnce runs one connection until it fails.
func (s *Share) listenOnce(backoff *time.Duration) error {
	if err := s.ensureSchema(s.ctx); err != nil {
		return &notReady{err}
	}
	conn, err := s.connectListener()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(s.ctx, "LISTEN "+Channel+"; LISTEN "+PresenceChannel); err != nil {
		return err
	}
	if err := s.beat(conn, s.hello); err != nil {
		return err
	}
	lastBeat := time.Now()
	s.setCatchingUp(true)
	if err := s.catchUp(conn); err != nil {
		return err
	}
	s.setCatchingUp(false)
	s.mu.Lock()
	s.listenErr, s.listening = "", true
	s.updateLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.listening = false
		s.mu.Unlock()
	}()
	s.poke() // the link is back: upload what waits now, not at the end of a backoff
	*backoff = s.backoffMin
	nextCatchUp := time.Now().Add(s.safetyCatchUp)
	nextBeat := lastBeat.Add(s.heartbeatEvery)
	var replyAt time.Time // a new peer came: answer it soon, so it sees us before our next beat
	for {
		deadline := nextCatchUp
		for _, t := range []time.Time{nextBeat, replyAt} {
			if !t.IsZero() && t.Before(deadline) {
				deadline = t
			}
		}
		wctx, wcancel := context.WithDeadline(s.ctx, deadline)
		n, err := conn.WaitForNotification(wctx)
		wcancel()
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		if err != nil {
			if conn.IsClosed() || !(errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
				return err
			}
			now := time.Now()
			if !now.Before(nextBeat) || (!replyAt.IsZero() && !now.Before(replyAt)) {
				if err := s.beat(conn, s.hello); err != nil {
					return err
				}
				lastBeat, nextBeat, replyAt = now, now.Add(s.heartbeatEvery), time.Time{}
				s.prunePeers(now)
			}
			if !now.Before(nextCatchUp) {
				if err := s.catchUp(conn); err != nil {
					return err
				}
				nextCatchUp = time.Now().Add(s.safetyCatchUp)
			}
			continue
		}
		// Take what else has arrived already: one read for a burst.
		mine, newPeer := s.hearOne(n)
		done, dcancel := context.WithCancel(context.Background())
		dcancel()
		for range drainMax {
			m, err := conn.WaitForNotification(done)
			if err != nil || m == nil {
				break
			}
			ev, np := s.hearOne(m)
			mine, newPeer = mine || ev, newPeer || np
		}
		if newPeer && replyAt.IsZero() {
			replyAt = lastBeat.Add(min(time.Second, s.heartbeatEvery))
		}
		if mine {
			if err := s.readNew(conn); err != nil {
				return err
			}
		}
	}
}

// hearOne sorts one notification: mine reports an event notification for
// our incident (rows to read), newPeer a heartbeat from a console not in
// the peers map.
func (s *Share) hearOne(n *pgconn.Notification) (mine, newPeer bool) {
	if n == nil {
		return false, false
	}
	switch n.Channel {
	case Channel:
		return n.Payload == s.incident, false
	case PresenceChannel:
		return false, s.hear(n.Payload, time.Now())
	}
	return false, false
}

// beat sends a presence payload on conn.
func (s *Share) beat(conn *pgx.Conn, payload []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", PresenceChannel, string(payload)); err != nil {
		return err
	}
	s.beaten.Store(true)
	return nil
}

func (s *Share) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// catchUp hands out every row of the incident not delivered yet.
func (s *Share) catchUp(conn *pgx.Conn) error {
	return s.read(conn, 0)
}

// readNew hands out the rows from slack below the cursor on.
func (s *Share) readNew(conn *pgx.Conn) error {
	s.mu.Lock()
	from := s.cursor - slack
	s.mu.Unlock()
	return s.read(conn, max(from, 0))
}

// read lists the IDs of the incident's rows of other origins with seq >
// from (an index-only read), then fetches the bodies of those not yet
// delivered, and hands them out.
func (s *Share) read(conn *pgx.Conn, from int64) error {
	s.reads.Add(1)
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	rs, err := conn.Query(ctx, `SELECT seq, id FROM warroom_events WHERE incident_id = $1 AND seq > $2 AND origin <> $3`,
		s.incident, from, s.origin)
	if err != nil {
		return err
	}
	var missing []string
	var top int64
	var seq int64
	var id string
	_, err = pgx.ForEachRow(rs, []any{&seq, &id}, func() error {
		top = max(top, seq)
		s.mu.Lock()
		_, have := s.delivered[id]
		s.mu.Unlock()
		if !have {
			missing = append(missing, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cursor = max(s.cursor, top)
	s.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	rs, err = conn.Query(ctx, `SELECT id, body::text FROM warroom_events WHERE id = ANY($1)`, missing)
	if err != nil {
		return err
	}
	var body string
	var out []incident.Event
	_, err = pgx.ForEachRow(rs, []any{&id, &body}, func() error {
		ev, err := Decode(id, []byte(body))
		if err != nil {
			s.log.Warn("share: skipped a row that does not decode", "id", incident.Clean(id), "err", incident.Clean(err.Error()))
			return nil
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		return err
	}
	// Deliver only what is still new (a Publish may have raced), once.
	s.mu.Lock()
	fresh := out[:0]
	for _, ev := range out {
		if _, have := s.delivered[ev.ID]; have {
			continue
		}
		s.delivered[ev.ID] = struct{}{}
		fresh = append(fresh, ev)
	}
	s.mu.Unlock()
	if len(fresh) == 0 {
		return nil
	}
	SortEvents(fresh)
	select {
	case s.events <- fresh:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// SortEvents sorts events in the shared order: time, then ID.
func SortEvents(evs []incident.Event) {
	slices.SortFunc(evs, func(a, b incident.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Decode turns a row's body into an event as a journal read does: decoded,
// upgraded, every string sanitized and redacted (the row comes from another
// machine). Its ID is the row's. A body without kind is an error.
func Decode(id string, body []byte) (incident.Event, error) {
	var ev incident.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || ev.V <= incident.SchemaVersion {
			return incident.Event{}, err
		}
	}
	if ev.Kind == "" {
		return incident.Event{}, errors.New("event has no kind")
	}
	ev.ID = id
	ev = incident.Upgrade(ev, 0, body)
	ev.Time = ev.Time.UTC()
	return incident.CleanEvent(ev, incident.CleanString), nil
}

// State is the share's current state; safe from any goroutine.
func (s *Share) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Status: s.status, Pending: len(s.queue), Since: s.since,
		Connected: s.listening && s.connErr == "" && s.upErr == ""}
	switch {
	case s.connErr != "":
		st.Err = s.connErr
	case s.upErr != "":
		st.Err = s.upErr
	case s.listenErr != "":
		st.Err = s.listenErr
	}
	return st
}

func (s *Share) setErr(field *string, msg string) {
	s.mu.Lock()
	*field = msg
	s.updateLocked()
	s.mu.Unlock()
}

func (s *Share) setCatchingUp(v bool) {
	s.mu.Lock()
	s.catchingUp = v
	s.updateLocked()
	s.mu.Unlock()
}

func (s *Share) updateLocked() {
	st := StatusOK
	switch {
	case s.connErr != "" || s.upErr != "" || s.listenErr != "":
		st = StatusFailing
	case s.catchingUp:
		st = StatusCatchingUp
	}
	if st != s.status {
		s.status, s.since = st, time.Now()
	}
}

// Close stops the listener, and within at most 2 s makes a last upload
// attempt and tells the other consoles this one is leaving (when it ever
// reached them); then it closes the connections. Events is closed.
func (s *Share) Close() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.closeFlush)
		defer cancel()
		s.closeCtx = ctx // read by the uploader after stopUp closes
		close(s.stopUp)
		s.cancel()
		<-s.listenDone // no heartbeat of ours after the leaving one
		var bye sync.WaitGroup
		if s.beaten.Load() {
			bye.Go(func() {
				if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", PresenceChannel, string(s.bye)); err != nil {
					s.log.Debug("share: leaving not sent", "err", errorText(err))
				}
			})
		}
		s.wg.Wait()
		bye.Wait()
		// pgxpool.Close waits for every connection, even one a hung
		// server holds in a ping: the console's exit does not.
		closed := make(chan struct{})
		go func() { s.pool.Close(); close(closed) }()
		grace := 500 * time.Millisecond
		if dl, ok := ctx.Deadline(); ok {
			grace = max(grace, time.Until(dl))
		}
		select {
		case <-closed:
		case <-time.After(grace):
			s.log.Warn("share: the database does not answer; its connections are left to the exit")
		}
	})
}

// shareError is every database error the package returns: its text has
// no credentials (pg.ErrorText); it unwraps to pgx's error.
type shareError struct {
	what string
	err  error
}

func (e *shareError) Error() string { return "share: " + e.what + ": " + errorText(e.err) }
func (e *shareError) Unwrap() error { return e.err }

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return &shareError{what: what, err: err}
}

// errorText is err without credentials, on one line.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return incident.Clean(pg.ErrorText(err))
}
