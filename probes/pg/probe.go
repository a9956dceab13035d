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

	// The databases' size, read every SizeEvery (SizeSQL); sizeTried is
	// when it was last asked for, sizeAt when it was last read.
	sizeMu    sync.Mutex
	size      int64
	sizeAt    time.Time
	sizeTried time.Time
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
	p.readSize(ctx, &snap)
	return snap, nil
}

// sizeTimeout bounds the size read: a slow one is skipped, not waited on.
const sizeTimeout = 3 * time.Second

// readSize fills snap's size: read again when SizeEvery has passed (a
// second round trip, once a minute), else the last reading. A failed read
// keeps the last one and is tried again next time; it never fails the poll.
func (p *probe) readSize(ctx context.Context, snap *Snapshot) {
	p.sizeMu.Lock()
	defer p.sizeMu.Unlock()
	if snap.At.Sub(p.sizeTried) >= SizeEvery || snap.At.Before(p.sizeTried) {
		p.sizeTried = snap.At
		sctx, cancel := context.WithTimeout(ctx, sizeTimeout)
		var n *int64
		if err := p.pool.QueryRow(sctx, SizeSQL).Scan(&n); err == nil && n != nil {
			p.size, p.sizeAt = *n, snap.At
		}
		cancel()
	}
	snap.Stats.Bytes, snap.Stats.SizeAt = p.size, p.sizeAt
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
