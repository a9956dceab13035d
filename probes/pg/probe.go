package pg

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warroom-dev/warroom/incident"
)

var redact = incident.Redact

// Defaults of Options and the pool.
const (
	DefaultStatementTimeout = 5 * time.Second
	DefaultLockTimeout      = 2 * time.Second
	// AppName is the application_name of the probe's own sessions.
	AppName        = "warroom"
	maxConns       = 2
	connectTimeout = 5 * time.Second
)

// Options configure a probe.
type Options struct {
	// DSN is a URL (postgres://…) or key=value settings. What it leaves
	// out comes from libpq's variables and files as psql reads them:
	// PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE,
	// PGSSLROOTCERT…, PGPASSFILE or ~/.pgpass, PGSERVICE with
	// PGSERVICEFILE or ~/.pg_service.conf. Empty: all of it from there.
	DSN string
	// StatementTimeout and LockTimeout are set on the probe's own
	// sessions (statement_timeout, lock_timeout): a poll or a signal
	// never hangs on a sick server. Zero: the DSN's setting if it has
	// one, else DefaultStatementTimeout and DefaultLockTimeout.
	// Negative: none (0, PostgreSQL's "disabled").
	StatementTimeout, LockTimeout time.Duration
	// IAM, when set, authenticates with RDS IAM auth tokens instead of
	// a password (see IAMAuth).
	IAM *IAMAuth
}

type probe struct {
	pool *pgxpool.Pool

	mu   sync.Mutex
	pids map[uint32]bool // backends of the pool's open connections

	// The databases' size, read every SizeEvery (SizeSQL) in the
	// background; sizeTried is when it was last asked for (the poll's
	// time), sizeAt the poll time of the last reading.
	sizeMu     sync.Mutex
	size       int64
	sizeAt     time.Time
	sizeTried  time.Time
	sizeBusy   bool
	sizeFailed bool
}

// New is NewWithOptions with dsn and the default timeouts.
func New(dsn string) (Probe, error) {
	return NewWithOptions(context.Background(), Options{DSN: dsn})
}

// NewWithOptions parses the settings and makes a small pool: two
// connections at most, application_name "warroom", a 5 s connect timeout
// unless the DSN sets connect_timeout, and the statement and lock
// timeouts. It does not connect until the first query. Errors never hold
// the password. The concrete value also has Close() (the pool's).
func NewWithOptions(ctx context.Context, o Options) (Probe, error) {
	cfg, err := poolConfig(o)
	if err != nil {
		return nil, err
	}
	p, err := newFromConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// newFromConfig adds the hooks that track the pool's backends.
func newFromConfig(ctx context.Context, cfg *pgxpool.Config) (*probe, error) {
	p := &probe{pids: map[uint32]bool{}}
	var err error
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		p.mu.Lock()
		p.pids[c.PgConn().PID()] = true
		p.mu.Unlock()
		return nil
	}
	cfg.BeforeClose = func(c *pgx.Conn) {
		p.mu.Lock()
		delete(p.pids, c.PgConn().PID())
		p.mu.Unlock()
	}
	p.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap(err)
	}
	return p, nil
}

// poolConfig is the pool's configuration without the hooks that need the
// probe: parsing, limits, runtime parameters and IAM.
func poolConfig(o Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		return nil, wrap(err)
	}
	cfg.MaxConns = maxConns
	cfg.MinConns = 0
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = AppName
	setTimeout(cc.RuntimeParams, "statement_timeout", o.StatementTimeout, DefaultStatementTimeout)
	setTimeout(cc.RuntimeParams, "lock_timeout", o.LockTimeout, DefaultLockTimeout)
	if o.IAM != nil {
		if err := o.IAM.configure(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// PoolConfig is the pool configuration the probe's own pool gets (the
// DSN with libpq's defaults, the timeouts, IAM auth), for another part of
// the console that talks to PostgreSQL under its own application_name
// (the shared timeline).
func PoolConfig(o Options, appName string) (*pgxpool.Config, error) {
	cfg, err := poolConfig(o)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = appName
	return cfg, nil
}

// setTimeout sets a timeout parameter in milliseconds: d when given, else
// the DSN's own, else def.
func setTimeout(params map[string]string, name string, d, def time.Duration) {
	switch {
	case d < 0:
		params[name] = "0"
	case d > 0:
		params[name] = strconv.FormatInt(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10)
	default:
		if _, ok := params[name]; !ok {
			params[name] = strconv.FormatInt(def.Milliseconds(), 10)
		}
	}
}

// Close closes the pool.
func (p *probe) Close() { p.pool.Close() }

// ownPIDs are the backends of the pool's connections.
func (p *probe) ownPIDs() []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int32, 0, len(p.pids))
	for pid := range p.pids {
		out = append(out, int32(pid))
	}
	return out
}

func (p *probe) isOwn(pid int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pid >= 0 && pid <= math.MaxUint32 && p.pids[uint32(pid)]
}

// Activity reads a Snapshot with one statement (ActivitySQL): one round
// trip once the pool's connection has prepared it.
func (p *probe) Activity(ctx context.Context) (Snapshot, error) {
	snap, err := p.activity(ctx)
	if err != nil && connLost(err) && ctx.Err() == nil {
		// The connection had died (server restarted or stopped, backend
		// terminated): once more on a new one, which says what is
		// wrong now ("connection refused") or succeeds. The poll only
		// reads.
		snap, err = p.activity(ctx)
	}
	if err != nil {
		return Snapshot{}, wrap(err)
	}
	p.readSize(&snap)
	return snap, nil
}

