// Package share is the shared timeline of an incident through PostgreSQL
// (issue 15): every console inserts its events in one table and receives
// the other consoles' ones through LISTEN/NOTIFY, with a catch-up query on
// every (re)connect and every 30 s since NOTIFY is not durable. Events are
// merged by their unique IDs. See docs/share.md.
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
	"sync"
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

// Tunables (variables so tests can shorten them).
var (
	backoffMin     = 250 * time.Millisecond
	backoffMax     = 10 * time.Second
	safetyCatchUp  = 30 * time.Second
	closeFlush     = 2 * time.Second
	connectTimeout = 5 * time.Second
)

const (
	// slack: how far below the highest seq seen a notification's read
	// starts: a lower bigserial can commit after a higher one.
	slack = 10000
	// batchMax: events per INSERT.
	batchMax = 500
	// statementTimeout, idleInTxTimeout: set on every session, so no
	// query and no upload transaction hangs on a sick server.
	statementTimeout = "10000"
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
}

// Share is one console's link to the shared timeline of one incident.
type Share struct {
	pool     *pgxpool.Pool
	listenCf *pgx.ConnConfig
	incident string
	origin   string
	log      *slog.Logger

	ctx    context.Context // cancelled by Close: stops the listener
	cancel context.CancelFunc
	stopUp chan struct{} // closed by Close: the uploader flushes and stops
	wake   chan struct{} // cap 1: the queue grew
	events chan []incident.Event
	wg     sync.WaitGroup
	once   sync.Once

	mu         sync.Mutex
	queue      []row               // waiting to upload, in Publish order
	delivered  map[string]struct{} // IDs this console has: never handed out
	cursor     int64               // highest seq read
	upErr      string
	listenErr  string
	catchingUp bool
	status     Status
	since      time.Time
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
func Open(ctx context.Context, o Options) (*Share, error) {
	if o.Incident == "" {
		return nil, errors.New("share: no incident ID")
	}
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		return nil, wrap("parse the DSN", err)
	}
	cfg.MaxConns = 3
	cfg.MinConns = 0
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = AppName
	if _, ok := cc.RuntimeParams["statement_timeout"]; !ok {
		cc.RuntimeParams["statement_timeout"] = statementTimeout
	}
	cc.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTxTimeout
	listenCf := cc.Copy()

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("connect", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	origin := o.Origin
	if origin == "" {
		origin = incident.NewID(time.Now())
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Share{
		pool: pool, listenCf: listenCf, incident: o.Incident, origin: origin,
		log: log.With("component", "share"), ctx: sctx, cancel: cancel,
		stopUp: make(chan struct{}), wake: make(chan struct{}, 1),
		events:    make(chan []incident.Event, 16),
		delivered: map[string]struct{}{},
		status:    StatusCatchingUp, since: time.Now(), catchingUp: true,
	}
	s.Seed(o.Seed)
	s.wg.Add(2)
	go s.uploader()
	go s.listener()
	return s, nil
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
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func encode(ev incident.Event) (row, error) {
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
		return row{}, err
	}
	return row{id: ev.ID, at: ev.Time, body: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}, nil
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
// resolution) synchronously: won is true only for the console whose
// insert created the row, so a hook runs once per incident.
func (s *Share) Claim(ctx context.Context, ev incident.Event) (bool, error) {
	if ev.ID == "" {
		return false, errors.New("share: Claim needs an event with a (derived) ID")
	}
	r, err := encode(ev)
	if err != nil {
		return false, fmt.Errorf("share: claim: %w", err)
	}
	created, err := s.insert(ctx, []row{r})
	if err != nil {
		return false, wrap("claim", err)
	}
	if len(created) == 1 {
		s.mu.Lock()
		s.delivered[r.id] = struct{}{}
		s.mu.Unlock()
		return true, nil
	}
	return false, nil
}

// uploader inserts the queue in batches, retrying with backoff.
func (s *Share) uploader() {
	defer s.wg.Done()
	backoff := backoffMin
	var retry <-chan time.Time
	for {
		select {
		case <-s.stopUp:
			s.flush()
			return
		case <-s.wake:
		case <-retry:
		}
		retry = nil
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
				backoff = min(backoff*2, backoffMax)
				break
			}
			backoff = backoffMin
			s.uploaded(len(batch))
			s.setErr(&s.upErr, "")
		}
	}
}

// flush makes one last attempt at the queue, for at most closeFlush.
func (s *Share) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), closeFlush)
	defer cancel()
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

// listener keeps a LISTEN connection, catching up on every (re)connect
// and every safetyCatchUp, and reading the new rows on notifications.
func (s *Share) listener() {
	defer s.wg.Done()
	defer close(s.events)
	backoff := backoffMin
	for s.ctx.Err() == nil {
		err := s.listenOnce(&backoff)
		if s.ctx.Err() != nil {
			return
		}
		s.setErr(&s.listenErr, "receive: "+errorText(err))
		s.log.Warn("share: listener lost", "retry_in", backoff, "err", errorText(err))
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// listenOnce runs one connection until it fails.
func (s *Share) listenOnce(backoff *time.Duration) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.listenCf.ConnectTimeout+time.Second)
	conn, err := pgx.ConnectConfig(ctx, s.listenCf)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(s.ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	s.setCatchingUp(true)
	if err := s.catchUp(conn); err != nil {
		return err
	}
	s.setCatchingUp(false)
	s.setErr(&s.listenErr, "")
	*backoff = backoffMin
	next := time.Now().Add(safetyCatchUp)
	for {
		wctx, wcancel := context.WithDeadline(s.ctx, next)
		n, err := conn.WaitForNotification(wctx)
		wcancel()
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		if err != nil {
			if conn.IsClosed() || !(errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
				return err
			}
			if err := s.catchUp(conn); err != nil {
				return err
			}
			next = time.Now().Add(safetyCatchUp)
			continue
		}
		mine := n.Payload == s.incident
		// Take what else has arrived already: one read for a burst.
		done, dcancel := context.WithCancel(context.Background())
		dcancel()
		for {
			m, err := conn.WaitForNotification(done)
			if err != nil || m == nil {
				break
			}
			mine = mine || m.Payload == s.incident
		}
		if mine {
			if err := s.readNew(conn); err != nil {
				return err
			}
		}
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
	st := State{Status: s.status, Pending: len(s.queue), Since: s.since}
	switch {
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
	case s.upErr != "" || s.listenErr != "":
		st = StatusFailing
	case s.catchingUp:
		st = StatusCatchingUp
	}
	if st != s.status {
		s.status, s.since = st, time.Now()
	}
}

// Close stops the listener, makes a last upload attempt of at most 2 s,
// and closes the connections. Events is closed.
func (s *Share) Close() {
	s.once.Do(func() {
		close(s.stopUp)
		s.cancel()
		s.wg.Wait()
		s.pool.Close()
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
