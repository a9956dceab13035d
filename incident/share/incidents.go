package share

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom-dev/warroom/incident"
)

// Summary is one open incident of the shared timeline.
type Summary struct {
	Incident string    // the incident ID
	Title    string    // its latest declaration's summary (cleaned)
	Severity string    // "P1" as declared (cleaned; may not parse)
	Declared time.Time // the latest declaration's time
	Age      time.Duration
	Actors   []string // every actor seen in the incident, sorted (cleaned labels, not identities)
	Events   int
}

// incidentsSQL: per incident, its latest declaration, and whether the
// latest resolved/reopened event after it is a resolution (then it is
// not open).
const incidentsSQL = `
WITH d AS (
	SELECT DISTINCT ON (incident_id) incident_id, id, at, body
	FROM warroom_events
	WHERE body->>'kind' = 'declared'
	ORDER BY incident_id, at DESC, id DESC
)
SELECT d.incident_id, coalesce(d.body->>'summary', ''), coalesce(d.body->'severity'->>'to', ''), d.at,
	extract(epoch FROM now() - d.at)::float8,
	(SELECT coalesce(array_agg(DISTINCT coalesce(e.body->>'actor', '') ORDER BY coalesce(e.body->>'actor', '')), '{}')
	   FROM warroom_events e WHERE e.incident_id = d.incident_id),
	(SELECT count(*) FROM warroom_events e WHERE e.incident_id = d.incident_id),
	coalesce((SELECT r.body->>'kind' = 'resolved' FROM warroom_events r
	   WHERE r.incident_id = d.incident_id AND r.body->>'kind' IN ('resolved', 'reopened') AND (r.at, r.id) > (d.at, d.id)
	   ORDER BY r.at DESC, r.id DESC LIMIT 1), false)
FROM d
ORDER BY d.at DESC, d.incident_id`

// Incidents lists the open incidents in the database at dsn, the latest
// declared first. It runs no DDL; a database without the table has none.
func Incidents(ctx context.Context, dsn string) ([]Summary, error) {
	conn, err := dial(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return incidents(ctx, conn)
}

// dial is one connection to the database at dsn, for a one-shot read
// (Incidents, History): the share's application_name, a bounded connect.
func dial(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, wrap("parse the DSN", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	cfg.RuntimeParams["application_name"] = AppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("connect", err)
	}
	return conn, nil
}

// Incidents is the package's Incidents on the share's own pool (the console's share).
func (s *Share) Incidents(ctx context.Context) ([]Summary, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap("connect", err)
	}
	defer c.Release()
	return incidents(ctx, c.Conn())
}

func incidents(ctx context.Context, conn *pgx.Conn) ([]Summary, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('warroom_events') IS NOT NULL").Scan(&exists); err != nil {
		return nil, wrap("list incidents", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := conn.Query(ctx, incidentsSQL)
	if err != nil {
		return nil, wrap("list incidents", err)
	}
	var out []Summary
	var s Summary
	var resolved bool
	var age float64
	var events int64
	_, err = pgx.ForEachRow(rows, []any{&s.Incident, &s.Title, &s.Severity, &s.Declared, &age, &s.Actors, &events, &resolved}, func() error {
		if resolved {
			return nil
		}
		sum := s
		sum.Incident = incident.Clean(sum.Incident)
		sum.Title = incident.Clean(sum.Title)
		sum.Severity = incident.Clean(sum.Severity)
		sum.Declared = sum.Declared.UTC()
		sum.Events = int(events)
		sum.Age = time.Duration(age * float64(time.Second))
		actors := make([]string, 0, len(s.Actors))
		for _, a := range s.Actors {
			actors = append(actors, incident.Clean(a))
		}
		sum.Actors = actors
		out = append(out, sum)
		return nil
	})
	if err != nil {
		return nil, wrap("list incidents", err)
	}
	return out, nil
}
