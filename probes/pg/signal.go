package pg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Machine names of the signal actions on the timeline
// (incident.ActionFields.Op); the drill replays executed ones by them.
const (
	OpTerminate = "pg.terminate"
	OpCancel    = "pg.cancel"
)

// Op is s's machine name.
func (s Signal) Op() string {
	if s == Terminate {
		return OpTerminate
	}
	return OpCancel
}

// Signal sends s to t's backend with SignalSQL(s), in one statement that
// re-checks t. false, nil: t no longer matched (or the backend exited as
// the signal was sent). PostgreSQL's refusal is the error: its text is
// ErrorText's, with the detail; errors.As finds the *pgconn.PgError.
func (p *probe) Signal(ctx context.Context, s Signal, t Target) (bool, error) {
	var start, older any
	if !t.BackendStart.IsZero() {
		start = t.BackendStart
	}
	if t.OlderThan > 0 {
		older = t.OlderThan
	}
	if p.isOwn(t.PID) {
		return false, nil // never the probe's own connection
	}
	var sent bool
	err := p.pool.QueryRow(ctx, SignalSQL(s), int32(t.PID), start, older).Scan(&sent)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrap(err)
	}
	return sent, nil
}
