// Package pg is the PostgreSQL probe: sessions from pg_stat_activity with
// their blockers, connection and state counts, and the server's cumulative
// statistics, read through pgx in one round trip per poll; and the signals
// (cancel, terminate) the slow-queries pane sends through the action path.
package pg

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Session is one non-idle client backend from pg_stat_activity.
type Session struct {
	PID      int
	User     string
	Database string
	App      string
	Client   string // client_addr, or "local" for a Unix socket
	State    string // active, idle in transaction, idle in transaction (aborted), fastpath function call, disabled
	// WaitEvent is "wait_event_type:wait_event" ("Lock:transactionid"),
	// empty when the backend is not waiting.
	WaitEvent    string
	Query        string
	QueryStart   time.Time
	XactStart    time.Time // zero outside a transaction
	BackendStart time.Time // with PID, identifies the backend: a reused pid has another start
	// XminAge is age(backend_xmin) in transactions (0: none): how far this
	// session holds back vacuum.
	XminAge int64
	// BlockedBy and Lock are read only for sessions waiting on a lock
	// (wait_event_type = 'Lock'): pg_blocking_pids() and the ungranted
	// lock ("transactionid ShareLock", "relation AccessExclusiveLock on
	// public.orders").
	BlockedBy []int
	Lock      string
}

// WaitsOnLock reports whether s waits in the lock manager.
func (s Session) WaitsOnLock() bool { return strings.HasPrefix(s.WaitEvent, "Lock:") }

// Target returns what a signal to s is bound to.
func (s Session) Target() Target { return Target{PID: s.PID, BackendStart: s.BackendStart} }

// Counts are client backends by state, over all of them (idle included)
// but the probe's own.
type Counts struct {
	Active, Idle, IdleInTxn, Aborted int
	// Waiting: backends waiting on a lock (wait_event_type = 'Lock').
	Waiting int
}

// Stats are pg_stat_database's cumulative counters summed over the
// databases, and their size: the pane shows rates and growth from the
// difference between two snapshots.
type Stats struct {
	Xacts   int64 // xact_commit + xact_rollback
	BlksHit int64
	BlksRd  int64
	// Bytes is the sum of pg_database_size over the databases the role
	// may connect to, read at (the poll of) SizeAt: every SizeEvery, in
	// the background, not every poll (it stats every file), and kept in
	// between. Zero SizeAt: not read yet.
	Bytes  int64
	SizeAt time.Time
}

// SizeEvery is how often the database size is read.
const SizeEvery = time.Minute

// Snapshot is one read of the server.
type Snapshot struct {
	At       time.Time // the server's now()
	Sessions []Session // non-idle client backends (not our own), longest-running first
	Counts   Counts
	// Connections is the number of client backends (ours included);
	// MaxConnections is max_connections.
	Connections    int
	MaxConnections int
	// Hidden are backends of other roles whose details this role may not
	// read (no pg_read_all_stats or pg_monitor): counted in Connections,
	// not listed, not signalled.
	Hidden int
	// OldestXminAge is the largest age(backend_xmin) of any backend, and
	// OldestXminPID the backend holding it (0: none).
	OldestXminAge int64
	OldestXminPID int
	Stats         Stats
}

// Signal is what is sent to a backend.
type Signal int

const (
	// Cancel is pg_cancel_backend: the query stops, the session stays.
	Cancel Signal = iota
	// Terminate is pg_terminate_backend: the session ends, its
	// transaction rolls back and its locks are released.
	Terminate
)

func (s Signal) String() string {
	if s == Terminate {
		return "terminate"
	}
	return "cancel"
}

// Target is the backend a signal is for, as the user saw it when they
// confirmed. The signal is sent only if it is still that backend (pid and
// backend start; a zero BackendStart does not check it) and, when
// OlderThan > 0, it is still active and its query started more than
// OlderThan ago: checked by the statement that sends the signal, so a
// session that finished or was replaced in between is not hit.
type Target struct {
	PID          int
	BackendStart time.Time
	OlderThan    time.Duration
}

// Probe is what panes depend on.
type Probe interface {
	Activity(ctx context.Context) (Snapshot, error)
	// Signal sends s to t's backend. false, nil: it no longer matched
	// (ended, replaced, finished its query) and nothing was sent.
	// PostgreSQL's refusal (a role without pg_signal_backend) is the
	// error, with its detail.
	Signal(ctx context.Context, s Signal, t Target) (bool, error)
}

// PIDsText is the timeline Target of a signal action: "pid 4100", or
// "pids 4100, 4242" for several. The drill replays actions by it.
func PIDsText(pids ...int) string {
	if len(pids) == 1 {
		return "pid " + strconv.Itoa(pids[0])
	}
	parts := make([]string, len(pids))
	for i, p := range pids {
		parts[i] = strconv.Itoa(p)
	}
	return "pids " + strings.Join(parts, ", ")
}

// ParsePIDsText is the inverse of PIDsText.
func ParsePIDsText(s string) ([]int, bool) {
	rest, ok := strings.CutPrefix(s, "pid ")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "pids "); !ok {
			return nil, false
		}
	}
	var out []int
	for _, f := range strings.Split(rest, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

// SignalSQL is the one statement that sends s, with the re-check of its
// Target: $1 pid, $2 backend start (NULL: not checked), $3 the query's
// minimum age (NULL: not checked). Only a row that still matches is
// signalled; none matching means nothing was sent. The confirmation
// dialog shows it as it runs.
func SignalSQL(s Signal) string {
	fn := "pg_cancel_backend"
	if s == Terminate {
		fn = "pg_terminate_backend"
	}
	return `SELECT ` + fn + `(pid) FROM pg_stat_activity
WHERE pid = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND ($2::timestamptz IS NULL OR backend_start = $2)
  AND ($3::interval IS NULL OR (state = 'active' AND query_start < now() - $3))`
}