// sizeTimeout bounds the size read; sizeRetry is how soon a failed one
// is tried again.
const (
	sizeTimeout = 10 * time.Second
	sizeRetry   = 10 * time.Second
)

// readSize fills snap's size with the last reading, and starts a new one
// in the background when SizeEvery has passed (sizeRetry after a failure):
// a slow pg_database_size never delays or fails the poll. The first poll
// has no size yet; the next ones do once it is read.
func (p *probe) readSize(snap *Snapshot) {
	p.sizeMu.Lock()
	wait := SizeEvery
	if p.sizeFailed {
		wait = sizeRetry
	}
	due := !p.sizeBusy && (p.sizeTried.IsZero() || snap.At.Sub(p.sizeTried) >= wait || snap.At.Before(p.sizeTried))
	if due {
		p.sizeBusy, p.sizeTried = true, snap.At
	}
	snap.Stats.Bytes, snap.Stats.SizeAt = p.size, p.sizeAt
	p.sizeMu.Unlock()
	if due {
		go p.fetchSize(snap.At)
	}
}

func (p *probe) fetchSize(at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), sizeTimeout)
	defer cancel()
	var n *int64
	err := p.pool.QueryRow(ctx, SizeSQL).Scan(&n)
	p.sizeMu.Lock()
	defer p.sizeMu.Unlock()
	p.sizeBusy = false
	p.sizeFailed = err != nil || n == nil
	if !p.sizeFailed {
		p.size, p.sizeAt = *n, at
	}
}

func (p *probe) activity(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
	rows, err := p.pool.Query(ctx, ActivitySQL, p.ownPIDs())
	if err != nil {
		return snap, err
	}
	defer rows.Close()
	header := false
	for rows.Next() {
		var (
			kind                                  int
			at, qs, xs, bs                        *time.Time
			pid                                   *int32
			user, db, app, client, state          *string
			wait, query, lock                     *string
			xminAge                               *int64
			blockedBy                             []int32
			active, idle, idleTxn, aborted, waits *int64
			conns, hidden, maxConn                *int64
			oldestAge                             *int64
			oldestPID                             *int32
			xacts, hit, read                      *int64
		)
		if err := rows.Scan(&kind, &at, &pid, &user, &db, &app, &client, &state, &wait, &query,
			&qs, &xs, &bs, &xminAge, &blockedBy, &lock,
			&active, &idle, &idleTxn, &aborted, &waits, &conns, &hidden, &maxConn,
			&oldestAge, &oldestPID, &xacts, &hit, &read); err != nil {
			return snap, err
		}
		if kind == 0 {
			header = true
			snap.At = val(at)
			snap.Counts = Counts{
				Active: int(val(active)), Idle: int(val(idle)), IdleInTxn: int(val(idleTxn)),
				Aborted: int(val(aborted)), Waiting: int(val(waits)),
			}
			snap.Connections, snap.MaxConnections, snap.Hidden = int(val(conns)), int(val(maxConn)), int(val(hidden))
			snap.OldestXminAge, snap.OldestXminPID = val(oldestAge), int(val(oldestPID))
			snap.Stats = Stats{Xacts: val(xacts), BlksHit: val(hit), BlksRd: val(read)}
			continue
		}
		s := Session{
			PID: int(val(pid)), User: val(user), Database: val(db), App: val(app), Client: val(client),
			State: val(state), WaitEvent: val(wait), Query: val(query),
			QueryStart: val(qs), XactStart: val(xs), BackendStart: val(bs),
			XminAge: val(xminAge), Lock: val(lock),
		}
		for _, b := range blockedBy {
			s.BlockedBy = append(s.BlockedBy, int(b))
		}
		snap.Sessions = append(snap.Sessions, s)
	}
	if err := rows.Err(); err != nil {
		return snap, err
	}
	if !header {
		return snap, errors.New("the activity statement returned no header row")
	}
	return snap, nil
}

// connLost: err ended the connection it ran on, not the statement alone
// (a query error, a timeout or a cancel).
func connLost(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "57P") // admin_shutdown, crash_shutdown, cannot_connect_now
	}
	var ce *pgconn.ConnectError
	return !errors.As(err, &ce) // EOF, connection reset: the conn is gone
}

func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ErrorText is err as the pane shows it. PostgreSQL's own error reads
// "Message (Detail) [Hint]" (each part only when set); anything else is
// err's text with secrets redacted. The SQLSTATE stays available with
// errors.As(err, **pgconn.PgError).
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	if !errors.As(err, &ce) && errors.As(err, &pe) {
		s := pe.Message
		if pe.Detail != "" {
			s += " (" + pe.Detail + ")"
		}
		if pe.Hint != "" {
			s += " [" + pe.Hint + "]"
		}
		return redact(s)
	}
	var qe *queryError
	if errors.As(err, &qe) {
		err = qe.err
	}
	return redact(err.Error())
}

// queryError is every error Activity, Signal and the constructors return:
// its text is ErrorText (no password), and it unwraps to pgx's error.
type queryError struct{ err error }

func (e *queryError) Error() string { return ErrorText(e.err) }
func (e *queryError) Unwrap() error { return e.err }

func wrap(err error) error {
	if err == nil {
		return nil
	}
	var qe *queryError
	if errors.As(err, &qe) {
		return err
	}
	return &queryError{err: err}
}
