package pg

import "context"

// Machine names of the signal actions on the timeline
// (incident.ActionFields.Op); the drill replays executed ones by them.
const (
	OpTerminate = "pg.terminate"
	OpCancel    = "pg.cancel"
)

// The statements behind Terminate and Cancel. PostgreSQL answers false (with
// a WARNING) when pid is not a PostgreSQL backend, and an error when the
// role may not signal it (neither superuser, the backend's role, nor a
// member of pg_signal_backend).
const (
	TerminateSQL = `SELECT pg_terminate_backend($1::int)`
	CancelSQL    = `SELECT pg_cancel_backend($1::int)`
)

// Terminate ends backend pid: its transaction rolls back, its locks are
// released and its connection closes. PostgreSQL's error is returned as is.
func (p probe) Terminate(ctx context.Context, pid int) (bool, error) {
	return p.signal(ctx, TerminateSQL, pid)
}

// Cancel cancels the query backend pid is running; the session stays.
func (p probe) Cancel(ctx context.Context, pid int) (bool, error) {
	return p.signal(ctx, CancelSQL, pid)
}

func (p probe) signal(ctx context.Context, sql string, pid int) (bool, error) {
	var ok bool
	err := p.pool.QueryRow(ctx, sql, pid).Scan(&ok)
	return ok, err
}
