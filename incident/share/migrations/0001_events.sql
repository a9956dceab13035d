-- warroom share: the shared timeline (docs/share.md).
-- One row per event, merged by the event's unique ID. seq orders inserts
-- (catch-up reads by it), body is the event's JSON as the local journal
-- stored it, origin the ID of the console process that inserted the row.
CREATE TABLE warroom_events (
	seq         bigserial,
	incident_id text        NOT NULL,
	id          text        PRIMARY KEY,
	at          timestamptz NOT NULL,
	body        jsonb       NOT NULL,
	origin      text        NOT NULL,
	inserted_at timestamptz NOT NULL DEFAULT now()
);
-- Catch-up reads (incident_id, seq) ranges and needs only the IDs to know
-- what it lacks: INCLUDE makes that an index-only read.
CREATE INDEX warroom_events_incident_seq ON warroom_events (incident_id, seq) INCLUDE (id, origin);
