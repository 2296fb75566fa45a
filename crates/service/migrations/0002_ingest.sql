-- onair reference service, schema version 2: the RTMP ingest (spec §5).

-- What a publish does to a live (Sigma's auto-start, auto-stop and
-- stopTimeout). stop_timeout NULL: the service's default.
ALTER TABLE lives ADD COLUMN auto_start INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lives ADD COLUMN auto_stop INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lives ADD COLUMN stop_timeout INTEGER;

-- A publish names its live by the key alone.
CREATE UNIQUE INDEX lives_by_stream_key ON lives(stream_key);

-- The latest publisher of a session: JSON of onair_api::ClientInfo (never
-- the key).
ALTER TABLE sessions ADD COLUMN client_info TEXT;
