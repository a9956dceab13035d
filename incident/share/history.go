package share

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
)

// History is every event of the incident in the database at dsn, in the
// shared order (time, then ID), decoded and cleaned as Events delivers
// them: what `warroom join` writes into a new journal before the console
// starts. Rows that do not decode are skipped and counted. It runs no DDL.
func History(ctx context.Context, dsn, incidentID string) (events []incident.Event, skipped int, err error) {
	conn, err := dial(ctx, dsn)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('warroom_events') IS NOT NULL").Scan(&exists); err != nil {
		return nil, 0, wrap("read", err)
	}
	if !exists {
		return nil, 0, nil
	}
	rs, err := conn.Query(ctx, `SELECT id, body::text FROM warroom_events WHERE incident_id = $1 ORDER BY seq`, incidentID)
	if err != nil {
		return nil, 0, wrap("read", err)
	}
	var id, body string
	_, err = pgx.ForEachRow(rs, []any{&id, &body}, func() error {
		ev, err := Decode(id, []byte(body))
		if err != nil {
			skipped++
			return nil
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		return nil, 0, wrap("read", err)
	}
	SortEvents(events)
	return events, skipped, nil
}
