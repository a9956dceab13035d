// Package pg is the PostgreSQL probe: sessions from pg_stat_activity with
// their blockers, and connection counts, read through pgx.
package pg

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/warroom-dev/warroom/incident"
)

// Session is one backend from pg_stat_activity.
type Session struct {
	PID        int
	User       string
	Database   string
	App        string
	Client     string
	State      string // active, idle, idle in transaction, …
	WaitEvent  string
	Query      string
	QueryStart time.Time
	XactStart  time.Time
	BlockedBy  []int
}

// Snapshot is one read of the server.
type Snapshot struct {
	At             time.Time
	Sessions       []Session // client backends, longest-running first
	Connections    int
	MaxConnections int
}

// Probe is what panes depend on.
type Probe interface {
	Activity(ctx context.Context) (Snapshot, error)
	// Terminate ends backend pid (pg_terminate_backend); false if pid is
	// not a backend.
	Terminate(ctx context.Context, pid int) (bool, error)
	// Cancel cancels backend pid's current query (pg_cancel_backend).
	Cancel(ctx context.Context, pid int) (bool, error)
}

// ActivitySQL reads client sessions (not our own), longest running first.
const ActivitySQL = `
SELECT pid, coalesce(usename,''), coalesce(datname,''), coalesce(application_name,''),
       coalesce(client_addr::text,''), coalesce(state,''), coalesce(wait_event_type||':'||wait_event,''),
       coalesce(query,''), query_start, xact_start, pg_blocking_pids(pid), now()
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
ORDER BY coalesce(query_start, backend_start) ASC`

type probe struct{ pool *pgxpool.Pool }

// New parses dsn (URL or key=value; empty uses libpq PG* variables) and
// makes a small pool. It does not connect until the first query. Its
// errors (like every probe's) do not name the backend: whoever shows them
// does ("postgres: …", "postgres lost: …"), once.
func New(dsn string) (Probe, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New(incident.Redact(err.Error()))
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "warroom"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, errors.New(incident.Redact(err.Error()))
	}
	return probe{pool: pool}, nil
}

func (p probe) Activity(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
	rows, err := p.pool.Query(ctx, ActivitySQL)
	if err != nil {
		return snap, err
	}
	defer rows.Close()
	for rows.Next() {
		var s Session
		var qs, xs *time.Time
		var blockers []int32
		if err := rows.Scan(&s.PID, &s.User, &s.Database, &s.App, &s.Client, &s.State, &s.WaitEvent,
			&s.Query, &qs, &xs, &blockers, &snap.At); err != nil {
			return snap, err
		}
		if qs != nil {
			s.QueryStart = *qs
		}
		if xs != nil {
			s.XactStart = *xs
		}
		for _, b := range blockers {
			s.BlockedBy = append(s.BlockedBy, int(b))
		}
		snap.Sessions = append(snap.Sessions, s)
	}
	if err := rows.Err(); err != nil {
		return snap, err
	}
	err = p.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
		current_setting('max_connections')::int`).Scan(&snap.Connections, &snap.MaxConnections)
	return snap, err
}
