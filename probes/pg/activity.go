package pg

// ActivitySQL is the poll: one statement, so one round trip. $1 is the
// pids of the probe's own pool connections (with pg_backend_pid(), never
// listed nor counted in Counts; Connections counts them).
//
// It reads pg_stat_activity once (CTE a; the backend status array is also
// read once per transaction by the server). The first row (kind 0) is the
// header: counts by state over the other client backends (idle included),
// connections and max_connections (connections include the backends whose
// details the role may not read: without pg_read_all_stats another role's
// backend shows its user but no type, state or start; background
// processes show neither), the oldest backend_xmin of any backend but
// ours, and pg_stat_database's counters summed. The other rows (kind 1)
// are the non-idle client sessions, and the idle ones that block another
// (a session-level advisory lock held by an idle migration tool),
// longest-running (oldest query_start) first. The size of the databases
// is read apart, every SizeEvery (SizeSQL).
//
// The lock manager is touched only for sessions that wait on a lock:
// pg_blocking_pids() is called once for each of them (CTE b), and the
// pg_locks scan (CTE w, for the ungranted lock each waiter asks for) is
// guarded by an uncorrelated EXISTS over the waiters, which the planner
// makes a one-time filter: with nobody waiting, pg_lock_status() is never
// executed (EXPLAIN ANALYZE shows "never executed"; see
// TestActivityPlanSkipsLocksWhenNobodyWaits). Relation names are written
// schema.table whatever the search_path.
const ActivitySQL = `
WITH a AS MATERIALIZED (
	SELECT pid, backend_type = 'client backend' AS client, backend_type IS NULL AND usesysid IS NOT NULL AS hidden,
	       pid = pg_backend_pid() OR pid = ANY ($1::int[]) AS ours,
	       usename, datname, application_name, client_addr, state, wait_event_type, wait_event,
	       query, query_start, xact_start, backend_start, age(backend_xmin) AS xmin_age
	FROM pg_stat_activity
),
c AS MATERIALIZED (
	SELECT * FROM a WHERE client AND NOT ours
),
b AS MATERIALIZED (
	SELECT pid, pg_blocking_pids(pid) AS by FROM c WHERE wait_event_type = 'Lock'
),
w AS MATERIALIZED (
	SELECT DISTINCT ON (l.pid) l.pid,
	       l.locktype || ' ' || l.mode || coalesce(' on ' || quote_ident(n.nspname) || '.' || quote_ident(r.relname), ' on ' || l.relation::text, '') AS lock
	FROM pg_locks l
	LEFT JOIN pg_class r ON r.oid = l.relation AND l.database IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
	LEFT JOIN pg_namespace n ON n.oid = r.relnamespace
	WHERE NOT l.granted AND EXISTS (SELECT FROM c WHERE c.wait_event_type = 'Lock')
)
SELECT 0 AS kind, now() AS at,
       NULL::int AS pid, NULL::text AS usename, NULL::text AS datname, NULL::text AS app, NULL::text AS client,
       NULL::text AS state, NULL::text AS wait, NULL::text AS query,
       NULL::timestamptz AS query_start, NULL::timestamptz AS xact_start, NULL::timestamptz AS backend_start,
       NULL::bigint AS xmin_age, NULL::int[] AS blocked_by, NULL::text AS lock,
       h.active, h.idle, h.idle_txn, h.aborted, h.waiting, h.connections, h.hidden,
       current_setting('max_connections')::int AS max_connections,
       x.xmin_age AS oldest_xmin_age, x.pid AS oldest_xmin_pid,
       d.xacts, d.blks_hit, d.blks_read
FROM (SELECT count(*) FILTER (WHERE NOT ours AND state = 'active') AS active,
             count(*) FILTER (WHERE NOT ours AND state = 'idle') AS idle,
             count(*) FILTER (WHERE NOT ours AND state = 'idle in transaction') AS idle_txn,
             count(*) FILTER (WHERE NOT ours AND state = 'idle in transaction (aborted)') AS aborted,
             count(*) FILTER (WHERE NOT ours AND wait_event_type = 'Lock') AS waiting,
             count(*) AS connections,
             count(*) FILTER (WHERE hidden) AS hidden
      FROM a WHERE client OR hidden) h
LEFT JOIN (SELECT pid, xmin_age FROM a WHERE NOT ours AND xmin_age IS NOT NULL ORDER BY xmin_age DESC LIMIT 1) x ON true
CROSS JOIN (SELECT sum(xact_commit + xact_rollback)::bigint AS xacts, sum(blks_hit)::bigint AS blks_hit, sum(blks_read)::bigint AS blks_read FROM pg_stat_database) d
UNION ALL
SELECT 1, NULL, c.pid, c.usename, c.datname, c.application_name, coalesce(host(c.client_addr), 'local'),
       c.state, c.wait_event_type || ':' || c.wait_event, c.query,
       c.query_start, c.xact_start, c.backend_start, c.xmin_age,
       b.by,
       CASE WHEN c.wait_event_type = 'Lock' THEN w.lock END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM c LEFT JOIN w ON w.pid = c.pid LEFT JOIN b ON b.pid = c.pid
WHERE c.state <> 'idle' OR c.pid IN (SELECT unnest(by) FROM b)
ORDER BY kind, query_start, pid`

// SizeSQL is the size of the databases the role may connect to.
// pg_database_size stats every file of a database: on a big cluster that
// is hundreds of milliseconds, so it is read every SizeEvery, apart from
// the poll, and its failure never fails the poll.
const SizeSQL = `SELECT sum(pg_database_size(oid))::bigint FROM pg_database WHERE datallowconn AND has_database_privilege(oid, 'CONNECT')`
